// Plain-JS float64 references of the elementwise losses, one formula each, written as the
// docs state them (PyTorch / Keras). Used by the property tests, never by the library.

export interface ElementwiseRef {
  /** F function name. */
  fn: string;
  options?: Record<string, unknown>;
  /** Value domains the random inputs are drawn from: [min, max] for input, target, var. */
  domain: { input: [number, number]; target: [number, number]; var?: [number, number] };
  /** Per-element loss and its partial derivatives (∂input, ∂target, ∂var). */
  f(x: number, t: number, v: number): [number, number, number, number];
}

const sign = (d: number) => (d > 0 ? 1 : d < 0 ? -1 : 0);
const EPS_KERAS = 1e-7;

export const ELEMENTWISE_REFS: ElementwiseRef[] = [
  { fn: 'l1Loss', domain: { input: [-10, 10], target: [-10, 10] }, f: (x, t) => [Math.abs(x - t), sign(x - t), -sign(x - t), 0] },
  { fn: 'mseLoss', domain: { input: [-10, 10], target: [-10, 10] }, f: (x, t) => [(x - t) ** 2, 2 * (x - t), -2 * (x - t), 0] },
  ...[0.5, 2].map((beta) => ({
    fn: 'smoothL1Loss', options: { beta }, domain: { input: [-5, 5], target: [-5, 5] },
    f: (x: number, t: number): [number, number, number, number] => {
      const d = x - t;
      const g = Math.max(-1, Math.min(1, d / beta));
      return [Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta, g, -g, 0];
    },
  }) as ElementwiseRef),
  ...[0.3, 1].map((delta) => ({
    fn: 'huberLoss', options: { delta }, domain: { input: [-5, 5], target: [-5, 5] },
    f: (x: number, t: number): [number, number, number, number] => {
      const d = x - t;
      const g = Math.max(-delta, Math.min(delta, d));
      return [Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta), g, -g, 0];
    },
  }) as ElementwiseRef),
  {
    fn: 'poissonNllLoss', options: { logInput: true, full: true }, domain: { input: [-5, 5], target: [0, 8] },
    f: (x, t) => {
      const st = t > 1 ? t * Math.log(t) - t + 0.5 * Math.log(2 * Math.PI * t) : 0;
      // PyTorch's autograd through masked_fill: 0·(−inf) = NaN at t = 0.
      const dst = t > 1 ? Math.log(t) + 0.5 / t : t > 0 ? 0 : Number.NaN;
      return [Math.exp(x) - t * x + st, Math.exp(x) - t, -x + dst, 0];
    },
  },
  {
    fn: 'poissonNllLoss', options: { logInput: false, eps: 1e-8 }, domain: { input: [0.01, 10], target: [0, 8] },
    f: (x, t) => [x - t * Math.log(x + 1e-8), 1 - t / (x + 1e-8), -Math.log(x + 1e-8), 0],
  },
  {
    fn: 'gaussianNllLoss', options: { full: true, eps: 1e-6 }, domain: { input: [-5, 5], target: [-5, 5], var: [0.05, 4] },
    f: (x, t, v) => {
      const d = x - t;
      return [0.5 * (Math.log(v) + (d * d) / v) + 0.5 * Math.log(2 * Math.PI), d / v, -d / v, 0.5 * (1 / v - (d * d) / (v * v))];
    },
  },
  {
    fn: 'meanAbsolutePercentageError', domain: { input: [-10, 10], target: [0.1, 10] },
    f: (x, t) => {
      const den = Math.max(Math.abs(t), EPS_KERAS);
      const d = x - t;
      // ∂t of 100|x − t|/|t| = −100·sign(d)·(1/|t| + |d|·sign(t)/t²) = −100·sign(d)·x/(t·|t|).
      return [(100 * Math.abs(t - x)) / den, (100 * sign(d)) / den, (-100 * sign(d) * x) / (t * Math.abs(t)), 0];
    },
  },
  {
    fn: 'meanSquaredLogarithmicError', domain: { input: [0, 10], target: [0, 10] },
    f: (x, t) => {
      const xc = Math.max(x, EPS_KERAS);
      const tc = Math.max(t, EPS_KERAS);
      const d = Math.log(xc + 1) - Math.log(tc + 1);
      return [d * d, x >= EPS_KERAS ? (2 * d) / (xc + 1) : 0, t >= EPS_KERAS ? (-2 * d) / (tc + 1) : 0, 0];
    },
  },
  {
    fn: 'logCosh', domain: { input: [-20, 20], target: [-20, 20] },
    f: (x, t) => {
      const e = x - t;
      return [Math.log(Math.cosh(e)), Math.tanh(e), -Math.tanh(e), 0];
    },
  },
];
