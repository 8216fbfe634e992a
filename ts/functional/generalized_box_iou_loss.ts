import { defineLoss, type LossOptions } from '../table.js';
import { boxLoss, boxOptions } from '../localization.js';

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
export const generalizedBoxIouLoss = defineLoss({
  name: 'generalizedBoxIouLoss',
  stem: 'generalized_box_iou_loss',
  nn: 'GeneralizedBoxIoULoss',
  family: 'localization',
  reference: "torchvision.ops.generalized_box_iou_loss (0.14)",
  args: ['input', 'target'],
  options: {
    ...boxOptions(1e-7),
  },
  notes: "boxes (\u2026, 4) in boxFormat; gradients to both arguments through the format conversion",
  mean: "the number of boxes (0 when there are none)",
  run(fn, [input, target], o) {
    return boxLoss(fn, { stem: 'generalized_box_iou_loss', gradName: 'GeneralizedBoxIouLossBackward', params: [o.eps, 0] }, input, target, o);
},
});

/** The options of {@link generalizedBoxIouLoss}. */
export type GeneralizedBoxIouLossOptions = LossOptions<typeof generalizedBoxIouLoss>;
