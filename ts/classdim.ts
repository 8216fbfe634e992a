// Shared plumbing of the losses over a class dimension (dim 1 of (N, C, d1..dk), dim 0 of an
// unbatched (C)): the layout, staging rows into wasm with the class dimension moved last
// (the kernels see contiguous rows of C), moving gradients back, and checking class-index
// targets and class weights, with PyTorch's messages.

import { describe } from './describe.js';
import { Tensor, isFloatDType, type FloatArray, type FloatDType } from './tensor.js';
import { checkFloatTensor, checkSameDType, checkTensor, sameShape, shapeStr } from './validate.js';
import { hostCopy } from './wasm_tensor.js';

/** (N, C, S): batch, classes, positions per sample (the product of d1..dk). */
export interface ClassLayout {
  n: number;
  c: number;
  s: number;
  /** N·S rows of C scores. */
  rows: number;
  /** The shape of a per-row result ('none'): (N, d1..dk), or () for an unbatched input. */
  rowShape: number[];
}

/** The layout of `input`, which needs at least one dimension. */
export function classLayout(fn: string, input: Tensor): ClassLayout {
  const sh = input.shape;
  if (sh.length === 0) throw new Error(`${fn}: argument 'input' expected 1 or more dimensions (got 0)`);
  if (sh.length === 1) return { n: 1, c: sh[0], s: 1, rows: 1, rowShape: [] };
  // (N, C), the usual case, without the general case's array slices (small calls feel them).
  if (sh.length === 2) return { n: sh[0], c: sh[1], s: 1, rows: sh[0], rowShape: [sh[0]] };
  const s = sh.slice(2).reduce((a, b) => a * b, 1);
  return { n: sh[0], c: sh[1], s, rows: sh[0] * s, rowShape: [sh[0], ...sh.slice(2)] };
}

/**
 * Copies rows `r0 .. r0+count` of `src` (laid out as the input: (N, C, S)) into `heap` at
 * element `at`, as contiguous rows of C.
 */
export function stageRows(heap: FloatArray, at: number, src: FloatArray, l: ClassLayout, r0: number, count: number): void {
  const { c, s } = l;
  if (s === 1) {
    heap.set(src.subarray(r0 * c, (r0 + count) * c), at);
    return;
  }
  for (let r = 0; r < count; r++) {
    const row = r0 + r;
    const base = Math.floor(row / s) * c * s + (row % s);
    const o = at + r * c;
    for (let k = 0; k < c; k++) heap[o + k] = src[base + k * s];
  }
}

/** The inverse of {@link stageRows}: rows of C in `heap` back into (N, C, S) order in `dst`. */
export function unstageRows(heap: FloatArray, at: number, dst: FloatArray, l: ClassLayout, r0: number, count: number): void {
  const { c, s } = l;
  if (s === 1) {
    dst.set(heap.subarray(at, at + count * c), r0 * c);
    return;
  }
  for (let r = 0; r < count; r++) {
    const row = r0 + r;
    const base = Math.floor(row / s) * c * s + (row % s);
    const o = at + r * c;
    for (let k = 0; k < c; k++) dst[base + k * s] = heap[o + k];
  }
}

/**
 * Copies classes `start .. start+len` of row `row` of `src` (laid out as the input) into
 * `heap` at element `at`: one piece of a row too wide to stage whole.
 */
export function stageRowPiece(heap: FloatArray, at: number, src: FloatArray, l: ClassLayout, row: number, start: number, len: number): void {
  const { c, s } = l;
  if (s === 1) {
    heap.set(src.subarray(row * c + start, row * c + start + len), at);
    return;
  }
  const base = Math.floor(row / s) * c * s + (row % s) + start * s;
  for (let k = 0; k < len; k++) heap[at + k] = src[base + k * s];
}

/** The inverse of {@link stageRowPiece}. */
export function unstageRowPiece(heap: FloatArray, at: number, dst: FloatArray, l: ClassLayout, row: number, start: number, len: number): void {
  const { c, s } = l;
  if (s === 1) {
    dst.set(heap.subarray(at, at + len), row * c + start);
    return;
  }
  const base = Math.floor(row / s) * c * s + (row % s) + start * s;
  for (let k = 0; k < len; k++) dst[base + k * s] = heap[at + k];
}

