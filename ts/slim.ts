// lossfn/slim: the same API as `lossfn` without the inlined module (~210 KB less gzipped JS),
// for pages that serve lossfn.wasm themselves: `await init({ wasm: fetch(url) })`.

export * from './api.js';
