// Shared by the property tests (test/property.test.ts, test/property_rows.test.ts): the
// tolerances, the element comparison and the random columns drawn with fast-check.

import fc from 'fast-check';
import type { FloatDType } from '../../ts/index.js';

/** A closed interval the random values are drawn from, or a list of values to pick from. */
export type Domain = [number, number] | { oneOf: readonly number[] };

export const TOL: Record<FloatDType, { rtol: number; atol: number }> = {
  // float32 inputs, float64 reference: the kernels' own float32 rounding is ~1e-7 relative.
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

/** `a` within atol + rtol·|e| of `e`; equal infinities and NaN against NaN pass. */
export function near(a: number, e: number, dtype: FloatDType): boolean {
  if (a === e || (Number.isNaN(a) && Number.isNaN(e))) return true;
  const { rtol, atol } = TOL[dtype];
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

/** Throws unless {@link near}; `what` describes the element (called only on failure: the
 * checks run per element, so nothing is built for the ones that pass). */
export function close<A extends unknown[]>(a: number, e: number, dtype: FloatDType, what: (...args: A) => string, ...args: A): void {
  if (!near(a, e, dtype)) throw new Error(`${what(...args)}: got ${a}, expected ${e}`);
}

/** `n` random doubles from `d` (fast-check's doubles: edge values such as the bounds and 0 included). */
export function doubles(d: Domain, n: number): fc.Arbitrary<number[]> {
  const one = Array.isArray(d) ? fc.double({ min: d[0], max: d[1], noNaN: true }) : fc.constantFrom(...d.oneOf);
  return fc.array(one, { minLength: n, maxLength: n });
}

const STEPS = 2 ** 31 - 1;

/**
 * `n` random values from `d`, drawn as 31-bit integers mapped onto the interval (a multiple of
 * (hi − lo)/(2³¹ − 1), most of which a float32 cannot hold): several times cheaper to draw than
 * fast-check's doubles, for the long row columns. Integers near 0 and 2³¹ − 1 come up often,
 * so the bounds themselves are drawn too.
 */
export function fastValues(d: Domain, n: number): fc.Arbitrary<number[]> {
  if (!Array.isArray(d)) return fc.array(fc.constantFrom(...d.oneOf), { minLength: n, maxLength: n });
  const [lo, hi] = d;
  return fc
    .array(fc.integer({ min: 0, max: STEPS }), { minLength: n, maxLength: n })
    .map((ks) => ks.map((k) => (k === STEPS ? hi : lo + ((hi - lo) * k) / STEPS)));
}
