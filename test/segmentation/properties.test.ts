// Properties of the segmentation kernels beyond the golden cases: the SIMD plane pass (lanes,
// padded tails, blocks of pixels, images) and the Lovász sorts against plain float64 JS
// references on random sizes (classes 1–5, pixels around the lane multiples and across the
// 256 KiB block boundary), values and gradients under a random upstream; Tversky(½, ½) = Dice
// and Tversky(1, 1) = Jaccard.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type FloatDType, type Tensor } from '../../ts/index.js';
import { close } from '../helpers/property.js';
import { rng } from '../helpers/rows.js';

beforeAll(() => init());

type Mode = 'multiclass' | 'multilabel';
interface Problem { n: number; c: number; s: number; x: Float64Array; labels: Int32Array; dense: Float64Array }

/** Random logits (N, C, S) and targets; labels −1 where ignored (ignoreIndex 255 in the tensor). */
function problem(n: number, c: number, s: number, seed: number): Problem {
  const r = rng(seed);
  const x = Float64Array.from({ length: n * c * s }, () => r(-4, 4));
  const labels = Int32Array.from({ length: n * s }, () => (r() < 0.1 ? -1 : Math.floor(r() * c)));
  const dense = Float64Array.from({ length: n * c * s }, () => (r() < 0.3 ? r() : r() < 0.5 ? 1 : 0));
  return { n, c, s, x, labels, dense };
}

/** p and ∂p/∂x applied to d (the activation's backward), plain float64. */
function activate(pr: Problem, mode: Mode): Float64Array {
  const { n, c, s, x } = pr;
  const p = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < s; i++) {
      if (mode === 'multilabel') {
        for (let k = 0; k < c; k++) p[(b * c + k) * s + i] = 1 / (1 + Math.exp(-x[(b * c + k) * s + i]));
        continue;
      }
      let m = -Infinity;
      for (let k = 0; k < c; k++) m = Math.max(m, x[(b * c + k) * s + i]);
      let z = 0;
      for (let k = 0; k < c; k++) z += Math.exp(x[(b * c + k) * s + i] - m);
      for (let k = 0; k < c; k++) p[(b * c + k) * s + i] = Math.exp(x[(b * c + k) * s + i] - m) / z;
    }
  }
  return p;
}

/** The overlap score (k·TP + 0)/(k·TP + a·FP + b·FN) per class with smp's rules, mean^γ, and ∂/∂x. */
function overlapRef(pr: Problem, mode: Mode, k: number, a: number, bb: number, gamma: number, up: number): { value: number; grad: Float64Array } {
  const { n, c, s } = pr;
  const p = activate(pr, mode);
  const g = (b: number, kk: number, i: number) => (mode === 'multiclass' ? (pr.labels[b * s + i] === kk ? 1 : 0) : pr.dense[(b * c + kk) * s + i]);
  const ok = (b: number, kk: number, i: number) => (mode === 'multiclass' ? pr.labels[b * s + i] >= 0 : true);
  const tp = new Float64Array(c), fp = new Float64Array(c), fn = new Float64Array(c), gs = new Float64Array(c);
  for (let b = 0; b < n; b++) for (let kk = 0; kk < c; kk++) for (let i = 0; i < s; i++) {
    if (!ok(b, kk, i)) continue;
    const pv = p[(b * c + kk) * s + i], gv = g(b, kk, i);
    tp[kk] += pv * gv; fp[kk] += pv * (1 - gv); fn[kk] += (1 - pv) * gv; gs[kk] += gv;
  }
  const loss = new Float64Array(c), dTp = new Float64Array(c), dFp = new Float64Array(c), dFn = new Float64Array(c);
  for (let kk = 0; kk < c; kk++) {
    if (!(gs[kk] > 0)) continue;
    const num = k * tp[kk], den = Math.max(k * tp[kk] + a * fp[kk] + bb * fn[kk], 1e-7);
    loss[kk] = 1 - num / den;
    dTp[kk] = -(k / den - (num * k) / (den * den));
    dFp[kk] = (num * a) / (den * den);
    dFn[kk] = (num * bb) / (den * den);
  }
  const mean = loss.reduce((u, v) => u + v, 0) / c;
  const w = (up * (gamma === 1 ? 1 : mean === 0 ? 0 : gamma * mean ** (gamma - 1))) / c;
  const d = new Float64Array(pr.x.length);
  for (let b = 0; b < n; b++) for (let kk = 0; kk < c; kk++) for (let i = 0; i < s; i++) {
    if (!ok(b, kk, i)) continue;
    const gv = g(b, kk, i);
    d[(b * c + kk) * s + i] = w * (dTp[kk] * gv + dFp[kk] * (1 - gv) - dFn[kk] * gv);
  }
  const grad = new Float64Array(pr.x.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < s; i++) {
    if (mode === 'multilabel') {
      for (let kk = 0; kk < c; kk++) { const j = (b * c + kk) * s + i; grad[j] = d[j] * p[j] * (1 - p[j]); }
      continue;
    }
    let t = 0;
    for (let kk = 0; kk < c; kk++) t += p[(b * c + kk) * s + i] * d[(b * c + kk) * s + i];
    for (let kk = 0; kk < c; kk++) { const j = (b * c + kk) * s + i; grad[j] = p[j] * (d[j] - t); }
  }
  return { value: gamma === 1 ? mean : mean ** gamma, grad };
}

