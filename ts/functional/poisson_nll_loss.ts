import { elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { boolOption, checkOptions, numberOption } from '../validate.js';

export interface PoissonNllLossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
  /** `input` is the log of the rate (default true) or the rate itself. */
  logInput?: boolean;
  /** Add Stirling's approximation of log(target!) where target > 1 (default false). */
  full?: boolean;
  /** Added to the rate before its log when `logInput` is false (default 1e-8). */
  eps?: number;
}

/** Validates PoissonNLLLoss options once (used by `F.poissonNllLoss` and `nn.PoissonNLLLoss`). */
export function poissonNllLossOptions(options?: PoissonNllLossOptions, fn = 'poissonNllLoss'): Required<PoissonNllLossOptions> {
  const o = checkOptions(fn, options, ['reduction', 'logInput', 'full', 'eps']);
  return {
    reduction: parseReduction(fn, o.reduction),
    logInput: boolOption(fn, 'logInput', o.logInput, true),
    full: boolOption(fn, 'full', o.full, false),
    eps: numberOption(fn, 'eps', o.eps, 1e-8),
  };
}

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
export function poissonNllLoss(input: Tensor, target: Tensor, options?: PoissonNllLossOptions): Tensor {
  const { reduction, logInput, full, eps } = poissonNllLossOptions(options);
  return elementwise({
    fn: 'poissonNllLoss', stem: 'poisson_nll_loss', params: [logInput ? 1 : 0, full ? 1 : 0, eps], input, target, reduction,
  });
}
