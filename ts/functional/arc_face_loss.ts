import { defineLoss, opt, type LossOptions } from '../table.js';
import { marginRowLoss } from '../rowloss.js';

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
export const arcFaceLoss = defineLoss({
  name: 'arcFaceLoss',
  stem: 'arc_face_loss',
  nn: 'ArcFaceLoss',
  family: 'classification',
  reference: 'pytorch-metric-learning ArcFaceLoss on cosine logits',
  args: ['input', 'target'],
  options: {
    scale: opt.number(64, (s) => s > 0 && Number.isFinite(s), 'must be finite and > 0', [0, -1]),
    margin: opt.number(0.5, Number.isFinite, 'must be finite', [Infinity]),
    reduction: opt.reduction(),
  },
  notes: 'cosines (N,C): target logit cos(acos(c_y) + m), `scale` 64, `margin` 0.5',
  mean: 'N',
  run(fn, [input, target], o) {
    return marginRowLoss(fn, 'arc_face_loss', 'ArcFaceLossBackward', input, target, o);
  },
});

/** The options of {@link arcFaceLoss}. */
export type ArcFaceLossOptions = LossOptions<typeof arcFaceLoss>;
