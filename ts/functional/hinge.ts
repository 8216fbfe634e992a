import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise } from '../elementwise.js';
import { kerasLabelFlag } from '../validate.js';

/**
 * Hinge loss, as Keras `keras.losses.hinge`, with PyTorch's conventions (argument order
 * `(input, target)`, elementwise 'none', default 'mean' over all elements):
 * `l = max(1 − t·x, 0)`.
 *
 * Targets are `−1`/`1`; if **every** target is 0 or 1 they are first converted to −1/1
 * (`2t − 1`), as Keras does (a mix such as {−1, 0, 1} is used unconverted). `target` has the
 * input's shape and dtype. Keras reduces over the last axis then averages; with PyTorch's
 * reductions 'mean' is the same number (mean over all elements), 'sum' sums every element.
 *
 * Gradient `−t` where `1 − t·x ≥ 0` (the kink passes it, as `clamp(min = 0)`), 0 elsewhere;
 * the target gets `−x` there (`−2x` when converted).
 *
 * @example
 * F.hinge(scores, tensor([1, 0, 1, 1])); // {0, 1} labels: 0 acts as −1
 */
export const hinge = defineLoss({
  name: 'hinge',
  stem: 'hinge',
  nn: 'Hinge',
  family: 'classification',
  reference: 'Keras Hinge',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: 'elementwise; {0,1} targets become {−1,1} only when every target is 0 or 1 (as Keras)',
  mean: 'the number of elements',
  run(fn, [input, target], o) {
    const { reduction } = o;
    const [x, t] = checkPair(fn, input, target);
    return elementwise({ fn, stem: 'hinge', params: [kerasLabelFlag(t), 0, 0], input: x, target: t, reduction });
  },
});

/** The options of {@link hinge}. */
export type HingeOptions = LossOptions<typeof hinge>;
