import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Keras's MeanAbsolutePercentageError with PyTorch conventions ((input, target) order,
 * elementwise 'none', default 'mean' over all elements):
 * `l = 100·|target − input| / max(|target|, 1e-7)`.
 *
 * Gradients to input and target (the max passes the gradient only where |target| ≥ 1e-7).
 *
 * @example
 * F.meanAbsolutePercentageError(pred, actual); // percent
 */
export const meanAbsolutePercentageError = defineLoss({
  name: 'meanAbsolutePercentageError',
  stem: 'mean_absolute_percentage_error',
  nn: 'MeanAbsolutePercentageError',
  family: 'regression',
  reference: 'Keras MeanAbsolutePercentageError',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: '`100·|t−x| / max(|t|, 1e-7)`, elementwise, PyTorch reductions',
  mean: 'the number of elements',
  run: elementwiseRun('mean_absolute_percentage_error'),
});

/** The options of {@link meanAbsolutePercentageError}. */
export type MeanAbsolutePercentageErrorOptions = LossOptions<typeof meanAbsolutePercentageError>;
