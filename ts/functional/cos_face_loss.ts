import { defineLoss, opt, type LossOptions } from '../table.js';
import { marginRowLoss } from '../rowloss.js';

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
export const cosFaceLoss = defineLoss({
  name: 'cosFaceLoss',
  stem: 'cos_face_loss',
  nn: 'CosFaceLoss',
  family: 'classification',
  reference: 'pytorch-metric-learning CosFaceLoss on cosine logits',
  args: ['input', 'target'],
  options: {
    scale: opt.number(64, (s) => s > 0 && Number.isFinite(s), 'must be finite and > 0', [0, -1]),
    margin: opt.number(0.35, Number.isFinite, 'must be finite', [Infinity]),
    reduction: opt.reduction(),
  },
  notes: 'target logit c_y − m, `scale` 64, `margin` 0.35',
  mean: 'N',
  run(fn, [input, target], o) {
    return marginRowLoss(fn, 'cos_face_loss', 'CosFaceLossBackward', input, target, o);
  },
});

/** The options of {@link cosFaceLoss}. */
export type CosFaceLossOptions = LossOptions<typeof cosFaceLoss>;
