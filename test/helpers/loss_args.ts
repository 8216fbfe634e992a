// The arguments of every loss in the table, built generically from its family and name: for the
// tests that call every loss (test/memory.test.ts: repeated calls never grow memory;
// test/modules.test.ts: the baseline and relaxed-SIMD modules agree, NaN/±inf included).
import type { FloatDType, Tensor, tensor as tensorFn } from '../../ts/index.js';
import type { AnyLoss } from '../../ts/table.js';

/**
 * How a loss's arguments are built for about n elements: 'elementwise' (every argument of the
 * descriptor's `args` a float tensor of n elements); rows of classes — narrow (⌈n/10⌉ rows of
 * 10) or wide (one row of n, streamed in pieces past 256 KiB) — with class-index targets
 * ('index'), float target rows ('rows'), target lists ('list'), a label and a score per row
 * ('quality'), a continuous label per row ('bins'); ⌈n/4⌉ boxes ('boxes'); a CTC problem of
 * ⌈n/10⌉ frames of 10 classes ('ctc'), an RNN-T lattice of ⌈n/20⌉ × 2 rows of 10 ('rnnt');
 * ⌈n/8⌉ pairs or triplets of 8-D embeddings ('pair', 'triplet'), padded lists of 10 ('lists'),
 * and two views of 8-D embeddings for the contrastive losses ('views', 'supcon'), at most 512
 * samples there: their work is quadratic in the batch (every sample against every other);
 * segmentation: (1, 3, ⌈n/3⌉) logits with class indices ('planes'), probabilities and 0/1
 * labels ('probs', MCC), a softmax with one-hot class indices (1, 1, ⌈n/3⌉) ('gdl'), logits
 * (1, n) with 0/1 labels ('hinge'). {@link optionsFor} adds the options a kind needs.
 */
export type Kind = 'elementwise' | 'index' | 'rows' | 'list' | 'quality' | 'bins' | 'boxes' | 'ctc' | 'rnnt' | 'pair' | 'triplet' | 'views' | 'supcon' | 'lists'
  | 'planes' | 'probs' | 'gdl' | 'hinge';

/** Every loss outside the regression family says here how its arguments are built (a
 * regression loss's arguments are elementwise): a new loss without an entry fails the tests. */
const KIND: Record<string, Kind> = {
  binaryCrossEntropy: 'elementwise', binaryCrossEntropyWithLogits: 'elementwise', hinge: 'elementwise', squaredHinge: 'elementwise',
  softMarginLoss: 'elementwise', sigmoidFocalLoss: 'elementwise', klDiv: 'elementwise', balancedL1Loss: 'elementwise',
  varifocalLoss: 'elementwise',
  crossEntropy: 'index', nllLoss: 'index', softmaxFocalLoss: 'index', polyLoss: 'index', multiMarginLoss: 'index', zeroOneLoss: 'index',
  arcFaceLoss: 'index', cosFaceLoss: 'index', sphereFaceLoss: 'index',
  multilabelMarginLoss: 'list', categoricalHinge: 'rows', distillationLoss: 'rows', multilabelSoftMarginLoss: 'rows',
  qualityFocalLoss: 'quality', distributionFocalLoss: 'bins',
  generalizedBoxIouLoss: 'boxes', distanceBoxIouLoss: 'boxes', completeBoxIouLoss: 'boxes', boxIouLoss: 'boxes', efficientBoxIouLoss: 'boxes',
  scyllaBoxIouLoss: 'boxes',
  ctcLoss: 'ctc', rnntLoss: 'rnnt',
  marginRankingLoss: 'elementwise', hingeEmbeddingLoss: 'elementwise', cosineEmbeddingLoss: 'pair',
  tripletMarginLoss: 'triplet', tripletMarginWithDistanceLoss: 'triplet', ntXentLoss: 'views', supConLoss: 'supcon',
  rankNetLoss: 'lists', listNetLoss: 'lists', listMleLoss: 'lists', approxNdcgLoss: 'lists',
  diceLoss: 'planes', jaccardLoss: 'planes', tverskyLoss: 'planes', lovaszSoftmaxLoss: 'planes', mccLoss: 'probs',
  generalizedDiceLoss: 'gdl', lovaszHingeLoss: 'hinge',
};

/** The options a call with `reduction` takes: that reduction where the loss accepts it (mccLoss
 * and the Lovász losses have no reduction option, the smp losses no 'sum': they run with their
 * default), and generalized Dice's softmax over one-hot class indices (the 'gdl' arguments). */
export function optionsFor(loss: AnyLoss, reduction: string): Record<string, unknown> {
  const extra = loss.spec.name === 'generalizedDiceLoss' ? { softmax: true, toOnehotY: true } : {};
  const spec = loss.spec.options.reduction;
  if (!spec) return extra;
  try {
    spec.parse('', 'reduction', reduction);
    return { ...extra, reduction };
  } catch {
    return extra;
  }
}

/** The kinds with rows of classes (a narrow and a wide layout). */
export const ROW_KINDS: ReadonlySet<Kind> = new Set<Kind>(['index', 'rows', 'list', 'quality', 'bins']);

