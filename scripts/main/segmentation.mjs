// `npm start`, segmentation section: every segmentation loss on built-in synthetic masks (a
// large object, a small object, a thin structure, an empty class), and how each reacts to the
// same pixel error on a small object versus a large one — the "how different are the losses"
// question for segmentation, in numbers. Wired by scripts/main.mjs.

const H = 64;
const W = 64;
const S = H * W;
const C = 5;
const NAMES = ['background', 'large object', 'small object', 'thin structure', 'empty class'];

/** Ground truth: a disc of radius 20 (class 1), a disc of radius 3 (class 2), a one-pixel-wide
 * diagonal line (class 3); class 4 appears nowhere. */
function groundTruth() {
  const y = new Int32Array(S);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const k = i * W + j;
      if ((i - 24) ** 2 + (j - 24) ** 2 <= 20 * 20) y[k] = 1;
      else if ((i - 52) ** 2 + (j - 52) ** 2 <= 3 * 3) y[k] = 2;
      else if (i === 63 - j && i < 40) y[k] = 3;
    }
  }
  return y;
}

/** Logits (1, C, H, W) predicting `labels` with margin 6 (p ≈ 0.99 on the predicted class). */
function logitsOf(labels) {
  const x = new Float64Array(C * S);
  for (let k = 0; k < S; k++) x[labels[k] * S + k] = 6;
  return x;
}

/** `labels` with the first `count` pixels of class `c` (in scan order from its centre out)
 * turned into background: the same number of wrong pixels wherever it is applied. */
function miss(labels, c, count) {
  const out = labels.slice();
  const at = [];
  for (let k = 0; k < S; k++) if (labels[k] === c) at.push(k);
  const ci = at.reduce((a, k) => a + Math.floor(k / W), 0) / at.length;
  const cj = at.reduce((a, k) => a + (k % W), 0) / at.length;
  // Boundary first (farthest from the centre): how a segmentation usually errs.
  at.sort((a, b) => (Math.floor(b / W) - ci) ** 2 + ((b % W) - cj) ** 2 - ((Math.floor(a / W) - ci) ** 2 + ((a % W) - cj) ** 2));
  for (const k of at.slice(0, count)) out[k] = 0;
  return out;
}

const fmt = (v) => (v === 0 ? '0' : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4));

function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

export async function section(lossfn) {
  const { F, tensor } = lossfn;
  if (typeof F.diceLoss !== 'function') return;
  const gt = groundTruth();
  const counts = NAMES.map((_, c) => gt.reduce((a, v) => a + (v === c ? 1 : 0), 0));
  const y = tensor(gt, [1, H, W], { dtype: 'int32' });
  const y1 = tensor(gt, [1, 1, H, W], { dtype: 'int32' });
  /** The multiclass losses on logits (1, C, H, W). */
  const losses = [
    ['Dice', (x) => F.diceLoss(x, y)],
    ['Jaccard', (x) => F.jaccardLoss(x, y)],
    ['Tversky α=.3 β=.7', (x) => F.tverskyLoss(x, y, { alpha: 0.3, beta: 0.7 })],
    ['focal Tversky γ=4/3', (x) => F.tverskyLoss(x, y, { alpha: 0.3, beta: 0.7, gamma: 4 / 3 })],
    ['generalized Dice', (x) => F.generalizedDiceLoss(x, y1, { softmax: true, toOnehotY: true })],
    ['Lovász-softmax', (x) => F.lovaszSoftmaxLoss(x, y)],
    ['cross entropy (pixel mean)', (x) => F.crossEntropy(x, y)],
  ];
  const run = (labels) => {
    const x = tensor(logitsOf(labels), [1, C, H, W], { dtype: 'float64' });
    return Object.fromEntries(losses.map(([l, f]) => [l, f(x).item()]));
  };
  console.log(`\n## Segmentation losses (synthetic ${H}×${W} masks, ${C} classes, float64)\n`);
  console.log(`Ground truth: ${NAMES.map((n, c) => `${n} ${counts[c]} px`).join(', ')}. ` +
    'Predictions: logits 6 on the predicted class, 0 elsewhere (p ≈ 0.99).\n');
  const scenes = [
    ['correct everywhere', gt],
    ['small object missed entirely', miss(gt, 2, counts[2])],
    ['thin structure missed entirely', miss(gt, 3, counts[3])],
    ['large object: 10% of its pixels missed', miss(gt, 1, Math.round(counts[1] / 10))],
  ];
  const values = scenes.map(([, labels]) => run(labels));
  const names = losses.map(([l]) => l);
  table(['prediction', ...names], scenes.map(([s], i) => [s, ...names.map((l) => fmt(values[i][l]))]));
  console.log("\nThe empty class contributes 0 to Dice/Jaccard/Tversky and still counts in their mean (smp); " +
    "Lovász-softmax ('present') and generalized Dice (its weight) leave it out.");

  const K = 20;
  const base = values[0];
  const small = run(miss(gt, 2, K));
  const large = run(miss(gt, 1, K));
  console.log(`\nThe same error — ${K} pixels of an object predicted as background — on the small object ` +
    `(${counts[2]} px) and on the large one (${counts[1]} px): the increase of each loss.\n`);
  const rows = names.map((l) => {
    const ds = small[l] - base[l];
    const dl = large[l] - base[l];
    return [l, fmt(ds), fmt(dl), dl > 0 ? `${(ds / dl).toFixed(1)}×` : '—'];
  });
  table(['loss', `Δ small (${K} of ${counts[2]} px)`, `Δ large (${K} of ${counts[1]} px)`, 'small / large'], rows);
  console.log('\nRegion losses score each class by its own overlap, so the same pixels weigh more on a small object; ' +
    'cross entropy averages over pixels and barely tells the two apart.');

  // Binary views of the two objects: MCC on the class's probability, Lovász hinge on its log-odds.
  const binary = (labels, c) => {
    const x = logitsOf(labels);
    const p = new Float64Array(S);
    const lo = new Float64Array(S);
    for (let k = 0; k < S; k++) {
      let z = 0;
      for (let j = 0; j < C; j++) z += Math.exp(x[j * S + k]);
      p[k] = Math.exp(x[c * S + k]) / z;
      lo[k] = x[c * S + k] - Math.log(z - Math.exp(x[c * S + k]));
    }
    const m = Float64Array.from(gt, (v) => (v === c ? 1 : 0));
    return {
      mcc: F.mccLoss(tensor(p, [1, S], { dtype: 'float64' }), tensor(m, [1, S], { dtype: 'float64' })).item(),
      hinge: F.lovaszHingeLoss(tensor(lo, [1, S], { dtype: 'float64' }), tensor(m, [1, S], { dtype: 'float64' })).item(),
    };
  };
  const rowsB = [];
  for (const [name, c] of [['small object', 2], ['large object', 1]]) {
    const b0 = binary(gt, c);
    const b1 = binary(miss(gt, c, K), c);
    rowsB.push([name, fmt(b0.mcc), fmt(b1.mcc - b0.mcc), fmt(b0.hinge), fmt(b1.hinge - b0.hinge)]);
  }
  console.log(`\nThe binary losses on one object's mask (its class probability for MCC, its log-odds for the Lovász hinge), the same ${K} pixels missed:\n`);
  table(['object', 'MCC loss', 'Δ MCC', 'Lovász hinge', 'Δ hinge'], rowsB);
}
