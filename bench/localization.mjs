// Benchmark entries of the localization family (issue 10), in bench/entries.mjs's format:
// generalizedBoxIouLoss and completeBoxIouLoss over N float32 box pairs (N counts boxes), and
// ops.boxIou of 1000 boxes against N/1000 (N counts pairs; N = 1e6 is 1000 × 1000), each
// against a naive JS loop of torchvision's formula and PyTorch (torchvision 0.14, 1 thread).
// Wired into makeEntries by one line of bench/entries.mjs.

import { ops as lossfnOps } from 'lossfn';

/** `n` boxes (xyxy) as a Float32Array of 4n: corners in [0, 100), sides in [1, 21). */
function boxes(n, r) {
  const b = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const x = 100 * r.next();
    const y = 100 * r.next();
    b[4 * i] = x;
    b[4 * i + 1] = y;
    b[4 * i + 2] = x + 1 + 20 * r.next();
    b[4 * i + 3] = y + 1 + 20 * r.next();
  }
  return b;
}

/** The same boxes in torch: the setup snippet's helper (U from bench/torch_peer.py). */
const TORCH_BOXES =
  'def boxes(n):\n' +
  '    x = U(n, 0, 100); y = U(n, 0, 100)\n' +
  '    return torch.stack([x, y, x + 1 + U(n, 0, 20), y + 1 + U(n, 0, 20)], 1)\n';

/** torchvision's intersection and union of box pair i (float64 JS arithmetic). */
function interUnion(p, t, o) {
  const iw = Math.min(p[o + 2], t[o + 2]) - Math.max(p[o], t[o]);
  const ih = Math.min(p[o + 3], t[o + 3]) - Math.max(p[o + 1], t[o + 1]);
  const inter = iw > 0 && ih > 0 ? iw * ih : 0;
  const union = (p[o + 2] - p[o]) * (p[o + 3] - p[o + 1]) + (t[o + 2] - t[o]) * (t[o + 3] - t[o + 1]) - inter;
  return [inter, union];
}

/** The localization entries; `ops` defaults to the package's (bench.mjs passes F and tensor). */
export function localizationEntries({ F, tensor, ops = lossfnOps }) {
  const entries = [];
  const pair = (n, r) => ({ n, p: boxes(n, r), t: boxes(n, r) });
  if (typeof F.generalizedBoxIouLoss === 'function') {
    entries.push({
      name: 'generalizedBoxIouLoss',
      unit: 'boxes',
      target: 150,
      make: pair,
      lossfn: ({ n, p, t }) => F.generalizedBoxIouLoss(tensor(p, [n, 4]), tensor(t, [n, 4]), { reduction: 'mean' }).item(),
      naive: ({ n, p, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const o = 4 * i;
          const [inter, union] = interUnion(p, t, o);
          const c = (Math.max(p[o + 2], t[o + 2]) - Math.min(p[o], t[o])) * (Math.max(p[o + 3], t[o + 3]) - Math.min(p[o + 1], t[o + 1]));
          s += 1 - (inter / (union + 1e-7) - (c - union) / (c + 1e-7));
        }
        return s / n;
      },
      torch: {
        setup: `from torchvision.ops import generalized_box_iou_loss\n${TORCH_BOXES}p = boxes(n); t = boxes(n)`,
        call: "generalized_box_iou_loss(p, t, reduction='mean').item()",
        note: 'torchvision.ops.generalized_box_iou_loss',
      },
    });
    entries.push({
      name: 'completeBoxIouLoss',
      unit: 'boxes',
      make: pair,
      lossfn: ({ n, p, t }) => F.completeBoxIouLoss(tensor(p, [n, 4]), tensor(t, [n, 4]), { reduction: 'mean' }).item(),
      naive: ({ n, p, t }) => {
        let s = 0;
        const k = 4 / (Math.PI * Math.PI);
        for (let i = 0; i < n; i++) {
          const o = 4 * i;
          const [inter, union] = interUnion(p, t, o);
          const iou = inter / (union + 1e-7);
          const cw = Math.max(p[o + 2], t[o + 2]) - Math.min(p[o], t[o]);
          const ch = Math.max(p[o + 3], t[o + 3]) - Math.min(p[o + 1], t[o + 1]);
          const dx = (p[o] + p[o + 2]) / 2 - (t[o] + t[o + 2]) / 2;
          const dy = (p[o + 1] + p[o + 3]) / 2 - (t[o + 1] + t[o + 3]) / 2;
          const d = Math.atan((t[o + 2] - t[o]) / (t[o + 3] - t[o + 1])) - Math.atan((p[o + 2] - p[o]) / (p[o + 3] - p[o + 1]));
          const v = k * d * d;
          s += 1 - iou + (dx * dx + dy * dy) / (cw * cw + ch * ch + 1e-7) + (v / (1 - iou + v + 1e-7)) * v;
        }
        return s / n;
      },
      torch: {
        setup: `from torchvision.ops import complete_box_iou_loss\n${TORCH_BOXES}p = boxes(n); t = boxes(n)`,
        call: "complete_box_iou_loss(p, t, reduction='mean').item()",
        note: 'torchvision.ops.complete_box_iou_loss',
      },
    });
  }
  if (typeof ops?.boxIou === 'function') {
    const ROWS = 1000;
    entries.push({
      name: 'ops.boxIou',
      label: `ops.boxIou (${ROWS} × N/${ROWS})`,
      unit: 'pairs',
      make: (n, r) => {
        const cols = Math.max(1, Math.round(n / ROWS));
        return { n: ROWS * cols, cols, a: boxes(ROWS, r), b: boxes(cols, r) };
      },
      // A JS number out of the (ROWS, cols) matrix: its mean, read in the timed call.
      lossfn: ({ cols, a, b }) => {
        const m = ops.boxIou(tensor(a, [ROWS, 4]), tensor(b, [cols, 4])).data;
        let s = 0;
        for (let i = 0; i < m.length; i++) s += m[i];
        return s / m.length;
      },
      naive: ({ cols, a, b }) => {
        let s = 0;
        for (let i = 0; i < ROWS; i++) {
          const o = 4 * i;
          const areaA = (a[o + 2] - a[o]) * (a[o + 3] - a[o + 1]);
          for (let j = 0; j < cols; j++) {
            const q = 4 * j;
            const w = Math.max(0, Math.min(a[o + 2], b[q + 2]) - Math.max(a[o], b[q]));
            const h = Math.max(0, Math.min(a[o + 3], b[q + 3]) - Math.max(a[o + 1], b[q + 1]));
            const inter = w * h;
            s += inter / (areaA + (b[q + 2] - b[q]) * (b[q + 3] - b[q + 1]) - inter);
          }
        }
        return s / (ROWS * cols);
      },
      torch: {
        setup: `from torchvision.ops import box_iou\n${TORCH_BOXES}cols = max(1, round(n / ${ROWS})); a = boxes(${ROWS}); b = boxes(cols)`,
        call: 'box_iou(a, b).mean().item()',
        note: 'torchvision.ops.box_iou, then the mean of the matrix (as the lossfn and naive columns)',
      },
    });
  }
  return entries;
}
