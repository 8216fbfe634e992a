// lossfn/slim: the same API as `lossfn` without the inlined modules (~220 KB less gzipped JS each),
// for pages that serve lossfn.wasm (or lossfn-relaxed.wasm: see hasRelaxedSimd()) themselves:
// `await init({ wasm: fetch(url) })`, or in Node, Deno and Bun
// `await init({ wasm: import.meta.resolve('lossfn/lossfn.wasm') })`.

import { initWith, type InitOptions } from './wasm/runtime.js';

export * from './api.js';

/**
 * Compiles and instantiates the kernels from `options.wasm` (bytes, a WebAssembly.Module, a
 * URL or a Response); call once and await it before any loss.
 */
export function init(options: InitOptions = {}): Promise<void> {
  return initWith(options, null);
}
