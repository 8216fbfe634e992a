// Every curve of the report equals lossfn at its sampled points: the value is F.<loss> on the
// point's own tensors (built here from the curve's x, independently of the family code), the
// gradient is lossfn's backward at that point through the x-axis's transform, and that gradient
// also matches a central difference of F's values (so a wrong chain rule cannot pass).

import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type Tensor } from '../../ts/index.js';
import { compare, type CurveData } from '../../ts/report/compare.js';
import { CURVE_TARGET } from '../../ts/report/families/regression.js';

type Fn = (...a: unknown[]) => Tensor;
/** A point of a curve: its loss as a function of the input data, and d(input)/dx. */
interface Point { input: number[]; shape: number[]; dinput: number[]; run: (x: Tensor) => Tensor }

const f = (name: string): Fn => (F as unknown as Record<string, Fn>)[name];
const none = (o: Record<string, unknown>) => ({ ...o, reduction: 'none' });

function logSoftmax(z: number[], v: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < z.length; i += v) {
    const row = z.slice(i, i + v);
    const m = Math.max(...row);
    const l = m + Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
    out.push(...row.map((x) => x - l));
  }
  return out;
}

/** The point at x of a curve of kind `key`, for the series' F function and options. */
function point(key: string, fn: string, o: Record<string, unknown>, x: number): Point {
  switch (key) {
    case 'residual': {
      // t = 5; the prediction λ = t + r, given as log λ to Poisson with logInput (its default).
      const t = CURVE_TARGET;
      const log = fn === 'poissonNllLoss' && o.logInput !== false;
      return { input: [log ? Math.log(t + x) : t + x], shape: [1], dinput: [log ? 1 / (t + x) : 1], run: (p) => f(fn)(p, tensor([t], [1], { dtype: 'float64' }), none(o)) };
    }
    case 'margin': {
      // Ten logits: the true class 0 at m, the rest 0; categoricalHinge takes a one-hot target.
      const z = [x, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      const target = fn === 'categoricalHinge' ? tensor([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]], [1, 10], { dtype: 'float64' }) : tensor([0], [1], { dtype: 'int64' });
      return { input: z, shape: [1, 10], dinput: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], run: (p) => f(fn)(p, target, none(o)) };
    }
    case 'offset': {
      // Ground truth [0, 0, 10, 10]; the prediction shifted by x widths: [10x, 0, 10x + 10, 10].
      return { input: [10 * x, 0, 10 * x + 10, 10], shape: [1, 4], dinput: [10, 0, 10, 0], run: (p) => f(fn)(p, tensor([[0, 0, 10, 10]], [1, 4], { dtype: 'float64' }), none(o)) };
    }
    case 'scale': {
      // Same centre (5, 5), half side 5·2^s; d(half)/ds = half·ln 2.
      const h = 5 * 2 ** x;
      const d = h * Math.LN2;
      return { input: [5 - h, 5 - h, 5 + h, 5 + h], shape: [1, 4], dinput: [-d, -d, d, d], run: (p) => f(fn)(p, tensor([[0, 0, 10, 10]], [1, 4], { dtype: 'float64' }), none(o)) };
    }
    case 'object-small':
    case 'object-large': {
      // A 16×16 image, a square object of side 4 or 10 at rows/columns 1…a predicted f, the rest
      // 0.02. Logit inputs: z = logit(f), dz/df = 1/(f(1 − f)); MCC takes the probabilities.
      const a = key === 'object-small' ? 4 : 10;
      const lg = (p: number) => Math.log(p / (1 - p));
      const z = new Array(256).fill(lg(0.02));
      const y = new Array(256).fill(0);
      const d = new Array(256).fill(0);
      for (let r = 1; r <= a; r++) for (let c = 1; c <= a; c++) ((z[r * 16 + c] = lg(x)), (y[r * 16 + c] = 1), (d[r * 16 + c] = 1 / (x * (1 - x))));
      const zero = new Array(256).fill(0);
      switch (fn) {
        case 'mccLoss':
          return { input: z.map((v) => 1 / (1 + Math.exp(-v))), shape: [1, 16, 16], dinput: d.map((v) => (v === 0 ? 0 : 1)), run: (p) => f(fn)(p, f64(y, [1, 16, 16]), o) };
        case 'lovaszHingeLoss':
          return { input: z, shape: [1, 16, 16], dinput: d, run: (p) => f(fn)(p, f64(y, [1, 16, 16]), o) };
        case 'lovaszSoftmaxLoss':
          // Two classes with logits (0, z).
          return { input: [...zero, ...z], shape: [1, 2, 16, 16], dinput: [...zero, ...d], run: (p) => f(fn)(p, tensor(y, [1, 16, 16], { dtype: 'int32' }), o) };
        case 'generalizedDiceLoss':
          return { input: [...zero, ...z], shape: [1, 2, 16, 16], dinput: [...zero, ...d], run: (p) => f(fn)(p, f64([...y.map((v) => 1 - v), ...y], [1, 2, 16, 16]), none(o)) };
        default:
          return { input: z, shape: [1, 1, 16, 16], dinput: d, run: (p) => f(fn)(p, f64(y, [1, 1, 16, 16]), { ...o, mode: 'multilabel', reduction: 'none' }) };
      }
    }
    case 'frame': {
      // Transcript 1 2 3 over 6 classes. CTC: 6 frames aligned 1 1 2 2 3 3, that symbol's logit
      // m; RNN-T: 4 frames × 4 nodes, the next symbol's and blank's (class 5) logits m.
      const v = 6;
      const tr = tensor([[1, 2, 3]], [1, 3], { dtype: 'int32' });
      if (fn === 'ctcLoss') {
        const z = new Array(6 * v).fill(0);
        const d = new Array(6 * v).fill(0);
        [1, 1, 2, 2, 3, 3].forEach((s, t) => ((z[t * v + s] = x), (d[t * v + s] = 1)));
        // The input is the logits; CTC takes their log_softmax, and its gradient is PyTorch's,
        // with respect to those logits, so the point runs on log_softmax of its input's data.
        return { input: z, shape: [6, 1, v], dinput: d, run: (p) => f(fn)(tensor(logSoftmax(Array.from(p.data as Float64Array), v), [6, 1, v], { dtype: 'float64', requiresGrad: true }), tr, [6], [3], none(o)) };
      }
      const z = new Array(4 * 4 * v).fill(0);
      const d = new Array(4 * 4 * v).fill(0);
      for (let t = 0; t < 4; t++) {
        for (let u = 0; u < 4; u++) {
          if (u < 3) ((z[(t * 4 + u) * v + [1, 2, 3][u]] = x), (d[(t * 4 + u) * v + [1, 2, 3][u]] = 1));
          z[(t * 4 + u) * v + 5] = x;
          d[(t * 4 + u) * v + 5] = 1;
        }
      }
      return { input: z, shape: [1, 4, 4, v], dinput: d, run: (p) => f(fn)(p, tr, [4], [3], none(o)) };
    }
  }
  throw new Error(`no point construction for curve '${key}'`);
}

