import { defineLoss, opt, type LossOptions } from '../table.js';
import { lastDimLayout, rowLoss } from '../rowloss.js';
import { checkFloatTensor, checkSameDType, checkSameShape, shapeStr } from '../validate.js';

/**
 * Keras' `categorical_hinge` with PyTorch's conventions (argument order input, target;
 * `reduction`).
 *
 * `input`: scores of shape `(…, C)` (the class dimension is the **last**, as Keras);
 * `target`: one-hot (or ±1, or any float) rows of the same shape and dtype.
 *
 * Per sample: `l = max(max_j (1 − t_j)·x_j − Σ_j t_j·x_j + 1, 0)` — the best wrong score
 * against the true score with a margin of 1. 'none' gives the input's shape without its last
 * dimension (0-d for a 1-D input); 'mean' (default) averages those (NaN when there are none);
 * 'sum'. Note the true class contributes `(1 − 1)·x_y = 0` to the inner max, which is thus
 * never below 0.
 *
 * Gradient, where the outer max passes (`≥ 0`, as `clamp(min=0)`): `∂x_j = (1 − t_j)/k` for the
 * k tied maxima of `(1 − t_j)·x_j` (shared equally, as `torch.amax` and TF's `reduce_max`),
 * minus `t_j`; also to the target when it requires grad: `∂t_j = −x_j/k` at the maxima, minus
 * `x_j`.
 *
 * Numerics: products and sums in f64 (ties decided on exact products).
 *
 * @example
 * const x = tensor([[3, 1, 0.5], [0.3, 0.9, 0.1]], undefined, { requiresGrad: true });
 * const loss = F.categoricalHinge(x, tensor([[1, 0, 0], [1, 0, 0]])); // (0 + 1.6) / 2
 * loss.backward(); // x.grad = [[0, 0, 0], [-0.5, 0.5, 0]]
 */
export const categoricalHinge = defineLoss({
  name: 'categoricalHinge',
  stem: 'categorical_hinge',
  nn: 'CategoricalHinge',
  family: 'classification',
  reference: 'Keras CategoricalHinge',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: 'per sample `max(max_j (1−t_j)·x_j − Σ t·x + 1, 0)`, one-hot targets',
  mean: 'the number of rows',
  run(fn, [input, target], o) {
    const x = checkFloatTensor(fn, 'input', input);
    const t = checkFloatTensor(fn, 'target', target);
    checkSameDType(fn, ['input', x], ['target', t]);
    checkSameShape(fn, ['input', x], ['target', t]);
    if (x.ndim === 0 || x.shape[x.ndim - 1] === 0) {
      throw new Error(`${fn}: argument 'input' must have a non-empty last (class) dimension, got shape ${shapeStr(x.shape)}`);
    }
    const c = x.shape[x.ndim - 1];
    const rows = x.numel() / c;
    // The target rows are the kernel's float operand; 'mean' divides by the number of rows.
    return rowLoss({
      fn, stem: 'categorical_hinge', gradName: 'CategoricalHingeBackward', input: x,
      layout: lastDimLayout(rows, c, x.shape.slice(0, -1)), target: t, reduction: o.reduction,
    });
  },
});

/** The options of {@link categoricalHinge}. */
export type CategoricalHingeOptions = LossOptions<typeof categoricalHinge>;
