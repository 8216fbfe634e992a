import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwise } from '../elementwise.js';
import { checkFloatTensor, checkSameDType, optionTensor, sameShape, shapeStr } from '../validate.js';

/**
 * Binary cross entropy on logits, as `torch.nn.functional.binary_cross_entropy_with_logits`
 * (`nn.BCEWithLogitsLoss`): with p = `posWeight` (1 when absent),
 * `l = −w·[p·t·log σ(x) + (1 − t)·log(1 − σ(x))] = w·[(1 − t)·x − (1 + (p − 1)·t)·log σ(x)]`.
 *
 * `target` (soft targets in [0, 1] allowed, not range-checked) has the input's shape and dtype;
 * `weight` broadcasts to it, `posWeight` broadcasts against it (per class along the last
 * dimension with a `(C)` tensor). 'mean' divides by the number of elements (weights are not
 * normalised). 'none' keeps the input's shape.
 *
 * Numerics: evaluated as `w·[p·t·softplus(−x) + (1 − t)·softplus(x)]`, a sum of non-negative
 * terms sharing one `log1p(e^−|x|)`: finite for logits of any magnitude (|x| = 1e4 included)
 * and accurate for confident predictions, where PyTorch's float32 kernel loses digits.
 * Gradients: input `w·[(1 − t)·σ(x) − p·t·σ(−x)]`, target `w·[p·softplus(−x) − softplus(x)]`
 * (`−w·x` without posWeight). `weight` and `posWeight` get no gradient (an Error if they
 * require grad, as PyTorch).
 *
 * @example
 * const logits = tensor([[1.2, -0.3], [-2.0, 0.4]], undefined, { requiresGrad: true });
 * const loss = F.binaryCrossEntropyWithLogits(logits, tensor([[1, 0], [0, 1]]), { posWeight: tensor([3, 1]) });
 * loss.backward();
 */
export const binaryCrossEntropyWithLogits = defineLoss({
  name: 'binaryCrossEntropyWithLogits',
  stem: 'binary_cross_entropy_with_logits',
  nn: 'BCEWithLogitsLoss',
  family: 'classification',
  reference: 'torch.nn.functional.binary_cross_entropy_with_logits',
  args: ['input', 'target'],
  options: {
    weight: opt.tensor(),
    posWeight: opt.tensor(),
    reduction: opt.reduction(),
  },
  notes: '`weight`, `posWeight` broadcast against the target; exact for |x| in the hundreds (PyTorch rounds confident predictions to 0)',
  mean: 'the number of elements (not Σ weight)',
  run(fn, [input, target], o) {
    const { weight, posWeight, reduction } = o;
    const x = checkFloatTensor(fn, 'input', input);
    const t = checkFloatTensor(fn, 'target', target);
    checkSameDType(fn, ['input', x], ['target', t]);
    if (!sameShape(x.shape, t.shape)) {
      throw new Error(`${fn}: Target size (${shapeStr(t.shape)}) must be the same as input size (${shapeStr(x.shape)})`);
    }
    const w = weight === null ? null : optionTensor(fn, 'weight', weight, x);
    const p = posWeight === null ? null : optionTensor(fn, 'posWeight', posWeight, x);
    return elementwise({
      fn, stem: 'binary_cross_entropy_with_logits', params: [p === null ? 0 : 1, 0, 0], input: x, target: t, reduction,
      aux: p === null ? undefined : { name: 'posWeight', tensor: p },
      weight: w === null ? undefined : { name: 'weight', tensor: w },
    });
  },
});

/** The options of {@link binaryCrossEntropyWithLogits}. */
export type BinaryCrossEntropyWithLogitsOptions = LossOptions<typeof binaryCrossEntropyWithLogits>;
