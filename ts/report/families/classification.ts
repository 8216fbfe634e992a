// Classification: losses against the true-class margin m = z_y − max_{c≠y} z_c, with p_y on a
// top axis. Curves on rows of C = 10 logits with z_y = m and every other logit 0 (so the margin
// is m and p_y = e^m / (e^m + C − 1)); the built-in data are 10-class logits with a clear true
// class; contamination flips labels to a wrong class.

import { F, tensor, type Tensor } from '../../index.js';
import { gauss, rng } from '../stats.js';
import { CompareError, gatherFlags, gatherRows, linspace, num, rowNorms, valueAndGrad, type CurveSet, type Dataset, type Dense, type Family, type LossEntry } from './family.js';

export interface ClassificationData extends Dataset {
  /** Classes. */
  c: number;
  /** Logits, n × c. */
  z: Float64Array;
  y: Int32Array;
}

interface Spec {
  name: string;
  fn: 'crossEntropy' | 'softmaxFocalLoss' | 'polyLoss' | 'multiMarginLoss' | 'categoricalHinge';
  options: Record<string, unknown>;
  /** categoricalHinge takes one-hot targets; the others class indices. */
  oneHot?: boolean;
}

export const CLASSIFICATION_LOSSES: Spec[] = [
  { name: 'cross-entropy', fn: 'crossEntropy', options: {} },
  { name: 'CE ε=0.1', fn: 'crossEntropy', options: { labelSmoothing: 0.1 } },
  { name: 'focal γ=2', fn: 'softmaxFocalLoss', options: { gamma: 2 } },
  { name: 'focal γ=5', fn: 'softmaxFocalLoss', options: { gamma: 5 } },
  { name: 'poly ε=1', fn: 'polyLoss', options: { epsilon: 1 } },
  { name: 'multi-margin p=1', fn: 'multiMarginLoss', options: { p: 1 } },
  { name: 'multi-margin p=2', fn: 'multiMarginLoss', options: { p: 2 } },
  { name: 'categorical hinge', fn: 'categoricalHinge', options: {}, oneHot: true },
];

/** Classes of the curves and the built-in data. */
export const CURVE_CLASSES = 10;

function targetTensor(s: Spec, y: Int32Array, c: number): Tensor {
  if (!s.oneHot) return tensor(y, [y.length], { dtype: 'int32' });
  const oh = new Float64Array(y.length * c);
  y.forEach((k, i) => (oh[i * c + k] = 1));
  return tensor(oh, [y.length, c], { dtype: 'float64' });
}

const call = (s: Spec, y: Int32Array, c: number) => (x: Tensor): Tensor =>
  (F[s.fn] as (x: Tensor, t: Tensor, o: Record<string, unknown>) => Tensor)(x, targetTensor(s, y, c), { ...s.options, reduction: 'none' });

/** p_y of a row with z_y = m and C − 1 zeros. */
export const marginToP = (m: number, c = CURVE_CLASSES): number => 1 / (1 + (c - 1) * Math.exp(-m));
const pToMargin = (p: number, c = CURVE_CLASSES): number => Math.log((p * (c - 1)) / (1 - p));

function dataset(c: number, z: Float64Array, y: Int32Array, contaminated: Uint8Array): ClassificationData {
  return {
    n: y.length, c, z, y, contaminated,
    describe(i) {
      const row = z.subarray(i * c, i * c + c);
      let arg = 0;
      for (let k = 1; k < c; k++) if (row[k] > row[arg]) arg = k;
      let other = -Infinity;
      for (let k = 0; k < c; k++) if (k !== y[i]) other = Math.max(other, row[k]);
      return `y=${y[i]} argmax=${arg} margin=${num(row[y[i]] - other)}`;
    },
  };
}

export const classification: Family<ClassificationData> & { specs: Spec[] } = {
  name: 'classification',
  title: 'Classification',
  contamination: 'wrong labels',
  specs: CLASSIFICATION_LOSSES,
  losses: CLASSIFICATION_LOSSES.map((s): LossEntry<ClassificationData> => ({
    name: s.name,
    perSample(d) {
      const { loss, grad } = valueAndGrad(d.z, [d.n, d.c], call(s, d.y, d.c));
      return { loss, grad: rowNorms(grad, d.c) };
    },
  })),
  curves(): CurveSet[] {
    const c = CURVE_CLASSES;
    const m = linspace(-6, 6, 161);
    const z = new Float64Array(m.length * c);
    m.forEach((v, i) => (z[i * c] = v));
    const y = new Int32Array(m.length);
    const loss = [];
    const grad = [];
    for (const s of CLASSIFICATION_LOSSES) {
      const out = valueAndGrad(z, [m.length, c], call(s, y, c));
      loss.push({ name: s.name, fn: s.fn, options: s.options, x: m, y: Array.from(out.loss) });
      // Only z_y moves with m (the other logits stay 0), so ∂L/∂m = ∂L/∂z_y.
      grad.push({ name: s.name, fn: s.fn, options: s.options, x: m, y: m.map((_, i) => out.grad[i * c]) });
    }
    const ps = [0.01, 0.1, 0.5, 0.9, 0.99];
    return [{
      key: 'margin',
      title: `Loss against the true-class margin (${c} classes, other logits 0)`,
      xLabel: 'margin m = z_y − max other logit (logits) →',
      yLabel: '↑ loss per sample (nats; logit units for the margin losses)',
      gradLabel: '↑ ∂loss/∂z_y (per logit)',
      topAxis: { label: 'p_y (softmax probability of the true class)', ticks: ps.map((p) => pToMargin(p)), labels: ps.map(String) },
      loss,
      grad,
    }];
  },
  builtIn(n, seed) {
    const c = CURVE_CLASSES;
    const r = rng(seed);
    const z = new Float64Array(n * c);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = Math.min(c - 1, Math.floor(r() * c));
      for (let k = 0; k < c; k++) z[i * c + k] = gauss(r);
      z[i * c + y[i]] += 2.5 + gauss(r);
    }
    return dataset(c, z, y, new Uint8Array(n));
  },
  contaminate(base, which, seed) {
    const r = rng(seed ^ 0x27d4eb2d);
    const y = base.y.slice();
    const flags = base.contaminated.slice();
    for (const i of which) {
      y[i] = (y[i] + 1 + Math.min(base.c - 2, Math.floor(r() * (base.c - 1)))) % base.c;
      flags[i] = 1;
    }
    return dataset(base.c, base.z, y, flags);
  },
  specificity: 1,
  accepts: (input, target) => input.length === 2 && target.length === 1 && input[0] === target[0] && input[1] >= 2,
  fromUser(input: Dense, target: Dense, names) {
    const [n, c] = input.shape;
    if (input.shape.length !== 2 || target.shape.length !== 1 || target.shape[0] !== n) {
      throw new CompareError(null, `argument '${names.target}': classification needs input (N, C) and target (N), got [${input.shape}] and [${target.shape}]`);
    }
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = target.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= c) {
        throw new CompareError(null, `argument '${names.target}': class index ${v} at row ${i} is not an integer in [0, ${c}) (${names.input} has ${c} classes)`);
      }
      y[i] = v;
    }
    return dataset(c, input.data, y, new Uint8Array(n));
  },
  subset(d, idx) {
    return dataset(d.c, gatherRows(d.z, d.c, idx), gatherRows(d.y, 1, idx), gatherFlags(d.contaminated, idx));
  },
};
