import { defineLoss, opt, type LossOptions } from '../table.js';
import { ignoreIndexOption, result, stageAll, targetOf } from '../segmentation.js';
import { Tensor } from '../tensor.js';
import { checkFloatTensor, shapeStr } from '../validate.js';
import type { KernelExports } from '../wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, views, wasm } from '../wasm/runtime.js';

type Forward = KernelExports['lossfn_lovasz_hinge_loss_forward_f32'];
type Backward = KernelExports['lossfn_lovasz_hinge_loss_backward_f32'];

/** `a` equals `b`, or one of them is the other with a size-1 dimension 1. */
function sameUpToDim1(a: readonly number[], b: readonly number[]): boolean {
  const eq = (u: readonly number[], v: readonly number[]) => u.length === v.length && u.every((x, i) => x === v[i]);
  const drop = (u: readonly number[]) => (u.length >= 2 && u[1] === 1 ? [u[0], ...u.slice(2)] : null);
  const da = drop(a);
  const db = drop(b);
  return eq(a, b) || (da !== null && eq(da, b)) || (db !== null && eq(a, db));
}

/** The mean of the groups' losses. */
function mean(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** 0/1 labels (int or float), `ignore` → −1. */
function binaryLabels(fn: string, t: Tensor, ignore: number | null): Int32Array {
  const d = t.data as ArrayLike<number | bigint>;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (ignore !== null && v === ignore) out[i] = -1;
    else if (v === 0 || v === 1) out[i] = v;
    else throw new RangeError(`${fn}: argument 'target' must hold 0 or 1${ignore !== null ? ` (or ignoreIndex ${ignore})` : ''}, got ${v} at index ${i}`);
  }
  return out;
}

/**
 * Binary Lovász hinge loss (Berman, Rannen Triki & Blaschko 2018), as smp's `LovaszLoss` in
 * binary mode (Berman's `lovasz_hinge`): per group of pixels (the whole batch, or each image
 * with `perImage`), errors `e = 1 − x·(2g − 1)` are sorted in decreasing order and
 * `Σ_k relu(e_(k))·ΔJ_k` is the Lovász extension of the Jaccard loss, `ΔJ` its gradient
 * along the sorted order. With `perImage` the result is the mean over images (an image with
 * no valid pixel contributes 0 and still counts).
 *
 * `input`: logits `(N, *)`; `target`: 0/1 (int or float) of the same shape, either may have an
 * extra size-1 dimension 1 (`(N, 1, H, W)` against `(N, H, W)`). `ignoreIndex`: pixels whose
 * target equals it are left out. Ties are broken in pixel order (a stable LSD radix sort,
 * O(n)); the gradient is the one autograd gives through the sorted order.
 *
 * @example
 * F.lovaszHingeLoss(logits, masks, { perImage: true });
 */
export const lovaszHingeLoss = defineLoss({
  name: 'lovaszHingeLoss',
  stem: 'lovasz_hinge_loss',
  nn: 'LovaszHingeLoss',
  family: 'segmentation',
  reference: "Berman's lovasz_hinge (smp LovaszLoss, mode='binary')",
  args: ['input', 'target'],
  options: {
    perImage: opt.bool(false),
    ignoreIndex: ignoreIndexOption(),
  },
  notes: 'logits (N, *), 0/1 target; the errors of the whole batch (or of each image) sorted together',
  mean: 'perImage: the number of images; else one value',
  run(fn, [input, target], o) {
    const x = checkFloatTensor(fn, 'input', input);
    const t = targetOf(fn, target);
    if (x.ndim < 1) throw new Error(`${fn}: argument 'input' must have shape (N, *), got ${shapeStr(x.shape)}`);
    if (!sameUpToDim1(x.shape, t.shape)) {
      throw new Error(`${fn}: argument 'target' must have the input's shape ${shapeStr(x.shape)} (up to a size-1 dimension 1), got ${shapeStr(t.shape)}`);
    }
    const labels = binaryLabels(fn, t, o.ignoreIndex);
    const n = x.shape[0];
    const groups = o.perImage ? n : 1;
    const per = groups === 0 ? 0 : x.numel() / groups;
    if (groups === 0) return result(x, [0], [], 'LovaszHingeLossBackward', () => new (floatArray(x.dtype))(0));
    const ex = wasm(fn);
    const bytes = floatBytes(x.dtype);
    if (!x.requiresGrad) {
      const [xa, la, out] = stageAll(ex, [x.data, labels], [8 * groups]);
      check(ex, fn, kernel<Forward>(ex, 'lovasz_hinge_loss', 'forward', x.dtype)(xa, la, groups, per, out));
      return result(x, [mean(views(ex).f64.subarray(out / 8, out / 8 + groups))], [], 'LovaszHingeLossBackward', () => new (floatArray(x.dtype))(0));
    }
    // The sort serves the value and the gradient: one call computes both (the gradient for an
    // upstream of 1, scaled in the backward).
    const g = new Float64Array(groups).fill(1 / groups);
    const [xb, lb, gb, gx, out] = stageAll(ex, [x.data, labels, g], [x.numel() * bytes, 8 * groups]);
    check(ex, fn, kernel<Backward>(ex, 'lovasz_hinge_loss', 'backward', x.dtype)(xb, lb, groups, per, gb, gx, out));
    const unit = heapOf(ex, x.dtype).slice(gx / bytes, gx / bytes + x.numel());
    const value = mean(views(ex).f64.subarray(out / 8, out / 8 + groups));
    return result(x, [value], [], 'LovaszHingeLossBackward', (up) => unit.map((v) => v * up[0]));
  },
});

/** The options of {@link lovaszHingeLoss}. */
export type LovaszHingeLossOptions = LossOptions<typeof lovaszHingeLoss>;
