import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwise } from '../elementwise.js';
import { checkShapeOf, floatOperands } from '../ranking.js';
import { shapeStr } from '../validate.js';

/**
 * The margin ranking loss, as `torch.nn.functional.margin_ranking_loss`
 * (`nn.MarginRankingLoss`): `l = max(0, −y·(x1 − x2) + margin)` elementwise — `y = 1` asks
 * for `x1` to rank above `x2` by at least the margin, `y = −1` the reverse (other target
 * values are used as they are, as PyTorch).
 *
 * `input1`, `input2`, `target`: one shape (any) and one float dtype. 'mean' divides by the
 * number of elements; 'none' keeps the shape.
 *
 * Gradients where `−y·(x1 − x2) + margin ≥ 0` (the kink passes, as `clamp_min`): `∂x1 = −y`,
 * `∂x2 = y`, and to the target when it requires grad, `∂y = −(x1 − x2)`.
 * Errors: PyTorch's "All input tensors should have same dimension but got sizes: …"; inputs
 * of different shapes (PyTorch broadcasts them) are an error.
 *
 * @example
 * F.marginRankingLoss(tensor([0.8, 0.1]), tensor([0.5, 0.4]), tensor([1, -1]), { margin: 0.2 });
 * // [max(0, −0.3 + 0.2), max(0, −0.3 + 0.2)] → mean 0
 */
export const marginRankingLoss = defineLoss({
  name: 'marginRankingLoss',
  stem: 'margin_ranking_loss',
  nn: 'MarginRankingLoss',
  family: 'ranking',
  reference: "torch.nn.functional.margin_ranking_loss",
  args: ['input1', 'input2', 'target'],
  options: {
    margin: opt.number(0, Number.isFinite, 'must be finite', [Infinity, -Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the number of elements",
  notes: "input1, input2, target of one shape; y = 1 ranks input1 above input2, y = −1 the reverse",
  run(fn, [input1, input2, target], o) {
    const [x1, x2, y] = floatOperands(fn, [['input1', input1], ['input2', input2], ['target', target]]);
    if (x1.ndim !== x2.ndim || x1.ndim !== y.ndim) {
      // PyTorch: "margin_ranking_loss : All input tensors should have same dimension but got sizes: …"
      throw new Error(
        `${fn}: All input tensors should have same dimension but got sizes: input1: ${shapeStr(x1.shape)}, ` +
          `input2: ${shapeStr(x2.shape)}, target: ${shapeStr(y.shape)}`,
      );
    }
    checkShapeOf(fn, ['input1', x1], ['input2', x2]);
    checkShapeOf(fn, ['input1', x1], ['target', y]);
    return elementwise({
      fn, stem: 'margin_ranking_loss', params: [o.margin, 0, 0], input: x1, target: x2,
      aux: { name: 'target', tensor: y }, reduction: o.reduction,
    });
  },
});

/** The options of {@link marginRankingLoss}. */
export type MarginRankingLossOptions = LossOptions<typeof marginRankingLoss>;
