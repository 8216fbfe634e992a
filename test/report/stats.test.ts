// The report's rank statistics: Spearman's ρ and Kendall's τ-b against SciPy 1.10
// (test/report/fixtures/stats.json, from scripts/gen_report_fixtures.py), and the O(n log n)
// τ-b against the O(n²) pair count on random vectors with and without ties.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { averageRanks, kendallMatrix, kendallTauB, kendallTauBBrute, rng, spearman, spearmanMatrix, topK, worstShare } from '../../ts/report/stats.js';

interface Case { name: string; a: number[]; b: number[]; spearman: number | 'NaN'; kendall: number | 'NaN' }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/stats.json', import.meta.url), 'utf8')) as { cases: Case[] };
const num = (v: number | 'NaN'): number => (v === 'NaN' ? NaN : v);

describe('rank correlations against SciPy', () => {
  it('has the fixture cases', () => expect(fixture.cases.length).toBeGreaterThanOrEqual(8));
  for (const c of fixture.cases) {
    it(`${c.name}: spearmanr`, () => {
      const want = num(c.spearman);
      const got = spearman(c.a, c.b);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
    });
    it(`${c.name}: kendalltau (τ-b)`, () => {
      const want = num(c.kendall);
      const got = kendallTauB(c.a, c.b);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12);
    });
  }
});

describe('Kendall τ-b: merge-sort count equals the pair count', () => {
  const r = rng(7);
  for (const [n, levels] of [[2, 0], [3, 2], [17, 0], [64, 3], [100, 5], [257, 0], [300, 2], [501, 40]] as const) {
    it(`n=${n}, ${levels ? `${levels} distinct values (ties)` : 'continuous'}`, () => {
      const draw = () => Array.from({ length: n }, () => (levels ? Math.floor(r() * levels) : r()));
      for (let k = 0; k < 5; k++) {
        const a = draw();
        const b = k === 4 ? a.map((v) => -v) : draw();
        const want = kendallTauBBrute(a, b);
        const got = kendallTauB(a, b);
        if (Number.isNaN(want)) expect(got).toBeNaN();
        else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12);
      }
    });
  }
});

describe('matrices', () => {
  it('equal the pairwise functions, symmetric', () => {
    const r = rng(3);
    const vs = [0, 1, 2].map(() => Array.from({ length: 50 }, () => Math.floor(r() * 8)));
    const sm = spearmanMatrix(vs);
    const km = kendallMatrix(vs);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        expect(sm[i][j]).toBe(spearman(vs[i], vs[j]));
        expect(km[i][j]).toBe(kendallTauB(vs[Math.min(i, j)], vs[Math.max(i, j)]));
      }
    }
  });
});

describe('helpers', () => {
  it('average ranks give ties their mean rank', () => {
    expect(Array.from(averageRanks([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });
  it('topK: largest first, ties by index', () => {
    expect(topK([3, 9, 9, 1, 5], 3)).toEqual([1, 2, 4]);
  });
  it('worstShare: the top 1 % of 200 (two samples) over the total', () => {
    // weights 1…200: the two largest are 200 and 199; the total is 200·201/2 = 20100.
    const w = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(worstShare(w.slice().reverse(), 0.01)).toBeCloseTo(399 / 20100, 15);
    // equal weights: any 2 of 200 take 1 %.
    expect(worstShare(new Array(200).fill(3), 0.01)).toBeCloseTo(0.01, 15);
    // at least one sample: 1 % of 20 rounds to 0, the largest alone counts.
    expect(worstShare([1, 5, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.01)).toBeCloseTo(0.5, 15);
  });
});
