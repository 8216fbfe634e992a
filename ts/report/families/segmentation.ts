// Segmentation: overlap losses on binary masks against the predicted foreground probability on an
// object (its soft predicted fraction). Curves on a 16 × 16 image holding one square object, small
// (4 × 4) or large (10 × 10), every object pixel predicted f and every background pixel 0.02 (so
// the false positives weigh more against a small object); the telling options are Tversky's α/β.
// Built-in data: 16 × 16 images with one square object, small (side 3–5) or large (8–12), logits
// from a decent segmenter; contamination moves the labelled object to the mirror image of its place
// (a misplaced mask).
// Per-sample values are per image: Dice, Jaccard and Tversky see the images as the channels of one
// multilabel batch (their 'none' gives one value per channel), Generalized Dice gives one value per
// image, and the Lovász losses and MCC (one value per call) run once per image.

import { F, tensor, type Tensor } from '../../index.js';
import { gauss, rng } from '../stats.js';
import { CompareError, gatherFlags, gatherRows, linspace, rowNorms, type CurveSet, type Dataset, type Dense, type Family, type LossEntry, type Series } from './family.js';

/** Image side, background probability of the curves. */
const S = 16;
const P = S * S;
const BACKGROUND = 0.02;

export interface SegmentationData extends Dataset {
  /** Image side (images are side × side). */
  side: number;
  /** Foreground logits, n × side². */
  z: Float64Array;
  /** Masks 0/1, n × side². */
  y: Float64Array;
}

type How = 'channels' | 'gdl' | 'hinge' | 'softmax' | 'mcc';

interface Spec {
  name: string;
  fn: 'diceLoss' | 'jaccardLoss' | 'tverskyLoss' | 'generalizedDiceLoss' | 'lovaszHingeLoss' | 'lovaszSoftmaxLoss' | 'mccLoss';
  options: Record<string, unknown>;
  how: How;
}

export const SEGMENTATION_LOSSES: Spec[] = [
  { name: 'Dice', fn: 'diceLoss', options: {}, how: 'channels' },
  { name: 'Jaccard', fn: 'jaccardLoss', options: {}, how: 'channels' },
  { name: 'Tversky α=0.3 β=0.7', fn: 'tverskyLoss', options: { alpha: 0.3, beta: 0.7 }, how: 'channels' },
  { name: 'Tversky α=0.7 β=0.3', fn: 'tverskyLoss', options: { alpha: 0.7, beta: 0.3 }, how: 'channels' },
  { name: 'focal Tversky γ=4/3', fn: 'tverskyLoss', options: { alpha: 0.3, beta: 0.7, gamma: 4 / 3 }, how: 'channels' },
  { name: 'Generalized Dice', fn: 'generalizedDiceLoss', options: { softmax: true }, how: 'gdl' },
  { name: 'Lovász hinge', fn: 'lovaszHingeLoss', options: {}, how: 'hinge' },
  { name: 'Lovász softmax', fn: 'lovaszSoftmaxLoss', options: {}, how: 'softmax' },
  { name: 'MCC', fn: 'mccLoss', options: {}, how: 'mcc' },
];

type Fn = (...a: unknown[]) => Tensor;
const fnOf = (s: Spec): Fn => F[s.fn] as unknown as Fn;
const f64 = (a: ArrayLike<number>, shape: number[], requiresGrad = false): Tensor => tensor(Float64Array.from(a), shape, { dtype: 'float64', requiresGrad });
const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const logit = (p: number): number => Math.log(p / (1 - p));

/** The loss of one image's logits `z` (side²) against mask `y`, and ∂loss/∂z, from lossfn's backward. */
function oneImage(s: Spec, z: ArrayLike<number>, y: ArrayLike<number>, side: number): { loss: number; grad: Float64Array } {
  const o = s.options;
  if (s.how === 'mcc') {
    // MCC takes probabilities: ∂/∂z = ∂/∂p · p(1 − p).
    const p = Array.from(z, sigmoid);
    const x = f64(p, [1, side, side], true);
    const out = fnOf(s)(x, f64(y, [1, side, side]), o);
    out.backward();
    const g = x.grad?.data as Float64Array;
    return { loss: out.item(), grad: Float64Array.from(g, (v, k) => v * p[k] * (1 - p[k])) };
  }
  if (s.how === 'softmax') {
    // Two classes with logits (0, z): p(foreground) = σ(z); the gradient to z is the class-1 plane's.
    const zz = new Float64Array(2 * side * side);
    zz.set(Array.from(z), side * side);
    const x = f64(zz, [1, 2, side, side], true);
    const out = fnOf(s)(x, tensor(Int32Array.from(y), [1, side, side], { dtype: 'int32' }), o);
    out.backward();
    const g = x.grad?.data as Float64Array;
    // The class-0 logits are the constant 0, so only the class-1 plane's gradient is z's.
    return { loss: out.item(), grad: Float64Array.from(g.subarray(side * side)) };
  }
  if (s.how === 'hinge') {
    const x = f64(z, [1, side, side], true);
    const out = fnOf(s)(x, f64(y, [1, side, side]), o);
    out.backward();
    return { loss: out.item(), grad: Float64Array.from(x.grad?.data as Float64Array) };
  }
  const all = batch(s, z, y, 1, side);
  return { loss: all.loss[0], grad: all.grad };
}

