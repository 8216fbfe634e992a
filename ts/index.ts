// lossfn: machine-learning losses and their gradients, in WebAssembly SIMD, with PyTorch's
// semantics. `await init()` once, then `F.<loss>(...)` or `new nn.<Loss>().forward(...)`.
// This entry point inlines the wasm module, so init() needs no argument in any runtime.

import { WASM_BASE64 } from './wasm/bytes.js';
import { setDefaultThreadsWasm, setDefaultWasm } from './wasm/runtime.js';

setDefaultWasm(WASM_BASE64);
// A dynamic import: bundlers split the shared-memory module off, fetched only for init({ threads }).
setDefaultThreadsWasm(() => import('./wasm/bytes-threads.js').then((m) => m.WASM_THREADS_BASE64));

export * from './api.js';
