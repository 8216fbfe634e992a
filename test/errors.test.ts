// Bad input: an Error naming the function and the argument, thrown before any kernel runs;
// never a wasm trap; the next call works as if nothing happened.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor, type Tensor } from '../ts/index.js';

beforeAll(() => init());

const x = () => tensor([0.5, 1.5, -2, 3], undefined, { requiresGrad: true });
const t = () => tensor([1, 1, 1, 1]);
type Loss2 = (a: Tensor, b: Tensor, o?: object) => Tensor;
const pairLosses: [string, Loss2][] = [
  ['l1Loss', F.l1Loss], ['mseLoss', F.mseLoss], ['smoothL1Loss', F.smoothL1Loss], ['huberLoss', F.huberLoss],
  ['poissonNllLoss', F.poissonNllLoss], ['meanAbsolutePercentageError', F.meanAbsolutePercentageError],
  ['meanSquaredLogarithmicError', F.meanSquaredLogarithmicError], ['logCosh', F.logCosh],
];

describe.each(pairLosses)('%s rejects bad input', (name, fn) => {
  it('non-tensor arguments', () => {
    expect(() => fn([1, 2] as never, t())).toThrow(new RegExp(`^${name}: argument 'input' must be a Tensor, got an array`));
    expect(() => fn(x(), 3 as never)).toThrow(new RegExp(`^${name}: argument 'target' must be a Tensor, got number`));
  });
  it('shape mismatch', () => {
    expect(() => fn(x(), tensor([1, 2, 3]))).toThrow(new RegExp(`^${name}: argument 'target' has shape \\[3\\] but 'input' has shape \\[4\\]`));
    expect(() => fn(x(), tensor([1, 2, 3, 4], [2, 2]))).toThrow(/has shape \[2, 2\]/);
  });
  it('dtype mismatch and integer tensors', () => {
    expect(() => fn(x(), tensor([1, 1, 1, 1], undefined, { dtype: 'float64' }))).toThrow(
      new RegExp(`^${name}: expected argument 'target' to have dtype float32 like 'input', got float64`),
    );
    expect(() => fn(tensor([1, 2, 3, 4], undefined, { dtype: 'int32' }), t())).toThrow(
      new RegExp(`^${name}: argument 'input' must be a floating point tensor .* got int32`),
    );
  });
  it('bad reduction, unknown options and non-object options', () => {
    expect(() => fn(x(), t(), { reduction: 'avg' })).toThrow(new RegExp(`^${name}: "avg" is not a valid value for reduction`));
    expect(() => fn(x(), t(), { reductio: 'sum' })).toThrow(new RegExp(`^${name}: unknown option 'reductio'`));
    expect(() => fn(x(), t(), 'sum' as never)).toThrow(new RegExp(`^${name}: argument 'options' must be an object`));
  });
  it('the module is still usable after each error', () => {
    expect(() => fn(x(), tensor([1]))).toThrow();
    const r = fn(tensor([1, 2]), tensor([1, 2]), { reduction: 'sum' });
    expect(Number.isFinite(r.item())).toBe(true);
  });
});

describe('option domains (PyTorch wording)', () => {
  it('smoothL1Loss: negative beta', () => {
    expect(() => F.smoothL1Loss(x(), t(), { beta: -1 })).toThrow(/^smoothL1Loss: option 'beta' does not support negative values, got -1/);
    expect(() => new nn.SmoothL1Loss({ beta: -0.5 })).toThrow(/^SmoothL1Loss: option 'beta'/);
  });
  it('huberLoss: non-positive delta', () => {
    expect(() => F.huberLoss(x(), t(), { delta: 0 })).toThrow(/^huberLoss: option 'delta' does not support non-positive values, got 0/);
    expect(() => new nn.HuberLoss({ delta: -1 })).toThrow(/^HuberLoss: option 'delta'/);
  });
  it('type errors in options', () => {
    expect(() => F.poissonNllLoss(x(), t(), { logInput: 'yes' as never })).toThrow(/^poissonNllLoss: option 'logInput' must be a boolean/);
    expect(() => F.huberLoss(x(), t(), { delta: '1' as never })).toThrow(/^huberLoss: option 'delta' must be a number/);
    expect(() => F.huberLoss(x(), t(), { delta: Number.NaN })).toThrow(/^huberLoss: option 'delta' must be a number/);
  });
  it('nn classes validate in the constructor', () => {
    expect(() => new nn.MSELoss({ reduction: 'mean ' as never })).toThrow(/^MSELoss: "mean " is not a valid value for reduction/);
    expect(() => new nn.GaussianNLLLoss({ eps: 'x' as never })).toThrow(/^GaussianNLLLoss: option 'eps'/);
  });
});

