import { boxOptions } from '../localization.js';
import { defineLoss, opt, type LossOptions } from '../table.js';
import { boxLoss, type BoxLossConfig, type BoxLossOptions } from '../localization.js';

/**
 * SIoU loss (SCYLLA-IoU, Gevorgyan 2022) with mmdetection 3.x's `SIoULoss` semantics:
 * `l = 1 − clamp(iou − (Δ + Ω)/2, −1, 1)` with `iou = overlap/(union + eps)`, the angle cost
 * `Λ = cos(2·asin(sin α) − π/2)` of the centre offset, the distance cost
 * `Δ = 2 − e^{γρx} − e^{γρy}` (`ρx = (Δcx/cw)²`, `cw` the enclosing width clamped at eps,
 * `γ = 2 − Λ`, or `Λ − 2` with `negGamma`) and the shape cost
 * `Ω = Σ (1 − e^{−ω})⁴`, `ω_w = |w_p − w_t|/max(w_p, w_t)` (heights carry `+eps`).
 *
 * With the default `negGamma: false` (YOLOv6's code) `Δ ≤ 0`: the distance term lowers the
 * loss; `negGamma: true` is the paper's formula. `eps` default 1e-6 (mmdetection's class). Two
 * zero-width boxes give NaN (0/0), as mmdetection. Default reduction 'none' (the box family's
 * convention; mmdetection: 'mean'); shapes, `boxFormat`, reductions and gradients as
 * {@link generalizedBoxIouLoss}.
 *
 * @example
 * F.scyllaBoxIouLoss(pred, gt, { negGamma: true, reduction: 'mean' });
 */
export const scyllaBoxIouLoss = defineLoss({
  name: 'scyllaBoxIouLoss',
  stem: 'scylla_box_iou_loss',
  nn: 'SIoULoss',
  family: 'localization',
  reference: "mmdetection SIoULoss (Gevorgyan 2022)",
  args: ['input', 'target'],
  options: {
    ...boxOptions(1e-6),
    negGamma: opt.bool(false),
  },
  notes: "angle, distance and shape costs; negGamma false follows the YOLOv6 code, true the paper",
  mean: "the number of boxes (0 when there are none)",
  run(fn, [input, target], o) {
    return boxLoss(fn, { stem: 'scylla_box_iou_loss', gradName: 'ScyllaBoxIouLossBackward', params: [o.eps, o.negGamma ? 1 : 0] }, input, target, o);
},
});

/** The options of {@link scyllaBoxIouLoss}. */
export type ScyllaBoxIouLossOptions = LossOptions<typeof scyllaBoxIouLoss>;
