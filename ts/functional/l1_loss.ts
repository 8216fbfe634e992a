import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Mean absolute error: `l = |input − target|`, as `torch.nn.functional.l1_loss`.
 *
 * Shapes: `input` and `target` of the same shape (any rank, float32 or float64); the result is
 * 0-d for 'mean' (Σl / numel; NaN when empty) and 'sum', else the input's shape.
 * Gradient: `sign(input − target)` (0 where equal), to both tensors.
 *
 * @example
 * F.l1Loss(tensor([1, 2, 3]), tensor([1, 0, 5])).item(); // (0 + 2 + 2) / 3
 */
export const l1Loss = defineLoss({
  name: 'l1Loss',
  stem: 'l1_loss',
  nn: 'L1Loss',
  family: 'regression',
  reference: 'torch.nn.functional.l1_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  mean: 'the number of elements',
  run: elementwiseRun('l1_loss'),
});

/** The options of {@link l1Loss}. */
export type L1LossOptions = LossOptions<typeof l1Loss>;
