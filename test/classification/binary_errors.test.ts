// Bad input to the elementwise classification losses (BCE family, soft margin, hinge family,
// KL, multilabel soft margin, sigmoid focal): an Error naming the function and the argument,
// with PyTorch's wording where it has one, and the next call works as if nothing happened.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor, type Tensor } from '../../ts/index.js';

beforeAll(() => init());

type Loss2 = (a: Tensor, b: Tensor, o?: object) => Tensor;
// Inputs valid for every loss below: probabilities for BCE, log-probabilities work for KL too.
const x = () => tensor([0.25, 0.5, 0.75, 0.125], [2, 2], { requiresGrad: true });
const t = () => tensor([1, 0, 1, 0], [2, 2]);
const losses: [string, Loss2][] = [
  ['binaryCrossEntropy', F.binaryCrossEntropy], ['binaryCrossEntropyWithLogits', F.binaryCrossEntropyWithLogits],
  ['softMarginLoss', F.softMarginLoss], ['hinge', F.hinge], ['squaredHinge', F.squaredHinge], ['klDiv', F.klDiv],
  ['multilabelSoftMarginLoss', F.multilabelSoftMarginLoss], ['sigmoidFocalLoss', F.sigmoidFocalLoss],
];

describe.each(losses)('%s rejects bad input', (name, fn) => {
  it('non-tensor arguments', () => {
    expect(() => fn([0.5, 0.5] as never, t())).toThrow(new RegExp(`^${name}: argument 'input' must be a Tensor, got an array`));
    expect(() => fn(x(), 3 as never)).toThrow(new RegExp(`^${name}: argument 'target' must be a Tensor, got number`));
    expect(() => fn(x(), null as never)).toThrow(new RegExp(`^${name}: argument 'target' must be a Tensor, got null`));
  });
  it('dtype mismatch and integer tensors', () => {
    expect(() => fn(x(), tensor([1, 0, 1, 0], [2, 2], { dtype: 'float64' }))).toThrow(
      new RegExp(`^${name}: expected argument 'target' to have dtype float32 like 'input', got float64`),
    );
    expect(() => fn(tensor([0, 1, 0, 1], [2, 2], { dtype: 'int32' }), t())).toThrow(
      new RegExp(`^${name}: argument 'input' must be a floating point tensor .* got int32`),
    );
  });
  it('shape mismatch', () => {
    expect(() => fn(x(), tensor([1, 0]))).toThrow(new RegExp(`^${name}: .*\\[2\\].*\\[2, 2\\]|^${name}: .*\\[2, 2\\].*\\[2\\]`));
  });
  it('bad reduction, unknown options and non-object options', () => {
    expect(() => fn(x(), t(), { reduction: 'avg' })).toThrow(new RegExp(`^${name}: "avg" is not a valid value for reduction`));
    expect(() => fn(x(), t(), { reductio: 'sum' })).toThrow(new RegExp(`^${name}: unknown option 'reductio'`));
    expect(() => fn(x(), t(), 'sum' as never)).toThrow(new RegExp(`^${name}: argument 'options' must be an object`));
    expect(() => fn(x(), t(), tensor([1]) as never)).toThrow(new RegExp(`^${name}: argument 'options' must be an object, got Tensor`));
  });
  it('the module is still usable after each error', () => {
    expect(() => fn(x(), tensor([1]))).toThrow();
    expect(() => fn(x(), t(), { reduction: 'bad' })).toThrow();
    const r = fn(tensor([0.25, 0.5]), tensor([1, 0]), { reduction: 'sum' });
    expect(Number.isFinite(r.item())).toBe(true);
  });
});

describe('shape mismatch wording (PyTorch)', () => {
  it('binaryCrossEntropy', () => {
    expect(() => F.binaryCrossEntropy(x(), tensor([1, 0]))).toThrow(
      /^binaryCrossEntropy: Using a target size \(\[2\]\) that is different to the input size \(\[2, 2\]\) is deprecated\. Please ensure they have the same size\.$/,
    );
  });
  it('binaryCrossEntropyWithLogits', () => {
    expect(() => F.binaryCrossEntropyWithLogits(x(), tensor([1, 0, 1, 0]))).toThrow(
      /^binaryCrossEntropyWithLogits: Target size \(\[4\]\) must be the same as input size \(\[2, 2\]\)$/,
    );
  });
  it('the other losses use the library-wide message (PyTorch would broadcast with a warning)', () => {
    expect(() => F.klDiv(x(), tensor([1, 0]))).toThrow(/^klDiv: argument 'target' has shape \[2\] but 'input' has shape \[2, 2\]; they must be the same size/);
  });
  it('multilabelSoftMarginLoss needs a class dimension', () => {
    expect(() => F.multilabelSoftMarginLoss(tensor(0.5, []), tensor(1, []))).toThrow(
      /^multilabelSoftMarginLoss: argument 'input' must have a class dimension \(at least 1-D\), got a 0-d tensor/,
    );
  });
});

