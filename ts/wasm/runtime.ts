// Owns the WebAssembly instance: loading, the SIMD check, views over memory, the scratch
// arena, and turning non-zero statuses into Errors.

import { ABI_VERSION, STATUS_OK, type Exports } from './abi.js';
import { describe } from '../describe.js';
import type { FloatArray, FloatDType } from '../tensor.js';

/** What `init({ wasm })` accepts. */
export type WasmSource =
  | BufferSource
  | WebAssembly.Module
  | URL
  | string
  | Response
  | PromiseLike<Response>;

export interface InitOptions {
  /**
   * The module to use instead of the inlined bytes: its bytes, a compiled
   * `WebAssembly.Module`, a URL (or URL string; `file:` URLs are read with `node:fs` where it
   * exists) or a `Response` (e.g. `fetch(url)`, compiled with `instantiateStreaming` when the
   * engine has it).
   */
  wasm?: WasmSource;
}

// A 1-function module using `v128` (f32x4.splat): validates only on engines with SIMD128.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 67, 0, 0, 0,
  0, 253, 19, 11,
]);

let exportsRef: Exports | null = null;
/** The compiled module, kept so that `release()` can instantiate it afresh. */
let moduleRef: WebAssembly.Module | null = null;
let pending: Promise<void> | null = null;

/**
 * Compiles and instantiates the kernels: the module `options.wasm`, else `inlined` (the
 * base64 bytes the `lossfn` entry point passes; `lossfn/slim` has none). Each entry point's
 * `init()` calls this with its own module, so the inlined bytes are reachable from `init`
 * itself: no module-level side effect a bundler could drop under `"sideEffects": false`.
 * Later calls return the same promise (a failed attempt can be retried).
 */
export function initWith(options: InitOptions, inlined: string | null): Promise<void> {
  let source: WasmSource | undefined;
  try {
    if (typeof options !== 'object' || options === null) throw new Error();
    source = options.wasm;
  } catch {
    return Promise.reject(new TypeError(`init: options must be an object like { wasm }, got ${describe(options)}`));
  }
  pending ??= load(source, inlined).catch((e: unknown) => {
    pending = null;
    throw e;
  });
  return pending;
}

/** True once `init()` has resolved. */
export function isInitialized(): boolean {
  return exportsRef !== null;
}

async function load(source: WasmSource | undefined, inlined: string | null): Promise<void> {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error(
      'lossfn: this JavaScript engine does not support WebAssembly SIMD128, which lossfn ' +
        'requires (Node >= 16.4, Deno, Bun, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4).',
    );
  }
  const { instance, module } = await instantiate(source, inlined);
  const ex = instance.exports as unknown as Exports;
  const abi = ex.lossfn_abi_version();
  if (abi !== ABI_VERSION) {
    throw new Error(`lossfn: the wasm module speaks ABI ${abi}, this build of lossfn expects ${ABI_VERSION}`);
  }
  exportsRef = ex;
  moduleRef = module;
}

/**
 * Gives the wasm memory back: swaps in a fresh instance of the same compiled module (a wasm
 * memory cannot shrink, so the old instance and its memory are left to the garbage collector)
 * and resolves to the bytes released (the old memory's size minus the new one's). Tensors,
 * results and pending backward passes are unaffected: they live in JS, and every call takes
 * the current instance. Before `init()` it resolves to 0.
 */
export async function release(): Promise<number> {
  if (pending !== null) await pending.catch(() => undefined);
  if (exportsRef === null || moduleRef === null) return 0;
  const before = exportsRef.memory.buffer.byteLength;
  const instance = await WebAssembly.instantiate(moduleRef, {});
  exportsRef = instance.exports as unknown as Exports;
  arenaPtr = 0;
  arenaBytes = 0;
  viewsCache = null;
  return before - exportsRef.memory.buffer.byteLength;
}

async function instantiate(source: WasmSource | undefined, inlined: string | null): Promise<{ instance: WebAssembly.Instance; module: WebAssembly.Module }> {
  if (source === undefined) {
    if (inlined === null) {
      throw new TypeError(
        "init: this is lossfn/slim, which does not inline the module: pass init({ wasm }), e.g. " +
          "init({ wasm: import.meta.resolve('lossfn/lossfn.wasm') }) (Node, Deno, Bun; a bundler: its URL of the " +
          "asset), fetch(url) of the served file, or the bytes",
      );
    }
    return WebAssembly.instantiate(decodeBase64(inlined), {});
  }
  if (source instanceof WebAssembly.Module) {
    return { instance: await WebAssembly.instantiate(source, {}), module: source };
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.instantiate(source as BufferSource, {});
  }
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, typeof location === 'undefined' ? undefined : location.href);
    if (url.protocol === 'file:') return WebAssembly.instantiate(await readFile(url), {});
    return fromResponse(fetch(url));
  }
  if (typeof (source as PromiseLike<Response>).then === 'function' || isResponse(source)) {
    return fromResponse(source as Response | PromiseLike<Response>);
  }
  throw new TypeError(
    'init: options.wasm must be bytes, a WebAssembly.Module, a URL or a Response',
  );
}

function isResponse(v: unknown): v is Response {
  return typeof Response !== 'undefined' && v instanceof Response;
}

async function fromResponse(r: Response | PromiseLike<Response>): Promise<{ instance: WebAssembly.Instance; module: WebAssembly.Module }> {
  const res = await r;
  if (!res.ok) throw new Error(`init: fetching the wasm module failed with HTTP ${res.status}`);
  const streaming = typeof WebAssembly.instantiateStreaming === 'function' &&
    res.headers.get('content-type')?.startsWith('application/wasm');
  if (streaming) return WebAssembly.instantiateStreaming(res, {});
  return WebAssembly.instantiate(await res.arrayBuffer(), {});
}

