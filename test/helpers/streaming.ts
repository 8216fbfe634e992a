// Data for the streaming-metric tests: one generator per loss family, producing the loss's
// tensor arguments for n samples (batch dimension 0), plus slicing and concatenation along
// dimension 0. Seeded (mulberry32), so a failing fast-check case replays.

import { tensor, type DType, type FloatDType, type Tensor } from '../../ts/index.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const normal = (r: () => number): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** A tensor from a generator: `shape` = [n, ...rest]. */
function make(shape: number[], dtype: DType, f: (i: number) => number): Tensor {
  const len = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: len }, (_, i) => f(i));
  return tensor(data, shape, { dtype });
}

const C = 4;

/** Log-softmax rows of width `c` (probability-like inputs). */
function logSoftmaxRows(v: number[], c: number): number[] {
  const out = v.slice();
  for (let r = 0; r < v.length / c; r++) {
    const row = v.slice(r * c, (r + 1) * c);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
    for (let k = 0; k < c; k++) out[r * c + k] = row[k] - lse;
  }
  return out;
}

export interface Case {
  /** Label of the case (loss name + variant). */
  label: string;
  loss: string;
  options: Record<string, unknown>;
  /** The loss's tensor arguments for n samples. */
  data(n: number, dtype: FloatDType, seed: number): Tensor[];
}

const idx = (n: number, r: () => number, c: number, ignoreEvery = 0): Tensor =>
  tensor(Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 3 ? -100 : Math.floor(r() * c))), [n], { dtype: 'int64' });

const pair = (tf: (r: () => number) => number, xf: (r: () => number) => number = normal, cols = 3) =>
  (n: number, dtype: FloatDType, seed: number): Tensor[] => {
    const r = rng(seed);
    return [make([n, cols], dtype, () => xf(r)), make([n, cols], dtype, () => tf(r))];
  };

const unit = (r: () => number): number => r();
const prob = (r: () => number): number => 0.02 + 0.96 * r();
const pm1 = (r: () => number): number => (r() < 0.5 ? -1 : 1);

