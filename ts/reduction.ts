// The one reduction: 'none' | 'mean' | 'sum' (+ 'batchmean' where PyTorch has it). Kernels
// fuse the summation into their loops and return Σ l; this module owns every denominator.

import { describe } from './describe.js';

/** How a loss reduces its per-element values, as PyTorch's `reduction` argument. */
export type Reduction = 'none' | 'mean' | 'sum';

export const REDUCTIONS: readonly Reduction[] = ['none', 'mean', 'sum'];

/** Validates a `reduction` option (default 'mean'), with PyTorch's wording. */
export function parseReduction<R extends string = Reduction>(
  fn: string,
  value: unknown,
  allowed: readonly R[] = REDUCTIONS as unknown as readonly R[],
  fallback: R = 'mean' as R,
): R {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new RangeError(
      `${fn}: ${typeof value === 'string' ? JSON.stringify(value) : describe(value)} is not a valid value for reduction (expected ${allowed.map((r) => `'${r}'`).join(', ')})`,
    );
  }
  return value as R;
}

/**
 * Compensated f64 accumulator (Neumaier), for combining per-chunk kernel sums: the kernels'
 * own summation is blocked and compensated (crates/kernels/src/driver.rs), this keeps the
 * chunk-level combination equally exact.
 */
export class Sum {
  private s = 0;
  private c = 0;
  add(v: number): void {
    const t = this.s + v;
    if (Math.abs(this.s) >= Math.abs(v)) this.c += this.s - t + v;
    else this.c += v - t + this.s;
    this.s = t;
  }
  value(): number {
    // An overflowed (±inf) or NaN sum stays as IEEE makes it (the compensation is then inf − inf
    // or NaN, and unused). A sum that once left the finite numbers never comes back, so this
    // one test at the end stands for one per addition.
    return Number.isFinite(this.s) ? this.s + this.c : this.s;
  }
}

/**
 * The reduced value of a loss from its sum: 'sum' → Σ, 'mean' → Σ / denominator (NaN for an
 * empty mean, 0/0, as PyTorch). The denominator is the loss's own (LOSS-SEMANTICS §2.22).
 */
export function reduceSum(reduction: 'mean' | 'sum', sum: number, denominator: number): number {
  return reduction === 'sum' ? sum : sum / denominator;
}

/** The factor a reduced loss's upstream gradient is scaled by before reaching each element. */
export function gradScale(reduction: 'mean' | 'sum', upstream: number, denominator: number): number {
  return reduction === 'sum' ? upstream : upstream / denominator;
}