const f64 = (a: number[], shape: number[]) => tensor(a, shape, { dtype: 'float64' });

/**
 * Ranking curves: several inputs per point, and a 'none' output of several values whose
 * weighted sum is the curve's per-sample value (NT-Xent: the mean of the pair's two anchors).
 */
interface MultiPoint { inputs: { data: number[]; shape: number[]; d: number[] }[]; weights: number[]; run: (...x: Tensor[]) => Tensor }

function rankingPoint(key: string, fn: string, o: Record<string, unknown>, x: number): MultiPoint | null {
  const z3 = [0, 0, 0];
  switch (key) {
    case 'pair':
      // Scores (x, 0), the first should rank higher; RankNet sees them as a list with relevance (1, 0).
      if (fn === 'rankNetLoss') return { inputs: [{ data: [x, 0], shape: [1, 2], d: [1, 0] }], weights: [1], run: (s) => f(fn)(s, f64([1, 0], [1, 2]), none(o)) };
      return { inputs: [{ data: [x], shape: [1], d: [1] }, { data: [0], shape: [1], d: [0] }], weights: [1], run: (a, b) => f(fn)(a, b, f64([1], [1]), none(o)) };
    case 'gap':
      // Anchor at the origin, positive at distance 1, negative at distance 1 + x (in the plane);
      // hinge embedding takes the two distances with targets (1, −1) and sums them.
      if (fn === 'hingeEmbeddingLoss') return { inputs: [{ data: [1, 1 + x], shape: [2], d: [0, 1] }], weights: [1, 1], run: (a) => f(fn)(a, f64([1, -1], [2]), none(o)) };
      return { inputs: [{ data: [0, 0], shape: [1, 2], d: [0, 0] }, { data: [1, 0], shape: [1, 2], d: [0, 0] }, { data: [0, 1 + x], shape: [1, 2], d: [0, 1] }], weights: [1], run: (a, p, n) => f(fn)(a, p, n, none(o)) };
    case 'similarity': {
      // Anchor e1, positive (x, √(1 − x²), 0) so cos = x, every other vector e3 (orthogonal).
      const c = Math.sqrt(1 - x * x);
      const pos = [x, c, 0];
      const dpos = [1, -x / c, 0];
      if (fn === 'cosineEmbeddingLoss') return { inputs: [{ data: [1, 0, 0, 1, 0, 0], shape: [2, 3], d: [...z3, ...z3] }, { data: [...pos, 0, 0, 1], shape: [2, 3], d: [...dpos, ...z3] }], weights: [1, 1], run: (a, b) => f(fn)(a, b, f64([1, -1], [2]), none(o)) };
      if (fn === 'tripletMarginWithDistanceLoss') return { inputs: [{ data: [1, 0, 0], shape: [1, 3], d: z3 }, { data: pos, shape: [1, 3], d: dpos }, { data: [0, 0, 1], shape: [1, 3], d: z3 }], weights: [1], run: (a, p, n) => f(fn)(a, p, n, none(o)) };
      // Two pairs (e1, pos) and (e3, e3): the anchors of pair 0 are z1 row 0 and z2 row 0.
      if (fn === 'ntXentLoss') return { inputs: [{ data: [1, 0, 0, 0, 0, 1], shape: [2, 3], d: [...z3, ...z3] }, { data: [...pos, 0, 0, 1], shape: [2, 3], d: [...dpos, ...z3] }], weights: [0.5, 0, 0.5, 0], run: (a, b) => f(fn)(a, b, none(o)) };
      if (fn === 'supConLoss') return { inputs: [{ data: [1, 0, 0, ...pos, 0, 0, 1, 0, 0, 1], shape: [2, 2, 3], d: [...z3, ...dpos, ...z3, ...z3] }], weights: [0.5, 0, 0.5, 0], run: (ft) => f(fn)(ft, tensor([0, 1], [2], { dtype: 'int64' }), none(o)) };
      return null;
    }
    case 'list':
      return { inputs: [{ data: [x, 0, 0, 0, 0], shape: [1, 5], d: [1, 0, 0, 0, 0] }], weights: [1], run: (s) => f(fn)(s, f64([1, 0, 0, 0, 0], [1, 5]), none(o)) };
  }
  return null;
}

