// Streaming metrics: for every loss of the streaming table, compute() over random batch
// splits equals the loss on the concatenated data (1e-12 relative in float64, 1e-6 in float32),
// merges in any order give the same value bit for bit, states survive JSON, and the refusals.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, metrics, Tensor, tensor, type FloatDType } from '../../ts/index.js';
import { cat, CASES, rows, type Case } from '../helpers/streaming.js';

beforeAll(async () => {
  await init();
});

type LossFn = (...a: unknown[]) => Tensor;
const Fx = F as unknown as Record<string, LossFn>;

/** Tensor options in the data's dtype (the cases write them in float64). */
function optionsFor(c: Case, dtype: FloatDType): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c.options).map(([k, v]) =>
    [k, v instanceof Tensor ? tensor(Array.from(v.data as Float64Array), v.shape, { dtype }) : v]));
}

/** Cut points splitting n rows into non-empty batches. */
const splits = (n: number) =>
  fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: 6 }).map((cuts) => [0, ...cuts.sort((a, b) => a - b), n]);

const RTOL: Record<FloatDType, number> = { float64: 1e-12, float32: 1e-6 };

function expectRel(actual: number, expected: number, rtol: number, what: string): void {
  if (Number.isNaN(expected)) {
    expect(actual, what).toBeNaN();
    return;
  }
  if (!(Math.abs(actual - expected) <= rtol * Math.abs(expected))) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (relative error ${Math.abs(actual - expected) / Math.abs(expected)} > ${rtol})`);
  }
}

describe('metrics.loss: compute() equals the loss on the concatenated batches', () => {
  for (const c of CASES) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${c.label} (${dtype})`, () => {
        const n = 23;
        fc.assert(
          fc.property(splits(n), fc.integer({ min: 1, max: 1e6 }), (cuts, seed) => {
            const opts = optionsFor(c, dtype);
            const all = c.data(n, dtype, seed);
            // Losses with one value and no reduction option (mccLoss, the Lovász losses) take none.
            const red = (Fx[c.loss] as unknown as { spec: { options: Record<string, unknown> } }).spec.options.reduction
              ? { reduction: metrics.loss(c.loss, opts).reduction } : {};
            const expected = Fx[c.loss](...all, { ...opts, ...red }).item();
            const m = metrics.loss(c.loss, opts);
            const parts: ReturnType<typeof metrics.loss>[] = [];
            for (let i = 0; i + 1 < cuts.length; i++) {
              const batch = all.map((t) => rows(t, cuts[i], cuts[i + 1]));
              m.update(...batch);
              parts.push(metrics.loss(c.loss, opts).update(...batch));
            }
            const value = m.compute();
            expectRel(value, expected, RTOL[dtype], `${c.label} ${dtype} cuts ${cuts.join(',')}`);
            // Merging the per-batch metrics in reverse order (through JSON states) is exact.
            const merged = metrics.loss(c.loss, opts);
            for (const p of parts.reverse()) merged.merge(JSON.parse(JSON.stringify(p.state())));
            expect(Object.is(merged.compute(), value), `${c.label}: merged ${merged.compute()} vs streamed ${value}`).toBe(true);
          }),
          { numRuns: 8 },
        );
      });
    }
  }

  it('hinge: the {0,1} label rule follows the whole dataset, not the batch', () => {
    // Batch 1 is all {0, 1} (converted alone), batch 2 has a −1: the concatenation is not converted.
    const x = tensor([0.5, -0.2, 1.5, 0.3], [4], { dtype: 'float64' });
    const t = tensor([0, 1, -1, 1], [4], { dtype: 'float64' });
    const m = metrics.loss('hinge').update(rows(x, 0, 2), rows(t, 0, 2)).update(rows(x, 2, 4), rows(t, 2, 4));
    // Unconverted: max(1 − t·x, 0) = [1, 1.2, 2.5, 0.7] → mean 1.35.
    expect(m.compute()).toBeCloseTo(1.35, 14);
    expect(F.hinge(x, t).item()).toBeCloseTo(1.35, 14);
    // Batch 1 alone is converted: t' = [−1, 1] → [1.5, 1.2] → mean 1.35.
    expect(metrics.loss('hinge').update(rows(x, 0, 2), rows(t, 0, 2)).compute()).toBeCloseTo(1.35, 14);
    expect(metrics.loss('hinge', { reduction: 'sum' }).update(rows(x, 0, 2), rows(t, 0, 2)).compute()).toBeCloseTo(2.7, 14);
  });
});

