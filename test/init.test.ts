// init(): before it, losses say to await it; it accepts bytes, a Module, a file URL and a
// Response; later calls are no-ops. (Vitest isolates test files, so this file starts
// uninitialised.)
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { defaultWasmVariant, F, hasRelaxedSimd, init, isInitialized, tensor } from '../ts/index.js';

const wasmUrl = new URL('../dist/lossfn.wasm', import.meta.url);

describe('init', () => {
  it('a loss called before init() throws an Error that says to await init()', () => {
    expect(isInitialized()).toBe(false);
    expect(() => F.mseLoss(tensor([1]), tensor([2]))).toThrow(/mseLoss: .*await init\(\)/);
  });

  it('rejects a bad options.wasm with a TypeError naming the option, and can be retried', async () => {
    await expect(init({ wasm: 42 as never })).rejects.toThrow(/options\.wasm/);
    expect(isInitialized()).toBe(false);
  });

  it('accepts the module as bytes, a WebAssembly.Module, a file URL and a Response', async () => {
    const bytes = new Uint8Array(readFileSync(wasmUrl));
    // Each source is instantiated by a fresh copy of the runtime module (vi.resetModules).
    const sources = [
      bytes,
      bytes.buffer,
      new WebAssembly.Module(bytes),
      wasmUrl,
      wasmUrl.href,
      new Response(bytes, { headers: { 'content-type': 'application/wasm' } }),
      Promise.resolve(new Response(bytes)),
    ];
    for (const wasm of sources) {
      vi.resetModules();
      const rt = await import('../ts/wasm/runtime.js');
      await rt.initWith({ wasm }, null);
      expect(rt.isInitialized()).toBe(true);
    }
  });

  it('rejects a bad options.simd with a TypeError naming the option', async () => {
    // init() reports bad options as a rejected promise, as every other init() error.
    await expect(init({ simd: 'fast' as never })).rejects.toThrow(/^init: options\.simd must be 'auto', 'relaxed' or 'baseline', got string "fast"/);
    expect(isInitialized()).toBe(false);
  });

  it("simd: 'auto' picks defaultWasmVariant(); 'baseline' and 'relaxed' force one", async () => {
    // This process's engine decides 'auto' (Node 20: baseline; Node 22+ with FMA: relaxed).
    expect(defaultWasmVariant()).toBe(hasRelaxedSimd() ? defaultWasmVariant() : 'baseline');
    vi.resetModules();
    let api = await import('../ts/index.js');
    expect(api.wasmVariant()).toBeNull();
    await api.init();
    expect(api.wasmVariant()).toBe(defaultWasmVariant());
    vi.resetModules();
    api = await import('../ts/index.js');
    await api.init({ simd: 'baseline' });
    expect(api.wasmVariant()).toBe('baseline');
    vi.resetModules();
    api = await import('../ts/index.js');
    if (hasRelaxedSimd()) {
      await api.init({ simd: 'relaxed' });
      expect(api.wasmVariant()).toBe('relaxed');
    } else {
      await expect(api.init({ simd: 'relaxed' })).rejects.toThrow(/options\.simd is 'relaxed' but this JavaScript engine does not support WebAssembly relaxed SIMD/);
      expect(api.isInitialized()).toBe(false);
    }
  });

  it('a module passed in is used as it is, and wasmVariant() tells which one it is', async () => {
    for (const [file, variant] of [['lossfn.wasm', 'baseline'], ['lossfn-relaxed.wasm', 'relaxed']] as const) {
      vi.resetModules();
      const api = await import('../ts/index.js');
      const bytes = new Uint8Array(readFileSync(new URL(`../dist/${file}`, import.meta.url)));
      if (variant === 'relaxed' && !hasRelaxedSimd()) {
        await expect(api.init({ wasm: bytes })).rejects.toThrow(/lossfn-relaxed\.wasm needs WebAssembly relaxed SIMD, which this engine lacks: load lossfn\.wasm instead/);
        continue;
      }
      await api.init({ wasm: bytes, simd: 'baseline' }); // simd is about the inlined modules only
      expect(api.wasmVariant()).toBe(variant);
    }
  });

  it('is memoised: concurrent and later calls share one instance', async () => {
    const a = init();
    const b = init();
    expect(a).toBe(b);
    await a;
    expect(init()).toBe(a);
    expect(F.mseLoss(tensor([1, 2]), tensor([0, 0])).item()).toBe(2.5); // (1 + 4) / 2
  });
});
