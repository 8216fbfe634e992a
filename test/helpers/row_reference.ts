// Plain-JS float64 references of the row losses (a row: the C scores of one sample or position),
// one per configuration, each written from its loss's doc comment (ts/functional/<stem>.ts) and
// ../shared/reference/LOSS-SEMANTICS.md, with the derivation of its gradient beside it. Used by
// the property tests (test/property_rows.test.ts), never by the library.

import type { FloatDType } from '../../ts/index.js';
import type { Domain } from './property.js';

/** Numbers in a typed array (rows of millions of classes stay compact) or a plain array. */
export type Vec = ArrayLike<number> & Iterable<number>;

/** One row's operands, as the reference sees them (float32 data already rounded). */
export interface RowOperands {
  /** The row's C scores (the input / student). */
  x: Float64Array;
  /** The row's float target (probabilities, one-hot rows, teacher logits), or null. */
  t: Float64Array | null;
  /** The row's integer target: one class index, or C list entries; [] when none. */
  y: number[];
  /** Class weights (C), or null. */
  w: Vec | null;
  /** The row's float operand (a quality score, a continuous label), or NaN. */
  s: number;
  dtype: FloatDType;
}

/** One row's loss, its share of the 'mean' denominator and its gradients for upstream `g`. */
export interface RowResult {
  /** The row's loss: one value, or C for a per-element loss. */
  l: Vec;
  den: number;
  dx: Vec | null;
  dt: Vec | null;
}

export interface RowRef {
  /** F function name. */
  fn: string;
  /** What the configuration covers (test name). */
  label: string;
  /** The options besides `weight` and `reduction`. */
  options?: Record<string, unknown>;
  /** The class dimension: 1 ((N, C) and (N, C, S) inputs) or the last ((N, C)). */
  classDim: 1 | -1;
  /** Values of the input. */
  x: Domain;
  /** Values of the float target rows (same shape as the input), if the loss has them. */
  t?: Domain;
  /** The float target requires grad (its gradient is checked). */
  targetGrad?: boolean;
  /** Integer targets: one class index per row, or a list of C entries per row. */
  index?: 'one' | 'list';
  /** Index targets may also be C (background, qualityFocalLoss). */
  background?: boolean;
  /** Values of a float operand per row (shape (N), last argument, no grad) for width C. */
  perRow?: (c: number) => Domain;
  /** Passed as `ignoreIndex`; the drawn targets include it. */
  ignoreIndex?: number;
  /** Values of the class weights (option `weight`, shape (C)), if used. */
  weight?: Domain;
  /** One output (and one upstream value) per element, not per row. */
  perElement?: boolean;
  /** The reduction checked besides 'none', and its denominator when it is not Σ `den`. */
  reduced: string;
  denominator?: (shape: number[]) => number;
  /** No gradient: `backward` must throw. */
  noGrad?: boolean;
  /** The configuration that also runs with every row streamed in pieces (one or two per loss). */
  streamed?: boolean;
  /** The reference: `g` is the row's upstream value (C of them for a per-element loss). */
  row(o: RowOperands, g: Vec): RowResult;
}

// ---- helpers ---------------------------------------------------------------------------------

/**
 * The log-sum-exp of a row as `gap(v) = lse − v`, formed as `(m − v) + log1p(Σ_{c ≠ first max}
 * e^(x_c − m))`: a confident row's small loss keeps its digits (ln(1 + r) would round r away).
 */
function lse(xs: Vec): { gap: (v: number) => number } {
  let m = -Infinity;
  let at = -1;
  for (let c = 0; c < xs.length; c++) {
    if (xs[c] > m) {
      m = xs[c];
      at = c;
    }
  }
  let rest = 0;
  for (let c = 0; c < xs.length; c++) if (c !== at) rest += Math.exp(xs[c] - m);
  const tail = Math.log1p(rest);
  return { gap: (v) => m - v + tail };
}