describe('metrics: exactness of the accumulated sums', () => {
  it('ExactSum is correctly rounded and order-independent (against a BigInt reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -(2 ** 30), max: 2 ** 30 }), fc.integer({ min: -40, max: 40 })), { minLength: 1, maxLength: 60 }), (terms) => {
        // x = m·2^e exactly; the exact sum scaled by 2^80 is an integer.
        const xs = terms.map(([m, e]) => m * 2 ** e);
        const exact = terms.reduce((a, [m, e]) => a + BigInt(m) * 2n ** BigInt(e + 80), 0n);
        const want = Number(exact) / 2 ** 80; // Number(bigint) rounds to nearest, ties to even
        const a = new metrics.ExactSum();
        xs.forEach((x) => a.add(x));
        const b = new metrics.ExactSum();
        xs.slice().reverse().forEach((x) => b.add(x));
        const half = new metrics.ExactSum();
        const rest = new metrics.ExactSum();
        xs.forEach((x, i) => (i % 2 ? half : rest).add(x));
        rest.merge(metrics.ExactSum.fromJSON(JSON.parse(JSON.stringify(half.toJSON())), 'test'));
        expect(a.value()).toBe(want);
        expect(b.value()).toBe(want);
        expect(rest.value()).toBe(want);
      }),
      { numRuns: 200 },
    );
  });

  it('plain float64 summation would not be merge-order safe (the case ExactSum fixes)', () => {
    const xs = [1e16, 1, -1e16, 1, 3.3, 1e-3];
    expect(xs.reduce((a, b) => a + b, 0)).not.toBe(xs.slice().reverse().reduce((a, b) => a + b, 0));
    const a = new metrics.ExactSum();
    const b = new metrics.ExactSum();
    xs.forEach((x) => a.add(x));
    xs.slice().reverse().forEach((x) => b.add(x));
    expect(a.value()).toBe(b.value());
    expect(a.value()).toBe(5.301);
  });

  it('non-finite terms: NaN, ±inf, and inf − inf = NaN survive JSON', () => {
    const s = new metrics.ExactSum();
    s.add(1);
    s.add(Infinity);
    expect(s.value()).toBe(Infinity);
    const t = metrics.ExactSum.fromJSON(JSON.parse(JSON.stringify(s.toJSON())), 't');
    expect(t.value()).toBe(Infinity);
    t.add(-Infinity);
    expect(t.value()).toBeNaN();
    const o = new metrics.ExactSum();
    o.add(1.7e308);
    o.add(1.7e308);
    expect(o.value()).toBe(Infinity);
  });
});

