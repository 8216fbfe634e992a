// lossfn/slim: the same API as `lossfn` without the inlined modules (~220 KB less gzipped JS each),
// for pages that serve lossfn.wasm (or lossfn-relaxed.wasm: see hasRelaxedSimd()) themselves:
// `await init({ wasm: fetch(url) })`.

export * from './api.js';
