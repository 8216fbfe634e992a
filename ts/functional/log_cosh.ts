import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Keras's LogCosh with PyTorch conventions: `l = log(cosh(input − target))`, elementwise.
 *
 * Overflow-free for any finite difference (Keras's `e + softplus(−2e) − log 2`, evaluated
 * without its cancellation near 0). Gradient `tanh(input − target)`.
 *
 * @example
 * F.logCosh(pred, actual, { reduction: 'sum' });
 */
export const logCosh = defineLoss({
  name: 'logCosh',
  stem: 'log_cosh',
  nn: 'LogCosh',
  family: 'regression',
  reference: 'Keras LogCosh',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: 'overflow-free and accurate near 0',
  mean: 'the number of elements',
  run: elementwiseRun('log_cosh'),
});

/** The options of {@link logCosh}. */
export type LogCoshOptions = LossOptions<typeof logCosh>;
