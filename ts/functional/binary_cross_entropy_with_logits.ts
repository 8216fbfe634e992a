import { elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { FloatDType, Tensor } from '../tensor.js';
import { checkFloatTensor, checkOptions, checkSameDType, checkTensor, optionTensor, sameShape, shapeStr } from '../validate.js';

export interface BinaryCrossEntropyWithLogitsOptions {
  /** Rescaling weight, broadcast to the target's shape; input's dtype. */
  weight?: Tensor | null;
  /**
   * Weight of the positive term, broadcast against the target: `(C)` for `(N, C)`, `(C, 1, 1)`
   * for `(N, C, H, W)`. p > 1 trades precision for recall.
   */
  posWeight?: Tensor | null;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validated options (the tensors are checked against the input per call). */
export interface BinaryCrossEntropyWithLogitsConfig {
  weight: Tensor | null;
  posWeight: Tensor | null;
  reduction: Reduction;
}

/** Validates BCEWithLogitsLoss options once (used by `F.binaryCrossEntropyWithLogits` and `nn.BCEWithLogitsLoss`). */
export function binaryCrossEntropyWithLogitsOptions(
  options?: BinaryCrossEntropyWithLogitsOptions, fn = 'binaryCrossEntropyWithLogits',
): BinaryCrossEntropyWithLogitsConfig {
  const o = checkOptions(fn, options, ['weight', 'posWeight', 'reduction']);
  if (o.weight !== undefined && o.weight !== null) checkTensor(fn, 'weight', o.weight);
  if (o.posWeight !== undefined && o.posWeight !== null) checkTensor(fn, 'posWeight', o.posWeight);
  return { weight: o.weight ?? null, posWeight: o.posWeight ?? null, reduction: parseReduction(fn, o.reduction) };
}

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
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options?: BinaryCrossEntropyWithLogitsOptions): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  const { weight, posWeight, reduction } = binaryCrossEntropyWithLogitsOptions(options);
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
}
