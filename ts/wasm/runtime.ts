// Owns the WebAssembly instance: loading, the SIMD check, views over memory, the scratch
// arena, and turning non-zero statuses into Errors.

import { ABI_VERSION, STATUS_OK, type Exports } from './abi.js';
import { describe } from '../describe.js';
import type { FloatArray, FloatDType } from '../tensor.js';
import { singleThread, startThreads, threadsBlocker } from '../threads.js';

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
  /**
   * Threads large calls run on (default 1): `threads − 1` workers share the module's memory
   * with the calling thread, which takes its share (README "Two threads"). Needs the shared-memory
   * module (inlined by the default entry point; with `lossfn/slim`, pass
   * `lossfn/lossfn-threads.wasm` as `wasm`), and in browsers a cross-origin isolated page;
   * where either is missing, lossfn runs on one thread and warns once. Results are the same
   * bits whatever the count.
   */
  threads?: number;
  /**
   * Which of the two inlined modules `init()` loads when `wasm` is not given:
   * - `'auto'` (default): {@link defaultWasmVariant}: the relaxed-SIMD module where the engine
   *   has relaxed SIMD and fuses its multiply-adds (Node ≥ 22, Deno, Chrome/Edge ≥ 114 on
   *   CPUs with FMA), else the baseline (Node 20, Bun, engines without relaxed SIMD);
   * - `'relaxed'`: the relaxed-SIMD module (fused multiply-adds in the exp/log polynomials;
   *   results may differ from the baseline's by an ulp); an Error where relaxed SIMD is absent;
   * - `'baseline'`: the SIMD128 module, bit-identical across engines.
   * With `wasm`, the module given is used as it is (`lossfn/lossfn.wasm` or
   * `lossfn/lossfn-relaxed.wasm`); {@link wasmVariant} tells which one it was.
   */
  simd?: 'auto' | 'relaxed' | 'baseline';
}

/** Which module `init()` loaded: `'baseline'` (SIMD128) or `'relaxed'` (relaxed SIMD). */
export type WasmVariant = 'baseline' | 'relaxed';

// A 1-function module using `v128` (f32x4.splat): validates only on engines with SIMD128.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 67, 0, 0, 0,
  0, 253, 19, 11,
]);

// `f32x4.relaxed_madd` on three splats: validates only where relaxed SIMD is on (Node 20 has it
// behind --experimental-wasm-relaxed-simd only).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 28, 1, 26, 0, 67, 0, 0, 0,
  0, 253, 19, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19, 253, 133, 2, 11,
]);

/** True where the engine runs WebAssembly relaxed SIMD (so `lossfn-relaxed.wasm` loads). */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

// `f(a, b, c)` = lane 0 of `f32x4.relaxed_madd(splat a, splat b, splat c)`.
const FMA_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 125, 125, 125, 1, 125, 3, 2, 1, 0, 7, 5, 1, 1, 102,
  0, 0, 10, 22, 1, 20, 0, 32, 0, 253, 19, 32, 1, 253, 19, 32, 2, 253, 19, 253, 133, 2, 253, 31, 0,
  11,
]);

/**
 * The module `init()` loads by default: `'relaxed'` where the engine has relaxed SIMD and fuses
 * `relaxed_madd` (one rounding), else `'baseline'`. An engine that validates relaxed SIMD but
 * computes `relaxed_madd` as a multiply and an add (Bun's JavaScriptCore) gets the baseline:
 * there the relaxed module has none of the gain and runs 5–10 % slower (README "Benchmark").
 * For `lossfn/slim` pages choosing the file to fetch:
 * `init({ wasm: fetch(defaultWasmVariant() === 'relaxed' ? relaxedUrl : baselineUrl) })`.
 */
export function defaultWasmVariant(): WasmVariant {
  if (!hasRelaxedSimd()) return 'baseline';
  const f = new WebAssembly.Instance(new WebAssembly.Module(FMA_PROBE), {}).exports.f as (a: number, b: number, c: number) => number;
  // (1 + 2⁻¹²)² − 1 = 2⁻¹¹ + 2⁻²⁴ exactly; rounding the product to float32 first drops the 2⁻²⁴.
  const a = 1 + 2 ** -12;
  return f(a, a, -1) === 2 ** -11 ? 'baseline' : 'relaxed';
}

let exportsRef: Exports | null = null;
let variantRef: WasmVariant | null = null;

/** Loads an inlined module's base64. */
export type Base64Loader = () => Promise<string>;
/** The modules an entry point inlines, each behind a dynamic import so that only the one
 * picked is loaded (a browser page does not download both); `lossfn/slim` has none. */
