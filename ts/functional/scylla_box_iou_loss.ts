import { boxLoss, boxLossOptions, type BoxLossConfig, type BoxLossOptions } from '../localization.js';
import type { Tensor } from '../tensor.js';
import { boolOption } from '../validate.js';

export interface ScyllaBoxIouLossOptions extends BoxLossOptions {
  /** The paper's sign of the distance cost's γ (`Λ − 2`); default false: YOLOv6's code (`2 − Λ`), mmdetection's default. */
  negGamma?: boolean;
}

/** Validated {@link ScyllaBoxIouLossOptions}. */
export interface ScyllaBoxIouLossConfig extends BoxLossConfig {
  negGamma: boolean;
}

/** Validates SIoU-loss options once (used by `F.scyllaBoxIouLoss` and `nn.SIoULoss`). */
export function scyllaBoxIouLossOptions(options?: ScyllaBoxIouLossOptions, fn = 'scyllaBoxIouLoss'): ScyllaBoxIouLossConfig {
  const { config, raw } = boxLossOptions(fn, options, ['negGamma'], 1e-6);
  return { ...config, negGamma: boolOption(fn, 'negGamma', raw.negGamma, false) };
}

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
export function scyllaBoxIouLoss(input: Tensor, target: Tensor, options?: ScyllaBoxIouLossOptions): Tensor {
  return scyllaBoxIouLossWith('scyllaBoxIouLoss', input, target, scyllaBoxIouLossOptions(options));
}

/** scyllaBoxIouLoss with already-validated options (shared with nn.SIoULoss). */
export function scyllaBoxIouLossWith(fn: string, input: Tensor, target: Tensor, o: ScyllaBoxIouLossConfig): Tensor {
  return boxLoss(fn, { stem: 'scylla_box_iou_loss', gradName: 'ScyllaBoxIouLossBackward', params: [o.eps, o.negGamma ? 1 : 0] }, input, target, o);
}
