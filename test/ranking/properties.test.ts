// Properties of the ranking family's kernels beyond the golden cases: every row length around
// the SIMD lanes and the 64-row tiles against plain float64 references, gradients against
// central differences, the chunked layouts, 'none' backward, bounded memory, nn = F.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, nn, ops, tensor, type Tensor } from '../../ts/index.js';
import { checkGradient, expectAllClose, rng } from '../helpers/rows.js';

beforeAll(() => init());

type DT = 'float32' | 'float64';
const rand = (n: number, seed: number, lo = -2, hi = 2) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r(lo, hi));
};
const f32 = (xs: number[]) => Array.from(new Float32Array(xs));
const data = (t: Tensor) => Array.from(t.data as Float64Array, Number);

function pnorm(a: number[], b: number[], p: number, eps: number): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k] - b[k] + eps) ** p;
  return s ** (1 / p);
}

describe('triplet and pairwise distances: every row length around the lanes', () => {
  for (const dtype of ['float32', 'float64'] as DT[]) {
    it(`${dtype}: D = 0 … 20, 31 … 33, 64, 65; p = 1, 2, 3`, () => {
      const tol = dtype === 'float32' ? 2e-6 : 1e-13;
      for (const d of [...Array.from({ length: 21 }, (_, k) => k), 31, 32, 33, 64, 65]) {
        const n = 3;
        const [a, p, q] = [1, 2, 3].map((k) => f32(rand(n * d, 100 * d + k)));
        for (const pw of [1, 2, 3]) {
          const rows = (x: number[], r: number) => x.slice(r * d, (r + 1) * d);
          const want = Array.from({ length: n }, (_, r) =>
            Math.max(0, 1 + pnorm(rows(a, r), rows(p, r), pw, 1e-6) - pnorm(rows(a, r), rows(q, r), pw, 1e-6)));
          const got = F.tripletMarginLoss(tensor(a, [n, d], { dtype }), tensor(p, [n, d], { dtype }), tensor(q, [n, d], { dtype }),
            { p: pw, reduction: 'none' });
          expectAllClose(got.data, want, tol, tol, `D=${d} p=${pw}`);
          const pd = ops.pairwiseDistance(tensor(a, [n, d], { dtype }), tensor(p, [n, d], { dtype }), { p: pw });
          expectAllClose(pd.data, Array.from({ length: n }, (_, r) => pnorm(rows(a, r), rows(p, r), pw, 1e-6)), tol, tol, `pd D=${d} p=${pw}`);
        }
      }
    });
  }
});