/** Value at x and lossfn's gradient along the curve's x. */
function evaluate(key: string, fn: string, o: Record<string, unknown>, x: number): { value: number; grad: number } {
  const m = rankingPoint(key, fn, o, x);
  if (m !== null) {
    const xs = m.inputs.map((i) => tensor(i.data, i.shape, { dtype: 'float64', requiresGrad: true }));
    const out = m.run(...xs);
    out.backward(tensor(m.weights, out.shape.slice(), { dtype: 'float64' }));
    const v = out.data as Float64Array;
    return {
      value: m.weights.reduce((a, w, i) => a + w * v[i], 0),
      grad: m.inputs.reduce((a, inp, k) => a + inp.d.reduce((b, d, j) => b + d * (xs[k].grad?.data as Float64Array)[j], 0), 0),
    };
  }
  const p = point(key, fn, o, x);
  const xt = tensor(p.input, p.shape, { dtype: 'float64', requiresGrad: true });
  const out = p.run(xt);
  if (key === 'frame' && fn === 'ctcLoss') {
    // The CTC input is a fresh tensor inside run(): take its gradient from the graph's leaf.
    const leaf = out.gradFn?.inputs[0] as Tensor;
    out.backward(new Float64Array([1]));
    const g = leaf.grad?.data as Float64Array;
    return { value: out.item(), grad: p.dinput.reduce((a, d, i) => a + d * g[i], 0) };
  }
  // One value, of shape [1], [] or (1, 1, 1, 1) (Generalized Dice's 'none').
  out.backward(tensor([1], out.shape.slice(), { dtype: 'float64' }));
  const g = xt.grad?.data as Float64Array;
  return { value: out.item(), grad: p.dinput.reduce((a, d, i) => a + d * g[i], 0) };
}

