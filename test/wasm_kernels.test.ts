// The kernel crate's own tests (every #[kernel_test] in crates/kernels), run on the wasm128 lanes
// the module ships: scripts/test.sh builds crates/kernel-tests for wasm32 + simd128, whose exports
// are those tests (crates/test-macro), and each runs here in a fresh instance. `cargo test` runs
// the same tests natively, on the portable lanes. A failing assertion aborts: a trap here, with the
// test's name; its message comes from the native run.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODULE = join(ROOT, 'target/wasm32-unknown-unknown/release/lossfn_kernel_tests.wasm');
const have = existsSync(MODULE);

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

describe.skipIf(!have && !process.env.CI)('kernel tests on the wasm128 lanes', () => {
  const module = have ? new WebAssembly.Module(readFileSync(MODULE)) : null;
  const tests = module ? WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.includes('::')).sort() : [];

  it('the module exports every #[kernel_test] of the sources (built with +simd128)', () => {
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