const weightOf = (w: Vec | null, c: number) => (w ? w[c] : 1);
const sign = (d: number) => (d > 0 ? 1 : d < 0 ? -1 : 0);
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * A loss of the target's log-probability ℓ = log softmax(x)_y, l = w_y·f(ℓ) (softmaxFocalLoss,
 * polyLoss, and cross entropy with f(ℓ) = −ℓ). Since ∂ℓ/∂x_c = [c = y] − p_c,
 * ∂x_c = g·w_y·f'(ℓ)·([c = y] − p_c); the target's entry 1 − p_y is −expm1(ℓ) (exact when p_y → 1).
 * 'mean' denominator: w_y.
 */
function logProbRow(f: (l: number) => number, df: (l: number) => number) {
  return ({ x, y, w }: RowOperands, [g]: Vec): RowResult => {
    const k = y[0];
    const s = lse(x);
    const ell = -s.gap(x[k]);
    const wy = weightOf(w, k);
    const scale = g * wy * df(ell);
    const dx = x.map((v, c) => (c === k ? scale * -Math.expm1(ell) : -scale * Math.exp(-s.gap(v))));
    return { l: [wy * f(ell)], den: wy, dx, dt: null };
  };
}

/**
 * Cross entropy with index targets and label smoothing ε (PyTorch): with −log p_c = gap(x_c),
 * l = (1 − ε)·w_y·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c). Each −log p_k has ∂/∂x_c = p_c − [c = k],
 * so ∂x_c = g·[(1 − ε)·w_y·(p_c − [c = y]) + (ε/C)·(W·p_c − w_c)], W = Σ_c w_c, the target's
 * p_y − 1 taken as expm1(log p_y). 'mean' denominator: w_y.
 */
export function crossEntropyIndex(eps: number) {
  return ({ x, y, w }: RowOperands, [g]: Vec): RowResult => {
    const C = x.length;
    const k = y[0];
    const s = lse(x);
    const wy = weightOf(w, k);
    let smooth = 0;
    let W = 0;
    for (let c = 0; c < C; c++) {
      smooth += weightOf(w, c) * s.gap(x[c]);
      W += weightOf(w, c);
    }
    const l = (1 - eps) * wy * s.gap(x[k]) + (eps / C) * smooth;
    const dx = x.map((v, c) => {
      const p = Math.exp(-s.gap(v));
      const hard = c === k ? Math.expm1(-s.gap(v)) : p;
      return g * ((1 - eps) * wy * hard + (eps / C) * (W * p - weightOf(w, c)));
    });
    return { l: [l], den: wy, dx, dt: null };
  };
}

/** nll_loss (PyTorch): l = −w_y·x_y, ∂x_y = −g·w_y, 0 elsewhere. 'mean' denominator: w_y. */
export function nllRow({ x, y, w }: RowOperands, [g]: Vec): RowResult {
  const wy = weightOf(w, y[0]);
  return { l: [-wy * x[y[0]]], den: wy, dx: x.map((_, c) => (c === y[0] ? -g * wy : 0)), dt: null };
}

/**
 * Cross entropy with probability targets q (PyTorch): q' = (1 − ε)·q + ε/C,
 * l = Σ_c w_c·q'_c·(−log p_c); ∂x_c = g·(p_c·Σ_k w_k·q'_k − w_c·q'_c) (from ∂(−log p_k)/∂x_c =
 * p_c − [c = k]); ∂q_c = g·(1 − ε)·w_c·(−log p_c). 'mean' denominator: 1 per row (position).
 */
function crossEntropyProb(eps: number) {
  return ({ x, t, w }: RowOperands, [g]: Vec): RowResult => {
    const C = x.length;
    const s = lse(x);
    const q = t!.map((v) => (1 - eps) * v + eps / C);
    let l = 0;
    let wq = 0;
    for (let c = 0; c < C; c++) {
      l += weightOf(w, c) * q[c] * s.gap(x[c]);
      wq += weightOf(w, c) * q[c];
    }
    const dx = x.map((v, c) => g * (Math.exp(-s.gap(v)) * wq - weightOf(w, c) * q[c]));
    const dt = x.map((v, c) => g * (1 - eps) * weightOf(w, c) * s.gap(v));
    return { l: [l], den: 1, dx, dt };
  };
}

