// Regression: losses against the residual r = x − t. Curves at t = 5 (so that the Poisson
// variants, which need a positive rate, share the axis); the built-in data are positive
// count-like targets with predictions t + N(0, 1); contamination adds target outliers.

import { F, tensor, type Tensor } from '../../index.js';
import { gauss, rng } from '../stats.js';
import { CompareError, gatherFlags, gatherRows, linspace, num, valueAndGrad, type CurveSet, type Dataset, type Dense, type Family, type LossEntry } from './family.js';

export interface RegressionData extends Dataset {
  x: Float64Array;
  t: Float64Array;
}

/** How a loss takes the prediction: as it is, or as log λ (Poisson with logInput). */
type Link = 'identity' | 'log';

interface Spec {
  name: string;
  fn: 'mseLoss' | 'l1Loss' | 'huberLoss' | 'smoothL1Loss' | 'logCosh' | 'poissonNllLoss';
  options: Record<string, unknown>;
  link: Link;
}

/** The losses and the option values the report shows (defaults first). */
export const REGRESSION_LOSSES: Spec[] = [
  { name: 'MSE', fn: 'mseLoss', options: {}, link: 'identity' },
  { name: 'L1', fn: 'l1Loss', options: {}, link: 'identity' },
  { name: 'Huber δ=1', fn: 'huberLoss', options: { delta: 1 }, link: 'identity' },
  { name: 'Huber δ=3', fn: 'huberLoss', options: { delta: 3 }, link: 'identity' },
  { name: 'smooth-L1 β=2', fn: 'smoothL1Loss', options: { beta: 2 }, link: 'identity' },
  { name: 'log-cosh', fn: 'logCosh', options: {}, link: 'identity' },
  // Poisson with `full` (the Stirling term): without it a sample's value lacks t·log t − t, can
  // be negative and is not comparable across targets, so its mean and rankings would mislead.
  { name: 'Poisson NLL (log λ)', fn: 'poissonNllLoss', options: { logInput: true, full: true }, link: 'log' },
  { name: 'Poisson NLL (λ)', fn: 'poissonNllLoss', options: { logInput: false, full: true }, link: 'identity' },
];

/** The target the curves are drawn at. */
export const CURVE_TARGET = 5;

const call = (s: Spec) => (x: Tensor, t: Tensor): Tensor =>
  (F[s.fn] as (x: Tensor, t: Tensor, o: Record<string, unknown>) => Tensor)(x, t, { ...s.options, reduction: 'none' });

/** The model's output for prediction λ under the loss's link. */
const linkOf = (s: Spec, lambda: number): number => (s.link === 'log' ? Math.log(lambda) : lambda);

function perSample(s: Spec, d: RegressionData) {
  const input = s.link === 'log' ? d.x.map(Math.log) : d.x;
  const { loss, grad } = valueAndGrad(input, [d.n], (x) => call(s)(x, targetTensor(d.t)));
  return { loss, grad: grad.map(Math.abs) };
}

const targetTensor = (t: Float64Array): Tensor => tensor(t, [t.length], { dtype: 'float64' });

/** Poisson with λ as input needs λ > 0; with log λ, λ > 0 too; both need targets ≥ 0. */
const applicable = (s: Spec, d: RegressionData): boolean =>
  s.fn !== 'poissonNllLoss' || (d.x.every((v) => v > 0) && d.t.every((v) => v >= 0));

function dataset(x: Float64Array, t: Float64Array, contaminated: Uint8Array): RegressionData {
  return { n: x.length, x, t, contaminated, describe: (i) => `t=${num(t[i])} x=${num(x[i])}` };
}

export const regression: Family<RegressionData> & { specs: Spec[] } = {
  name: 'regression',
  title: 'Regression',
  contamination: 'target outliers (t + 10…30)',
  specs: REGRESSION_LOSSES,
  losses: REGRESSION_LOSSES.map((s): LossEntry<RegressionData> => ({
    name: s.name,
    applicable: (d: RegressionData) => applicable(s, d),
    perSample: (d) => perSample(s, d),
  })),
  curves(): CurveSet[] {
    const t = CURVE_TARGET;
    const r = linspace(-4, 4, 161);
    const loss = [];
    const grad = [];
    for (const s of REGRESSION_LOSSES) {
      const input = Float64Array.from(r, (v) => linkOf(s, t + v));
      const out = valueAndGrad(input, [r.length], (x) => call(s)(x, targetTensor(new Float64Array(r.length).fill(t))));
      loss.push({ name: s.name, fn: s.fn, options: s.options, x: r, y: Array.from(out.loss) });
      // Chain rule for the log link: input = log(t + r), so ∂L/∂r = ∂L/∂input / (t + r).
      grad.push({ name: s.name, fn: s.fn, options: s.options, x: r, y: Array.from(out.grad, (g, i) => (s.link === 'log' ? g / (t + r[i]) : g)) });
    }
    return [{
      key: 'residual',
      title: `Loss against the residual (target t = ${t})`,
      xLabel: 'residual r = x − t (target units) →',
      yLabel: '↑ loss per sample (target units, units² for MSE, nats for Poisson)',
      gradLabel: '↑ ∂loss/∂r (per target unit)',
      loss,
      grad,
    }];
  },
  builtIn(n, seed) {
    const r = rng(seed);
    const t = new Float64Array(n);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = 2 + 18 * r();
      x[i] = Math.max(0.2, t[i] + gauss(r));
    }
    return dataset(x, t, new Uint8Array(n));
  },
  contaminate(base, which, seed) {
    const r = rng(seed ^ 0x5bd1e995);
    const t = base.t.slice();
    const c = base.contaminated.slice();
    for (const i of which) {
      t[i] += 10 + 20 * r();
      c[i] = 1;
    }
    return dataset(base.x, t, c);
  },
  specificity: 0,
  accepts: (input, target) => input.length === target.length && input.every((v, i) => v === target[i]),
  fromUser(input: Dense, target: Dense, names) {
    if (input.data.length !== target.data.length || input.shape.join() !== target.shape.join()) {
      throw new CompareError(null, `argument '${names.target}': regression needs input and target of the same shape, got [${input.shape}] and [${target.shape}]`);
    }
    return dataset(input.data, target.data, new Uint8Array(input.data.length));
  },
  subset(d, idx) {
    return dataset(gatherRows(d.x, 1, idx), gatherRows(d.t, 1, idx), gatherFlags(d.contaminated, idx));
  },
};