/**
 * Dice, Jaccard, Tversky (the n images as the channels of one multilabel item, so 'none' gives one
 * value per image) and Generalized Dice (background and object as two softmax channels with logits
 * (0, z), so its inverse-volume weights lift the object; 'none' gives one value per image) on n
 * images at once; the gradient is z's.
 */
function batch(s: Spec, z: ArrayLike<number>, y: ArrayLike<number>, n: number, side: number): { loss: Float64Array; grad: Float64Array } {
  const p = side * side;
  if (s.how === 'gdl') {
    const zz = new Float64Array(2 * n * p);
    const yy = new Float64Array(2 * n * p);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < p; k++) {
        zz[(2 * i + 1) * p + k] = z[i * p + k];
        yy[2 * i * p + k] = 1 - y[i * p + k];
        yy[(2 * i + 1) * p + k] = y[i * p + k];
      }
    }
    const x = f64(zz, [n, 2, side, side], true);
    const out = fnOf(s)(x, f64(yy, [n, 2, side, side]), { ...s.options, reduction: 'none' });
    out.backward(f64(new Float64Array(out.numel()).fill(1), out.shape.slice()));
    const g = x.grad?.data as Float64Array;
    const grad = new Float64Array(n * p);
    for (let i = 0; i < n; i++) grad.set(g.subarray((2 * i + 1) * p, (2 * i + 2) * p), i * p);
    return { loss: Float64Array.from(out.data as Float64Array), grad };
  }
  const x = f64(z, [1, n, side, side], true);
  const out = fnOf(s)(x, f64(y, [1, n, side, side]), { ...s.options, mode: 'multilabel', reduction: 'none' });
  out.backward(f64(new Float64Array(out.numel()).fill(1), out.shape.slice()));
  return { loss: Float64Array.from(out.data as Float64Array), grad: Float64Array.from(x.grad?.data as Float64Array) };
}

export function perSample(s: Spec, d: SegmentationData): { loss: Float64Array; grad: Float64Array } {
  const p = d.side * d.side;
  if (s.how === 'channels' || s.how === 'gdl') {
    const out = batch(s, d.z, d.y, d.n, d.side);
    return { loss: out.loss, grad: rowNorms(out.grad, p) };
  }
  const loss = new Float64Array(d.n);
  const grad = new Float64Array(d.n);
  for (let i = 0; i < d.n; i++) {
    const out = oneImage(s, d.z.subarray(i * p, i * p + p), d.y.subarray(i * p, i * p + p), d.side);
    loss[i] = out.loss;
    grad[i] = Math.sqrt(out.grad.reduce((a, v) => a + v * v, 0));
  }
  return { loss, grad };
}

/** The object of a curve: a square of side `a` at the top-left corner (1, 1). */
export function curveImage(a: number, f: number): { z: Float64Array; y: Float64Array; object: number[] } {
  const z = new Float64Array(P).fill(logit(BACKGROUND));
  const y = new Float64Array(P);
  const object: number[] = [];
  for (let r = 1; r <= a; r++) {
    for (let c = 1; c <= a; c++) {
      z[r * S + c] = logit(f);
      y[r * S + c] = 1;
      object.push(r * S + c);
    }
  }
  return { z, y, object };
}

const CURVE_SIDES = [
  { key: 'object-small', a: 4 },
  { key: 'object-large', a: 10 },
];

function dataset(side: number, z: Float64Array, y: Float64Array, contaminated: Uint8Array): SegmentationData {
  const p = side * side;
  return {
    n: y.length / p, side, z, y, contaminated,
    describe(i) {
      let area = 0;
      let hit = 0;
      for (let k = 0; k < p; k++) {
        area += y[i * p + k];
        if (y[i * p + k] === 1 && z[i * p + k] > 0) hit++;
      }
      let fp = 0;
      for (let k = 0; k < p; k++) if (y[i * p + k] === 0 && z[i * p + k] > 0) fp++;
      return `object ${area} px, ${hit} predicted, ${fp} false-positive px`;
    },
  };
}

