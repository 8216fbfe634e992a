import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Mean squared error: `l = (input − target)²`, as `torch.nn.functional.mse_loss`.
 *
 * Shapes: `input` and `target` of the same shape; 0-d result for 'mean' (Σl / numel; NaN when
 * empty) and 'sum', else the input's shape. Gradient `2(input − target)` to input, its
 * negative to target. The sum is blocked and compensated (float32 sums of 1e7 terms stay
 * within 1e-6 relative).
 *
 * @example
 * const x = tensor([0.5, 2], undefined, { requiresGrad: true });
 * const loss = F.mseLoss(x, tensor([1, 1])); // (0.25 + 1) / 2
 * loss.backward(); // x.grad = [-0.5, 1]
 */
export const mseLoss = defineLoss({
  name: 'mseLoss',
  stem: 'mse_loss',
  nn: 'MSELoss',
  family: 'regression',
  reference: 'torch.nn.functional.mse_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  mean: 'the number of elements',
  run: elementwiseRun('mse_loss'),
});

/** The options of {@link mseLoss}. */
export type MseLossOptions = LossOptions<typeof mseLoss>;
