// Ranking and embedding: pairwise, triplet, contrastive and listwise losses. Curves against the
// quantity that drives each kind: the score margin s⁺ − s⁻ of a pair; the gap d(a, n) − d(a, p)
// between the anchor–negative and anchor–positive distances of a triplet; the cosine similarity of
// a positive pair whose negatives are orthogonal; a relevant item's score in a list of 5.
// Built-in data: one sample is one query, holding a list of 8 scored items with graded relevance
// 0–3 (list losses; the pair losses take its best- against its worst-labelled item) and unit
// embeddings of an anchor, a positive of its class and a negative of another class (triplet,
// embedding and contrastive losses; the contrastive ones see batches of 128 queries).
// Contamination flips a query's relevance grades (g → 3 − g: the best item labelled worst) and
// replaces its positive with an embedding of a third class (a wrong positive).

import { F, tensor, type Tensor } from '../../index.js';
import { gauss, rng } from '../stats.js';
import { CompareError, gatherFlags, gatherRows, linspace, num, type CurveSet, type Dataset, type Dense, type Family, type LossEntry, type Series } from './family.js';

/** Items per list, embedding width, classes of the embeddings, contrastive batch size. */
const L = 8;
const D = 16;
const K = 10;
const BATCH = 128;
/** Spread of an embedding around its class centre (before normalising). */
const SPREAD = 0.35;

export interface RankingData extends Dataset {
  /** Items per list. */
  l: number;
  /** Scores, n × l. */
  scores: Float64Array;
  /** Graded relevance, n × l; −1 pads (user lists). */
  rel: Float64Array;
  /** Embedding width; 0 when there are no embeddings (user data). */
  d: number;
  /** Unit embeddings, n × d each. */
  anchor: Float64Array;
  positive: Float64Array;
  negative: Float64Array;
  /** The anchor's class (SupCon's labels). */
  cls: Int32Array;
}

type Kind = 'pair' | 'distance' | 'cosine' | 'triplet' | 'contrastive' | 'list';

interface Spec {
  name: string;
  fn:
    | 'marginRankingLoss' | 'hingeEmbeddingLoss' | 'cosineEmbeddingLoss' | 'tripletMarginLoss' | 'tripletMarginWithDistanceLoss'
    | 'ntXentLoss' | 'supConLoss' | 'rankNetLoss' | 'listNetLoss' | 'listMleLoss' | 'approxNdcgLoss';
  options: Record<string, unknown>;
  kind: Kind;
}

export const RANKING_LOSSES: Spec[] = [
  { name: 'margin ranking', fn: 'marginRankingLoss', options: {}, kind: 'pair' },
  { name: 'margin ranking m=1', fn: 'marginRankingLoss', options: { margin: 1 }, kind: 'pair' },
  { name: 'hinge embedding', fn: 'hingeEmbeddingLoss', options: {}, kind: 'distance' },
  { name: 'cosine embedding', fn: 'cosineEmbeddingLoss', options: {}, kind: 'cosine' },
  { name: 'triplet', fn: 'tripletMarginLoss', options: {}, kind: 'triplet' },
  { name: 'triplet m=0.2', fn: 'tripletMarginLoss', options: { margin: 0.2 }, kind: 'triplet' },
  { name: 'triplet cosine', fn: 'tripletMarginWithDistanceLoss', options: { distanceFunction: 'cosine' }, kind: 'triplet' },
  { name: 'NT-Xent', fn: 'ntXentLoss', options: {}, kind: 'contrastive' },
  { name: 'NT-Xent τ=0.1', fn: 'ntXentLoss', options: { temperature: 0.1 }, kind: 'contrastive' },
  { name: 'SupCon', fn: 'supConLoss', options: {}, kind: 'contrastive' },
  { name: 'RankNet', fn: 'rankNetLoss', options: {}, kind: 'list' },
  { name: 'ListNet', fn: 'listNetLoss', options: {}, kind: 'list' },
  { name: 'ListMLE', fn: 'listMleLoss', options: {}, kind: 'list' },
  { name: 'ApproxNDCG', fn: 'approxNdcgLoss', options: {}, kind: 'list' },
  { name: 'ApproxNDCG α=10', fn: 'approxNdcgLoss', options: { alpha: 10 }, kind: 'list' },
];