/**
 * The large-margin softmax on cosines (pytorch-metric-learning's ArcFace/CosFace/SphereFace heads):
 * z_j = s·c_j (j ≠ y), z_y = s·ψ(c_y), l = lse(z) − z_y. ∂z_j = p_j − [j = y], so
 * ∂c_j = g·s·p_j (j ≠ y), ∂c_y = g·s·(p_y − 1)·ψ'(c_y), p_y − 1 = expm1(−(lse − z_y)).
 * `psi(c, bound)` gives ψ and ψ'; `bound` is 1 − 1e-7 rounded to the dtype (the acos clamp).
 * 'mean' denominator: 1 per row.
 */
export function marginRow(scale: number, psi: (c: number, bound: number) => [number, number]) {
  return ({ x, y, dtype }: RowOperands, [g]: Vec): RowResult => {
    const k = y[0];
    const bound = dtype === 'float32' ? Math.fround(1 - 1e-7) : 1 - 1e-7;
    const [p, dp] = psi(x[k], bound);
    const z = x.map((c, j) => (j === k ? scale * p : scale * c));
    const s = lse(z);
    const dx = z.map((v, j) => (j === k ? g * scale * Math.expm1(-s.gap(v)) * dp : g * scale * Math.exp(-s.gap(v))));
    return { l: [s.gap(z[k])], den: 1, dx, dt: null };
  };
}

/** The acos clamp: c held in [−bound, bound]; the gradient passes only inside (|c| ≤ bound). */
const clampCos = (c: number, bound: number): [number, boolean] => [Math.min(Math.max(c, -bound), bound), Math.abs(c) <= bound];
/** sin(acos c) = √((1 − c)(1 + c)). */
const sinAcos = (c: number) => Math.sqrt((1 - c) * (1 + c));

/** ArcFace: ψ = cos(θ + m), θ = acos(clamped c); ψ' = sin(θ + m)/sin θ (d acos/dc = −1/sin θ). */
export const arc = (m: number) => (c: number, bound: number): [number, number] => {
  const [cc, pass] = clampCos(c, bound);
  const th = Math.acos(cc);
  return [Math.cos(th + m), pass ? Math.sin(th + m) / sinAcos(cc) : 0];
};

/** CosFace: ψ = c − m, ψ' = 1 (no clamp). */
const cosMargin = (m: number) => (c: number): [number, number] => [c - m, 1];

/**
 * SphereFace: ψ = (−1)^k·cos(mθ) − 2k, k = ⌊mθ/π⌋, θ = acos(clamped c); k is piecewise
 * constant, so ψ' = (−1)^k·m·sin(mθ)/sin θ.
 */
const sphere = (m: number) => (c: number, bound: number): [number, number] => {
  const [cc, pass] = clampCos(c, bound);
  const th = Math.acos(cc);
  const k = Math.floor((m * th) / Math.PI);
  const sign = k % 2 === 0 ? 1 : -1;
  return [sign * Math.cos(m * th) - 2 * k, pass ? (sign * m * Math.sin(m * th)) / sinAcos(cc) : 0];
};

/**
 * multi_margin_loss (ATen): z_i = margin − x_y + x_i, l = (1/C)·Σ_{i≠y, z_i>0} w_y·z_i^p (the
 * weight after the power); ∂x_i = g·w_y·(p = 1 ? 1 : 2z_i)/C for the active i ≠ y, ∂x_y minus
 * their sum. No gradient at z = 0 exactly. 'mean' denominator: 1 per row.
 */
