import { boxLoss, boxLossOptions, type BoxLossConfig, type BoxLossOptions } from '../localization.js';
import type { Tensor } from '../tensor.js';

/** Options of {@link generalizedBoxIouLoss}: `boxFormat` ('xyxy'), `reduction` ('none'), `eps` (1e-7). */
export type GeneralizedBoxIouLossOptions = BoxLossOptions;

/** Validates GIoU-loss options once (used by `F.generalizedBoxIouLoss` and `nn.GeneralizedBoxIoULoss`). */
export function generalizedBoxIouLossOptions(options?: GeneralizedBoxIouLossOptions, fn = 'generalizedBoxIouLoss'): BoxLossConfig {
  return boxLossOptions(fn, options, [], 1e-7).config;
}

/**
 * Generalized IoU loss (Rezatofighi et al. 2019), as `torchvision.ops.generalized_box_iou_loss`
 * (0.14): per box pair, `l = 1 − (iou − (C − U)/(C + eps))` with `iou = I/(U + eps)`, `I` the
 * intersection (0 unless the boxes overlap with positive width and height), `U` the union and
 * `C` the area of the smallest enclosing box.
 *
 * `input`, `target`: boxes of one shape `(…, 4)` (`(4)`, `(N, 4)`, `(B, N, 4)`) and dtype, in
 * `boxFormat` ('xyxy' default, 'xywh', 'cxcywh'; converted as `torchvision.ops.box_convert`).
 * `'none'` (default, as torchvision) gives the leading shape; `'mean'` divides by the number of
 * boxes and is 0 for none; `'sum'`. Degenerate boxes (zero area, `x2 < x1`) follow
 * torchvision's arithmetic, NaN in gives NaN out. Gradients to both arguments (either may
 * require grad), through the format conversion.
 *
 * @example
 * const pred = tensor([[0, 0, 2, 2]], undefined, { requiresGrad: true });
 * F.generalizedBoxIouLoss(pred, tensor([[1, 1, 3, 3]]), { reduction: 'mean' }); // 1 − (1/7 − 2/9)
 */
export function generalizedBoxIouLoss(input: Tensor, target: Tensor, options?: GeneralizedBoxIouLossOptions): Tensor {
  return generalizedBoxIouLossWith('generalizedBoxIouLoss', input, target, generalizedBoxIouLossOptions(options));
}

/** generalizedBoxIouLoss with already-validated options (shared with the nn class). */
export function generalizedBoxIouLossWith(fn: string, input: Tensor, target: Tensor, o: BoxLossConfig): Tensor {
  return boxLoss(fn, { stem: 'generalized_box_iou_loss', gradName: 'GeneralizedBoxIouLossBackward', params: [o.eps, 0] }, input, target, o);
}
