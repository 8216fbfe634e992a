// The two modules, baseline SIMD128 and relaxed SIMD (fused multiply-adds in the polynomial
// steps), on every loss of the table: NaN and ±inf inputs give the same NaN/±inf outputs and
// gradients in both (the relaxed build must not turn a NaN into a clamp bound: LLVM rewrites
// pmin/pmax into relaxed_min/max there, see crates/kernels/src/simd/wasm128.rs), and finite
// results differ by at most MAX_ULP ulp, or, where a difference of such terms cancels (a
// softmax gradient p − q, a focal weight), by at most SCALE_ULP ulp of the largest magnitude
// in that output; every difference is counted and reported (the README, "How the results differ", quotes them).
//
// Each module is loaded by its own copy of the package (vi.resetModules), forced with
// init({ simd: 'baseline' | 'relaxed' }). Node 20 runs relaxed SIMD only behind a V8 flag, set
// here at run time; Node 22+ has it on.
import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Api from '../ts/index.js';
import { LOSSES } from '../ts/losses.js';
import type { AnyLoss } from '../ts/table.js';
import { argsOf, kindOf, optionsFor, ROW_KINDS, type Fill } from './helpers/loss_args.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

type Lib = typeof Api;
let base: Lib;
let relaxed: Lib;

async function load(simd: 'baseline' | 'relaxed'): Promise<Lib> {
  vi.resetModules();
  const lib = (await import('../ts/index.js')) as Lib;
  await lib.init({ simd });
  return lib;
}

beforeAll(async () => {
  base = await load('baseline');
  relaxed = await load('relaxed');
});

/** Finite results may differ by this many units in the last place (of the larger magnitude)… */
const MAX_ULP = 4;
/** …or by this many ulp of the largest magnitude in the same output or gradient. */
const SCALE_ULP = 64;

/** A hash of (i, k) in [0, 1). */
const hash = (i: number, k: number) => Math.abs((Math.sin(i * 12.9898 + k * 78.233) * 43758.5453) % 1);

/**
 * Deterministic values: the in-domain `v` jittered by ±0.2 (each tensor of a call its own
 * jitter: a student equal to its teacher would leave only the noise of p − q), and with
 * `special`, NaN, +inf and −inf at fixed positions. A fresh fill per call: both modules get
 * the same arguments.
 */
function values(special: boolean): () => Fill {
  return () => {
    let k = 0;
    return (v, i) => {
      if (i === 0) k++;
      const s = (i * 7 + k) % 23;
      if (special && s === 3) return Number.NaN;
      if (special && s === 11) return Number.POSITIVE_INFINITY;
      if (special && s === 17) return Number.NEGATIVE_INFINITY;
      return v + 0.4 * (hash(i, k) - 0.5);
    };
  };
}

/** Distance in ulps between two finite floats of the dtype (0 for equal values, ±0 included). */
function ulps(a: number, b: number, dtype: Api.FloatDType): number {
  if (a === b) return 0;
  const m = Math.max(Math.abs(a), Math.abs(b));
  const e = Math.max(Math.floor(Math.log2(m)), dtype === 'float32' ? -126 : -1022);
  const ulp = 2 ** (e - (dtype === 'float32' ? 23 : 52));
  return Math.abs(a - b) / ulp;
}

interface Outcome { error?: string; parts: Record<string, Float32Array | Float64Array> }

/** Calls `loss` (by name) of `lib` on freshly built arguments; output ('none') and gradients. */
function call(lib: Lib, loss: AnyLoss, wide: boolean, n: number, dtype: Api.FloatDType, fill: Fill): Outcome {
  const fn = (lib.F as unknown as Record<string, (...a: unknown[]) => Api.Tensor>)[loss.spec.name];
  const args = argsOf(lib.tensor, loss, kindOf(loss), n, dtype, wide, fill);
  try {
    const out = fn(...args, optionsFor(loss, 'none'));
    const parts: Outcome['parts'] = { output: out.data as Float32Array };
    if (loss.spec.name !== 'zeroOneLoss') {
      out.backward(lib.tensor(new (out.data.constructor as Float64ArrayConstructor)(out.numel()).fill(1), out.shape));
      args.forEach((a, i) => {
        const g = (a as Api.Tensor | undefined)?.grad;
        if (g) parts[`grad${i}`] = g.data as Float32Array;
      });
    }
    return { parts };
  } catch (e) {
    return { error: String((e as Error).message), parts: {} };
  }
}

