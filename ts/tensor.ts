// Tensors: a dtype, a shape and a row-major typed array; plus the reverse-mode autograd that
// loss results use to route gradients back to their arguments.

import { arith, reduceAll, type Operand } from './arith.js';
import { describe, isForeignTypedArray, registerTensorClass, typedArrayName } from './describe.js';
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
  /** `retain`: the graph is kept (`retainGraph`), so this node may run again and must keep
   * what it saved; otherwise it never runs again and may give its saved arrays away. */
  backward(grad: Tensor, retain?: boolean): (Tensor | null)[];
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

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Whether `data` is the typed array of `dtype`, of this realm. */
function holds(data: unknown, dtype: DType): boolean {
  const Ctor = ctorOf(dtype);
  if (Ctor === undefined) return false;
  try {
    return data instanceof Ctor;
  } catch {
    return false; // a revoked proxy
  }
}

/** The typed-array constructor of a dtype, undefined for anything else (no prototype lookups). */
function ctorOf(dtype: unknown): (typeof ARRAY_CTOR)[DType] | undefined {
  switch (dtype) {
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
    case 'int32':
      return Int32Array;
    case 'int64':
      return BigInt64Array;
    default:
      return undefined;
  }
}

/** Largest size of one dimension: lengths and offsets reach wasm as 32-bit values, products
 * of sizes are computed in doubles (exact below 2^53). */
const MAX_DIM = Number.MAX_SAFE_INTEGER;

/** Passed by tensor()'s fast path (module-private): its checks are the constructor's. */
const TRUSTED: unique symbol = Symbol('lossfn.trusted');

/** The interned shape `[n]` of the last 1-D tensor made without a shape (most programs
 * make many tensors of one length). */
let lastLength = -1;
let lastShape: readonly number[] = [];
function shape1(n: number): readonly number[] {
  if (n !== lastLength) {
    lastShape = checkedShape('tensor', [n]);
    lastLength = n;
  }
  return lastShape;
}

/** The shape of every 0-d tensor. */
const SCALAR_SHAPE: readonly number[] = Object.freeze([]);
/** Frozen shapes by their sizes, shared between tensors: freezing a new array costs ~0.1 µs,
 * a sizeable part of a small loss call, and most programs use a handful of shapes. */
const interned = new Map<string | number, readonly number[]>();
const MAX_INTERNED = 4096;

/** The interned shapes themselves (a membership test is cheaper than validating again). */
const internedSet = new WeakSet<object>();

/** The shape checkedShape returned last (interned). */
let lastChecked: readonly number[] = SCALAR_SHAPE;