type Fn = (...a: unknown[]) => Tensor;
const fnOf = (s: Spec): Fn => F[s.fn] as unknown as Fn;
const f64 = (a: ArrayLike<number>, shape: number[], requiresGrad = false): Tensor => tensor(Float64Array.from(a), shape, { dtype: 'float64', requiresGrad });

/**
 * Runs `call` on float64 leaves built from `inputs`, then backward with `weights` (ones by
 * default): the 'none' output and each leaf's gradient from lossfn's backward.
 */
export function valueAndGrads(inputs: { data: ArrayLike<number>; shape: number[] }[], call: (...x: Tensor[]) => Tensor, weights?: ArrayLike<number>): { loss: Float64Array; grads: Float64Array[] } {
  const xs = inputs.map((i) => f64(i.data, i.shape, true));
  const out = call(...xs);
  out.backward(f64(weights ?? new Float64Array(out.numel()).fill(1), out.shape.slice()));
  return {
    loss: Float64Array.from(out.data as Float64Array),
    grads: xs.map((x) => {
      if (x.grad === null) throw new Error('compare: internal: no gradient');
      return x.grad.data as Float64Array;
    }),
  };
}

/** The first item with the highest and the first with the lowest relevance of list i (pads left out). */
function extremes(rel: Float64Array, l: number, i: number): [number, number] {
  let hi = -1;
  let lo = -1;
  for (let j = 0; j < l; j++) {
    const v = rel[i * l + j];
    if (v < 0) continue;
    if (hi < 0 || v > rel[i * l + hi]) hi = j;
    if (lo < 0 || v < rel[i * l + lo]) lo = j;
  }
  return [hi, lo];
}

const dist = (a: Float64Array, b: Float64Array, i: number, d: number): number => {
  let s = 0;
  for (let k = 0; k < d; k++) s += (a[i * d + k] - b[i * d + k]) ** 2;
  return Math.sqrt(s);
};

/** Norm of the concatenation of per-sample gradient pieces. */
function norm(...parts: ArrayLike<number>[]): number {
  let s = 0;
  for (const p of parts) for (let k = 0; k < p.length; k++) s += p[k] * p[k];
  return Math.sqrt(s);
}

/** Consecutive batches of at most BATCH samples, the last never a single sample (contrastive losses need two). */
function batches(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let b = 0; b < n; b += BATCH) out.push([b, Math.min(n, b + BATCH)]);
  if (out.length > 1 && out[out.length - 1][1] - out[out.length - 1][0] < 2) out[out.length - 2][1] = out.pop()?.[1] as number;
  return out;
}

/**
 * One value and gradient norm per sample (one query): the pair losses on (best, worst item); the
 * hinge and cosine embedding losses summed over the query's positive pair (target 1) and negative
 * pair (target −1); the triplet losses on its triplet; the contrastive losses, run per batch of
 * queries, the mean of the query's two anchors (its two views), with the gradient of the batch's
 * total with respect to the query's embeddings; the list losses on its list.
 */
