// Bad input to ctcLoss / rnntLoss: an Error naming the function and the argument, with
// PyTorch's (torchaudio's) wording, thrown before any kernel runs; the next call works.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor, type Tensor } from '../../ts/index.js';

beforeAll(() => init());

const i64 = (v: number[], shape?: number[]): Tensor => tensor(v, shape, { dtype: 'int64' });
const i32 = (v: number[], shape?: number[]): Tensor => tensor(v, shape, { dtype: 'int32' });
const lp = (): Tensor => tensor(new Float32Array(5 * 2 * 4).fill(Math.log(0.25)), [5, 2, 4]);
const tg = (): Tensor => i64([1, 2, 2, 1, 3, 1], [2, 3]);

describe('ctcLoss rejects bad input (PyTorch 1.13 wording)', () => {
  const call = (o: Partial<{ x: unknown; t: unknown; il: unknown; tl: unknown; opts: object }> = {}) => () =>
    F.ctcLoss((o.x ?? lp()) as Tensor, (o.t ?? tg()) as Tensor, (o.il ?? [5, 4]) as number[], (o.tl ?? [3, 2]) as number[], o.opts);
  it('accepts the base call', () => {
    expect(Number.isFinite(call()().item())).toBe(true);
  });
  it('options', () => {
    expect(call({ opts: { blank: 4 } })).toThrow(/^ctcLoss: option 'blank': blank must be in label range \(got 4, classes: 4\)/);
    expect(call({ opts: { blank: -1 } })).toThrow(/blank must be in label range/);
    expect(call({ opts: { blank: 0.5 } })).toThrow(/^ctcLoss: option 'blank' must be an integer/);
    expect(call({ opts: { reduction: 'batchmean' } })).toThrow(/^ctcLoss: "batchmean" is not a valid value for reduction/);
    expect(call({ opts: { zeroInfinity: 1 } })).toThrow(/^ctcLoss: option 'zeroInfinity' must be a boolean/);
    expect(call({ opts: { zero_infinity: true } })).toThrow(/^ctcLoss: unknown option 'zero_infinity'/);
  });
  it('logProbs', () => {
    expect(call({ x: [[0]] })).toThrow(/^ctcLoss: argument 'logProbs' must be a Tensor/);
    expect(call({ x: tensor([1, 2], undefined, { dtype: 'int32' }) })).toThrow(/^ctcLoss: argument 'logProbs' must be a floating point tensor/);
    expect(call({ x: tensor(new Float32Array(40), [5, 2, 4, 1]) })).toThrow(
      /^ctcLoss: argument 'logProbs': Expected 3-dimensional tensor \(T, N, C\) or 2-dimensional \(T, C\), but got 4-dimensional tensor for argument #1 'log_probs'/,
    );
  });
  it('targets', () => {
    expect(call({ t: tensor([[1, 2, 2], [1, 3, 1]]) })).toThrow(/^ctcLoss: argument 'targets' must hold class indices \(labels\) \(int32 or int64\), got float32/);
    expect(call({ t: i64([1, 2, 2, 1, 3, 1], [2, 3, 1]) })).toThrow(/^ctcLoss: argument 'targets': Expected 1 to 2 dimensions, but got 3-dimensional tensor for argument #2 'targets'/);
    expect(call({ t: i64([1, 2, 2], [1, 3]) })).toThrow(/Expected tensor to have size 2 at dimension 0, but got size 1 for argument #2 'targets'/);
    expect(call({ t: i64([1, 2, 1, 3], [2, 2]) })).toThrow(/^ctcLoss: argument 'targets': Expected tensor to have size at least 3 at dimension 1, but got size 2 for argument #2 'targets' \(while checking arguments for ctc_loss_cpu\)/);
    expect(call({ t: i64([1, 2, 2, 1]) })).toThrow(/Expected tensor to have size 5 at dimension 0, but got size 4 for argument #2 'targets'/);
    expect(call({ t: i64([1, 0, 2, 1, 3, 1], [2, 3]) })).toThrow(/^ctcLoss: argument 'targets': target 0 \(sample 0, position 1\) is the blank/);
    expect(call({ t: i64([1, 4, 2, 1, 3, 1], [2, 3]) })).toThrow(/target 4 \(sample 0, position 1\) is out of range: targets must be class indices in \[0, 4\) other than the blank \(0\)/);
    expect(call({ t: i64([1, 2, 2, 1, 3, -1], [2, 3]) })).not.toThrow(); // padding past the length is not read
  });
  it('lengths', () => {
    expect(call({ il: [5, 4, 3] })).toThrow(/^ctcLoss: argument 'inputLengths': input_lengths must be of size batch_size/);
    expect(call({ tl: [3] })).toThrow(/^ctcLoss: argument 'targetLengths': target_lengths must be of size batch_size/);
    expect(call({ il: [6, 4] })).toThrow(/^ctcLoss: argument 'inputLengths': Expected input_lengths to have value at most 5, but got value 6 \(while checking arguments for ctc_loss_cpu\)/);
    expect(call({ il: [-1, 4] })).toThrow(/Expected input_lengths to have value at least 0, but got value -1/);
    expect(call({ tl: [3, -1] })).toThrow(/^ctcLoss: argument 'targetLengths': Expected target_lengths to have value at least 0, but got value -1/);
    expect(call({ il: tensor([5, 4]) })).toThrow(/^ctcLoss: argument 'inputLengths': input_lengths must be integral/);
    expect(call({ tl: [3, 1.5] })).toThrow(/^ctcLoss: argument 'targetLengths': target_lengths must be integral/);
    expect(call({ il: 'x' })).toThrow(/^ctcLoss: argument 'inputLengths' must be a Tensor, an array of integers or an integer/);
    expect(call({ il: i32([5, 4]), tl: i64([3, 2]) })).not.toThrow();
  });
  it('nn.CTCLoss names itself; the module keeps working after errors', () => {
    expect(() => new nn.CTCLoss({ blank: 9 }).forward(lp(), tg(), [5, 4], [3, 2])).toThrow(/^CTCLoss: option 'blank': blank must be in label range/);
    expect(() => new nn.CTCLoss({ reduction: 'avg' as never })).toThrow(/^CTCLoss: "avg" is not a valid value for reduction/);
    expect(new nn.CTCLoss({ reduction: 'sum' }).forward(lp(), tg(), [5, 4], [3, 2]).item()).toBeCloseTo(F.ctcLoss(lp(), tg(), [5, 4], [3, 2], { reduction: 'sum' }).item(), 5);
  });
});

describe('rnntLoss rejects bad input (torchaudio 0.13 wording)', () => {
  const logits = (): Tensor => tensor(new Float32Array(2 * 4 * 3 * 5), [2, 4, 3, 5]);
  const targets = (): Tensor => i32([1, 2, 3, 0], [2, 2]);
  const call = (o: Partial<{ x: unknown; t: unknown; ll: unknown; tl: unknown; opts: object }> = {}) => () =>
    F.rnntLoss((o.x ?? logits()) as Tensor, (o.t ?? targets()) as Tensor, (o.ll ?? [4, 3]) as number[], (o.tl ?? [2, 1]) as number[], o.opts);
  it('accepts the base call', () => {
    expect(call()().item()).toBeCloseTo(F.rnntLoss(logits(), targets(), i32([4, 3]), i32([2, 1])).item(), 6);
  });
  it('shapes and batch sizes', () => {
    expect(call({ x: tensor(new Float32Array(24), [2, 4, 3]) })).toThrow(/^rnntLoss: argument 'logits': logits must be 4-D \(batch, time, target, class\)/);
    expect(call({ t: i32([1, 2, 3, 4]) })).toThrow(/^rnntLoss: argument 'targets': targets must be 2-D \(batch, max target length\)/);
    expect(call({ ll: i32([4, 3], [2, 1]) })).toThrow(/^rnntLoss: argument 'logitLengths': logit_lengths must be 1-D/);
    expect(call({ tl: 2 })).toThrow(/^rnntLoss: argument 'targetLengths': target_lengths must be 1-D/);
    expect(call({ ll: [4, 3, 2] })).toThrow(/batch dimension mismatch between logits and logit_lengths/);
    expect(call({ tl: [2] })).toThrow(/batch dimension mismatch between logits and target_lengths/);
    expect(call({ t: i32([1, 2], [1, 2]) })).toThrow(/batch dimension mismatch between logits and targets/);
    expect(call({ ll: [3, 3] })).toThrow(/^rnntLoss: argument 'logits': input length mismatch/);
    expect(call({ tl: [1, 1] })).toThrow(/^rnntLoss: argument 'logits': output length mismatch/);
    expect(call({ t: i32([1, 2, 3, 1, 2, 3], [2, 3]) })).toThrow(/^rnntLoss: argument 'targets': target length mismatch/);
  });
  it('values', () => {
    expect(call({ opts: { blank: 5 } })).toThrow(/^rnntLoss: option 'blank': blank must be within \[0, logits.shape\[-1\]\)/);
    expect(call({ opts: { blank: -6 } })).toThrow(/blank must be within/);
    expect(call({ t: i32([1, 4, 3, 0], [2, 2]) })).toThrow(/^rnntLoss: argument 'targets': target 4 \(sample 0, position 1\) is the blank/);
    expect(call({ t: i32([1, 7, 3, 0], [2, 2]) })).toThrow(/target 7 \(sample 0, position 1\) is out of range/);
    expect(call({ ll: [4, 0] })).toThrow(/^rnntLoss: argument 'logitLengths': logit_lengths must be at least 1, but got value 0/);
    expect(call({ tl: [2, -1] })).toThrow(/^rnntLoss: argument 'targetLengths': target_lengths must be at least 0, but got value -1/);
    expect(call({ t: tensor([1, 2, 3, 0], [2, 2]) })).toThrow(/^rnntLoss: argument 'targets' must hold labels \(int32 or int64\), got float32/);
    expect(call({ opts: { clamp: 'x' } })).toThrow(/^rnntLoss: option 'clamp' must be a number/);
    expect(call({ opts: { fusedLogSoftmax: 0 } })).toThrow(/^rnntLoss: option 'fusedLogSoftmax' must be a boolean/);
    expect(call({ opts: { reduction: 'avg' } })).toThrow(/^rnntLoss: "avg" is not a valid value for reduction/);
    expect(() => new nn.RNNTLoss({ blank: 9 }).forward(logits(), targets(), [4, 3], [2, 1])).toThrow(/^RNNTLoss: option 'blank': blank must be within/);
    expect(Number.isFinite(new nn.RNNTLoss({ reduction: 'sum' }).forward(logits(), targets(), [4, 3], [2, 1]).item())).toBe(true);
  });
});
