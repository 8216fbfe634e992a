import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkIndexDType, lastDimLayout, marginFrames, rowLoss } from '../rowloss.js';
import type { FloatDType, Tensor } from '../tensor.js';
import { checkFloatTensor, checkSameDType, checkTensor, shapeStr } from '../validate.js';

/**
 * The multi-class hinge loss, as `torch.nn.functional.multi_margin_loss` (`nn.MultiMarginLoss`).
 *
 * `input`: scores `(N, C)`, or `(C)` for one sample (also `()`, one class, as PyTorch);
 * `target`: class indices (int32 or int64) in [0, C), of shape `(N)` (or `()`/`(1)` for one
 * sample).
 *
 * Per sample: `l = (1/C)·Σ_{i≠y} w_y·max(0, margin − x_y + x_i)^p`, p ∈ {1, 2}, `w` = `weight`
 * (ones by default) — applied **after** the power, as PyTorch's kernel (its docs draw it
 * inside). 'none' gives `(N)` (0-d when the target is 0-d); 'mean' (default) = Σ l / N (NaN
 * for N = 0); 'sum'. The hinge is active only where `margin − x_y + x_i > 0`: at exactly 0
 * there is no gradient, as PyTorch.
 *
 * Gradient: `∂x_i = w_y·(p = 1 ? 1 : 2·z_i)/C` for each active `i ≠ y`, `∂x_y` = minus their sum.
 * Errors (PyTorch's wording): "only p == 1 and p == 2 supported", "target out of range",
 * "inconsistent target size, got: […]", "Expected non-empty vector or matrix with optional
 * 0-dim batch size, but got: […]".
 *
 * Numerics: margins formed in f64; compensated sums.
 *
 * @example
 * const x = tensor([[0.1, 0.2, 0.4, 0.8]], undefined, { requiresGrad: true });
 * const loss = F.multiMarginLoss(x, tensor([3], undefined, { dtype: 'int64' })); // (0.3 + 0.4 + 0.6) / 4 = 0.325
 * loss.backward(); // x.grad = [[0.25, 0.25, 0.25, -0.75]]
 */
export const multiMarginLoss = defineLoss({
  name: 'multiMarginLoss',
  stem: 'multi_margin_loss',
  nn: 'MultiMarginLoss',
  family: 'classification',
  reference: 'torch.nn.functional.multi_margin_loss',
  args: ['input', 'target'],
  options: {
    // PyTorch: ValueError("only p == 1 and p == 2 supported")
    p: opt.number(1, (v) => v === 1 || v === 2, 'must be 1 or 2 (only p == 1 and p == 2 supported)', [3, 1.5]),
    margin: opt.number(1, Number.isFinite, 'must be finite', [Infinity]),
    weight: opt.tensor(),
    reduction: opt.reduction(),
  },
  notes: '`p` ∈ {1, 2}, `margin`, `weight` (after the power, as PyTorch)',
  mean: 'N (the 1/C is inside each sample)',
  run(fn, [input, target], o) {
    if (o.weight && o.weight.ndim !== 1) throw new Error(`${fn}: option 'weight' must be one-dimensional, got shape ${shapeStr(o.weight.shape)}`);
    const x = checkFloatTensor(fn, 'input', input);
    const t = checkTensor(fn, 'target', target);
    const { n, c } = marginFrames(fn, x);
    checkIndexDType(fn, t);
    if (!(t.ndim <= 1 && t.numel() === n)) throw new Error(`${fn}: argument 'target': inconsistent target size, got: ${shapeStr(t.shape)}`);
    let w: Tensor<FloatDType> | null = null;
    if (o.weight) {
      w = checkFloatTensor(fn, 'weight', o.weight);
      checkSameDType(fn, ['input', x], ['weight', w]);
      if (w.ndim !== 1 || w.numel() !== c) throw new Error(`${fn}: option 'weight': inconsistent weight size, expected ${c} but got ${shapeStr(w.shape)}`);
      if (w.requiresGrad) throw new Error(`${fn}: option 'weight' does not support requiresGrad (as in PyTorch, no gradient flows to class weights)`);
    }
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const y = Number(t.data[i]);
      // PyTorch: RuntimeError "target out of range"
      if (!(y >= 0 && y < c)) throw new RangeError(`${fn}: argument 'target': target out of range (got ${y}, classes: ${c})`);
      ys[i] = y;
    }
    // p0 = p, p1 = margin; 'mean' divides by N (each row counts 1).
    return rowLoss({
      fn, stem: 'multi_margin_loss', gradName: 'MultiMarginLossBackward', input: x, layout: lastDimLayout(n, c, t.ndim > 0 ? [n] : []),
      y: ys, weight: w, params: [o.p, o.margin], reduction: o.reduction,
    });
  },
});

/** The options of {@link multiMarginLoss}. */
export type MultiMarginLossOptions = LossOptions<typeof multiMarginLoss>;
