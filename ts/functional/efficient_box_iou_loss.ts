import { boxLoss, boxLossOptions, type BoxLossConfig, type BoxLossOptions } from '../localization.js';
import type { Tensor } from '../tensor.js';
import { numberOption } from '../validate.js';

export interface EfficientBoxIouLossOptions extends BoxLossOptions {
  /** Focal-EIoU exponent γ ≥ 0 (default 0: plain EIoU): the loss times `iou^γ`. */
  gamma?: number;
}

/** Validated {@link EfficientBoxIouLossOptions}. */
export interface EfficientBoxIouLossConfig extends BoxLossConfig {
  gamma: number;
}

/** Validates EIoU-loss options once (used by `F.efficientBoxIouLoss` and `nn.EfficientIoULoss`). */
export function efficientBoxIouLossOptions(options?: EfficientBoxIouLossOptions, fn = 'efficientBoxIouLoss'): EfficientBoxIouLossConfig {
  const { config, raw } = boxLossOptions(fn, options, ['gamma'], 1e-7);
  return { ...config, gamma: numberOption(fn, 'gamma', raw.gamma, 0, (g) => g >= 0 && Number.isFinite(g), 'must be finite and >= 0') };
}

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
export function efficientBoxIouLoss(input: Tensor, target: Tensor, options?: EfficientBoxIouLossOptions): Tensor {
  return efficientBoxIouLossWith('efficientBoxIouLoss', input, target, efficientBoxIouLossOptions(options));
}

/** efficientBoxIouLoss with already-validated options (shared with nn.EfficientIoULoss). */
export function efficientBoxIouLossWith(fn: string, input: Tensor, target: Tensor, o: EfficientBoxIouLossConfig): Tensor {
  return boxLoss(fn, { stem: 'efficient_box_iou_loss', gradName: 'EfficientBoxIouLossBackward', params: [o.eps, o.gamma] }, input, target, o);
}