describe('gradients against central differences (float64)', () => {
  const x0 = rand(24, 7);
  const other = (k: number, shape: number[]) => tensor(rand(24, k), shape, { dtype: 'float64' });
  it('margin ranking, hinge and cosine embedding', () => {
    const y = tensor([1, -1, 1, 0.5, -1, 1], [6], { dtype: 'float64' });
    checkGradient((x) => F.marginRankingLoss(x, tensor(rand(6, 2), [6], { dtype: 'float64' }), y, { margin: 0.3 }), x0.slice(0, 6), [6]);
    checkGradient((x) => F.hingeEmbeddingLoss(x, y, { margin: 1.5 }), x0.slice(0, 6), [6]);
    checkGradient((x) => F.cosineEmbeddingLoss(x, other(3, [4, 6]), tensor([1, -1, -1, 1], [4], { dtype: 'float64' }), { margin: -0.3 }), x0, [4, 6]);
  });
  it('triplet losses, every argument, with and without swap', () => {
    for (const o of [{ swap: true }, { p: 1.5, margin: 3 }, { p: 1, swap: true, margin: 2 }]) {
      checkGradient((x) => F.tripletMarginLoss(x, other(4, [4, 6]), other(5, [4, 6]), o), x0, [4, 6]);
      checkGradient((x) => F.tripletMarginLoss(other(4, [4, 6]), x, other(5, [4, 6]), o), x0, [4, 6]);
      checkGradient((x) => F.tripletMarginLoss(other(4, [4, 6]), other(5, [4, 6]), x, o), x0, [4, 6]);
    }
    checkGradient((x) => F.tripletMarginWithDistanceLoss(x, other(4, [4, 6]), other(5, [4, 6]), { distanceFunction: 'cosine', swap: true }), x0, [4, 6]);
    checkGradient((x) => F.tripletMarginWithDistanceLoss(other(4, [4, 6]), other(5, [4, 6]), x, { distanceFunction: 'cosine', margin: 0.5 }), x0, [4, 6]);
  });
  it('distance ops: backward(g) of an unreduced result is the gradient of Σ g·out', () => {
    /** Analytic x.grad after out.backward(g) against central differences of Σ g·out. */
    const weighted = (op: (x: Tensor) => Tensor, shape: number[]) => {
      const x = tensor(x0, shape, { dtype: 'float64', requiresGrad: true });
      const out = op(x);
      const g = rand(out.numel(), 9);
      out.backward(tensor(g, out.shape, { dtype: 'float64' }));
      const f = (xs: number[]) => data(op(tensor(xs, shape, { dtype: 'float64' }))).reduce((s, v, i) => s + v * g[i], 0);
      x0.forEach((_, i) => {
        const [up, dn] = [x0.slice(), x0.slice()];
        up[i] += 1e-6;
        dn[i] -= 1e-6;
        expect(Math.abs((f(up) - f(dn)) / 2e-6 - data(x.grad as Tensor)[i])).toBeLessThan(1e-6);
      });
    };
    weighted((x) => ops.pairwiseDistance(x, other(2, [4, 6]), { p: 3 }), [4, 6]);
    weighted((x) => ops.pairwiseDistance(other(2, [4, 6]), x, { p: 1.5, keepdim: true }), [4, 6]);
    weighted((x) => ops.cosineSimilarity(x, other(2, [2, 3, 4]), { dim: 1 }), [2, 3, 4]);
    weighted((x) => ops.cosineSimilarity(other(2, [2, 3, 4]), x, { dim: -1 }), [2, 3, 4]);
  });
  it('contrastive losses', () => {
    checkGradient((x) => F.ntXentLoss(x, other(6, [4, 6]), { temperature: 0.3 }), x0, [4, 6]);
    checkGradient((x) => F.ntXentLoss(other(6, [4, 6]), x, { temperature: 0.7, reduction: 'sum' }), x0, [4, 6]);
    const labels = tensor([0, 1, 0, 1], [4], { dtype: 'int64' });
    for (const contrastMode of ['all', 'one'] as const) {
      checkGradient((x) => F.supConLoss(x, labels, { temperature: 0.5, contrastMode }), x0, [4, 2, 3]);
      checkGradient((x) => F.supConLoss(x, { temperature: 0.2, baseTemperature: 0.5, contrastMode }), x0, [4, 2, 3]);
    }
  });
  it('list losses (with padding)', () => {
    const y = tensor([2, 0, 1, -1, 3, 0, 1, 1, 0, -1, -1, 2, 1, 0, 0, 2, 1, 3, 0, 1, -1, 2, 2, 0], [4, 6], { dtype: 'float64' });
    checkGradient((x) => F.rankNetLoss(x, y, { weightByDiffPowed: true }), x0, [4, 6]);
    checkGradient((x) => F.listNetLoss(x, y, { eps: 1e-3 }), x0, [4, 6]);
    checkGradient((x) => F.listMleLoss(x, y), x0, [4, 6]);
    checkGradient((x) => F.approxNdcgLoss(x, y, { alpha: 2 }), x0, [4, 6]);
  });
});

