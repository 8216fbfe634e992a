import { elementwise, NO_PARAMS } from '../elementwise.js';
import type { Tensor } from '../tensor.js';
import { mseLossOptions, type MseLossOptions } from './mse_loss.js';

export type MeanSquaredLogarithmicErrorOptions = MseLossOptions;

/** Validates options once (used by `F.meanSquaredLogarithmicError` and its nn class). */
export const meanSquaredLogarithmicErrorOptions = (o?: MeanSquaredLogarithmicErrorOptions, fn = 'meanSquaredLogarithmicError') =>
  mseLossOptions(o, fn);

/**
 * Keras's MeanSquaredLogarithmicError with PyTorch conventions:
 * `l = (log(max(input, 1e-7) + 1) − log(max(target, 1e-7) + 1))²`, computed with log1p.
 *
 * Gradients to input and target (zero where the 1e-7 clamp is active).
 *
 * @example
 * F.meanSquaredLogarithmicError(predictedCounts, counts);
 */
export function meanSquaredLogarithmicError(input: Tensor, target: Tensor, options?: MeanSquaredLogarithmicErrorOptions): Tensor {
  const { reduction } = meanSquaredLogarithmicErrorOptions(options);
  return elementwise({
    fn: 'meanSquaredLogarithmicError', stem: 'mean_squared_logarithmic_error', params: NO_PARAMS, input, target, reduction,
  });
}