function tensors(pr: Problem, mode: Mode, dtype: FloatDType): [Tensor, Tensor] {
  const x = tensor(pr.x, [pr.n, pr.c, pr.s], { dtype, requiresGrad: true });
  const t = mode === 'multiclass'
    ? tensor(Array.from(pr.labels, (v) => (v < 0 ? 255 : v)), [pr.n, pr.s], { dtype: 'int64' })
    : tensor(pr.dense, [pr.n, pr.c, pr.s], { dtype });
  return [x, t];
}

/** Float32 inputs: the reference sees the same rounded logits. */
function rounded(pr: Problem, dtype: FloatDType): Problem {
  return dtype === 'float32' ? { ...pr, x: Float64Array.from(Float32Array.from(pr.x)), dense: Float64Array.from(Float32Array.from(pr.dense)) } : pr;
}

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 130];
const OVERLAP: [string, (x: Tensor, t: Tensor, o: object) => Tensor, number, number, number, object][] = [
  ['diceLoss', F.diceLoss, 2, 1, 1, {}],
  ['jaccardLoss', F.jaccardLoss, 1, 1, 1, {}],
  ['tverskyLoss', F.tverskyLoss, 1, 0.3, 0.7, { alpha: 0.3, beta: 0.7 }],
];

describe.each(OVERLAP)('%s: the SIMD plane pass against a float64 reference', (name, fn, k, a, b, extra) => {
  it.each(['float32', 'float64'] as FloatDType[])('pixels 0–130, classes 1–5, softmax and sigmoid, ignored pixels (%s)', (dtype) => {
    let seed = 1;
    for (const s of SIZES) {
      for (const mode of ['multiclass', 'multilabel'] as Mode[]) {
        const c = 1 + (s % 5);
        const n = 1 + (s % 3);
        const pr = rounded(problem(n, c, s, seed++), dtype);
        const gamma = name === 'tverskyLoss' && s % 2 ? 1.5 : 1;
        const [x, t] = tensors(pr, mode, dtype);
        const out = fn(x, t, { ...extra, mode, ...(name === 'tverskyLoss' ? { gamma } : {}), ignoreIndex: mode === 'multiclass' ? 255 : null } as object);
        const up = 0.75;
        out.backward(tensor([up], [], { dtype }));
        const ref = overlapRef(pr, mode, k, a, b, gamma, up);
        const what = (i?: number) => `${name} ${mode} ${dtype} n=${n} c=${c} s=${s}${i === undefined ? '' : ` grad[${i}]`}`;
        close(out.item(), ref.value, dtype, what);
        const gx = x.grad!.data;
        for (let i = 0; i < gx.length; i++) close(Number(gx[i]), ref.grad[i], dtype, what, i);
      }
    }
  });

  it('images larger than one 256 KiB block (pixels split across calls)', () => {
    const pr = rounded(problem(2, 2, 40_000, 99), 'float32');
    const [x, t] = tensors(pr, 'multiclass', 'float32');
    const out = fn(x, t, { ...extra, ignoreIndex: 255 });
    out.backward();
    const ref = overlapRef(pr, 'multiclass', k, a, b, 1, 1);
    close(out.item(), ref.value, 'float32', () => `${name} value`);
    const gx = x.grad!.data;
    for (let i = 0; i < gx.length; i += 97) close(Number(gx[i]), ref.grad[i], 'float32', () => `${name} grad[${i}]`);
  });
});

