// Tensors from the ecosystem, duck-typed (no dependency on any of these packages):
//   onnxruntime-web/-node/-common and transformers.js `Tensor`: { data, dims, type }
//   TF.js `tf.Tensor`: { shape, dtype, dataSync() }
//   `ndarray`: { data, shape, stride, offset } (strided views are copied)
//   npyjs results and plain `{ data, shape }` objects (`fortranOrder: true` is transposed)
// `tensor()` calls `fromForeign` for any object that is neither a typed array nor an array.
// Dense row-major data of a supported type is used without a copy, like `torch.from_numpy`.

import type { AnyTypedArray } from './tensor.js';

/** The objects `tensor()` accepts besides typed arrays and nested number arrays. */
export type ForeignTensor =
  | { readonly data: unknown; readonly dims: readonly number[]; readonly type: string }
  | { readonly shape: readonly number[]; readonly dtype: string; dataSync(): unknown }
  | { readonly data: unknown; readonly shape: readonly number[]; readonly stride?: readonly number[]; readonly offset?: number; readonly fortranOrder?: boolean };

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** float16 bits → float32 value (onnxruntime's 'float16' tensors hold Uint16Array bits). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * The typed array lossfn uses for `data`: the four native types as they are; other integer
 * arrays (bool/uint8/int8/int16/uint16 → int32, uint32/uint64 → int64) and float16 (→ float32)
 * copied. `kind` names the source's element type for messages.
 */
function nativeArray(fn: string, data: unknown, kind: string): AnyTypedArray {
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof BigInt64Array) {
    if (kind === 'float16') throw new TypeError(`${fn}: float16 data must be a Uint16Array of bits`);
    return data;
  }
  if (kind === 'float16' && data instanceof Uint16Array) return Float32Array.from(data, halfToFloat);
  const F16 = (globalThis as { Float16Array?: new (n: number) => ArrayLike<number> }).Float16Array;
  if (F16 && data instanceof F16) return Float32Array.from(data as ArrayLike<number>);
  if (data instanceof Uint8Array || data instanceof Int8Array || data instanceof Int16Array || data instanceof Uint16Array || data instanceof Uint8ClampedArray) {
    return Int32Array.from(data);
  }
  if (data instanceof Uint32Array) return BigInt64Array.from(data, (v) => BigInt(v));
  if (data instanceof BigUint64Array) return BigInt64Array.from(data, (v) => BigInt.asIntN(64, v));
  if (Array.isArray(data) && data.every((v) => typeof v === 'number')) return Float32Array.from(data as number[]);
  throw new TypeError(`${fn}: argument 'data': unsupported ${kind} tensor data (${data === null ? 'null' : (data as object)?.constructor?.name ?? typeof data})`);
}

const ORT_TYPES = new Set(['float32', 'float64', 'int32', 'int64', 'float16', 'bool', 'uint8', 'int8', 'int16', 'uint16', 'uint32', 'uint64']);

/** Copies a strided view (shape, stride, offset) into a dense row-major array of the same type. */
function gather(src: AnyTypedArray, shape: readonly number[], stride: readonly number[], offset: number): AnyTypedArray {
  const n = prod(shape);
  const out = new (src.constructor as new (n: number) => AnyTypedArray)(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let at = offset;
  for (let i = 0; i < n; i++) {
    (out as Float64Array)[i] = (src as Float64Array)[at];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      at += stride[d];
      if (idx[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

const isDims = (s: unknown): s is readonly number[] =>
  Array.isArray(s) && s.every((v) => Number.isInteger(v) && v >= 0);

/**
 * The dense data and shape of a foreign tensor, or null when `v` is none of the known kinds.
 * Throws a TypeError (naming `fn`) for a recognised kind it cannot read.
 */
export function fromForeign(fn: string, v: unknown): { data: AnyTypedArray; shape: number[] } | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  // onnxruntime Tensor: dims + type (+ data, which throws for GPU-resident tensors).
  if (isDims(o.dims) && typeof o.type === 'string') {
    if (!ORT_TYPES.has(o.type)) throw new TypeError(`${fn}: argument 'data': onnxruntime tensors of type '${o.type}' are not supported`);
    if (typeof o.location === 'string' && o.location !== 'cpu' && o.location !== 'cpu-pinned') {
      throw new TypeError(`${fn}: argument 'data': the onnxruntime tensor lives on '${o.location}'; call its getData() first`);
    }
    const data = nativeArray(fn, o.data, o.type);
    return { data: checkLength(fn, data, o.dims), shape: o.dims.slice() };
  }
  // TF.js tensor: data in its backend; dataSync() reads it (the CPU backend hands its own array).
  if (isDims(o.shape) && typeof o.dtype === 'string' && typeof o.dataSync === 'function') {
    if (o.dtype !== 'float32' && o.dtype !== 'int32' && o.dtype !== 'bool') {
      throw new TypeError(`${fn}: argument 'data': TF.js tensors of dtype '${o.dtype}' are not supported`);
    }
    const data = nativeArray(fn, (o.dataSync as () => unknown).call(v), o.dtype);
    return { data: checkLength(fn, data, o.shape), shape: o.shape.slice() };
  }
  // ndarray, npyjs results and { data, shape }.
  if (isDims(o.shape) && o.data !== undefined) {
    const shape = o.shape.slice();
    const n = prod(shape);
    let data = nativeArray(fn, o.data, typeof o.dtype === 'string' ? o.dtype : 'array');
    if (o.fortranOrder === true && shape.length > 1) {
      // Column-major (npyjs with fortranOrder): strides grow from the first dimension.
      const stride = shape.map((_, i) => prod(shape.slice(0, i)));
      return { data: gather(checkLength(fn, data, shape), shape, stride, 0), shape };
    }
    const stride = o.stride;
    if (isIntArray(stride) && stride.length === shape.length) {
      const offset = typeof o.offset === 'number' ? o.offset : 0;
      const dense = shape.map((_, i) => prod(shape.slice(i + 1)));
      const contiguous = shape.every((s, i) => s <= 1 || stride[i] === dense[i]);
      if (contiguous) {
        if (offset + n > data.length) throw new RangeError(`${fn}: argument 'data': the ndarray view needs ${offset + n} elements, its data has ${data.length}`);
        // A dense view: zero-copy subarray (or the array itself).
        data = offset === 0 && data.length === n ? data : (data.subarray(offset, offset + n) as AnyTypedArray);
        return { data, shape };
      }
      return { data: gather(data, shape, stride, offset), shape };
    }
    return { data: checkLength(fn, data, shape), shape };
  }
  return null;
}

const isIntArray = (s: unknown): s is number[] => Array.isArray(s) && s.every((v) => Number.isInteger(v));

function checkLength(fn: string, data: AnyTypedArray, shape: readonly number[]): AnyTypedArray {
  if (data.length !== prod(shape)) {
    throw new Error(`${fn}: argument 'data' has ${data.length} elements but its shape [${shape.join(', ')}] needs ${prod(shape)}`);
  }
  return data;
}