/** Checks a shape (an array of non-negative safe integers) and returns a frozen copy. */
function checkedShape(fn: string, shape: unknown): readonly number[] {
  if (internedSet.has(shape as object)) return shape as readonly number[];
  let src: readonly unknown[];
  try {
    if (!Array.isArray(shape)) throw new Error();
    if (shape.length === 0) return SCALAR_SHAPE;
    // The same sizes as the last shape checked (a fresh literal like [10, 10] per call): its
    // interned array, without the copy and the key.
    if (shape.length === lastChecked.length) {
      let same = true;
      for (let i = 0; i < shape.length && same; i++) same = shape[i] === lastChecked[i];
      if (same) return lastChecked;
    }
    // A frozen array (another tensor's shape) cannot change under us: read as it is.
    src = Object.isFrozen(shape) ? shape : shape.slice();
  } catch {
    throw new TypeError(`${fn}: argument 'shape' must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (src.length === 0) return SCALAR_SHAPE;
  for (let i = 0; i < src.length; i++) {
    const s = src[i];
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > MAX_DIM) {
      throw new TypeError(`${fn}: argument 'shape' must be an array of non-negative integers, got ${describe(s)} at dim ${i}`);
    }
  }
  const key = src.length === 1 ? (src[0] as number) : src.join(',');
  let out = interned.get(key);
  if (out === undefined) {
    if (interned.size >= MAX_INTERNED) interned.clear();
    out = Object.freeze(src.slice() as number[]);
    interned.set(key, out);
    internedSet.add(out);
  }
  lastChecked = out;
  return out;
}

/** The checked, interned `shape` of data holding `length` elements (PyTorch's message when
 * the sizes' product differs). */
function shapeFor(fn: string, shape: unknown, length: number): readonly number[] {
  const sh = checkedShape(fn, shape);
  if (numel(sh) !== length) throw new Error(`${fn}: shape '[${sh.join(', ')}]' is invalid for input of size ${length}`);
  return sh;
}

/** A dense, row-major n-dimensional array, as `torch.Tensor`. */
export class Tensor<D extends DType = DType> {
  readonly #shape: number[];
  readonly #dtype: D;
  readonly #data: TypedArrayOf<D>;
  readonly #numel: number;
  readonly #requiresGrad: boolean;
  #grad: Tensor<D> | null = null;
  /** The operation that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null;
  /** Set once backward has freed this tensor's graph. */
  private released = false;

  /**
   * A tensor over `data` (not copied), which must be the typed array of `dtype` with exactly
   * as many elements as `shape` says; the shape is copied and frozen. `tensor()` is the
   * friendlier way (nested arrays, conversions, other libraries' tensors).
   */
  constructor(data: TypedArrayOf<D>, shape: readonly number[], dtype: D, requiresGrad = false, gradFn: GradFn | null = null, trusted?: typeof TRUSTED) {
    if (trusted === TRUSTED) {
      // tensor()'s fast path, which has checked exactly this (a small call feels every check).
      this.#data = data;
      this.#shape = shape as number[];
      this.#dtype = dtype;
      this.#numel = data.length;
      this.#requiresGrad = requiresGrad;
      this.gradFn = gradFn;
      return;
    }
    const fn = 'Tensor';
    if (ctorOf(dtype) === undefined) {
      throw new TypeError(`${fn}: argument 'dtype' must be one of ${DTYPES.join(', ')}, got ${describe(dtype)}`);
    }
    if (!holds(data, dtype)) {
      throw new TypeError(`${fn}: argument 'data' must be a ${ARRAY_CTOR[dtype].name} for dtype ${dtype}, got ${describe(data)}`);
    }
    const sh = shapeFor(fn, shape, data.length);
    const n = data.length;
    if (typeof requiresGrad !== 'boolean') throw new TypeError(`${fn}: argument 'requiresGrad' must be a boolean, got ${describe(requiresGrad)}`);
    if (requiresGrad && !isFloatDType(dtype)) {
      throw new TypeError(`${fn}: only tensors of floating point dtype can require gradients, got ${dtype}`);
    }
    this.#data = data;
    this.#shape = sh as number[];
    this.#dtype = dtype;
    this.#numel = n;
    this.#requiresGrad = requiresGrad;
    this.gradFn = gradFn;
  }

  /** Sizes of each dimension; `[]` for a 0-d tensor. Frozen. */
  get shape(): number[] {
    return this.#shape;
  }

  get dtype(): D {
    return this.#dtype;
  }

  /** The elements in row-major order (the caller's array, not a copy). Changing them after a
   * forward pass makes backward refuse (README "Reliability"). */
  get data(): TypedArrayOf<D> {
    return this.#data;
  }

  /** Whether gradients are recorded for this tensor. */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  /** Accumulated gradient (leaf tensors only), as `tensor.grad` in PyTorch: null or a tensor
   * of this shape and dtype. */
  get grad(): Tensor<D> | null {
    return this.#grad;
  }

  set grad(g: Tensor<D> | null) {
    if (g !== null) {
      if (!(g instanceof Tensor)) throw new TypeError(`grad: assigned grad must be a Tensor or null, got ${describe(g)}`);
      // PyTorch: "assigned grad has data of a different type" / "... of a different size"
      if (g.dtype !== this.#dtype) throw new TypeError(`grad: assigned grad has data of a different type (${g.dtype}, the tensor is ${this.#dtype})`);
      if (g.shape !== this.#shape && (g.shape.length !== this.#shape.length || g.shape.some((s, i) => s !== this.#shape[i]))) {
        throw new Error(`grad: assigned grad has data of a different size ([${g.shape.join(', ')}], the tensor is [${this.#shape.join(', ')}])`);
      }
    }
    this.#grad = g;
  }

  /** Number of elements. */
  numel(): number {
    return this.#numel;
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
  backward(gradient?: Tensor | NestedNumbers | AnyTypedArray, options?: BackwardOptions): void {
    // Every error names backward (a hostile argument's engine TypeError, a node's refusal).
    try {
      this.runBackward(gradient, options);
    } catch (e) {
      throw namedError('backward', e);
    }
  }

  private runBackward(gradient: Tensor | NestedNumbers | AnyTypedArray | undefined, options: BackwardOptions | undefined): void {
    const fn = 'backward';
    let retain = false;
    if (options !== undefined) {
      let given: unknown;
      try {
        if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new Error();
        for (const k of Object.keys(options)) {
          if (k !== 'retainGraph') throw new TypeError(`${fn}: unknown option '${k}' (expected 'retainGraph')`);
        }
        given = (options as BackwardOptions).retainGraph;
      } catch (e) {
        if (e instanceof TypeError && e.message.startsWith(fn)) throw e;
        throw new TypeError(`${fn}: argument 'options' must be an object like { retainGraph: true }, got ${describe(options)}`);
      }
      if (given !== undefined && typeof given !== 'boolean') {
        throw new TypeError(`${fn}: option 'retainGraph' must be a boolean, got ${describe(given)}`);
      }
      retain = given === true;
    }
    // A result of a non-differentiable loss keeps a gradFn that explains itself (zeroOneLoss).
    if (!this.requiresGrad && this.gradFn === null) {
      throw new Error(`${fn}: element 0 of tensors does not require grad and does not have a grad_fn`);
    }
    let g: Tensor;
    if (gradient === undefined) {
      if (this.#numel !== 1) {
        throw new Error(
          `${fn}: grad can be implicitly created only for scalar outputs; pass 'gradient' ` +
            `(a tensor of shape [${this.shape.join(', ')}])`,
        );
      }
      g = new Tensor(new ARRAY_CTOR[this.dtype](1).fill(1 as never) as never, this.shape, this.dtype);
    } else {
      g = gradientTensor(fn, gradient, this);
      if (g.dtype !== this.dtype) {
        throw new TypeError(`${fn}: argument 'gradient' has dtype ${g.dtype} but the tensor has dtype ${this.dtype}`);
      }
      if (g.shape.length !== this.shape.length || g.shape.some((s, i) => s !== this.shape[i])) {
        // PyTorch: "Mismatch in shape: grad_output[0] has a shape of torch.Size([3, 2]) and output[0] has a shape of torch.Size([2, 3])."
        throw new Error(
          `${fn}: Mismatch in shape: argument 'gradient' has a shape of [${g.shape.join(', ')}] and the output has a shape of [${this.shape.join(', ')}]`,
        );
      }
      if (g.data.length !== g.numel()) throw new Error(`${fn}: argument 'gradient' has a detached buffer`);
    }
    this.propagate(g, retain);
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
      const grads = fn.backward(gt, retain);
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

registerTensorClass(Tensor);

/** `v instanceof Tensor`, false for values that throw when inspected (a revoked proxy). */
export function isTensor(v: unknown): v is Tensor {
  try {
    return v instanceof Tensor;
  } catch {
    return false;
  }
}

/** Runs `body`; an error not already naming `fn` (an engine TypeError from a hostile value)
 * gets the name in front, keeping its class and the original as `cause`. */
export function named<T>(fn: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw namedError(fn, e);
  }
}

/** `e` if its message starts with `fn`, else an error of its class whose message does. Hot
 * paths use it in their own try/catch (no closure per call). */
export function namedError(fn: string, e: unknown): Error {
  if (e instanceof Error && e.message.startsWith(`${fn}: `)) return e;
  const Ctor = (e instanceof TypeError ? TypeError : e instanceof RangeError ? RangeError : Error) as ErrorConstructor;
  return new Ctor(`${fn}: ${e instanceof Error ? e.message : describe(e)}`, { cause: e });
}

/** backward()'s `gradient` as a tensor: a Tensor; a typed array (it has no shape: read as
 * `like`'s when the lengths match); or nested numbers (their nesting is their shape). */
function gradientTensor(fn: string, gradient: unknown, like: Tensor): Tensor {
  if (isTensor(gradient)) return gradient;
  if (ArrayBuffer.isView(gradient) && (gradient as AnyTypedArray).length === like.numel()) {
    return renamed(fn, 'gradient', () => tensor(gradient as AnyTypedArray, like.shape, { dtype: like.dtype }));
  }
  if (typeof gradient !== 'number' && !Array.isArray(gradient) && !ArrayBuffer.isView(gradient)) {
    throw new TypeError(`${fn}: argument 'gradient' must be a Tensor, a typed array or nested arrays of numbers, got ${describe(gradient)}`);
  }
  return renamed(fn, 'gradient', () => tensor(gradient as NestedNumbers, undefined, { dtype: like.dtype }));
}

/** Runs `make` (a tensor() call on a user's argument), its errors naming `fn` and `arg`. */
function renamed(fn: string, arg: string, make: () => Tensor): Tensor {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('tensor: ')) throw e;
    const Ctor = e.constructor as new (m: string) => Error;
    throw new Ctor(`${fn}: argument '${arg}': ${e.message.slice('tensor: '.length)}`);
  }
}

/** g1 + g2 for two gradients of one tensor (a fresh array). */
function addGrads(a: Tensor, b: Tensor): Tensor {
  const out = (a.data as FloatArray).slice();
  const bd = b.data as FloatArray;
  for (let i = 0; i < out.length; i++) out[i] += bd[i];
  return new Tensor(out, a.shape.slice(), a.dtype);
}

/**
 * Gradient arrays that a backward function created for this backward and no longer refers to
 * (see {@link handOver}): the first leaf they reach takes the array as its `.grad` instead of a
 * copy. Everything else is copied, since a node may pass its upstream through unchanged.
 */
const handedOver = new WeakSet<object>();

/**
 * Marks `g`'s array as the caller's to give away: a backward function returns it and keeps no
 * reference, so a leaf without `.grad` may take it as is. Copying a large gradient cost about
 * a sixth of a listNetLoss (1024 × 64) forward + backward (allocation and GC included). A leaf
 * takes a marked array once; a second leaf reached by it copies it, as before.
 */
export function handOver<T extends Tensor>(g: T): T {
  handedOver.add(g.data);
  return g;
}

function accumulate(leaf: Tensor, g: Tensor): void {
  if (leaf.grad === null) {
    const own = handedOver.delete(g.data) && g.dtype === leaf.dtype && g.data.length === leaf.numel();
    leaf.grad = new Tensor((own ? g.data : g.data.slice()) as never, leaf.shape, leaf.dtype);
    return;
  }
  const acc = leaf.grad.data as FloatArray;
  const add = g.data as FloatArray;
  for (let i = 0; i < acc.length; i++) acc[i] += add[i];
}

/** Array.isArray, false for a revoked proxy (which makes it throw). */
function isArray(v: unknown): v is readonly NestedNumbers[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
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
        throw new TypeError(`${fn}: argument 'data' must hold numbers, got ${Array.isArray(v) ? 'a deeper array' : describe(v)}`);
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

/** The dtype of one of the four native typed arrays of this realm, else undefined. */
function nativeDType(a: unknown): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  return undefined;
}

/**
 * Makes a tensor, as `torch.tensor` / `torch.from_numpy`.
 *
 * `data` is a Float32Array, Float64Array, Int32Array or BigInt64Array (used as is, without a
 * copy, when `options.dtype` is absent or equal to its type); a Uint8Array, Uint8ClampedArray,
 * Int8Array, Int16Array or Uint16Array (segmentation masks: widened to int32 once), a
 * Uint32Array (int32 when every value fits, else pass `{ dtype: 'int64' }`); or nested arrays of numbers
 * (copied; float32 unless `options.dtype` says otherwise). `shape` defaults to
 * `[data.length]`, or to the nesting of a nested array; `[]` makes a 0-d tensor. Tensors of
 * other libraries are accepted too (onnxruntime, TF.js, ndarray, `{ data, shape }`; see
 * ts/interop.ts), without a copy where their layout allows.
 *
 * @example
 * const input = tensor([[0.2, 0.8], [0.6, 0.1]], undefined, { requiresGrad: true });
 * const target = tensor(new Float32Array([0, 1, 1, 0]), [2, 2]);
 */
export function tensor(data: AnyTypedArray | SmallIntArray | NestedNumbers | ForeignTensor, shape?: readonly number[], options?: TensorOptions): Tensor {
  // Hostile values (revoked proxies, throwing getters of tensor-like objects) still give an
  // error naming tensor().
  try {
    // The common call, tensor(typedArray) or tensor(typedArray, shape): what the constructor
    // would check, checked once (a small loss call spends a third of its time in tensor()).
    if (options === undefined) {
      const dtype = nativeDType(data);
      if (dtype !== undefined) {
        const d = data as AnyTypedArray;
        const sh = shape === undefined ? shape1(d.length) : shapeFor('tensor', shape, d.length);
        return new Tensor(d, sh, dtype, false, null, TRUSTED);
      }
    }
    return makeTensor(data, shape, options ?? {});
  } catch (e) {
    throw namedError('tensor', e);
  }
}

function makeTensor(data: AnyTypedArray | SmallIntArray | NestedNumbers | ForeignTensor, shape: readonly number[] | undefined, options: TensorOptions): Tensor {
  const fn = 'tensor';
  // Read once, as a copy: a proxy or a getter runs once and cannot change its answer later.
  let dtypeOpt: unknown;
  let gradOpt: unknown;
  try {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new Error();
    for (const k of Object.keys(options)) {
      if (k !== 'dtype' && k !== 'requiresGrad') throw new TypeError(`${fn}: unknown option '${k}' (expected 'dtype', 'requiresGrad')`);
    }
    dtypeOpt = options.dtype;
    gradOpt = options.requiresGrad;
  } catch (e) {
    if (e instanceof TypeError && e.message.startsWith(fn)) throw e;
    throw new TypeError(`${fn}: argument 'options' must be an object, got ${describe(options)}`);
  }
  if (dtypeOpt !== undefined && !DTYPES.includes(dtypeOpt as DType)) {
    throw new TypeError(`${fn}: option 'dtype' must be one of ${DTYPES.join(', ')}, got ${describe(dtypeOpt)}`);
  }
  const want = dtypeOpt as DType | undefined;
  let arr: AnyTypedArray;
  let inferred: readonly number[];
  if (ArrayBuffer.isView(data)) {
    const native = nativeOf(fn, data, want);
    arr = want === undefined || holds(native, want) ? native : convert(native, want, fn);
    inferred = [arr.length];
  } else if (typeof data === 'number' || isArray(data)) {
    inferred = inferShape(data, fn);
    const flat = flatten(data, inferred as number[], fn);
    arr = convert(flat, want ?? 'float32', fn);
  } else {
    // onnxruntime, TF.js, ndarray, npyjs, { data, shape } (ts/interop.ts).
    const foreign = fromForeign(fn, data);
    if (foreign === null) {
      throw new TypeError(`${fn}: argument 'data' must be a typed array, an array of numbers or a tensor-like object ({ data, shape } / { data, dims, type } / a TF.js tensor), got ${describe(data)}`);
    }
    arr = want === undefined || holds(foreign.data, want) ? foreign.data : convert(foreign.data, want, fn);
    inferred = foreign.shape;
  }
  let sh: readonly number[];
  if (shape === undefined) {
    sh = inferred;
  } else {
    sh = shapeFor(fn, shape, arr.length);
  }
  const dtype = nativeDType(arr) ?? 'int64';
  const requiresGrad = gradOpt ?? false;
  if (typeof requiresGrad !== 'boolean') throw new TypeError(`${fn}: option 'requiresGrad' must be a boolean, got ${describe(requiresGrad)}`);
  if (requiresGrad && !isFloatDType(dtype)) {
    throw new TypeError(`${fn}: only tensors of floating point dtype can require gradients, got ${dtype}`);
  }
  return new Tensor(arr, sh, dtype, requiresGrad);
}

/** A 0-d tensor of `value` (internal: a loss's reduced result), without the constructor's
 * argument checks, which a one-element array of a float dtype passes by construction. */
export function scalarTensor(value: number, dtype: FloatDType, requiresGrad = false): Tensor<FloatDType> {
  const v = dtype === 'float32' ? new Float32Array(1) : new Float64Array(1);
  v[0] = value;
  return new Tensor(v, SCALAR_SHAPE, dtype, requiresGrad, null, TRUSTED);
}

/** Integer arrays `tensor()` widens to int32 (segmentation masks, labels as they come). */
export type SmallIntArray = Uint8Array | Uint8ClampedArray | Int8Array | Int16Array | Uint16Array | Uint32Array;

/**
 * One of the four native arrays for a typed array `tensor()` was given: the array itself; a
 * copy of a typed array of another realm; small integer arrays (masks) widened to int32 once;
 * Uint32Array to int32 after a range check (or to int64 when `want` says so).
 */
function nativeOf(fn: string, data: ArrayBufferView, want: DType | undefined): AnyTypedArray {
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof BigInt64Array) return data;
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Int8Array || data instanceof Int16Array || data instanceof Uint16Array) {
    return Int32Array.from(data);
  }
  if (data instanceof Uint32Array) {
    if (want === 'int64') return BigInt64Array.from(data, (v) => BigInt(v));
    if (want === 'float32' || want === 'float64') return Float64Array.from(data);
    for (let i = 0; i < data.length; i++) {
      if (data[i] > 0x7fffffff) {
        throw new RangeError(`${fn}: argument 'data': Uint32Array value ${data[i]} at index ${i} does not fit int32; pass { dtype: 'int64' }`);
      }
    }
    return Int32Array.from(data);
  }
  // A typed array of another realm (an iframe, a vm context): copied into this realm's type.
  const name = typedArrayName(data);
  if (name !== undefined && isForeignTypedArray(data)) {
    const Own = (globalThis as Record<string, unknown>)[name];
    if (typeof Own === 'function') return nativeOf(fn, (Own as unknown as { from(a: ArrayLike<unknown>): ArrayBufferView }).from(data as unknown as ArrayLike<unknown>), want);
  }
  throw new TypeError(
    `${fn}: argument 'data' must be a Float32Array, Float64Array, Int32Array, BigInt64Array, a small integer array ` +
      `(Uint8Array, Int8Array, Int16Array, Uint16Array, Uint32Array) or an array of numbers, got ${describe(data)}`,
  );
}

