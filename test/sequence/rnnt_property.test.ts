// Property: for random small problems at every vocabulary size V = 2–40 (the log-softmax's
// SIMD lanes and tails) with random T, U and lengths per sample, rnntLoss equals a plain
// float64 α–β recursion over the lattice (Graves 2012, torchaudio 0.13's rnnt_loss), for the
// values ('none') and the logits' gradient under a varied upstream, and for 'mean' with its
// gradient, in float32 and float64: fused log-softmax or given log-probabilities, the blank
// last or first, the gradient clamp on or off.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type FloatDType } from '../../ts/index.js';
import { close, TOL } from '../helpers/property.js';

beforeAll(() => init());

interface Problem {
  n: number;
  t: number;
  u: number;
  v: number;
  /** Logit lengths T_b and target lengths U_b (one of each equals T, U). */
  ll: number[];
  tl: number[];
  /** Targets (n, U), none the blank. */
  ys: number[];
  /** Logits (n, T, U + 1, V). */
  x: number[];
}

/** ln(e^a + e^b), exact for −∞ operands. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * The reference for one sample b. With lp(t, u, k) the log-softmax of the lattice row (t, u)
 * over V (or the row itself when not fused), y_u the u-th target (0-based):
 * α(0, 0) = 0, α(t, u) = lae(α(t − 1, u) + lp(t − 1, u, blank), α(t, u − 1) + lp(t, u − 1, y_u));
 * β(T_b − 1, U_b) = lp(T_b − 1, U_b, blank), β(t, u) = lae(β(t + 1, u) + lp(t, u, blank),
 * β(t, u + 1) + lp(t, u, y_u)); l = −ln P, ln P = β(0, 0) = α(T_b − 1, U_b) + lp(T_b − 1, U_b, blank).
 * −∂ln P/∂lp(t, u, k) = γ_b·[k = blank] + γ_e·[k = y_u] with the transition posteriors
 * γ_b = e^(α(t, u) + lp(t, u, blank) + β(t + 1, u) − ln P) (the final blank: β = 0 past the end),
 * γ_e = e^(α(t, u) + lp(t, u, y_u) + β(t, u + 1) − ln P); through the log-softmax (∂lp_j/∂x_k =
 * [j = k] − p_k) ∂x_k = p_k·(γ_b + γ_e) − γ_b·[k = blank] − γ_e·[k = y_u]. Each entry is clamped
 * to [−clamp, clamp] when clamp > 0, then multiplied by the upstream g; 0 outside the lattice.
 */
function sample(p: Problem, x: ArrayLike<number>, b: number, blank: number, fused: boolean, clamp: number, g: number, dx: Float64Array): number {
  const { t: T, u: U, v: V } = p;
  const tb = p.ll[b];
  const ub = p.tl[b];
  const W = ub + 1;
  const row = (t: number, u: number) => ((b * T + t) * (U + 1) + u) * V;
  const shift = new Float64Array(tb * W);
  for (let t = 0; t < tb; t++) {
    for (let u = 0; u < W; u++) {
      if (!fused) continue;
      let m = -Infinity;
      for (let k = 0; k < V; k++) m = Math.max(m, x[row(t, u) + k]);
      let s = 0;
      for (let k = 0; k < V; k++) s += Math.exp(x[row(t, u) + k] - m);
      shift[t * W + u] = m + Math.log(s);
    }
  }
  const lp = (t: number, u: number, k: number) => x[row(t, u) + k] - shift[t * W + u];
  const label = (u: number) => p.ys[b * U + u];
  const alpha = new Float64Array(tb * W).fill(-Infinity);
  alpha[0] = 0;
  for (let t = 0; t < tb; t++) {
    for (let u = 0; u < W; u++) {
      if (t === 0 && u === 0) continue;
      const a = t > 0 ? alpha[(t - 1) * W + u] + lp(t - 1, u, blank) : -Infinity;
      const e = u > 0 ? alpha[t * W + u - 1] + lp(t, u - 1, label(u - 1)) : -Infinity;
      alpha[t * W + u] = logAddExp(a, e);
    }
  }
  const beta = new Float64Array(tb * W).fill(-Infinity);
  for (let t = tb - 1; t >= 0; t--) {
    for (let u = W - 1; u >= 0; u--) {
      if (t === tb - 1 && u === W - 1) {
        beta[t * W + u] = lp(t, u, blank);
        continue;
      }
      const a = t + 1 < tb ? beta[(t + 1) * W + u] + lp(t, u, blank) : -Infinity;
      const e = u + 1 < W ? beta[t * W + u + 1] + lp(t, u, label(u)) : -Infinity;
      beta[t * W + u] = logAddExp(a, e);
    }
  }
  const logP = alpha[(tb - 1) * W + ub] + lp(tb - 1, ub, blank);
  for (let t = 0; t < tb; t++) {
    for (let u = 0; u < W; u++) {
      const after = t + 1 < tb ? beta[(t + 1) * W + u] : u === ub ? 0 : -Infinity;
      const gb = Math.exp(alpha[t * W + u] + lp(t, u, blank) + after - logP);
      const ge = u < ub ? Math.exp(alpha[t * W + u] + lp(t, u, label(u)) + beta[t * W + u + 1] - logP) : 0;
      for (let k = 0; k < V; k++) {
        let d = fused ? Math.exp(lp(t, u, k)) * (gb + ge) : 0;
        if (k === blank) d -= gb;
        if (u < ub && k === label(u)) d -= ge;
        if (clamp > 0) d = Math.min(Math.max(d, -clamp), clamp);
        dx[row(t, u) + k] = g * d;
      }
    }
  }
  return -logP;
}

