import { intOption } from '../classdim.js';
import { parseReduction, type Reduction } from '../reduction.js';
import { indexRowLoss } from '../rowloss.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, checkTensor, numberOption } from '../validate.js';

export interface PolyLossOptions {
  /** ε, the weight of the first polynomial term (default 1; the paper uses ε ≥ −1). */
  epsilon?: number;
  /** Rescaling weight per class, a (C) tensor of the input's dtype; multiplies the whole loss. */
  weight?: Tensor | null;
  /** Target value that is ignored (contributes 0, not counted); default −100. */
  ignoreIndex?: number;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

export interface PolyLossConfig {
  epsilon: number;
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: Reduction;
}

/** Validates PolyLoss options once (used by `F.polyLoss` and `nn.PolyLoss`). */
export function polyLossOptions(options?: PolyLossOptions, fn = 'polyLoss'): PolyLossConfig {
  const o = checkOptions(fn, options, ['epsilon', 'weight', 'ignoreIndex', 'reduction']);
  if (o.weight !== undefined && o.weight !== null) checkTensor(fn, 'weight', o.weight);
  return {
    epsilon: numberOption(fn, 'epsilon', o.epsilon, 1, Number.isFinite, 'must be finite'),
    weight: o.weight ?? null,
    ignoreIndex: intOption(fn, 'ignoreIndex', o.ignoreIndex, -100),
    reduction: parseReduction(fn, o.reduction),
  };
}

/**
 * The Poly-1 loss of Leng et al. (2022) with class-index targets: cross entropy plus
 * `ε·(1 − p_y)`. No PyTorch function (optax has `poly_loss_cross_entropy`, default ε = 2,
 * there with probability targets); the reference is written beside its generator in
 * scripts/gen_fixtures.py.
 *
 * `input`: logits `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1). `target`: class
 * indices (int32 or int64) of shape `()`, `(N)` or `(N, d1, …, dk)`.
 *
 * `l = w_y·(−log p_y + ε·(1 − p_y))` per position, `p = softmax(x)` over the class dimension,
 * `w` = `weight` (ones by default), 0 where the target is `ignoreIndex` (default −100).
 * 'none' has the target's shape; 'sum' = Σ l; 'mean' (default) = Σ l / Σ w_y over the
 * non-ignored positions, as cross entropy — the batch mean of the paper when there are no
 * weights or ignored targets (NaN when all are ignored or the batch is empty).
 *
 * Numerics: max-shifted log-sum-exp; `1 − p_y = −expm1(log p_y)` (accurate when `p_y` → 1).
 *
 * @example
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const loss = F.polyLoss(logits, tensor([0, 2], undefined, { dtype: 'int64' }), { epsilon: 1 });
 * loss.backward(); // logits.grad = (1 + ε·p_y)·(softmax − one-hot) / 2 per row
 */
export function polyLoss(input: Tensor, target: Tensor, options?: PolyLossOptions): Tensor {
  return polyLossWith('polyLoss', input, target, polyLossOptions(options));
}

/** polyLoss with already-validated options (shared with nn.PolyLoss). */
export function polyLossWith(fn: string, input: Tensor, target: Tensor, o: PolyLossConfig): Tensor {
  return indexRowLoss(fn, 'poly_loss', 'PolyLossBackward', o.epsilon, input, target, o);
}
