// Tensors whose storage lives in wasm memory (README "Zero-copy tensors"): a scoring loop fills the same
// buffers call after call, and the drivers hand their addresses to the kernels instead of
// staging copies. The typed array is a view, re-taken whenever `memory.grow` has replaced the
// buffer; the block is freed by `free()` or, as a backstop, when the tensor is collected.

import { Tensor, isFloatDType, numel, type DType, type TypedArrayOf } from './tensor.js';
import type { Exports } from './wasm/abi.js';
import { currentExports, wasm } from './wasm/runtime.js';
import { setAddressOf } from './fingerprint.js';

export interface WasmTensorOptions {
  /** Element type (default float32); int32 for class-index targets. */
  dtype?: DType;
  /** Record gradients for this tensor (floating dtypes only); its `.grad` is an ordinary tensor. */
  requiresGrad?: boolean;
}

const CTOR = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
} as const;

/** What the finalizer needs to give a block back: no reference to the tensor itself. */
interface Block {
  /** The instance the block belongs to, weakly: a swapped-out instance may be collected. */
  instance: WeakRef<Exports>;
  ptr: number;
  bytes: number;
}

/** Frees `b` if its instance is still the current one (a replaced instance's memory went
 * with it). */
function freeBlock(b: Block): void {
  const ex = b.instance.deref();
  if (ex !== undefined && ex === currentExports()) ex.lossfn_free(b.ptr, b.bytes);
}

// The backstop: a wasm tensor dropped without free() gives its block back when collected.
// Finalization timing is up to the engine; free() is the way to bound memory.
const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Block>(freeBlock) : null;

/**
 * A tensor whose elements live in lossfn's wasm memory: losses read it in place, without the
 * copy a JS-array tensor costs. Made by {@link wasmTensor}; otherwise an ordinary `Tensor`.
 *
 * `data` is a view of wasm memory, taken again whenever the memory has grown (which detaches
 * older views): read `t.data` when you use it, never keep it across a lossfn call. After
 * `free()`, or once the wasm instance it was allocated in has been replaced, every use of the
 * tensor throws an Error saying so, instead of reading memory that now belongs to something else.
 */
export class WasmTensor<D extends DType = DType> extends Tensor<D> {
  #block: Block;
  #view: TypedArrayOf<D>;
  #length: number;
  #freed = false;

