// Inputs changed between forward and backward: PyTorch refuses with its version-counter error
// ("one of the variables needed for gradient computation has been modified by an inplace
// operation"). JS typed arrays have no version counter, so a loss records a content
// fingerprint of every tensor its backward re-reads (arguments and tensor options: inputs,
// targets, index targets, class weights) when its result requires grad, and backward checks
// them before any gradient is computed. README "Reliability" says what this covers and costs.

import type { AnyTypedArray, GradFn, Tensor } from './tensor.js';
import type { Exports } from './wasm/abi.js';
import { scratch, views, wasm } from './wasm/runtime.js';

let enabled = true;
/** For bench/reliability.mjs only: turns the guard off (false) to measure what it costs. */
export function setFingerprinting(on: boolean): void {
  enabled = on;
}
/** Whether results record fingerprints (always, outside the benchmark). */
export const fingerprinting = (): boolean => enabled;

/** Arrays from this size on are fingerprinted in wasm (SIMD, ~45 GB/s against ~4 GB/s for
 * the JS loop), in pieces of WASM_PIECE bytes; below it a wasm call costs more than it saves. */
const WASM_BYTES = 1024;
const WASM_PIECE = 64 * 1024;
/** One buffer, four views: smaller arrays are copied in and read back as 32-bit words. */
const SMALL = new ArrayBuffer(WASM_BYTES);
const SMALL_VIEWS = { f32: new Float32Array(SMALL), f64: new Float64Array(SMALL), i64: new BigInt64Array(SMALL), i32: new Int32Array(SMALL) };

function wordsOf(a: AnyTypedArray): Int32Array {
  if (a instanceof Float32Array) SMALL_VIEWS.f32.set(a);
  else if (a instanceof Float64Array) SMALL_VIEWS.f64.set(a);
  else SMALL_VIEWS.i64.set(a as BigInt64Array);
  return SMALL_VIEWS.i32;
}

/**
 * A fingerprint of an array's bytes: the position-weighted sum of its 32-bit words,
 * Σ w_i·(2i + 1) mod 2^32 (crates/kernels/src/fingerprint.rs), with the length. Any change of
 * one word changes it (2i + 1 is odd, so invertible mod 2^32); several changes go unnoticed
 * only if their weighted sum cancels. In JS below 1 KiB; above, 64 KiB pieces are copied into
 * the scratch area and summed by the `lossfn_fingerprint` export (SIMD).
 */
export function fingerprint(fn: string, a: AnyTypedArray): number {
  const n = a.byteLength >>> 2;
  let h = 0;
  if (a.byteLength < WASM_BYTES) {
    // Through a copy in a preallocated buffer: a new Int32Array view per call costs more than
    // hashing a small array.
    const w = a instanceof Int32Array ? a : wordsOf(a);
    for (let i = 0; i < n; i++) h = (h + Math.imul(w[i], 2 * i + 1)) | 0;
  } else {
    const ex = wasm(fn);
    const base = scratch(ex, WASM_PIECE + 16);
    const acc = base + WASM_PIECE;
    const words = WASM_PIECE / 4;
    const src = new Uint32Array(a.buffer, a.byteOffset, n);
    views(ex).i32[acc / 4] = 0;
    for (let at = 0; at < n; at += words) {
      const len = Math.min(words, n - at);
      new Uint32Array(views(ex).u8.buffer, base, len).set(src.subarray(at, at + len));
      ex.lossfn_fingerprint(base, len, at, acc);
    }
    h = views(ex).i32[acc / 4];
  }
  // The sum and the length in one exact double.
  return (n % 2 ** 20) * 2 ** 32 + (h >>> 0);
}

/** Where a tensor lives in wasm memory (a wasm tensor), else -1; set by ts/wasm_tensor.ts, which
 * this module cannot import (it would close an import cycle through ts/tensor.ts). */
let addressOf: (t: Tensor) => number = () => -1;
export function setAddressOf(f: (t: Tensor) => number): void {
  addressOf = f;
}

