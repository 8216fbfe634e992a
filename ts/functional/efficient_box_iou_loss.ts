import { boxOptions } from '../localization.js';
import { defineLoss, opt, type LossOptions } from '../table.js';
import { boxLoss, type BoxLossConfig, type BoxLossOptions } from '../localization.js';

/**
 * Efficient IoU loss (Zhang et al. 2021, "Focal and Efficient IOU Loss"), on torchvision's
 * DIoU terms: `l = 1 − iou + ρ²/(c² + eps) + (w_p − w_t)²/(C_w² + eps) + (h_p − h_t)²/(C_h² + eps)`,
 * `C_w`, `C_h` the sides of the smallest enclosing box and `c² = C_w² + C_h²`; `iou = I/(U + eps)`
 * as {@link distanceBoxIouLoss}. Focal-EIoU (`gamma` > 0): `l·iou^γ`, the factor `iou^γ`
 * held constant in the backward pass (the paper uses γ = 0.5).
 *
 * Not mmdetection's `EIoULoss`, which is Extended-IoU. `eps` default 1e-7 (torchvision's).
 * Shapes, `boxFormat`, reductions (default 'none'; 'mean' of no boxes is 0) and gradients as
 * {@link generalizedBoxIouLoss}.
 *
 * @example
 * F.efficientBoxIouLoss(pred, gt, { gamma: 0.5, reduction: 'mean' }); // Focal-EIoU
 */
export const efficientBoxIouLoss = defineLoss({
  name: 'efficientBoxIouLoss',
  stem: 'efficient_box_iou_loss',
  nn: 'EfficientIoULoss',
  family: 'localization',
  reference: "EIoU / Focal-EIoU (Zhang et al. 2021)",
  args: ['input', 'target'],
  options: {
    ...boxOptions(1e-7),
    gamma: opt.number(0, (g) => g >= 0 && Number.isFinite(g), "must be finite and >= 0", [-1, Infinity]),
  },
  notes: "DIoU + width and height terms over the enclosing box; gamma > 0 weights by IoU^\u03b3 (Focal-EIoU)",
  mean: "the number of boxes (0 when there are none)",
  run(fn, [input, target], o) {
    return boxLoss(fn, { stem: 'efficient_box_iou_loss', gradName: 'EfficientBoxIouLossBackward', params: [o.eps, o.gamma] }, input, target, o);
},
});

/** The options of {@link efficientBoxIouLoss}. */
export type EfficientBoxIouLossOptions = LossOptions<typeof efficientBoxIouLoss>;
