import { defineLoss, type LossOptions } from '../table.js';
import { boxLoss, boxOptions } from '../localization.js';

/**
 * Complete IoU loss (Zheng et al. 2021), as `torchvision.ops.complete_box_iou_loss` (0.14):
 * the {@link distanceBoxIouLoss} plus `α·v`, `v = 4/π²·(atan(w_t/h_t) − atan(w_p/h_p))²` (the
 * aspect-ratio mismatch), `α = v/(1 − iou + v + eps)` computed without gradient (a constant in
 * the backward pass), always (mmdetection's variant gates α by `iou > 0.5`).
 *
 * As in torchvision 0.14, `eps` enters only α's denominator: the DIoU part uses its default
 * 1e-7 whatever `eps` is. A zero-height box gives `w/h = ±inf` (finite loss) and NaN gradients,
 * as autograd does. Shapes, `boxFormat`, reductions (default 'none') and gradients as
 * {@link generalizedBoxIouLoss}.
 *
 * @example
 * F.completeBoxIouLoss(pred, gt, { reduction: 'mean' }).backward();
 */
export const completeBoxIouLoss = defineLoss({
  name: 'completeBoxIouLoss',
  stem: 'complete_box_iou_loss',
  nn: 'CompleteBoxIoULoss',
  family: 'localization',
  reference: "torchvision.ops.complete_box_iou_loss (0.14)",
  args: ['input', 'target'],
  options: {
    ...boxOptions(1e-7),
  },
  notes: "DIoU + \u03b1\u00b7v (aspect-ratio term; \u03b1 without gradient, as torchvision)",
  mean: "the number of boxes (0 when there are none)",
  run(fn, [input, target], o) {
    return boxLoss(fn, { stem: 'complete_box_iou_loss', gradName: 'CompleteBoxIouLossBackward', params: [o.eps, 0] }, input, target, o);
},
});

/** The options of {@link completeBoxIouLoss}. */
export type CompleteBoxIouLossOptions = LossOptions<typeof completeBoxIouLoss>;
