// Tensors: a dtype, a shape and a row-major typed array; plus the reverse-mode autograd that
// loss results use to route gradients back to their arguments.

import { arith, reduceAll, type Operand } from './arith.js';
import { fromForeign, type ForeignTensor } from './interop.js';

export type FloatDType = 'float32' | 'float64';
export type IntDType = 'int32' | 'int64';
export type DType = FloatDType | IntDType;

export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : BigInt64Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array;
export type FloatArray = Float32Array | Float64Array;

/** Nested arrays of numbers, as `torch.tensor([[1, 2], [3, 4]])` takes. */
export type NestedNumbers = number | readonly NestedNumbers[];

export interface TensorOptions {
  /** Element type; number arrays default to float32, typed arrays to their own type. */
  dtype?: DType;
  /** Record gradients for this tensor (floating dtypes only). */
  requiresGrad?: boolean;
}

/**
 * A node of the autograd graph: the operation that produced a tensor. `backward` receives the
 * gradient of the result and returns one gradient per input (null where none is needed).
 */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(grad: Tensor): (Tensor | null)[];
}

export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again (PyTorch's `retain_graph`). */
  retainGraph?: boolean;
}

const ARRAY_CTOR = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
} as const;

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** A dense, row-major n-dimensional array, as `torch.Tensor`. */
export class Tensor<D extends DType = DType> {
  /** Sizes of each dimension; `[]` for a 0-d tensor. */
  readonly shape: number[];
  readonly dtype: D;
  /** The elements in row-major order. Treat as read-only once the tensor is used in a loss. */
  readonly data: TypedArrayOf<D>;
  /** Whether gradients are recorded for this tensor. */
  readonly requiresGrad: boolean;
  /** Accumulated gradient (leaf tensors only), as `tensor.grad` in PyTorch. */
  grad: Tensor<D> | null = null;
  /** The operation that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null;
  /** Set once backward has freed this tensor's graph. */
  private released = false;

  /** Use `tensor()`; this constructor trusts its arguments. */
  constructor(data: TypedArrayOf<D>, shape: number[], dtype: D, requiresGrad = false, gradFn: GradFn | null = null) {
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
    this.requiresGrad = requiresGrad;
    this.gradFn = gradFn;
  }

