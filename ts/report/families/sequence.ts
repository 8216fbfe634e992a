// Sequence: CTC and RNN-T against the per-frame margin of the correct symbols. Curves: a
// 3-symbol transcript; CTC over 6 frames with the alignment 1 1 2 2 3 3, whose symbol's logit is
// m at each frame (others 0); RNN-T over 4 frames where, at every lattice node (t, u), the next
// transcript symbol and blank have logit m (others 0). The backward gives ∂L/∂logit; m moves
// every marked logit, so ∂L/∂m is their sum. Built-in data: 4-symbol transcripts over 12 frames
// with noisy logits favouring the correct symbols; contamination swaps in a wrong transcript.
// User files are not read for this family (their shapes do not say which axis is time).

import { F, tensor, type Tensor } from '../../index.js';
import { gauss, rng } from '../stats.js';
import { CompareError, gatherFlags, gatherRows, linspace, valueAndGrad, type CurveSet, type Dataset, type Family, type LossEntry } from './family.js';

/** Classes (CTC blank 0, RNN-T blank the last), frames, transcript length of the built-in data. */
const V = 8;
const T = 12;
const L = 4;
const CTC_BLANK = 0;
const RNNT_BLANK = V - 1;

export interface SequenceData extends Dataset {
  /** Logits for CTC, n × T × V (sample-major; transposed to (T, N, V) when called). */
  ctc: Float64Array;
  /** Logits for RNN-T, n × T × (L+1) × V. */
  rnnt: Float64Array;
  /** Transcripts, n × L, symbols 1…V−2. */
  y: Int32Array;
}

interface Spec {
  name: string;
  fn: 'ctcLoss' | 'rnntLoss';
  options: Record<string, unknown>;
}

export const SEQUENCE_LOSSES: Spec[] = [
  { name: 'CTC', fn: 'ctcLoss', options: {} },
  { name: 'RNN-T', fn: 'rnntLoss', options: {} },
  { name: 'RNN-T clamp=0.5', fn: 'rnntLoss', options: { clamp: 0.5 } },
];

/** log_softmax over rows of v values (max trick). */
export function logSoftmaxRows(z: Float64Array, v: number): Float64Array {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i += v) {
    let m = -Infinity;
    for (let k = 0; k < v; k++) m = Math.max(m, z[i + k]);
    let s = 0;
    for (let k = 0; k < v; k++) s += Math.exp(z[i + k] - m);
    const l = m + Math.log(s);
    for (let k = 0; k < v; k++) out[i + k] = z[i + k] - l;
  }
  return out;
}

/**
 * Runs a sequence loss on sample-major logits: CTC gets log_softmax of (T, N, V) (its gradient is
 * PyTorch's, with respect to the logits behind the log_softmax), RNN-T the (N, T, U+1, V) logits.
 * Returns per-sample losses and the gradient in the sample-major layout.
 */
export function runSequence(s: Spec, logits: Float64Array, y: Int32Array, n: number, t: number, u: number, v: number): { loss: Float64Array; grad: Float64Array } {
  const yt = tensor(y, [n, u], { dtype: 'int32' });
  const call = F[s.fn] as (a: Tensor, b: Tensor, c: number[], d: number[], o: Record<string, unknown>) => Tensor;
  if (s.fn === 'rnntLoss') {
    return valueAndGrad(logits, [n, t, u + 1, v], (x) => call(x, yt, new Array(n).fill(t), new Array(n).fill(u), { ...s.options, reduction: 'none' }));
  }
  const tnv = new Float64Array(n * t * v);
  for (let b = 0; b < n; b++) for (let f = 0; f < t; f++) tnv.set(logits.subarray((b * t + f) * v, (b * t + f + 1) * v), (f * n + b) * v);
  const out = valueAndGrad(logSoftmaxRows(tnv, v), [t, n, v], (x) => call(x, yt, new Array(n).fill(t), new Array(n).fill(u), { ...s.options, reduction: 'none' }));
  const grad = new Float64Array(n * t * v);
  for (let b = 0; b < n; b++) for (let f = 0; f < t; f++) grad.set(out.grad.subarray((f * n + b) * v, (f * n + b + 1) * v), (b * t + f) * v);
  return { loss: out.loss, grad };
}

/** The curve problems: which logits are "correct" (set to m) for CTC and RNN-T. */
export const CURVE = { v: 6, transcript: [1, 2, 3], ctcFrames: 6, ctcAlign: [1, 1, 2, 2, 3, 3], rnntFrames: 4 };

/** Indices of the correct-symbol logits of the curve problem for loss `fn` (sample-major). */
export function correctLogits(fn: string): number[] {
  const { v, transcript, ctcFrames, ctcAlign, rnntFrames } = CURVE;
  if (fn === 'ctcLoss') return Array.from({ length: ctcFrames }, (_, f) => f * v + ctcAlign[f]);
  const u1 = transcript.length + 1;
  const idx: number[] = [];
  for (let f = 0; f < rnntFrames; f++) {
    for (let u = 0; u < u1; u++) {
      if (u < transcript.length) idx.push((f * u1 + u) * v + transcript[u]);
      idx.push((f * u1 + u) * v + (v - 1));
    }
  }
  return idx;
}

