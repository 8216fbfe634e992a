// The benchmark table: one entry per loss. Adding a loss is adding one entry:
//
//   {
//     name,                      // row label
//     unit,                      // what N counts ('elements', or 'logits' for crossEntropy)
//     target,                    // lossfn goal at N = 1e6, in M units/s (optional)
//     make(n, rng),              // the inputs: plain typed arrays (+ shape info)
//     lossfn(inputs) => number,  // F.xxx(tensor(x), tensor(t)).item(): copies included
//     naive(inputs) => number,   // a straightforward JS for-loop of the same formula and reduction
//     tfjs?(tf, inputs) => number,     // TF.js 4.22 where it has the loss (tensor creation and
//     tfjsNote?,                       // dataSync() included); note on semantic differences
//     torch?: { setup, call, note? },  // Python for bench/torch_peer.py: `setup` builds the
//   }                                  // inputs from `n`, `call` is an expression returning a float
//
// Entries whose lossfn function is missing (classification losses not yet landed) are left out.

import { sequenceEntries } from './sequence.mjs';
import { localizationEntries } from './localization.mjs';
import { makeRankingEntries } from './ranking.mjs';
import { segmentationEntries } from './segmentation.mjs';

// ── seeded data ────────────────────────────────────────────────────────────────────────────

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Float32Array of n values uniform in [lo, hi). */
    uniform(n, lo, hi) {
      const a = new Float32Array(n);
      const w = hi - lo;
      for (let i = 0; i < n; i++) a[i] = lo + w * next();
      return a;
    },
    /** Float32Array of n values in {0, 1}. */
    bits(n) {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = next() < 0.5 ? 0 : 1;
      return a;
    },
    /** Float32Array of n integers in [0, k) (Poisson-like counts). */
    counts(n, k) {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = Math.floor(k * next());
      return a;
    },
    /** Int32Array of n class indices in [0, k). */
    classes(n, k) {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = Math.floor(k * next());
      return a;
    },
  };
}

// ── TF.js helper ───────────────────────────────────────────────────────────────────────────

/** Runs `body` in tf.tidy, reads the scalar back with dataSync() and disposes everything. */
export function tfScalar(tf, body) {
  const loss = tf.tidy(body);
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}

// ── the entries ────────────────────────────────────────────────────────────────────────────

/** Tries `candidates` in order on a small call; returns the first that does not throw (or null). */
function firstWorking(candidates, attempt) {
  for (const c of candidates) {
    try {
      attempt(c);
      return c;
    } catch {
      /* try the next one */
    }
  }
  return null;
}

/** Classes per row for the row-wise losses (crossEntropy, klDiv). */
const C = 1000;