export function perSample(s: Spec, dd: RankingData): { loss: Float64Array; grad: Float64Array } {
  const { n, l, d } = dd;
  const o = { ...s.options, reduction: 'none' };
  const loss = new Float64Array(n);
  const grad = new Float64Array(n);
  switch (s.kind) {
    case 'pair': {
      const x1 = new Float64Array(n);
      const x2 = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const [hi, lo] = extremes(dd.rel, l, i);
        x1[i] = dd.scores[i * l + hi];
        x2[i] = dd.scores[i * l + lo];
      }
      const out = valueAndGrads([{ data: x1, shape: [n] }, { data: x2, shape: [n] }], (a, b) => fnOf(s)(a, b, f64(new Float64Array(n).fill(1), [n]), o));
      for (let i = 0; i < n; i++) {
        loss[i] = out.loss[i];
        grad[i] = Math.hypot(out.grads[0][i], out.grads[1][i]);
      }
      return { loss, grad };
    }
    case 'distance': {
      // Distances (d(a, p), d(a, n)) per query, targets (1, −1); the gradient is to the distances.
      const x = new Float64Array(2 * n);
      const t = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        x[2 * i] = dist(dd.anchor, dd.positive, i, d);
        x[2 * i + 1] = dist(dd.anchor, dd.negative, i, d);
        t[2 * i] = 1;
        t[2 * i + 1] = -1;
      }
      const out = valueAndGrads([{ data: x, shape: [n, 2] }], (a) => fnOf(s)(a, f64(t, [n, 2]), o));
      for (let i = 0; i < n; i++) {
        loss[i] = out.loss[2 * i] + out.loss[2 * i + 1];
        grad[i] = Math.hypot(out.grads[0][2 * i], out.grads[0][2 * i + 1]);
      }
      return { loss, grad };
    }
    case 'cosine': {
      // Rows 0…n−1: (anchor, positive, 1); rows n…2n−1: (anchor, negative, −1).
      const x1 = new Float64Array(2 * n * d);
      const x2 = new Float64Array(2 * n * d);
      x1.set(dd.anchor, 0);
      x1.set(dd.anchor, n * d);
      x2.set(dd.positive, 0);
      x2.set(dd.negative, n * d);
      const t = Float64Array.from({ length: 2 * n }, (_, i) => (i < n ? 1 : -1));
      const out = valueAndGrads([{ data: x1, shape: [2 * n, d] }, { data: x2, shape: [2 * n, d] }], (a, b) => fnOf(s)(a, b, f64(t, [2 * n]), o));
      const [g1, g2] = out.grads;
      for (let i = 0; i < n; i++) {
        loss[i] = out.loss[i] + out.loss[n + i];
        const ga = new Float64Array(d).map((_, k) => g1[i * d + k] + g1[(n + i) * d + k]);
        grad[i] = norm(ga, g2.subarray(i * d, i * d + d), g2.subarray((n + i) * d, (n + i + 1) * d));
      }
      return { loss, grad };
    }
    case 'triplet': {
      const out = valueAndGrads([dd.anchor, dd.positive, dd.negative].map((a) => ({ data: a, shape: [n, d] })), (a, p, q) => fnOf(s)(a, p, q, o));
      for (let i = 0; i < n; i++) {
        loss[i] = out.loss[i];
        grad[i] = norm(...out.grads.map((g) => g.subarray(i * d, i * d + d)));
      }
      return { loss, grad };
    }
    case 'contrastive': {
      for (const [b0, b1] of batches(n)) {
        const m = b1 - b0;
        const a = dd.anchor.subarray(b0 * d, b1 * d);
        const p = dd.positive.subarray(b0 * d, b1 * d);
        if (s.fn === 'ntXentLoss') {
          // 'none' gives the 2m anchors: z1's then z2's.
          const out = valueAndGrads([{ data: a, shape: [m, d] }, { data: p, shape: [m, d] }], (z1, z2) => fnOf(s)(z1, z2, o));
          for (let i = 0; i < m; i++) {
            loss[b0 + i] = (out.loss[i] + out.loss[m + i]) / 2;
            grad[b0 + i] = norm(out.grads[0].subarray(i * d, i * d + d), out.grads[1].subarray(i * d, i * d + d));
          }
        } else {
          // features (m, 2 views, d), labels the classes; 'none' gives (views, m).
          const feats = new Float64Array(m * 2 * d);
          for (let i = 0; i < m; i++) {
            feats.set(a.subarray(i * d, i * d + d), i * 2 * d);
            feats.set(p.subarray(i * d, i * d + d), i * 2 * d + d);
          }
          const labels = tensor(dd.cls.subarray(b0, b1).slice(), [m], { dtype: 'int32' });
          const out = valueAndGrads([{ data: feats, shape: [m, 2, d] }], (ft) => fnOf(s)(ft, labels, o));
          for (let i = 0; i < m; i++) {
            loss[b0 + i] = (out.loss[i] + out.loss[m + i]) / 2;
            grad[b0 + i] = norm(out.grads[0].subarray(i * 2 * d, (i + 1) * 2 * d));
          }
        }
      }
      return { loss, grad };
    }
    case 'list': {
      const out = valueAndGrads([{ data: dd.scores, shape: [n, l] }], (x) => fnOf(s)(x, f64(dd.rel, [n, l]), o));
      for (let i = 0; i < n; i++) {
        loss[i] = out.loss[i];
        grad[i] = norm(out.grads[0].subarray(i * l, i * l + l));
      }
      return { loss, grad };
    }
  }
}

