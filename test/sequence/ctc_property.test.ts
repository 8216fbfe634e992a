// Property: for random small problems, ctcLoss equals −ln of the probability summed over every
// alignment, enumerated by brute force (all C^T frame labellings whose collapse — repeats
// merged, blanks dropped — is the target). Also: the gradient against central differences of
// the loss through a log-softmax (the quantity PyTorch's gradient is), and greedy decoding.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, ops, tensor } from '../../ts/index.js';
import { logSoftmax, rng } from '../helpers/rows.js';

beforeAll(() => init());

function collapse(path: number[], blank: number): number[] {
  const out: number[] = [];
  let prev = -1;
  for (const p of path) {
    if (p !== prev && p !== blank) out.push(p);
    prev = p;
  }
  return out;
}

/** −ln Σ_{paths collapsing to `labels`} Π e^lp (lp: T rows of C). */
function bruteForce(lp: number[][], labels: number[], blank: number): number {
  const t = lp.length;
  const c = lp[0]?.length ?? 0;
  let total = 0;
  const path = new Array<number>(t).fill(0);
  const count = c ** t;
  for (let code = 0; code < count; code++) {
    let k = code;
    let logp = 0;
    for (let f = 0; f < t; f++) {
      path[f] = k % c;
      k = Math.floor(k / c);
      logp += lp[f][path[f]];
    }
    const col = collapse(path, blank);
    if (col.length === labels.length && col.every((v, i) => v === labels[i])) total += Math.exp(logp);
  }
  return -Math.log(total);
}

describe('ctcLoss = −ln Σ over enumerated alignments', () => {
  it('300 random problems (T ≤ 6, C ≤ 4, batches of 1–3, random blank, repeats, infeasible targets)', () => {
    const r = rng(13);
    const int = (lo: number, hi: number): number => Math.floor(r(lo, hi + 1));
    let infeasible = 0;
    for (let trial = 0; trial < 300; trial++) {
      const [t, n, c] = [int(1, 6), int(1, 3), int(2, 4)];
      const blank = int(0, c - 1);
      const lp: number[][][] = []; // [b][t][c]
      const data = new Float64Array(t * n * c);
      for (let b = 0; b < n; b++) lp.push([]);
      for (let f = 0; f < t; f++) {
        for (let b = 0; b < n; b++) {
          const row = logSoftmax(Array.from({ length: c }, () => r(-3, 3)));
          lp[b].push(row);
          row.forEach((v, k) => (data[(f * n + b) * c + k] = v));
        }
      }
      const il = Array.from({ length: n }, () => int(1, t));
      const labels = Array.from({ length: n }, () => Array.from({ length: int(0, 4) }, () => {
        let y = int(0, c - 2);
        if (y >= blank) y++;
        return y;
      }));
      const s = Math.max(...labels.map((l) => l.length));
      const padded = labels.flatMap((l) => [...l, ...new Array<number>(s - l.length).fill(blank === 0 ? 1 : 0)]);
      const out = F.ctcLoss(tensor(data, [t, n, c], { dtype: 'float64' }), tensor(padded, [n, s], { dtype: 'int32' }), il,
        labels.map((l) => l.length), { blank, reduction: 'none' });
      for (let b = 0; b < n; b++) {
        const want = bruteForce(lp[b].slice(0, il[b]), labels[b], blank);
        const got = (out.data as Float64Array)[b];
        if (want === Infinity) {
          infeasible++;
          expect(got).toBe(Infinity);
        } else {
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
        }
      }
    }
    expect(infeasible).toBeGreaterThan(10);
  });

  it('the gradient is that of the loss through a log-softmax of logits', () => {
    const r = rng(5);
    const [t, n, c] = [7, 2, 4];
    const z = Array.from({ length: t * n * c }, () => r(-2, 2));
    const lpOf = (zz: number[]): Float64Array => {
      const out = new Float64Array(zz.length);
      for (let q = 0; q < t * n; q++) logSoftmax(zz.slice(q * c, (q + 1) * c)).forEach((v, k) => (out[q * c + k] = v));
      return out;
    };
    const targets = tensor([[1, 2, 2], [3, 1, 0]], undefined, { dtype: 'int64' });
    const loss = (zz: number[]): number => F.ctcLoss(tensor(lpOf(zz), [t, n, c], { dtype: 'float64' }), targets, [7, 5], [3, 2]).item();
    const x = tensor(lpOf(z), [t, n, c], { dtype: 'float64', requiresGrad: true });
    F.ctcLoss(x, targets, [7, 5], [3, 2]).backward();
    const g = x.grad?.data as Float64Array;
    for (let i = 0; i < z.length; i++) {
      const h = 1e-6;
      const zp = z.slice();
      zp[i] += h;
      const zm = z.slice();
      zm[i] -= h;
      const num = (loss(zp) - loss(zm)) / (2 * h);
      expect(Math.abs(num - g[i])).toBeLessThan(1e-8);
    }
    // Frames past sample 1's input length (5) get exactly 0.
    for (let f = 5; f < t; f++) for (let k = 0; k < c; k++) expect(g[(f * n + 1) * c + k]).toBe(0);
  });
});

describe('ops.ctcGreedyDecode', () => {
  it('best path per frame, repeats collapsed, blanks removed, per sample and unbatched', () => {
    // (T=6, N=2, C=3) one-hot-ish scores: sample 0 path 1 1 0 1 2 2 → [1, 1, 2]; sample 1 path 2 0 0 2 … (length 4) → [2, 2]
    const paths = [[1, 1, 0, 1, 2, 2], [2, 0, 0, 2, 1, 1]];
    const data: number[] = [];
    for (let f = 0; f < 6; f++) for (let b = 0; b < 2; b++) for (let k = 0; k < 3; k++) data.push(k === paths[b][f] ? -0.1 : -3);
    const x = tensor(data, [6, 2, 3]);
    expect(ops.ctcGreedyDecode(x, [6, 4])).toEqual([[1, 1, 2], [2, 2]]);
    expect(ops.ctcGreedyDecode(x)).toEqual([[1, 1, 2], [2, 2, 1]]);
    expect(ops.ctcGreedyDecode(x, [6, 4], { blank: 2 })).toEqual([[1, 0, 1], [0]]);
    const one = tensor(data.filter((_, i) => Math.floor(i / 3) % 2 === 0), [6, 3]);
    expect(ops.ctcGreedyDecode(one, 6)).toEqual([1, 1, 2]);
    expect(() => ops.ctcGreedyDecode(x, [7, 1])).toThrow(/^ctcGreedyDecode: argument 'inputLengths': Expected input_lengths to be in \[0, 6\], but got value 7/);
  });
});
