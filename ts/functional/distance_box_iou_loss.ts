import { boxLoss, boxLossOptions, type BoxLossConfig, type BoxLossOptions } from '../localization.js';
import type { Tensor } from '../tensor.js';

/** Options of {@link distanceBoxIouLoss}: `boxFormat` ('xyxy'), `reduction` ('none'), `eps` (1e-7). */
export type DistanceBoxIouLossOptions = BoxLossOptions;

/** Validates DIoU-loss options once (used by `F.distanceBoxIouLoss` and `nn.DistanceBoxIoULoss`). */
export function distanceBoxIouLossOptions(options?: DistanceBoxIouLossOptions, fn = 'distanceBoxIouLoss'): BoxLossConfig {
  return boxLossOptions(fn, options, [], 1e-7).config;
}

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
export function distanceBoxIouLoss(input: Tensor, target: Tensor, options?: DistanceBoxIouLossOptions): Tensor {
  return distanceBoxIouLossWith('distanceBoxIouLoss', input, target, distanceBoxIouLossOptions(options));
}

/** distanceBoxIouLoss with already-validated options (shared with the nn class). */
export function distanceBoxIouLossWith(fn: string, input: Tensor, target: Tensor, o: BoxLossConfig): Tensor {
  return boxLoss(fn, { stem: 'distance_box_iou_loss', gradName: 'DistanceBoxIouLossBackward', params: [o.eps, 0] }, input, target, o);
}
