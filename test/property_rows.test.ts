// Property tests of the row losses: for every row width C = 1–300 (so every SIMD tail length
// and chunk remainder is hit) and random values, the kernels agree with the plain float64
// references of test/helpers/row_reference.ts, in float32 and float64: the values ('none'), the
// gradients of every input that takes one under a varied upstream gradient, and one reduced
// value ('mean', 'batchmean' or 'sum': the fused statistics and the denominator) with its
// gradient (the kernels' scalar-upstream path). Then one or two configurations per loss again
// with every row streamed through the `piece` export in pieces of 8 bytes (setRowStreaming(8, 8)).
// Row losses that never stream run there too: nllLoss (its kernel rows are one wide),
// multilabelMarginLoss (rows staged whole) and multilabelSoftMarginLoss (elementwise kernel).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type FloatDType, type Tensor } from '../ts/index.js';
import { setRowStreaming } from '../ts/rowloss.js';
import { close, fastValues, TOL } from './helpers/property.js';
import { ROW_REFS, type RowRef, type RowResult } from './helpers/row_reference.js';

beforeAll(() => init());

const ROWS = 3;
const WIDTHS = Array.from({ length: 300 }, (_, i) => i + 1);
/**
 * Widths of the streamed run. In 8-byte pieces a row of C classes is C (float64) or ⌈C/2⌉
 * (float32) pieces, every class sits at a piece boundary and the wasm calls grow with C: every
 * width up to 64, then four wide rows, cost 1/15 of the whole sweep (which took 18 s of CPU for
 * the streamed configurations) and reach the same piece and pass logic.
 */
const STREAMED_WIDTHS = [...WIDTHS.slice(0, 64), 100, 173, 256, 300];

/** The input's shape: a class-dimension-1 loss takes odd widths as (1, C, 3) (rows gathered
 * across a stride, the (N, C, d1) layout) and even ones as (3, C). */
function shapeOf(ref: RowRef, c: number): number[] {
  return ref.classDim === 1 && c % 2 === 1 ? [1, c, ROWS] : [ROWS, c];
}

interface Draw {
  x: number[];
  t: number[] | null;
  y: number[] | null;
  w: number[] | null;
  s: number[] | null;
}

function draw(ref: RowRef, c: number): fc.Arbitrary<Draw> {
  const n = ROWS * c;
  const none = fc.constant(null);
  const ints = (lo: number, len: number) => fc.array(fc.integer({ min: lo, max: c - 1 }), { minLength: len, maxLength: len });
  // Index targets in [0, C) (or [0, C]: C is background), or −1 standing for ignoreIndex; list
  // rows: entries in [−1, C).
  let y: fc.Arbitrary<number[] | null> = none;
  if (ref.index === 'list') y = ints(-1, n);
  else if (ref.index === 'one' && ref.background) y = fc.array(fc.integer({ min: 0, max: c }), { minLength: ROWS, maxLength: ROWS });
  else if (ref.index === 'one' && ref.ignoreIndex !== undefined) y = ints(-1, ROWS).map((ys) => ys.map((v) => (v < 0 ? ref.ignoreIndex! : v)));
  else if (ref.index === 'one') y = ints(0, ROWS);
  return fc.record({
    x: fastValues(ref.x, n),
    t: ref.t ? fastValues(ref.t, n) : none,
    y,
    w: ref.weight ? fastValues(ref.weight, c) : none,
    s: ref.perRow ? fastValues(ref.perRow(c), ROWS) : none,
  });
}

const ZERO: RowResult = { l: [0], den: 0, dx: null, dt: null };

type Floats = Float32Array | Float64Array;

