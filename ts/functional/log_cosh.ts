import { elementwise, NO_PARAMS } from '../elementwise.js';
import type { Tensor } from '../tensor.js';
import { mseLossOptions, type MseLossOptions } from './mse_loss.js';

export type LogCoshOptions = MseLossOptions;

/** Validates options once (used by `F.logCosh` and `nn.LogCosh`). */
export const logCoshOptions = (o?: LogCoshOptions, fn = 'logCosh') => mseLossOptions(o, fn);

/**
 * Keras's LogCosh with PyTorch conventions: `l = log(cosh(input − target))`, elementwise.
 *
 * Overflow-free for any finite difference (Keras's `e + softplus(−2e) − log 2`, evaluated
 * without its cancellation near 0). Gradient `tanh(input − target)`.
 *
 * @example
 * F.logCosh(pred, actual, { reduction: 'sum' });
 */
export function logCosh(input: Tensor, target: Tensor, options?: LogCoshOptions): Tensor {
  const { reduction } = logCoshOptions(options);
  return elementwise({ fn: 'logCosh', stem: 'log_cosh', params: NO_PARAMS, input, target, reduction });
}
