// Property tests: for every length 0–300 and random values, the wasm SIMD kernels (whole
// vectors, the padded tail, the fused sum) agree with the plain float64 references of
// test/helpers/reference.ts, in float32 and float64, for the values and every gradient.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type FloatDType, type Tensor } from '../ts/index.js';
import { ELEMENTWISE_REFS, type ElementwiseRef } from './helpers/reference.js';

beforeAll(() => init());

const TOL: Record<FloatDType, { rtol: number; atol: number }> = {
  // float32 inputs, float64 reference: the kernels' own float32 rounding is ~1e-7 relative.
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

function close(a: number, e: number, dtype: FloatDType, what: string): void {
  if (Number.isNaN(e) && Number.isNaN(a)) return;
  const { rtol, atol } = TOL[dtype];
  if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}: got ${a}, expected ${e}`);
}

function check(ref: ElementwiseRef, dtype: FloatDType, cols: number[][]): void {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const [xs, ts, vs] = cols.map((c) => Ctor.from(c));
  const n = xs.length;
  const fn = (F as unknown as Record<string, (...a: unknown[]) => Tensor>)[ref.fn];
  const mk = (d: Float32Array | Float64Array) => tensor(d, undefined, { requiresGrad: true });
  const args = ref.domain.var ? [mk(xs), mk(ts), mk(vs)] : [mk(xs), mk(ts)];
  const none = fn(...args, { ...ref.options, reduction: 'none' });
  const g = Ctor.from({ length: n }, (_, i) => ((i % 7) - 3) / 3); // varied upstream gradient
  none.backward(tensor(g));
  const sum = fn(...args.map((a) => tensor(a.data)), { ...ref.options, reduction: 'sum' }).item();
  let refSum = 0;
  let refAbs = 0;
  for (let i = 0; i < n; i++) {
    const [l, dx, dt, dv] = ref.f(xs[i], ts[i], vs[i]);
    const what = `${ref.fn}(${JSON.stringify(ref.options ?? {})}) ${dtype} n=${n} i=${i}`;
    close(none.data[i] as number, l, dtype, `${what} value`);
    close(args[0].grad!.data[i] as number, dx * g[i], dtype, `${what} ∂input`);
    close(args[1].grad!.data[i] as number, dt * g[i], dtype, `${what} ∂target`);
    if (ref.domain.var) close(args[2].grad!.data[i] as number, dv * g[i], dtype, `${what} ∂var`);
    refSum += l;
    refAbs += Math.abs(l);
  }
  // The sum's error is relative to Σ|l|, not to a possibly cancelling Σl.
  expect(Math.abs(sum - refSum)).toBeLessThanOrEqual(TOL[dtype].atol * n + TOL[dtype].rtol * refAbs);
}

describe.each(ELEMENTWISE_REFS.map((r) => [`${r.fn} ${JSON.stringify(r.options ?? {})}`, r] as const))(
  'SIMD kernel = reference: %s',
  (_, ref) => {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${dtype}, every length 0–300`, () => {
        const col = (d: [number, number], n: number) =>
          fc.array(fc.double({ min: d[0], max: d[1], noNaN: true }), { minLength: n, maxLength: n });
        for (let n = 0; n <= 300; n++) {
          const dom = ref.domain;
          fc.assert(
            fc.property(col(dom.input, n), col(dom.target, n), col(dom.var ?? [1, 1], n), (x, t, v) => check(ref, dtype, [x, t, v])),
            { numRuns: 2, seed: 1000 + n },
          );
        }
      });
    }
  },
);
