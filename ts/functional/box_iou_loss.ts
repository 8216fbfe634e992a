import { boxOptions } from '../localization.js';
import { defineLoss, opt, type LossOptions } from '../table.js';
import { boxLoss, type BoxLossConfig, type BoxLossOptions } from '../localization.js';

/** How the IoU becomes a loss: `1 − iou`, `1 − iou²` or `−ln iou`. */
export type IouLossMode = 'linear' | 'square' | 'log';

const MODES: readonly IouLossMode[] = ['linear', 'square', 'log'];

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
export const boxIouLoss = defineLoss({
  name: 'boxIouLoss',
  stem: 'box_iou_loss',
  nn: 'IoULoss',
  family: 'localization',
  reference: "mmdetection IoULoss (UnitBox for mode log)",
  args: ['input', 'target'],
  options: {
    ...boxOptions(1e-6),
    mode: opt.choice(["linear", "square", "log"], "linear"),
  },
  notes: "1 \u2212 IoU, 1 \u2212 IoU\u00b2, or \u2212log IoU (IoU clamped at eps)",
  mean: "the number of boxes (0 when there are none)",
  run(fn, [input, target], o) {
    const params = [MODES.indexOf(o.mode), o.eps] as const;
    return boxLoss(fn, { stem: 'box_iou_loss', gradName: 'BoxIouLossBackward', params }, input, target, o);
},
});

/** The options of {@link boxIouLoss}. */
export type BoxIouLossOptions = LossOptions<typeof boxIouLoss>;
