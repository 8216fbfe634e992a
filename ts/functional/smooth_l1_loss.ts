import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwise, NO_PARAMS } from '../elementwise.js';

/**
 * Smooth L1 loss, as `torch.nn.functional.smooth_l1_loss`: with `d = input − target`,
 * `l = ½d²/β` where `|d| < β`, else `|d| − ½β`.
 *
 * `beta = 0` is exactly {@link l1Loss} (forward and gradient), as in PyTorch. Gradient:
 * `clamp(d/β, −1, 1)`. Shapes and reductions as {@link mseLoss}.
 *
 * @example
 * F.smoothL1Loss(input, target, { beta: 0.5, reduction: 'sum' });
 */
export const smoothL1Loss = defineLoss({
  name: 'smoothL1Loss',
  stem: 'smooth_l1_loss',
  nn: 'SmoothL1Loss',
  family: 'regression',
  reference: 'torch.nn.functional.smooth_l1_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
    // PyTorch: "smooth_l1_loss does not support negative values for beta."
    beta: opt.number(1, (b) => b >= 0, 'does not support negative values', [-1, -1e-9]),
  },
  notes: '`beta` (default 1); 0 is exactly L1 (value and gradient, as PyTorch ≥ 2.1); negative is an error',
  mean: 'the number of elements',
  run(fn, [input, target], o) {
    const { reduction, beta } = o;
    if (beta === 0) {
      return elementwise({ fn, stem: 'l1_loss', params: NO_PARAMS, input, target, reduction });
    }
    return elementwise({ fn, stem: 'smooth_l1_loss', params: [beta, 0, 0], input, target, reduction });
  },
});

/** The options of {@link smoothL1Loss}. */
export type SmoothL1LossOptions = LossOptions<typeof smoothL1Loss>;
