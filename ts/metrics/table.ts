// The streaming table: for every loss with a 'mean'/'sum' reduction, how one batch contributes
// to a dataset-level value. A batch gives { sum, denominator, stats? }: Σ l from the loss itself
// (F.<name>(…, { reduction: 'sum' }); the kernels' sums are compensated), and the loss's own
// 'mean' denominator for that batch (LOSS-SEMANTICS.md §2.22), computed here in TS. A metric
// adds these exactly (ExactSum) and finishes with Σ sum / Σ denominator — the value the loss
// gives on the concatenation of the batches along dimension 0.
//
// Losses whose value is not a ratio of sums (Dice/Jaccard/Tversky/MCC/generalized Dice: a
// function of per-class sums) return `stats` (K sufficient statistics, summed exactly across
// batches) and `finish(acc)` turns the dataset-level statistics into the value. This internal
// interface stands in for a kernel-level (Σl, denominator, K stats) interface; names, arguments,
// options, defaults and validation come from the loss table (each F function's `.spec`).

import * as Fns from '../functional/index.js';
import { checkPair, elementwise, NO_PARAMS } from '../elementwise.js';
import { isLoss, parseOptions, type AnyLoss } from '../table.js';
import { Tensor, isFloatDType } from '../tensor.js';
import { kerasLabelFlag } from '../validate.js';
import {
  ACT, FN, FP, SUMS, TN, TP, batchSums, classSums, finishClasses, gdlFinish, overlapMean, overlapPlanes, planeSums, unitTarget,
  type OverlapConfig, type ScoreConfig,
} from '../segmentation.js';

/** The reductions a metric can stream. */
export type StreamReduction = 'mean' | 'sum' | 'batchmean';

/** One batch's contribution. */
export interface BatchStats {
  /** Σ l over the batch (the loss with reduction 'sum'). */
  sum: number;
  /** The batch's share of the loss's 'mean' denominator. */
  denominator: number;
  /** Sufficient statistics summed across batches (per-class sums, flags as counts). */
  stats?: number[];
}

/** Dataset-level sums of {@link BatchStats}, as `finish` receives them. */
export interface Accumulated {
  sum: number;
  denominator: number;
  stats: number[];
}

/** A validated configuration: the loss's own options object after its validator. */
export type Config = Record<string, unknown>;

export interface StreamingLoss {
  /** F name (arguments, options and the 'mean' wording come from its descriptor, `F.<name>.spec`). */
  name: string;
  /** Streamable reductions; the first is the default when the loss's own default is 'none'. */
  reductions: readonly StreamReduction[];
  /** How one batch contributes (tensors already validated by the loss itself). */
  batch(tensors: Tensor[], cfg: Config, reduction: StreamReduction): BatchStats;
  /** Options the loss streams only with (the Lovász losses: perImage true); `available()` lists them. */
  requires?: Record<string, unknown>;
  /** The value from dataset-level sums; default Σ sum / Σ denominator ('sum': Σ sum). */
  finish?(acc: Accumulated, cfg: Config, reduction: StreamReduction): number;
}

type LossFn = (...a: unknown[]) => Tensor;
const fnOf = (name: string): LossFn => (Fns as unknown as Record<string, LossFn>)[name];

/** Σ l of one batch: the loss itself with reduction 'sum'. */
function sumOf(name: string, tensors: Tensor[], cfg: Config): number {
  return fnOf(name)(...tensors, { ...cfg, reduction: 'sum' }).item();
}

const numel = (t: Tensor): number => t.data.length;
/** Rows of a class-dim-1 input: N·d1⋯dk, or 1 for an unbatched (C). */
const classRows = (x: Tensor): number => (x.ndim <= 1 ? 1 : x.shape[1] === 0 ? x.shape[0] * x.shape.slice(2).reduce((a, b) => a * b, 1) : numel(x) / x.shape[1]);
/** Rows of a last-dim-classes input: numel / C (0-d or 1-D: 1). */
const lastDimRows = (x: Tensor): number => (x.ndim <= 1 ? 1 : x.shape.slice(0, -1).reduce((a, b) => a * b, 1));

/**
 * Σ w_y over the targets that are not `ignoreIndex` (their count without a weight): the
 * 'mean' denominator of NLL/CE with index targets. Class counts are exact integers, so the
 * only rounding is in Σ_c count_c·w_c.
 */
