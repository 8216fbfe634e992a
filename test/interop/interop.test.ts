// tensor() from onnxruntime, TF.js, ndarray, npyjs-like and { data, shape } objects.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import ndarray from 'ndarray';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

describe('tensor() from other libraries', () => {
  it('onnxruntime tensors: dims and type, float data used without a copy', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(new OrtTensor('float32', data, [2, 3]));
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBe(data);
    const labels = tensor(new OrtTensor('int64', new BigInt64Array([2n, 0n]), [2]));
    expect(labels.dtype).toBe('int64');
    expect(F.crossEntropy(t, labels).item()).toBeCloseTo(F.crossEntropy(tensor(data, [2, 3]), tensor([2, 0], undefined, { dtype: 'int64' })).item(), 6);
    // bool/uint8 become int32; float16 bits become float32 (1.0 = 0x3c00, -2 = 0xc000, 0.5 = 0x3800).
    expect(Array.from(tensor(new OrtTensor('bool', new Uint8Array([1, 0, 1]), [3])).data as Int32Array)).toEqual([1, 0, 1]);
    const h = tensor(new OrtTensor('float16', new Uint16Array([0x3c00, 0xc000, 0x3800]), [3]));
    expect(h.dtype).toBe('float32');
    expect(Array.from(h.data as Float32Array)).toEqual([1, -2, 0.5]);
    expect(() => tensor(new OrtTensor('string', ['a'], [1]))).toThrow(/tensor: argument 'data': onnxruntime tensors of type 'string' are not supported/);
    expect(() => tensor({ data: new Float32Array(2), dims: [3], type: 'float32' })).toThrow(/has 2 elements but its shape \[3\] needs 3/);
  });

  it('TF.js tensors: shape, dtype and dataSync()', () => {
    const x = tf.tensor2d([[0.5, 1], [2, -1]]);
    const t = tensor(x);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data as Float32Array)).toEqual([0.5, 1, 2, -1]);
    const y = tensor(tf.tensor1d([1, 0], 'int32'));
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data as Int32Array)).toEqual([1, 0]);
    expect(tensor(tf.tensor1d([true, false], 'bool')).dtype).toBe('int32');
    expect(() => tensor(tf.complex([1], [2]))).toThrow(/TF.js tensors of dtype 'complex64' are not supported/);
    // A float64 copy on request.
    expect(tensor(x, undefined, { dtype: 'float64' }).data).toBeInstanceOf(Float64Array);
  });

  it('ndarray: dense views without a copy, strided and offset views copied in row-major order', () => {
    const buf = new Float64Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const a = ndarray(buf, [3, 4]);
    const t = tensor(a);
    expect(t.data).toBe(buf);
    expect(t.shape).toEqual([3, 4]);
    // Rows 1..2: dense, offset 4 → a subarray over the same buffer.
    const rowsView = tensor(a.lo(1, 0));
    expect(rowsView.shape).toEqual([2, 4]);
    expect((rowsView.data as Float64Array).buffer).toBe(buf.buffer);
    expect(Array.from(rowsView.data as Float64Array)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    // Transpose: stride [1, 4] → copied.
    const tt = tensor(a.transpose(1, 0));
    expect(tt.shape).toEqual([4, 3]);
    expect(tt.tolist()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    // Column 1, every other row, reversed: negative stride and an offset.
    expect(tensor(a.pick(null, 1).step(-2)).tolist()).toEqual([9, 1]);
  });

  it('{ data, shape } objects and npyjs results (fortranOrder transposed)', () => {
    expect(tensor({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }).tolist()).toEqual([[1, 2], [3, 4]]);
    const fortran = { data: new Float64Array([1, 3, 2, 4]), shape: [2, 2], dtype: '<f8', fortranOrder: true };
    expect(tensor(fortran).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(tensor({ data: [1, 2, 3], shape: [3] }).dtype).toBe('float32');
    expect(() => tensor({ foo: 1 } as never)).toThrow(/tensor: argument 'data' must be a typed array, an array of numbers or a tensor-like object/);
  });

  it('an explicit shape reshapes a foreign tensor (same element count)', () => {
    expect(tensor({ data: new Float32Array(6), shape: [6] }, [2, 3]).shape).toEqual([2, 3]);
    expect(() => tensor({ data: new Float32Array(6), shape: [6] }, [4])).toThrow(/shape '\[4\]' is invalid for input of size 6/);
  });
});
