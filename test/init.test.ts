// init(): before it, losses say to await it; it accepts bytes, a Module, a file URL and a
// Response; later calls are no-ops. (Vitest isolates test files, so this file starts
// uninitialised.)
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { F, init, isInitialized, tensor } from '../ts/index.js';

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

  it('is memoised: concurrent and later calls share one instance', async () => {
    const a = init();
    const b = init();
    expect(a).toBe(b);
    await a;
    expect(init()).toBe(a);
    expect(F.mseLoss(tensor([1, 2]), tensor([0, 0])).item()).toBe(2.5); // (1 + 4) / 2
  });
});
