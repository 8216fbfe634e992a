import { checkPair, elementwise } from '../elementwise.js';
import { noGradArgument } from '../localization.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { boolOption, checkOptions, numberOption } from '../validate.js';

export interface VarifocalLossOptions {
  /** Weight α of the negatives' focal term (default 0.75; finite). */
  alpha?: number;
  /** Focusing exponent γ ≥ 0 (default 2). */
  gamma?: number;
  /** Weight the positives by their target IoU (default true) instead of 1. */
  iouWeighted?: boolean;
  /** 'none' | 'mean' (default, as mmdetection) | 'sum'. */
  reduction?: Reduction;
}

/** Validates VarifocalLoss options once (used by `F.varifocalLoss` and `nn.VarifocalLoss`). */
export function varifocalLossOptions(options?: VarifocalLossOptions, fn = 'varifocalLoss'): Required<VarifocalLossOptions> {
  const o = checkOptions(fn, options, ['alpha', 'gamma', 'iouWeighted', 'reduction']);
  return {
    alpha: numberOption(fn, 'alpha', o.alpha, 0.75, Number.isFinite, 'must be finite'),
    gamma: numberOption(fn, 'gamma', o.gamma, 2, (g) => g >= 0 && Number.isFinite(g), 'must be finite and >= 0'),
    iouWeighted: boolOption(fn, 'iouWeighted', o.iouWeighted, true),
    reduction: parseReduction(fn, o.reduction),
  };
}

/**
 * Varifocal loss (VarifocalNet, Zhang et al. 2021) with mmdetection's `varifocal_loss`
 * semantics: `l = BCEWithLogits(x, t)·w`, `w = t` (or 1 without `iouWeighted`) where `t > 0`,
 * `w = α·|σ(x) − t|^γ` where `t ≤ 0`.
 *
 * `input`: logits of any shape, usually `(N, C)`; `target`: the IoU-aware classification
 * score in [0, 1] (the IoU with the matched box for the true class, 0 elsewhere), same shape
 * and dtype, not requiring grad. Default reduction 'mean' over elements (NaN for none).
 * Gradients to the logits, including through the focal weight (mmdetection does not detach
 * it). The BCE is the stable softplus form; σ(x) and 1 − σ(x) are both computed directly.
 *
 * @example
 * F.varifocalLoss(logits, iouTargets); // α = 0.75, γ = 2, IoU-weighted, mean
 */
export function varifocalLoss(input: Tensor, target: Tensor, options?: VarifocalLossOptions): Tensor {
  return varifocalLossWith('varifocalLoss', input, target, varifocalLossOptions(options));
}

/** varifocalLoss with already-validated options (shared with nn.VarifocalLoss). */
export function varifocalLossWith(fn: string, input: Tensor, target: Tensor, o: Required<VarifocalLossOptions>): Tensor {
  const [x, t] = checkPair(fn, input, target);
  noGradArgument(fn, 'target', t);
  const params = [o.alpha, o.gamma, o.iouWeighted ? 1 : 0] as const;
  return elementwise({ fn, stem: 'varifocal_loss', params, input: x, target: t, reduction: o.reduction });
}