export interface Inlined {
  baseline: Base64Loader;
  relaxed: Base64Loader;
  /** The shared-memory module for `init({ threads })` (null: this build has none). */
  threads: () => Promise<string | null>;
}
let inlinedRef: Inlined | null = null;
/** The compiled module, kept so that `release()` can instantiate it afresh. */
let moduleRef: WebAssembly.Module | null = null;
let pending: Promise<void> | null = null;

/**
 * Compiles and instantiates the kernels: the module `options.wasm`, else one of `inlined` (the
 * modules the `lossfn` entry point passes, behind dynamic imports; `lossfn/slim` has none). Each entry point's
 * `init()` calls this with its own module, so the inlined bytes are reachable from `init`
 * itself: no module-level side effect a bundler could drop under `"sideEffects": false`.
 * Later calls return the same promise (a failed attempt can be retried).
 */
export function initWith(options: InitOptions, inlined: Inlined | null): Promise<void> {
  let source: WasmSource | undefined;
  try {
    if (typeof options !== 'object' || options === null) throw new Error();
    source = options.wasm;
  } catch {
    return Promise.reject(new TypeError(`init: options must be an object like { wasm }, got ${describe(options)}`));
  }
  let threads: number;
  let simd: unknown;
  try {
    threads = options.threads ?? 1;
    simd = options.simd ?? 'auto';
  } catch {
    return Promise.reject(new TypeError('init: options could not be read'));
  }
  if (!Number.isInteger(threads) || threads < 1) {
    return Promise.reject(new TypeError(`init: options.threads must be an integer >= 1, got ${describe(threads)}`));
  }
  if (simd !== 'auto' && simd !== 'relaxed' && simd !== 'baseline') {
    return Promise.reject(new TypeError(`init: options.simd must be 'auto', 'relaxed' or 'baseline', got ${describe(simd)}`));
  }
  inlinedRef = inlined;
  pending ??= load(source, simd, threads).catch((e: unknown) => {
    pending = null;
    throw e;
  });
  return pending;
}

/** True once `init()` has resolved. */
export function isInitialized(): boolean {
  return exportsRef !== null;
}

/** Which module `init()` loaded (`'baseline'` or `'relaxed'`); null before `init()`. */
export function wasmVariant(): WasmVariant | null {
  return variantRef;
}

async function load(source: WasmSource | undefined, simd: 'auto' | 'relaxed' | 'baseline', threads = 1): Promise<void> {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error(
      'lossfn: this JavaScript engine does not support WebAssembly SIMD128, which lossfn ' +
        'requires (Node >= 16.4, Deno, Bun, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4).',
    );
  }
  let ex: Exports | null = null;
  let module: WebAssembly.Module | null = null;
  if (threads > 1) {
    // The shared-memory build is the baseline SIMD128 one (no relaxed + threads build).
    const blocker = threadsBlocker();
    const shared = blocker === null ? await compileThreads(source) : null;
    if (shared !== null) ex = await startThreads(shared, threads);
    else singleThread(blocker ?? 'this package has no shared-memory module (lossfn-threads.wasm)');
  }
  if (ex === null) {
    let loaded: { instance: WebAssembly.Instance; module: WebAssembly.Module };
    if (source === undefined) {
      const relaxed = simd === 'relaxed' || (simd === 'auto' && defaultWasmVariant() === 'relaxed');
      if (relaxed && !hasRelaxedSimd()) {
        throw new Error(
          "init: options.simd is 'relaxed' but this JavaScript engine does not support WebAssembly " +
            "relaxed SIMD (Node >= 22, Deno, Bun, Chrome/Edge >= 114 do): use 'auto' or 'baseline'",
        );
      }
      loaded = await instantiateDefault(relaxed ? 'relaxed' : 'baseline');
    } else {
      try {
        loaded = await instantiate(source);
      } catch (e) {
        if (e instanceof WebAssembly.CompileError && !hasRelaxedSimd()) {
          throw new Error(
            'lossfn: the wasm module does not compile here; lossfn-relaxed.wasm needs WebAssembly ' +
              'relaxed SIMD, which this engine lacks: load lossfn.wasm instead (' + e.message + ')',
          );
        }
        throw e;
      }
    }
    ex = loaded.instance.exports as unknown as Exports;
    module = loaded.module;
  }
  const abi = ex.lossfn_abi_version();
  if (abi !== ABI_VERSION) {
    throw new Error(`lossfn: the wasm module speaks ABI ${abi}, this build of lossfn expects ${ABI_VERSION}`);
  }
  // (A module of this ABI built before the export existed is a baseline one.)
  variantRef = typeof ex.lossfn_relaxed_simd === 'function' && ex.lossfn_relaxed_simd() === 1 ? 'relaxed' : 'baseline';
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
  if (exportsRef !== null && moduleRef === null) {
    // init({ threads }): the workers run on this instance's shared memory.
    throw new Error('release: not available with init({ threads }): the worker threads share this instance\'s memory');
  }
  if (exportsRef === null || moduleRef === null) return 0;
  const before = exportsRef.memory.buffer.byteLength;
  const instance = await WebAssembly.instantiate(moduleRef, {});
  exportsRef = instance.exports as unknown as Exports;
  arenaPtr = 0;
  arenaBytes = 0;
  viewsCache = null;
  return before - exportsRef.memory.buffer.byteLength;
}