function targetWeightSum(target: Tensor, weight: Tensor | null, ignoreIndex: number): number {
  const d = target.data;
  if (weight === null) {
    let n = 0;
    for (let i = 0; i < d.length; i++) if (Number(d[i]) !== ignoreIndex) n++;
    return n;
  }
  const w = weight.data as Float32Array | Float64Array;
  const counts = new Float64Array(w.length);
  for (let i = 0; i < d.length; i++) {
    const y = Number(d[i]);
    if (y !== ignoreIndex) counts[y]++;
  }
  let s = 0;
  let c = 0;
  // Neumaier: C terms, each exact up to one rounding.
  for (let k = 0; k < counts.length; k++) {
    const v = counts[k] * w[k];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

/** An elementwise loss: 'mean' divides by the input's number of elements. */
function elementwiseLoss(name: string): StreamingLoss {
  return {
    name, reductions: ['mean', 'sum'],
    batch: (t, cfg) => ({ sum: sumOf(name, t, cfg), denominator: numel(t[0]) }),
  };
}

/** A per-row loss whose 'mean' divides by the number of rows `rows(input)`. */
function rowLoss(name: string, rows: (x: Tensor) => number): StreamingLoss {
  return {
    name, reductions: ['mean', 'sum'],
    batch: (t, cfg) => ({ sum: sumOf(name, t, cfg), denominator: rows(t[0]) }),
  };
}

/** An index-target loss with class weights and ignoreIndex: 'mean' divides by Σ w_y. */
function indexLoss(name: string): StreamingLoss {
  return {
    name, reductions: ['mean', 'sum'],
    batch: (t, cfg) => ({
      sum: sumOf(name, t, cfg),
      denominator: targetWeightSum(t[1], (cfg.weight as Tensor | null) ?? null, cfg.ignoreIndex as number),
    }),
  };
}

/**
 * Keras's hinge label rule depends on the whole dataset ({0, 1} targets become {−1, 1} only when
 * every target is 0 or 1), so a batch keeps both sums: `sum` with its own rule, `stats[0]` without
 * conversion, and `stats[1]` counts batches that were not all {0, 1}. At the end: if every
 * batch was {0, 1}, the converted sum; otherwise the unconverted one (what the concatenation gives).
 */
function hingeLoss(name: 'hinge' | 'squaredHinge', stem: string): StreamingLoss {
  return {
    name, reductions: ['mean', 'sum'],
    batch: (t, cfg) => {
      const sum = sumOf(name, t, cfg);
      const binary = kerasLabelFlag(t[1]) === 1;
      let raw = sum;
      if (binary) {
        const [x, y] = checkPair(name, t[0], t[1]);
        raw = elementwise({ fn: name, stem, params: NO_PARAMS, input: x, target: y, reduction: 'sum' }).item();
      }
      return { sum, denominator: numel(t[0]), stats: [raw, binary ? 0 : 1] };
    },
    finish: (acc, _cfg, reduction) => {
      const s = acc.stats[1] === 0 ? acc.sum : acc.stats[0];
      return reduction === 'sum' ? s : s / acc.denominator;
    },
  };
}

const crossEntropy: StreamingLoss = {
  name: 'crossEntropy', reductions: ['mean', 'sum'],
  batch: (t, cfg) => ({
    sum: sumOf('crossEntropy', t, cfg),
    denominator: isFloatDType(t[1].dtype)
      ? classRows(t[0])
      : targetWeightSum(t[1], (cfg.weight as Tensor | null) ?? null, cfg.ignoreIndex as number),
  }),
};

const klDiv: StreamingLoss = {
  name: 'klDiv', reductions: ['mean', 'sum', 'batchmean'],
  batch: (t, cfg, reduction) => ({
    sum: sumOf('klDiv', t, cfg),
    denominator: reduction === 'batchmean' ? (t[0].ndim === 0 ? 1 : t[0].shape[0]) : numel(t[0]),
  }),
};

const distillationLoss: StreamingLoss = {
  name: 'distillationLoss', reductions: ['batchmean', 'mean', 'sum'],
  batch: (t, cfg, reduction) => ({
    sum: sumOf('distillationLoss', t, cfg),
    denominator: reduction === 'batchmean' ? t[0].shape[0] : numel(t[0]),
  }),
};

const marginRows = (x: Tensor): number => (x.ndim === 2 ? x.shape[0] : 1);

/** A box-IoU loss: 'mean' divides by the number of boxes, and is 0 when there are none
 * (torchvision's convention, kept for the dataset). */
function boxLoss(name: string): StreamingLoss {
  return {
    name, reductions: ['mean', 'sum'],
    batch: (t, cfg) => ({ sum: sumOf(name, t, cfg), denominator: numel(t[0]) / 4 }),
    finish: (acc, _cfg, reduction) => (reduction === 'sum' ? acc.sum : acc.denominator === 0 ? 0 : acc.sum / acc.denominator),
  };
}

/**
 * ctcLoss: 'mean' is the batch mean of each sample's loss over its target length (clamped to
 * ≥ 1), so a batch contributes Σ l_i/len_i and its sample count; 'sum' contributes Σ l_i.
 */
const ctcLoss: StreamingLoss = {
  name: 'ctcLoss', reductions: ['mean', 'sum'],
  batch: (t, cfg, reduction) => {
    const [lp, targets, inputLengths, targetLengths] = t as unknown as [Tensor, Tensor, unknown, unknown];
    const per = fnOf('ctcLoss')(lp, targets, inputLengths, targetLengths, { ...cfg, reduction: 'none' });
    const lens = Array.isArray(targetLengths) ? targetLengths : typeof targetLengths === 'number' ? [targetLengths]
      : Array.from((targetLengths as Tensor).data as ArrayLike<number | bigint>, Number);
    let sum = 0;
    const d = per.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) sum += reduction === 'sum' ? d[i] : d[i] / Math.max(lens[i], 1);
    return { sum, denominator: d.length };
  },
};

/** Pairs or triplets of embeddings `(N, D)` (or one, `(D)`): 'mean' divides by N. */
const pairRows = (x: Tensor): number => (x.ndim <= 1 ? 1 : x.shape[0]);

/**
 * rankNetLoss: 'mean' divides by the batch's pairs (i, j) of real items (relevance ≠ −1, allRank's
 * padding) with y_i > y_j — allRank's mean over the pairs it selects. Counted per list from the
 * sorted relevances: all pairs minus the pairs of equal relevance, O(L log L).
 */
const rankNetLoss: StreamingLoss = {
  name: 'rankNetLoss', reductions: ['mean', 'sum'],
  batch: (t, cfg) => {
    const [scores, relevance] = t;
    const [lists, len] = scores.shape;
    const y = relevance.data as ArrayLike<number | bigint>;
    let pairs = 0;
    for (let b = 0; b < lists; b++) {
      const real: number[] = [];
      for (let i = 0; i < len; i++) {
        const v = Number(y[b * len + i]);
        if (v !== -1) real.push(v);
      }
      real.sort((p, q) => p - q);
      let same = 0;
      for (let i = 0, j = 0; i < real.length; i = j) {
        while (j < real.length && real[j] === real[i]) j++;
        same += ((j - i) * (j - i - 1)) / 2;
      }
      pairs += (real.length * (real.length - 1)) / 2 - same;
    }
    return { sum: sumOf('rankNetLoss', t, cfg), denominator: pairs };
  },
};

/**
 * An smp overlap loss (Dice, Jaccard, Tversky): its value is a function of per-class sums over
 * every pixel of every image (TP, FP, FN, G), which add across batches exactly; `finish` scores
 * the dataset-level sums as the loss itself does (classes, mean, ^γ).
 */
function overlapStream(name: string, stem: 'dice_loss' | 'jaccard_loss' | 'tversky_loss'): StreamingLoss {
  return {
    name, reductions: ['mean'],
    batch: (t, cfg) => {
      const p = overlapPlanes(name, t[0], t[1], cfg as unknown as OverlapConfig);
      return { sum: 0, denominator: 0, stats: Array.from(classSums(p, planeSums(name, stem, p))) };
    },
    finish: (acc, cfg) => {
      const c = acc.stats.length / SUMS;
      const fin = finishClasses(name, stem, Float64Array.from(acc.stats), c, cfg as unknown as ScoreConfig);
      return overlapMean(fin, c, (cfg.classes as number[] | null) ?? null, (cfg.gamma as number | undefined) ?? 1).value;
    },
  };
}

/** mccLoss: TP, FP, FN, TN over every element add across batches; the value is 1 − MCC of the totals. */
const mccLoss: StreamingLoss = {
  name: 'mccLoss', reductions: ['mean'],
  batch: (t) => {
    const x = t[0] as Tensor<'float32' | 'float64'>;
    fnOf('mccLoss')(x, t[1]); // validates the batch as the loss does
    const p = { x, n: 1, c: 1, s: x.numel(), act: ACT.none, labels: null, dense: unitTarget('mccLoss', 'target', t[1], x.dtype, null), ignore: Number.NaN };
    const s = planeSums('mccLoss', 'mcc_loss', p);
    return { sum: 0, denominator: 0, stats: [s[TP], s[FP], s[FN], s[TN]] };
  },
  finish: (acc, cfg) => {
    const [tp, fp, fn, tn] = acc.stats.map((v) => v + (cfg.eps as number));
    return 1 - (tp * tn - fp * fn) / Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  },
};

/**
 * generalizedDiceLoss: per image (the default) a mean or sum over images, so a batch gives Σ f
 * and its image count; with `batch: true` one value of the class sums over every image, which
 * add across batches (stats), scored at the end.
 */
const generalizedDiceLoss: StreamingLoss = {
  name: 'generalizedDiceLoss', reductions: ['mean', 'sum'],
  batch: (t, cfg) => {
    if (!cfg.batch) return { sum: sumOf('generalizedDiceLoss', t, cfg), denominator: t[0].shape[0] };
    fnOf('generalizedDiceLoss')(...t, cfg); // validates the batch as the loss does
    const x = t[0] as Tensor<'float32' | 'float64'>;
    const [n, c] = x.shape;
    const s = x.shape.slice(2).reduce((a, b) => a * b, 1);
    const multi = c > 1;
    const act = cfg.sigmoid ? ACT.sigmoid : cfg.softmax && multi ? ACT.softmax : ACT.none;
    const onehot = cfg.toOnehotY && multi;
    const labels = onehot ? Int32Array.from(t[1].data as ArrayLike<number | bigint>, Number) : null;
    const dense = onehot ? null : unitTarget('generalizedDiceLoss', 'target', t[1], x.dtype, null);
    const per = planeSums('generalizedDiceLoss', 'generalized_dice_loss', { x, n, c, s, act, labels, dense, ignore: Number.NaN });
    return { sum: 0, denominator: 0, stats: Array.from(batchSums(per, n, c)) };
  },
  finish: (acc, cfg, reduction) => {
    if (!cfg.batch) return reduction === 'sum' ? acc.sum : acc.sum / acc.denominator;
    const c = acc.stats.length / SUMS;
    const c0 = c > 1 && !cfg.includeBackground ? 1 : 0;
    return gdlFinish('generalizedDiceLoss', Float64Array.from(acc.stats), 1, c, c0, cfg.wType as 'square', cfg.smoothNr as number, cfg.smoothDr as number).f[0];
  },
};

/** A Lovász loss with `perImage: true`: the mean over images, so a batch gives Σ (its mean × its images). */
function lovaszPerImage(name: string): StreamingLoss {
  return {
    name, reductions: ['mean'], requires: { perImage: true },
    batch: (t, cfg) => {
      const n = t[0].shape[0];
      return { sum: fnOf(name)(...t, cfg).item() * n, denominator: n };
    },
  };
}

/** Every loss with a streaming form, by F name. */
export const STREAMING: Readonly<Record<string, StreamingLoss>> = Object.fromEntries(
  [
    elementwiseLoss('l1Loss'),
    elementwiseLoss('mseLoss'),
    elementwiseLoss('smoothL1Loss'),
    elementwiseLoss('huberLoss'),
    elementwiseLoss('poissonNllLoss'),
    elementwiseLoss('gaussianNllLoss'),
    elementwiseLoss('meanAbsolutePercentageError'),
    elementwiseLoss('meanSquaredLogarithmicError'),
    elementwiseLoss('logCosh'),
    elementwiseLoss('binaryCrossEntropy'),
    elementwiseLoss('binaryCrossEntropyWithLogits'),
    elementwiseLoss('softMarginLoss'),
    elementwiseLoss('sigmoidFocalLoss'),
    hingeLoss('hinge', 'hinge'),
    hingeLoss('squaredHinge', 'squared_hinge'),
    crossEntropy,
    indexLoss('nllLoss'),
    indexLoss('softmaxFocalLoss'),
    indexLoss('polyLoss'),
    klDiv,
    distillationLoss,
    rowLoss('multilabelSoftMarginLoss', lastDimRows),
    rowLoss('categoricalHinge', lastDimRows),
    rowLoss('multiMarginLoss', marginRows),
    rowLoss('multilabelMarginLoss', marginRows),
    rowLoss('zeroOneLoss', (x) => x.shape[0]),
    rowLoss('arcFaceLoss', (x) => x.shape[0]),
    rowLoss('cosFaceLoss', (x) => x.shape[0]),
    rowLoss('sphereFaceLoss', (x) => x.shape[0]),
    boxLoss('generalizedBoxIouLoss'),
    boxLoss('distanceBoxIouLoss'),
    boxLoss('completeBoxIouLoss'),
    boxLoss('boxIouLoss'),
    boxLoss('efficientBoxIouLoss'),
    boxLoss('scyllaBoxIouLoss'),
    elementwiseLoss('balancedL1Loss'),
    elementwiseLoss('varifocalLoss'),
    rowLoss('qualityFocalLoss', (x) => x.shape[0]),
    rowLoss('distributionFocalLoss', (x) => x.shape[0]),
    ctcLoss,
    rowLoss('rnntLoss', (x) => x.shape[0]),
    elementwiseLoss('marginRankingLoss'),
    elementwiseLoss('hingeEmbeddingLoss'),
    rowLoss('cosineEmbeddingLoss', pairRows),
    rowLoss('tripletMarginLoss', pairRows),
    rowLoss('tripletMarginWithDistanceLoss', pairRows),
    rowLoss('listNetLoss', (x) => x.shape[0]),
    rowLoss('listMleLoss', (x) => x.shape[0]),
    rowLoss('approxNdcgLoss', (x) => x.shape[0]),
    rankNetLoss,
    overlapStream('diceLoss', 'dice_loss'),
    overlapStream('jaccardLoss', 'jaccard_loss'),
    overlapStream('tverskyLoss', 'tversky_loss'),
    mccLoss,
    generalizedDiceLoss,
    lovaszPerImage('lovaszHingeLoss'),
    lovaszPerImage('lovaszSoftmaxLoss'),
  ].map((e) => [e.name, e]),
);

/**
 * Losses (and option settings) that have no exact streaming form, with the reason. Checked
 * before the table, so a loss can be listed here before it exists in F.
 */
export const REFUSED: Readonly<Record<string, (options: Record<string, unknown>) => string | null>> = {
  // SMP's Lovász losses (segmentation_models_pytorch/losses/lovasz.py): with per_image=False the
  // Lovász extension sorts the errors of every pixel of the whole dataset together, so no sum of
  // per-batch quantities gives it; per image it is a plain mean over images.
  lovaszHingeLoss: (o) => (o.perImage === true ? null : LOVASZ),
  lovaszSoftmaxLoss: (o) => (o.perImage === true ? null : LOVASZ),
  // NT-Xent and SupCon take each sample's negatives from the rest of its batch, so a sample's
  // loss depends on the batch it was in: no dataset-level value is a sum of per-batch statistics.
  ntXentLoss: () => CONTRASTIVE,
  supConLoss: () => CONTRASTIVE,
};
const CONTRASTIVE =
  "has no exact streaming form: each sample's negatives are the rest of its batch, so a dataset's loss is not a sum of " +
  'per-batch statistics; score each batch on its own';
const LOVASZ =
  'has no exact streaming form with perImage: false (the Lovász extension sorts the errors of the whole ' +
  'dataset together, which no sum of per-batch statistics reproduces); use perImage: true, or score all the data in one call';

/** The loss's F function (with its descriptor `.spec`), or undefined. */
export function lossOf(name: string): AnyLoss | undefined {
  const f = (Fns as unknown as Record<string, unknown>)[name];
  return isLoss(f) ? f : undefined;
}

/** Validates options against the loss's descriptor (errors name the loss), defaults filled in. */
export function parseLossOptions(name: string, options: unknown): Config {
  const f = lossOf(name);
  if (f === undefined) throw new Error(`unknown loss '${name}'`);
  return parseOptions(name, f.spec.options, options) as Config;
}

/** Tensor-valued options of the losses (serialised as { dtype, shape, data } in states). */
export const TENSOR_OPTIONS: readonly string[] = ['weight', 'posWeight'];

export { Tensor };