function multiMarginRow(p: number, margin: number) {
  return ({ x, y, w }: RowOperands, [g]: Vec): RowResult => {
    const C = x.length;
    const k = y[0];
    const wy = weightOf(w, k);
    const dx = new Float64Array(C);
    let l = 0;
    for (let i = 0; i < C; i++) {
      const z = margin - x[k] + x[i];
      if (i === k || !(z > 0)) continue;
      l += wy * (p === 1 ? z : z * z);
      const d = (g * wy * (p === 1 ? 1 : 2 * z)) / C;
      dx[i] += d;
      dx[k] -= d;
    }
    return { l: [l / C], den: 1, dx, dt: null };
  };
}

/**
 * multilabel_margin_loss (ATen): the targets are the row's entries up to the first −1, T their
 * set; l = (1/C)·Σ_{j in the list} Σ_{i ∉ T} max(0, 1 − x_{y_j} + x_i) (a class listed twice
 * counts twice). Per active pair (> 0): ∂x_i += g/C, ∂x_{y_j} −= g/C. 'mean' denominator: 1 per row.
 */
function multilabelMarginRow({ x, y }: RowOperands, [g]: Vec): RowResult {
  const C = x.length;
  const end = y.findIndex((v) => v < 0);
  const list = y.slice(0, end < 0 ? C : end);
  const inT = new Set(list);
  const dx = new Float64Array(C);
  let l = 0;
  for (const j of list) {
    for (let i = 0; i < C; i++) {
      const z = 1 - x[j] + x[i];
      if (inT.has(i) || !(z > 0)) continue;
      l += z;
      dx[i] += g / C;
      dx[j] -= g / C;
    }
  }
  return { l: [l / C], den: 1, dx, dt: null };
}

/**
 * Keras categorical_hinge: pos = Σ t_j·x_j, neg = max_j (1 − t_j)·x_j, l = max(neg − pos + 1, 0).
 * Where neg − pos + 1 ≥ 0 (clamp(min=0) passes the kink) the k tied maxima share the max's
 * gradient: ∂x_j = g·((1 − t_j)·[j max]/k − t_j), ∂t_j = g·(−x_j·[j max]/k − x_j); else 0.
 * 'mean' denominator: 1 per row.
 */
function categoricalHingeRow({ x, t }: RowOperands, [g]: Vec): RowResult {
  const tt = t!;
  const C = x.length;
  let pos = 0;
  let neg = -Infinity;
  for (let j = 0; j < C; j++) {
    pos += tt[j] * x[j];
    neg = Math.max(neg, (1 - tt[j]) * x[j]);
  }
  const m = neg - pos + 1;
  const dx = new Float64Array(C);
  const dt = new Float64Array(C);
  if (!(m >= 0)) return { l: [0], den: 1, dx, dt };
  let k = 0;
  for (let j = 0; j < C; j++) if ((1 - tt[j]) * x[j] === neg) k++;
  for (let j = 0; j < C; j++) {
    const isMax = (1 - tt[j]) * x[j] === neg;
    dx[j] = g * ((isMax ? (1 - tt[j]) / k : 0) - tt[j]);
    dt[j] = g * ((isMax ? -x[j] / k : 0) - x[j]);
  }
  return { l: [m], den: 1, dx, dt };
}

/**
 * Distillation (Hinton et al.): log p = log_softmax(t/T), log q = log_softmax(s/T),
 * e_c = T²·p_c·d_c, d_c = log p_c − log q_c. With ∂log q_c/∂s_j = ([c = j] − q_j)/T and
 * ∂log p_c/∂t_j = ([c = j] − p_j)/T (so ∂p_c/∂t_j = p_c·([c = j] − p_j)/T), for upstream g_c:
 * ∂s_j = −T·(g_j·p_j − q_j·S1), ∂t_j = T·p_j·(g_j·(d_j + 1) − S2), S1 = Σ g_c·p_c,
 * S2 = Σ g_c·p_c·(d_c + 1).
 */
