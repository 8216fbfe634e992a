// Issue 8, finding 8: NaN and ±Infinity. Where the target is in the loss's domain, every
// elementwise loss's value and input gradient equal PyTorch 1.13's for any input, ±Inf and
// NaN included (BCE-with-logits and sigmoid focal are NaN at x = −Inf with target 1; sign(NaN)
// is 0, so l1Loss' gradient at NaN is 0); a cross-entropy row holding ±Inf or NaN gives NaN.
// Expected values: test/golden/nonfinite.json, from scripts/fixtures/reliability.py. Kept
// deviations (softMarginLoss's stable softplus) are listed in docs/reliability.md.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type FloatDType, type Tensor } from '../../ts/index.js';

beforeAll(() => init());

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface Case {
  fn: string;
  options: Record<string, unknown>;
  dtype: FloatDType;
  shape?: number[];
  input: Num[];
  target: Num[];
  output: Num[];
  grad: Num[];
}
const golden = JSON.parse(readFileSync(new URL('../golden/nonfinite.json', import.meta.url), 'utf8')) as { cases: Case[] };
const num = (v: Num): number => (typeof v === 'number' ? v : Number(v));

/** Same class (NaN, ±Inf, finite) and, when finite, within rtol·|want| + atol. */
function same(got: number, want: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= rtol * Math.abs(want) + atol;
}

const label = (c: Case) => `${c.fn} ${JSON.stringify(c.options)} ${c.dtype}`;

describe('non-finite inputs equal PyTorch 1.13 (finding 8)', () => {
  it.each(golden.cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const rtol = c.dtype === 'float32' ? 1e-5 : 1e-10;
    // Finite values are differences of O(1) terms (poissonNllLoss without logInput at x = t:
    // 1 − t/(x + 1e−8) = 5e−9, which float32 rounds to 0): an ulp of 1 absolute.
    const atol = c.dtype === 'float32' ? 1.2e-7 : 2.3e-16;
    const x = tensor(c.input.map(num), c.shape ?? undefined, { dtype: c.dtype, requiresGrad: true });
    const t = c.fn === 'crossEntropy' ? tensor(c.target.map(num), undefined, { dtype: 'int32' }) : tensor(c.target.map(num), undefined, { dtype: c.dtype });
    const f = (F as unknown as Record<string, (a: Tensor, b: Tensor, o: object) => Tensor>)[c.fn];
    const out = f(x, t, { ...c.options, reduction: 'none' });
    out.backward(tensor(new Array(out.numel()).fill(1), out.shape, { dtype: c.dtype }));
    const bad: string[] = [];
    const got = Array.from(out.data as Float64Array);
    const grad = Array.from(x.grad!.data as Float64Array);
    const rows = c.fn === 'crossEntropy' ? 1 : c.input.length;
    for (let i = 0; i < c.output.length; i++) {
      if (!same(got[i], num(c.output[i]), rtol, atol)) bad.push(`value at ${rows === 1 ? 'row' : `x=${c.input[i]} t=${c.target[i]}`}: ${got[i]}, PyTorch ${c.output[i]}`);
    }
    for (let i = 0; i < c.grad.length; i++) {
      const at = c.fn === 'crossEntropy' ? `class ${i}` : `x=${c.input[i]} t=${c.target[i]}`;
      if (!same(grad[i], num(c.grad[i]), rtol, atol)) bad.push(`grad at ${at}: ${grad[i]}, PyTorch ${c.grad[i]}`);
    }
    expect(bad).toEqual([]);
  });
});
