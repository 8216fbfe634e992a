import { defineLoss, opt, type LossOptions } from '../table.js';
import { marginRowLoss } from '../rowloss.js';

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
export const sphereFaceLoss = defineLoss({
  name: 'sphereFaceLoss',
  stem: 'sphere_face_loss',
  nn: 'SphereFaceLoss',
  family: 'classification',
  reference: 'pytorch-metric-learning SphereFaceLoss on cosine logits',
  args: ['input', 'target'],
  options: {
    margin: opt.number(4, (m) => Number.isInteger(m) && m >= 1 && m <= 1e6, 'must be an integer >= 1', [0, 2.5]),
    scale: opt.number(1, (s) => s > 0 && Number.isFinite(s), 'must be finite and > 0', [0]),
    reduction: opt.reduction(),
  },
  notes: 'ψ(θ) = (−1)^k·cos(mθ) − 2k, integer `margin` 4, `scale` 1',
  mean: 'N',
  run(fn, [input, target], o) {
    return marginRowLoss(fn, 'sphere_face_loss', 'SphereFaceLossBackward', input, target, o);
  },
});

/** The options of {@link sphereFaceLoss}. */
export type SphereFaceLossOptions = LossOptions<typeof sphereFaceLoss>;