  /** Use {@link wasmTensor}. */
  constructor(ex: Exports, ptr: number, bytes: number, shape: number[], dtype: D, requiresGrad: boolean) {
    const n = numel(shape);
    const view = new CTOR[dtype](ex.memory.buffer, ptr, n) as TypedArrayOf<D>;
    super(view, shape, dtype, requiresGrad);
    this.#view = view;
    this.#length = n;
    this.#block = { instance: new WeakRef(ex), ptr, bytes };
    registry?.register(this, this.#block, this);
    // An accessor on the instance: it replaces the plain field a Tensor keeps its array in.
    Object.defineProperty(this, 'data', { get: () => this.#current('WasmTensor.data'), enumerable: true, configurable: false });
  }

  /** The view, re-taken after memory growth; a named error after free or re-instantiation. */
  #current(fn: string): TypedArrayOf<D> {
    this.assertLive(fn);
    const ex = currentExports() as Exports;
    if (this.#view.buffer !== ex.memory.buffer) {
      this.#view = new CTOR[this.dtype](ex.memory.buffer, this.#block.ptr, this.#length) as TypedArrayOf<D>;
    }
    return this.#view;
  }

  /** Throws, naming `fn` and `arg`, unless the tensor's storage can still be used. */
  assertLive(fn: string, arg?: string): void {
    const what = arg === undefined ? 'the wasm tensor' : `argument '${arg}' (a wasm tensor)`;
    if (this.#freed) {
      throw new Error(`${fn}: ${what} was freed (free()/dispose()); its memory may already hold other data`);
    }
    const ex = currentExports();
    if (ex === null || ex !== this.#block.instance.deref()) {
      throw new Error(
        `${fn}: ${what} belongs to a lossfn wasm instance that has been replaced (e.g. by release()); its memory is gone: allocate it again`,
      );
    }
  }

  /** The byte address of element 0 in wasm memory, for the drivers; throws once the tensor
   * is freed or its instance replaced (e.g. freed between a forward pass and its backward). */
  get address(): number {
    this.assertLive('WasmTensor.address');
    return this.#block.ptr;
  }

  /** Whether `free()` has run (or the instance was replaced): the tensor can no longer be used. */
  get freed(): boolean {
    return this.#freed || currentExports() !== this.#block.instance.deref();
  }

  /**
   * Gives the storage back to lossfn's allocator now (as onnxruntime-web's `dispose()`); later
   * uses throw. Calling it again does nothing. Gradients (`.grad`) are ordinary tensors and stay.
   */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    registry?.unregister(this);
    freeBlock(this.#block);
  }

  /** The same as {@link free}. */
  dispose(): void {
    this.free();
  }
}

// `using x = wasmTensor(...)` frees it at the end of the block, where the engine has
// `Symbol.dispose` (Node >= 20, Deno, Bun; TS `using` needs lib esnext.disposable).
const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
if (typeof disposeSymbol === 'symbol') {
  Object.defineProperty(WasmTensor.prototype, disposeSymbol, {
    value(this: WasmTensor): void {
      this.free();
    },
  });
}

/**
 * The byte address where the kernels can read `t` in place (a wasm tensor), else -1: the
 * drivers then stage it. An `instanceof` first, so that JS-array tensors pay nothing more.
 */
export function wasmAddressOf(t: Tensor): number {
  return t instanceof WasmTensor ? t.address : -1;
}

/**
 * `a` (the data of `t`, or an array made from it), or a JS copy of it when `t` is a wasm tensor:
 * for code that keeps the array across a call's `scratch()`, which may grow memory and so
 * detach the view. The copy costs what staging would; only the elementwise and row drivers
 * read wasm tensors in place.
 */
export function hostCopy<A extends { slice(): A }>(t: Tensor, a: A): A {
  return t instanceof WasmTensor ? a.slice() : a;
}

/**
 * A tensor of zeros whose storage lives in wasm memory (a zero-copy tensor; README "Zero-copy tensors"),
 * as `torch.zeros(shape, dtype=...)` on lossfn's own "device". Fill it through `t.data` (e.g.
 * `t.data.set(batch)`), pass it to losses as any tensor: when every operand of a call lives in
 * wasm memory, the kernel reads them in place instead of copying them in. Free it with
 * `t.free()` (or `dispose()`, or `using`); an unreachable one is freed when collected.
 *
 * Needs `await init()` first. Its `data` is re-taken after memory growth: read `t.data` each
 * time, never keep the array across lossfn calls.
 *
 * @example
 * const logits = wasmTensor([1000, 1000]);
 * const labels = wasmTensor([1000], { dtype: 'int32' });
 * for (const batch of batches) {
 *   logits.data.set(batch.logits);
 *   labels.data.set(batch.labels);
 *   total += F.crossEntropy(logits, labels).item();
 * }
 * logits.free();
 * labels.free();
 */
export function wasmTensor(shape: readonly number[], options: WasmTensorOptions = {}): WasmTensor {
  const fn = 'wasmTensor';
  if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new TypeError(`${fn}: argument 'shape' must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: argument 'options' must be an object`);
  for (const k of Object.keys(options)) {
    if (k !== 'dtype' && k !== 'requiresGrad') throw new TypeError(`${fn}: unknown option '${k}' (expected 'dtype', 'requiresGrad')`);
  }
  const dtype = options.dtype ?? 'float32';
  if (!(dtype in CTOR)) throw new TypeError(`${fn}: option 'dtype' must be one of ${Object.keys(CTOR).join(', ')}, got ${String(dtype)}`);
  const requiresGrad = options.requiresGrad ?? false;
  if (typeof requiresGrad !== 'boolean') throw new TypeError(`${fn}: option 'requiresGrad' must be a boolean`);
  if (requiresGrad && !isFloatDType(dtype)) {
    throw new TypeError(`${fn}: only tensors of floating point dtype can require gradients, got ${dtype}`);
  }
  const ex = wasm(fn);
  const bytes = numel(shape) * CTOR[dtype].BYTES_PER_ELEMENT;
  // lossfn_alloc takes a u32 size, and wasm32 memory ends at 4 GiB.
  if (bytes > 2 ** 32 - 2 ** 16) throw new RangeError(`${fn}: ${bytes} bytes do not fit in wasm memory (4 GiB)`);
  const ptr = ex.lossfn_alloc(bytes) >>> 0;
  if (ptr === 0) throw new RangeError(`${fn}: cannot allocate ${bytes} bytes of wasm memory`);
  // The allocator does not zero recycled blocks.
  new Uint8Array(ex.memory.buffer, ptr, bytes).fill(0);
  return new WasmTensor(ex, ptr, bytes, shape.slice(), dtype, requiresGrad);
}

// The input guard (ts/fingerprint.ts) hashes wasm tensors in place.
setAddressOf(wasmAddressOf);
