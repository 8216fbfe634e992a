// Properties of the box kernels beyond the golden cases: the SIMD lanes, the padded tail and
// the scratch chunks never change a result (every length 0–13 and across chunk boundaries,
// bit for bit against one box at a time), the reductions and gradients agree with 'none',
// the format conversion commutes with the losses, the pairwise ops' blocking is invisible,
// memory stays bounded.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, memoryBytes, nn, ops, tensor, type FloatDType, type Tensor } from '../../ts/index.js';
import { rng } from '../helpers/rows.js';

beforeAll(() => init());

type BoxLossFn = (a: Tensor, b: Tensor, o?: object) => Tensor;
const LOSSES: [string, BoxLossFn, object][] = [
  ['generalizedBoxIouLoss', F.generalizedBoxIouLoss, {}],
  ['distanceBoxIouLoss', F.distanceBoxIouLoss, {}],
  ['completeBoxIouLoss', F.completeBoxIouLoss, {}],
  ['boxIouLoss', F.boxIouLoss, { mode: 'log' }],
  ['efficientBoxIouLoss', F.efficientBoxIouLoss, { gamma: 0.5 }],
  ['scyllaBoxIouLoss', F.scyllaBoxIouLoss, { negGamma: true }],
];
const FORMATS = ['xyxy', 'xywh', 'cxcywh'] as const;

/** n random boxes in `fmt` (positive sides), seeded. */
function randomBoxes(n: number, fmt: (typeof FORMATS)[number], seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y, w, h] = [r(0, 20), r(0, 20), r(0.5, 8), r(0.5, 8)];
    if (fmt === 'xyxy') out.push(x, y, x + w, y + h);
    else if (fmt === 'xywh') out.push(x, y, w, h);
    else out.push(x + w / 2, y + h / 2, w, h);
  }
  return out;
}

const box = (data: number[], n: number, dtype: FloatDType, rg = false) => tensor(data, [n, 4], { dtype, requiresGrad: rg });

describe.each(LOSSES)('%s: lanes, tail and chunks are invisible', (_name, fn, opts) => {
  it.each(['float32', 'float64'] as FloatDType[])('every length 0–13, every format, one box at a time (%s)', (dtype) => {
    for (const fmt of FORMATS) {
      for (let n = 0; n <= 13; n++) {
        const pd = randomBoxes(n, fmt, 11 * n + 1);
        const td = randomBoxes(n, fmt, 13 * n + 2);
        const p = box(pd, n, dtype, true);
        const t = box(td, n, dtype, true);
        const none = fn(p, t, { ...opts, boxFormat: fmt });
        const g = Array.from({ length: n }, (_, i) => ((i % 5) - 2) / 2);
        none.backward(tensor(g, [n], { dtype }));
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const p1 = box(pd.slice(4 * i, 4 * i + 4), 1, dtype, true);
          const t1 = box(td.slice(4 * i, 4 * i + 4), 1, dtype, true);
          const one = fn(p1, t1, { ...opts, boxFormat: fmt });
          expect(one.data[0], `${fmt} n=${n} i=${i}`).toBe(none.data[i]);
          one.backward(tensor([g[i]], [1], { dtype }));
          expect(Array.from(p1.grad!.data)).toEqual(Array.from(p.grad!.data.slice(4 * i, 4 * i + 4)));
          expect(Array.from(t1.grad!.data)).toEqual(Array.from(t.grad!.data.slice(4 * i, 4 * i + 4)));
          sum += Number(none.data[i]);
        }
        const s = fn(box(pd, n, dtype), box(td, n, dtype), { ...opts, boxFormat: fmt, reduction: 'sum' }).item();
        expect(Math.abs(s - sum)).toBeLessThanOrEqual(1e-6 * Math.abs(sum) + 1e-12);
        const m = fn(box(pd, n, dtype), box(td, n, dtype), { ...opts, boxFormat: fmt, reduction: 'mean' }).item();
        expect(Math.abs(m - (n ? sum / n : 0))).toBeLessThanOrEqual(1e-6 * Math.abs(sum / Math.max(n, 1)) + 1e-12);
      }
    }
  });

  it('10 000 boxes (three float32 chunks) equal the same boxes in slices of 1000', () => {
    const n = 10_000;
    const pd = randomBoxes(n, 'cxcywh', 5);
    const td = randomBoxes(n, 'cxcywh', 6);
    const p = box(pd, n, 'float32', true);
    const whole = fn(p, box(td, n, 'float32'), { ...opts, boxFormat: 'cxcywh' });
    whole.backward(tensor(new Float32Array(n).fill(0.5)));
    for (let k = 0; k < n; k += 1000) {
      const pk = box(pd.slice(4 * k, 4 * k + 4000), 1000, 'float32', true);
      const part = fn(pk, box(td.slice(4 * k, 4 * k + 4000), 1000, 'float32'), { ...opts, boxFormat: 'cxcywh' });
      expect(Array.from(part.data)).toEqual(Array.from(whole.data.slice(k, k + 1000)));
      part.backward(tensor(new Float32Array(1000).fill(0.5)));
      expect(Array.from(pk.grad!.data)).toEqual(Array.from(p.grad!.data.slice(4 * k, 4 * k + 4000)));
    }
  });

  it('the target alone may require grad: the same gradient as when both do', () => {
    const pd = randomBoxes(9, 'xyxy', 21);
    const td = randomBoxes(9, 'xyxy', 22);
    const t1 = box(td, 9, 'float64', true);
    fn(box(pd, 9, 'float64'), t1, { ...opts, reduction: 'sum' }).backward();
    const p2 = box(pd, 9, 'float64', true);
    const t2 = box(td, 9, 'float64', true);
    fn(p2, t2, { ...opts, reduction: 'sum' }).backward();
    expect(Array.from(t1.grad!.data)).toEqual(Array.from(t2.grad!.data));
    expect(p2.grad).not.toBeNull();
  });

  it('a format conversion done by ops.boxConvert gives the loss of boxFormat (float64, 1e-12)', () => {
    const pd = randomBoxes(20, 'xyxy', 31);
    const td = randomBoxes(20, 'xyxy', 32);
    const direct = fn(box(pd, 20, 'float64'), box(td, 20, 'float64'), opts);
    const conv = (d: number[]) => ops.boxConvert(box(d, 20, 'float64'), 'xyxy', 'cxcywh');
    const via = fn(conv(pd), conv(td), { ...opts, boxFormat: 'cxcywh' });
    for (let i = 0; i < 20; i++) expect(Math.abs(Number(via.data[i]) - Number(direct.data[i]))).toBeLessThanOrEqual(1e-12);
  });
});