/** Inclusive integer ranges of the integer dtypes. */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Converts to `dtype`; integer dtypes refuse non-integers and values outside their range
 * (typed arrays would wrap them silently). */
function convert(src: ArrayLike<number | bigint>, dtype: DType, fn: string): AnyTypedArray {
  const n = src.length;
  const bad = (v: number | bigint, i: number, why: string): never => {
    throw new RangeError(`${fn}: ${dtype} data must be ${why}, got ${describe(v)} at index ${i}`);
  };
  if (dtype === 'int64') {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      let b: bigint;
      if (typeof v === 'bigint') b = v;
      else if (Number.isInteger(v)) b = BigInt(v);
      else return bad(v, i, 'integers');
      if (b < INT64_MIN || b > INT64_MAX) bad(v, i, `in the int64 range`);
      out[i] = b;
    }
    return out;
  }
  if (dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      const x = Number(v);
      if (typeof v === 'bigint' ? v < INT32_MIN || v > INT32_MAX : !Number.isInteger(x)) bad(v, i, typeof v === 'bigint' ? 'in the int32 range' : 'integers');
      if (x < INT32_MIN || x > INT32_MAX) bad(v, i, `in the int32 range (${INT32_MIN} to ${INT32_MAX}); use { dtype: 'int64' }`);
      out[i] = x;
    }
    return out;
  }
  const out = new ARRAY_CTOR[dtype](n);
  for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  return out;
}

/** A new tensor of zeros with the given dtype and shape (internal helper for gradients). */
export function zerosOf(dtype: FloatDType, shape: number[]): Tensor {
  return new Tensor(new ARRAY_CTOR[dtype](numel(shape)), shape, dtype);
}

export { numel };
