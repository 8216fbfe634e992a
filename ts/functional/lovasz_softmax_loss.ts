import { defineLoss, opt, describe, type LossOptions } from '../table.js';
import { classListOf, ignoreIndexOption, labelsOf, result, stageAll, targetOf } from '../segmentation.js';
import { isFloatDType } from '../tensor.js';
import { checkFloatTensor, shapeStr } from '../validate.js';
import type { KernelExports } from '../wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, kernel, views, wasm } from '../wasm/runtime.js';

type Forward = KernelExports['lossfn_lovasz_softmax_loss_forward_f32'];
type Backward = KernelExports['lossfn_lovasz_softmax_loss_backward_f32'];

/**
 * Multiclass Lovász-softmax loss (Berman, Rannen Triki & Blaschko 2018), as smp's `LovaszLoss`
 * in multiclass mode (softmax over dim 1, then Berman's `lovasz_softmax`): per group (the
 * whole batch, or each image with `perImage`) and per class c, the errors `|[y = c] − p_c|`
 * of the group's valid pixels sorted decreasingly, dotted with the Lovász gradient ΔJ of the
 * Jaccard loss; the group's loss is the mean over its classes — `classes: 'present'` (default)
 * those occurring among its valid pixels, `'all'` every class, or a list of class indices.
 * A group with no valid pixel, or no class to average, gives 0 (Berman's `mean` of nothing);
 * with `perImage` the result is the mean over images.
 *
 * `input`: logits `(N, C, *)`; `target`: int class indices `(N, *)`; `ignoreIndex` pixels are
 * left out. Sorting: a stable LSD radix sort on the float keys (O(n), ties in pixel order).
 * The true class's error `1 − p` is computed from the other classes' sum (no cancellation).
 *
 * @example
 * F.lovaszSoftmaxLoss(logits, labels, { ignoreIndex: 255 });
 */
export const lovaszSoftmaxLoss = defineLoss({
  name: 'lovaszSoftmaxLoss',
  stem: 'lovasz_softmax_loss',
  nn: 'LovaszSoftmaxLoss',
  family: 'segmentation',
  reference: "Berman's lovasz_softmax (smp LovaszLoss, mode='multiclass')",
  args: ['input', 'target'],
  options: {
    perImage: opt.bool(false),
    classes: opt.custom<'present' | 'all' | number[]>('present', "'present' | 'all' | an array of class indices", ['some', 1, [1.5]], (fn, name, v) => {
      if (v === 'present' || v === 'all') return v;
      if (!Array.isArray(v)) throw new TypeError(`${fn}: option '${name}' must be 'present', 'all' or an array of class indices, got ${describe(v)}`);
      return classListOf(fn, name, v);
    }),
    ignoreIndex: ignoreIndexOption(),
  },
  notes: "logits (N, C, *), int target (N, *); classes 'present' | 'all' | list; per class the errors sorted together",
  mean: 'the classes counted, then (perImage) the images',
  run(fn, [input, target], o) {
    const x = checkFloatTensor(fn, 'input', input);
    const t = targetOf(fn, target);
    if (x.ndim < 2) throw new Error(`${fn}: argument 'input' must have shape (N, C, *), got ${shapeStr(x.shape)}`);
    const [n, c] = x.shape;
    const spatial = x.shape.slice(2);
    const s = spatial.reduce((a, b) => a * b, 1);
    if (isFloatDType(t.dtype)) throw new TypeError(`${fn}: argument 'target' must hold class indices (int32 or int64), got ${t.dtype}`);
    const want = [n, ...spatial];
    if (t.ndim !== want.length || t.shape.some((v, i) => v !== want[i])) {
      throw new Error(`${fn}: argument 'target' must have shape ${shapeStr(want)} (input ${shapeStr(x.shape)} without its class dimension), got ${shapeStr(t.shape)}`);
    }
    if (Array.isArray(o.classes)) for (const k of o.classes) if (k >= c) throw new RangeError(`${fn}: option 'classes': class ${k} is out of bounds for ${c} classes`);
    const labels = labelsOf(fn, 'target', t, c, o.ignoreIndex);
    const list = Int32Array.from(Array.isArray(o.classes) ? o.classes : Array.from({ length: c }, (_, k) => k));
    const present = o.classes === 'present' ? 1 : 0;
    const groups = o.perImage ? n : 1;
    const images = o.perImage ? 1 : n;
    if (groups === 0 || c === 0) return result(x, [0], [], 'LovaszSoftmaxLossBackward', () => new (floatArray(x.dtype))(x.numel()));
    const ex = wasm(fn);
    const bytes = floatBytes(x.dtype);
    const listArr = list.length ? list : Int32Array.of(0);
    const mean = (v: Float64Array): number => v.reduce((u, w) => u + w, 0) / v.length;
    if (!x.requiresGrad) {
      const [xa, la, ca, out] = stageAll(ex, [x.data, labels, listArr], [8 * groups]);
      check(ex, fn, kernel<Forward>(ex, 'lovasz_softmax_loss', 'forward', x.dtype)(xa, la, groups, images, c, s, ca, list.length, present, out));
      return result(x, [mean(views(ex).f64.slice(out / 8, out / 8 + groups))], [], 'LovaszSoftmaxLossBackward', () => new (floatArray(x.dtype))(0));
    }
    // One call for the value and the gradient (for an upstream of 1, scaled in the backward):
    // the sorts serve both.
    const g = new Float64Array(groups).fill(1 / groups);
    const [xb, lb, cb, gb, gx, out] = stageAll(ex, [x.data, labels, listArr, g], [x.numel() * bytes, 8 * groups]);
    check(ex, fn, kernel<Backward>(ex, 'lovasz_softmax_loss', 'backward', x.dtype)(xb, lb, groups, images, c, s, cb, list.length, present, gb, gx, out));
    const unit = heapOf(ex, x.dtype).slice(gx / bytes, gx / bytes + x.numel());
    const value = mean(views(ex).f64.slice(out / 8, out / 8 + groups));
    return result(x, [value], [], 'LovaszSoftmaxLossBackward', (up) => unit.map((v) => v * up[0]));
  },
});

/** The options of {@link lovaszSoftmaxLoss}. */
export type LovaszSoftmaxLossOptions = LossOptions<typeof lovaszSoftmaxLoss>;