// ---- Curves. Each point is its own small problem (the tests build the same ones independently).

/** Items of the list curve: item 0 relevant with score x, four irrelevant ones scored 0. */
export const LIST_ITEMS = 5;

/** The curve problem of spec `s` at x: its inputs, d(input)/dx, the call, and backward weights giving the per-sample value. */
export function curvePoint(key: string, s: Spec, x: number): { inputs: { data: number[]; shape: number[] }[]; dx: number[][]; call: (...t: Tensor[]) => Tensor; weights: number[] } {
  const o = { ...s.options, reduction: 'none' };
  const fn = fnOf(s);
  switch (key) {
    case 'pair': {
      if (s.fn === 'rankNetLoss') {
        return { inputs: [{ data: [x, 0], shape: [1, 2] }], dx: [[1, 0]], call: (a) => fn(a, f64([1, 0], [1, 2]), o), weights: [1] };
      }
      return { inputs: [{ data: [x], shape: [1] }, { data: [0], shape: [1] }], dx: [[1], [0]], call: (a, b) => fn(a, b, f64([1], [1]), o), weights: [1] };
    }
    case 'gap': {
      // d(a, p) = 1, d(a, n) = 1 + x: anchor (0, 0), positive (1, 0), negative (0, 1 + x). The
      // range stops at x = −0.5: at d(a, n) → 0 the distance's direction (and so its gradient)
      // is set by pairwise_distance's eps, not by the geometry.
      if (s.fn === 'hingeEmbeddingLoss') {
        return { inputs: [{ data: [1, 1 + x], shape: [1, 2] }], dx: [[0, 1]], call: (a) => fn(a, f64([1, -1], [1, 2]), o), weights: [1, 1] };
      }
      return {
        inputs: [{ data: [0, 0], shape: [1, 2] }, { data: [1, 0], shape: [1, 2] }, { data: [0, 1 + x], shape: [1, 2] }],
        dx: [[0, 0], [0, 0], [0, 1]],
        call: (a, p, q) => fn(a, p, q, o),
        weights: [1],
      };
    }
    case 'similarity': {
      // Two pairs in 3-D: (e1, u) with u = (x, √(1−x²), 0), so cos = x, and (e3, e3); every
      // cross similarity is 0. The sample is pair 0; pair 1's loss does not depend on x.
      const u = [x, Math.sqrt(1 - x * x), 0];
      const du = [1, -x / Math.sqrt(1 - x * x), 0];
      const e1 = [1, 0, 0];
      const e3 = [0, 0, 1];
      const z = [0, 0, 0];
      switch (s.fn) {
        case 'cosineEmbeddingLoss':
          // Pair 0's positive pair (e1, u, 1) and negative pair (e1, e3, −1).
          return { inputs: [{ data: [...e1, ...e1], shape: [2, 3] }, { data: [...u, ...e3], shape: [2, 3] }], dx: [[...z, ...z], [...du, ...z]], call: (a, b) => fn(a, b, f64([1, -1], [2]), o), weights: [1, 1] };
        case 'tripletMarginWithDistanceLoss':
          return { inputs: [{ data: e1, shape: [1, 3] }, { data: u, shape: [1, 3] }, { data: e3, shape: [1, 3] }], dx: [z, du, z], call: (a, p, q) => fn(a, p, q, o), weights: [1] };
        case 'ntXentLoss':
          // Anchors z1_0, z1_1, z2_0, z2_1: pair 0 is the mean of anchors 0 and 2.
          return { inputs: [{ data: [...e1, ...e3], shape: [2, 3] }, { data: [...u, ...e3], shape: [2, 3] }], dx: [[...z, ...z], [...du, ...z]], call: (a, b) => fn(a, b, o), weights: [0.5, 0, 0.5, 0] };
        case 'supConLoss':
          // features (2 samples, 2 views, 3), labels 0 and 1; 'none' is (views, samples).
          return { inputs: [{ data: [...e1, ...u, ...e3, ...e3], shape: [2, 2, 3] }], dx: [[...z, ...du, ...z, ...z]], call: (f) => fn(f, tensor([0, 1], [2], { dtype: 'int32' }), o), weights: [0.5, 0, 0.5, 0] };
      }
      break;
    }
    case 'list': {
      const rel = [1, 0, 0, 0, 0];
      return { inputs: [{ data: [x, 0, 0, 0, 0], shape: [1, LIST_ITEMS] }], dx: [[1, 0, 0, 0, 0]], call: (a) => fn(a, f64(rel, [1, LIST_ITEMS]), o), weights: [1] };
    }
  }
  throw new Error(`compare: internal: no curve '${key}' for ${s.fn}`);
}

