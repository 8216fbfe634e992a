import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Huber loss, as `torch.nn.functional.huber_loss`: with `d = input − target`, `l = ½d²` where
 * `|d| < δ`, else `δ(|d| − ½δ)` (so `huber(δ) = δ·smoothL1(β = δ)`).
 *
 * Gradient `clamp(d, −δ, δ)`. Shapes and reductions as {@link mseLoss}.
 *
 * @example
 * F.huberLoss(input, target, { delta: 2.5 });
 */
export const huberLoss = defineLoss({
  name: 'huberLoss',
  stem: 'huber_loss',
  nn: 'HuberLoss',
  family: 'regression',
  reference: 'torch.nn.functional.huber_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
    // PyTorch: "huber_loss does not support non-positive values for delta."
    delta: opt.number(1, (d) => d > 0, 'does not support non-positive values', [0, -1]),
  },
  notes: '`delta` > 0',
  mean: 'the number of elements',
  run: elementwiseRun('huber_loss', (o) => [o.delta, 0, 0]),
});

/** The options of {@link huberLoss}. */
export type HuberLossOptions = LossOptions<typeof huberLoss>;