async function readFile(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  // A non-literal specifier: no @types/node needed, and browser bundlers leave it alone.
  const spec = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ spec)) as { readFile(u: URL): Promise<Uint8Array> };
  return new Uint8Array(await fs.readFile(url));
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The instance's exports; throws the "await init()" error before initialisation. */
export function wasm(fn: string): Exports {
  if (exportsRef === null) {
    throw new Error(`${fn}: lossfn is not initialised; call and await init() first`);
  }
  caller = fn;
  return exportsRef;
}

/** Views over wasm memory, rebuilt whenever `memory.grow` has replaced the buffer. */
export interface Views {
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
}
let viewsCache: Views | null = null;

/** Current views over wasm memory. Never keep one across a call into wasm: take it again. */
export function views(ex: Exports): Views {
  const buf = ex.memory.buffer;
  if (viewsCache === null || viewsCache.u8.buffer !== buf) {
    viewsCache = { f32: new Float32Array(buf), f64: new Float64Array(buf), i32: new Int32Array(buf), u8: new Uint8Array(buf) };
  }
  return viewsCache;
}

/** The typed-array constructor of a float dtype. */
export const floatArray = (d: FloatDType): Float32ArrayConstructor | Float64ArrayConstructor =>
  d === 'float32' ? Float32Array : Float64Array;

/** Bytes per element of a float dtype. */
export const floatBytes = (d: FloatDType): 4 | 8 => (d === 'float32' ? 4 : 8);

/**
 * The export `lossfn_<stem>_<dir>_<f32|f64>`, looked up once per module: building the name and
 * reading it off the exports object took a sixth of a small call's time.
 */
const kernels = new WeakMap<Exports, Map<string, unknown[]>>();
export function kernel<K>(ex: Exports, stem: string, dir: 'forward' | 'backward' | 'piece', dtype: FloatDType): K {
  let byStem = kernels.get(ex);
  if (!byStem) kernels.set(ex, (byStem = new Map()));
  let slots = byStem.get(stem);
  if (!slots) byStem.set(stem, (slots = [undefined, undefined, undefined, undefined, undefined, undefined]));
  const i = (dir === 'forward' ? 0 : dir === 'backward' ? 2 : 4) + (dtype === 'float32' ? 0 : 1);
  if (slots[i] === undefined) {
    const f = (ex as unknown as Record<string, unknown>)[`lossfn_${stem}_${dir}_${dtype === 'float32' ? 'f32' : 'f64'}`];
    if (typeof f !== 'function') throw new Error(`lossfn: the wasm module has no kernel ${stem} (${dir}, ${dtype})`);
    slots[i] = f;
  }
  return slots[i] as K;
}

/** The float view of wasm memory for `d`; take it again after every call into wasm. */
export const heapOf = (ex: Exports, d: FloatDType): FloatArray => (d === 'float32' ? views(ex).f32 : views(ex).f64);

/** Throws the module's last error if `status` is not OK (a bug in the TS layer's validation). */
export function check(ex: Exports, fn: string, status: number): void {
  if (status === STATUS_OK) return;
  const ptr = ex.lossfn_last_error_ptr() >>> 0;
  const len = ex.lossfn_last_error_len() >>> 0;
  const msg = new TextDecoder().decode(views(ex).u8.subarray(ptr, ptr + len));
  throw new Error(`${fn}: internal error from the kernel (status ${status}): ${msg}`);
}

let arenaPtr = 0;
let arenaBytes = 0;
/** The public function of the call in progress (set by `wasm(fn)`, which every kernel call
 * site takes its exports from), so the scratch arena's errors name it. */
let caller = 'lossfn';

/** Largest scratch request: `lossfn_alloc` takes a 32-bit size (a larger one would wrap to a
 * small block treated as huge), and wasm32 memory ends at 4 GiB. The drivers stream, so only
 * a bug or a hostile shape asks for more; refuse before the size reaches wasm. */
export const MAX_SCRATCH_BYTES = 2 ** 31 - 2 ** 16;

/**
 * The grow-only scratch arena: at least `bytes` bytes, 16-byte aligned, reused across calls so
 * that repeated calls never grow memory. Its address may change when it grows, so take it
 * (and views) again for each call.
 */
export function scratch(ex: Exports, bytes: number): number {
  if (!(bytes >= 0 && bytes <= MAX_SCRATCH_BYTES)) {
    throw new RangeError(`${caller}: the call needs ${bytes} bytes of wasm scratch memory, more than the ${MAX_SCRATCH_BYTES} lossfn can allocate`);
  }
  if (bytes > arenaBytes) {
    if (arenaPtr !== 0) ex.lossfn_free(arenaPtr, arenaBytes);
    const size = Math.min(MAX_SCRATCH_BYTES, Math.max(bytes, arenaBytes * 2));
    const ptr = ex.lossfn_alloc(size) >>> 0;
    if (ptr === 0) {
      arenaPtr = 0;
      arenaBytes = 0;
      throw new Error(`${caller}: cannot allocate ${size} bytes of wasm memory`);
    }
    arenaPtr = ptr;
    arenaBytes = size;
  }
  return arenaPtr;
}

/** Bytes of wasm memory in use by the module (for the README's memory bound and its test). */
export function memoryBytes(): number {
  return exportsRef === null ? 0 : exportsRef.memory.buffer.byteLength;
}