/** Value (the weighted 'none' output) and lossfn's gradient along x at a curve point. */
function evalPoint(key: string, s: Spec, x: number): { value: number; grad: number } {
  const p = curvePoint(key, s, x);
  const out = valueAndGrads(p.inputs, p.call, p.weights);
  const value = p.weights.reduce((a, w, i) => a + w * out.loss[i], 0);
  const grad = out.grads.reduce((a, g, k) => a + p.dx[k].reduce((b, dv, j) => b + dv * g[j], 0), 0);
  return { value, grad };
}

const spec = (name: string): Spec => RANKING_LOSSES.find((s) => s.name === name) as Spec;
const RANKNET_PAIR: Spec = { ...spec('RankNet'), name: 'RankNet (a 2-item list)' };
const HINGE_M2: Spec = { ...spec('hinge embedding'), name: 'hinge embedding m=2', options: { margin: 2 } };

/** The curve plots: key, x range, the specs on it, labels. */
const CURVES: { key: string; x: number[]; specs: Spec[]; title: string; xLabel: string; yLabel: string; gradLabel: string }[] = [
  {
    key: 'pair', x: linspace(-3, 3, 161), specs: [spec('margin ranking'), spec('margin ranking m=1'), RANKNET_PAIR],
    title: 'Loss against the score margin of a pair (the first should rank higher)',
    xLabel: 'score margin s⁺ − s⁻ (score units) →', yLabel: '↑ loss per pair (score units; nats for RankNet)', gradLabel: '↑ ∂loss/∂s⁺ (per score unit)',
  },
  {
    key: 'gap', x: linspace(-0.5, 3, 161), specs: [spec('triplet'), spec('triplet m=0.2'), spec('hinge embedding'), HINGE_M2],
    title: 'Loss against the distance gap of a triplet (d(a, p) = 1)',
    xLabel: 'gap d(a, n) − d(a, p) (Euclidean distance units) →', yLabel: '↑ loss per triplet (distance units)', gradLabel: '↑ ∂loss/∂gap (per distance unit)',
  },
  {
    key: 'similarity', x: linspace(-0.95, 0.95, 161), specs: [spec('cosine embedding'), spec('triplet cosine'), spec('NT-Xent'), spec('NT-Xent τ=0.1'), spec('SupCon')],
    title: 'Loss against the cosine similarity of a positive pair (negatives orthogonal)',
    xLabel: 'cos(anchor, positive) →', yLabel: '↑ loss per pair (cosine units; nats for NT-Xent, SupCon)', gradLabel: '↑ ∂loss/∂cos',
  },
  {
    key: 'list', x: linspace(-4, 4, 161), specs: RANKING_LOSSES.filter((s) => s.kind === 'list'),
    title: `Loss against the relevant item's score in a list of ${LIST_ITEMS} (the others scored 0)`,
    xLabel: 'score of the one relevant item (score units) →', yLabel: '↑ loss per list (nats; −approximate NDCG for ApproxNDCG)', gradLabel: '↑ ∂loss/∂score',
  },
];