describe('Tversky with α = β = ½ is Dice (smooth halved), with α = β = 1 Jaccard (values and gradients)', () => {
  it.each(['float32', 'float64'] as FloatDType[])('%s, every mode, smooth and logLoss', (dtype) => {
    for (const [i, opts] of [{}, { smooth: 1 }, { logLoss: true }, { mode: 'multilabel' }, { reduction: 'none' }].entries()) {
      const pr = rounded(problem(2, 3, 37, 50 + i), dtype);
      const mode = (opts as { mode?: Mode }).mode ?? 'multiclass';
      for (const [other, ab] of [[F.diceLoss, 0.5], [F.jaccardLoss, 1]] as const) {
        const [x1, t1] = tensors(pr, mode, dtype);
        const [x2, t2] = tensors(pr, mode, dtype);
        const o = { ...opts, ignoreIndex: mode === 'multiclass' ? 255 : null };
        // (I + s/2)/(I + ½FP + ½FN + s/2) = (2I + s)/(2I + FP + FN + s): Dice's smooth halves.
        const sm = ((opts as { smooth?: number }).smooth ?? 0) * ab;
        const l1 = F.tverskyLoss(x1, t1, { ...o, alpha: ab, beta: ab, smooth: sm } as object);
        const l2 = other(x2, t2, o as object);
        const up = tensor(Array.from({ length: l1.numel() }, (_, j) => 1 + j / 3), l1.shape, { dtype });
        l1.backward(up);
        l2.backward(up);
        for (let j = 0; j < l1.numel(); j++) close(Number(l1.data[j]), Number(l2.data[j]), dtype, () => `${other.name} value ${JSON.stringify(opts)}`);
        const g1 = x1.grad!.data, g2 = x2.grad!.data;
        for (let j = 0; j < g1.length; j++) close(Number(g1[j]), Number(g2[j]), dtype, () => `${other.name} grad[${j}] ${JSON.stringify(opts)}`);
      }
    }
  });
});