export function distillationRow(T: number) {
  return ({ x, t }: RowOperands, g: Vec): RowResult => {
    const sT = x.map((v) => v / T);
    const tT = t!.map((v) => v / T);
    const ls = lse(sT);
    const lt = lse(tT);
    const logp = tT.map((v) => -lt.gap(v));
    const logq = sT.map((v) => -ls.gap(v));
    const p = logp.map(Math.exp);
    const d = logp.map((v, c) => v - logq[c]);
    let s1 = 0;
    let s2 = 0;
    for (let c = 0; c < x.length; c++) {
      s1 += g[c] * p[c];
      s2 += g[c] * p[c] * (d[c] + 1);
    }
    return {
      l: p.map((v, c) => T * T * v * d[c]),
      den: 0,
      dx: p.map((v, j) => -T * (g[j] * v - Math.exp(logq[j]) * s1)),
      dt: p.map((v, j) => T * v * (g[j] * (d[j] + 1) - s2)),
    };
  };
}

/** sklearn zero_one_loss on scores: the prediction is the first maximum (numpy.argmax). */
function zeroOneRow({ x, y }: RowOperands): RowResult {
  let best = 0;
  for (let c = 1; c < x.length; c++) if (x[c] > x[best]) best = c;
  return { l: [best === y[0] ? 0 : 1], den: 1, dx: null, dt: null };
}

/**
 * multilabel_soft_margin_loss (PyTorch): l = (1/C)·Σ_c w_c·[t_c·softplus(−x_c) + (1 − t_c)·
 * softplus(x_c)] (= −(1/C)·Σ w_c·[t_c·log σ(x_c) + (1 − t_c)·log σ(−x_c)]); ∂x_c = g·w_c·(σ(x_c) − t_c)/C,
 * ∂t_c = g·w_c·(softplus(−x_c) − softplus(x_c))/C = −g·w_c·x_c/C. 'mean' denominator: 1 per row.
 */
function multilabelSoftMarginRow({ x, t, w }: RowOperands, [g]: Vec): RowResult {
  const C = x.length;
  const tt = t!;
  let l = 0;
  for (let c = 0; c < C; c++) l += weightOf(w, c) * (tt[c] * softplus(-x[c]) + (1 - tt[c]) * softplus(x[c]));
  return {
    l: [l / C],
    den: 1,
    dx: x.map((v, c) => (g * weightOf(w, c) * (sigmoid(v) - tt[c])) / C),
    dt: x.map((v, c) => (-g * weightOf(w, c) * v) / C),
  };
}

/**
 * mmdetection quality_focal_loss (GFL), one row of C logits with label y ∈ [0, C] (C:
 * background) and quality score s: every logit is a negative, softplus(x)·σ(x)^β (BCE with a
 * 0 target), except the label's logit of a foreground row, BCE(x, s)·|σ(x) − s|^β; the row's
 * loss is their sum. With σ' = σ(x)σ(−x) (factors not detached):
 * negative ∂x = σ·σ^β + softplus(x)·βσ^(β−1)·σ' = σ^β·(σ + β·softplus(x)·σ(−x));
 * positive ∂x = (σ − s)·|u|^β + BCE·β|u|^(β−1)·sign(u)·σ', u = σ − s (the pow term 0 for β = 0).
 * 'mean' denominator: 1 per row.
 */
function qualityFocalRow(beta: number) {
  return ({ x, y, s }: RowOperands, [g]: Vec): RowResult => {
    const C = x.length;
    const dx = new Float64Array(C);
    let l = 0;
    for (let c = 0; c < C; c++) {
      const v = x[c];
      const sig = sigmoid(v);
      if (c === y[0]) {
        const u = sig - s;
        const ce = s * softplus(-v) + (1 - s) * softplus(v);
        l += ce * Math.abs(u) ** beta;
        const dpow = beta === 0 ? 0 : beta * Math.abs(u) ** (beta - 1) * sign(u);
        dx[c] = g * (u * Math.abs(u) ** beta + ce * dpow * sig * sigmoid(-v));
      } else {
        l += softplus(v) * sig ** beta;
        dx[c] = g * sig ** beta * (sig + beta * softplus(v) * sigmoid(-v));
      }
    }
    return { l: [l], den: 1, dx, dt: null };
  };
}