function check(ref: RowRef, dtype: FloatDType, d: Draw, c: number): void {
  const shape = shapeOf(ref, c);
  const [n, C] = shape;
  const s = shape[2] ?? 1;
  const rows = n * s;
  /** Offset of class k of row r in the input. */
  const at = (r: number, k: number) => Math.floor(r / s) * C * s + k * s + (r % s);
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const xs = Ctor.from(d.x);
  const ts = d.t && Ctor.from(d.t);
  const ws = d.w && Ctor.from(d.w);
  const ss = d.s && Ctor.from(d.s);
  const w = ws && Float64Array.from(ws);
  const fn = (F as unknown as Record<string, (...a: unknown[]) => Tensor>)[ref.fn];
  // Both index dtypes (int32 is used in place, int64 converted).
  const intDType = c % 3 === 0 ? 'int32' : 'int64';
  const yShape = ref.index === 'list' ? shape : s > 1 ? [n, s] : [n];
  const args = (): Tensor[] => [
    tensor(xs, shape, { requiresGrad: true }),
    ...(ts ? [tensor(ts, shape, { requiresGrad: ref.targetGrad === true })] : []),
    ...(d.y ? [tensor(d.y, yShape, { dtype: intDType })] : []),
    ...(ss ? [tensor(ss, [rows])] : []),
  ];
  const options = (reduction: string) => ({
    ...ref.options, ...(ws ? { weight: tensor(ws) } : {}), ...(ref.ignoreIndex === undefined ? {} : { ignoreIndex: ref.ignoreIndex }),
    reduction,
  });
  const per = ref.perElement === true;
  /** Row r's operands, and whether its target is ignoreIndex. */
  const rowOf = (r: number) => {
    const x = new Float64Array(C);
    const t = ts && new Float64Array(C);
    for (let k = 0; k < C; k++) {
      x[k] = xs[at(r, k)];
      if (t) t[k] = ts[at(r, k)];
    }
    const y = ref.index === 'one' ? [d.y![r]] : ref.index === 'list' ? d.y!.slice(r * C, (r + 1) * C) : [];
    const ignored = ref.ignoreIndex !== undefined && y[0] === ref.ignoreIndex;
    return { operands: { x, t, y, w, s: ss ? ss[r] : Number.NaN, dtype }, ignored };
  };
  const what = (part: string, r: number, k: number) => `${ref.fn} (${ref.label}) ${dtype} shape [${shape}] row ${r} class ${k}: ${part}`;
  /** Row r's expected ∂input and ∂target (0 for an ignored row) against the gradients of `a`. */
  const grads = (a: Tensor[], res: RowResult, r: number, part: string) => {
    const gx = a[0].grad!.data as Floats;
    const gt = ref.targetGrad ? (a[1].grad!.data as Floats) : null;
    const zero = res === ZERO;
    for (let k = 0; k < C; k++) {
      const o = at(r, k);
      close(gx[o], zero ? 0 : res.dx![k], dtype, what, `∂input${part}`, r, k);
      if (gt) close(gt[o], zero ? 0 : res.dt![k], dtype, what, `∂target${part}`, r, k);
    }
  };

  // 'none', backward with a varied upstream.
  const a1 = args();
  const out = fn(...a1, options('none'));
  const g = Ctor.from(Array.from({ length: out.numel() }, (_, i) => ((i % 7) - 3) / 3));
  if (ref.noGrad) expect(() => out.backward(tensor(g, out.shape))).toThrow(/not differentiable/);
  else out.backward(tensor(g, out.shape));
  const values = out.data as Floats;
  const results: RowResult[] = [];
  for (let r = 0; r < rows; r++) {
    const { operands, ignored } = rowOf(r);
    const gr = per ? Float64Array.from({ length: C }, (_, k) => g[at(r, k)]) : [g[r]];
    const res = ignored ? ZERO : ref.row(operands, gr);
    results.push(res); // l and den do not depend on the upstream
    for (let k = 0; k < (per ? C : 1); k++) close(values[per ? at(r, k) : r], res.l[k], dtype, what, 'value', r, k);
    if (!ref.noGrad) grads(a1, res, r, '');
  }

  // The reduced value: Σ l / denominator, its error relative to Σ|l| (not to a cancelling Σ l).
  const a2 = args();
  const red = fn(...a2, options(ref.reduced));
  let sum = 0;
  let abs = 0;
  for (const res of results) {
    for (const l of res.l) {
      sum += l;
      abs += Math.abs(l);
    }
  }
  const den = ref.reduced === 'sum' ? 1 : (ref.denominator?.(shape) ?? results.reduce((acc, res) => acc + res.den, 0));
  const { rtol, atol } = TOL[dtype];
  const got = red.item();
  const want = sum / den;
  const about = `${ref.fn} (${ref.label}) ${dtype} shape [${shape}] ${ref.reduced}: ${got} vs ${want}`;
  if (Number.isNaN(want)) expect(got, about).toBeNaN();
  else expect(Math.abs(got - want), about).toBeLessThanOrEqual((atol * rows * (per ? C : 1) + rtol * abs) / Math.abs(den));
  if (ref.noGrad) return;
  red.backward();
  for (let r = 0; r < rows; r++) {
    const { operands, ignored } = rowOf(r);
    grads(a2, ignored ? ZERO : ref.row(operands, new Float64Array(per ? C : 1).fill(1 / den)), r, ` (${ref.reduced})`);
  }
}

function property(ref: RowRef, seed: number, widths: number[]): void {
  for (const c of widths) {
    fc.assert(
      fc.property(draw(ref, c), (d) => {
        for (const dtype of ['float32', 'float64'] as const) check(ref, dtype, d, c);
      }),
      { numRuns: 1, seed: seed + c },
    );
  }
}

const cases = ROW_REFS.map((r) => [`${r.fn}: ${r.label}`, r] as const);

describe.each(cases)('row kernels = reference: %s', (_, ref) => {
  it('float32 and float64, widths C = 1–300', () => property(ref, 2000, WIDTHS));
});

describe('row kernels = reference, every row streamed in 8-byte pieces', () => {
  beforeAll(() => setRowStreaming(8, 8));
  afterAll(() => setRowStreaming());
  for (const [label, ref] of cases.filter(([, r]) => r.streamed)) {
    it(`${label}: float32 and float64, widths C = 1–64, 100, 173, 256, 300`, () => property(ref, 3000, STREAMED_WIDTHS));
  }
});
