import { intOption } from '../classdim.js';
import { parseReduction, type Reduction } from '../reduction.js';
import { indexRowLoss } from '../rowloss.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, checkTensor, numberOption } from '../validate.js';

export interface SoftmaxFocalLossOptions {
  /** Focusing parameter γ ≥ 0 (default 2; 0 gives cross entropy). */
  gamma?: number;
  /** Rescaling weight per class (the α of the paper, per class), a (C) tensor of the input's dtype. */
  weight?: Tensor | null;
  /** Target value that is ignored (contributes 0, not counted); default −100. */
  ignoreIndex?: number;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

export interface SoftmaxFocalLossConfig {
  gamma: number;
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: Reduction;
}

/** Validates SoftmaxFocalLoss options once (used by `F.softmaxFocalLoss` and `nn.SoftmaxFocalLoss`). */
export function softmaxFocalLossOptions(options?: SoftmaxFocalLossOptions, fn = 'softmaxFocalLoss'): SoftmaxFocalLossConfig {
  const o = checkOptions(fn, options, ['gamma', 'weight', 'ignoreIndex', 'reduction']);
  if (o.weight !== undefined && o.weight !== null) checkTensor(fn, 'weight', o.weight);
  return {
    gamma: numberOption(fn, 'gamma', o.gamma, 2, (g) => g >= 0 && Number.isFinite(g), 'must be finite and >= 0'),
    weight: o.weight ?? null,
    ignoreIndex: intOption(fn, 'ignoreIndex', o.ignoreIndex, -100),
    reduction: parseReduction(fn, o.reduction),
  };
}

/**
 * The multi-class (softmax) focal loss of Lin et al. (2017), with cross entropy's options.
 * No PyTorch function; torchvision's `sigmoid_focal_loss` is the binary form. The reference
 * is written beside its generator in scripts/gen_fixtures.py.
 *
 * `input`: logits `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1). `target`: class
 * indices (int32 or int64) of shape `()`, `(N)` or `(N, d1, …, dk)`.
 *
 * With `p = softmax(x)` over the class dimension: `l = −w_y·(1 − p_y)^γ·log p_y` per position,
 * 0 where the target is `ignoreIndex` (default −100). 'none' has the target's shape; 'sum' =
 * Σ l; 'mean' (default) = Σ l / Σ w_y over the non-ignored positions, as cross entropy (NaN
 * when all are ignored or the batch is empty). `gamma` = 0 is exactly `crossEntropy`.
 *
 * Numerics: `log p_y` by the max-shifted log-sum-exp (any logit magnitude); `1 − p_y` as
 * `−expm1(log p_y)`, which keeps `(1 − p_y)^γ` accurate for confident predictions where `p_y`
 * rounds to 1; the gradient `dl/dlog p_y = w_y·(1 − p_y)^γ·(γ·p_y·log p_y/(1 − p_y) − 1)` is
 * finite for every γ ≥ 0, including 0 < γ < 1 at `p_y = 1` (its limit, 0).
 *
 * @example
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const loss = F.softmaxFocalLoss(logits, tensor([0, 2], undefined, { dtype: 'int64' }), { gamma: 2 });
 * loss.backward();
 */
export function softmaxFocalLoss(input: Tensor, target: Tensor, options?: SoftmaxFocalLossOptions): Tensor {
  return softmaxFocalLossWith('softmaxFocalLoss', input, target, softmaxFocalLossOptions(options));
}

/** softmaxFocalLoss with already-validated options (shared with nn.SoftmaxFocalLoss). */
export function softmaxFocalLossWith(fn: string, input: Tensor, target: Tensor, o: SoftmaxFocalLossConfig): Tensor {
  return indexRowLoss(fn, 'softmax_focal_loss', 'SoftmaxFocalLossBackward', o.gamma, input, target, o);
}