/** The expected shape of class-index targets for `input`: (N, d1..dk), or () unbatched. */
export function indexTargetShape(input: Tensor): number[] {
  return input.shape.length === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
}

/**
 * Checks class-index targets (int32 or int64, shape (N, d1..dk)) and returns them as int32,
 * one per row: each must be `ignoreIndex` or in [0, C).
 */
export function indexTargets(fn: string, target: Tensor, input: Tensor, c: number, ignoreIndex: number | null): Int32Array {
  checkIndexTargets(fn, target, input);
  return indexTargetValues(fn, target, c, ignoreIndex);
}

/** {@link indexTargets} after its dtype and shape checks: the values, range-checked, as int32. */
export function indexTargetValues(fn: string, target: Tensor, c: number, ignoreIndex: number | null): Int32Array {
  const src = target.data;
  if (src instanceof Int32Array) {
    // Read-only from here on: int32 targets are used as they are (one monomorphic pass), or
    // copied when they live in wasm memory (the driver's scratch() may grow it).
    for (let i = 0; i < src.length; i++) {
      const y = src[i];
      if (y !== ignoreIndex && !(y >= 0 && y < c)) throw targetOutOfBounds(fn, y, c, ignoreIndex);
    }
    return hostCopy(target, src);
  }
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const y = Number(src[i]);
    if (y !== ignoreIndex && !(y >= 0 && y < c)) throw targetOutOfBounds(fn, src[i], c, ignoreIndex);
    out[i] = y;
  }
  return out;
}

/** PyTorch's "IndexError: Target 7 is out of bounds.", naming the function and argument. */
export function targetOutOfBounds(fn: string, y: number | bigint, c: number, ignoreIndex: number | null): RangeError {
  return new RangeError(`${fn}: argument 'target': Target ${y} is out of bounds (classes: ${c}${ignoreIndex === null ? '' : `, ignoreIndex: ${ignoreIndex}`}).`);
}

/** The dtype and shape checks of {@link indexTargets} (its values are checked by the caller). */
export function checkIndexTargets(fn: string, target: Tensor, input: Tensor): void {
  if (isFloatDType(target.dtype)) {
    throw new TypeError(
      `${fn}: argument 'target' must hold class indices (int32 or int64) of shape ${shapeStr(indexTargetShape(input))}, ` +
        `or class probabilities of the input's shape ${shapeStr(input.shape)}; got ${target.dtype} of shape ${shapeStr(target.shape)}`,
    );
  }
  const ts = target.shape;
  const is = input.shape;
  // (N, C) input, (N) target: the usual case, compared without building the expected shape.
  const usual = is.length === 2 && ts.length === 1 && ts[0] === is[0];
  const want = usual ? ts : indexTargetShape(input);
  if (!usual && !sameShape(ts, want)) {
    if (is.length >= 2 && ts.length >= 1 && ts[0] !== is[0]) {
      throw new Error(`${fn}: Expected input batch_size (${is[0]}) to match target batch_size (${ts[0]}).`);
    }
    throw new Error(`${fn}: argument 'target': Expected target size ${shapeStr(want)}, got ${shapeStr(ts)}`);
  }
}

/** Checks an optional class-weight tensor: floating, the input's dtype, shape (C). */
export function classWeight(fn: string, weight: unknown, input: Tensor<FloatDType>, c: number): Tensor<FloatDType> | null {
  if (weight === undefined || weight === null) return null;
  const w = checkFloatTensor(fn, 'weight', weight);
  checkSameDType(fn, ['input', input], ['weight', w]);
  if (!sameShape(w.shape, [c])) {
    throw new Error(
      `${fn}: weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${shapeStr(w.shape)}`,
    );
  }
  if (w.requiresGrad) throw new Error(`${fn}: option 'weight' does not support requiresGrad (as in PyTorch, no gradient flows to class weights)`);
  return w;
}

/** An integer option that reaches wasm as an i32 (such as blank): an integer in the int32 range. */
export function intOption(fn: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${fn}: option '${name}' must be an integer, got ${describe(value)}`);
  if (value < -(2 ** 31) || value > 2 ** 31 - 1) {
    throw new RangeError(`${fn}: option '${name}' must fit in 32 bits (${-(2 ** 31)} to ${2 ** 31 - 1}), got ${value}`);
  }
  return value;
}

export { checkTensor };