/** NT-Xent in plain float64 (lightly's formula): per-anchor losses. */
function ntXentRef(z1: number[], z2: number[], n: number, d: number, t: number): number[] {
  const rows = [...Array.from({ length: n }, (_, i) => z1.slice(i * d, (i + 1) * d)), ...Array.from({ length: n }, (_, i) => z2.slice(i * d, (i + 1) * d))]
    .map((r) => {
      const norm = Math.max(Math.hypot(...r), 1e-12);
      return r.map((v) => v / norm);
    });
  return rows.map((zi, i) => {
    const s = rows.map((zj) => zi.reduce((acc, v, k) => acc + v * zj[k], 0) / t);
    const others = s.filter((_, j) => j !== i);
    const m = Math.max(...others);
    const lse = m + Math.log(others.reduce((acc, v) => acc + Math.exp(v - m), 0));
    return lse - s[(i + n) % (2 * n)];
  });
}

/** SupCon in plain float64 (the reference's formula, with its fix for anchors without positives). */
function supConRef(f: number[], labels: number[] | null, n: number, v: number, d: number, t: number, bt: number, one: boolean): number[] {
  const rows = Array.from({ length: n * v }, (_, r) => {
    const [view, i] = [Math.floor(r / n), r % n];
    return f.slice((i * v + view) * d, (i * v + view + 1) * d);
  });
  const cls = (r: number) => (labels ? labels[r % n] : r % n);
  const anchors = one ? n : n * v;
  return Array.from({ length: anchors }, (_, a) => {
    const s = rows.map((zj) => rows[a].reduce((acc, x, k) => acc + x * zj[k], 0) / t);
    const others = s.filter((_, j) => j !== a);
    const m = Math.max(...others);
    const lse = m + Math.log(others.reduce((acc, x) => acc + Math.exp(x - m), 0));
    const pos = s.map((x, j) => [x, j] as const).filter(([, j]) => j !== a && cls(j) === cls(a));
    return pos.length ? ((t / bt) * pos.reduce((acc, [x]) => acc + lse - x, 0)) / pos.length : 0;
  });
}

describe('contrastive losses across the 64-row tiles', () => {
  for (const dtype of ['float32', 'float64'] as DT[]) {
    it(`${dtype}: NT-Xent, 2N = 2 … 202`, () => {
      const tol = dtype === 'float32' ? 2e-5 : 1e-11;
      for (const n of [1, 2, 31, 32, 33, 63, 64, 65, 101]) {
        const d = 5;
        const z1 = f32(rand(n * d, n));
        const z2 = f32(rand(n * d, n + 1000));
        const got = F.ntXentLoss(tensor(z1, [n, d], { dtype }), tensor(z2, [n, d], { dtype }), { temperature: 0.2, reduction: 'none' });
        expectAllClose(got.data, ntXentRef(z1, z2, n, d, 0.2), tol, tol, `N=${n}`);
      }
    });
    it(`${dtype}: SupCon, 'all' and 'one', labels and none, N·V = 3 … 198`, () => {
      const tol = dtype === 'float32' ? 2e-5 : 1e-11;
      for (const [n, v] of [[3, 1], [16, 4], [33, 2], [65, 1], [66, 3]]) {
        const d = 4;
        const f = f32(rand(n * v * d, 7 * n + v, -1, 1));
        const labels = Array.from({ length: n }, (_, i) => (i * 7) % 5);
        for (const one of [false, true]) {
          for (const lab of [labels, null]) {
            const got = F.supConLoss(tensor(f, [n, v, d], { dtype }), lab ? tensor(lab, [n], { dtype: 'int32' }) : null,
              { temperature: 0.3, baseTemperature: 0.6, contrastMode: one ? 'one' : 'all', reduction: 'none' });
            expect(got.shape).toEqual([one ? 1 : v, n]);
            expectAllClose(got.data, supConRef(f, lab, n, v, d, 0.3, 0.6, one), tol, tol, `N=${n} V=${v} one=${one} labels=${!!lab}`);
          }
        }
      }
    });
  }
  it('a reduction of none backpropagates the per-anchor gradient (float64, across tiles)', () => {
    const n = 40;
    const d = 3;
    const z2 = tensor(rand(n * d, 5), [n, d], { dtype: 'float64' });
    const g = rand(2 * n, 6);
    const weighted = (x: Tensor) => {
      const l = F.ntXentLoss(x, z2, { temperature: 0.4, reduction: 'none' });
      return tensor([data(l).reduce((s, v, i) => s + v * g[i], 0)], [], { dtype: 'float64' });
    };
    const z1 = tensor(rand(n * d, 4), [n, d], { dtype: 'float64', requiresGrad: true });
    F.ntXentLoss(z1, z2, { temperature: 0.4, reduction: 'none' }).backward(tensor(g, [2 * n], { dtype: 'float64' }));
    const x0 = rand(n * d, 4);
    for (const i of [0, 17, 60, n * d - 1]) {
      const at = (h: number) => {
        const xs = x0.slice();
        xs[i] += h;
        return weighted(tensor(xs, [n, d], { dtype: 'float64' })).item();
      };
      expect(Math.abs((at(1e-6) - at(-1e-6)) / 2e-6 - data(z1.grad as Tensor)[i])).toBeLessThan(1e-6);
    }
  });
  it('repeated calls do not grow wasm memory (per-call blocks are freed)', () => {
    const n = 300;
    const z1 = tensor(rand(n * 16, 1), [n, 16], { requiresGrad: true });
    const z2 = tensor(rand(n * 16, 2), [n, 16], { requiresGrad: true });
    F.ntXentLoss(z1, z2).backward();
    const settled = memoryBytes();
    for (let k = 0; k < 5; k++) F.ntXentLoss(z1, z2).backward();
    expect(memoryBytes()).toBe(settled);
  });
});

