// Property tests: for every length 0–300 and random values, the wasm SIMD kernels (whole
// vectors, the padded tail, the fused sum) agree with the plain float64 references of
// test/helpers/reference.ts, in float32 and float64, for the values and every gradient.
// The row losses' properties are in property_rows.test.ts; the last test here walks the loss
// table (ts/losses.ts) and fails for a loss that has no property test.
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type FloatDType, type Tensor } from '../ts/index.js';
import { LOSSES } from '../ts/losses.js';
import { close, doubles, TOL } from './helpers/property.js';
import { ELEMENTWISE_REFS, type ElementwiseRef } from './helpers/reference.js';
import { ROW_REFS } from './helpers/row_reference.js';

beforeAll(() => init());

interface Columns {
  x: number[];
  t: number[];
  v: number[] | null;
  p: number[] | null;
  w: number[] | null;
}

function check(ref: ElementwiseRef, dtype: FloatDType, cols: Columns): void {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const [xs, ts] = [Ctor.from(cols.x), Ctor.from(cols.t)];
  const vs = cols.v && Ctor.from(cols.v);
  const ps = cols.p && Ctor.from(cols.p);
  const ws = cols.w && Ctor.from(cols.w);
  const n = xs.length;
  const fn = (F as unknown as Record<string, (...a: unknown[]) => Tensor>)[ref.fn];
  const mk = (d: Float32Array | Float64Array, grad = true) => tensor(d, undefined, { requiresGrad: grad });
  const args = [mk(xs), mk(ts, !ref.noTargetGrad), ...(vs ? [mk(vs)] : [])];
  const options = (reduction: string) => ({
    ...ref.options, ...(ws ? { weight: tensor(ws) } : {}), ...(ps ? { posWeight: tensor(ps) } : {}), reduction,
  });
  const none = fn(...args, options('none'));
  const g = Ctor.from(Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 3)); // varied upstream gradient
  none.backward(tensor(g));
  const sum = fn(...args.map((a) => tensor(a.data)), options('sum')).item();
  const context = ref.context?.(ts) ?? 0;
  const what = (part: string, i: number) => `${ref.fn}(${JSON.stringify(ref.options ?? {})}) ${dtype} n=${n} i=${i} ${part}`;
  const out = none.data as Float32Array | Float64Array;
  const [gx, gt, gv] = args.map((a) => a.grad?.data as Float32Array | Float64Array | undefined);
  let refSum = 0;
  let refAbs = 0;
  for (let i = 0; i < n; i++) {
    const [l0, dx, dt, dv] = ref.f(xs[i], ts[i], vs ? vs[i] : ps ? ps[i] : 1, context);
    // l = w·f: the weight scales the loss, and the upstream gradient of f's derivatives, g·w,
    // a product formed in the element type (0 for a subnormal w: then an infinite ∂ gives NaN).
    const w = ws ? ws[i] : 1;
    const gw = dtype === 'float32' ? Math.fround(g[i] * w) : g[i] * w;
    const l = w * l0;
    close(out[i], l, dtype, what, 'value', i);
    close(gx![i], dx * gw, dtype, what, '∂input', i);
    if (gt) close(gt[i], dt * gw, dtype, what, '∂target', i);
    if (gv) close(gv[i], dv * gw, dtype, what, '∂var', i);
    refSum += l;
    refAbs += Math.abs(l);
  }
  // The sum's error is relative to Σ|l|, not to a possibly cancelling Σl.
  expect(Math.abs(sum - refSum)).toBeLessThanOrEqual(TOL[dtype].atol * n + TOL[dtype].rtol * refAbs);
}

describe.each(ELEMENTWISE_REFS.map((r) => [`${r.fn} ${JSON.stringify(r.options ?? {})}${refExtras(r)}`, r] as const))(
  'SIMD kernel = reference: %s',
  (_, ref) => {
    // One draw per run serves both dtypes (the float32 run rounds it).
    it('float32 and float64, every length 0–300', () => {
      const dom = ref.domain;
      for (let n = 0; n <= 300; n++) {
        const none = fc.constant(null);
        fc.assert(
          fc.property(
            doubles(dom.input, n), doubles(dom.target, n),
            dom.var ? doubles(dom.var, n) : none, dom.posWeight ? doubles(dom.posWeight, n) : none, dom.weight ? doubles(dom.weight, n) : none,
            (x, t, v, p, w) => {
              for (const dtype of ['float32', 'float64'] as const) check(ref, dtype, { x, t, v, p, w });
            },
          ),
          { numRuns: 2, seed: 1000 + n },
        );
      }
    });
  },
);

/** The operands and target set that tell two references of one loss apart in the test name. */
function refExtras(r: ElementwiseRef): string {
  const d = r.domain;
  return [d.weight && ' weight', d.posWeight && ' posWeight', !Array.isArray(d.target) && ` targets ∈ {${d.target.oneOf.join(', ')}}`]
    .filter(Boolean).join('');
}

/**
 * Losses whose property tests live with their family's tests: the box-IoU losses (the SIMD
 * lanes, tail and chunks against one box at a time, bit for bit, and GIoU against a float64
 * JS reference), ctcLoss (a brute-force enumeration of alignments, central-difference
 * gradients), rnntLoss (a float64 α–β reference), the segmentation losses (the plane pass and
 * the Lovász sorts against float64 JS references). Checked: the file exists and calls the loss.
 */
const ELSEWHERE: Record<string, string> = {
  generalizedBoxIouLoss: 'test/localization/properties.test.ts',
  distanceBoxIouLoss: 'test/localization/properties.test.ts',
  completeBoxIouLoss: 'test/localization/properties.test.ts',
  boxIouLoss: 'test/localization/properties.test.ts',
  efficientBoxIouLoss: 'test/localization/properties.test.ts',
  scyllaBoxIouLoss: 'test/localization/properties.test.ts',
  ctcLoss: 'test/sequence/ctc_property.test.ts',
  rnntLoss: 'test/sequence/rnnt_property.test.ts',
  ...Object.fromEntries(
    [
      ...['marginRankingLoss', 'hingeEmbeddingLoss', 'cosineEmbeddingLoss', 'tripletMarginLoss', 'tripletMarginWithDistanceLoss', 'ntXentLoss',
      'supConLoss', 'rankNetLoss', 'listNetLoss', 'listMleLoss', 'approxNdcgLoss'].map((n) => [n, 'test/ranking/properties.test.ts']),
      ...['diceLoss', 'jaccardLoss', 'tverskyLoss', 'mccLoss', 'generalizedDiceLoss', 'lovaszHingeLoss', 'lovaszSoftmaxLoss']
        .map((n) => [n, 'test/segmentation/properties.test.ts']),
    ],
  ),
};

describe('every loss has a property test', () => {
  it('each loss of the table (ts/losses.ts) has a reference here or a property test of its family, and each reference a loss', () => {
    const here = new Set([...ELEMENTWISE_REFS.map((r) => r.fn), ...ROW_REFS.map((r) => r.fn)]);
    const names = LOSSES.map((l) => l.spec.name);
    expect(names.length).toBeGreaterThan(0);
    const missing = names.filter((n) => {
      if (here.has(n)) return false;
      const file = ELSEWHERE[n];
      if (file === undefined) return true;
      const url = new URL(`../${file}`, import.meta.url);
      return !existsSync(url) || !readFileSync(url, 'utf8').includes(`F.${n}`);
    });
    expect(missing, 'losses without a property test').toEqual([]);
    const named = [...here, ...Object.keys(ELSEWHERE)];
    expect(named.filter((n) => !names.includes(n)), 'references of no loss').toEqual([]);
  });
});