/** Writes a square of side a at (r0, c0) into mask m of image i. */
function square(m: Float64Array, i: number, r0: number, c0: number, a: number): void {
  for (let r = r0; r < r0 + a; r++) for (let c = c0; c < c0 + a; c++) m[i * P + r * S + c] = 1;
}

export const segmentation: Family<SegmentationData> & { specs: Spec[] } = {
  name: 'segmentation',
  title: 'Segmentation',
  contamination: 'misplaced masks (the object labelled elsewhere)',
  specs: SEGMENTATION_LOSSES,
  losses: SEGMENTATION_LOSSES.map((s): LossEntry<SegmentationData> => ({ name: s.name, perSample: (d) => perSample(s, d) })),
  curves(): CurveSet[] {
    const f = linspace(0.05, 0.95, 91);
    return CURVE_SIDES.map(({ key, a }) => {
      const loss: Series[] = [];
      const grad: Series[] = [];
      for (const s of SEGMENTATION_LOSSES) {
        const pts = f.map((fv) => {
          const im = curveImage(a, fv);
          const out = oneImage(s, im.z, im.y, S);
          // z = logit(f) on the object: ∂loss/∂f = Σ_object ∂loss/∂z / (f(1 − f)).
          return { v: out.loss, g: im.object.reduce((acc, k) => acc + out.grad[k], 0) / (fv * (1 - fv)) };
        });
        loss.push({ name: s.name, fn: s.fn, options: s.options, x: f, y: pts.map((p) => p.v) });
        grad.push({ name: s.name, fn: s.fn, options: s.options, x: f, y: pts.map((p) => p.g) });
      }
      return {
        key,
        title: `Loss against the predicted foreground on a ${a}×${a} object (16×16 image, background predicted ${BACKGROUND})`,
        xLabel: `predicted foreground probability f on the object's ${a * a} pixels (its soft predicted fraction) →`,
        // Symlog: Lovász hinge (up to 3.9, gradient −21) would flatten the scores' 0…1 on a linear axis.
        yScale: 'symlog',
        yLabel: '↑ loss per image (1 − score; hinge units for Lovász; symlog scale)',
        gradLabel: '↑ ∂loss/∂f (symlog scale)',
        loss,
        grad,
      };
    });
  },
  builtIn(n, seed) {
    const r = rng(seed);
    const z = new Float64Array(n * P);
    const y = new Float64Array(n * P);
    for (let i = 0; i < n; i++) {
      const a = i % 2 === 0 ? 3 + Math.min(2, Math.floor(r() * 3)) : 8 + Math.min(4, Math.floor(r() * 5));
      const r0 = Math.min(S - a, Math.floor(r() * (S - a + 1)));
      const c0 = Math.min(S - a, Math.floor(r() * (S - a + 1)));
      square(y, i, r0, c0, a);
      for (let k = 0; k < P; k++) z[i * P + k] = (y[i * P + k] === 1 ? 2 : -3) + 1.5 * gauss(r);
    }
    return dataset(S, z, y, new Uint8Array(n));
  },
  contaminate(base, which) {
    const y = base.y.slice();
    const flags = base.contaminated.slice();
    for (const i of which) {
      let area = 0;
      let first = -1;
      for (let k = 0; k < P; k++) {
        area += y[i * P + k];
        if (first < 0 && y[i * P + k] === 1) first = k;
      }
      const a = Math.round(Math.sqrt(area));
      const [r, c] = [Math.floor(first / S), first % S];
      // The mirror image of its place (as far as it goes); a centred object goes to a corner.
      let [r0, c0] = [S - a - r, S - a - c];
      if (r0 === r && c0 === c) [r0, c0] = [0, S - a];
      y.fill(0, i * P, i * P + P);
      square(y, i, r0, c0, a);
      flags[i] = 1;
    }
    return dataset(S, base.z, y, flags);
  },
  specificity: 0,
  accepts: () => false,
  // User masks are not read yet: (N, H, W) maps look like any same-shape regression pair, and the
  // mode (binary, multiclass, multilabel) is not in the shapes.
  fromUser(_input: Dense, _target: Dense, names) {
    throw new CompareError(null, `argument '${names.input}': the segmentation family does not read user data (the mode and the class axis are not in a plain input/target pair)`);
  },
  subset(d, idx) {
    return dataset(d.side, gatherRows(d.z, d.side * d.side, idx), gatherRows(d.y, d.side * d.side, idx), gatherFlags(d.contaminated, idx));
  },
};

