// Wasm memory: views survive memory.grow, repeated calls of every loss never grow memory, and
// inputs of any length stream through the bounded scratch area (README: "wasm memory stays
// under 4 MiB"), rows of millions of classes included.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, tensor, type FloatDType, type Tensor } from '../ts/index.js';
import { LOSSES } from '../ts/losses.js';
import type { AnyLoss } from '../ts/table.js';
import { wasm } from '../ts/wasm/runtime.js';
import { arc, crossEntropyIndex, distillationRow, marginRow, nllRow, type RowResult } from './helpers/row_reference.js';

beforeAll(() => init());

/** The bound the README states for the module's memory, whatever the input length. */
const MEMORY_BOUND = 4 * 1024 * 1024;

function mseRef(x: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - t[i]) ** 2;
  return s / x.length;
}

/** Every element of `got` within rtol·|e| + atol of `want`. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}

/**
 * One wide-row loss call, forward and backward with the 'mean' reduction, on (rows, C) float32
 * input(s) requiring grad, against the float64 row reference `row` (upstream 1/N per row):
 * checks the value, every gradient and that wasm memory stays within MEMORY_BOUND.
 */
function wideRows(
  call: (args: Tensor[]) => Tensor,
  inputs: Float32Array[],
  shape: [number, number],
  row: (x: Float64Array, t: Float64Array | null, r: number, g: number) => RowResult,
): void {
  const [rows, c] = shape;
  const args = inputs.map((d) => tensor(d, shape, { requiresGrad: true }));
  const loss = call(args);
  loss.backward();
  const bytes = memoryBytes();
  expect(bytes).toBeLessThanOrEqual(MEMORY_BOUND);
  let want = 0;
  for (let r = 0; r < rows; r++) {
    const slice = (d: Float32Array) => Float64Array.from(d.subarray(r * c, (r + 1) * c));
    const res = row(slice(inputs[0]), inputs[1] ? slice(inputs[1]) : null, r, 1 / rows);
    for (const l of res.l) want += l / rows;
    expectClose(args[0].grad!.data.subarray(r * c, (r + 1) * c) as Float32Array, res.dx!, 1e-5, 1e-9, `row ${r} ∂input`);
    if (inputs[1]) expectClose(args[1].grad!.data.subarray(r * c, (r + 1) * c) as Float32Array, res.dt!, 1e-5, 1e-9, `row ${r} ∂target`);
  }
  expect(Math.abs(loss.item() - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
}

/** Deterministic float32 values in [−s, s]. */
function wave(n: number, s: number, phase = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = s * Math.sin(i * 0.618 + phase);
  return out;
}

// ---- the arguments of every loss, for the repeated-calls test ------------------------------

/**
 * How a loss's arguments are built for about n elements: 'elementwise' (every argument of the
 * descriptor's `args` a float tensor of n elements); rows of classes — narrow (⌈n/10⌉ rows of
 * 10) or wide (one row of n, streamed in pieces past 256 KiB) — with class-index targets
 * ('index'), float target rows ('rows'), target lists ('list'), a label and a score per row
 * ('quality'), a continuous label per row ('bins'); ⌈n/4⌉ boxes ('boxes'); a CTC problem of
 * ⌈n/10⌉ frames of 10 classes ('ctc'), an RNN-T lattice of ⌈n/20⌉ × 2 rows of 10 ('rnnt');
 * ⌈n/8⌉ pairs or triplets of 8-D embeddings ('pair', 'triplet'), padded lists of 10 ('lists'),
 * and two views of 8-D embeddings for the contrastive losses ('views', 'supcon'), at most 512
 * samples there: their work is quadratic in the batch (every sample against every other);
 * segmentation: (1, 3, ⌈n/3⌉) logits with class indices ('planes'), probabilities and 0/1
 * labels ('probs', MCC), a softmax with one-hot class indices (1, 1, ⌈n/3⌉) ('gdl'), logits
 * (1, n) with 0/1 labels ('hinge').
 */
type Kind = 'elementwise' | 'index' | 'rows' | 'list' | 'quality' | 'bins' | 'boxes' | 'ctc' | 'rnnt' | 'pair' | 'triplet' | 'views' | 'supcon' | 'lists'
  | 'planes' | 'probs' | 'gdl' | 'hinge';

/** Every loss outside the regression family says here how its arguments are built (a
 * regression loss's arguments are elementwise): a new loss without an entry fails the test. */
const KIND: Record<string, Kind> = {
  binaryCrossEntropy: 'elementwise', binaryCrossEntropyWithLogits: 'elementwise', hinge: 'elementwise', squaredHinge: 'elementwise',
  softMarginLoss: 'elementwise', sigmoidFocalLoss: 'elementwise', klDiv: 'elementwise', balancedL1Loss: 'elementwise',
  varifocalLoss: 'elementwise',
  crossEntropy: 'index', nllLoss: 'index', softmaxFocalLoss: 'index', polyLoss: 'index', multiMarginLoss: 'index', zeroOneLoss: 'index',
  arcFaceLoss: 'index', cosFaceLoss: 'index', sphereFaceLoss: 'index',
  multilabelMarginLoss: 'list', categoricalHinge: 'rows', distillationLoss: 'rows', multilabelSoftMarginLoss: 'rows',
  qualityFocalLoss: 'quality', distributionFocalLoss: 'bins',
  generalizedBoxIouLoss: 'boxes', distanceBoxIouLoss: 'boxes', completeBoxIouLoss: 'boxes', boxIouLoss: 'boxes', efficientBoxIouLoss: 'boxes',
  scyllaBoxIouLoss: 'boxes',
  ctcLoss: 'ctc', rnntLoss: 'rnnt',
  marginRankingLoss: 'elementwise', hingeEmbeddingLoss: 'elementwise', cosineEmbeddingLoss: 'pair',
  tripletMarginLoss: 'triplet', tripletMarginWithDistanceLoss: 'triplet', ntXentLoss: 'views', supConLoss: 'supcon',
  rankNetLoss: 'lists', listNetLoss: 'lists', listMleLoss: 'lists', approxNdcgLoss: 'lists',
  diceLoss: 'planes', jaccardLoss: 'planes', tverskyLoss: 'planes', lovaszSoftmaxLoss: 'planes', mccLoss: 'probs',
  generalizedDiceLoss: 'gdl', lovaszHingeLoss: 'hinge',
};

/** The kinds with rows of classes (a narrow and a wide layout). */
const ROW_KINDS: ReadonlySet<Kind> = new Set<Kind>(['index', 'rows', 'list', 'quality', 'bins']);

function kindOf(loss: AnyLoss): Kind {
  const kind = loss.spec.family === 'regression' ? 'elementwise' : KIND[loss.spec.name];
  if (kind === undefined) throw new Error(`memory test: no argument maker for ${loss.spec.name} (add it to KIND)`);
  return kind;
}

/** The arguments of `loss` for n elements; the first requires grad. Values lie inside every
 * loss's domain: 0.5 (BCE's [0, 1], the cosines' [−1, 1]), boxes of positive sides, uniform
 * log-probabilities. */
function argsOf(loss: AnyLoss, kind: Kind, n: number, dtype: FloatDType, wide: boolean): unknown[] {
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  const float = (shape: number[], grad = false, v = 0.5) =>
    tensor(new Ctor(shape.reduce((a, b) => a * b, 1)).fill(v), shape, { dtype, requiresGrad: grad });
  const ints = (shape: number[], f: (i: number) => number) => {
    const d = new Int32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < d.length; i++) d[i] = f(i);
    return tensor(d, shape, { dtype: 'int64' });
  };
  if (kind === 'elementwise') return loss.spec.args.map((_: string, i: number) => float([n], i === 0));
  if (kind === 'boxes') {
    const m = Math.ceil(n / 4);
    // xyxy boxes (lo, lo, lo + 1, lo + 1).
    const boxes = (lo: number, grad: boolean) => {
      const d = new Ctor(4 * m).fill(lo);
      for (let i = 2; i < d.length; i += 4) d[i] = d[i + 1] = lo + 1;
      return tensor(d, [m, 4], { dtype, requiresGrad: grad });
    };
    return [boxes(0, true), boxes(0.5, false)];
  }
  if (kind === 'ctc') {
    // (T, 1, 10) frames, target [1, 2] (one label when T = 1); no frames: an empty batch.
    const t = Math.max(1, Math.ceil(n / 10));
    const batch = n === 0 ? 0 : 1;
    const len = t >= 2 ? 2 : 1;
    return [float([t, batch, 10], true, -Math.log(10)), ints([batch, 2], (i) => 1 + i), batch ? [t] : [], batch ? [len] : []];
  }
  if (kind === 'rnnt') {
    // (1, T, 2, 10) logits, target [1] (the blank is the last class); no frames: an empty batch.
    const t = Math.max(1, Math.ceil(n / 20));
    const batch = n === 0 ? 0 : 1;
    return [float([batch, t, 2, 10], true), ints([batch, 1], () => 1), batch ? [t] : [], batch ? [1] : []];
  }
  if (kind === 'pair' || kind === 'triplet') {
    const r = Math.ceil(n / 8);
    const pos = float([r, 8], false, 0.25);
    return kind === 'pair' ? [float([r, 8], true), pos, float([r], false, 1)] : [float([r, 8], true), pos, float([r, 8], false, -0.5)];
  }
  if (kind === 'views' || kind === 'supcon') {
    const r = Math.min(512, Math.ceil(n / 16));
    const a = new Ctor(r * 16);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i); // distinct directions
    if (kind === 'supcon') return [tensor(a, [r, 2, 8], { dtype, requiresGrad: true }), ints([r], (i) => i % 3)];
    return [tensor(a.slice(0, r * 8), [r, 8], { dtype, requiresGrad: true }), tensor(a.slice(r * 8), [r, 8], { dtype })];
  }
  if (kind === 'lists') {
    const r = Math.ceil(n / 10);
    const rel = new Ctor(r * 10);
    for (let i = 0; i < rel.length; i++) rel[i] = i % 10 === 9 ? -1 : i % 3; // ties, and one pad per list
    return [float([r, 10], true), tensor(rel, [r, 10], { dtype })];
  }
  if (kind === 'planes' || kind === 'gdl') {
    const s = Math.ceil(n / 3);
    return [float([1, 3, s], true, 0.25), ints(kind === 'gdl' ? [1, 1, s] : [1, s], (i) => i % 3)];
  }
  if (kind === 'probs') return [float([1, n], true), float([1, n], false, 1)];
  if (kind === 'hinge') return [float([1, n], true), ints([1, n], (i) => i % 2)];
  const shape = wide ? [1, n] : [Math.ceil(n / 10), 10];
  const [rows, c] = shape;
  const input = float(shape, true);
  if (kind === 'rows') return [input, float(shape)];
  if (kind === 'index') return [input, ints([rows], () => 0)];
  if (kind === 'quality') return [input, ints([rows], () => 0), float([rows])];
  if (kind === 'bins') return [input, float([rows], false, c > 1 ? 0.5 : 0)]; // a label in [0, C − 1]
  // Each row's list: class 0, then −1 (the rest ignored).
  return [input, ints(shape, (i) => (i % c === 0 ? 0 : -1))];
}