describe('binaryCrossEntropy input range', () => {
  const bad: [string, number][] = [['above 1', 1.5], ['negative', -0.1], ['NaN', Number.NaN], ['+inf', Infinity], ['-inf', -Infinity]];
  for (const reduction of ['none', 'mean', 'sum'] as const) {
    it.each(bad)(`%s (reduction '${reduction}')`, (_, v) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const input = tensor([0.5, v, 0.25], undefined, { dtype });
        expect(() => F.binaryCrossEntropy(input, tensor([1, 0, 1], undefined, { dtype }), { reduction })).toThrow(
          /^binaryCrossEntropy: all elements of input should be between 0 and 1 \(input\[1\] = /,
        );
      }
    });
  }
  it('the error is a RangeError and the next call works', () => {
    expect(() => F.binaryCrossEntropy(tensor([2]), tensor([1]))).toThrow(RangeError);
    expect(F.binaryCrossEntropy(tensor([0.5]), tensor([1])).item()).toBeCloseTo(Math.LN2, 6);
  });
  it('accepts the closed interval (and −0), and NaN or out-of-range targets (not checked, as PyTorch 1.13)', () => {
    expect(F.binaryCrossEntropy(tensor([0, 1, -0]), tensor([1, 0, 1]), { reduction: 'sum' }).item()).toBe(300);
    expect(Number.isNaN(F.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([Number.NaN, 1])).item())).toBe(true);
    // t = 1.5 at x = 0.25: (t − 1)·log(0.75) − t·log(0.25), as PyTorch computes it.
    expect(F.binaryCrossEntropy(tensor([0.25]), tensor([1.5])).item()).toBeCloseTo(0.5 * Math.log(0.75) - 1.5 * Math.log(0.25), 6);
  });
  it('a NaN weight gives NaN, not a range error', () => {
    expect(Number.isNaN(F.binaryCrossEntropy(tensor([0.5]), tensor([1]), { weight: tensor([Number.NaN]) }).item())).toBe(true);
  });
});

describe('weight and posWeight options', () => {
  const withWeight: [string, Loss2][] = [
    ['binaryCrossEntropy', F.binaryCrossEntropy], ['binaryCrossEntropyWithLogits', F.binaryCrossEntropyWithLogits],
    ['multilabelSoftMarginLoss', F.multilabelSoftMarginLoss],
  ];
  it.each(withWeight)('%s: weight must be a float tensor of the input dtype, broadcastable, without requiresGrad', (name, fn) => {
    expect(() => fn(x(), t(), { weight: [1, 2] })).toThrow(new RegExp(`^${name}: argument 'weight' must be a Tensor, got an array`));
    expect(() => fn(x(), t(), { weight: tensor([1, 2], undefined, { dtype: 'float64' }) })).toThrow(
      new RegExp(`^${name}: expected argument 'weight' to have dtype float32 like 'input', got float64`),
    );
    expect(() => fn(x(), t(), { weight: tensor([1, 2], undefined, { dtype: 'int32' }) })).toThrow(
      new RegExp(`^${name}: argument 'weight' must be a floating point tensor`),
    );
    expect(() => fn(x(), t(), { weight: tensor([1, 2, 3]) })).toThrow(
      new RegExp(`^${name}: argument 'weight' of shape \\[3\\] cannot be broadcast to \\[2, 2\\]`),
    );
    expect(() => fn(x(), t(), { weight: tensor([1, 2], undefined, { requiresGrad: true }) })).toThrow(
      new RegExp(`^${name}: .*'weight'.*requiresGrad`),
    );
    expect(fn(x(), t(), { weight: null }).item()).toBeCloseTo(fn(x(), t()).item(), 7);
  });
  it('binaryCrossEntropyWithLogits: posWeight is checked the same way', () => {
    const fn = F.binaryCrossEntropyWithLogits;
    expect(() => fn(x(), t(), { posWeight: 2 as never })).toThrow(/^binaryCrossEntropyWithLogits: argument 'posWeight' must be a Tensor, got number/);
    expect(() => fn(x(), t(), { posWeight: tensor([1, 2], undefined, { dtype: 'float64' }) })).toThrow(
      /^binaryCrossEntropyWithLogits: expected argument 'posWeight' to have dtype float32/,
    );
    expect(() => fn(x(), t(), { posWeight: tensor([1, 2, 3]) })).toThrow(
      /^binaryCrossEntropyWithLogits: argument 'posWeight' of shape \[3\] cannot be broadcast to \[2, 2\]/,
    );
    expect(() => fn(tensor([1, 2, 3]), tensor([1, 0, 1]), { posWeight: tensor([1, 2, 3, 4, 5, 6], [2, 3]) })).toThrow(
      /^binaryCrossEntropyWithLogits: argument 'posWeight' of shape \[2, 3\] cannot be broadcast to \[3\]/,
    );
    expect(() => fn(x(), t(), { posWeight: tensor([1, 2], undefined, { requiresGrad: true }) })).toThrow(
      /^binaryCrossEntropyWithLogits: the function is not differentiable with respect to option 'posWeight'/,
    );
  });
});

