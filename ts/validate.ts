// Argument and option checks shared by every loss. Each error names the function and the
// argument, uses PyTorch's wording where it has one, and is thrown before any kernel runs.

import { describe } from './describe.js';
import { readOptions } from './table.js';
import { Tensor, isFloatDType, isTensor, type FloatArray, type FloatDType } from './tensor.js';

/** `v` must be a Tensor. */
export function checkTensor(fn: string, name: string, v: unknown): Tensor {
  if (!isTensor(v)) {
    throw new TypeError(`${fn}: argument '${name}' must be a Tensor, got ${describe(v)}`);
  }
  // Its shape is frozen and matched its data when it was made; only a detached buffer (a
  // transferred ArrayBuffer) can shrink the data since.
  if (v.data.length !== v.numel()) {
    throw new TypeError(`${fn}: argument '${name}' has a detached buffer (its ArrayBuffer was transferred); it has no data left`);
  }
  return v;
}

/** `v` must be a float32 or float64 Tensor. */
export function checkFloatTensor(fn: string, name: string, v: unknown): Tensor<FloatDType> {
  const t = checkTensor(fn, name, v);
  if (!isFloatDType(t.dtype)) {
    throw new TypeError(`${fn}: argument '${name}' must be a floating point tensor (float32 or float64), got ${t.dtype}`);
  }
  return t as Tensor<FloatDType>;
}

/** Every floating tensor of one call has the same dtype (no implicit promotion). */
export function checkSameDType(fn: string, ref: [string, Tensor], other: [string, Tensor]): void {
  if (ref[1].dtype !== other[1].dtype) {
    throw new TypeError(
      `${fn}: expected argument '${other[0]}' to have dtype ${ref[1].dtype} like '${ref[0]}', got ${other[1].dtype} (mixing dtypes is an error)`,
    );
  }
}

export const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** A weight-like option tensor: float, the input's dtype, and not requiring grad (as PyTorch). */
export function optionTensor(fn: string, name: string, v: unknown, x: Tensor<FloatDType>): Tensor<FloatDType> {
  const w = checkFloatTensor(fn, name, v);
  checkSameDType(fn, ['input', x], [name, w]);
  if (w.requiresGrad) {
    throw new Error(`${fn}: the function is not differentiable with respect to option '${name}'; it cannot have requiresGrad true`);
  }
  return w;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  // Tensors of one shape usually share its (interned, frozen) array; a plain loop otherwise
  // (Array.prototype.every is slow on frozen arrays).
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `other` has exactly `ref`'s shape (PyTorch would broadcast with a warning; we refuse). */
export function checkSameShape(fn: string, ref: [string, Tensor], other: [string, Tensor]): void {
  if (!sameShape(ref[1].shape, other[1].shape)) {
    throw new Error(
      `${fn}: argument '${other[0]}' has shape ${shapeStr(other[1].shape)} but '${ref[0]}' has shape ` +
        `${shapeStr(ref[1].shape)}; they must be the same size`,
    );
  }
}

/** `options` is a plain object whose keys are all in `allowed`: a copy, read once (ts/table.ts). */
export function checkOptions<T extends object>(fn: string, options: T | undefined, allowed: readonly string[]): Partial<T> {
  return readOptions(fn, options, allowed) as Partial<T>;
}

/** A finite-number option with a default; `ok` says whether the value is in its domain. */
export function numberOption(
  fn: string,
  name: string,
  value: unknown,
  fallback: number,
  ok: (v: number) => boolean = () => true,
  domain = '',
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${fn}: option '${name}' must be a number, got ${describe(value)}`);
  }
  if (!ok(value)) throw new RangeError(`${fn}: option '${name}' ${domain}, got ${value}`);
  return value;
}

/** A boolean option with a default. */
export function boolOption(fn: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${fn}: option '${name}' must be a boolean, got ${describe(value)}`);
  return value;
}

/**
 * Keras's label rule (`_maybe_convert_labels`): {0, 1} targets become {−1, 1} only when every
 * target is exactly 0 or 1. Returns the kernel flag (1 = convert) (hinge, squaredHinge).
 */
export function kerasLabelFlag(target: Tensor): number {
  const d = target.data as FloatArray;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== 0 && d[i] !== 1) return 0;
  }
  return 1;
}