/** `{ reduction }` when the loss has that reduction, its default otherwise (the segmentation
 * losses: 'mean' | 'none', or no reduction at all); generalizedDiceLoss gets its softmax. */
function optionsFor(loss: AnyLoss, reduction: 'sum' | 'none'): Record<string, unknown> {
  const extra = loss.spec.name === 'generalizedDiceLoss' ? { softmax: true, toOnehotY: true } : {};
  const spec = loss.spec.options.reduction;
  if (!spec) return extra;
  try {
    spec.parse('', 'reduction', reduction);
    return { ...extra, reduction };
  } catch {
    return extra;
  }
}

/** Losses without a gradient: forward only. */
const NO_GRAD = new Set(['zeroOneLoss']);

describe('wasm memory', () => {
  // First in the file: the other tests grow memory on purpose.
  it('mseLoss over 1e8 float32 elements streams in constant wasm memory', () => {
    const n = 100_000_000;
    const x = new Float32Array(n);
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = (i % 1000) * 1e-3; // 0 … 0.999
      t[i] = 0.5;
    }
    const loss = F.mseLoss(tensor(x), tensor(t)).item();
    // Each block of 1000 holds x = k/1000, k = 0…999, against t = 0.5, so the mean is
    // mean_k (k/1000 − 0.5)² = mean(k²)/1e6 − mean(k)/1e3 + 0.25, with mean(k) = 499.5 and
    // mean(k²) = 999·1999/6 = 332833.5: 0.3328335 − 0.4995 + 0.25 = 0.0833335.
    expect(loss).toBeCloseTo(0.0833335, 6);
    expect(memoryBytes()).toBeLessThanOrEqual(MEMORY_BOUND);
  });

  // Rows of millions of classes stream through the `piece` export: the scratch area stays
  // bounded while the inputs and gradients live in JS (measured, Node 20: wasm memory 1.69 MiB
  // after these four calls in file order, 2.13 MiB when they run alone; the module starts at
  // 1.06 MiB). Each checks its value and gradients against the float64 row references of the
  // property tests.
  it('crossEntropy on a [1, 1e7] float32 input requiring grad, forward and backward, stays within 4 MiB', () => {
    const c = 10_000_000;
    wideRows(
      ([x]) => F.crossEntropy(x, tensor([c - 3], [1], { dtype: 'int64' })),
      [wave(c, 8)], [1, c],
      (x, _t, _r, g) => crossEntropyIndex(0)({ x, t: null, y: [c - 3], w: null, s: Number.NaN, dtype: 'float32' }, [g]),
    );
  });

  it('crossEntropy with class weights and label smoothing on [2, 3e6]: the weights stream with the rows (within 4 MiB)', () => {
    const c = 3_000_000;
    const ys = [11, c - 5];
    const w = Float32Array.from({ length: c }, (_, k) => 0.5 + (k % 7) / 4);
    const weight = tensor(w);
    wideRows(
      ([x]) => F.crossEntropy(x, tensor(ys, [2], { dtype: 'int64' }), { weight, labelSmoothing: 0.1, reduction: 'sum' }),
      [wave(2 * c, 8)], [2, c],
      (x, _t, r, g) => {
        // 'sum' here: the wideRows helper feeds upstream 1/N and divides by N; undo both.
        const res = crossEntropyIndex(0.1)({ x, t: null, y: [ys[r]], w: Float64Array.from(w), s: Number.NaN, dtype: 'float32' }, [g * 2]);
        return { l: res.l.map((l) => l * 2), dx: res.dx };
      },
    );
  });

  it('nllLoss on a [2, 3e6] float32 input requiring grad stays within 4 MiB', () => {
    const c = 3_000_000;
    const ys = [17, c - 1];
    wideRows(
      ([x]) => F.nllLoss(x, tensor(ys, [2], { dtype: 'int64' })),
      [wave(2 * c, 20)], [2, c],
      (x, _t, r, g) => nllRow({ x, t: null, y: [ys[r]], w: null, s: Number.NaN, dtype: 'float32' }, [g]),
    );
  });

  it('distillationLoss on [2, 3e6] float32 student and teacher requiring grad stays within 4 MiB', () => {
    const c = 3_000_000;
    const ref = distillationRow(2);
    wideRows(
      ([s, t]) => F.distillationLoss(s, t, { temperature: 2 }),
      [wave(2 * c, 6), wave(2 * c, 6, 0.3)], [2, c],
      // 'batchmean': upstream 1/N for every element.
      (x, t, _r, g) => ref({ x, t, y: [], w: null, s: Number.NaN, dtype: 'float32' }, new Float64Array(x.length).fill(g)),
    );
  });

  it('arcFaceLoss on a [2, 3e6] float32 input requiring grad stays within 4 MiB', () => {
    const c = 3_000_000;
    const ys = [5, c - 2];
    const ref = marginRow(64, arc(0.5));
    wideRows(
      ([x]) => F.arcFaceLoss(x, tensor(ys, [2], { dtype: 'int64' })),
      [wave(2 * c, 0.99)], [2, c],
      (x, _t, r, g) => ref({ x, t: null, y: [ys[r]], w: null, s: Number.NaN, dtype: 'float32' }, [g]),
    );
  });

  it('a call after memory.grow sees fresh views and computes the same value', () => {
    const x = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const t = Float32Array.from({ length: 5000 }, (_, i) => Math.cos(i));
    const before = F.mseLoss(tensor(x), tensor(t)).item();
    const ex = wasm('memory.test');
    const size = ex.memory.buffer.byteLength;
    const block = ex.lossfn_alloc(8 * 1024 * 1024); // forces growth: more than the current memory
    expect(ex.memory.buffer.byteLength).toBeGreaterThan(size);
    const after = F.mseLoss(tensor(x), tensor(t)).item();
    ex.lossfn_free(block, 8 * 1024 * 1024);
    expect(after).toBe(before);
    expect(after).toBeCloseTo(mseRef(x, t), 5);
  });

  it('repeated calls of every size and loss do not grow memory', () => {
    const sizes = [0, 1, 7, 1000, 16384, 16385, 100_000, 300_001];
    const losses = LOSSES.map((loss) => ({ loss, kind: kindOf(loss) }));
    let calls = 0;
    const run = () => {
      sizes.forEach((n, i) => {
        // Both dtypes, both reductions paths ('sum': a scalar upstream; 'none': per element).
        const dtype = i % 2 === 0 ? 'float64' : 'float32';
        const reduction = i % 2 === 0 ? 'sum' : 'none';
        for (const { loss, kind } of losses) {
          for (const wide of ROW_KINDS.has(kind) && n > 0 ? [false, true] : [false]) {
            const args = argsOf(loss, kind, n, wide ? (dtype === 'float32' ? 'float64' : 'float32') : dtype, wide);
            const out = (loss as (...a: unknown[]) => Tensor)(...args, optionsFor(loss, reduction));
            calls++;
            if (NO_GRAD.has(loss.spec.name)) continue;
            if (reduction === 'sum') out.backward();
            else out.backward(tensor(new (out.data.constructor as Float64ArrayConstructor)(out.numel()).fill(1), out.shape));
          }
        }
      });
    };
    run();
    const settled = memoryBytes();
    for (let i = 0; i < 3; i++) run();
    expect(memoryBytes()).toBe(settled);
    expect(calls).toBeGreaterThan(4 * LOSSES.length * sizes.length); // every loss ran, at every size
  });
});
