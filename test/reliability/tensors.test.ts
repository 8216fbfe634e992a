// Issue 8, finding 2: a tensor's shape always matches its data. `new Tensor` and `tensor()`
// check the data's type against the dtype and its length against the shape's product; the
// shape is copied and frozen, the fields are read-only, `grad` only takes a tensor of the same
// shape and dtype; a detached buffer is an error; a scratch request that would wrap the 32-bit
// size of `lossfn_alloc` is refused before it reaches wasm.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, Tensor, tensor } from '../../ts/index.js';
import { MAX_SCRATCH_BYTES, scratch, wasm } from '../../ts/wasm/runtime.js';

beforeAll(() => init());

const i32 = (a: number[]) => tensor(a, undefined, { dtype: 'int32' });
/** Cross entropy of all-zero logits over C classes is ln C (softmax uniform). */
const LN_1E5 = Math.log(1e5);

describe('a shape that does not match the data (finding 2)', () => {
  it('the issue\'s sequence: the shape cannot be changed, and the module stays correct', () => {
    const wide = tensor(new Float32Array(1e5), [1, 1e5], { requiresGrad: true });
    expect(F.crossEntropy(wide, i32([0])).item()).toBeCloseTo(LN_1E5, 5);
    const t = tensor(new Float64Array(4), [1, 4]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(() => {
      (t.shape as number[])[1] = 2 ** 29;
    }).toThrow(TypeError);
    expect(t.shape).toEqual([1, 4]);
    // nll of zeros at class 3 is −x[3] = 0 (and −0 is 0).
    expect(F.nllLoss(t, i32([3])).item()).toBe(0);
    const loss = F.crossEntropy(wide, i32([0]));
    expect(loss.item()).toBeCloseTo(LN_1E5, 5);
    loss.backward();
    // ∂/∂x_0 = softmax_0 − 1 = 1e−5 − 1.
    expect(wide.grad!.data[0]).toBeCloseTo(1e-5 - 1, 6);
  });

  it('new Tensor checks the data length against the shape (too little and too much data)', () => {
    expect(() => new Tensor(new Float32Array(3), [2, 5], 'float32')).toThrow(/^Tensor: shape '\[2, 5\]' is invalid for input of size 3/);
    expect(() => new Tensor(new Float32Array(7), [2, 3], 'float32')).toThrow(/^Tensor: shape '\[2, 3\]' is invalid for input of size 7/);
    expect(() => tensor(new Float32Array(7), [2, 3])).toThrow(/^tensor: shape '\[2, 3\]' is invalid for input of size 7/);
  });

  it('new Tensor checks the data type against the dtype, and the shape and requiresGrad', () => {
    expect(() => new Tensor(new Float64Array(2) as never, [2], 'float32')).toThrow(/^Tensor: argument 'data' must be a Float32Array for dtype float32, got Float64Array/);
    expect(() => new Tensor([1, 2] as never, [2], 'float32')).toThrow(/^Tensor: argument 'data' must be a Float32Array for dtype float32, got an array/);
    expect(() => new Tensor(new Float32Array(2), [2], 'float16' as never)).toThrow(/^Tensor: argument 'dtype' must be one of/);
    expect(() => new Tensor(new Float32Array(2), [2.5] as never, 'float32')).toThrow(/^Tensor: argument 'shape' must be an array of non-negative integers, got number 2.5 at dim 0/);
    expect(() => new Tensor(new Float32Array(2), [-2] as never, 'float32')).toThrow(/^Tensor: argument 'shape'/);
    expect(() => new Tensor(new Float32Array(2), 2 as never, 'float32')).toThrow(/^Tensor: argument 'shape' must be an array/);
    expect(() => new Tensor(new Int32Array(2), [2], 'int32', true)).toThrow(/^Tensor: only tensors of floating point dtype can require gradients/);
  });

  it('the shape is copied, frozen, and the fields are read-only', () => {
    const shape = [2, 2];
    const t = new Tensor(new Float32Array(4), shape, 'float32');
    shape[0] = 4;
    expect(t.shape).toEqual([2, 2]);
    const u = tensor(new Float32Array(4), shape.slice(0, 1));
    expect(Object.isFrozen(u.shape)).toBe(true);
    const w = t as unknown as Record<string, unknown>;
    expect(() => { w.data = new Float32Array(8); }).toThrow(TypeError);
    expect(() => { w.shape = [8]; }).toThrow(TypeError);
    expect(() => { w.dtype = 'float64'; }).toThrow(TypeError);
    expect(() => { w.requiresGrad = true; }).toThrow(TypeError);
    expect(t.data.length).toBe(4);
    expect(t.dtype).toBe('float32');
  });

  it('grad takes null or a tensor of the same shape and dtype', () => {
    const t = tensor([1, 2, 3], undefined, { requiresGrad: true });
    expect(() => { t.grad = tensor([1, 2]) as never; }).toThrow(/^grad: assigned grad has data of a different size/);
    expect(() => { t.grad = tensor([1, 2, 3], undefined, { dtype: 'float64' }) as never; }).toThrow(/^grad: assigned grad has data of a different type/);
    expect(() => { t.grad = [1, 2, 3] as never; }).toThrow(/^grad: assigned grad must be a Tensor or null, got an array/);
    t.grad = tensor([4, 5, 6]) as never;
    F.mseLoss(t, tensor([0, 0, 0]), { reduction: 'sum' }).backward();
    // 4 + 2·1, 5 + 2·2, 6 + 2·3
    expect(Array.from(t.grad!.data as Float32Array)).toEqual([6, 9, 12]);
    t.grad = null;
    expect(t.grad).toBeNull();
  });

  it('a detached buffer is an error naming the function and the argument', () => {
    const data = new Float32Array([1, 2, 3]);
    const t = tensor(data);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(data.length).toBe(0);
    expect(() => F.mseLoss(t, tensor([1, 2, 3]))).toThrow(/^mseLoss: argument 'input' has a detached buffer/);
    expect(() => F.crossEntropy(tensor([[1, 2, 3]]), t as never)).toThrow(/^crossEntropy: argument 'target' has a detached buffer/);
    expect(F.mseLoss(tensor([1, 2]), tensor([1, 4])).item()).toBe(2);
  });

  it('a scratch request past the 32-bit allocator is refused before it reaches wasm', () => {
    const ex = wasm('probe');
    expect(() => scratch(ex, 2 ** 32 + 80)).toThrow(/^probe: the call needs 4294967376 bytes of wasm scratch memory/);
    expect(() => scratch(ex, MAX_SCRATCH_BYTES + 1)).toThrow(RangeError);
    expect(() => scratch(ex, Number.NaN)).toThrow(/^probe: /);
    // The arena is untouched: the next calls are right.
    expect(F.crossEntropy(tensor(new Float32Array(1e5), [1, 1e5]), i32([0])).item()).toBeCloseTo(LN_1E5, 5);
    expect(F.nllLoss(tensor([[0.5, -1.5, 2, 4]], undefined, { dtype: 'float64' }), i32([3])).item()).toBe(-4);
  });
});
