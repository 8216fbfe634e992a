// Loads the PyTorch golden fixtures (test/golden/*.json, written by scripts/gen_fixtures.py;
// schema in test/golden/README.md) and checks lossfn against them, case by case.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, ops, tensor, type DType, type Tensor } from '../../ts/index.js';

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
export interface FixtureTensor { shape: number[]; dtype?: DType; data: Num[]; name?: string; requiresGrad?: boolean; asArray?: boolean }
export interface GoldenCase {
  name: string;
  fn: string;
  dtype: DType;
  args: (FixtureTensor & { name: string })[];
  options: Record<string, unknown>;
  output: FixtureTensor;
  gradOutput?: FixtureTensor;
  grads?: Record<string, FixtureTensor>;
  rtol: number;
  atol: number;
  note?: string;
  /** Option names passed as positional arguments after the tensors, in this order (ops.boxConvert's formats). */
  positional?: string[];
}
export interface GoldenFile { generator: string; torch: string; seed: number; loss: string; cases: GoldenCase[] }

export function loadGolden(stem: string): GoldenFile {
  return JSON.parse(readFileSync(new URL(`../golden/${stem}.json`, import.meta.url), 'utf8')) as GoldenFile;
}

const num = (v: Num): number => (typeof v === 'number' ? v : Number(v));

export function toTensor(t: FixtureTensor, dtype: DType, requiresGrad = false): Tensor {
  const dt = t.dtype ?? dtype;
  return tensor(t.data.map(num), t.shape, { dtype: dt, requiresGrad });
}

function isFixtureTensor(v: unknown): v is FixtureTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;
}

/** Element-wise comparison with the case's tolerance; NaN must match NaN, ±inf exactly. */
export function expectClose(actual: Tensor, expected: FixtureTensor, rtol: number, atol: number, what: string): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const a = actual.data as ArrayLike<number>;
  expect(a.length, `${what}: numel`).toBe(expected.data.length);
  for (let i = 0; i < a.length; i++) {
    const e = num(expected.data[i]);
    const v = Number(a[i]);
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(v, e)) expect(v, `${what}[${i}]`).toBe(e);
      continue;
    }
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${v}, expected ${e} (|diff| ${Math.abs(v - e)} > ${atol} + ${rtol}·|expected|)`);
    }
  }
}

/** Runs one golden case: forward, then backward, comparing output and every gradient. */
export function runCase(c: GoldenCase): void {
  // `fn` is an F name, or `ops.<name>` for the non-loss ops (a bare name not in F is looked up
  // in ops too: the ranking fixtures name their distance ops so).
  const [space, name] = c.fn.startsWith('ops.') ? [ops, c.fn.slice(4)] : [F, c.fn];
  const fn = (space as unknown as Record<string, (...a: unknown[]) => Tensor>)[name] ??
    (ops as unknown as Record<string, (...a: unknown[]) => Tensor>)[name];
  expect(fn, `${c.fn} exists`).toBeTypeOf('function');
  // An int argument with "asArray" goes in as a plain number array (sequence lengths).
  const args = c.args.map((a) => (a.asArray ? a.data.map(num) : toTensor(a, c.dtype, a.requiresGrad === true)));
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.options)) options[k] = isFixtureTensor(v) ? toTensor(v, c.dtype) : v;
  const positional = (c.positional ?? []).map((k) => {
    const v = options[k];
    delete options[k];
    return v;
  });
  const out = c.positional ? fn(...args, ...positional) : fn(...args, options);
  expect(out.dtype).toBe(c.dtype);
  expectClose(out, c.output, c.rtol, c.atol, `${c.name}: output`);
  if (!c.grads || Object.keys(c.grads).length === 0) return;
  if (c.gradOutput) out.backward(toTensor(c.gradOutput, c.dtype));
  else out.backward();
  c.args.forEach((a, i) => {
    const g = c.grads?.[a.name];
    if (!g) return;
    const grad = (args[i] as Tensor).grad;
    expect(grad, `${c.name}: grad of ${a.name}`).not.toBeNull();
    expectClose(grad as Tensor, g, c.rtol, c.atol, `${c.name}: grad ${a.name}`);
  });
}

/** One `it` per golden case of `stem`, under a describe named after the fixture file. */
export function describeGolden(stem: string): void {
  const file = loadGolden(stem);
  describe(`${stem} matches PyTorch ${file.torch} (${file.cases.length} golden cases)`, () => {
    beforeAll(() => init());
    it('has cases for float32 and float64 and for every reduction it supports', () => {
      expect(new Set(file.cases.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64']));
    });
    for (const c of file.cases) it(c.name, () => runCase(c));
  });
}
