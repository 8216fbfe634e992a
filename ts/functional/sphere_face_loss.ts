import { parseReduction, type Reduction } from '../reduction.js';
import { marginRowLoss, type MarginConfig } from '../rowloss.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface SphereFaceLossOptions {
  /** Integer angular margin m ≥ 1 (default 4). */
  margin?: number;
  /** Logit scale s > 0 (default 1). */
  scale?: number;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates SphereFaceLoss options once (used by `F.sphereFaceLoss` and `nn.SphereFaceLoss`). */
export function sphereFaceLossOptions(options?: SphereFaceLossOptions, fn = 'sphereFaceLoss'): MarginConfig {
  const o = checkOptions(fn, options, ['margin', 'scale', 'reduction']);
  return {
    margin: numberOption(fn, 'margin', o.margin, 4, (m) => Number.isInteger(m) && m >= 1 && m <= 1e6, 'must be an integer >= 1'),
    scale: numberOption(fn, 'scale', o.scale, 1, (s) => s > 0 && Number.isFinite(s), 'must be finite and > 0'),
    reduction: parseReduction(fn, o.reduction),
  };
}

/**
 * SphereFace (A-Softmax, multiplicative angular margin; Liu et al. 2017) on given cosine
 * logits: the classification head of pytorch-metric-learning's `SphereFaceLoss` after its
 * cosine layer (the multiplication by ‖x‖ is left to the caller, through `scale`), without
 * λ-annealing.
 *
 * `input`: cosines `c` of shape `(N, C)`; `target`: class indices (int32 or int64) `(N)` in
 * [0, C).
 *
 * The target logit becomes `ψ(θ) = (−1)^k·cos(mθ) − 2k`, `θ = acos(clamp(c_y, −1 + 1e-7,
 * 1 − 1e-7))` (the bound rounded to the input's dtype), `k = ⌊mθ/π⌋` — a monotone extension of
 * `cos(mθ)` to [0, π], continuous with its derivative across the steps of k; the others stay
 * `c_j`; then cross entropy of `scale · logits`. 'none' gives `(N)`; 'mean' (default) divides
 * by N (NaN for N = 0); 'sum'.
 *
 * Gradients flow to every cosine; through the margin
 * `dψ/dc = (−1)^k·m·sin(mθ)/sin θ` (k carries no gradient), and 0 where the clamp is active.
 *
 * Numerics: f64 logits and cross entropy for both dtypes; `sin θ = √((1 − c)(1 + c))`.
 *
 * @example
 * const cos = tensor([[0.8, 0.1, -0.3], [0.2, 0.6, 0.1]], undefined, { requiresGrad: true });
 * const loss = F.sphereFaceLoss(cos, tensor([0, 1], undefined, { dtype: 'int64' }), { margin: 4, scale: 16 });
 * loss.backward();
 */
export function sphereFaceLoss(input: Tensor, target: Tensor, options?: SphereFaceLossOptions): Tensor {
  return sphereFaceLossWith('sphereFaceLoss', input, target, sphereFaceLossOptions(options));
}

/** sphereFaceLoss with already-validated options (shared with nn.SphereFaceLoss). */
export function sphereFaceLossWith(fn: string, input: Tensor, target: Tensor, o: MarginConfig): Tensor {
  return marginRowLoss(fn, 'sphere_face_loss', 'SphereFaceLossBackward', input, target, o);
}
