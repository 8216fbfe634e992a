// lossfn: machine-learning losses and their gradients, in WebAssembly SIMD, with PyTorch's
// semantics. `await init()` once, then `F.<loss>(...)` or `new nn.<Loss>().forward(...)`.
// This entry point inlines the wasm modules, so init() needs no argument in any runtime. The
// baseline and the relaxed-SIMD module sit in two files that init() imports on demand: it
// loads only the one it picks (see InitOptions.simd), so a browser page downloads one of them.

import { setDefaultWasm } from './wasm/runtime.js';

setDefaultWasm({
  baseline: async () => (await import('./wasm/bytes.js')).WASM_BASE64,
  relaxed: async () => (await import('./wasm/bytes_relaxed.js')).WASM_BASE64,
});

export * from './api.js';
