import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise, NO_PARAMS } from '../elementwise.js';

/**
 * Two-class logistic loss, as `torch.nn.functional.soft_margin_loss` (`nn.SoftMarginLoss`):
 * `l = log(1 + exp(−t·x))` with targets `t ∈ {−1, 1}` (other values are used as they are).
 *
 * `target` has the input's shape and dtype. 'mean' divides by the number of elements; 'none'
 * keeps the input's shape. Gradient to the input `−t·σ(−t·x)`; like PyTorch, the target gets
 * none (an Error if it requires grad).
 *
 * Numerics: evaluated as `softplus(−t·x)`, finite for any margin; PyTorch computes
 * `log(1 + exp(−t·x))` literally, which is inf (value) and NaN (gradient) in float32 once
 * `−t·x > 88.7`. Where PyTorch's value is finite the two agree.
 *
 * @example
 * F.softMarginLoss(scores, tensor([1, -1, 1]), { reduction: 'sum' });
 */
export const softMarginLoss = defineLoss({
  name: 'softMarginLoss',
  stem: 'soft_margin_loss',
  nn: 'SoftMarginLoss',
  family: 'classification',
  reference: 'torch.nn.functional.soft_margin_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: '`softplus(−y·x)`: finite where PyTorch\'s literal formula overflows (−y·x > 88 in float32)',
  mean: 'the number of elements',
  run(fn, [input, target], o) {
    const { reduction } = o;
    const [x, t] = checkPair(fn, input, target);
    if (t.requiresGrad) {
      // PyTorch: "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'."
      throw new Error(`${fn}: the function is not differentiable with respect to argument 'target'; it cannot have requiresGrad true`);
    }
    return elementwise({ fn, stem: 'soft_margin_loss', params: NO_PARAMS, input: x, target: t, reduction });
  },
});

/** The options of {@link softMarginLoss}. */
export type SoftMarginLossOptions = LossOptions<typeof softMarginLoss>;