/** A random problem of two samples with vocabulary v, blank `blank` (index in [0, v)). */
function problem(v: number, blank: number): fc.Arbitrary<Problem> {
  return fc
    .record({ t: fc.integer({ min: 1, max: 5 }), u: fc.integer({ min: 0, max: 4 }), first: fc.boolean() })
    .chain(({ t, u, first }) =>
      fc.record({
        other: fc.record({ l: fc.integer({ min: 1, max: t }), s: fc.integer({ min: 0, max: u }) }),
        ys: fc.array(fc.integer({ min: 0, max: v - 2 }), { minLength: 2 * u, maxLength: 2 * u }),
        x: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2 * t * (u + 1) * v, maxLength: 2 * t * (u + 1) * v }),
      }).map(({ other, ys, x }) => ({
        n: 2, t, u, v,
        // One sample at the maxima (torchaudio: max lengths = the logits' T and U + 1 − 1).
        ll: first ? [t, other.l] : [other.l, t],
        tl: first ? [u, other.s] : [other.s, u],
        // Labels in [0, V − 1) shifted past the blank: every class but the blank.
        ys: ys.map((y) => (y >= blank ? y + 1 : y)),
        x,
      })),
    );
}

const CONFIGS = [
  { label: 'fused log-softmax, blank last', blank: -1, fused: true, clamp: -1 },
  { label: 'fused log-softmax, blank 0, clamp 0.05', blank: 0, fused: true, clamp: 0.05 },
  { label: 'log-probabilities given, blank last', blank: -1, fused: false, clamp: -1 },
];

function check(p: Problem, dtype: FloatDType, c: (typeof CONFIGS)[number]): void {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const xs = Ctor.from(p.x);
  const blank = c.blank < 0 ? p.v + c.blank : c.blank;
  const shape = [p.n, p.t, p.u + 1, p.v];
  const targets = tensor(p.ys, [p.n, p.u], { dtype: 'int32' });
  const options = { blank: c.blank, clamp: c.clamp, fusedLogSoftmax: c.fused };
  const what = (part: string, i: number) => `rnntLoss (${c.label}) ${dtype} shape [${shape}] lengths ${p.ll}/${p.tl} ${part}[${i}]`;
  for (const reduction of ['none', 'mean'] as const) {
    const x = tensor(xs, shape, { requiresGrad: true });
    const out = F.rnntLoss(x, targets, p.ll, p.tl, { ...options, reduction });
    const g = reduction === 'none' ? [1, -0.5] : [1 / p.n, 1 / p.n];
    if (reduction === 'none') out.backward(tensor(Ctor.from(g), [p.n]));
    else out.backward();
    const dx = new Float64Array(xs.length);
    const losses = [0, 1].map((b) => sample(p, xs, b, blank, c.fused, c.clamp, g[b], dx));
    if (reduction === 'none') losses.forEach((l, b) => close(out.data[b] as number, l, dtype, what, 'value', b));
    else {
      const want = (losses[0] + losses[1]) / 2;
      const { rtol, atol } = TOL[dtype];
      expect(Math.abs(out.item() - want), `${what('mean', 0)}: ${out.item()} vs ${want}`).toBeLessThanOrEqual(atol + rtol * (Math.abs(losses[0]) + Math.abs(losses[1])) / 2);
    }
    const gx = x.grad!.data as Float32Array | Float64Array;
    for (let i = 0; i < dx.length; i++) close(gx[i], dx[i], dtype, what, `∂logits (${reduction})`, i);
  }
}

describe.each(CONFIGS.map((c) => [c.label, c] as const))('rnntLoss = float64 α–β reference: %s', (_, c) => {
  it('float32 and float64, every vocabulary size V = 2–40', () => {
    for (let v = 2; v <= 40; v++) {
      const blank = c.blank < 0 ? v + c.blank : c.blank;
      fc.assert(
        fc.property(problem(v, blank), (p) => {
          for (const dtype of ['float32', 'float64'] as const) check(p, dtype, c);
        }),
        { numRuns: 3, seed: 4000 + v },
      );
    }
  });
});
