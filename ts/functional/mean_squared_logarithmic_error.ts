import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Keras's MeanSquaredLogarithmicError with PyTorch conventions:
 * `l = (log(max(input, 1e-7) + 1) − log(max(target, 1e-7) + 1))²`, computed with log1p.
 *
 * Gradients to input and target (zero where the 1e-7 clamp is active).
 *
 * @example
 * F.meanSquaredLogarithmicError(predictedCounts, counts);
 */
export const meanSquaredLogarithmicError = defineLoss({
  name: 'meanSquaredLogarithmicError',
  stem: 'mean_squared_logarithmic_error',
  nn: 'MeanSquaredLogarithmicError',
  family: 'regression',
  reference: 'Keras MeanSquaredLogarithmicError',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: '`(log(max(x,1e-7)+1) − log(max(t,1e-7)+1))²`',
  mean: 'the number of elements',
  run: elementwiseRun('mean_squared_logarithmic_error'),
});

/** The options of {@link meanSquaredLogarithmicError}. */
export type MeanSquaredLogarithmicErrorOptions = LossOptions<typeof meanSquaredLogarithmicError>;
