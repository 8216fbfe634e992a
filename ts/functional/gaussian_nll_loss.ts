import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwise } from '../elementwise.js';
import { checkFloatTensor, checkSameDType, sameShape, shapeStr } from '../validate.js';

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
export const gaussianNllLoss = defineLoss({
  name: 'gaussianNllLoss',
  stem: 'gaussian_nll_loss',
  nn: 'GaussianNLLLoss',
  family: 'regression',
  reference: 'torch.nn.functional.gaussian_nll_loss',
  args: ['input', 'target', 'var'],
  options: {
    reduction: opt.reduction(),
    full: opt.bool(false),
    eps: opt.number(1e-6),
  },
  notes: '`full`, `eps` (clamp that does not stop the gradient); `var` of the input\'s shape, with last dim 1, or one dim fewer; negative `var` is an error',
  mean: 'the number of elements of the input',
  run(fn, [input, target, variance], o) {
    const { reduction, full, eps } = o;
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
  },
});

/** The options of {@link gaussianNllLoss}. */
export type GaussianNllLossOptions = LossOptions<typeof gaussianNllLoss>;
