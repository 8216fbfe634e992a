import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise } from '../elementwise.js';
import { kerasLabelFlag } from '../validate.js';

/**
 * Squared hinge loss, as Keras `keras.losses.squared_hinge`, with PyTorch's conventions
 * (`(input, target)`, elementwise 'none', default 'mean' over all elements):
 * `l = max(1 − t·x, 0)²`.
 *
 * Targets as {@link hinge}: converted {0, 1} → {−1, 1} only when every target is 0 or 1.
 * `target` has the input's shape and dtype.
 *
 * Gradient `−2·max(1 − t·x, 0)·t` (continuous at the kink); the target gets
 * `−2·max(1 − t·x, 0)·x` (twice that when converted).
 *
 * @example
 * new nn.SquaredHinge({ reduction: 'sum' }).forward(scores, labels);
 */
export const squaredHinge = defineLoss({
  name: 'squaredHinge',
  stem: 'squared_hinge',
  nn: 'SquaredHinge',
  family: 'classification',
  reference: 'Keras SquaredHinge',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: 'elementwise; {0,1} targets become {−1,1} only when every target is 0 or 1 (as Keras)',
  mean: 'the number of elements',
  run(fn, [input, target], o) {
    const { reduction } = o;
    const [x, t] = checkPair(fn, input, target);
    return elementwise({ fn, stem: 'squared_hinge', params: [kerasLabelFlag(t), 0, 0], input: x, target: t, reduction });
  },
});

/** The options of {@link squaredHinge}. */
export type SquaredHingeOptions = LossOptions<typeof squaredHinge>;
