import { parseReduction, type Reduction } from '../reduction.js';
import { marginRowLoss, type MarginConfig } from '../rowloss.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, numberOption } from '../validate.js';

export interface ArcFaceLossOptions {
  /** Logit scale s > 0 (default 64). */
  scale?: number;
  /** Additive angular margin m in radians (default 0.5 ≈ 28.6°). */
  margin?: number;
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates ArcFaceLoss options once (used by `F.arcFaceLoss` and `nn.ArcFaceLoss`). */
export function arcFaceLossOptions(options?: ArcFaceLossOptions, fn = 'arcFaceLoss'): MarginConfig {
  const o = checkOptions(fn, options, ['scale', 'margin', 'reduction']);
  return {
    scale: numberOption(fn, 'scale', o.scale, 64, (s) => s > 0 && Number.isFinite(s), 'must be finite and > 0'),
    margin: numberOption(fn, 'margin', o.margin, 0.5, Number.isFinite, 'must be finite'),
    reduction: parseReduction(fn, o.reduction),
  };
}

/**
 * ArcFace (additive angular margin, Deng et al. 2019) on given cosine logits: the
 * classification head of pytorch-metric-learning's `ArcFaceLoss` after its cosine layer
 * (there the margin is in degrees, 28.6; here in radians), without the "easy margin" variant.
 *
 * `input`: cosines `c` of shape `(N, C)` (typically `normalize(embedding) · normalize(W)`);
 * `target`: class indices (int32 or int64) `(N)` in [0, C).
 *
 * The target logit becomes `cos(θ_y + m)`, `θ_y = acos(clamp(c_y, −1 + 1e-7, 1 − 1e-7))` (the
 * bound rounded to the input's dtype); the others stay `c_j`; then cross entropy of
 * `scale · logits`. 'none' gives `(N)`; 'mean' (default) divides by N (NaN for N = 0); 'sum'.
 *
 * Gradients flow to every cosine; through the margin,
 * `dcos(θ + m)/dc = sin(θ + m)/sin θ`, and 0 where the clamp is active (`|c_y| > 1 − 1e-7`;
 * at the bound it passes, as autograd through `torch.clamp`).
 *
 * Numerics: the scaled logits and the cross entropy are computed in f64 for both dtypes
 * (rounding `64·c` to f32 would cost digits); `sin θ = √((1 − c)(1 + c))`.
 *
 * @example
 * const cos = tensor([[0.8, 0.1, -0.3], [0.2, 0.6, 0.1]], undefined, { requiresGrad: true });
 * const loss = F.arcFaceLoss(cos, tensor([0, 1], undefined, { dtype: 'int64' }));
 * loss.backward();
 */
export function arcFaceLoss(input: Tensor, target: Tensor, options?: ArcFaceLossOptions): Tensor {
  return arcFaceLossWith('arcFaceLoss', input, target, arcFaceLossOptions(options));
}

/** arcFaceLoss with already-validated options (shared with nn.ArcFaceLoss). */
export function arcFaceLossWith(fn: string, input: Tensor, target: Tensor, o: MarginConfig): Tensor {
  return marginRowLoss(fn, 'arc_face_loss', 'ArcFaceLossBackward', input, target, o);
}