describe('cosineSimilarity on every layout', () => {
  /** Plain cosine similarity along `dim` of (outer, d, inner), and its gradient for upstream g. */
  function ref(x: number[], y: number[], outer: number, d: number, inner: number, g: number[]) {
    const out: number[] = [];
    const gx = new Array<number>(x.length).fill(0);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let [xy, xx, yy] = [0, 0, 0];
        for (let c = 0; c < d; c++) {
          const k = (o * d + c) * inner + j;
          xy += x[k] * y[k];
          xx += x[k] * x[k];
          yy += y[k] * y[k];
        }
        const [nx, ny] = [Math.max(Math.sqrt(xx), 1e-8), Math.max(Math.sqrt(yy), 1e-8)];
        const c0 = xy / (nx * ny);
        out.push(c0);
        for (let c = 0; c < d; c++) {
          const k = (o * d + c) * inner + j;
          gx[k] = g[o * inner + j] * (y[k] / (nx * ny) - (c0 * x[k]) / (nx * nx));
        }
      }
    }
    return { out, gx };
  }
  for (const [dtype, shape, dim] of [
    ['float64', [2, 100, 300], 1], ['float32', [3, 50, 400], 1], ['float64', [5, 7], 1], ['float32', [4, 3, 9], 0], ['float64', [6, 5, 2], -1],
  ] as [DT, number[], number][]) {
    it(`${dtype} shape [${shape}] dim ${dim}${shape[1] * shape[2] > 8192 ? ' (split along the positions)' : ''}`, () => {
      const k = dim < 0 ? dim + shape.length : dim;
      const outer = shape.slice(0, k).reduce((a, b) => a * b, 1);
      const inner = shape.slice(k + 1).reduce((a, b) => a * b, 1);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = f32(rand(size, 3));
      const y = f32(rand(size, 4));
      const g = f32(rand(outer * inner, 5));
      const xt = tensor(x, shape, { dtype, requiresGrad: true });
      const out = ops.cosineSimilarity(xt, tensor(y, shape, { dtype }), { dim });
      out.backward(tensor(g, out.shape, { dtype }));
      const want = ref(x, y, outer, shape[k], inner, g);
      const tol = dtype === 'float32' ? 1e-5 : 1e-12;
      expectAllClose(out.data, want.out, tol, tol, 'value');
      expectAllClose(xt.grad?.data as Float64Array, want.gx, tol, tol * 10, 'grad');
    });
  }
});