  /** Number of elements. */
  numel(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor, as a number. */
  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`item: a Tensor with ${this.data.length} elements cannot be converted to a number`);
    }
    return Number(this.data[0]);
  }

  /** The elements as (nested) arrays of numbers, as `torch.Tensor.tolist()`. */
  tolist(): NestedNumbers {
    const flat = Array.from(this.data as ArrayLike<number | bigint>, Number);
    const build = (dim: number, off: number): NestedNumbers => {
      if (dim === this.shape.length) return flat[off];
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** A copy that does not require grad and has no graph (PyTorch's `detach().clone()`). */
  detach(): Tensor<D> {
    return new Tensor(this.data.slice() as TypedArrayOf<D>, this.shape.slice(), this.dtype);
  }

  toString(): string {
    return `Tensor(${JSON.stringify(this.tolist())}, shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }

  /**
   * Computes the gradient of this tensor with respect to every leaf that requires grad and
   * accumulates it into their `.grad`, as `torch.Tensor.backward`. `gradient` is required unless
   * the tensor has one element (it defaults to 1); it must match this tensor's shape and dtype.
   */
  backward(gradient?: Tensor | NestedNumbers | AnyTypedArray, options: BackwardOptions = {}): void {
    // A result of a non-differentiable loss keeps a gradFn that explains itself (zeroOneLoss).
    if (!this.requiresGrad && this.gradFn === null) {
      throw new Error('backward: element 0 of tensors does not require grad and does not have a grad_fn');
    }
    let g: Tensor;
    if (gradient === undefined) {
      if (this.data.length !== 1) {
        throw new Error(
          `backward: grad can be implicitly created only for scalar outputs; pass 'gradient' ` +
            `(a tensor of shape [${this.shape.join(', ')}])`,
        );
      }
      g = new Tensor(new ARRAY_CTOR[this.dtype](1).fill(1 as never) as never, this.shape.slice(), this.dtype);
    } else {
      g = gradient instanceof Tensor ? gradient : tensor(gradient as NestedNumbers, undefined, { dtype: this.dtype });
      if (g.dtype !== this.dtype) {
        throw new TypeError(`backward: argument 'gradient' has dtype ${g.dtype} but the tensor has dtype ${this.dtype}`);
      }
      if (g.data.length !== this.data.length || (g.shape.length !== this.shape.length && g.data.length !== 1)) {
        throw new Error(
          `backward: argument 'gradient' has shape [${g.shape.join(', ')}] but the tensor has shape [${this.shape.join(', ')}]`,
        );
      }
    }
    this.propagate(g, options.retainGraph === true);
  }

  /**
   * Runs the graph backward from this tensor in reverse topological order, so a tensor used
   * several times (`a.add(a)`, a loss in two compound terms) receives the sum of its gradients
   * before its own node runs, as PyTorch's engine does.
   */
  private propagate(g: Tensor, retain: boolean): void {
    const order: Tensor[] = [];
    const seen = new Set<Tensor>([this]);
    const stack: [Tensor, number][] = [[this, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const inputs = top[0].gradFn?.inputs ?? [];
      if (top[1] < inputs.length) {
        const next = inputs[top[1]++];
        if (next.requiresGrad && !seen.has(next)) {
          seen.add(next);
          stack.push([next, 0]);
        }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
    const pending = new Map<Tensor, Tensor>([[this, g]]);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const gt = pending.get(t);
      if (gt === undefined) continue;
      pending.delete(t);
      const fn = t.gradFn;
      if (fn === null) {
        accumulate(t, gt);
        continue;
      }
      if (t.released) {
        throw new Error(
          `backward: trying to backward through the graph of ${fn.name} a second time (its saved ` +
            'tensors were freed); pass { retainGraph: true } to the first backward call if you need to',
        );
      }
      const grads = fn.backward(gt);
      if (!retain) t.released = true;
      fn.inputs.forEach((input, i) => {
        const gi = grads[i];
        if (!gi || !input.requiresGrad) return;
        const prev = pending.get(input);
        pending.set(input, prev === undefined ? gi : addGrads(prev, gi));
      });
    }
  }

  /** `this + other`, elementwise (a number, or a tensor of this shape or 0-d), with gradients (ts/arith.ts). */
  add(other: Operand): Tensor {
    return arith('add', this, other);
  }

  /** `this − other`, elementwise, with gradients. */
  sub(other: Operand): Tensor {
    return arith('sub', this, other);
  }

  /** `this · other`, elementwise, with gradients (e.g. per-sample weights on a 'none' loss). */
  mul(other: Operand): Tensor {
    return arith('mul', this, other);
  }

  /** `this / other`, elementwise, with gradients. */
  div(other: Operand): Tensor {
    return arith('div', this, other);
  }

  /** The sum of every element, a 0-d tensor, with gradients (as `torch.Tensor.sum()`). */
  sum(): Tensor {
    return reduceAll('sum', this);
  }

  /** The mean of every element (NaN when empty), a 0-d tensor, with gradients. */
  mean(): Tensor {
    return reduceAll('mean', this);
  }
}

/** g1 + g2 for two gradients of one tensor (a fresh array). */
function addGrads(a: Tensor, b: Tensor): Tensor {
  const out = (a.data as FloatArray).slice();
  const bd = b.data as FloatArray;
  for (let i = 0; i < out.length; i++) out[i] += bd[i];
  return new Tensor(out, a.shape.slice(), a.dtype);
}

function accumulate(leaf: Tensor, g: Tensor): void {
  if (leaf.grad === null) {
    leaf.grad = new Tensor(g.data.slice() as never, leaf.shape.slice(), leaf.dtype);
    return;
  }
  const acc = leaf.grad.data as FloatArray;
  const add = g.data as FloatArray;
  for (let i = 0; i < acc.length; i++) acc[i] += add[i];
}

function inferShape(data: NestedNumbers, fn: string): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flatten(data: NestedNumbers, shape: number[], fn: string): number[] {
  const out: number[] = [];
  const walk = (v: NestedNumbers, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') {
        throw new TypeError(`${fn}: argument 'data' must hold numbers, got ${Array.isArray(v) ? 'a deeper array' : typeof v}`);
      }
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new Error(`${fn}: argument 'data' is ragged: expected a sequence of length ${shape[dim]} at dim ${dim}`);
    }
    for (const x of v) walk(x, dim + 1);
  };
  walk(data, 0);
  return out;
}

function dtypeOfArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'int64';
}

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];

/**
 * Makes a tensor, as `torch.tensor` / `torch.from_numpy`.
 *
 * `data` is a Float32Array, Float64Array, Int32Array or BigInt64Array (used as is, without a
 * copy, when `options.dtype` is absent or equal to its type), or nested arrays of numbers
 * (copied; float32 unless `options.dtype` says otherwise). `shape` defaults to
 * `[data.length]`, or to the nesting of a nested array; `[]` makes a 0-d tensor. Tensors of
 * other libraries are accepted too (onnxruntime, TF.js, ndarray, `{ data, shape }`; see
 * ts/interop.ts), without a copy where their layout allows.
 *
 * @example
 * const input = tensor([[0.2, 0.8], [0.6, 0.1]], undefined, { requiresGrad: true });
 * const target = tensor(new Float32Array([0, 1, 1, 0]), [2, 2]);
 */
export function tensor(data: AnyTypedArray | NestedNumbers | ForeignTensor, shape?: readonly number[], options: TensorOptions = {}): Tensor {
  const fn = 'tensor';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: argument 'options' must be an object`);
  for (const k of Object.keys(options)) {
    if (k !== 'dtype' && k !== 'requiresGrad') throw new TypeError(`${fn}: unknown option '${k}'`);
  }
  if (options.dtype !== undefined && !DTYPES.includes(options.dtype)) {
    throw new TypeError(`${fn}: option 'dtype' must be one of ${DTYPES.join(', ')}, got ${String(options.dtype)}`);
  }
  let arr: AnyTypedArray;
  let inferred: number[];
  if (ArrayBuffer.isView(data)) {
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof BigInt64Array)) {
      throw new TypeError(`${fn}: argument 'data' must be a Float32Array, Float64Array, Int32Array, BigInt64Array or an array of numbers, got ${(data as ArrayBufferView).constructor.name}`);
    }
    const own = dtypeOfArray(data);
    const want = options.dtype ?? own;
    arr = want === own ? data : convert(data, want, fn);
    inferred = [arr.length];
  } else if (typeof data === 'number' || Array.isArray(data)) {
    inferred = inferShape(data, fn);
    const flat = flatten(data, inferred, fn);
    arr = convert(flat, options.dtype ?? 'float32', fn);
  } else {
    // onnxruntime, TF.js, ndarray, npyjs, { data, shape } (ts/interop.ts).
    const foreign = fromForeign(fn, data);
    if (foreign === null) {
      throw new TypeError(`${fn}: argument 'data' must be a typed array, an array of numbers or a tensor-like object ({ data, shape } / { data, dims, type } / a TF.js tensor), got ${data === null ? 'null' : typeof data}`);
    }
    const own = dtypeOfArray(foreign.data);
    arr = options.dtype === undefined || options.dtype === own ? foreign.data : convert(foreign.data, options.dtype, fn);
    inferred = foreign.shape;
  }
  let sh: number[];
  if (shape === undefined) {
    sh = inferred;
  } else {
    if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new TypeError(`${fn}: argument 'shape' must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    sh = shape.slice();
    if (numel(sh) !== arr.length) {
      throw new Error(`${fn}: shape '[${sh.join(', ')}]' is invalid for input of size ${arr.length}`);
    }
  }
  const dtype = dtypeOfArray(arr);
  const requiresGrad = options.requiresGrad ?? false;
  if (typeof requiresGrad !== 'boolean') throw new TypeError(`${fn}: option 'requiresGrad' must be a boolean`);
  if (requiresGrad && !isFloatDType(dtype)) {
    throw new TypeError(`${fn}: only tensors of floating point dtype can require gradients, got ${dtype}`);
  }
  return new Tensor(arr, sh, dtype, requiresGrad);
}

function convert(src: ArrayLike<number | bigint>, dtype: DType, fn: string): AnyTypedArray {
  const n = src.length;
  if (dtype === 'int64') {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      if (typeof v === 'bigint') out[i] = v;
      else if (Number.isInteger(v)) out[i] = BigInt(v);
      else throw new TypeError(`${fn}: int64 data must be integers, got ${v} at index ${i}`);
    }
    return out;
  }
  const out = new ARRAY_CTOR[dtype](n);
  for (let i = 0; i < n; i++) {
    const v = Number(src[i]);
    if (dtype === 'int32' && !Number.isInteger(v)) throw new TypeError(`${fn}: int32 data must be integers, got ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

/** A new tensor of zeros with the given dtype and shape (internal helper for gradients). */
export function zerosOf(dtype: FloatDType, shape: number[]): Tensor {
  return new Tensor(new ARRAY_CTOR[dtype](numel(shape)), shape, dtype);
}

export { numel };
