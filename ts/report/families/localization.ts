// Localization: IoU-family box losses against the predicted box's offset (in box widths) and
// scale (log₂ of the size ratio) relative to a 10×10 ground-truth box. Built-in data: random
// ground-truth boxes with predictions near them; contamination misplaces predictions by 1.5–3
// box widths (mostly disjoint from their ground truth).

import { F, tensor, type Tensor } from '../../index.js';
import { gauss, rng } from '../stats.js';
import { CompareError, gatherFlags, gatherRows, linspace, num, rowNorms, valueAndGrad, type CurveSet, type Dataset, type Dense, type Family, type LossEntry } from './family.js';

export interface LocalizationData extends Dataset {
  /** Predicted and ground-truth boxes, n × 4, xyxy. */
  pred: Float64Array;
  gt: Float64Array;
}

interface Spec {
  name: string;
  fn: 'boxIouLoss' | 'generalizedBoxIouLoss' | 'distanceBoxIouLoss' | 'completeBoxIouLoss' | 'efficientBoxIouLoss' | 'scyllaBoxIouLoss';
  options: Record<string, unknown>;
}

export const LOCALIZATION_LOSSES: Spec[] = [
  { name: 'IoU', fn: 'boxIouLoss', options: {} },
  { name: 'GIoU', fn: 'generalizedBoxIouLoss', options: {} },
  { name: 'DIoU', fn: 'distanceBoxIouLoss', options: {} },
  { name: 'CIoU', fn: 'completeBoxIouLoss', options: {} },
  { name: 'EIoU', fn: 'efficientBoxIouLoss', options: {} },
  { name: 'Focal-EIoU γ=0.5', fn: 'efficientBoxIouLoss', options: { gamma: 0.5 } },
  { name: 'SIoU', fn: 'scyllaBoxIouLoss', options: {} },
];

/** The curves' ground-truth box (xyxy) and its width. */
export const CURVE_BOX = [0, 0, 10, 10];
const W = 10;

const call = (s: Spec, gt: Float64Array) => (x: Tensor): Tensor =>
  (F[s.fn] as (x: Tensor, t: Tensor, o: Record<string, unknown>) => Tensor)(x, tensor(gt, [gt.length / 4, 4], { dtype: 'float64' }), { ...s.options, reduction: 'none' });

/** Predicted box shifted right by d box widths. */
export const offsetBox = (d: number): number[] => [W * d, 0, W * d + W, W];
/** Predicted box with the ground truth's centre, its sides scaled by 2^s. */
export const scaleBox = (s: number): number[] => {
  const h = (W / 2) * 2 ** s;
  return [W / 2 - h, W / 2 - h, W / 2 + h, W / 2 + h];
};

function iou(p: ArrayLike<number>, g: ArrayLike<number>): number {
  const iw = Math.max(0, Math.min(p[2], g[2]) - Math.max(p[0], g[0]));
  const ih = Math.max(0, Math.min(p[3], g[3]) - Math.max(p[1], g[1]));
  const inter = iw * ih;
  const union = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter;
  return union > 0 ? inter / union : 0;
}

function dataset(pred: Float64Array, gt: Float64Array, contaminated: Uint8Array): LocalizationData {
  return {
    n: pred.length / 4, pred, gt, contaminated,
    describe: (i) => `IoU=${num(iou(pred.subarray(4 * i, 4 * i + 4), gt.subarray(4 * i, 4 * i + 4)))}`,
  };
}

function curve(key: string, title: string, xLabel: string, gradLabel: string, xs: number[], box: (v: number) => number[], dbox: (v: number) => number[]): CurveSet {
  const n = xs.length;
  const pred = Float64Array.from(xs.flatMap(box));
  const gt = Float64Array.from(xs.flatMap(() => CURVE_BOX));
  const loss = [];
  const grad = [];
  for (const s of LOCALIZATION_LOSSES) {
    const out = valueAndGrad(pred, [n, 4], call(s, gt));
    loss.push({ name: s.name, fn: s.fn, options: s.options, x: xs, y: Array.from(out.loss) });
    // Chain rule: ∂L/∂v = Σ_k ∂L/∂box_k · ∂box_k/∂v.
    grad.push({ name: s.name, fn: s.fn, options: s.options, x: xs, y: xs.map((v, i) => dbox(v).reduce((a, d, k) => a + d * out.grad[4 * i + k], 0)) });
  }
  return { key, title, xLabel, yLabel: '↑ loss per box (unitless, IoU terms)', gradLabel, loss, grad };
}