/** The classification torch snippets read U(), bits(), counts(), classes() from torch_peer.py. */
export function makeEntries({ F, tensor }) {
  const pair = (lo, hi) => (n, r) => ({ n, x: r.uniform(n, lo, hi), t: r.uniform(n, lo, hi) });
  const tf1 = (tf, a) => tf.tensor1d(a, 'float32');

  /** @type {any[]} */
  const entries = [
    {
      name: 'mseLoss',
      target: 1500,
      make: pair(-2, 2),
      lossfn: ({ x, t }) => F.mseLoss(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const d = x[i] - t[i];
          s += d * d;
        }
        return s / n;
      },
      tfjs: (tf, { x, t }) =>
        tfScalar(tf, () => tf.losses.meanSquaredError(tf1(tf, t), tf1(tf, x), undefined, tf.Reduction.MEAN)),
      tfjsNote: 'tf.losses.meanSquaredError, Reduction.MEAN',
      torch: { setup: 'x = U(n, -2, 2); t = U(n, -2, 2)', call: 'F.mse_loss(x, t).item()' },
    },
    {
      name: 'l1Loss',
      target: 1500,
      make: pair(-2, 2),
      lossfn: ({ x, t }) => F.l1Loss(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.abs(x[i] - t[i]);
        return s / n;
      },
      tfjs: (tf, { x, t }) =>
        tfScalar(tf, () => tf.losses.absoluteDifference(tf1(tf, t), tf1(tf, x), undefined, tf.Reduction.MEAN)),
      tfjsNote: 'tf.losses.absoluteDifference, Reduction.MEAN',
      torch: { setup: 'x = U(n, -2, 2); t = U(n, -2, 2)', call: 'F.l1_loss(x, t).item()' },
    },
    {
      name: 'huberLoss',
      label: 'huberLoss (δ=1)',
      target: 1000,
      make: pair(-2, 2),
      lossfn: ({ x, t }) => F.huberLoss(tensor(x), tensor(t), { delta: 1 }).item(),
      naive: ({ n, x, t }) => {
        const delta = 1;
        let s = 0;
        for (let i = 0; i < n; i++) {
          const a = Math.abs(x[i] - t[i]);
          s += a < delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
        }
        return s / n;
      },
      tfjs: (tf, { x, t }) =>
        tfScalar(tf, () => tf.losses.huberLoss(tf1(tf, t), tf1(tf, x), undefined, 1, tf.Reduction.MEAN)),
      tfjsNote: 'tf.losses.huberLoss(delta = 1), Reduction.MEAN: same formula as torch huber_loss',
      torch: { setup: 'x = U(n, -2, 2); t = U(n, -2, 2)', call: 'F.huber_loss(x, t, delta=1.0).item()' },
    },
    {
      name: 'smoothL1Loss',
      label: 'smoothL1Loss (β=1)',
      target: 1000,
      make: pair(-2, 2),
      lossfn: ({ x, t }) => F.smoothL1Loss(tensor(x), tensor(t), { beta: 1 }).item(),
      naive: ({ n, x, t }) => {
        const beta = 1;
        let s = 0;
        for (let i = 0; i < n; i++) {
          const a = Math.abs(x[i] - t[i]);
          s += a < beta ? (0.5 * a * a) / beta : a - 0.5 * beta;
        }
        return s / n;
      },
      // smoothL1(β) = huber(δ = β) / β; with β = 1 TF.js's huberLoss is exactly smooth L1.
      tfjs: (tf, { x, t }) =>
        tfScalar(tf, () => tf.losses.huberLoss(tf1(tf, t), tf1(tf, x), undefined, 1, tf.Reduction.MEAN)),
      tfjsNote: 'tf.losses.huberLoss(delta = 1) (= smooth L1 with β = 1), Reduction.MEAN',
      torch: { setup: 'x = U(n, -2, 2); t = U(n, -2, 2)', call: 'F.smooth_l1_loss(x, t, beta=1.0).item()' },
    },
    {
      name: 'logCosh',
      target: 400,
      make: pair(-2, 2),
      lossfn: ({ x, t }) => F.logCosh(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.log(Math.cosh(x[i] - t[i]));
        return s / n;
      },
      torch: {
        setup: 'x = U(n, -2, 2); t = U(n, -2, 2)',
        // What a PyTorch user writes (Keras's overflow-free form); torch has no log-cosh loss.
        call: '(lambda d: (d + F.softplus(-2.0 * d) - math.log(2.0)).mean())(x - t).item()',
        note: 'composed from torch ops (d + softplus(−2d) − log 2).mean(); torch has no log-cosh loss',
      },
    },
    {
      name: 'poissonNllLoss',
      label: 'poissonNllLoss (logInput)',
      target: 400,
      make: (n, r) => ({ n, x: r.uniform(n, -2, 2), t: r.counts(n, 10) }),
      lossfn: ({ x, t }) => F.poissonNllLoss(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.exp(x[i]) - t[i] * x[i];
        return s / n;
      },
      torch: { setup: 'x = U(n, -2, 2); t = counts(n, 10)', call: 'F.poisson_nll_loss(x, t).item()' },
    },
    {
      name: 'gaussianNllLoss',
      make: (n, r) => ({ n, x: r.uniform(n, -2, 2), t: r.uniform(n, -2, 2), v: r.uniform(n, 0.1, 2) }),
      lossfn: ({ x, t, v }) => F.gaussianNllLoss(tensor(x), tensor(t), tensor(v)).item(),
      naive: ({ n, x, t, v }) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const vi = Math.max(v[i], 1e-6);
          const d = x[i] - t[i];
          s += 0.5 * (Math.log(vi) + (d * d) / vi);
        }
        return s / n;
      },
      torch: { setup: 'x = U(n, -2, 2); t = U(n, -2, 2); v = U(n, 0.1, 2)', call: 'F.gaussian_nll_loss(x, t, v).item()' },
    },
    {
      name: 'meanAbsolutePercentageError',
      label: 'meanAbsolutePercentageError',
      make: (n, r) => ({ n, x: r.uniform(n, 0.5, 3), t: r.uniform(n, 0.5, 3) }),
      lossfn: ({ x, t }) => F.meanAbsolutePercentageError(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += (100 * Math.abs(t[i] - x[i])) / Math.max(Math.abs(t[i]), 1e-7);
        return s / n;
      },
      torch: {
        setup: 'x = U(n, 0.5, 3); t = U(n, 0.5, 3)',
        call: '(100.0 * (t - x).abs() / t.abs().clamp_min(1e-7)).mean().item()',
        note: 'composed from torch ops; torch has no MAPE loss',
      },
    },
    {
      name: 'meanSquaredLogarithmicError',
      label: 'meanSquaredLogarithmicError',
      make: (n, r) => ({ n, x: r.uniform(n, 0, 5), t: r.uniform(n, 0, 5) }),
      lossfn: ({ x, t }) => F.meanSquaredLogarithmicError(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const d = Math.log1p(Math.max(x[i], 1e-7)) - Math.log1p(Math.max(t[i], 1e-7));
          s += d * d;
        }
        return s / n;
      },
      torch: {
        setup: 'x = U(n, 0, 5); t = U(n, 0, 5)',
        call: '(torch.log1p(x.clamp_min(1e-7)) - torch.log1p(t.clamp_min(1e-7))).square().mean().item()',
        note: 'composed from torch ops; torch has no MSLE loss',
      },
    },
  ];

  // ── classification (light up when the functions land) ──────────────────────────────────

  if (typeof F.crossEntropy === 'function') {
    // Class-index targets: int32 when lossfn accepts them (what JS code has), else int64.
    const probe = new Float32Array(2 * 3);
    const targetKind = firstWorking(['int32', 'int64'], (k) => {
      const y = k === 'int32' ? new Int32Array([0, 2]) : new BigInt64Array([0n, 2n]);
      F.crossEntropy(tensor(probe, [2, 3]), tensor(y)).item();
    });
    if (targetKind !== null) {
      entries.push({
        name: 'crossEntropy',
        label: `crossEntropy (C=${C}, ${targetKind} targets)`,
        unit: 'logits',
        target: 1000,
        sizeNote: `N logits = (N/${C}, ${C}); N = 1e6 is (1000, 1000)`,
        make: (n, r) => {
          const rows = Math.max(1, Math.round(n / C));
          const y = r.classes(rows, C);
          return {
            n: rows * C, rows, x: r.uniform(rows * C, -3, 3), y,
            yt: targetKind === 'int32' ? y : BigInt64Array.from(y, BigInt),
          };
        },
        lossfn: ({ rows, x, yt }) => F.crossEntropy(tensor(x, [rows, C]), tensor(yt)).item(),
        naive: ({ rows, x, y }) => {
          let s = 0;
          for (let r = 0; r < rows; r++) {
            const o = r * C;
            let m = -Infinity;
            for (let j = 0; j < C; j++) if (x[o + j] > m) m = x[o + j];
            let e = 0;
            for (let j = 0; j < C; j++) e += Math.exp(x[o + j] - m);
            s += Math.log(e) + m - x[o + y[r]];
          }
          return s / rows;
        },
        tfjs: (tf, { rows, x, y }) =>
          tfScalar(tf, () =>
            tf.losses.softmaxCrossEntropy(
              tf.oneHot(tf.tensor1d(y, 'int32'), C), tf.tensor2d(x, [rows, C]), undefined, 0, tf.Reduction.MEAN,
            ),
          ),
        tfjsNote: 'tf.losses.softmaxCrossEntropy on tf.oneHot(int32 targets) (one-hot built inside the timing), Reduction.MEAN',
        torch: {
          setup: `rows = max(1, round(n / ${C})); x = U(rows * ${C}, -3, 3).view(rows, ${C}); y = classes(rows, ${C})`,
          call: 'F.cross_entropy(x, y).item()',
          note: 'with int64 targets (what torch requires)',
        },
      });
    }
  }

  if (typeof F.binaryCrossEntropyWithLogits === 'function') {
    entries.push({
      name: 'binaryCrossEntropyWithLogits',
      target: 500,
      make: (n, r) => ({ n, x: r.uniform(n, -4, 4), t: r.bits(n) }),
      lossfn: ({ x, t }) => F.binaryCrossEntropyWithLogits(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const xi = x[i];
          s += Math.max(xi, 0) - xi * t[i] + Math.log1p(Math.exp(-Math.abs(xi)));
        }
        return s / n;
      },
      tfjs: (tf, { x, t }) =>
        tfScalar(tf, () => tf.losses.sigmoidCrossEntropy(tf1(tf, t), tf1(tf, x), undefined, 0, tf.Reduction.MEAN)),
      tfjsNote: 'tf.losses.sigmoidCrossEntropy, Reduction.MEAN: same formula',
      torch: { setup: 'x = U(n, -4, 4); t = bits(n)', call: 'F.binary_cross_entropy_with_logits(x, t).item()' },
    });
  }

  if (typeof F.binaryCrossEntropy === 'function') {
    entries.push({
      name: 'binaryCrossEntropy',
      target: 500,
      make: (n, r) => ({ n, x: r.uniform(n, 0.001, 0.999), t: r.bits(n) }),
      lossfn: ({ x, t }) => F.binaryCrossEntropy(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const p = x[i];
          const y = t[i];
          s -= y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100);
        }
        return s / n;
      },
      tfjs: (tf, { x, t }) =>
        tfScalar(tf, () => tf.losses.logLoss(tf1(tf, t), tf1(tf, x), undefined, 1e-7, tf.Reduction.MEAN)),
      tfjsNote: 'tf.losses.logLoss(epsilon = 1e-7), Reduction.MEAN: log(p + ε) instead of torch\'s log clamped at −100',
      torch: { setup: 'x = U(n, 0.001, 0.999); t = bits(n)', call: 'F.binary_cross_entropy(x, t).item()' },
    });
  }

  if (typeof F.klDiv === 'function') {
    const probe = new Float32Array([-1, -1, -1, -1]);
    const reduction = firstWorking(['batchmean', 'mean'], (red) => {
      F.klDiv(tensor(probe, [2, 2]), tensor(new Float32Array([0.5, 0.5, 0.5, 0.5]), [2, 2]), { reduction: red }).item();
    });
    if (reduction !== null) {
      entries.push({
        name: 'klDiv',
        label: `klDiv (${reduction})`,
        target: 400,
        sizeNote: `(N/${C}, ${C}) log-probabilities vs probabilities`,
        make: (n, r) => {
          const rows = Math.max(1, Math.round(n / C));
          const cols = Math.round(n / rows);
          // input: log-probabilities around log(1/cols); target: probabilities around 1/cols.
          const lc = Math.log(cols);
          return { n: rows * cols, rows, cols, x: r.uniform(rows * cols, -lc - 0.7, -lc + 0.7), t: r.uniform(rows * cols, 0, 2 / cols) };
        },
        lossfn: ({ rows, cols, x, t }) => F.klDiv(tensor(x, [rows, cols]), tensor(t, [rows, cols]), { reduction }).item(),
        naive: ({ n, rows, x, t }) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const ti = t[i];
            if (ti > 0) s += ti * (Math.log(ti) - x[i]);
          }
          return reduction === 'batchmean' ? s / rows : s / n;
        },
        torch: {
          setup: `rows = max(1, round(n / ${C})); cols = round(n / rows); x = U(rows * cols, -math.log(cols) - 0.7, -math.log(cols) + 0.7).view(rows, cols); t = U(rows * cols, 0, 2 / cols).view(rows, cols)`,
          call: `F.kl_div(x, t, reduction='${reduction}').item()`,
        },
      });
    }
  }

  if (typeof F.sigmoidFocalLoss === 'function') {
    // torchvision's defaults (α = 0.25, γ = 2) spelled out, or left to lossfn's defaults.
    const opts = firstWorking([{ alpha: 0.25, gamma: 2, reduction: 'mean' }, { reduction: 'mean' }], (o) => {
      F.sigmoidFocalLoss(tensor(new Float32Array([0.5, -1])), tensor(new Float32Array([1, 0])), o).item();
    }) ?? { alpha: 0.25, gamma: 2, reduction: 'mean' };
    entries.push({
      name: 'sigmoidFocalLoss',
      label: 'sigmoidFocalLoss (α=0.25, γ=2)',
      target: 300,
      make: (n, r) => ({ n, x: r.uniform(n, -4, 4), t: r.bits(n) }),
      lossfn: ({ x, t }) => F.sigmoidFocalLoss(tensor(x), tensor(t), opts).item(),
      naive: ({ n, x, t }) => {
        const alpha = 0.25;
        let s = 0;
        for (let i = 0; i < n; i++) {
          const xi = x[i];
          const y = t[i];
          const p = 1 / (1 + Math.exp(-xi));
          const ce = Math.max(xi, 0) - xi * y + Math.log1p(Math.exp(-Math.abs(xi)));
          const q = 1 - (p * y + (1 - p) * (1 - y));
          s += (alpha * y + (1 - alpha) * (1 - y)) * ce * q * q;
        }
        return s / n;
      },
      torch: {
        setup: 'x = U(n, -4, 4); t = bits(n)',
        call: "sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction='mean').item()",
        note: 'torchvision.ops.sigmoid_focal_loss (or its formula when torchvision is absent)',
      },
    });
  }

  // Further classification losses (no targets in the issue; measured for the table).
  const rowsOf = (n) => Math.max(1, Math.round(n / C));
  /** (rows, C) logits and class indices, as crossEntropy's. */
  const rowInputs = (n, r) => {
    const rows = rowsOf(n);
    return { n: rows * C, rows, x: r.uniform(rows * C, -3, 3), y: r.classes(rows, C) };
  };
  /** Per-row log-softmax of (rows, C) logits, for the naive loops. */
  const logSoftmaxRow = (x, o) => {
    let m = -Infinity;
    for (let j = 0; j < C; j++) if (x[o + j] > m) m = x[o + j];
    let e = 0;
    for (let j = 0; j < C; j++) e += Math.exp(x[o + j] - m);
    return m + Math.log(e);
  };
  const ROWS_TORCH = `rows = max(1, round(n / ${C})); x = U(rows * ${C}, -3, 3).view(rows, ${C}); y = classes(rows, ${C})`;
  entries.push(
    {
      name: 'nllLoss',
      label: `nllLoss (C=${C})`,
      unit: 'logits',
      make: (n, r) => {
        const v = rowInputs(n, r);
        // log-probabilities: shift each row by its log-sum-exp once, outside the timing.
        for (let q = 0; q < v.rows; q++) {
          const l = logSoftmaxRow(v.x, q * C);
          for (let j = 0; j < C; j++) v.x[q * C + j] -= l;
        }
        return v;
      },
      lossfn: ({ rows, x, y }) => F.nllLoss(tensor(x, [rows, C]), tensor(y)).item(),
      naive: ({ rows, x, y }) => {
        let s = 0;
        for (let q = 0; q < rows; q++) s -= x[q * C + y[q]];
        return s / rows;
      },
      torch: { setup: `${ROWS_TORCH}; x = F.log_softmax(x, 1)`, call: 'F.nll_loss(x, y).item()' },
    },
    {
      name: 'softmaxFocalLoss',
      label: `softmaxFocalLoss (C=${C}, γ=2)`,
      unit: 'logits',
      make: rowInputs,
      lossfn: ({ rows, x, y }) => F.softmaxFocalLoss(tensor(x, [rows, C]), tensor(y)).item(),
      naive: ({ rows, x, y }) => {
        let s = 0;
        for (let q = 0; q < rows; q++) {
          const lp = x[q * C + y[q]] - logSoftmaxRow(x, q * C);
          s -= (1 - Math.exp(lp)) ** 2 * lp;
        }
        return s / rows;
      },
      torch: {
        setup: ROWS_TORCH,
        call: '(-(1 - F.log_softmax(x, 1).gather(1, y[:, None]).squeeze(1).exp()) ** 2 * F.log_softmax(x, 1).gather(1, y[:, None]).squeeze(1)).mean().item()',
        note: 'formula with torch ops (no library function)',
      },
    },
    {
      name: 'softMarginLoss',
      make: (n, r) => {
        const t = r.bits(n);
        for (let i = 0; i < n; i++) t[i] = 2 * t[i] - 1;
        return { n, x: r.uniform(n, -4, 4), t };
      },
      lossfn: ({ x, t }) => F.softMarginLoss(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.log1p(Math.exp(-t[i] * x[i]));
        return s / n;
      },
      torch: { setup: 'x = U(n, -4, 4); t = bits(n) * 2 - 1', call: 'F.soft_margin_loss(x, t).item()' },
    },
    {
      name: 'hinge',
      make: (n, r) => {
        const t = r.bits(n);
        for (let i = 0; i < n; i++) t[i] = 2 * t[i] - 1;
        return { n, x: r.uniform(n, -2, 2), t };
      },
      lossfn: ({ x, t }) => F.hinge(tensor(x), tensor(t)).item(),
      naive: ({ n, x, t }) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.max(1 - t[i] * x[i], 0);
        return s / n;
      },
      torch: { setup: 'x = U(n, -2, 2); t = bits(n) * 2 - 1', call: 'torch.clamp(1 - t * x, min=0).mean().item()', note: 'formula with torch ops (Keras loss)' },
    },
    {
      name: 'distillationLoss',
      label: `distillationLoss (C=${C}, T=2)`,
      unit: 'logits',
      make: (n, r) => {
        const v = rowInputs(n, r);
        return { ...v, u: r.uniform(v.n, -3, 3) };
      },
      lossfn: ({ rows, x, u }) => F.distillationLoss(tensor(x, [rows, C]), tensor(u, [rows, C]), { temperature: 2 }).item(),
      naive: ({ rows, x, u }) => {
        const T = 2;
        const xs = new Float64Array(C);
        const us = new Float64Array(C);
        let s = 0;
        for (let q = 0; q < rows; q++) {
          for (let j = 0; j < C; j++) {
            xs[j] = x[q * C + j] / T;
            us[j] = u[q * C + j] / T;
          }
          const lx = logSoftmaxRow(xs, 0);
          const lu = logSoftmaxRow(us, 0);
          for (let j = 0; j < C; j++) {
            const lpt = us[j] - lu;
            s += Math.exp(lpt) * (lpt - (xs[j] - lx));
          }
        }
        return (s * T * T) / rows;
      },
      torch: {
        setup: `${ROWS_TORCH}; u = U(rows * ${C}, -3, 3).view(rows, ${C})`,
        call: "(F.kl_div(F.log_softmax(x / 2, 1), F.softmax(u / 2, 1), reduction='batchmean') * 4).item()",
        note: 'KL(softmax(u/T) ‖ softmax(x/T))·T² with torch ops',
      },
    },
  );

  entries.push(...sequenceEntries({ F, tensor }));
  entries.push(...localizationEntries({ F, tensor }));
  entries.push(...makeRankingEntries({ F, tensor }));
  entries.push(...segmentationEntries({ F, tensor }));
  for (const e of entries) {
    e.label ??= e.name;
    e.unit ??= 'elements';
  }
  return entries;
}