export function kindOf(loss: AnyLoss): Kind {
  const kind = loss.spec.family === 'regression' ? 'elementwise' : KIND[loss.spec.name];
  if (kind === undefined) throw new Error(`no argument maker for ${loss.spec.name} (add it to KIND in test/helpers/loss_args.ts)`);
  return kind;
}

/**
 * The float values of the arguments: `fill(v, i)` gives element i of a float tensor whose
 * in-domain value is `v` (the default keeps v: 0.5 lies inside every loss's domain, BCE's
 * [0, 1] and the cosines' [−1, 1] included).
 */
export type Fill = (v: number, i: number) => number;

/** The arguments of `loss` for n elements, made with `tensor` (the module copy under test);
 * the first requires grad. Values: `fill` around 0.5 (BCE's [0, 1], the cosines' [−1, 1]),
 * boxes of positive sides, uniform log-probabilities. */
export function argsOf(
  tensor: typeof tensorFn, loss: AnyLoss, kind: Kind, n: number, dtype: FloatDType, wide: boolean, fill: Fill = (v) => v,
): unknown[] {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const float = (shape: number[], grad = false, v = 0.5): Tensor => {
    const d = new Ctor(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < d.length; i++) d[i] = fill(v, i);
    return tensor(d, shape, { dtype, requiresGrad: grad });
  };
  const ints = (shape: number[], f: (i: number) => number) => {
    const d = new Int32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < d.length; i++) d[i] = f(i);
    return tensor(d, shape, { dtype: 'int64' });
  };
  if (kind === 'elementwise') return loss.spec.args.map((_: string, i: number) => float([n], i === 0));
  if (kind === 'boxes') {
    const m = Math.ceil(n / 4);
    // xyxy boxes (lo, lo, lo + 1, lo + 1).
    const boxes = (lo: number, grad: boolean) => {
      const d = new Ctor(4 * m);
      for (let i = 0; i < d.length; i++) d[i] = fill(i % 4 < 2 ? lo : lo + 1, i);
      return tensor(d, [m, 4], { dtype, requiresGrad: grad });
    };
    return [boxes(0, true), boxes(0.5, false)];
  }
  if (kind === 'ctc') {
    // (T, 1, 10) frames, target [1, 2] (one label when T = 1); no frames: an empty batch.
    const t = Math.max(1, Math.ceil(n / 10));
    const batch = n === 0 ? 0 : 1;
    const len = t >= 2 ? 2 : 1;
    return [float([t, batch, 10], true, -Math.log(10)), ints([batch, 2], (i) => 1 + i), batch ? [t] : [], batch ? [len] : []];
  }
  if (kind === 'rnnt') {
    // (1, T, 2, 10) logits, target [1] (the blank is the last class); no frames: an empty batch.
    const t = Math.max(1, Math.ceil(n / 20));
    const batch = n === 0 ? 0 : 1;
    return [float([batch, t, 2, 10], true), ints([batch, 1], () => 1), batch ? [t] : [], batch ? [1] : []];
  }
  if (kind === 'pair' || kind === 'triplet') {
    const r = Math.ceil(n / 8);
    const pos = float([r, 8], false, 0.25);
    return kind === 'pair' ? [float([r, 8], true), pos, float([r], false, 1)] : [float([r, 8], true), pos, float([r, 8], false, -0.5)];
  }
  if (kind === 'views' || kind === 'supcon') {
    const r = Math.min(512, Math.ceil(n / 16));
    const a = new Ctor(r * 16);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i); // distinct directions
    if (kind === 'supcon') return [tensor(a, [r, 2, 8], { dtype, requiresGrad: true }), ints([r], (i) => i % 3)];
    return [tensor(a.slice(0, r * 8), [r, 8], { dtype, requiresGrad: true }), tensor(a.slice(r * 8), [r, 8], { dtype })];
  }
  if (kind === 'lists') {
    const r = Math.ceil(n / 10);
    const rel = new Ctor(r * 10);
    for (let i = 0; i < rel.length; i++) rel[i] = i % 10 === 9 ? -1 : i % 3; // ties, and one pad per list
    return [float([r, 10], true), tensor(rel, [r, 10], { dtype })];
  }
  if (kind === 'planes' || kind === 'gdl') {
    const s = Math.ceil(n / 3);
    return [float([1, 3, s], true, 0.25), ints(kind === 'gdl' ? [1, 1, s] : [1, s], (i) => i % 3)];
  }
  if (kind === 'probs') return [float([1, n], true), tensor(new Ctor(n).fill(1), [1, n], { dtype })];
  if (kind === 'hinge') return [float([1, n], true), ints([1, n], (i) => i % 2)];
  const shape = wide ? [1, n] : [Math.ceil(n / 10), 10];
  const [rows, c] = shape;
  const input = float(shape, true);
  if (kind === 'rows') return [input, float(shape)];
  if (kind === 'index') return [input, ints([rows], () => 0)];
  if (kind === 'quality') return [input, ints([rows], () => 0), float([rows])];
  if (kind === 'bins') return [input, float([rows], false, c > 1 ? 0.5 : 0)]; // a label in [0, C − 1]
  // Each row's list: class 0, then −1 (the rest ignored).
  return [input, ints(shape, (i) => (i % c === 0 ? 0 : -1))];
}
