import { defineLoss, opt, type LossOptions } from '../table.js';
import { elementwise } from '../elementwise.js';
import { checkNoGrad, checkShapeOf, floatOperands } from '../ranking.js';

/**
 * The hinge embedding loss, as `torch.nn.functional.hinge_embedding_loss`
 * (`nn.HingeEmbeddingLoss`), for distances `x` of pairs labelled similar (`y = 1`) or
 * dissimilar (`y = −1`): `l = x` where `y = 1`, `max(0, margin − x)` where `y = −1`.
 *
 * Exactly as ATen computes it, `l = [y ≠ 1]·max(0, margin − x) + [y ≠ −1]·x`: a target other
 * than ±1 gets **both** terms (PyTorch's undocumented behaviour, kept).
 *
 * `input`, `target`: one shape and float dtype. 'mean' over the elements; 'none' keeps the
 * shape. Gradient to the input: `[y ≠ −1] − [y ≠ 1]·[margin − x ≥ 0]`; the target gets none
 * (an Error if it requires grad).
 *
 * @example
 * F.hingeEmbeddingLoss(tensor([0.3, 0.3]), tensor([1, -1])); // (0.3 + 0.7) / 2 = 0.5
 */
export const hingeEmbeddingLoss = defineLoss({
  name: 'hingeEmbeddingLoss',
  stem: 'hinge_embedding_loss',
  nn: 'HingeEmbeddingLoss',
  family: 'ranking',
  reference: "torch.nn.functional.hinge_embedding_loss",
  args: ['input', 'target'],
  options: {
    margin: opt.number(1, Number.isFinite, 'must be finite', [Infinity, -Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the number of elements",
  notes: "target ±1 (1: similar, −1: dissimilar); input is a distance",
  run(fn, [input, target], o) {
    const [x, y] = floatOperands(fn, [['input', input], ['target', target]]);
    checkShapeOf(fn, ['input', x], ['target', y]);
    checkNoGrad(fn, 'target', y);
    return elementwise({ fn, stem: 'hinge_embedding_loss', params: [o.margin, 0, 0], input: x, target: y, reduction: o.reduction });
  },
});

/** The options of {@link hingeEmbeddingLoss}. */
export type HingeEmbeddingLossOptions = LossOptions<typeof hingeEmbeddingLoss>;