/** `fingerprint` of a tensor's data. A large wasm tensor is hashed where it lives: its address
 * survives the memory growth that taking scratch may cause, a view of its data would not. */
function fingerprintOf(fn: string, t: Tensor): number {
  const addr = addressOf(t);
  if (addr < 0 || t.data.byteLength < WASM_BYTES) return fingerprint(fn, t.data);
  const ex = wasm(fn);
  const acc = scratch(ex, 16);
  const n = t.data.byteLength >>> 2;
  views(ex).i32[acc / 4] = 0;
  ex.lossfn_fingerprint(addr, n, 0, acc);
  return (n % 2 ** 20) * 2 ** 32 + (views(ex).i32[acc / 4] >>> 0);
}

/** The error of a tensor changed between forward and backward (PyTorch's version counter). */
export function modifiedError(fn: string, name: string, t: Tensor): Error {
  return new Error(
    `backward: one of the variables needed for gradient computation has been modified: argument '${name}' of ${fn} ` +
      `(${t.dtype} [${t.shape.join(', ')}]) changed after the forward pass (PyTorch's "modified by an inplace operation"); ` +
      'compute the loss again from the changed data',
  );
}

/** The last result whose backward needs no fingerprint of some operands, and those operands:
 * its driver fingerprints them itself, from the chunks it stages anyway (the elementwise
 * driver), or its backward never reads them again (the list losses keep the gradient their
 * forward computed). `guardInputs`, called on that result right after the loss ran, skips
 * them. (One slot, not a WeakMap: a WeakMap entry per call costs more than a small loss.) */
let coveredResult: Tensor | null = null;
let coveredTensors: readonly Tensor[] = [];
export function markCovered(result: Tensor, tensors: readonly Tensor[]): void {
  coveredResult = result;
  coveredTensors = tensors;
}

/**
 * Fingerprints of operands as a driver stages them into wasm, chunk by chunk: `acc` is a
 * 4-byte aligned scratch slot of 4·`count` bytes, zeroed here; `add(k, ptr, elems, at)` adds
 * the chunk at `ptr` (`elems` elements of `bytes` bytes, at element `at` of operand k).
 */
export function stagedPrints(ex: Exports, acc: number, count: number, bytes: number) {
  views(ex).i32.fill(0, acc / 4, acc / 4 + count);
  const words = bytes / 4;
  return {
    add(k: number, ptr: number, elems: number, at: number): void {
      ex.lossfn_fingerprint(ptr, elems * words, at * words, acc + 4 * k);
    },
    values(): number[] {
      const v = views(ex).i32;
      const out: number[] = [];
      for (let k = 0; k < count; k++) out.push(v[acc / 4 + k] >>> 0);
      return out;
    },
  };
}

/**
 * Records fingerprints of `saved` (name → tensor) and wraps `result`'s backward so that it
 * first checks them: a tensor changed since the forward pass is an Error naming `fn` and the
 * argument, as PyTorch's version-counter check. No-op when the result has no graph.
 */
export function guardInputs(fn: string, result: Tensor, saved: readonly (readonly [string, Tensor])[]): void {
  const node = result.gradFn;
  if (coveredResult === result) {
    const done = coveredTensors;
    saved = saved.filter(([, t]) => !done.includes(t));
    coveredResult = null;
    coveredTensors = [];
  }
  if (node === null || saved.length === 0 || !enabled) return;
  const prints = saved.map(([, t]) => fingerprintOf(fn, t));
  const guarded: GradFn = {
    name: node.name,
    inputs: node.inputs,
    backward(g: Tensor, retain?: boolean): (Tensor | null)[] {
      saved.forEach(([name, t], i) => {
        if (t.data.length !== t.numel() || fingerprintOf(fn, t) !== prints[i]) throw modifiedError(fn, name, t);
      });
      return node.backward(g, retain);
    },
  };
  result.gradFn = guarded;
}