/** Every loss of the streaming table, with one or more option variants. */
export const CASES: Case[] = [
  { label: 'l1Loss', loss: 'l1Loss', options: {}, data: pair(normal) },
  { label: 'mseLoss sum', loss: 'mseLoss', options: { reduction: 'sum' }, data: pair(normal) },
  { label: 'mseLoss', loss: 'mseLoss', options: {}, data: pair(normal) },
  { label: 'smoothL1Loss beta 0.5', loss: 'smoothL1Loss', options: { beta: 0.5 }, data: pair(normal) },
  { label: 'huberLoss delta 2', loss: 'huberLoss', options: { delta: 2 }, data: pair(normal) },
  { label: 'poissonNllLoss full', loss: 'poissonNllLoss', options: { full: true }, data: pair((r) => Math.floor(r() * 5)) },
  {
    label: 'gaussianNllLoss (var per row)', loss: 'gaussianNllLoss', options: { full: true },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3], dtype, () => normal(r)), make([n, 3], dtype, () => normal(r)), make([n], dtype, () => 0.1 + r())];
    },
  },
  { label: 'meanAbsolutePercentageError', loss: 'meanAbsolutePercentageError', options: {}, data: pair((r) => 0.5 + r()) },
  { label: 'meanSquaredLogarithmicError', loss: 'meanSquaredLogarithmicError', options: {}, data: pair(unit, unit) },
  { label: 'logCosh', loss: 'logCosh', options: {}, data: pair(normal) },
  { label: 'binaryCrossEntropy', loss: 'binaryCrossEntropy', options: {}, data: pair(unit, prob) },
  {
    label: 'binaryCrossEntropyWithLogits posWeight', loss: 'binaryCrossEntropyWithLogits',
    options: { posWeight: tensor([1, 2, 0.5], [3], { dtype: 'float64' }) }, data: pair(unit),
  },
  { label: 'softMarginLoss', loss: 'softMarginLoss', options: {}, data: pair(pm1) },
  { label: 'sigmoidFocalLoss (default → mean)', loss: 'sigmoidFocalLoss', options: {}, data: pair((r) => (r() < 0.3 ? 1 : 0)) },
  { label: 'hinge {0,1}', loss: 'hinge', options: {}, data: pair((r) => (r() < 0.5 ? 0 : 1)) },
  // Mostly {0, 1} with a rare −1: some batches are all {0, 1} and some are not.
  { label: 'hinge mixed labels', loss: 'hinge', options: {}, data: pair((r) => (r() < 0.03 ? -1 : r() < 0.5 ? 0 : 1)) },
  { label: 'squaredHinge mixed labels', loss: 'squaredHinge', options: { reduction: 'sum' }, data: pair((r) => (r() < 0.03 ? -1 : r() < 0.5 ? 0 : 1)) },
  {
    label: 'crossEntropy weight ignoreIndex labelSmoothing', loss: 'crossEntropy',
    options: { weight: tensor([0.5, 1, 2, 1.5], [4], { dtype: 'float64' }), labelSmoothing: 0.1 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r) * 2), idx(n, r, C, 5)];
    },
  },
  {
    label: 'crossEntropy K-dim', loss: 'crossEntropy', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C, 2], dtype, () => normal(r)), tensor(Array.from({ length: n * 2 }, () => Math.floor(r() * C)), [n, 2], { dtype: 'int32' })];
    },
  },
  {
    label: 'crossEntropy probabilities', loss: 'crossEntropy', options: { weight: tensor([1, 2, 1, 1], [4], { dtype: 'float64' }) },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      const t = Array.from({ length: n * C }, () => r());
      for (let i = 0; i < n; i++) {
        const s = t.slice(i * C, (i + 1) * C).reduce((a, b) => a + b, 0);
        for (let k = 0; k < C; k++) t[i * C + k] /= s;
      }
      return [make([n, C], dtype, () => normal(r)), tensor(t, [n, C], { dtype })];
    },
  },
  {
    label: 'nllLoss weight ignoreIndex', loss: 'nllLoss', options: { weight: tensor([1, 3, 0.5, 2], [4], { dtype: 'float64' }) },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [tensor(logSoftmaxRows(Array.from({ length: n * C }, () => normal(r)), C), [n, C], { dtype }), idx(n, r, C, 4)];
    },
  },
  {
    label: 'softmaxFocalLoss', loss: 'softmaxFocalLoss', options: { gamma: 1.5 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r)), idx(n, r, C, 6)];
    },
  },
  {
    label: 'polyLoss weight', loss: 'polyLoss', options: { epsilon: 2, weight: tensor([1, 1, 2, 3], [4], { dtype: 'float64' }) },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r)), idx(n, r, C)];
    },
  },
  ...(['mean', 'sum', 'batchmean'] as const).map((reduction): Case => ({
    label: `klDiv ${reduction}`, loss: 'klDiv', options: { reduction },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      const q = logSoftmaxRows(Array.from({ length: n * C }, () => normal(r)), C).map(Math.exp);
      return [tensor(logSoftmaxRows(Array.from({ length: n * C }, () => normal(r)), C), [n, C], { dtype }), tensor(q, [n, C], { dtype })];
    },
  })),
  { label: 'distillationLoss (batchmean)', loss: 'distillationLoss', options: { temperature: 2 }, data: pair(normal, normal, C) },
  {
    label: 'multilabelSoftMarginLoss weight', loss: 'multilabelSoftMarginLoss',
    options: { weight: tensor([1, 2, 0.5], [3], { dtype: 'float64' }) }, data: pair((r) => (r() < 0.4 ? 1 : 0)),
  },
  {
    label: 'categoricalHinge', loss: 'categoricalHinge', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      const ys = Array.from({ length: n }, () => Math.floor(r() * C));
      return [make([n, C], dtype, () => normal(r)), make([n, C], dtype, (i) => (ys[Math.floor(i / C)] === i % C ? 1 : 0))];
    },
  },
  {
    label: 'multiMarginLoss p 2', loss: 'multiMarginLoss', options: { p: 2, margin: 0.5 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r)), idx(n, r, C)];
    },
  },
  {
    label: 'multilabelMarginLoss', loss: 'multilabelMarginLoss', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = Math.floor(r() * C);
        for (let j = 0; j < C; j++) t.push(j < k ? (j * 3 + i) % C : -1);
      }
      return [make([n, C], dtype, () => normal(r)), tensor(t, [n, C], { dtype: 'int64' })];
    },
  },
  {
    label: 'zeroOneLoss', loss: 'zeroOneLoss', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r)), idx(n, r, C)];
    },
  },
  // Localization: boxes (x1, y1, x2, y2) with positive sizes, and the dense-detector losses.
  ...(['generalizedBoxIouLoss', 'distanceBoxIouLoss', 'completeBoxIouLoss', 'boxIouLoss', 'efficientBoxIouLoss', 'scyllaBoxIouLoss'] as const)
    .map((loss): Case => ({
      label: `${loss} (mean)`, loss, options: { reduction: 'mean' },
      data: (n, dtype, seed) => {
        const r = rng(seed);
        const box = (i: number, b: number[]) => (i % 4 < 2 ? (b[i % 4] = 4 * r()) : b[i % 4 - 2] + 0.5 + 3 * r());
        const a: number[] = [];
        const boxes = () => make([n, 4], dtype, (i) => box(i, a));
        return [boxes(), boxes()];
      },
    })),
  { label: 'balancedL1Loss', loss: 'balancedL1Loss', options: {}, data: pair(normal) },
  { label: 'varifocalLoss', loss: 'varifocalLoss', options: {}, data: pair((r) => (r() < 0.6 ? 0 : r())) },
  {
    label: 'qualityFocalLoss', loss: 'qualityFocalLoss', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r)), tensor(Array.from({ length: n }, () => Math.floor(r() * (C + 1))), [n], { dtype: 'int64' }),
        make([n], dtype, () => r())];
    },
  },
  {
    label: 'distributionFocalLoss', loss: 'distributionFocalLoss', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C + 1], dtype, () => normal(r)), make([n], dtype, () => C * r())];
    },
  },
  // Segmentation: (n, 3, 4) logits (images of 4 pixels), class indices, soft labels, 0/1 masks.
  {
    label: 'diceLoss multiclass', loss: 'diceLoss', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3, 4], dtype, () => 2 * normal(r)), tensor(Array.from({ length: 4 * n }, () => Math.floor(r() * 3)), [n, 4], { dtype: 'int64' })];
    },
  },
  {
    label: 'jaccardLoss multilabel soft labels smooth', loss: 'jaccardLoss', options: { smooth: 0.5 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3, 4], dtype, () => 2 * normal(r)), make([n, 3, 4], dtype, () => r())];
    },
  },
  {
    label: 'tverskyLoss focal classes', loss: 'tverskyLoss', options: { alpha: 0.3, beta: 0.7, gamma: 1.5, classes: [0, 2] },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3, 4], dtype, () => 2 * normal(r)), tensor(Array.from({ length: 4 * n }, () => Math.floor(r() * 3)), [n, 4], { dtype: 'int64' })];
    },
  },
  {
    label: 'mccLoss', loss: 'mccLoss', options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 5], dtype, () => r()), make([n, 5], dtype, () => (r() < 0.4 ? 1 : 0))];
    },
  },
  ...[{}, { batch: true, wType: 'simple' }].map((extra): Case => ({
    label: `generalizedDiceLoss ${JSON.stringify(extra)}`, loss: 'generalizedDiceLoss', options: { softmax: true, toOnehotY: true, ...extra },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3, 4], dtype, () => 2 * normal(r)), tensor(Array.from({ length: 4 * n }, () => Math.floor(r() * 3)), [n, 1, 4], { dtype: 'int64' })];
    },
  })),
  {
    label: 'lovaszHingeLoss perImage', loss: 'lovaszHingeLoss', options: { perImage: true },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 6], dtype, () => 2 * normal(r)), tensor(Array.from({ length: 6 * n }, () => (r() < 0.5 ? 1 : 0)), [n, 6], { dtype: 'int64' })];
    },
  },
  {
    label: 'lovaszSoftmaxLoss perImage', loss: 'lovaszSoftmaxLoss', options: { perImage: true },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3, 4], dtype, () => 2 * normal(r)), tensor(Array.from({ length: 4 * n }, () => Math.floor(r() * 3)), [n, 4], { dtype: 'int64' })];
    },
  },
  ...(['arcFaceLoss', 'cosFaceLoss', 'sphereFaceLoss'] as const).map((loss): Case => ({
    label: loss, loss, options: { scale: 8 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => 2 * r() - 1), idx(n, r, C)];
    },
  })),
  // Ranking and embedding: pairs/triplets of embeddings (N, D), padded lists (B, L) with −1 pads.
  {
    label: 'marginRankingLoss margin 0.2', loss: 'marginRankingLoss', options: { margin: 0.2 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, 3], dtype, () => normal(r)), make([n, 3], dtype, () => normal(r)), make([n, 3], dtype, () => pm1(r))];
    },
  },
  { label: 'hingeEmbeddingLoss', loss: 'hingeEmbeddingLoss', options: { margin: 1.5 }, data: pair(pm1, (r) => 2 * r()) },
  {
    label: 'cosineEmbeddingLoss margin 0.1', loss: 'cosineEmbeddingLoss', options: { margin: 0.1 },
    data: (n, dtype, seed) => {
      const r = rng(seed);
      return [make([n, C], dtype, () => normal(r)), make([n, C], dtype, () => normal(r)), make([n], dtype, () => pm1(r))];
    },
  },
  ...([['tripletMarginLoss', { swap: true }], ['tripletMarginWithDistanceLoss', { distanceFunction: 'cosine' }]] as const)
    .map(([loss, options]): Case => ({
      label: `${loss} ${JSON.stringify(options)}`, loss, options,
      data: (n, dtype, seed) => {
        const r = rng(seed);
        return [make([n, C], dtype, () => normal(r)), make([n, C], dtype, () => normal(r)), make([n, C], dtype, () => normal(r))];
      },
    })),
  ...(['rankNetLoss', 'listNetLoss', 'listMleLoss', 'approxNdcgLoss'] as const).map((loss): Case => ({
    label: `${loss} (padded lists)`, loss, options: {},
    data: (n, dtype, seed) => {
      const r = rng(seed);
      // Relevance 0–3 with ties, and −1 pads at the end of about a third of the lists.
      const len = 6;
      const pads = Array.from({ length: n }, () => (r() < 0.35 ? 1 + Math.floor(r() * 3) : 0));
      return [make([n, len], dtype, () => normal(r)), make([n, len], dtype, (i) => (i % len >= len - pads[Math.floor(i / len)] ? -1 : Math.floor(r() * 4)))];
    },
  })),
];

/** Rows [a, b) of a tensor along dimension 0. */
export function rows(t: Tensor, a: number, b: number): Tensor {
  const per = t.shape.slice(1).reduce((x, y) => x * y, 1);
  return tensor(t.data.slice(a * per, b * per) as never, [b - a, ...t.shape.slice(1)]);
}

/** Concatenation along dimension 0. */
export function cat(ts: Tensor[]): Tensor {
  const len = ts.reduce((a, t) => a + t.data.length, 0);
  const Ctor = ts[0].data.constructor as new (n: number) => Float32Array;
  const out = new Ctor(len);
  let at = 0;
  for (const t of ts) {
    out.set(t.data as Float32Array, at);
    at += t.data.length;
  }
  return tensor(out as never, [ts.reduce((a, t) => a + t.shape[0], 0), ...ts[0].shape.slice(1)]);
}
