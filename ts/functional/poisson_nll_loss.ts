import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwiseRun } from '../elementwise.js';

/**
 * Poisson negative log likelihood, as `torch.nn.functional.poisson_nll_loss`.
 *
 * - `logInput: true`: `l = exp(input) − target·input`;
 * - `logInput: false`: `l = input − target·log(input + eps)`;
 * - `full: true` adds `target·log(target) − target + ½·log(2π·target)` where `target > 1`.
 *
 * Targets are not validated (PyTorch accepts any). Gradients to input and target. Shapes and
 * reductions as {@link mseLoss}.
 *
 * @example
 * F.poissonNllLoss(logRate, counts, { full: true });
 */
export const poissonNllLoss = defineLoss({
  name: 'poissonNllLoss',
  stem: 'poisson_nll_loss',
  nn: 'PoissonNLLLoss',
  family: 'regression',
  reference: 'torch.nn.functional.poisson_nll_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
    logInput: opt.bool(true),
    full: opt.bool(false),
    eps: opt.number(1e-8),
  },
  notes: '`logInput`, `full` (Stirling term where target > 1), `eps`',
  mean: 'the number of elements',
  run: elementwiseRun('poisson_nll_loss', (o) => [o.logInput ? 1 : 0, o.full ? 1 : 0, o.eps]),
});

/** The options of {@link poissonNllLoss}. */
export type PoissonNllLossOptions = LossOptions<typeof poissonNllLoss>;
