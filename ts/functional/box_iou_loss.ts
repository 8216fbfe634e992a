import { boxLoss, boxLossOptions, type BoxLossConfig, type BoxLossOptions } from '../localization.js';
import type { Tensor } from '../tensor.js';

/** How the IoU becomes a loss: `1 − iou`, `1 − iou²` or `−ln iou`. */
export type IouLossMode = 'linear' | 'square' | 'log';

const MODES: readonly IouLossMode[] = ['linear', 'square', 'log'];

export interface BoxIouLossOptions extends BoxLossOptions {
  /** 'linear' (default) | 'square' | 'log' (UnitBox). */
  mode?: IouLossMode;
}

/** Validated {@link BoxIouLossOptions}. */
export interface BoxIouLossConfig extends BoxLossConfig {
  mode: IouLossMode;
}

/** Validates IoU-loss options once (used by `F.boxIouLoss` and `nn.IoULoss`). */
export function boxIouLossOptions(options?: BoxIouLossOptions, fn = 'boxIouLoss'): BoxIouLossConfig {
  const { config, raw } = boxLossOptions(fn, options, ['mode'], 1e-6);
  const mode = raw.mode ?? 'linear';
  if (!MODES.includes(mode)) {
    throw new RangeError(`${fn}: option 'mode' must be one of 'linear', 'square', 'log', got ${JSON.stringify(mode)}`);
  }
  return { ...config, mode };
}

/**
 * IoU loss with mmdetection 3.x's semantics (`IoULoss`; UnitBox, Yu et al. 2016, for 'log'):
 * `iou = overlap / max(union, 1e-6)` (mmdetection's aligned `bbox_overlaps`: sides clamped at
 * 0, so touching boxes still pass a gradient), clamped below at `eps` (default 1e-6), then
 * `'linear'` (default): `1 − iou`; `'square'`: `1 − iou²`; `'log'`: `−ln iou`.
 *
 * Deviations from mmdetection: default `mode` 'linear' (mmdetection: 'log') and default
 * `reduction` 'none' (the box family's torchvision convention; mmdetection: 'mean'); no
 * `weight`/`avgFactor`/`lossWeight`. Shapes, `boxFormat`, reductions ('mean' of no boxes is 0)
 * and gradients as {@link generalizedBoxIouLoss}.
 *
 * @example
 * F.boxIouLoss(pred, gt, { mode: 'log', reduction: 'mean' });
 */
export function boxIouLoss(input: Tensor, target: Tensor, options?: BoxIouLossOptions): Tensor {
  return boxIouLossWith('boxIouLoss', input, target, boxIouLossOptions(options));
}

/** boxIouLoss with already-validated options (shared with nn.IoULoss). */
export function boxIouLossWith(fn: string, input: Tensor, target: Tensor, o: BoxIouLossConfig): Tensor {
  const params = [MODES.indexOf(o.mode), o.eps] as const;
  return boxLoss(fn, { stem: 'box_iou_loss', gradName: 'BoxIouLossBackward', params }, input, target, o);
}
