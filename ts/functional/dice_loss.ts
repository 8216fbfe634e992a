import { defineLoss, type LossOptions } from '../table.js';
import { overlapLoss, overlapOptions } from '../segmentation.js';

/**
 * Dice loss, as `segmentation_models_pytorch.losses.DiceLoss` (smp ≤ 0.3, Milletari's product
 * form): per class c, with sums over the batch and the spatial dims together,
 * `score_c = (2·Σ p·g + smooth)/max(Σ (p + g) + smooth, eps)`; the class loss is `1 − score_c`
 * (`−ln(max(score_c, eps))` with `logLoss`), 0 for a class with no positive target pixel (it
 * still counts in the mean). `'mean'` (default) averages over `classes` (all by default);
 * `'none'` gives them, shape `(C)` or `(classes.length)`.
 *
 * `input`: logits `(N, C, *)` (probabilities with `fromLogits: false`). `mode`: from the
 * target's dtype unless given — int32/int64 class indices `(N, *)` → `'multiclass'` (softmax
 * over dim 1); float `(N, C, *)` (soft labels allowed) → `'multilabel'` (sigmoid); `'binary'`:
 * input `(N, 1, *)`, target `(N, *)` or `(N, 1, *)` (sigmoid). `ignoreIndex`: pixels whose
 * target equals it add nothing (predictions and targets zeroed, as smp).
 *
 * Numerics: `1 − score` is computed as `Σ (FP + FN)/den` (no cancellation near a perfect
 * prediction), with `1 − p` of the softmax's argmax taken from the other classes' sum.
 *
 * @example
 * const logits = tensor(data, [2, 3, 64, 64], { requiresGrad: true });
 * const loss = F.diceLoss(logits, tensor(masks, [2, 64, 64], { dtype: 'int32' }));
 * loss.backward();
 */
export const diceLoss = defineLoss({
  name: 'diceLoss',
  stem: 'dice_loss',
  nn: 'DiceLoss',
  family: 'segmentation',
  reference: 'segmentation_models_pytorch.losses.DiceLoss (0.3)',
  args: ['input', 'target'],
  options: overlapOptions(),
  notes: 'logits (N, C, *); mode from the target dtype; per-class sums over batch and pixels; empty classes give 0',
  mean: 'the number of selected classes (empty classes included)',
  run(fn, [input, target], o) {
    return overlapLoss(fn, 'dice_loss', 'DiceLossBackward', input, target, o);
  },
});

/** The options of {@link diceLoss}. */
export type DiceLossOptions = LossOptions<typeof diceLoss>;