describe('forms and classes', () => {
  it('supConLoss(features, options) is supConLoss(features, null, options); nn = F', () => {
    const f = tensor(rand(24, 3), [4, 2, 3]);
    const a = F.supConLoss(f, { temperature: 0.5 }).item();
    expect(F.supConLoss(f, null, { temperature: 0.5 }).item()).toBe(a);
    expect(new nn.SupConLoss({ temperature: 0.5 }).forward(f).item()).toBe(a);
    const labels = tensor([0, 1, 0, 1], [4], { dtype: 'int64' });
    expect(new nn.SupConLoss({ contrastMode: 'one' }).forward(f, labels).item()).toBe(F.supConLoss(f, labels, { contrastMode: 'one' }).item());
  });
  it('every nn class equals its F function', () => {
    const [a, p, q] = [1, 2, 3].map((k) => tensor(rand(12, k), [3, 4]));
    const y = tensor([1, -1, 1]);
    expect(new nn.TripletMarginLoss({ swap: true }).forward(a, p, q).item()).toBe(F.tripletMarginLoss(a, p, q, { swap: true }).item());
    expect(new nn.TripletMarginWithDistanceLoss({ distanceFunction: 'cosine' }).forward(a, p, q).item())
      .toBe(F.tripletMarginWithDistanceLoss(a, p, q, { distanceFunction: 'cosine' }).item());
    expect(new nn.CosineEmbeddingLoss({ margin: 0.1 }).forward(a, p, y).item()).toBe(F.cosineEmbeddingLoss(a, p, y, { margin: 0.1 }).item());
    expect(new nn.MarginRankingLoss({ margin: 0.1 }).forward(a, p, q).item()).toBe(F.marginRankingLoss(a, p, q, { margin: 0.1 }).item());
    expect(new nn.HingeEmbeddingLoss().forward(a, p).item()).toBe(F.hingeEmbeddingLoss(a, p).item());
    expect(new nn.NTXentLoss({ temperature: 0.1 }).forward(a, p).item()).toBe(F.ntXentLoss(a, p, { temperature: 0.1 }).item());
    const rel = tensor([2, 0, 1, -1, 1, 1, 0, 3, -1, -1, -1, -1], [3, 4]);
    expect(new nn.RankNetLoss({ weightByDiff: true }).forward(a, rel).item()).toBe(F.rankNetLoss(a, rel, { weightByDiff: true }).item());
    expect(new nn.ListNetLoss().forward(a, rel).item()).toBe(F.listNetLoss(a, rel).item());
    expect(new nn.ListMLELoss().forward(a, rel).item()).toBe(F.listMleLoss(a, rel).item());
    expect(new nn.ApproxNDCGLoss({ alpha: 3 }).forward(a, rel).item()).toBe(F.approxNdcgLoss(a, rel, { alpha: 3 }).item());
  });
  it("list losses: allRank's treatment of a list that is entirely padding", () => {
    const s = tensor([0.5, -1, 2, 0.3, 0.1, 0.9], [2, 3], { dtype: 'float64', requiresGrad: true });
    const y = tensor([1, 0, 2, -1, -1, -1], [2, 3], { dtype: 'float64' });
    const none = (fn: typeof F.listNetLoss) => data(fn(s, y, { reduction: 'none' }));
    expect(none(F.listNetLoss)[1]).toBeNaN();
    expect(none(F.listMleLoss)[1]).toBe(0);
    expect(none(F.approxNdcgLoss)[1]).toBe(-0);
    expect(none(F.rankNetLoss)[1]).toBe(0);
    const l = F.listNetLoss(s, y);
    expect(l.item()).toBeNaN();
    l.backward();
    expect(data(s.grad as Tensor).slice(3)).toEqual([0, 0, 0]);
    expect(data(s.grad as Tensor).slice(0, 3).every(Number.isFinite)).toBe(true);
    // RankNet's 'mean' is over the batch's pairs: the padded list adds none.
    expect(F.rankNetLoss(s, y).item()).toBeCloseTo(F.rankNetLoss(s, y, { reduction: 'sum' }).item() / 3, 14);
  });
});

