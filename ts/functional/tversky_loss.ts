import { defineLoss, opt, type LossOptions } from '../table.js';
import { overlapLoss, overlapOptions } from '../segmentation.js';

/**
 * Tversky loss and focal Tversky, as `segmentation_models_pytorch.losses.TverskyLoss`
 * (smp ≤ 0.3): per class `score_c = (TP + smooth)/max(TP + α·FP + β·FN + smooth, eps)` with
 * `TP = Σ p·g`, `FP = Σ p·(1 − g)`, `FN = Σ (1 − p)·g`; class loss `1 − score_c`, 0 for a class
 * with no positive target pixel. `'mean'`: `(mean over classes)^γ` (smp's
 * `loss.mean() ** gamma`); `'none'`: each `l_c^γ`. α = β = ½ is {@link diceLoss}, α = β = 1
 * {@link jaccardLoss}. The gradient of `m^γ` at `m = 0` is taken as 0 (PyTorch's autograd
 * gives NaN there for γ < 1). Shapes, modes, `classes`, `ignoreIndex` as {@link diceLoss}.
 *
 * @example
 * F.tverskyLoss(logits, masks, { alpha: 0.3, beta: 0.7, gamma: 4 / 3 }); // focal Tversky
 */
export const tverskyLoss = defineLoss({
  name: 'tverskyLoss',
  stem: 'tversky_loss',
  nn: 'TverskyLoss',
  family: 'segmentation',
  reference: 'segmentation_models_pytorch.losses.TverskyLoss (0.3)',
  args: ['input', 'target'],
  options: {
    ...overlapOptions(),
    alpha: opt.number(0.5, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-0.5, Infinity]),
    beta: opt.number(0.5, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-0.5, Infinity]),
    gamma: opt.number(1, (v) => v > 0 && Number.isFinite(v), 'must be finite and > 0', [0, -1, Infinity]),
  },
  notes: 'alpha on false positives, beta on false negatives; gamma \u2260 1: focal Tversky, (mean)^gamma',
  mean: 'the number of selected classes, then ^gamma',
  run(fn, [input, target], o) {
    return overlapLoss(fn, 'tversky_loss', 'TverskyLossBackward', input, target, o, o.gamma);
  },
});

/** The options of {@link tverskyLoss}. */
export type TverskyLossOptions = LossOptions<typeof tverskyLoss>;
