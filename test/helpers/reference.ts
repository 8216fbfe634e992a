// Plain-JS float64 references of the elementwise losses, one formula each, written as the
// docs state them (PyTorch / Keras / torchvision). Used by the property tests, never by the library.

import type { Domain } from './property.js';

export interface ElementwiseRef {
  /** F function name. */
  fn: string;
  options?: Record<string, unknown>;
  /**
   * Value domains the random inputs are drawn from, for input, target and the optional
   * operands: `var` (the third positional argument), `posWeight` and `weight` (options, given
   * as full-shape tensors).
   */
  domain: { input: Domain; target: Domain; var?: Domain; posWeight?: Domain; weight?: Domain };
  /** The loss refuses a target that requires grad: its gradient is not checked. */
  noTargetGrad?: boolean;
  /** A per-call quantity of the whole target column (Keras' label conversion), passed to `f`. */
  context?(ts: ArrayLike<number>): number;
  /**
   * Per-element loss and its partial derivatives (∂input, ∂target, ∂var) for one element:
   * `v` is var or posWeight (1 when absent). A `weight` w is the test's, not `f`'s: the loss
   * is w·f, so the derivatives get the upstream gradient times w.
   */
  f(x: number, t: number, v: number, context: number): [number, number, number, number];
}

const sign = (d: number) => (d > 0 ? 1 : d < 0 ? -1 : 0);
const EPS_KERAS = 1e-7;
/** softplus(z) = ln(1 + e^z), overflow-free. */
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
/** σ(z), without 1 − σ cancellation for z < 0. */
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** Keras' `_maybe_convert_labels`: 1 (convert) when every target is exactly 0 or 1. */
const keras01 = (ts: ArrayLike<number>) => (Array.prototype.every.call(ts, (t: number) => t === 0 || t === 1) ? 1 : 0);

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
  {
    // β = 0 is exactly L1 (PyTorch dispatches it to l1_loss; so does lossfn).
    fn: 'smoothL1Loss', options: { beta: 0 }, domain: { input: [-5, 5], target: [-5, 5] },
    f: (x, t) => [Math.abs(x - t), sign(x - t), -sign(x - t), 0],
  },
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
    // var below eps is clamped for the value and the gradient's formula, while the gradient
    // flows to var as if unclamped (PyTorch clamps a clone under no_grad).
    fn: 'gaussianNllLoss', options: { eps: 0.5 }, domain: { input: [-5, 5], target: [-5, 5], var: [0.05, 4] },
    f: (x, t, var_) => {
      const v = Math.max(var_, 0.5);
      const d = x - t;
      return [0.5 * (Math.log(v) + (d * d) / v), d / v, -d / v, 0.5 * (1 / v - (d * d) / (v * v))];
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
  // ---- classification, elementwise -------------------------------------------------------
  {
    // PyTorch's BCE: l = −[t·max(ln x, −100) + (1 − t)·max(log1p(−x), −100)];
    // ∂x = (x − t)/max(x(1 − x), 1e-12 held in f32) (its backward), ∂t = −ln(x/(1 − x)).
    fn: 'binaryCrossEntropy', domain: { input: [0, 1], target: [0, 1], weight: [0, 3] },
    f: (x, t) => [
      -(t * Math.max(Math.log(x), -100) + (1 - t) * Math.max(Math.log1p(-x), -100)),
      (x - t) / Math.max(x * (1 - x), Math.fround(1e-12)),
      -Math.log(x / (1 - x)),
      0,
    ],
  },
  ...[false, true].map((pos) => ({
    // −[p·t·log σ(x) + (1 − t)·log σ(−x)] = p·t·softplus(−x) + (1 − t)·softplus(x);
    // ∂x = (1 − t)·σ(x) − p·t·σ(−x); ∂t = p·softplus(−x) − softplus(x) (= −x for p = 1).
    fn: 'binaryCrossEntropyWithLogits',
    domain: { input: [-20, 20], target: [0, 1], weight: [0, 3], ...(pos ? { posWeight: [0.1, 4] } : {}) },
    f: (x: number, t: number, p: number): [number, number, number, number] => [
      p * t * softplus(-x) + (1 - t) * softplus(x),
      (1 - t) * sigmoid(x) - p * t * sigmoid(-x),
      p * softplus(-x) - softplus(x),
      0,
    ],
  }) as ElementwiseRef),
  ...(['hinge', 'squaredHinge'] as const).flatMap((fn) =>
    ([[-2, 2], { oneOf: [0, 1] }] as Domain[]).map((target) => ({
      // Keras: t' = 2t − 1 when every target is 0 or 1 (then ∂t carries the factor 2), else t' = t.
      // hinge: l = max(1 − t'x, 0), gradient where 1 − t'x ≥ 0 (clamp passes the kink):
      // ∂x = −t', ∂t = −x·k; squared: l = m², m = max(1 − t'x, 0), ∂x = −2m·t', ∂t = −2m·x·k.
      fn, domain: { input: [-3, 3], target },
      context: keras01,
      f: (x: number, t: number, _v: number, convert: number): [number, number, number, number] => {
        const k = convert ? 2 : 1;
        const tt = convert ? 2 * t - 1 : t;
        const m = 1 - tt * x;
        if (fn === 'hinge') return m >= 0 ? [m, -tt, -x * k, 0] : [0, 0, 0, 0];
        const mp = Math.max(m, 0);
        return [mp * mp, -2 * mp * tt, -2 * mp * x * k, 0];
      },
    }) as ElementwiseRef),
  ),
  {
    // PyTorch: l = log(1 + e^(−t·x)) = softplus(−t·x); ∂x = −t·σ(−t·x); no target gradient.
    fn: 'softMarginLoss', domain: { input: [-10, 10], target: [-2, 2] }, noTargetGrad: true,
    f: (x, t) => [softplus(-t * x), -t * sigmoid(-t * x), 0, 0],
  },
  ...[
    { alpha: 0.25, gamma: 2 },
    { alpha: -1, gamma: 0 },
    { alpha: 0.6, gamma: 0.5 },
    { alpha: 0.25, gamma: 1 },
    { alpha: 0.4, gamma: 3.5 },
  ].map(({ alpha, gamma }) => ({
    fn: 'sigmoidFocalLoss', options: { alpha, gamma }, domain: { input: [-10, 10], target: [0, 1] },
    f: (x: number, t: number): [number, number, number, number] => {
      // torchvision: p = σ(x), ce = BCE-with-logits(x, t), q = 1 − p_t = p(1 − t) + (1 − p)t,
      // l = α_t·ce·q^γ, α_t = αt + (1 − α)(1 − t) (1 when α < 0). With σ' = σ(x)σ(−x):
      // dq/dx = σ'·(1 − 2t), dq/dt = σ(−x) − σ(x), dce/dx = σ(x) − t, dce/dt = −x,
      // dα_t/dt = 2α − 1, d(q^γ)/dq = γq^(γ−1) (0 for γ = 0, as torch's pow).
      const p = sigmoid(x);
      const pn = sigmoid(-x);
      const ce = t * softplus(-x) + (1 - t) * softplus(x);
      const q = p * (1 - t) + pn * t;
      const at = alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;
      const qg = gamma === 0 ? 1 : q ** gamma;
      const dqg = gamma === 0 ? 0 : gamma * q ** (gamma - 1);
      const dx = at * ((p - t) * qg + ce * dqg * p * pn * (1 - 2 * t));
      const dt = at * (-x * qg + ce * dqg * (pn - p)) + (alpha >= 0 ? (2 * alpha - 1) * ce * qg : 0);
      return [at * ce * qg, dx, dt, 0];
    },
  }) as ElementwiseRef),
  {
    // PyTorch: l = xlogy(t, t) − t·x (t = 0 contributes 0); ∂x = −t; ∂t = ln t + 1 − x, NaN at
    // t = 0 (xlogy's derivative there).
    fn: 'klDiv', domain: { input: [-10, 1], target: [0, 1] },
    f: (x, t) => [(t === 0 ? 0 : t * Math.log(t)) - t * x, -t, t === 0 ? Number.NaN : Math.log(t) + 1 - x, 0],
  },
  {
    // logTarget: l = e^t·(t − x); ∂x = −e^t; ∂t = e^t·(t − x + 1).
    fn: 'klDiv', options: { logTarget: true }, domain: { input: [-10, 1], target: [-10, 1] },
    f: (x, t) => [Math.exp(t) * (t - x), -Math.exp(t), Math.exp(t) * (t - x + 1), 0],
  },
  // ---- localization, elementwise ---------------------------------------------------------
  ...[{}, { alpha: 1, gamma: 2, beta: 0.5 }].map((options: { alpha?: number; gamma?: number; beta?: number }) => {
    const { alpha = 0.5, gamma = 1.5, beta = 1 } = options;
    const b = Math.exp(gamma / alpha) - 1;
    return {
      // mmdetection balanced_l1_loss, d = |x − t|, b = e^(γ/α) − 1: d < β: (α/b)(bd + 1)·ln(bd/β + 1) − αd,
      // else γd + γ/b − αβ. d/dd below β: α·ln(bd/β + 1) + (α/b)(bd + 1)·(b/β)/(bd/β + 1) − α
      // = α·ln(bd/β + 1) + α(1 − β)/(bd + β); above: γ. ∂x = sign(x − t)·that, ∂t = −∂x.
      fn: 'balancedL1Loss', options, domain: { input: [-3, 3], target: [-3, 3] },
      f: (x: number, t: number): [number, number, number, number] => {
        const d = Math.abs(x - t);
        const below = d < beta;
        const l = below ? (alpha / b) * (b * d + 1) * Math.log1p((b * d) / beta) - alpha * d : gamma * d + gamma / b - alpha * beta;
        const dd = below ? alpha * Math.log1p((b * d) / beta) + (alpha * (1 - beta)) / (b * d + beta) : gamma;
        return [l, sign(x - t) * dd, -sign(x - t) * dd, 0];
      },
    } as ElementwiseRef;
  }),
  ...[{}, { alpha: 0.25, gamma: 1.5, iouWeighted: false }].map((options: { alpha?: number; gamma?: number; iouWeighted?: boolean }) => {
    const { alpha = 0.75, gamma = 2, iouWeighted = true } = options;
    return {
      // mmdetection varifocal_loss: l = BCEWithLogits(x, t)·w, w = (iouWeighted ? t : 1) where
      // t > 0, α·|σ(x) − t|^γ where t ≤ 0 (not detached). With u = σ(x) − t, dσ/dx = σ(x)σ(−x):
      // ∂x = (σ(x) − t)·w + [t ≤ 0]·BCE·α·γ|u|^(γ−1)·sign(u)·σ(x)σ(−x); no target gradient.
      fn: 'varifocalLoss', options, domain: { input: [-10, 10], target: [-0.5, 1] }, noTargetGrad: true,
      f: (x: number, t: number): [number, number, number, number] => {
        const s = sigmoid(x);
        const u = s - t;
        const ce = t * softplus(-x) + (1 - t) * softplus(x);
        const pos = t > 0;
        const w = pos ? (iouWeighted ? t : 1) : alpha * Math.abs(u) ** gamma;
        const dw = pos || gamma === 0 ? 0 : alpha * gamma * Math.abs(u) ** (gamma - 1) * sign(u) * s * sigmoid(-x);
        return [ce * w, u * w + ce * dw, 0, 0];
      },
    } as ElementwiseRef;
  }),
];