/**
 * mmdetection distribution_focal_loss (GFL), one row of C = n + 1 bin logits and a continuous
 * label y ∈ [0, n]: with l = ⌊y⌋, r = l + 1, w_l = r − y, w_r = y − l:
 * loss = w_l·CE(x, l) + w_r·CE(x, r) (at y = n, w_r = 0 and bin r does not exist). From
 * ∂CE(x, k)/∂x_c = p_c − [c = k]: ∂x_c = g·((w_l + w_r)·p_c − w_l·[c = l] − w_r·[c = r]), the
 * bins' p − 1 as expm1(−(lse − x)). 'mean' denominator: 1 per row.
 */
function distributionFocalRow({ x, s: y }: RowOperands, [g]: Vec): RowResult {
  const C = x.length;
  const lo = Math.trunc(y);
  const wl = lo + 1 - y;
  const wr = y - lo;
  const z = lse(x);
  const l = wl * z.gap(x[lo]) + (lo + 1 < C ? wr * z.gap(x[lo + 1]) : 0);
  const dx = x.map((v, c) => {
    const p = Math.exp(-z.gap(v));
    const pm1 = Math.expm1(-z.gap(v));
    if (c === lo) return g * (wl * pm1 + wr * p);
    if (c === lo + 1) return g * (wr * pm1 + wl * p);
    return g * (wl + wr) * p;
  });
  return { l: [l], den: 1, dx, dt: null };
}

// ---- the configurations ----------------------------------------------------------------------

const LOGITS: Domain = [-10, 10];
const COSINES: Domain = [-1, 1];
const WEIGHTS: Domain = [0.1, 3];

/**
 * softmaxFocalLoss (Lin et al.): f(ℓ) = −u^γ·ℓ, u = 1 − p_y = −expm1(ℓ);
 * f'(ℓ) = γ·p_y·u^(γ−1)·ℓ − u^γ = u^γ·(γ·p_y·ℓ/u − 1), with ℓ/u → −1 as ℓ → 0 (u = 0 at C = 1).
 */
const focal = (gamma: number) =>
  logProbRow(
    (ell) => -((-Math.expm1(ell)) ** gamma) * ell,
    (ell) => {
      const u = -Math.expm1(ell);
      const pull = gamma === 0 ? 0 : gamma * Math.exp(ell) * (u === 0 ? -1 : ell / u);
      return u ** gamma * (pull - 1);
    },
  );

/** polyLoss (Leng et al., Poly-1): f(ℓ) = −ℓ + ε·(1 − e^ℓ) = −ℓ − ε·expm1(ℓ); f'(ℓ) = −1 − ε·e^ℓ. */
const poly = (eps: number) => logProbRow((ell) => -ell - eps * Math.expm1(ell), (ell) => -1 - eps * Math.exp(ell));

