import { checkPair, elementwise } from '../elementwise.js';
import { parseReduction, type Reduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, kerasLabelFlag } from '../validate.js';

export interface SquaredHingeOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

/** Validates SquaredHinge options once (used by `F.squaredHinge` and `nn.SquaredHinge`). */
export function squaredHingeOptions(options?: SquaredHingeOptions, fn = 'squaredHinge'): Required<SquaredHingeOptions> {
  const o = checkOptions(fn, options, ['reduction']);
  return { reduction: parseReduction(fn, o.reduction) };
}

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
export function squaredHinge(input: Tensor, target: Tensor, options?: SquaredHingeOptions): Tensor {
  const fn = 'squaredHinge';
  const { reduction } = squaredHingeOptions(options);
  const [x, t] = checkPair(fn, input, target);
  return elementwise({ fn, stem: 'squared_hinge', params: [kerasLabelFlag(t), 0, 0], input: x, target: t, reduction });
}