describe('gradient arrays handed over to .grad (no copy)', () => {
  // backward() gives a leaf the loss's fresh gradient array instead of a copy; one array must
  // never become the .grad of two leaves (an add node passes its upstream to both operands).
  it('one leaf takes the array, the other a copy; values equal', () => {
    const y = tensor([3, 1, 0, -1, 2, 2, 1, 0, 0, 1, -1, -1], [2, 6], { dtype: 'float64' });
    const a = tensor(rand(12, 21), [2, 6], { dtype: 'float64', requiresGrad: true });
    const b = tensor(rand(12, 22), [2, 6], { dtype: 'float64', requiresGrad: true });
    F.listNetLoss(a.add(b), y).backward();
    const ga = data(a.grad!);
    expect(ga.some((v) => v !== 0)).toBe(true);
    expect(data(b.grad!)).toEqual(ga);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    (a.grad!.data as Float64Array)[0] += 1;
    expect(data(b.grad!)).toEqual(ga);
    // A later backward accumulates into the adopted array.
    const leaf = () => tensor(rand(12, 23), [2, 6], { dtype: 'float64', requiresGrad: true });
    const c = leaf();
    F.listNetLoss(c, y).backward();
    const once = data(c.grad!);
    const d = leaf();
    F.listNetLoss(d, y).backward();
    F.listNetLoss(d, y).backward();
    expectAllClose(d.grad!.data, once.map((v) => 2 * v), 1e-14, 1e-15, 'two backward calls');
  });
});

describe('gradients computed in the forward pass (reduced losses): other upstreams and retained graphs', () => {
  // The triplet, list and contrastive losses compute a reduced loss's gradient during the forward
  // call for the usual upstream 1; backward(2) and a retained graph's second backward must give
  // the same gradients as a fresh call (derivation: ∂(2L)/∂x = 2·∂L/∂x; two backward calls
  // accumulate 2·∂L/∂x into .grad).
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [
    ['tripletMarginLoss', (x) => F.tripletMarginLoss(x, tensor(rand(24, 4), [4, 6], { dtype: 'float64' }), tensor(rand(24, 5), [4, 6], { dtype: 'float64' })), [4, 6]],
    ['listNetLoss', (x) => F.listNetLoss(x, tensor([3, 1, 0, -1, 2, 2, 1, 0, 0, 1, -1, -1, 1, 2, 3, 0, 0, 1, 2, 0, 1, 2, 3, 4], [4, 6], { dtype: 'float64' })), [4, 6]],
    ['rankNetLoss', (x) => F.rankNetLoss(x, tensor([3, 1, 0, -1, 2, 2, 1, 0, 0, 1, -1, -1, 1, 2, 3, 0, 0, 1, 2, 0, 1, 2, 3, 4], [4, 6], { dtype: 'float64' })), [4, 6]],
    ['ntXentLoss', (x) => F.ntXentLoss(x, tensor(rand(24, 6), [4, 6], { dtype: 'float64' })), [4, 6]],
    ['supConLoss', (x) => F.supConLoss(x, tensor([0, 1, 0], [3], { dtype: 'int64' })), [3, 2, 4]],
  ];
  for (const [name, loss, shape] of cases) {
    it(name, () => {
      const x0 = rand(24, 9);
      const leaf = () => tensor(x0, shape, { dtype: 'float64', requiresGrad: true });
      const a = leaf();
      loss(a).backward();
      const b = leaf();
      loss(b).backward(tensor(2, [], { dtype: 'float64' }));
      const c = leaf();
      const l = loss(c);
      l.backward(undefined, { retainGraph: true });
      l.backward();
      const once = data(a.grad!);
      expect(once.some((v) => v !== 0)).toBe(true);
      expectAllClose(b.grad!.data, once.map((v) => 2 * v), 1e-14, 1e-15, `${name} backward(2)`);
      expectAllClose(c.grad!.data, once.map((v) => 2 * v), 1e-14, 1e-15, `${name} twice`);
    });
  }
});
