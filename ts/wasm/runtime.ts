// Owns the WebAssembly instance: loading, the SIMD check, views over memory, the scratch
// arena, and turning non-zero statuses into Errors.

import { ABI_VERSION, STATUS_OK, type Exports } from './abi.js';
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
 * there the relaxed module has none of the gain and runs 5–10 % slower (docs/bench.md).
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
/** The modules `init()` uses when given none: the inlined bytes (set by ts/index.ts, each
 * behind a dynamic import, so that only the one picked is loaded: a browser page does not
 * download both), or none in the `lossfn/slim` entry point, which ships without them. */
let defaults: { baseline: Base64Loader; relaxed: Base64Loader } | null = null;

/** Registers the inlined modules as init()'s defaults. */
export function setDefaultWasm(loaders: { baseline: Base64Loader; relaxed: Base64Loader }): void {
  defaults = loaders;
}
let pending: Promise<void> | null = null;

/**
 * Compiles and instantiates the kernels. Call once and await it before any loss; later calls
 * return the same promise (a failed attempt can be retried).
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`init: options must be an object, got ${typeof options}`);
  }
  const simd = options.simd ?? 'auto';
  if (simd !== 'auto' && simd !== 'relaxed' && simd !== 'baseline') {
    throw new TypeError(`init: options.simd must be 'auto', 'relaxed' or 'baseline', got ${JSON.stringify(simd)}`);
  }
  pending ??= load(options.wasm, simd).catch((e: unknown) => {
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

async function load(source: WasmSource | undefined, simd: 'auto' | 'relaxed' | 'baseline'): Promise<void> {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error(
      'lossfn: this JavaScript engine does not support WebAssembly SIMD128, which lossfn ' +
        'requires (Node >= 16.4, Deno, Bun, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4).',
    );
  }
  let instance: WebAssembly.Instance;
  if (source === undefined) {
    const relaxed = simd === 'relaxed' || (simd === 'auto' && defaultWasmVariant() === 'relaxed');
    if (relaxed && !hasRelaxedSimd()) {
      throw new Error(
        "init: options.simd is 'relaxed' but this JavaScript engine does not support WebAssembly " +
          "relaxed SIMD (Node >= 22, Deno, Bun, Chrome/Edge >= 114 do): use 'auto' or 'baseline'",
      );
    }
    instance = (await instantiateDefault(relaxed ? 'relaxed' : 'baseline')).instance;
  } else {
    try {
      instance = (await instantiate(source)).instance;
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
  const ex = instance.exports as unknown as Exports;
  const abi = ex.lossfn_abi_version();
  if (abi !== ABI_VERSION) {
    throw new Error(`lossfn: the wasm module speaks ABI ${abi}, this build of lossfn expects ${ABI_VERSION}`);
  }
  // (A module of this ABI built before the export existed is a baseline one.)
  variantRef = typeof ex.lossfn_relaxed_simd === 'function' && ex.lossfn_relaxed_simd() === 1 ? 'relaxed' : 'baseline';
  exportsRef = ex;
}

async function instantiateDefault(which: WasmVariant): Promise<{ instance: WebAssembly.Instance }> {
  if (defaults === null) {
    throw new TypeError(
      "init: this is lossfn/slim, which does not inline the module: pass init({ wasm }) " +
        "(e.g. fetch(new URL('lossfn/lossfn.wasm', import.meta.url)) or the bytes)",
    );
  }
  return WebAssembly.instantiate(decodeBase64(await defaults[which]()), {});
}

async function instantiate(source: WasmSource): Promise<{ instance: WebAssembly.Instance }> {
  if (source instanceof WebAssembly.Module) {
    return { instance: await WebAssembly.instantiate(source, {}) };
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

async function fromResponse(r: Response | PromiseLike<Response>): Promise<{ instance: WebAssembly.Instance }> {
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
export function views(ex: Exports): Views {
  // `memory.grow` detaches the old buffer, which leaves every view on it 0 elements long: a
  // length test, where reading `memory.buffer` (a getter into the engine) cost a tenth of a
  // small call. (The module's memory is never empty: it starts at 17 pages.)
  if (viewsCache === null || viewsOf !== ex || viewsCache.u8.length === 0) {
    const buf = ex.memory.buffer;
    viewsCache = { f32: new Float32Array(buf), f64: new Float64Array(buf), i32: new Int32Array(buf), u8: new Uint8Array(buf) };
    viewsOf = ex;
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

/**
 * The grow-only scratch arena: at least `bytes` bytes, 16-byte aligned, reused across calls so
 * that repeated calls never grow memory. Its address may change when it grows, so take it
 * (and views) again for each call.
 */
export function scratch(ex: Exports, bytes: number): number {
  if (bytes > arenaBytes) {
    if (arenaPtr !== 0) ex.lossfn_free(arenaPtr, arenaBytes);
    const size = Math.max(bytes, arenaBytes * 2);
    const ptr = ex.lossfn_alloc(size) >>> 0;
    if (ptr === 0) {
      arenaPtr = 0;
      arenaBytes = 0;
      throw new Error(`lossfn: cannot allocate ${size} bytes of wasm memory`);
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
