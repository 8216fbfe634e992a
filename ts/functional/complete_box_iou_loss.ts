import { boxLoss, boxLossOptions, type BoxLossConfig, type BoxLossOptions } from '../localization.js';
import type { Tensor } from '../tensor.js';

/** Options of {@link completeBoxIouLoss}: `boxFormat` ('xyxy'), `reduction` ('none'), `eps` (1e-7, α's only). */
export type CompleteBoxIouLossOptions = BoxLossOptions;

/** Validates CIoU-loss options once (used by `F.completeBoxIouLoss` and `nn.CompleteBoxIoULoss`). */
export function completeBoxIouLossOptions(options?: CompleteBoxIouLossOptions, fn = 'completeBoxIouLoss'): BoxLossConfig {
  return boxLossOptions(fn, options, [], 1e-7).config;
}

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
export function completeBoxIouLoss(input: Tensor, target: Tensor, options?: CompleteBoxIouLossOptions): Tensor {
  return completeBoxIouLossWith('completeBoxIouLoss', input, target, completeBoxIouLossOptions(options));
}

/** completeBoxIouLoss with already-validated options (shared with the nn class). */
export function completeBoxIouLossWith(fn: string, input: Tensor, target: Tensor, o: BoxLossConfig): Tensor {
  return boxLoss(fn, { stem: 'complete_box_iou_loss', gradName: 'CompleteBoxIouLossBackward', params: [o.eps, 0] }, input, target, o);
}