describe('metrics: state, reset, merge rules and refusals', () => {
  const x = tensor([[1, 2, 0.5], [0.1, -1, 3]], undefined, { dtype: 'float64' });
  const y = tensor([0, 2], undefined, { dtype: 'int64' });

  it('empty metric: mean NaN, sum 0 (as the loss on empty input)', () => {
    expect(metrics.loss('crossEntropy').compute()).toBeNaN();
    expect(metrics.loss('crossEntropy', { reduction: 'sum' }).compute()).toBe(0);
  });

  it('state() is plain JSON with the loss, every option (defaults filled) and the format version', () => {
    const m = metrics.loss('crossEntropy', { weight: tensor([1, 2, 3], undefined, { dtype: 'float64' }) }).update(x, y);
    const s = m.state();
    expect(s.format).toBe('lossfn.metric');
    expect(s.version).toBe(1);
    expect(s.loss).toBe('crossEntropy');
    expect(s.options).toEqual({ ignoreIndex: -100, labelSmoothing: 0, reduction: 'mean', weight: { dtype: 'float64', shape: [3], data: [1, 2, 3] } });
    expect(s.dtype).toBe('float64');
    expect(s.batches).toBe(1);
    const back = metrics.fromState(JSON.stringify(s));
    expect(Object.is(back.compute(), m.compute())).toBe(true);
    expect(back.compute()).toBeCloseTo(F.crossEntropy(x, y, { weight: tensor([1, 2, 3], undefined, { dtype: 'float64' }) }).item(), 14);
  });

  it('reset() forgets the batches, keeps the configuration', () => {
    const m = metrics.loss('crossEntropy', { reduction: 'sum' }).update(x, y);
    m.reset();
    expect(m.compute()).toBe(0);
    expect(m.count).toBe(0);
    m.update(x, y);
    expect(m.compute()).toBeCloseTo(F.crossEntropy(x, y, { reduction: 'sum' }).item(), 14);
  });

  it('a batch that throws leaves the metric unchanged', () => {
    const m = metrics.loss('crossEntropy').update(x, y);
    const before = JSON.stringify(m.state());
    expect(() => m.update(x, tensor([0, 7], undefined, { dtype: 'int64' }))).toThrow(/crossEntropy: argument 'target': Target 7 is out of bounds/);
    expect(JSON.stringify(m.state())).toBe(before);
  });

  it('refuses merging states whose configuration differs', () => {
    const a = metrics.loss('crossEntropy', { labelSmoothing: 0.1 }).update(x, y);
    expect(() => a.merge(metrics.loss('crossEntropy').update(x, y))).toThrow(/cannot merge a crossEntropy metric .* the configurations differ/);
    expect(() => a.merge(metrics.loss('nllLoss').state())).toThrow(/configurations differ/);
    expect(() => a.merge(metrics.loss('crossEntropy', { labelSmoothing: 0.1, reduction: 'sum' }))).toThrow(/configurations differ/);
    // The same configuration written differently (a default spelled out) merges.
    expect(() => a.merge(metrics.loss('crossEntropy', { labelSmoothing: 0.1, ignoreIndex: -100 }))).not.toThrow();
    const f32 = metrics.loss('crossEntropy', { labelSmoothing: 0.1 }).update(tensor([[1, 2, 0.5]]), tensor([1], undefined, { dtype: 'int64' }));
    expect(() => a.merge(f32)).toThrow(/cannot merge a crossEntropy metric of float32 batches into one of float64 batches/);
    expect(() => a.update(tensor([[1, 2, 0.5]]), tensor([1], undefined, { dtype: 'int64' }))).toThrow(/has dtype float32 but earlier batches had float64/);
  });

  it('refuses states of another format or version', () => {
    const s = metrics.loss('mseLoss').state();
    expect(() => metrics.fromState({ ...s, version: 2 as never })).toThrow(/state version 2 is not supported/);
    expect(() => metrics.fromState({ ...s, format: 'x' as never })).toThrow(/not a lossfn metric state/);
  });

  it('refuses losses without an exact streaming form, reduction none, unknown losses and bad options', () => {
    expect(() => metrics.loss('lovaszSoftmaxLoss')).toThrow(/lovaszSoftmaxLoss has no exact streaming form with perImage: false/);
    expect(() => metrics.loss('lovaszHingeLoss', { perImage: false })).toThrow(/no exact streaming form/);
    expect(() => metrics.loss('mccLoss', { reduction: 'sum' })).toThrow(/mccLoss: unknown option 'reduction'/);
    expect(() => metrics.loss('mseLoss', { reduction: 'none' })).toThrow(/mseLoss with reduction 'none' has no single value to stream/);
    expect(() => metrics.loss('sigmoidFocalLoss', { reduction: 'none' })).toThrow(/reduction 'none'/);
    expect(metrics.loss('sigmoidFocalLoss').reduction).toBe('mean');
    expect(metrics.loss('distillationLoss').reduction).toBe('batchmean');
    expect(() => metrics.loss('nope')).toThrow(/metrics.loss: unknown loss 'nope'; losses with a streaming form: l1Loss, /);
    expect(() => metrics.loss('huberLoss', { delta: 0 })).toThrow(/huberLoss: option 'delta' does not support non-positive values, got 0/);
    expect(() => metrics.loss('mseLoss', { reduction: 'batchmean' })).toThrow(/"batchmean" is not a valid value for reduction/);
    expect(() => metrics.loss('mseLoss').update(x)).toThrow(/expected 2 tensors \(input, target\), got 1/);
  });

  it('every loss of the loss table with a mean or sum reduction streams (or is refused with a reason)', () => {
    const missing = (Object.values(F) as unknown[])
      .filter((f): f is { spec: { name: string; options: Record<string, { default: unknown }> } } => typeof f === 'function' && 'spec' in f)
      .filter((f) => f.spec.options.reduction !== undefined)
      .map((f) => f.spec.name)
      .filter((name) => {
        try {
          metrics.loss(name);
          return false;
        } catch (e) {
          return !/no exact streaming form/.test((e as Error).message);
        }
      });
    // A new loss needs its entry in ts/metrics/table.ts (its per-batch 'mean' denominator, or
    // sufficient statistics), or an entry in REFUSED saying why it cannot stream.
    expect(missing).toEqual([]);
  });

  it('available() lists every streaming loss with its reductions; each has a split test', () => {
    const list = metrics.available();
    expect(list.length).toBeGreaterThanOrEqual(41);
    expect(list.find((e) => e.name === 'klDiv')?.reductions).toEqual(['mean', 'sum', 'batchmean']);
    // The sequence losses' arguments are not split along dimension 0 (CTC's batch is dim 1,
    // lengths are arrays): their split tests are below.
    expect(new Set(list.map((e) => e.name))).toEqual(new Set([...CASES.map((c) => c.loss), 'ctcLoss', 'rnntLoss']));
  });

  it('ctcLoss and rnntLoss: two batches equal the loss on the whole batch (mean, sum)', () => {
    const r = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const rand = r(7);
    const T = 6;
    const N = 5;
    const V = 4;
    // CTC: log-softmax of random logits (T, N, V), padded targets (N, 2), lengths.
    const logits = Array.from({ length: T * N * V }, () => 2 * rand() - 1);
    const lp: number[] = [];
    for (let i = 0; i < T * N; i++) {
      const row = logits.slice(i * V, (i + 1) * V);
      const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      lp.push(...row.map((x) => x - lse));
    }
    const targets = [1, 2, 3, 3, 2, 1, 1, 0, 2, 2];
    const tLen = [2, 2, 1, 0, 2];
    const inLen = [6, 5, 6, 4, 6];
    const sliceN = (a: number, b: number) => {
      const out: number[] = [];
      for (let t = 0; t < T; t++) out.push(...lp.slice((t * N + a) * V, (t * N + b) * V));
      return tensor(out, [T, b - a, V], { dtype: 'float64' });
    };
    const tg = (a: number, b: number) => tensor(targets.slice(2 * a, 2 * b), [b - a, 2], { dtype: 'int64' });
    for (const reduction of ['mean', 'sum'] as const) {
      const whole = F.ctcLoss(sliceN(0, N), tg(0, N), inLen, tLen, { reduction }).item();
      const m = metrics.loss('ctcLoss', { reduction })
        .update(sliceN(0, 2), tg(0, 2), inLen.slice(0, 2), tLen.slice(0, 2))
        .update(sliceN(2, N), tg(2, N), inLen.slice(2), tLen.slice(2));
      expectRel(m.compute(), whole, 1e-12, `ctcLoss ${reduction}`);
    }
    // RNN-T: logits (N, T, U + 1, V), targets (N, U) int32, lengths.
    const U = 2;
    const x = Array.from({ length: N * T * (U + 1) * V }, () => 2 * rand() - 1);
    const xs = (a: number, b: number) => tensor(x.slice(a * T * (U + 1) * V, b * T * (U + 1) * V), [b - a, T, U + 1, V], { dtype: 'float64' });
    const ys = (a: number, b: number) => tensor([1, 2, 2, 1, 0, 1, 2, 2, 1, 1].slice(2 * a, 2 * b), [b - a, U], { dtype: 'int32' });
    const ll = [6, 5, 6, 4, 6];
    const ul = [2, 2, 1, 0, 2];
    for (const reduction of ['mean', 'sum'] as const) {
      const whole = F.rnntLoss(xs(0, N), ys(0, N), ll, ul, { reduction }).item();
      const m = metrics.loss('rnntLoss', { reduction })
        .update(xs(0, 3), ys(0, 3), ll.slice(0, 3), ul.slice(0, 3))
        .update(xs(3, N), ys(3, N), ll.slice(3), ul.slice(3));
      expectRel(m.compute(), whole, 1e-12, `rnntLoss ${reduction}`);
    }
  });
});
