import { parseReduction, type Reduction } from '../reduction.js';
import { marginRowLoss, type MarginConfig } from '../rowloss.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface CosFaceLossOptions {
  /** Logit scale s > 0 (default 64). */
  scale?: number;
  /** Additive cosine margin m (default 0.35). */
  margin?: number;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates CosFaceLoss options once (used by `F.cosFaceLoss` and `nn.CosFaceLoss`). */
export function cosFaceLossOptions(options?: CosFaceLossOptions, fn = 'cosFaceLoss'): MarginConfig {
  const o = checkOptions(fn, options, ['scale', 'margin', 'reduction']);
  return {
    scale: numberOption(fn, 'scale', o.scale, 64, (s) => s > 0 && Number.isFinite(s), 'must be finite and > 0'),
    margin: numberOption(fn, 'margin', o.margin, 0.35, Number.isFinite, 'must be finite'),
    reduction: parseReduction(fn, o.reduction),
  };
}

/**
 * CosFace (large margin cosine loss, also AM-Softmax; Wang et al. 2018) on given cosine logits:
 * the classification head of pytorch-metric-learning's `CosFaceLoss` after its cosine layer.
 *
 * `input`: cosines `c` of shape `(N, C)`; `target`: class indices (int32 or int64) `(N)` in
 * [0, C).
 *
 * The target logit becomes `c_y − m`; the others stay `c_j`; then cross entropy of
 * `scale · logits`. 'none' gives `(N)`; 'mean' (default) divides by N (NaN for N = 0); 'sum'.
 * Gradient: `scale·(softmax − one-hot)` of the scaled logits, to every cosine (the margin is
 * a shift, its derivative is 1; no clamp: nothing takes `acos`).
 *
 * Numerics: the scaled logits and the cross entropy are computed in f64 for both dtypes.
 *
 * @example
 * const cos = tensor([[0.8, 0.1, -0.3], [0.2, 0.6, 0.1]], undefined, { requiresGrad: true });
 * const loss = F.cosFaceLoss(cos, tensor([0, 1], undefined, { dtype: 'int64' }), { scale: 30, margin: 0.2 });
 * loss.backward();
 */
export function cosFaceLoss(input: Tensor, target: Tensor, options?: CosFaceLossOptions): Tensor {
  return cosFaceLossWith('cosFaceLoss', input, target, cosFaceLossOptions(options));
}

/** cosFaceLoss with already-validated options (shared with nn.CosFaceLoss). */
export function cosFaceLossWith(fn: string, input: Tensor, target: Tensor, o: MarginConfig): Tensor {
  return marginRowLoss(fn, 'cos_face_loss', 'CosFaceLossBackward', input, target, o);
}