describe('a float64 JS reference (torchvision 0.14 formulas)', () => {
  /** torchvision's GIoU loss of one pair, in float64. */
  function giou(p: number[], t: number[], eps = 1e-7): number {
    const [x1, y1, x2, y2] = p;
    const [u1, v1, u2, v2] = t;
    const iw = Math.min(x2, u2) - Math.max(x1, u1);
    const ih = Math.min(y2, v2) - Math.max(y1, v1);
    const inter = iw > 0 && ih > 0 ? iw * ih : 0;
    const union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter;
    const c = (Math.max(x2, u2) - Math.min(x1, u1)) * (Math.max(y2, v2) - Math.min(y1, v1));
    return 1 - (inter / (union + eps) - (c - union) / (c + eps));
  }
  it('generalizedBoxIouLoss over 100 000 boxes: mean within 1e-12', () => {
    const n = 100_000;
    const pd = randomBoxes(n, 'xyxy', 41);
    const td = randomBoxes(n, 'xyxy', 42);
    let s = 0;
    for (let i = 0; i < n; i++) s += giou(pd.slice(4 * i, 4 * i + 4), td.slice(4 * i, 4 * i + 4));
    const got = F.generalizedBoxIouLoss(box(pd, n, 'float64'), box(td, n, 'float64'), { reduction: 'mean' }).item();
    expect(Math.abs(got - s / n)).toBeLessThanOrEqual(1e-12 * (s / n));
    const got32 = F.generalizedBoxIouLoss(box(pd, n, 'float32'), box(td, n, 'float32'), { reduction: 'mean' }).item();
    expect(Math.abs(got32 - s / n)).toBeLessThanOrEqual(1e-5 * (s / n));
  });
  it('1 − ops.generalizedBoxIou(a, b)[i, j] is generalizedBoxIouLoss(a_i, b_j) at eps = 0', () => {
    const a = randomBoxes(6, 'xyxy', 51);
    const b = randomBoxes(5, 'xyxy', 52);
    const m = ops.generalizedBoxIou(box(a, 6, 'float64'), box(b, 5, 'float64'));
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 5; j++) {
        const l = giou(a.slice(4 * i, 4 * i + 4), b.slice(4 * j, 4 * j + 4), 0);
        expect(Math.abs(1 - Number(m.data[5 * i + j]) - l)).toBeLessThanOrEqual(1e-14);
      }
    }
  });
});

