// Inputs changed between forward and backward: PyTorch refuses with its version-counter error
// ("one of the variables needed for gradient computation has been modified by an inplace
// operation"). JS typed arrays have no version counter, so a loss records a content
// fingerprint of every tensor its backward re-reads (arguments and tensor options: inputs,
// targets, index targets, class weights) when its result requires grad, and backward checks
// them before any gradient is computed. docs/reliability.md says what this covers and costs.

import type { AnyTypedArray, GradFn, Tensor } from './tensor.js';
import { scratch, views, wasm } from './wasm/runtime.js';

/** Arrays from this size on are fingerprinted in wasm (SIMD), 64 KiB at a time. */
const WASM_BYTES = 64 * 1024;

/**
 * A fingerprint of an array's bytes: two position-weighted sums of its 32-bit words,
 * h1 = Σ w_i·(2i + 1) and h2 = Σ (w_i ⊕ i)·φ (mod 2^32) (crates/kernels/src/fingerprint.rs).
 * Any change of one word changes h1 (2i + 1 is odd, so invertible mod 2^32); several changes
 * go unnoticed only if both sums cancel. In JS below 64 KiB; above, 64 KiB pieces are copied
 * into the scratch area and summed by the `lossfn_fingerprint` export (SIMD).
 */
export function fingerprint(fn: string, a: AnyTypedArray): number {
  const n = a.byteLength >>> 2;
  let h1 = 0;
  let h2 = 0;
  if (a.byteLength < WASM_BYTES) {
    const w = new Int32Array(a.buffer, a.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const v = w[i];
      h1 = (h1 + Math.imul(v, 2 * i + 1)) | 0;
      h2 = (h2 + Math.imul(v ^ i, 0x9e3779b1)) | 0;
    }
  } else {
    const ex = wasm(fn);
    const base = scratch(ex, WASM_BYTES + 16);
    const acc = base + WASM_BYTES;
    const words = WASM_BYTES / 4;
    const src = new Uint32Array(a.buffer, a.byteOffset, n);
    views(ex).i32.fill(0, acc / 4, acc / 4 + 2);
    for (let at = 0; at < n; at += words) {
      const len = Math.min(words, n - at);
      const v = views(ex);
      new Uint32Array(v.u8.buffer, base, len).set(src.subarray(at, at + len));
      ex.lossfn_fingerprint(base, len, at, acc);
    }
    const v = views(ex).i32;
    h1 = v[acc / 4];
    h2 = v[acc / 4 + 1];
  }
  // Both halves in one exact double (20 + 32 bits), with the length.
  return ((h2 >>> 12) ^ (n & 0xfffff)) * 2 ** 32 + (h1 >>> 0);
}

/**
 * Records fingerprints of `saved` (name → tensor) and wraps `result`'s backward so that it
 * first checks them: a tensor changed since the forward pass is an Error naming `fn` and the
 * argument, as PyTorch's version-counter check. No-op when the result has no graph.
 */
export function guardInputs(fn: string, result: Tensor, saved: readonly (readonly [string, Tensor])[]): void {
  const node = result.gradFn;
  if (node === null || saved.length === 0) return;
  const prints = saved.map(([, t]) => fingerprint(fn, t.data));
  const guarded: GradFn = {
    name: node.name,
    inputs: node.inputs,
    backward(g: Tensor): (Tensor | null)[] {
      saved.forEach(([name, t], i) => {
        if (t.data.length !== t.numel() || fingerprint(fn, t.data) !== prints[i]) {
          throw new Error(
            `backward: one of the variables needed for gradient computation has been modified: argument '${name}' of ${fn} ` +
              `(${t.dtype} [${t.shape.join(', ')}]) changed after the forward pass (PyTorch's "modified by an inplace operation"); ` +
              'compute the loss again from the changed data',
          );
        }
      });
      return node.backward(g);
    },
  };
  result.gradFn = guarded;
}
