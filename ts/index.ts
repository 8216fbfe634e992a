// lossfn: machine-learning losses and their gradients, in WebAssembly SIMD, with PyTorch's
// semantics. `await init()` once, then `F.<loss>(...)` or `new nn.<Loss>().forward(...)`.
// This entry point inlines the wasm module, so init() needs no argument in any runtime.

import { WASM_BASE64 } from './wasm/bytes.js';
import { initWith, type InitOptions } from './wasm/runtime.js';

export * from './api.js';

/**
 * Compiles and instantiates the kernels; call once and await it before any loss (later calls
 * return the same promise). Without `options.wasm`, the module inlined in this entry point.
 * `init` itself refers to the inlined bytes, so a bundler that honours `"sideEffects": false`
 * keeps them whenever `init` is used: bundled apps need no configuration.
 */
export function init(options: InitOptions = {}): Promise<void> {
  return initWith(options, WASM_BASE64);
}
