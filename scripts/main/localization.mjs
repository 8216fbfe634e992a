// `npm start`, localization section: the box losses on a handful of built-in predicted /
// ground-truth pairs (overlapping, shifted, scaled, nested, aspect, disjoint near and far,
// identical): each loss's value and the magnitude of its gradient with respect to the
// prediction, to show how differently they score the same boxes and which still give a signal
// where IoU is flat (disjoint boxes: IoU = 0 whatever the distance). Wired by scripts/main.mjs.

/** Built-in pairs, xyxy: [name, prediction, ground truth]. */
const PAIRS = [
  ['overlapping', [10, 10, 30, 30], [12, 14, 32, 34]],
  ['shifted ½', [0, 0, 20, 20], [10, 0, 30, 20]],
  ['scaled ×1.5', [5, 5, 35, 35], [10, 10, 30, 30]],
  ['nested', [15, 15, 20, 20], [10, 10, 30, 30]],
  ['aspect 2:1 vs 1:2', [10, 15, 30, 25], [15, 10, 25, 30]],
  ['disjoint, near', [0, 0, 10, 10], [12, 0, 22, 10]],
  ['disjoint, far', [0, 0, 10, 10], [60, 60, 70, 70]],
  ['identical', [10, 10, 30, 30], [10, 10, 30, 30]],
];

/** [label, (F, pred, gt) => per-pair losses ('none')]. */
const LOSSES = [
  ['IoU (linear)', (F, p, t) => F.boxIouLoss(p, t)],
  ['IoU (log)', (F, p, t) => F.boxIouLoss(p, t, { mode: 'log' })],
  ['GIoU', (F, p, t) => F.generalizedBoxIouLoss(p, t)],
  ['DIoU', (F, p, t) => F.distanceBoxIouLoss(p, t)],
  ['CIoU', (F, p, t) => F.completeBoxIouLoss(p, t)],
  ['EIoU', (F, p, t) => F.efficientBoxIouLoss(p, t)],
  ['Focal-EIoU γ=0.5', (F, p, t) => F.efficientBoxIouLoss(p, t, { gamma: 0.5 })],
  ['SIoU', (F, p, t) => F.scyllaBoxIouLoss(p, t)],
  ['SIoU (paper γ)', (F, p, t) => F.scyllaBoxIouLoss(p, t, { negGamma: true })],
];

const fmt = (v) => (v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4));

function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

/** Million boxes per second of a 'mean' loss over `n` float32 pairs, copies included. */
function speed(run, n) {
  run();
  const times = [];
  const deadline = performance.now() + 250;
  while (times.length < 5 || (performance.now() < deadline && times.length < 100)) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return n / (times[times.length >> 1] * 1e3);
}

export async function section(lossfn) {
  const { F, tensor } = lossfn;
  console.log('\n## Localization losses (8 predicted / ground-truth box pairs, xyxy, float64)\n');
  const pred = PAIRS.map(([, p]) => p);
  const gt = PAIRS.map(([, , t]) => t);
  const values = {};
  const norms = {};
  for (const [label, call] of LOSSES) {
    const p = tensor(pred, undefined, { dtype: 'float64', requiresGrad: true });
    const out = call(F, p, tensor(gt, undefined, { dtype: 'float64' }));
    out.backward(tensor(new Float64Array(PAIRS.length).fill(1)));
    values[label] = Array.from(out.data);
    const g = p.grad.data;
    norms[label] = PAIRS.map((_, i) => Math.hypot(g[4 * i], g[4 * i + 1], g[4 * i + 2], g[4 * i + 3]));
  }
  const iou = Array.from(lossfn.ops.boxIou(tensor(pred, undefined, { dtype: 'float64' }), tensor(gt, undefined, { dtype: 'float64' })).data)
    .filter((_, k) => k % (PAIRS.length + 1) === 0);
  const names = LOSSES.map(([l]) => l);
  console.log('Loss value per pair (reduction \'none\'):\n');
  table(['pair', 'IoU', ...names], PAIRS.map(([name], i) => [name, iou[i].toFixed(3), ...names.map((l) => fmt(values[l][i]))]));
  console.log('\n‖∂loss/∂prediction‖₂ per pair (the size of the training signal):\n');
  table(['pair', ...names], PAIRS.map(([name], i) => [name, ...names.map((l) => fmt(norms[l][i]))]));
  const disjoint = PAIRS.map(([n], i) => (n.startsWith('disjoint') ? i : -1)).filter((i) => i >= 0);
  const zeroOn = (l) => disjoint.filter((i) => norms[l][i] === 0).map((i) => PAIRS[i][0]);
  const flat = names.filter((l) => zeroOn(l).length === disjoint.length);
  const partly = names.filter((l) => zeroOn(l).length > 0 && !flat.includes(l));
  const alive = names.filter((l) => zeroOn(l).length === 0);
  /** Why a loss loses its gradient on disjoint pairs, where the reason is known. */
  const why = (l) =>
    l.startsWith('IoU') ? 'IoU = 0 whatever the distance'
      : l.startsWith('Focal-EIoU') ? 'its factor iou^γ is 0'
        : l === 'SIoU' ? "YOLOv6's sign makes the distance cost push the SIoU past 1, where the clamp cuts it" : '';
  const list = (ls, where) => ls.map((l) => `${l}${where(l) || why(l) ? ` (${[where(l), why(l)].filter(Boolean).join(': ')})` : ''}`).join('; ');
  console.log('\nWhere IoU is flat (disjoint boxes: IoU = 0, near or far):');
  console.log(`- no gradient on any disjoint pair: ${list(flat, () => '') || 'none'};`);
  if (partly.length) console.log(`- no gradient on some: ${list(partly, (l) => zeroOn(l).join(', '))};`);
  console.log(`- a signal on every disjoint pair: ${alive.join(', ')} (GIoU through the empty part of the enclosing box, the others through the centre distance).`);

  const arg = process.argv.indexOf('--n');
  const n = (arg >= 0 && Number(process.argv[arg + 1])) || 1_000_000;
  const r = (() => {
    let s = 12345;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  })();
  const boxes = () => {
    const b = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const x = 100 * r();
      const y = 100 * r();
      b.set([x, y, x + 1 + 20 * r(), y + 1 + 20 * r()], 4 * i);
    }
    return b;
  };
  const [bp, bt] = [boxes(), boxes()];
  const rows = [['generalizedBoxIouLoss', F.generalizedBoxIouLoss], ['completeBoxIouLoss', F.completeBoxIouLoss], ['scyllaBoxIouLoss', F.scyllaBoxIouLoss]]
    .map(([name, fn]) => [name, speed(() => fn(tensor(bp, [n, 4]), tensor(bt, [n, 4]), { reduction: 'mean' }).item(), n).toFixed(0)]);
  console.log(`\nThroughput, ${n.toExponential(0)} random float32 box pairs, reduction 'mean', copies included:\n`);
  table(['loss', 'M boxes/s'], rows);
}
