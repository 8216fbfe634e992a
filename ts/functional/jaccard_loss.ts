import { defineLoss, type LossOptions } from '../table.js';
import { overlapLoss, overlapOptions } from '../segmentation.js';

/**
 * Jaccard (IoU) loss, as `segmentation_models_pytorch.losses.JaccardLoss` (smp ≤ 0.3): per
 * class `score_c = (Σ p·g + smooth)/max(Σ (p + g) − Σ p·g + smooth, eps)`, loss `1 − score_c`
 * (`−ln(max(score_c, eps))` with `logLoss`), 0 for a class with no positive target pixel.
 * Shapes, modes, `classes`, `ignoreIndex` and reductions as {@link diceLoss}.
 *
 * @example
 * F.jaccardLoss(logits, masks, { mode: 'multilabel', smooth: 1 });
 */
export const jaccardLoss = defineLoss({
  name: 'jaccardLoss',
  stem: 'jaccard_loss',
  nn: 'JaccardLoss',
  family: 'segmentation',
  reference: 'segmentation_models_pytorch.losses.JaccardLoss (0.3)',
  args: ['input', 'target'],
  options: overlapOptions(),
  notes: 'as diceLoss, with the IoU score',
  mean: 'the number of selected classes (empty classes included)',
  run(fn, [input, target], o) {
    return overlapLoss(fn, 'jaccard_loss', 'JaccardLossBackward', input, target, o);
  },
});

/** The options of {@link jaccardLoss}. */
export type JaccardLossOptions = LossOptions<typeof jaccardLoss>;
