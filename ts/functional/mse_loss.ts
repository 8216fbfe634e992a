import { elementwise, NO_PARAMS } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../validate.js';

export interface MseLossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates MSELoss options once (used by `F.mseLoss` and `nn.MSELoss`). */
export function mseLossOptions(options?: MseLossOptions, fn = 'mseLoss'): Required<MseLossOptions> {
  const o = checkOptions(fn, options, ['reduction']);
  return { reduction: parseReduction(fn, o.reduction) };
}

/**
 * Mean squared error: `l = (input − target)²`, as `torch.nn.functional.mse_loss`.
 *
 * Shapes: `input` and `target` of the same shape; 0-d result for 'mean' (Σl / numel; NaN when
 * empty) and 'sum', else the input's shape. Gradient `2(input − target)` to input, its
 * negative to target. The sum is blocked and compensated (float32 sums of 1e7 terms stay
 * within 1e-6 relative).
 *
 * @example
 * const x = tensor([0.5, 2], undefined, { requiresGrad: true });
 * const loss = F.mseLoss(x, tensor([1, 1])); // (0.25 + 1) / 2
 * loss.backward(); // x.grad = [-0.5, 1]
 */
export function mseLoss(input: Tensor, target: Tensor, options?: MseLossOptions): Tensor {
  const { reduction } = mseLossOptions(options);
  return elementwise({ fn: 'mseLoss', stem: 'mse_loss', params: NO_PARAMS, input, target, reduction });
}
