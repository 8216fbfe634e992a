import { elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { boolOption, checkFloatTensor, checkOptions, checkSameDType, numberOption, sameShape, shapeStr } from '../validate.js';

export interface GaussianNllLossOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
  /** Add the constant ½·log(2π) (default false). */
  full?: boolean;
  /** Lower clamp of `var`, for stability; the clamp does not stop the gradient (default 1e-6). */
  eps?: number;
}

/** Validates GaussianNLLLoss options once (used by `F.gaussianNllLoss` and `nn.GaussianNLLLoss`). */
export function gaussianNllLossOptions(options?: GaussianNllLossOptions, fn = 'gaussianNllLoss'): Required<GaussianNllLossOptions> {
  const o = checkOptions(fn, options, ['reduction', 'full', 'eps']);
  return {
    reduction: parseReduction(fn, o.reduction),
    full: boolOption(fn, 'full', o.full, false),
    eps: numberOption(fn, 'eps', o.eps, 1e-6),
  };
}

/**
 * Gaussian negative log likelihood, as `torch.nn.functional.gaussian_nll_loss`:
 * `l = ½(log v + (input − target)²/v)` with `v = max(var, eps)` (+ ½·log(2π) when `full`).
 *
 * `var` has the input's shape (one variance per element), or that shape with the last
 * dimension 1, or one dimension fewer (one variance per row, shared along the last dimension).
 * Negative `var` is an error. PyTorch clamps `var` under `no_grad`, so the gradient to `var`
 * flows as if unclamped: `½(1/v − (input − target)²/v²)`. Gradients to input, target and var.
 * 'none' keeps the input's shape; 'mean' divides by the input's numel.
 *
 * @example
 * F.gaussianNllLoss(mu, y, sigma2, { full: true });
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options?: GaussianNllLossOptions): Tensor {
  const fn = 'gaussianNllLoss';
  const { reduction, full, eps } = gaussianNllLossOptions(options);
  const x = checkFloatTensor(fn, 'input', input);
  const v = checkFloatTensor(fn, 'var', variance);
  checkSameDType(fn, ['input', x], ['var', v]);
  const xs = x.shape;
  // The shape var broadcasts from: one fewer dimension is PyTorch's unsqueeze(-1).
  let from: number[];
  if (sameShape(v.shape, xs)) from = v.shape;
  else if (xs.length > 0 && sameShape(v.shape, [...xs.slice(0, -1), 1])) from = v.shape;
  else if (xs.length > 0 && sameShape(v.shape, xs.slice(0, -1))) from = [...v.shape, 1];
  else {
    // PyTorch: "var is of incorrect size"
    throw new Error(
      `${fn}: argument 'var' is of incorrect size ${shapeStr(v.shape)}: expected ${shapeStr(xs)}, ` +
        `${shapeStr([...xs.slice(0, -1), 1])} or ${shapeStr(xs.slice(0, -1))}`,
    );
  }
  const vd = v.data;
  for (let i = 0; i < vd.length; i++) {
    // PyTorch: "var has negative entry/entries"
    if (vd[i] < 0) throw new RangeError(`${fn}: argument 'var' has negative entry/entries (var[${i}] = ${vd[i]})`);
  }
  return elementwise({
    fn, stem: 'gaussian_nll_loss', params: [full ? 1 : 0, eps, 0], input, target, reduction,
    aux: { name: 'var', tensor: v, shape: from },
  });
}
