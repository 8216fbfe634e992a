// Broadcasting an operand (a class weight, pos_weight, a variance) to the elements of a loss:
// staging it chunk by chunk into wasm, and summing gradients back to its shape. Shapes align
// on the right, as in PyTorch.

import type { FloatArray } from './tensor.js';
import { shapeStr } from './validate.js';

/**
 * Element i of the broadcast result reads `src[⌊i / inner⌋ mod period]` whenever the operand's
 * non-broadcast dimensions are contiguous (same shape, a trailing (C) block, a leading (N, 1)
 * block, a (C, 1, 1) middle block…), which is every case the losses meet; other patterns use
 * `strides`.
 */
export interface Plan {
  inner: number;
  period: number;
  /** Per output dimension, the operand's stride (0 where broadcast), for the general case. */
  strides: number[] | null;
  outShape: number[];
}

/** Checks that `from` broadcasts to `to` and plans the index mapping. */
export function broadcastPlan(fn: string, name: string, from: readonly number[], to: readonly number[]): Plan {
  if (from.length > to.length) {
    throw new Error(`${fn}: argument '${name}' of shape ${shapeStr(from)} cannot be broadcast to ${shapeStr(to)}`);
  }
  const f = [...new Array(to.length - from.length).fill(1), ...from];
  // Per dimension: 'b' broadcast (operand 1, output > 1), 'e' element (equal sizes > 1), or
  // '-' neutral (output size 1, fits either).
  const kind = f.map((fd, d) => {
    if (fd === to[d]) return to[d] === 1 ? '-' : 'e';
    if (fd === 1) return 'b';
    throw new Error(`${fn}: argument '${name}' of shape ${shapeStr(from)} cannot be broadcast to ${shapeStr(to)}`);
  });
  const pattern = kind.filter((k) => k !== '-').join('');
  const contiguous = /^b*e*b*$/.test(pattern);
  let inner = 1;
  for (let d = to.length - 1; d >= 0 && kind[d] !== 'e'; d--) inner *= to[d];
  const period = f.reduce((a, b) => a * b, 1);
  if (contiguous) return { inner: period === 0 ? 1 : inner, period: Math.max(period, 1), strides: null, outShape: to.slice() };
  const strides = new Array<number>(to.length).fill(0);
  let s = 1;
  for (let d = to.length - 1; d >= 0; d--) {
    strides[d] = kind[d] === 'b' ? 0 : s;
    s *= f[d];
  }
  return { inner, period, strides, outShape: to.slice() };
}

/** True when the operand is used as is (no broadcasting). */
export const isIdentity = (p: Plan, n: number): boolean => p.strides === null && p.inner === 1 && p.period === n;

function sourceIndex(p: Plan, i: number): number {
  if (p.strides === null) return Math.floor(i / p.inner) % p.period;
  let idx = 0;
  let rest = i;
  for (let d = p.outShape.length - 1; d >= 0; d--) {
    const size = p.outShape[d];
    idx += (rest % size) * p.strides[d];
    rest = Math.floor(rest / size);
  }
  return idx;
}

/** Writes broadcast elements `off .. off+len` of `src` into `heap` at element `at`. */
export function stageBroadcast(heap: FloatArray, at: number, src: FloatArray, p: Plan, off: number, len: number): void {
  if (p.strides === null && p.inner === 1) {
    // Whole periods are block copies.
    for (let j = 0; j < len; ) {
      const k = (off + j) % p.period;
      const run = Math.min(len - j, p.period - k);
      heap.set(src.subarray(k, k + run), at + j);
      j += run;
    }
    return;
  }
  if (p.strides === null) {
    for (let j = 0; j < len; ) {
      const i = off + j;
      const run = Math.min(len - j, p.inner - (i % p.inner));
      heap.fill(src[Math.floor(i / p.inner) % p.period], at + j, at + j + run);
      j += run;
    }
    return;
  }
  for (let j = 0; j < len; j++) heap[at + j] = src[sourceIndex(p, off + j)];
}

/** Adds per-element gradients `g[0 .. len)` (elements `off ..`) into the operand-shaped `acc`. */
export function reduceBroadcast(acc: FloatArray, g: FloatArray, p: Plan, off: number, len: number): void {
  for (let j = 0; j < len; j++) acc[sourceIndex(p, off + j)] += g[j];
}
