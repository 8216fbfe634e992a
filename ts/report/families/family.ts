// What a family plugs into the report (ts/report/families/<family>.ts, listed in index.ts): its
// curves (each loss against the quantity that drives it, value and gradient from lossfn's own
// forward and backward), a built-in dataset, how it contaminates a dataset, how it reads a
// user's (input, target), and each loss's per-sample values and gradient norms on a dataset.

import { tensor, type Tensor } from '../../index.js';

/** A dense float64 array with its shape: what user data is normalised to. */
export interface Dense {
  data: Float64Array;
  shape: number[];
}

/** One curve: a loss's value (or gradient) at the sampled points of the x-axis. */
export interface Series {
  name: string;
  /** The F function and options behind the curve (the tests recompute it from these). */
  fn: string;
  options: Record<string, unknown>;
  x: number[];
  y: number[];
}

/** A secondary axis along the top of a curve plot (p_y above the margin). */
export interface TopAxis {
  label: string;
  /** Positions on the x scale. */
  ticks: number[];
  labels: string[];
}

/** One curve plot's data, before rendering. */
export interface CurveSet {
  /** What this plot's x is ('residual', 'offset', 'scale', ...): unique within the family. */
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  gradLabel: string;
  topAxis?: TopAxis;
  /** A symmetric-log y-axis for both plots, when one loss's scale would flatten the others (Lovász hinge). */
  yScale?: 'symlog';
  loss: Series[];
  grad: Series[];
}

/** A dataset the losses score: its tensors (family-specific), size and the contaminated samples. */
export interface Dataset {
  n: number;
  /** 1 where the sample was contaminated by compare (outlier, wrong label, misplaced box). */
  contaminated: Uint8Array;
  /** A short description of each sample for the "penalised most" table. */
  describe(i: number): string;
}

/** Per-sample values and gradient norms of one loss on a dataset. */
export interface PerSample {
  loss: Float64Array;
  /** ‖∂loss_i/∂input_i‖₂ from lossfn's backward. */
  grad: Float64Array;
}

export interface LossEntry<D extends Dataset> {
  name: string;
  /** Whether the loss is defined on this dataset (Poisson needs positive rates); default yes. */
  applicable?(d: D): boolean;
  perSample(d: D): PerSample;
}

export interface Family<D extends Dataset = Dataset> {
  name: string;
  title: string;
  /** What contamination means here ("target outliers", "wrong labels", ...). */
  contamination: string;
  losses: LossEntry<D>[];
  curves(): CurveSet[];
  /** A clean built-in dataset of n samples. */
  builtIn(n: number, seed: number): D;
  /** `base` with the samples `which` contaminated (the same draw for every loss). */
  contaminate(base: D, which: Uint32Array, seed: number): D;
  /**
   * Order of user-data inference: families are asked in decreasing specificity, so a narrow
   * pattern ((N, 4) boxes) wins over a broad one (any matching shapes).
   */
  specificity: number;
  /** Whether (input, target) of these shapes is this family's data. */
  accepts(input: number[], target: number[]): boolean;
  /** The user's (input, target) as a dataset, or an Error naming the argument. */
  fromUser(input: Dense, target: Dense, names: { input: string; target: string }): D;
  /** Keeps the samples `idx` (subsampling large user data). */
  subset(d: D, idx: Uint32Array): D;
}

/** Runs `call` on `x` (float64, requiresGrad), backward with ones; per-sample values and the
 *  gradient (the full array: callers reduce it to per-sample norms). */
export function valueAndGrad(x: Float64Array, shape: number[], call: (x: Tensor) => Tensor): { loss: Float64Array; grad: Float64Array } {
  const xt = tensor(x, shape, { dtype: 'float64', requiresGrad: true });
  const out = call(xt);
  out.backward(new Float64Array(out.numel()).fill(1));
  const grad = xt.grad;
  if (grad === null) throw new Error('compare: internal: no gradient');
  return { loss: Float64Array.from(out.data as Float64Array), grad: grad.data as Float64Array };
}

/** L2 norms of consecutive rows of `k` values. */
export function rowNorms(g: Float64Array, k: number): Float64Array {
  const n = g.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += g[i * k + j] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** n evenly spaced points from a to b inclusive. */
export function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** Gathers the rows `idx` of a row-major array with rows of k values. */
export function gatherRows<T extends Float64Array | Int32Array | BigInt64Array>(a: T, k: number, idx: Uint32Array): T {
  const out = new (a.constructor as new (n: number) => T)(idx.length * k);
  for (let i = 0; i < idx.length; i++) out.set(a.subarray(idx[i] * k, idx[i] * k + k) as never, i * k);
  return out;
}

/** The flags of the samples `idx`. */
export function gatherFlags(f: Uint8Array, idx: Uint32Array): Uint8Array {
  return Uint8Array.from(idx, (i) => f[i]);
}

/** A compact number for sample descriptions and readings. */
export function num(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/** An error about an argument of compare(), tagged with the option it names. */
export class CompareError extends Error {
  constructor(readonly option: string | null, message: string) {
    super(`compare: ${message}`);
    this.name = option === null ? 'CompareDataError' : 'CompareOptionError';
  }
}
