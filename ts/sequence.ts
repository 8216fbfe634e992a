// Plumbing shared by the sequence losses (ctcLoss, rnntLoss) and ops.ctcGreedyDecode: length
// arguments (int tensors or number arrays), integer targets as int32, the kernels' lookup and
// the scratch layout of one call. Kernels and their call protocol: crates/wasm/src/sequence.rs.

import { describe } from './describe.js';
import { Tensor, isFloatDType, isTensor, type FloatDType } from './tensor.js';

/** Array.isArray, false for a revoked proxy (on which it throws). */
function isArrayLike(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}
import { shapeStr } from './validate.js';
import type { Exports } from './wasm/abi.js';
import { scratch } from './wasm/runtime.js';

/** Sequence lengths as accepted by ctcLoss / rnntLoss: an int tensor, a number array, or a number. */
export type Lengths = Tensor | readonly number[] | number;


/**
 * Reads a lengths argument as int32 values. `pyName` is PyTorch's name of the argument (its
 * messages use it: "input_lengths must be integral").
 */
export function lengthsArg(fn: string, name: string, pyName: string, v: unknown, opts: { maxDims?: number } = {}): { values: Int32Array; dims: number } {
  const integral = (): never => {
    throw new TypeError(`${fn}: argument '${name}': ${pyName} must be integral (an int32/int64 tensor or an array of integers), got ${describeLengths(v)}`);
  };
  let src: ArrayLike<number | bigint>;
  let dims: number;
  if (isTensor(v)) {
    if (isFloatDType(v.dtype)) integral();
    if (opts.maxDims !== undefined && v.ndim > opts.maxDims) {
      throw new Error(`${fn}: argument '${name}': ${pyName} must be ${opts.maxDims}-D, got shape ${shapeStr(v.shape)}`);
    }
    src = v.data as ArrayLike<number | bigint>;
    dims = v.ndim;
  } else if (typeof v === 'number') {
    src = [v];
    dims = 0;
  } else if (isArrayLike(v)) {
    src = v as number[];
    dims = 1;
  } else {
    throw new TypeError(`${fn}: argument '${name}' must be a Tensor, an array of integers or an integer, got ${describe(v)}`);
  }
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    const n = typeof x === 'bigint' ? Number(x) : x;
    if (typeof n !== 'number' || !Number.isInteger(n)) integral();
    if (n > 0x7fffffff || n < -0x80000000) {
      throw new RangeError(`${fn}: argument '${name}': length ${String(x)} does not fit in 32 bits`);
    }
    out[i] = n;
  }
  return { values: out, dims };
}

function describeLengths(v: unknown): string {
  if (isTensor(v)) return `a ${v.dtype} tensor`;
  if (isArrayLike(v)) return `an array holding ${v.map((x) => (typeof x === 'number' ? String(x) : typeof x)).slice(0, 4).join(', ')}${v.length > 4 ? ', …' : ''}`;
  return String(v);
}

/** An int32/int64 targets tensor's values as int32 (float dtypes are an error). */
export function intTargets(fn: string, name: string, t: Tensor, what = 'class indices'): Int32Array {
  if (isFloatDType(t.dtype)) {
    throw new TypeError(`${fn}: argument '${name}' must hold ${what} (int32 or int64), got ${t.dtype}`);
  }
  if (t.data instanceof Int32Array) return t.data;
  const src = t.data as BigInt64Array;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Number(src[i]);
    // Out-of-range values are reported by the caller's range check: keep them out of range.
    out[i] = v > 0x7fffffff ? 0x7fffffff : v < -0x80000000 ? -0x80000000 : v;
  }
  return out;
}

/** The export `lossfn_<name>_<f32|f64>` (or `lossfn_<name>` for dtype-free kernels). */
export function seqKernel<K>(ex: Exports, name: string, dtype: FloatDType | null): K {
  const full = dtype === null ? `lossfn_${name}` : `lossfn_${name}_${dtype === 'float32' ? 'f32' : 'f64'}`;
  const f = (ex as unknown as Record<string, unknown>)[full];
  if (typeof f !== 'function') throw new Error(`lossfn: the wasm module has no kernel ${full}`);
  return f as K;
}

const align16 = (b: number): number => Math.ceil(b / 16) * 16;

/** Lays out named slots of the given byte sizes in the scratch arena (16-byte aligned). */
export function slots<K extends string>(ex: Exports, sizes: Record<K, number>): Record<K, number> {
  const entries = Object.entries<number>(sizes);
  const base = scratch(ex, entries.reduce((a, [, b]) => a + align16(Math.max(b, 1)), 0) + 16);
  const p = {} as Record<string, number>;
  let at = base;
  for (const [k, b] of entries) {
    p[k] = at;
    at += align16(Math.max(b, 1));
  }
  return p as Record<K, number>;
}

/**
 * Splits `n` items of sizes `size(i)` into consecutive groups of total ≤ `budget` (an item
 * larger than the budget forms a group alone); calls `body(i0, i1)` for each group.
 */
export function groups(n: number, size: (i: number) => number, budget: number, body: (i0: number, i1: number) => void): void {
  let i0 = 0;
  while (i0 < n) {
    let total = size(i0);
    let i1 = i0 + 1;
    while (i1 < n && total + size(i1) <= budget) total += size(i1++);
    body(i0, i1);
    i0 = i1;
  }
}
