// tensor(): data kinds, shapes, dtypes, copies; Tensor accessors.
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../ts/index.js';

describe('tensor()', () => {
  it('wraps typed arrays without a copy (like torch.from_numpy) and takes their dtype', () => {
    const f32 = new Float32Array([1, 2, 3, 4]);
    const t = tensor(f32, [2, 2]);
    expect(t.data).toBe(f32);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 2]);
    expect(tensor(new Float64Array(3)).dtype).toBe('float64');
    expect(tensor(new Int32Array(3)).dtype).toBe('int32');
    expect(tensor(new BigInt64Array(3)).dtype).toBe('int64');
  });

  it('converts when options.dtype differs from the array type', () => {
    const t = tensor(new Float32Array([1.5, 2]), undefined, { dtype: 'float64' });
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data as Float64Array)).toEqual([1.5, 2]);
    expect(Array.from(tensor(new Int32Array([3, -1]), undefined, { dtype: 'int64' }).data as BigInt64Array)).toEqual([3n, -1n]);
  });

  it('infers the shape of nested arrays; number arrays default to float32', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('makes 0-d tensors from a number or an explicit [] shape', () => {
    const a = tensor(3.5);
    expect(a.shape).toEqual([]);
    expect(a.item()).toBe(3.5);
    const b = tensor([7], []);
    expect(b.shape).toEqual([]);
    expect(b.ndim).toBe(0);
    expect(b.numel()).toBe(1);
  });

  it('int64 from numbers, item() as a number', () => {
    const t = tensor([1, 2, 3], undefined, { dtype: 'int64' });
    expect(t.data).toBeInstanceOf(BigInt64Array);
    expect(tensor([5], [], { dtype: 'int64' }).item()).toBe(5);
  });

  it('requiresGrad, grad and gradFn of a leaf', () => {
    const t = tensor([1, 2], undefined, { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.grad).toBeNull();
    expect(t.gradFn).toBeNull();
    expect(t).toBeInstanceOf(Tensor);
  });

  it('detach() copies and drops the graph', () => {
    const t = tensor([1, 2], undefined, { requiresGrad: true });
    const d = t.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).not.toBe(t.data);
    expect(Array.from(d.data as Float32Array)).toEqual([1, 2]);
  });
});