export const ROW_REFS: RowRef[] = [
  { fn: 'crossEntropy', label: 'index targets', classDim: 1, x: LOGITS, index: 'one', reduced: 'mean', row: crossEntropyIndex(0) },
  {
    fn: 'crossEntropy', label: 'index targets, class weights, ignoreIndex −100', classDim: 1, x: LOGITS, index: 'one',
    ignoreIndex: -100, weight: WEIGHTS, reduced: 'mean', row: crossEntropyIndex(0),
  },
  {
    fn: 'crossEntropy', label: 'index targets, labelSmoothing 0.2, class weights, ignoreIndex 0 (a class)', streamed: true, options: { labelSmoothing: 0.2 },
    classDim: 1, x: LOGITS, index: 'one', ignoreIndex: 0, weight: WEIGHTS, reduced: 'mean', row: crossEntropyIndex(0.2),
  },
  {
    fn: 'crossEntropy', label: 'probability targets (requiring grad)', classDim: 1, x: LOGITS, t: [0, 1], targetGrad: true,
    reduced: 'mean', row: crossEntropyProb(0),
  },
  {
    fn: 'crossEntropy', label: 'probability targets, labelSmoothing 0.3, class weights', streamed: true, options: { labelSmoothing: 0.3 },
    classDim: 1, x: LOGITS, t: [0, 1], targetGrad: true, weight: WEIGHTS, reduced: 'sum', row: crossEntropyProb(0.3),
  },
  { fn: 'nllLoss', label: 'log-probabilities', classDim: 1, x: [-20, 0], index: 'one', reduced: 'mean', row: nllRow },
  {
    fn: 'nllLoss', label: 'class weights, ignoreIndex 1 (a class)', streamed: true, classDim: 1, x: [-20, 5], index: 'one', ignoreIndex: 1, weight: WEIGHTS,
    reduced: 'mean', row: nllRow,
  },
  { fn: 'softmaxFocalLoss', label: 'γ = 2', classDim: 1, x: LOGITS, index: 'one', reduced: 'mean', row: focal(2) },
  {
    fn: 'softmaxFocalLoss', label: 'γ = 0.5, class weights, ignoreIndex −100', streamed: true, options: { gamma: 0.5 }, classDim: 1, x: LOGITS,
    index: 'one', ignoreIndex: -100, weight: WEIGHTS, reduced: 'mean', row: focal(0.5),
  },
  { fn: 'softmaxFocalLoss', label: 'γ = 0 (cross entropy)', options: { gamma: 0 }, classDim: 1, x: LOGITS, index: 'one', reduced: 'sum', row: focal(0) },
  { fn: 'polyLoss', label: 'ε = 1', classDim: 1, x: LOGITS, index: 'one', reduced: 'mean', row: poly(1) },
  {
    fn: 'polyLoss', label: 'ε = −0.5, class weights, ignoreIndex −100', streamed: true, options: { epsilon: -0.5 }, classDim: 1, x: LOGITS, index: 'one',
    ignoreIndex: -100, weight: WEIGHTS, reduced: 'mean', row: poly(-0.5),
  },
  { fn: 'multiMarginLoss', label: 'p = 1', classDim: -1, x: [-2, 2], index: 'one', reduced: 'mean', row: multiMarginRow(1, 1) },
  {
    fn: 'multiMarginLoss', label: 'p = 2, margin 0.7, class weights', streamed: true, options: { p: 2, margin: 0.7 }, classDim: -1, x: [-2, 2],
    index: 'one', weight: WEIGHTS, reduced: 'mean', row: multiMarginRow(2, 0.7),
  },
  {
    // Quarter values: z = 1 − x_y + x_i is exactly 0 often (no gradient there).
    fn: 'multiMarginLoss', label: 'p = 1, class weights, ties (z = 0 exactly)', classDim: -1, x: { oneOf: [-1, -0.5, 0, 0.5, 1] },
    index: 'one', weight: { oneOf: [0.5, 1, 2] }, reduced: 'sum', row: multiMarginRow(1, 1),
  },
  {
    fn: 'multiMarginLoss', label: 'p = 2, ties (z = 0 exactly)', options: { p: 2 }, classDim: -1, x: { oneOf: [-1, -0.5, 0, 0.5, 1] },
    index: 'one', reduced: 'mean', row: multiMarginRow(2, 1),
  },
  { fn: 'multilabelMarginLoss', label: 'target lists', streamed: true, classDim: -1, x: [-2, 2], index: 'list', reduced: 'mean', row: multilabelMarginRow },
  {
    fn: 'multilabelMarginLoss', label: 'target lists, ties (z = 0 exactly)', classDim: -1, x: { oneOf: [0, 0.5, 1, 1.5] }, index: 'list',
    reduced: 'sum', row: multilabelMarginRow,
  },
  {
    fn: 'categoricalHinge', label: 'soft targets (requiring grad)', classDim: -1, x: [-3, 3], t: [0, 1], targetGrad: true,
    reduced: 'mean', row: categoricalHingeRow,
  },
  {
    // Few distinct values: tied maxima and margins of exactly 0 are common.
    fn: 'categoricalHinge', label: 'one-hot-like targets, ties', streamed: true, classDim: -1, x: { oneOf: [-1, 0, 0.5, 1, 2] }, t: { oneOf: [0, 1] },
    targetGrad: true, reduced: 'mean', row: categoricalHingeRow,
  },
  {
    fn: 'distillationLoss', label: 'T = 1, batchmean', classDim: 1, x: [-8, 8], t: [-8, 8], perElement: true, reduced: 'batchmean',
    denominator: (shape) => shape[0], row: distillationRow(1),
  },
  {
    fn: 'distillationLoss', label: 'T = 4, teacher requiring grad, mean', streamed: true, options: { temperature: 4 }, classDim: 1, x: [-8, 8], t: [-8, 8],
    targetGrad: true, perElement: true, reduced: 'mean', denominator: (shape) => shape.reduce((a, b) => a * b, 1), row: distillationRow(4),
  },
  { fn: 'zeroOneLoss', label: 'scores', classDim: -1, x: [-1, 1], index: 'one', reduced: 'mean', noGrad: true, row: zeroOneRow },
  {
    fn: 'zeroOneLoss', label: 'scores with ties (first maximum)', streamed: true, classDim: -1, x: { oneOf: [0, 1, 2] }, index: 'one', reduced: 'sum',
    noGrad: true, row: zeroOneRow,
  },
  { fn: 'arcFaceLoss', label: 'scale 64, margin 0.5', streamed: true, classDim: -1, x: COSINES, index: 'one', reduced: 'mean', row: marginRow(64, arc(0.5)) },
  {
    fn: 'arcFaceLoss', label: 'scale 10, margin 1.2 (θ + m past π)', options: { scale: 10, margin: 1.2 }, classDim: -1, x: COSINES,
    index: 'one', reduced: 'sum', row: marginRow(10, arc(1.2)),
  },
  { fn: 'cosFaceLoss', label: 'scale 64, margin 0.35', streamed: true, classDim: -1, x: COSINES, index: 'one', reduced: 'mean', row: marginRow(64, cosMargin(0.35)) },
  { fn: 'sphereFaceLoss', label: 'margin 4, scale 1', classDim: -1, x: COSINES, index: 'one', reduced: 'mean', row: marginRow(1, sphere(4)) },
  {
    fn: 'sphereFaceLoss', label: 'margin 3, scale 16', streamed: true, options: { margin: 3, scale: 16 }, classDim: -1, x: COSINES, index: 'one',
    reduced: 'sum', row: marginRow(16, sphere(3)),
  },
  {
    fn: 'multilabelSoftMarginLoss', label: 'soft labels (requiring grad)', classDim: -1, x: [-20, 20], t: [0, 1], targetGrad: true,
    reduced: 'mean', row: multilabelSoftMarginRow,
  },
  {
    fn: 'multilabelSoftMarginLoss', label: '0/1 labels, class weights', streamed: true, classDim: -1, x: [-20, 20], t: { oneOf: [0, 1] }, targetGrad: true, weight: WEIGHTS,
    reduced: 'sum', row: multilabelSoftMarginRow,
  },
  {
    fn: 'qualityFocalLoss', label: 'β = 2, background rows', classDim: -1, x: LOGITS, index: 'one', background: true, perRow: () => [0, 1],
    reduced: 'mean', row: qualityFocalRow(2),
  },
  {
    fn: 'qualityFocalLoss', label: 'β = 0.5', options: { beta: 0.5 }, classDim: -1, x: LOGITS, index: 'one', background: true,
    perRow: () => [0, 1], reduced: 'sum', row: qualityFocalRow(0.5),
  },
  {
    fn: 'distributionFocalLoss', label: 'labels in [0, C − 1]', classDim: -1, x: LOGITS, perRow: (c) => [0, c - 1], reduced: 'mean',
    row: distributionFocalRow,
  },
];