describe('gradients PyTorch refuses', () => {
  it('softMarginLoss: target requiring grad', () => {
    expect(() => F.softMarginLoss(x(), tensor([1, -1, 1, -1], [2, 2], { requiresGrad: true }))).toThrow(
      /^softMarginLoss: the function is not differentiable with respect to argument 'target'/,
    );
  });
});

describe('option domains', () => {
  it('klDiv: batchmean is a reduction here only; logTarget is a boolean', () => {
    expect(F.klDiv(x(), t(), { reduction: 'batchmean' }).item()).toBeCloseTo(F.klDiv(x(), t(), { reduction: 'sum' }).item() / 2, 6);
    expect(() => F.hinge(x(), t(), { reduction: 'batchmean' as never })).toThrow(/^hinge: "batchmean" is not a valid value for reduction/);
    expect(() => F.klDiv(x(), t(), { reduction: 'elementwise_mean' as never })).toThrow(
      /^klDiv: "elementwise_mean" is not a valid value for reduction \(expected 'none', 'mean', 'sum', 'batchmean'\)/,
    );
    expect(() => F.klDiv(x(), t(), { logTarget: 1 as never })).toThrow(/^klDiv: option 'logTarget' must be a boolean, got number/);
  });
  it('sigmoidFocalLoss: alpha and gamma', () => {
    const fn = F.sigmoidFocalLoss;
    expect(() => fn(x(), t(), { alpha: '0.25' as never })).toThrow(/^sigmoidFocalLoss: option 'alpha' must be a number, got string/);
    expect(() => fn(x(), t(), { alpha: Number.NaN })).toThrow(/^sigmoidFocalLoss: option 'alpha' must be a number/);
    expect(() => fn(x(), t(), { alpha: Infinity })).toThrow(/^sigmoidFocalLoss: option 'alpha' must be finite, got Infinity/);
    expect(() => fn(x(), t(), { gamma: -1 })).toThrow(/^sigmoidFocalLoss: option 'gamma' must be a finite number >= 0, got -1/);
    expect(() => fn(x(), t(), { gamma: Infinity })).toThrow(/^sigmoidFocalLoss: option 'gamma' must be a finite number >= 0/);
    expect(() => fn(x(), t(), { gamma: null as never })).toThrow(/^sigmoidFocalLoss: option 'gamma' must be a number, got null/);
    expect(() => fn(x(), t(), { reduction: 'batchmean' as never })).toThrow(/^sigmoidFocalLoss: "batchmean" is not a valid value/);
    // Negative alpha is valid (it disables the weighting), as in torchvision.
    expect(Number.isFinite(fn(x(), t(), { alpha: -1, reduction: 'sum' }).item())).toBe(true);
  });
  it('nn classes validate in the constructor, naming the class', () => {
    expect(() => new nn.BCELoss({ reduction: 'avg' as never })).toThrow(/^BCELoss: "avg" is not a valid value for reduction/);
    expect(() => new nn.BCELoss({ weight: [1] as never })).toThrow(/^BCELoss: argument 'weight' must be a Tensor/);
    expect(() => new nn.BCEWithLogitsLoss({ posWeight: 'x' as never })).toThrow(/^BCEWithLogitsLoss: argument 'posWeight' must be a Tensor/);
    expect(() => new nn.SoftMarginLoss({ margin: 1 } as never)).toThrow(/^SoftMarginLoss: unknown option 'margin'/);
    expect(() => new nn.MultiLabelSoftMarginLoss({ weight: 1 as never })).toThrow(/^MultiLabelSoftMarginLoss: argument 'weight' must be a Tensor/);
    expect(() => new nn.KLDivLoss({ logTarget: 'no' as never })).toThrow(/^KLDivLoss: option 'logTarget' must be a boolean/);
    expect(() => new nn.Hinge({ reduction: 'max' as never })).toThrow(/^Hinge: "max" is not a valid value for reduction/);
    expect(() => new nn.SquaredHinge('sum' as never)).toThrow(/^SquaredHinge: argument 'options' must be an object/);
    expect(() => new nn.SigmoidFocalLoss({ gamma: -2 })).toThrow(/^SigmoidFocalLoss: option 'gamma' must be a finite number >= 0, got -2/);
  });
});