describe('gaussianNllLoss var', () => {
  const v = (d: number[], s?: number[]) => tensor(d, s);
  it('var of incorrect size', () => {
    expect(() => F.gaussianNllLoss(tensor([1, 2, 3, 4], [2, 2]), tensor([1, 2, 3, 4], [2, 2]), v([1, 1, 1], [3]))).toThrow(
      /^gaussianNllLoss: argument 'var' is of incorrect size \[3\]/,
    );
  });
  it('negative var', () => {
    expect(() => F.gaussianNllLoss(x(), t(), v([1, -1, 1, 1]))).toThrow(/^gaussianNllLoss: argument 'var' has negative entry\/entries/);
  });
  it('var dtype', () => {
    expect(() => F.gaussianNllLoss(x(), t(), tensor([1, 1, 1, 1], undefined, { dtype: 'float64' }))).toThrow(
      /^gaussianNllLoss: expected argument 'var' to have dtype float32/,
    );
  });
});

describe('tensor() and backward()', () => {
  it('requiresGrad on an int tensor', () => {
    expect(() => tensor([1, 2], undefined, { dtype: 'int32', requiresGrad: true })).toThrow(
      /^tensor: only tensors of floating point dtype can require gradients, got int32/,
    );
    expect(() => tensor(new BigInt64Array(2), undefined, { requiresGrad: true })).toThrow(/got int64/);
  });
  it('bad shapes and data', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/^tensor: shape '\[2, 2\]' is invalid for input of size 3/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/^tensor: argument 'data' is ragged/);
    expect(() => tensor([1.5], undefined, { dtype: 'int64' })).toThrow(/^tensor: int64 data must be integers/);
    expect(() => tensor('abc' as never)).toThrow(/^tensor: argument 'data'/);
    expect(() => tensor([1], undefined, { dtype: 'float16' as never })).toThrow(/^tensor: option 'dtype'/);
  });
  it('backward twice without retainGraph', () => {
    const a = x();
    const loss = F.mseLoss(a, t());
    loss.backward();
    expect(() => loss.backward()).toThrow(/^backward: trying to backward through the graph of MseLossBackward a second time/);
  });
  it('backward twice with retainGraph accumulates, as PyTorch', () => {
    const a = x();
    const loss = F.l1Loss(a, t(), { reduction: 'sum' });
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    // d/dx Σ|x − 1| = sign(x − 1), twice: x = [0.5, 1.5, −2, 3] → 2·[−1, 1, −1, 1].
    expect(Array.from(a.grad!.data as Float32Array)).toEqual([-2, 2, -2, 2]);
  });
  it('backward of a non-scalar result needs a gradient of its shape', () => {
    const loss = F.mseLoss(x(), t(), { reduction: 'none' });
    expect(() => loss.backward()).toThrow(/^backward: grad can be implicitly created only for scalar outputs/);
    expect(() => loss.backward(tensor([1, 1]))).toThrow(/^backward: Mismatch in shape: argument 'gradient' has a shape of \[2\]/);
    expect(() => loss.backward(tensor([1, 1, 1, 1], undefined, { dtype: 'float64' }))).toThrow(/^backward: argument 'gradient' has dtype float64/);
  });
  it('backward of a result that does not require grad', () => {
    const loss = F.mseLoss(tensor([1, 2]), tensor([1, 2]));
    expect(loss.requiresGrad).toBe(false);
    expect(() => loss.backward()).toThrow(/^backward: element 0 of tensors does not require grad/);
  });
  it('item() of a multi-element tensor', () => {
    expect(() => tensor([1, 2]).item()).toThrow(/^item: a Tensor with 2 elements cannot be converted to a number/);
  });
});