function dataset(l: number, scores: Float64Array, rel: Float64Array, d: number, anchor: Float64Array, positive: Float64Array, negative: Float64Array, cls: Int32Array, contaminated: Uint8Array): RankingData {
  return {
    n: scores.length / l, l, scores, rel, d, anchor, positive, negative, cls, contaminated,
    describe(i) {
      const [hi, lo] = extremes(rel, l, i);
      const list = `best (rel ${num(rel[i * l + hi])}) scored ${num(scores[i * l + hi])}, worst (rel ${num(rel[i * l + lo])}) ${num(scores[i * l + lo])}`;
      return d === 0 ? list : `${list}; d(a,p)=${num(dist(anchor, positive, i, d))} d(a,n)=${num(dist(anchor, negative, i, d))}`;
    },
  };
}

/** A unit vector near centre `c` of the k-th class. */
function embed(r: () => number, centres: Float64Array, k: number, out: Float64Array, at: number): void {
  let s = 0;
  for (let j = 0; j < D; j++) {
    const v = centres[k * D + j] + (SPREAD * gauss(r)) / Math.sqrt(D);
    out[at + j] = v;
    s += v * v;
  }
  s = Math.sqrt(s);
  for (let j = 0; j < D; j++) out[at + j] /= s;
}

/** K unit class centres drawn from the seed (nearly orthogonal in 16 dimensions). */
function centres(seed: number): Float64Array {
  const r = rng(seed ^ 0x1b873593);
  const c = new Float64Array(K * D);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += (c[k * D + j] = gauss(r)) ** 2;
    for (let j = 0; j < D; j++) c[k * D + j] /= Math.sqrt(s);
  }
  return c;
}

const otherClass = (r: () => number, not: number[]): number => {
  let k = Math.min(K - 1, Math.floor(r() * K));
  while (not.includes(k)) k = (k + 1) % K;
  return k;
};

const isList = (s: Spec): boolean => s.kind === 'list';
/** Whether every list has two different grades (a best and a worst item for the pair losses). */
const everyListHasPair = (d: RankingData): boolean => {
  for (let i = 0; i < d.n; i++) {
    const [hi, lo] = extremes(d.rel, d.l, i);
    if (hi < 0 || d.rel[i * d.l + hi] === d.rel[i * d.l + lo]) return false;
  }
  return true;
};