describe('pairwise ops: blocking is invisible', () => {
  it.each([
    ['boxIou', ops.boxIou], ['generalizedBoxIou', ops.generalizedBoxIou],
    ['distanceBoxIou', ops.distanceBoxIou], ['completeBoxIou', ops.completeBoxIou],
  ] as [string, (a: Tensor, b: Tensor) => Tensor][])('%s (70, 4) × (5000, 4) equals row by row', (_n, op) => {
    const a = randomBoxes(70, 'xyxy', 61);
    const b = randomBoxes(5000, 'xyxy', 62);
    const bt = box(b, 5000, 'float32');
    const m = op(box(a, 70, 'float32'), bt);
    expect(m.shape).toEqual([70, 5000]);
    for (const i of [0, 31, 32, 69]) {
      const row = op(box(a.slice(4 * i, 4 * i + 4), 1, 'float32'), bt);
      expect(Array.from(row.data)).toEqual(Array.from(m.data.slice(5000 * i, 5000 * (i + 1))));
    }
    // Columns across the 4096-box block boundary, one at a time.
    for (const j of [4095, 4096, 4999]) {
      const col = op(box(a, 70, 'float32'), box(b.slice(4 * j, 4 * j + 4), 1, 'float32'));
      expect(Array.from(col.data)).toEqual(Array.from({ length: 70 }, (_, i) => m.data[5000 * i + j]));
    }
  });
});

describe('memory stays bounded', () => {
  it('1e6 float32 boxes through a loss and its gradient, and a 1000 × 1000 pairwise op', () => {
    const n = 1_000_000;
    const pd = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) pd.set([i % 100, i % 37, (i % 100) + 3, (i % 37) + 2], 4 * i);
    const before = memoryBytes();
    const p = tensor(pd, [n, 4], { requiresGrad: true });
    F.completeBoxIouLoss(p, tensor(pd.map((v) => v + 0.5), [n, 4]), { reduction: 'mean' }).backward();
    expect(p.grad!.shape).toEqual([n, 4]);
    ops.boxIou(tensor(pd.subarray(0, 4000), [1000, 4]), tensor(pd.subarray(4000, 8000), [1000, 4]));
    expect(memoryBytes() - before).toBeLessThanOrEqual(1 << 20);
    expect(memoryBytes()).toBeLessThanOrEqual(8 << 20);
  });
});

describe('nn classes: defaults, and forward delegates to F', () => {
  it('options with their defaults', () => {
    expect(new nn.GeneralizedBoxIoULoss().options).toEqual({ boxFormat: 'xyxy', reduction: 'none', eps: 1e-7 });
    expect(new nn.CompleteBoxIoULoss({ eps: 0.1 }).options).toEqual({ boxFormat: 'xyxy', reduction: 'none', eps: 0.1 });
    expect(new nn.IoULoss().options).toEqual({ boxFormat: 'xyxy', reduction: 'none', eps: 1e-6, mode: 'linear' });
    expect(new nn.EfficientIoULoss().options).toEqual({ boxFormat: 'xyxy', reduction: 'none', eps: 1e-7, gamma: 0 });
    expect(new nn.SIoULoss().options).toEqual({ boxFormat: 'xyxy', reduction: 'none', eps: 1e-6, negGamma: false });
    expect(new nn.BalancedL1Loss().options).toEqual({ alpha: 0.5, gamma: 1.5, beta: 1, reduction: 'mean' });
    expect(new nn.VarifocalLoss().options).toEqual({ alpha: 0.75, gamma: 2, iouWeighted: true, reduction: 'mean' });
    expect(new nn.QualityFocalLoss().options).toEqual({ beta: 2, reduction: 'mean' });
    expect(new nn.DistributionFocalLoss().options).toEqual({ reduction: 'mean' });
  });
  it('forward equals F with the same options', () => {
    const p = box(randomBoxes(4, 'xywh', 71), 4, 'float64');
    const t = box(randomBoxes(4, 'xywh', 72), 4, 'float64');
    const o = { boxFormat: 'xywh', reduction: 'sum' } as const;
    expect(new nn.DistanceBoxIoULoss(o).forward(p, t).item()).toBe(F.distanceBoxIouLoss(p, t, o).item());
    expect(new nn.SIoULoss(o).forward(p, t).item()).toBe(F.scyllaBoxIouLoss(p, t, o).item());
    const x = tensor([[0.5, -1], [2, 0.1]], undefined, { dtype: 'float64' });
    const y = tensor([[0.6, 0], [0, 0.9]], undefined, { dtype: 'float64' });
    expect(new nn.VarifocalLoss({ gamma: 1 }).forward(x, y).item()).toBe(F.varifocalLoss(x, y, { gamma: 1 }).item());
    expect(new nn.BalancedL1Loss().forward(x, y).item()).toBe(F.balancedL1Loss(x, y).item());
    const lab = tensor([1, 2], undefined, { dtype: 'int64' });
    const sc = tensor([0.8, 0.3], undefined, { dtype: 'float64' });
    expect(new nn.QualityFocalLoss().forward(x, lab, sc).item()).toBe(F.qualityFocalLoss(x, lab, sc).item());
    expect(new nn.DistributionFocalLoss().forward(x, sc).item()).toBe(F.distributionFocalLoss(x, sc).item());
  });
});
