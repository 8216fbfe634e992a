import { elementwise, NO_PARAMS } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../validate.js';

export interface L1LossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates L1Loss options once (used by `F.l1Loss` and `nn.L1Loss`). */
export function l1LossOptions(options?: L1LossOptions, fn = 'l1Loss'): Required<L1LossOptions> {
  const o = checkOptions(fn, options, ['reduction']);
  return { reduction: parseReduction(fn, o.reduction) };
}

/**
 * Mean absolute error: `l = |input − target|`, as `torch.nn.functional.l1_loss`.
 *
 * Shapes: `input` and `target` of the same shape (any rank, float32 or float64); the result is
 * 0-d for 'mean' (Σl / numel; NaN when empty) and 'sum', else the input's shape.
 * Gradient: `sign(input − target)` (0 where equal), to both tensors.
 *
 * @example
 * F.l1Loss(tensor([1, 2, 3]), tensor([1, 0, 5])).item(); // (0 + 2 + 2) / 3
 */
export function l1Loss(input: Tensor, target: Tensor, options?: L1LossOptions): Tensor {
  const { reduction } = l1LossOptions(options);
  return elementwise({ fn: 'l1Loss', stem: 'l1_loss', params: NO_PARAMS, input, target, reduction });
}
