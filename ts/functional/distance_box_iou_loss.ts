import { defineLoss, type LossOptions } from '../table.js';
import { boxLoss, boxOptions } from '../localization.js';

/**
 * Distance IoU loss (Zheng et al. 2020), as `torchvision.ops.distance_box_iou_loss` (0.14):
 * `l = 1 − iou + ρ²/(c² + eps)`, `iou = I/(U + eps)` (torchvision's intersection and union),
 * `ρ` the distance between the box centres, `c` the diagonal of the smallest enclosing box.
 * Keeps a gradient for disjoint boxes (the centre term), where plain IoU is flat.
 *
 * Shapes, `boxFormat`, reductions (default 'none'; 'mean' of no boxes is 0) and gradients as
 * {@link generalizedBoxIouLoss}.
 *
 * @example
 * F.distanceBoxIouLoss(pred, gt, { boxFormat: 'cxcywh', reduction: 'sum' });
 */
export const distanceBoxIouLoss = defineLoss({
  name: 'distanceBoxIouLoss',
  stem: 'distance_box_iou_loss',
  nn: 'DistanceBoxIoULoss',
  family: 'localization',
  reference: "torchvision.ops.distance_box_iou_loss (0.14)",
  args: ['input', 'target'],
  options: {
    ...boxOptions(1e-7),
  },
  notes: "1 \u2212 IoU + \u03c1\u00b2/c\u00b2 (centre distance over the enclosing box diagonal)",
  mean: "the number of boxes (0 when there are none)",
  run(fn, [input, target], o) {
    return boxLoss(fn, { stem: 'distance_box_iou_loss', gradName: 'DistanceBoxIouLossBackward', params: [o.eps, 0] }, input, target, o);
},
});

/** The options of {@link distanceBoxIouLoss}. */
export type DistanceBoxIouLossOptions = LossOptions<typeof distanceBoxIouLoss>;