export const ranking: Family<RankingData> & { specs: Spec[] } = {
  name: 'ranking',
  title: 'Ranking and embedding',
  contamination: 'flipped relevance grades and wrong positives',
  specs: RANKING_LOSSES,
  losses: RANKING_LOSSES.map((s): LossEntry<RankingData> => ({
    name: s.name,
    // User data are lists only: the embedding losses need embeddings, the pair losses a best and a worst item.
    applicable: (d) => (isList(s) ? true : s.kind === 'pair' ? everyListHasPair(d) : d.d > 0),
    perSample: (d) => perSample(s, d),
  })),
  curves(): CurveSet[] {
    return CURVES.map((c) => {
      const loss: Series[] = [];
      const grad: Series[] = [];
      for (const s of c.specs) {
        const pts = c.x.map((x) => evalPoint(c.key, s, x));
        loss.push({ name: s.name, fn: s.fn, options: s.options, x: c.x, y: pts.map((p) => p.value) });
        grad.push({ name: s.name, fn: s.fn, options: s.options, x: c.x, y: pts.map((p) => p.grad) });
      }
      return { key: c.key, title: c.title, xLabel: c.xLabel, yLabel: c.yLabel, gradLabel: c.gradLabel, loss, grad };
    });
  },
  builtIn(n, seed) {
    const r = rng(seed);
    const cen = centres(seed);
    const scores = new Float64Array(n * L);
    const rel = new Float64Array(n * L);
    const anchor = new Float64Array(n * D);
    const positive = new Float64Array(n * D);
    const negative = new Float64Array(n * D);
    const cls = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      // Grades 0–3 at random, at least one 0 and one 3 so every list has a best and a worst item;
      // scores follow the grade with noise (a decent ranker).
      for (let j = 0; j < L; j++) rel[i * L + j] = Math.min(3, Math.floor(r() * 4));
      const a = Math.min(L - 1, Math.floor(r() * L));
      rel[i * L + a] = 3;
      rel[i * L + ((a + 1 + Math.min(L - 2, Math.floor(r() * (L - 1)))) % L)] = 0;
      for (let j = 0; j < L; j++) scores[i * L + j] = 0.8 * rel[i * L + j] + gauss(r);
      cls[i] = Math.min(K - 1, Math.floor(r() * K));
      embed(r, cen, cls[i], anchor, i * D);
      embed(r, cen, cls[i], positive, i * D);
      embed(r, cen, otherClass(r, [cls[i]]), negative, i * D);
    }
    return dataset(L, scores, rel, D, anchor, positive, negative, cls, new Uint8Array(n));
  },
  contaminate(base, which, seed) {
    const r = rng(seed ^ 0x85ebca6b);
    const cen = centres(seed);
    const rel = base.rel.slice();
    const positive = base.positive.slice();
    const flags = base.contaminated.slice();
    const l = base.l;
    for (const i of which) {
      // Flip the grades within the list's range (pads stay): the best item is labelled worst.
      let hi = -Infinity;
      let lo = Infinity;
      for (let j = 0; j < l; j++) if (rel[i * l + j] >= 0) ((hi = Math.max(hi, rel[i * l + j])), (lo = Math.min(lo, rel[i * l + j])));
      for (let j = 0; j < l; j++) if (rel[i * l + j] >= 0) rel[i * l + j] = hi + lo - rel[i * l + j];
      if (base.d > 0) embed(r, cen, otherClass(r, [base.cls[i]]), positive, i * base.d);
      flags[i] = 1;
    }
    return dataset(l, base.scores, rel, base.d, base.anchor, positive, base.negative, base.cls, flags);
  },
  // Below regression: an (N, L) pair of the same shape is read as lists only with --family ranking.
  specificity: -1,
  accepts: (input, target) => input.length === 2 && target.length === 2 && input[0] === target[0] && input[1] === target[1] && input[1] >= 2,
  fromUser(input: Dense, target: Dense, names) {
    if (input.shape.length !== 2 || target.shape.join() !== input.shape.join() || input.shape[1] < 2) {
      throw new CompareError(null, `argument '${names.target}': ranking needs scores (N, L) and relevance (N, L) with L ≥ 2, got [${input.shape}] and [${target.shape}]`);
    }
    const [n, l] = input.shape;
    for (let i = 0; i < n; i++) {
      let real = 0;
      for (let j = 0; j < l; j++) {
        const v = target.data[i * l + j];
        if (v < 0 && v !== -1) throw new CompareError(null, `argument '${names.target}': relevance ${v} at row ${i} is negative (−1 marks padding, grades are ≥ 0)`);
        if (v >= 0) real++;
      }
      if (real === 0) throw new CompareError(null, `argument '${names.target}': list ${i} is all padding (−1)`);
    }
    const none = new Float64Array(0);
    return dataset(l, input.data, target.data, 0, none, none, none, new Int32Array(n), new Uint8Array(n));
  },
  subset(d, idx) {
    const emb = (a: Float64Array) => (d.d > 0 ? gatherRows(a, d.d, idx) : a);
    return dataset(d.l, gatherRows(d.scores, d.l, idx), gatherRows(d.rel, d.l, idx), d.d, emb(d.anchor), emb(d.positive), emb(d.negative), gatherRows(d.cls, 1, idx), gatherFlags(d.contaminated, idx));
  },
};