let curves: { family: string; c: CurveData }[] = [];
beforeAll(async () => {
  await init();
  const { data } = await compare({ levels: [0], maxSamples: 10 });
  curves = data.sections.flatMap((s) => s.curves.map((c) => ({ family: s.family, c })));
});

describe('report curves equal lossfn', () => {
  it('every family of the build has curves', () => {
    expect(new Set(curves.map((c) => c.family))).toEqual(new Set(['regression', 'classification', 'localization', 'segmentation', 'ranking', 'sequence']));
    expect(curves.map((c) => c.c.key).sort()).toEqual(['frame', 'gap', 'list', 'margin', 'object-large', 'object-small', 'offset', 'pair', 'residual', 'scale', 'similarity']);
  });

  it('values and gradients at every 10th point of every series', () => {
    let checked = 0;
    for (const { c } of curves) {
      expect(c.loss.length).toBe(c.grad.length);
      c.loss.forEach((s, k) => {
        const g = c.grad[k];
        expect(g.name).toBe(s.name);
        for (let i = 0; i < s.x.length; i += 10) {
          const want = evaluate(c.key, s.fn, s.options, s.x[i]);
          expect(Math.abs(s.y[i] - want.value), `${c.key} ${s.name} value at ${s.x[i]}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.value)));
          expect(Math.abs(g.y[i] - want.grad), `${c.key} ${s.name} gradient at ${s.x[i]}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.grad)));
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(400);
  });

  it('the gradients match central differences of the values (chain rules)', () => {
    const h = 1e-5;
    let checked = 0;
    for (const { c } of curves) {
      for (const s of c.grad) {
        // Documented non-gradients, checked against lossfn's backward above only: RNN-T's clamp
        // clips the gradient, not the value; Focal-EIoU holds its iou^γ factor constant in the
        // backward pass (ts/functional/efficient_box_iou_loss.ts, as the paper trains it).
        if (s.options.clamp !== undefined || (s.options.gamma !== undefined && s.fn === 'efficientBoxIouLoss')) continue;
        for (let i = 5; i < s.x.length; i += 10) {
          const x = s.x[i];
          const fd = (evaluate(c.key, s.fn, s.options, x + h).value - evaluate(c.key, s.fn, s.options, x - h).value) / (2 * h);
          // Kinks (L1 at 0, hinge corners, box edges touching) are avoided by the odd offset;
          // away from them the difference quotient is good to ~1e-7.
          expect(Math.abs(s.y[i] - fd), `${c.key} ${s.name} at ${x}: ${s.y[i]} vs ${fd}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(fd)));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(400);
  });
});
