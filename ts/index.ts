// lossfn: machine-learning losses and their gradients, in WebAssembly SIMD, with PyTorch's
// semantics. `await init()` once, then `F.<loss>(...)` or `new nn.<Loss>().forward(...)`.
// This entry point inlines the wasm modules, so init() needs no argument in any runtime. The
// baseline and the relaxed-SIMD module sit in two files that init() imports on demand: it
// loads only the one it picks (see InitOptions.simd), so a browser page downloads one of them.

import { initWith, type InitOptions } from './wasm/runtime.js';

export * from './api.js';

/**
 * Compiles and instantiates the kernels; call once and await it before any loss (later calls
 * return the same promise). Without `options.wasm`, the module inlined in this entry point.
 * `init` itself refers to the inlined bytes, so a bundler that honours `"sideEffects": false`
 * keeps them whenever `init` is used: bundled apps need no configuration.
 */
export function init(options: InitOptions = {}): Promise<void> {
  // Each module behind a dynamic import: bundlers split them off, and a page loads only the
  // one picked (the shared-memory one only for init({ threads })).
  return initWith(options, {
    baseline: async () => (await import('./wasm/bytes.js')).WASM_BASE64,
    relaxed: async () => (await import('./wasm/bytes_relaxed.js')).WASM_BASE64,
    threads: async () => (await import('./wasm/bytes-threads.js')).WASM_THREADS_BASE64,
  });
}
