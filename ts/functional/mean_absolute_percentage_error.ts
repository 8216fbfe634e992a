import { elementwise, NO_PARAMS } from '../elementwise.js';
import type { Tensor } from '../tensor.js';
import { mseLossOptions, type MseLossOptions } from './mse_loss.js';

export type MeanAbsolutePercentageErrorOptions = MseLossOptions;

/** Validates options once (used by `F.meanAbsolutePercentageError` and its nn class). */
export const meanAbsolutePercentageErrorOptions = (o?: MeanAbsolutePercentageErrorOptions, fn = 'meanAbsolutePercentageError') =>
  mseLossOptions(o, fn);

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
export function meanAbsolutePercentageError(input: Tensor, target: Tensor, options?: MeanAbsolutePercentageErrorOptions): Tensor {
  const { reduction } = meanAbsolutePercentageErrorOptions(options);
  return elementwise({
    fn: 'meanAbsolutePercentageError', stem: 'mean_absolute_percentage_error', params: NO_PARAMS, input, target, reduction,
  });
}
