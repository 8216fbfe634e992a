// Issue 8, finding 3: integers never wrap. Conversions to int32/int64 check integrality and
// range; integer options reaching wasm as i32 (ignoreIndex) are range-checked; int64 class
// labels are compared exactly, as bigints.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';

beforeAll(() => init());

const i32 = (a: number[]) => tensor(a, undefined, { dtype: 'int32' });
const logits = () => tensor([[3, 1, 0], [0, 2, 1]], undefined, { dtype: 'float64' });

describe('integers do not wrap (finding 3)', () => {
  it('ignoreIndex beyond int32 is an error, not a wrapped class (the issue\'s 2**32 and 2**32 + 1)', () => {
    expect(() => F.crossEntropy(logits(), i32([0, 1]), { ignoreIndex: 2 ** 32 })).toThrow(
      /^crossEntropy: option 'ignoreIndex' must fit in 32 bits \(-2147483648 to 2147483647\), got 4294967296/,
    );
    expect(() => F.nllLoss(logits(), i32([0, 1]), { ignoreIndex: 2 ** 32 + 1 })).toThrow(/^nllLoss: option 'ignoreIndex' must fit in 32 bits/);
    expect(() => new nn.CrossEntropyLoss({ ignoreIndex: -(2 ** 31) - 1 })).toThrow(/^CrossEntropyLoss: option 'ignoreIndex'/);
    expect(() => F.softmaxFocalLoss(logits(), i32([0, 1]), { ignoreIndex: 1.5 })).toThrow(/^softmaxFocalLoss: option 'ignoreIndex' must be an integer, got number 1.5/);
    // PyTorch: F.nll_loss(x, [0, 1]) with nothing ignored = −(3 + 2)/2 = −2.5.
    expect(F.nllLoss(logits(), i32([0, 1])).item()).toBe(-2.5);
  });

  it('an int64 target past int32 is out of bounds, compared exactly (not read as class 1)', () => {
    const y = tensor(new BigInt64Array([2n ** 32n + 1n, 1n]));
    expect(() => F.crossEntropy(logits(), y)).toThrow(/^crossEntropy: argument 'target': Target 4294967297 is out of bounds/);
    expect(() => F.nllLoss(logits(), tensor(new BigInt64Array([2n ** 53n + 1n, 0n])))).toThrow(/^nllLoss: argument 'target': Target 9007199254740993 is out of bounds/);
    // −100 − 2^32 must not match ignoreIndex −100 after a 32-bit wrap.
    expect(() => F.crossEntropy(logits(), tensor(new BigInt64Array([-100n - 2n ** 32n, 0n])))).toThrow(/Target -4294967396 is out of bounds/);
    // In-range int64 labels still work: ignoring row 0 leaves −log softmax([0, 2, 1])_1.
    const l = F.crossEntropy(logits(), tensor(new BigInt64Array([-100n, 1n]))).item();
    expect(l).toBeCloseTo(Math.log(1 + Math.exp(2) + Math.exp(1)) - 2, 12);
  });

  it('tensor() refuses values outside the int32 range and non-integers (2**32 is not 0)', () => {
    expect(() => tensor([2 ** 32], undefined, { dtype: 'int32' })).toThrow(/^tensor: int32 data must be in the int32 range .* got number 4294967296 at index 0/);
    expect(() => tensor([1, -(2 ** 31) - 1], undefined, { dtype: 'int32' })).toThrow(/at index 1/);
    expect(() => tensor([0.5], undefined, { dtype: 'int32' })).toThrow(/^tensor: int32 data must be integers, got number 0.5/);
    expect(() => tensor([Number.NaN], undefined, { dtype: 'int32' })).toThrow(/^tensor: int32 data must be integers, got NaN/);
    expect(() => tensor(new Float64Array([Infinity]), undefined, { dtype: 'int64' })).toThrow(/^tensor: int64 data must be integers/);
    expect(() => tensor(new BigInt64Array([2n ** 40n]), undefined, { dtype: 'int32' })).toThrow(/^tensor: int32 data must be in the int32 range, got bigint 1099511627776n/);
    expect(() => tensor([2 ** 63], undefined, { dtype: 'int64' })).toThrow(/^tensor: int64 data must be in the int64 range/);
    expect(Array.from(tensor([2 ** 31 - 1, -(2 ** 31)], undefined, { dtype: 'int32' }).data as Int32Array)).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(Array.from(tensor([2 ** 53], undefined, { dtype: 'int64' }).data as BigInt64Array)).toEqual([2n ** 53n]);
  });
});

describe('masks as they come (finding 9)', () => {
  // Segmentation: logits (N=1, C=3, H=1, W=4) and a mask of class indices per pixel.
  const seg = () => tensor([[[[2, 0, 1, 0]], [[0, 3, 0, 1]], [[1, 0, 2, 4]]]], undefined, { dtype: 'float64' });
  const want = () => F.crossEntropy(seg(), tensor([[[0, 1, 2, 2]]], undefined, { dtype: 'int64' })).item();

  it.each([
    ['Uint8Array', new Uint8Array([0, 1, 2, 2])],
    ['Uint8ClampedArray', new Uint8ClampedArray([0, 1, 2, 2])],
    ['Int8Array', new Int8Array([0, 1, 2, 2])],
    ['Int16Array', new Int16Array([0, 1, 2, 2])],
    ['Uint16Array', new Uint16Array([0, 1, 2, 2])],
    ['Uint32Array', new Uint32Array([0, 1, 2, 2])],
  ] as const)('%s: widened to int32 once, a class-index target', (_, mask) => {
    const t = tensor(mask, [1, 1, 4]);
    expect(t.dtype).toBe('int32');
    expect(t.data).toBeInstanceOf(Int32Array);
    expect(Array.from(t.data as Int32Array)).toEqual([0, 1, 2, 2]);
    expect(F.crossEntropy(seg(), t).item()).toBe(want());
  });

  it('an Int8 mask with −100 pixels is ignored as PyTorch\'s ignore_index', () => {
    const t = tensor(new Int8Array([0, -100, 2, -100]), [1, 1, 4]);
    const both = F.crossEntropy(seg(), tensor([[[0, -100, 2, -100]]], undefined, { dtype: 'int64' })).item();
    expect(F.crossEntropy(seg(), t).item()).toBe(both);
  });

  it('Uint32 values past int32 are an error suggesting int64; with dtype int64 they convert', () => {
    expect(() => tensor(new Uint32Array([1, 2 ** 31]))).toThrow(/^tensor: argument 'data': Uint32Array value 2147483648 at index 1 does not fit int32; pass \{ dtype: 'int64' \}/);
    const t = tensor(new Uint32Array([1, 2 ** 32 - 1]), undefined, { dtype: 'int64' });
    expect(Array.from(t.data as BigInt64Array)).toEqual([1n, 2n ** 32n - 1n]);
    expect(tensor(new Uint8Array([1, 255]), undefined, { dtype: 'float32' }).data).toEqual(new Float32Array([1, 255]));
  });
});
