// The kernel crate's own tests (every #[kernel_test] in crates/kernels), run on the wasm128 lanes
// the module ships: scripts/test.sh builds crates/kernel-tests for wasm32 + simd128, whose exports
// are those tests (crates/test-macro), and each runs here in a fresh instance. `cargo test` runs
// the same tests natively, on the portable lanes. A failing assertion aborts: a trap here, with the
// test's name; its message comes from the native run. The same tests built with +relaxed-simd
// (target/relaxed/, fused multiply-adds in the polynomial steps) run too: every error bound the
// kernel crate asserts holds in the relaxed module as well (Node 20 needs V8's flag for it).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import v8 from 'node:v8';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const BUILDS = [
  ['simd128', 'target/wasm32-unknown-unknown/release/lossfn_kernel_tests.wasm'],
  ['relaxed SIMD', 'target/relaxed/wasm32-unknown-unknown/release/lossfn_kernel_tests.wasm'],
] as const;

/** `#[kernel_test]`s in the kernel crate's sources, as `module::path::tests::name`. */
function declared(): string[] {
  const out: string[] = [];
  const walk = (dir: string, mod: string[]) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p, [...mod, f]);
      else if (f.endsWith('.rs')) {
        const path = f === 'lib.rs' || f === 'mod.rs' ? mod : [...mod, f.slice(0, -3)];
        const src = readFileSync(p, 'utf8');
        for (const m of src.matchAll(/#\[lossfn_test_macro::kernel_test\]\s*fn (\w+)/g)) {
          out.push(['lossfn_kernels', ...path, 'tests', m[1]].join('::'));
        }
      }
    }
  };
  walk(join(ROOT, 'crates/kernels/src'), []);
  return out.sort();
}

describe.each(BUILDS)('kernel tests on the wasm128 lanes (%s)', (build, file) => {
  const MODULE = join(ROOT, file);
  const have = existsSync(MODULE);
  const module = have ? new WebAssembly.Module(readFileSync(MODULE)) : null;
  const tests = module ? WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.includes('::')).sort() : [];

  it.skipIf(!have && !process.env.CI)(`the module exports every #[kernel_test] of the sources (built for ${build})`, () => {
    expect(have, `${MODULE} is missing (scripts/test.sh builds it)`).toBe(true);
    expect(tests).toEqual(declared());
    expect(tests.length).toBeGreaterThanOrEqual(53);
  });

  for (const name of have ? declared() : []) {
    it(name.replace(/^lossfn_kernels::/, ''), () => {
      const instance = new WebAssembly.Instance(module as WebAssembly.Module, {});
      (instance.exports[name] as () => void)();
    });
  }
});
