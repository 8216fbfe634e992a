import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwise, NO_PARAMS } from '../elementwise.js';
import type { FloatDType, Tensor } from '../tensor.js';
import { checkFloatTensor, checkSameDType, optionTensor, sameShape, shapeStr } from '../validate.js';

/** PyTorch's input check (NaN fails it too, as in PyTorch 1.13). */
function checkProbabilities(fn: string, x: Tensor<FloatDType>): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: all elements of input should be between 0 and 1 (input[${i}] = ${v})`);
  }
}

/**
 * Binary cross entropy between probabilities and targets, as
 * `torch.nn.functional.binary_cross_entropy` (`nn.BCELoss`):
 * `l = −w·[t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)]`.
 *
 * `input` holds probabilities in [0, 1] (an Error otherwise, NaN included, as PyTorch's
 * "all elements of input should be between 0 and 1"); `target` has the input's shape and dtype
 * (targets are not range-checked, as PyTorch 1.13); `weight` broadcasts to that shape. 'mean'
 * divides Σ w·l by the number of elements, **not** by Σ w. 'none' keeps the input's shape.
 *
 * Numerics: each log is clamped at −100 (PyTorch's cap), so x ∈ {0, 1} gives at most 100 per
 * element; `log(1 − x)` is evaluated as `log1p(−x)`. Gradients: input
 * `w·(x − t) / max(x(1 − x), 1e-12)` (PyTorch's form, finite ±1e12-sized at x ∈ {0, 1}),
 * target `−w·logit(x)` (±inf at x ∈ {0, 1}, as PyTorch). For logits, prefer
 * {@link binaryCrossEntropyWithLogits}: it is stable where `sigmoid` then BCE is not.
 *
 * @example
 * const p = tensor([0.9, 0.2, 0.6], undefined, { requiresGrad: true });
 * const loss = F.binaryCrossEntropy(p, tensor([1, 0, 1]), { weight: tensor([1, 2, 1]) });
 * loss.backward(); // p.grad = w·(p − t) / (p(1 − p)) / 3
 */
export const binaryCrossEntropy = defineLoss({
  name: 'binaryCrossEntropy',
  stem: 'binary_cross_entropy',
  nn: 'BCELoss',
  family: 'classification',
  reference: 'torch.nn.functional.binary_cross_entropy',
  args: ['input', 'target'],
  options: {
    weight: opt.tensor(),
    reduction: opt.reduction(),
  },
  notes: 'each log clamped at −100; `weight` broadcast to the target; input outside [0, 1] (or NaN) is an error',
  mean: 'the number of elements (not Σ weight)',
  run(fn, [input, target], o) {
    const { weight, reduction } = o;
    const x = checkFloatTensor(fn, 'input', input);
    const t = checkFloatTensor(fn, 'target', target);
    checkSameDType(fn, ['input', x], ['target', t]);
    if (!sameShape(x.shape, t.shape)) {
      throw new Error(
        `${fn}: Using a target size (${shapeStr(t.shape)}) that is different to the input size (${shapeStr(x.shape)}) is ` +
          'deprecated. Please ensure they have the same size.',
      );
    }
    const w = weight === null ? null : optionTensor(fn, 'weight', weight, x);
    if (reduction === 'none') checkProbabilities(fn, x);
    const out = elementwise({
      fn, stem: 'binary_cross_entropy', params: NO_PARAMS, input: x, target: t, reduction,
      weight: w === null ? undefined : { name: 'weight', tensor: w },
    });
    // A reduced loss is checked after the kernel, for free: an input outside [0, 1] (or NaN)
    // makes its element NaN (ln or log1p out of domain; the −100 clamp propagates NaN, and so do
    // the products with t and w), hence the sum. Only a NaN result needs the scan, which tells a
    // bad input from a NaN target or weight. (A JS pass over the input costs as much as the kernel.)
    if (reduction !== 'none' && Number.isNaN(out.item())) checkProbabilities(fn, x);
    return out;
  },
});

/** The options of {@link binaryCrossEntropy}. */
export type BinaryCrossEntropyOptions = LossOptions<typeof binaryCrossEntropy>;