describe('mccLoss against a float64 reference', () => {
  it.each(['float32', 'float64'] as FloatDType[])('lengths 1–130 (%s)', (dtype) => {
    for (const len of SIZES.filter((v) => v > 0)) {
      const r = rng(len + 7);
      const p = Float64Array.from({ length: len }, () => r());
      const y = Float64Array.from({ length: len }, () => (r() < 0.4 ? 1 : 0));
      const pq = dtype === 'float32' ? Float64Array.from(Float32Array.from(p)) : p;
      const x = tensor(pq, [1, len], { dtype, requiresGrad: true });
      const out = F.mccLoss(x, tensor(y, [1, len], { dtype }));
      out.backward();
      const e = 1e-5;
      const f = (v: Float64Array) => {
        let tp = e, tn = e, fp = e, fn = e;
        for (let i = 0; i < len; i++) { tp += v[i] * y[i]; tn += (1 - v[i]) * (1 - y[i]); fp += v[i] * (1 - y[i]); fn += (1 - v[i]) * y[i]; }
        return 1 - (tp * tn - fp * fn) / Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
      };
      close(out.item(), f(pq), dtype, () => `mcc len=${len}`);
      // Central differences (the loss is a smooth function of the sums): step 1e-6, error ~1e-12.
      for (let i = 0; i < len; i += 5) {
        const hi = pq.slice(), lo = pq.slice();
        hi[i] += 1e-6; lo[i] -= 1e-6;
        const num = (f(hi) - f(lo)) / 2e-6;
        expect(Math.abs(Number(x.grad!.data[i]) - num), `mcc grad[${i}] len=${len}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(num));
      }
    }
  });
});

/** Berman's Lovász extension on one group, plain JS (stable Array.sort): loss and ∂/∂e. */
function lovaszRef(errors: number[], fg: number[], relu: boolean): { loss: number; de: number[] } {
  const order = errors.map((_, i) => i).sort((i, j) => errors[j] - errors[i]);
  const gts = fg.reduce((u, v) => u + v, 0);
  let c1 = 0, c0 = 0, prev = 0, loss = 0;
  const de = new Array(errors.length).fill(0);
  for (const i of order) {
    if (fg[i]) c1++; else c0++;
    const jac = 1 - (gts - c1) / (gts + c0);
    const dj = jac - prev;
    prev = jac;
    const e = errors[i];
    loss += (relu ? Math.max(e, 0) : e) * dj;
    de[i] = relu && !(e > 0) ? 0 : dj;
  }
  return { loss, de };
}

describe('the Lovász losses against Berman on a stable JS sort', () => {
  it.each(['float32', 'float64'] as FloatDType[])('lovaszHingeLoss, 1–130 pixels, ties, perImage (%s)', (dtype) => {
    for (const len of SIZES.filter((v) => v > 0)) {
      for (const perImage of [false, true]) {
        const r = rng(3 * len + (perImage ? 1 : 0));
        const n = 2;
        const xs = Array.from({ length: n * len }, () => (r() < 0.3 ? Math.round(r() * 4 - 2) / 2 : r(-3, 3)));
        const xq = dtype === 'float32' ? Array.from(Float32Array.from(xs)) : xs;
        const ys = Array.from({ length: n * len }, () => (r() < 0.5 ? 1 : 0));
        const x = tensor(xq, [n, len], { dtype, requiresGrad: true });
        const out = F.lovaszHingeLoss(x, tensor(ys, [n, len], { dtype: 'int32' }), { perImage });
        out.backward();
        const groups = perImage ? [[0, len], [len, 2 * len]] : [[0, 2 * len]];
        let want = 0;
        const grad = new Array(n * len).fill(0);
        for (const [a, b] of groups) {
          const e = xq.slice(a, b).map((v, i) => 1 - v * (2 * ys[a + i] - 1));
          const ref = lovaszRef(e, ys.slice(a, b), true);
          want += ref.loss / groups.length;
          ref.de.forEach((d, i) => (grad[a + i] = (-d * (2 * ys[a + i] - 1)) / groups.length));
        }
        close(out.item(), want, dtype, () => `hinge len=${len} perImage=${perImage}`);
        for (let i = 0; i < grad.length; i++) close(Number(x.grad!.data[i]), grad[i], dtype, () => `hinge grad[${i}] len=${len}`);
      }
    }
  });

  it.each(['float32', 'float64'] as FloatDType[])('lovaszSoftmaxLoss, classes 1–5, present and all (%s)', (dtype) => {
    let seed = 5;
    for (const s of SIZES.filter((v) => v > 0)) {
      for (const classes of ['present', 'all'] as const) {
        const c = 1 + (s % 5);
        const pr = rounded(problem(1, c, s, seed++), dtype);
        const [x, t] = tensors(pr, 'multiclass', dtype);
        const out = F.lovaszSoftmaxLoss(x, t, { classes, ignoreIndex: 255 });
        out.backward();
        const p = activate(pr, 'multiclass');
        const valid = Array.from(pr.labels.keys()).filter((i) => pr.labels[i] >= 0);
        const counted = Array.from({ length: c }, (_, k) => k).filter((k) => classes === 'all' || valid.some((i) => pr.labels[i] === k));
        let want = 0;
        const dp = new Float64Array(pr.x.length);
        for (const k of counted) {
          const fg = valid.map((i) => (pr.labels[i] === k ? 1 : 0));
          const e = valid.map((i, j) => Math.abs(fg[j] - p[k * s + i]));
          const ref = lovaszRef(e, fg, false);
          want += ref.loss / counted.length;
          valid.forEach((i, j) => (dp[k * s + i] += (ref.de[j] * (fg[j] ? -1 : 1)) / counted.length));
        }
        close(out.item(), valid.length && counted.length ? want : 0, dtype, () => `softmax s=${s} c=${c} ${classes}`);
        for (let i = 0; i < s; i++) {
          let tt = 0;
          for (let k = 0; k < c; k++) tt += p[k * s + i] * dp[k * s + i];
          for (let k = 0; k < c; k++) close(Number(x.grad!.data[k * s + i]), p[k * s + i] * (dp[k * s + i] - tt), dtype, () => `softmax grad c=${k} i=${i} s=${s}`);
        }
      }
    }
  });
});

describe('generalizedDiceLoss against a float64 reference', () => {
  it.each(['float32', 'float64'] as FloatDType[])('pixels 1–130, classes 2–5, every weight type, batch (%s)', (dtype) => {
    let seed = 900;
    for (const s of SIZES.filter((v) => v > 0)) {
      for (const [wType, batch] of [['square', false], ['simple', true], ['uniform', false]] as const) {
        const c = 2 + (s % 4);
        const n = 2;
        const pr = rounded(problem(n, c, s, seed++), dtype);
        const labels = Array.from(pr.labels, (v) => (v < 0 ? 0 : v));
        const x = tensor(pr.x, [n, c, s], { dtype, requiresGrad: true });
        const out = F.generalizedDiceLoss(x, tensor(labels, [n, 1, s], { dtype: 'int64' }), { softmax: true, toOnehotY: true, wType, batch });
        out.backward();
        const p = activate(pr, 'multiclass');
        const groups = batch ? [[0, 1]] : [[0], [1]];
        let want = 0;
        const d = new Float64Array(pr.x.length);
        for (const imgs of groups) {
          const tp = new Float64Array(c), ps = new Float64Array(c), gs = new Float64Array(c);
          for (const b of imgs) for (let k = 0; k < c; k++) for (let i = 0; i < s; i++) {
            const g = labels[b * s + i] === k ? 1 : 0;
            tp[k] += p[(b * c + k) * s + i] * g; ps[k] += p[(b * c + k) * s + i]; gs[k] += g;
          }
          const w = Array.from(gs, (g) => (wType === 'uniform' ? 1 : wType === 'simple' ? 1 / g : 1 / (g * g)));
          const finite = w.filter((v) => Number.isFinite(v));
          const mx = finite.length ? Math.max(...finite) : 0;
          for (let k = 0; k < c; k++) if (!Number.isFinite(w[k])) w[k] = mx;
          let num = 1e-5, den = 1e-5;
          for (let k = 0; k < c; k++) { num += 2 * w[k] * tp[k]; den += w[k] * (ps[k] + gs[k]); }
          want += (1 - num / den) / groups.length;
          for (const b of imgs) for (let k = 0; k < c; k++) for (let i = 0; i < s; i++) {
            const g = labels[b * s + i] === k ? 1 : 0;
            // ∂f/∂p = −(2w·g·den − num·w)/den²
            d[(b * c + k) * s + i] = -(2 * w[k] * g * den - num * w[k]) / (den * den) / groups.length;
          }
        }
        close(out.item(), want, dtype, () => `gdl s=${s} c=${c} ${wType} batch=${batch}`);
        for (let b = 0; b < n; b++) for (let i = 0; i < s; i++) {
          let t = 0;
          for (let k = 0; k < c; k++) t += p[(b * c + k) * s + i] * d[(b * c + k) * s + i];
          for (let k = 0; k < c; k++) {
            const j = (b * c + k) * s + i;
            close(Number(x.grad!.data[j]), p[j] * (d[j] - t), dtype, () => `gdl grad[${j}] s=${s} ${wType}`);
          }
        }
      }
    }
  });
});