export const localization: Family<LocalizationData> & { specs: Spec[] } = {
  name: 'localization',
  title: 'Localization (bounding boxes)',
  contamination: 'misplaced boxes (moved 1.5–3 widths)',
  specs: LOCALIZATION_LOSSES,
  losses: LOCALIZATION_LOSSES.map((s): LossEntry<LocalizationData> => ({
    name: s.name,
    perSample(d) {
      const { loss, grad } = valueAndGrad(d.pred, [d.n, 4], call(s, d.gt));
      return { loss, grad: rowNorms(grad, 4) };
    },
  })),
  curves(): CurveSet[] {
    const ln2 = Math.log(2);
    return [
      curve('offset', 'Loss against the box offset (10×10 ground truth, shifted sideways)', 'offset of the predicted box (box widths) →', '↑ ∂loss/∂offset (per box width)',
        linspace(-2, 2, 161), offsetBox, () => [W, 0, W, 0]),
      curve('scale', 'Loss against the box scale (same centre, sides × 2^s)', 'scale s = log₂(predicted side / true side) →', '↑ ∂loss/∂s (per doubling)',
        linspace(-2.5, 2.5, 161), scaleBox, (s) => {
          const h = (W / 2) * 2 ** s * ln2;
          return [-h, -h, h, h];
        }),
    ];
  },
  builtIn(n, seed) {
    const r = rng(seed);
    const pred = new Float64Array(4 * n);
    const gt = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const w = 10 + 40 * r();
      const h = 10 + 40 * r();
      const cx = 100 * r();
      const cy = 100 * r();
      gt.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 4 * i);
      const pw = w * Math.exp(0.1 * gauss(r));
      const ph = h * Math.exp(0.1 * gauss(r));
      const px = cx + 0.1 * w * gauss(r);
      const py = cy + 0.1 * h * gauss(r);
      pred.set([px - pw / 2, py - ph / 2, px + pw / 2, py + ph / 2], 4 * i);
    }
    return dataset(pred, gt, new Uint8Array(n));
  },
  contaminate(base, which, seed) {
    const r = rng(seed ^ 0x165667b1);
    const pred = base.pred.slice();
    const flags = base.contaminated.slice();
    for (const i of which) {
      const w = pred[4 * i + 2] - pred[4 * i];
      const h = pred[4 * i + 3] - pred[4 * i + 1];
      const a = 2 * Math.PI * r();
      const d = 1.5 + 1.5 * r();
      const dx = d * w * Math.cos(a);
      const dy = d * h * Math.sin(a);
      pred[4 * i] += dx;
      pred[4 * i + 2] += dx;
      pred[4 * i + 1] += dy;
      pred[4 * i + 3] += dy;
      flags[i] = 1;
    }
    return dataset(pred, base.gt, flags);
  },
  specificity: 2,
  accepts: (input, target) => input.length === 2 && target.length === 2 && input[1] === 4 && target[1] === 4 && input[0] === target[0],
  fromUser(input: Dense, target: Dense, names) {
    if (!localization.accepts(input.shape, target.shape)) {
      throw new CompareError(null, `argument '${names.target}': localization needs input and target boxes (N, 4), got [${input.shape}] and [${target.shape}]`);
    }
    return dataset(input.data, target.data, new Uint8Array(input.shape[0]));
  },
  subset(d, idx) {
    return dataset(gatherRows(d.pred, 4, idx), gatherRows(d.gt, 4, idx), gatherFlags(d.contaminated, idx));
  },
};