/** Per loss, dtype and part (output, grad0, …): elements compared, elements whose bits
 * differ, the largest distance in ulp of the element. */
const report: { what: string; compared: number; differ: number; maxUlp: number }[] = [];

function compare(loss: AnyLoss, dtype: Api.FloatDType, fill: () => Fill, n: number): void {
  const kind = kindOf(loss);
  const eps = dtype === 'float32' ? 2 ** -23 : 2 ** -52;
  for (const wide of ROW_KINDS.has(kind) ? [false, true] : [false]) {
    const a = call(base, loss, wide, n, dtype, fill());
    const b = call(relaxed, loss, wide, n, dtype, fill());
    const what = `${loss.spec.name} ${dtype}${wide ? ' (one wide row)' : ''}`;
    expect(b.error, `${what}: the relaxed module threw where the baseline ${a.error ? 'threw too' : 'did not'}`).toBe(a.error);
    expect(Object.keys(b.parts)).toEqual(Object.keys(a.parts));
    for (const [part, x] of Object.entries(a.parts)) {
      const y = b.parts[part];
      expect(y.length, `${what} ${part}: length`).toBe(x.length);
      let scale = 0;
      for (const v of x) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
      let differ = 0;
      let maxUlp = 0;
      for (let i = 0; i < x.length; i++) {
        if (Object.is(x[i], y[i])) continue;
        // NaN stays NaN, ±inf stays the same infinity, a finite value stays finite.
        if (Number.isNaN(x[i]) || Number.isNaN(y[i]) || !Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
          throw new Error(`${what} ${part}[${i}]: baseline ${x[i]}, relaxed ${y[i]}`);
        }
        const d = ulps(x[i], y[i], dtype);
        if (d === 0) continue; // +0 vs −0
        differ++;
        maxUlp = Math.max(maxUlp, d);
        if (d > MAX_ULP && Math.abs(x[i] - y[i]) > SCALE_ULP * eps * scale) {
          throw new Error(`${what} ${part}[${i}]: baseline ${x[i]}, relaxed ${y[i]} (${d.toFixed(1)} ulp; largest |value| ${scale})`);
        }
      }
      report.push({ what: `${what} ${part}`, compared: x.length, differ, maxUlp });
    }
  }
}

afterAll(() => {
  const rows = report.filter((r) => r.differ > 0).map((r) =>
    `${r.what}: ${r.differ}/${r.compared} (${((100 * r.differ) / r.compared).toFixed(2)}%) differ, max ${r.maxUlp.toFixed(1)} ulp`);
  console.log(`[modules.test] baseline vs relaxed SIMD, elements that differ:\n${rows.join('\n') || 'none'}`);
});

describe('baseline and relaxed-SIMD modules', () => {
  it('each copy loaded the module it asked for', () => {
    expect(base.wasmVariant()).toBe('baseline');
    expect(relaxed.wasmVariant()).toBe('relaxed');
  });

  describe.each(LOSSES.map((l) => [l.spec.name, l] as const))('%s', (_, loss) => {
    it('NaN and ±inf inputs: the same NaN/±inf in outputs and gradients; finite results within a few ulp', () => {
      for (const dtype of ['float32', 'float64'] as const) compare(loss, dtype, values(true), 300);
    });
    it('finite inputs: within a few ulp', () => {
      for (const dtype of ['float32', 'float64'] as const) compare(loss, dtype, values(false), 2000);
    });
  });
});