function dataset(ctc: Float64Array, rnnt: Float64Array, y: Int32Array, contaminated: Uint8Array): SequenceData {
  return {
    n: y.length / L, ctc, rnnt, y, contaminated,
    describe: (i) => `transcript ${Array.from(y.subarray(i * L, i * L + L)).join('-')}`,
  };
}

/** A transcript of L symbols in 1…V−2 with no symbol repeated back to back (CTC needs a blank between repeats). */
function transcript(r: () => number): number[] {
  const out: number[] = [];
  while (out.length < L) {
    const k = 1 + Math.min(V - 3, Math.floor(r() * (V - 2)));
    if (k !== out[out.length - 1]) out.push(k);
  }
  return out;
}

export const sequence: Family<SequenceData> & { specs: Spec[] } = {
  name: 'sequence',
  title: 'Sequence (CTC, RNN-T)',
  contamination: 'wrong transcripts',
  specs: SEQUENCE_LOSSES,
  losses: SEQUENCE_LOSSES.map((s): LossEntry<SequenceData> => ({
    name: s.name,
    perSample(d) {
      const per = s.fn === 'ctcLoss' ? T * V : T * (L + 1) * V;
      const { loss, grad } = runSequence(s, s.fn === 'ctcLoss' ? d.ctc : d.rnnt, d.y, d.n, T, L, V);
      const norms = new Float64Array(d.n);
      for (let b = 0; b < d.n; b++) {
        let q = 0;
        for (let k = 0; k < per; k++) q += grad[b * per + k] ** 2;
        norms[b] = Math.sqrt(q);
      }
      return { loss, grad: norms };
    },
  })),
  curves(): CurveSet[] {
    const { v, transcript: tr } = CURVE;
    const m = linspace(-4, 6, 161);
    const loss = [];
    const grad = [];
    for (const s of SEQUENCE_LOSSES) {
      const t = s.fn === 'ctcLoss' ? CURVE.ctcFrames : CURVE.rnntFrames;
      const per = s.fn === 'ctcLoss' ? t * v : t * (tr.length + 1) * v;
      const marked = correctLogits(s.fn);
      const z = new Float64Array(m.length * per);
      m.forEach((mv, i) => marked.forEach((k) => (z[i * per + k] = mv)));
      const y = Int32Array.from(m.flatMap(() => tr));
      const out = runSequence(s, z, y, m.length, t, tr.length, v);
      loss.push({ name: s.name, fn: s.fn, options: s.options, x: m, y: Array.from(out.loss) });
      grad.push({ name: s.name, fn: s.fn, options: s.options, x: m, y: m.map((_, i) => marked.reduce((a, k) => a + out.grad[i * per + k], 0)) });
    }
    return [{
      key: 'frame',
      title: 'Loss against the per-frame margin of the correct symbols (3-symbol transcript)',
      xLabel: 'margin m of the correct symbols over the others, every frame (logits) →',
      yLabel: '↑ loss per sequence (nats)',
      gradLabel: '↑ ∂loss/∂m (per logit)',
      loss,
      grad,
    }];
  },
  builtIn(n, seed) {
    const r = rng(seed);
    const y = new Int32Array(n * L);
    const ctc = new Float64Array(n * T * V);
    const rnnt = new Float64Array(n * T * (L + 1) * V);
    for (let b = 0; b < n; b++) {
      const tr = transcript(r);
      y.set(tr, b * L);
      // CTC: each symbol over T/L frames, its first frame the symbol, the rest blank or symbol.
      for (let f = 0; f < T; f++) {
        const sym = tr[Math.floor((f * L) / T)];
        const row = (b * T + f) * V;
        for (let k = 0; k < V; k++) ctc[row + k] = gauss(r);
        ctc[row + (f % (T / L) === 0 ? sym : r() < 0.5 ? sym : CTC_BLANK)] += 3 + gauss(r);
      }
      for (let f = 0; f < T; f++) {
        for (let u = 0; u <= L; u++) {
          const row = ((b * T + f) * (L + 1) + u) * V;
          for (let k = 0; k < V; k++) rnnt[row + k] = gauss(r);
          if (u < L) rnnt[row + tr[u]] += 2 + gauss(r);
          rnnt[row + RNNT_BLANK] += 2 + gauss(r);
        }
      }
    }
    return dataset(ctc, rnnt, y, new Uint8Array(n));
  },
  contaminate(base, which, seed) {
    const r = rng(seed ^ 0x3c6ef372);
    const y = base.y.slice();
    const flags = base.contaminated.slice();
    for (const i of which) {
      const old = Array.from(y.subarray(i * L, i * L + L)).join();
      let tr = transcript(r);
      while (tr.join() === old) tr = transcript(r);
      y.set(tr, i * L);
      flags[i] = 1;
    }
    return dataset(base.ctc, base.rnnt, y, flags);
  },
  specificity: 0,
  accepts: () => false,
  fromUser(_input, _target, names) {
    throw new CompareError(null, `argument '${names.input}': the sequence family does not read user data (lengths and the time axis are not in a plain input/target pair)`);
  },
  subset(d, idx) {
    return dataset(gatherRows(d.ctc, T * V, idx), gatherRows(d.rnnt, T * (L + 1) * V, idx), gatherRows(d.y, L, idx), gatherFlags(d.contaminated, idx));
  },
};