async function instantiateDefault(which: WasmVariant): Promise<{ instance: WebAssembly.Instance; module: WebAssembly.Module }> {
  if (inlinedRef === null) {
    throw new TypeError(
      "init: this is lossfn/slim, which does not inline the module: pass init({ wasm }), e.g. " +
        "init({ wasm: import.meta.resolve('lossfn/lossfn.wasm') }) (Node, Deno, Bun; a bundler: its URL of the " +
        "asset), fetch(url) of the served file, or the bytes (lossfn-relaxed.wasm where defaultWasmVariant() says so)",
    );
  }
  return WebAssembly.instantiate(decodeBase64(await inlinedRef[which]()), {});
}

async function instantiate(source: WasmSource): Promise<{ instance: WebAssembly.Instance; module: WebAssembly.Module }> {
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

/** The shared-memory module for `init({ threads })`: `source`, or the inlined one (null: none). */
async function compileThreads(source: WasmSource | undefined): Promise<WebAssembly.Module | null> {
  if (source === undefined) {
    const b64 = inlinedRef === null ? null : await inlinedRef.threads();
    return b64 === null ? null : WebAssembly.compile(decodeBase64(b64));
  }
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source as BufferSource);
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, typeof location === 'undefined' ? undefined : location.href);
    if (url.protocol === 'file:') return WebAssembly.compile(await readFile(url));
    source = fetch(url);
  }
  const res = await (source as Response | PromiseLike<Response>);
  if (!res.ok) throw new Error(`init: fetching the wasm module failed with HTTP ${res.status}`);
  return WebAssembly.compile(await res.arrayBuffer());
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
let viewsOf: Exports | null = null;

/** Current views over wasm memory. Never keep one across a call into wasm: take it again. */
let viewsShared = false;
export function views(ex: Exports): Views {
  // `memory.grow` detaches the old buffer, which leaves every view on it 0 elements long: a
  // length test, where reading `memory.buffer` (a getter into the engine) cost a tenth of a
  // small call. (The module's memory is never empty: it starts at 17 pages.)
  // A shared memory (init({ threads })) is never detached: growth leaves old views valid but
  // short, so there the length is compared with the buffer's.
  if (
    viewsCache === null || viewsOf !== ex || viewsCache.u8.length === 0 ||
    (viewsShared && viewsCache.u8.length !== ex.memory.buffer.byteLength)
  ) {
    const buf = ex.memory.buffer;
    viewsCache = { f32: new Float32Array(buf), f64: new Float64Array(buf), i32: new Int32Array(buf), u8: new Uint8Array(buf) };
    viewsOf = ex;
    viewsShared = typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer;
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
/** The last module's table: one comparison instead of a WeakMap lookup per call. */
let lastEx: Exports | null = null;
let lastByStem: Map<string, unknown[]> | null = null;
export function kernel<K>(ex: Exports, stem: string, dir: 'forward' | 'backward' | 'piece', dtype: FloatDType): K {
  let byStem = ex === lastEx ? lastByStem : kernels.get(ex);
  if (!byStem) kernels.set(ex, (byStem = new Map()));
  lastEx = ex;
  lastByStem = byStem;
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
  // slice(): TextDecoder refuses views of shared memory (the threads build's).
  const msg = new TextDecoder().decode(views(ex).u8.slice(ptr, ptr + len));
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

// ---- Zero-copy tensors (ts/wasm_tensor.ts) ------------------------------------------------

/** The current instance's exports, or null before `init()`; wasm tensors compare it with the
 * instance they were allocated in (an instance swapped in since has another memory). */
export function currentExports(): Exports | null {
  return exportsRef;
}
