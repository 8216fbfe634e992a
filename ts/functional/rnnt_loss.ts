import type { KernelExports } from '../wasm/abi.js';
import { defineLoss, opt, type ConfigOf, type LossOptions } from '../table.js';
import { CHUNK_BYTES } from '../elementwise.js';
import { Sum } from '../reduction.js';
import { groups, intTargets, lengthsArg, seqKernel, slots, type Lengths } from '../sequence.js';
import { Tensor, type FloatArray, type FloatDType } from '../tensor.js';
import { checkFloatTensor, checkTensor, shapeStr } from '../validate.js';
import type { Exports } from '../wasm/abi.js';
import { check, floatArray, floatBytes, heapOf, views, wasm } from '../wasm/runtime.js';

type Prepare = KernelExports['lossfn_rnnt_loss_prepare_f32'];
type Lattice = KernelExports['lossfn_rnnt_loss_lattice'];
type RnntBackward = KernelExports['lossfn_rnnt_loss_backward_f32'];

/** Lattice rows per kernel call (a larger sample goes alone). */
const GROUP_ROWS = 1 << 14;

interface RnntProblem {
  x: Tensor<FloatDType>;
  n: number;
  t: number;
  w: number;
  v: number;
  blank: number;
  ll: Int32Array;
  tl: Int32Array;
  ys: Int32Array;
  /** Offset of each sample's lattice rows (T_b·(U_b + 1) each) in the concatenated lattice. */
  off: Float64Array;
}

function rnntOperands(fn: string, logits: unknown, targets: unknown, logitLengths: unknown, targetLengths: unknown, o: ConfigOf<typeof rnntLoss.spec.options>): RnntProblem {
  const x = checkFloatTensor(fn, 'logits', logits);
  // torchaudio's messages (torchaudio/csrc/rnnt/cpu/compute.cpp, 0.13).
  if (x.ndim !== 4) throw new Error(`${fn}: argument 'logits': logits must be 4-D (batch, time, target, class), got shape ${shapeStr(x.shape)}`);
  const [n, t, w, v] = x.shape;
  const tg = checkTensor(fn, 'targets', targets);
  const ys = intTargets(fn, 'targets', tg, 'labels');
  if (tg.ndim !== 2) throw new Error(`${fn}: argument 'targets': targets must be 2-D (batch, max target length), got shape ${shapeStr(tg.shape)}`);
  const llArg = lengthsArg(fn, 'logitLengths', 'logit_lengths', logitLengths);
  const tlArg = lengthsArg(fn, 'targetLengths', 'target_lengths', targetLengths);
  if (llArg.dims !== 1) throw new Error(`${fn}: argument 'logitLengths': logit_lengths must be 1-D`);
  if (tlArg.dims !== 1) throw new Error(`${fn}: argument 'targetLengths': target_lengths must be 1-D`);
  const ll = llArg.values;
  const tl = tlArg.values;
  if (ll.length !== n) throw new Error(`${fn}: argument 'logitLengths': batch dimension mismatch between logits and logit_lengths (${ll.length} vs ${n})`);
  if (tl.length !== n) throw new Error(`${fn}: argument 'targetLengths': batch dimension mismatch between logits and target_lengths (${tl.length} vs ${n})`);
  if (tg.shape[0] !== n) throw new Error(`${fn}: argument 'targets': batch dimension mismatch between logits and targets (${tg.shape[0]} vs ${n})`);
  const blank = o.blank < 0 ? v + o.blank : o.blank;
  if (!(blank >= 0 && blank < v)) {
    throw new RangeError(`${fn}: option 'blank': blank must be within [0, logits.shape[-1]) (got ${o.blank}, logits.shape[-1] = ${v})`);
  }
  if (n > 0) {
    let maxL = 0;
    let maxT = 0;
    for (let b = 0; b < n; b++) {
      if (ll[b] < 1) throw new RangeError(`${fn}: argument 'logitLengths': logit_lengths must be at least 1, but got value ${ll[b]} (sample ${b})`);
      if (tl[b] < 0) throw new RangeError(`${fn}: argument 'targetLengths': target_lengths must be at least 0, but got value ${tl[b]} (sample ${b})`);
      maxT = Math.max(maxT, ll[b]);
      maxL = Math.max(maxL, tl[b]);
    }
    if (t !== maxT) throw new Error(`${fn}: argument 'logits': input length mismatch (logits.shape[1] = ${t}, max(logit_lengths) = ${maxT})`);
    if (w !== maxL + 1) throw new Error(`${fn}: argument 'logits': output length mismatch (logits.shape[2] = ${w}, max(target_lengths) + 1 = ${maxL + 1})`);
    if (tg.shape[1] !== maxL) throw new Error(`${fn}: argument 'targets': target length mismatch (targets.shape[1] = ${tg.shape[1]}, max(target_lengths) = ${maxL})`);
  }
  const s = tg.ndim === 2 ? tg.shape[1] : 0;
  for (let b = 0; b < n; b++) {
    for (let u = 0; u < tl[b]; u++) {
      const y = ys[b * s + u];
      if (!(y >= 0 && y < v) || y === blank) {
        throw new RangeError(
          `${fn}: argument 'targets': target ${y} (sample ${b}, position ${u}) is ${y === blank ? 'the blank' : 'out of range'}: ` +
            `targets must be class indices in [0, ${v}) other than the blank (${blank})`,
        );
      }
    }
  }
  const off = new Float64Array(n + 1);
  for (let b = 0; b < n; b++) off[b + 1] = off[b] + ll[b] * (tl[b] + 1);
  return { x, n, t, w, v, blank, ll, tl, ys, off };
}

/**
 * Visits every lattice row (b, t < T_b, u ≤ U_b) in order, in chunks of at most `per` rows:
 * `body(rows, count, r0)` gets the chunk's rows as offsets (in rows) into the logits and the
 * lattice index of its first row.
 */
function latticeChunks(p: RnntProblem, per: number, body: (rows: Int32Array | Float64Array, count: number, r0: number) => void): void {
  const buf = new Float64Array(per);
  let k = 0;
  let r0 = 0;
  let r = 0;
  for (let b = 0; b < p.n; b++) {
    for (let t = 0; t < p.ll[b]; t++) {
      for (let u = 0; u <= p.tl[b]; u++) {
        buf[k++] = (b * p.t + t) * p.w + u;
        r++;
        if (k === per) {
          body(buf, k, r0);
          r0 = r;
          k = 0;
        }
      }
    }
  }
  if (k > 0) body(buf, k, r0);
}

/** The label of lattice row (b, u): targets[b, u], or −1 at u = U_b. */
function rowLabel(p: RnntProblem, row: number): number {
  const u = row % p.w;
  const b = Math.floor(row / (p.t * p.w));
  return u < p.tl[b] ? p.ys[b * (p.w - 1) + u] : -1;
}

/** Copies runs of consecutive rows (`rows[i + 1] = rows[i] + 1`) of `count` rows with one `set` each. */
function runs(rows: ArrayLike<number>, count: number, body: (i0: number, len: number) => void): void {
  let i0 = 0;
  while (i0 < count) {
    let i1 = i0 + 1;
    while (i1 < count && rows[i1] === rows[i1 - 1] + 1) i1++;
    body(i0, i1 - i0);
    i0 = i1;
  }
}

function stageRows(ex: Exports, p: RnntProblem, rows: ArrayLike<number>, count: number, at: number, yAt: number): void {
  const bytes = floatBytes(p.x.dtype);
  const heap = heapOf(ex, p.x.dtype);
  const i32 = views(ex).i32;
  const xd = p.x.data;
  const v = p.v;
  // A sample's rows (t, u ≤ U_b) are contiguous in the logits: one copy per run.
  runs(rows, count, (i0, len) => heap.set(xd.subarray(rows[i0] * v, (rows[i0] + len) * v), at / bytes + i0 * v));
  for (let i = 0; i < count; i++) i32[yAt / 4 + i] = rowLabel(p, rows[i]);
}

/** The lattice pass over samples: costs, and `[occ, cb, cl]` per row when `coef` is given. */
function lattice(ex: Exports, fn: string, p: RnntProblem, skip: Float64Array, emit: Float64Array, coef: Float64Array | null): Float64Array {
  const costs = new Float64Array(p.n);
  const run = seqKernel<Lattice>(ex, 'rnnt_loss_lattice', null);
  groups(p.n, (b) => p.off[b + 1] - p.off[b], GROUP_ROWS, (b0, b1) => {
    const k = b1 - b0;
    const rows = p.off[b1] - p.off[b0];
    const s = slots(ex, { skip: 8 * rows, emit: 8 * rows, tl: 4 * k, ul: 4 * k, cost: 8 * k, coef: coef ? 24 * rows : 0 });
    const f64 = views(ex).f64;
    f64.set(skip.subarray(p.off[b0], p.off[b1]), s.skip / 8);
    f64.set(emit.subarray(p.off[b0], p.off[b1]), s.emit / 8);
    views(ex).i32.set(p.ll.subarray(b0, b1), s.tl / 4);
    views(ex).i32.set(p.tl.subarray(b0, b1), s.ul / 4);
    check(ex, fn, run(s.skip, s.emit, rows, s.tl, s.ul, k, s.cost, coef ? s.coef : 0));
    const out = views(ex).f64;
    costs.set(out.subarray(s.cost / 8, s.cost / 8 + k), b0);
    if (coef) coef.set(out.subarray(s.coef / 8, s.coef / 8 + 3 * rows), 3 * p.off[b0]);
  });
  return costs;
}

/**
 * The RNN-Transducer loss, as torchaudio 0.13's `torchaudio.functional.rnnt_loss` (Graves,
 * 2012), plus its `fused_log_softmax` switch of later versions.
 *
 * `logits`: joiner output `(N, T, U + 1, V)`; `targets`: `(N, U)` int32/int64 labels (none
 * the blank); `logitLengths`, `targetLengths`: `(N)` int tensors or number arrays, with
 * `max(logitLengths) = T`, `max(targetLengths) = U` (torchaudio's checks) and every logit
 * length ≥ 1.
 *
 * Per sample, `l = −ln Σ_{paths} Π` of the log-softmax probabilities over V (or of the given
 * log-probabilities with `fusedLogSoftmax: false`) along every monotone path of the
 * (T_b, U_b + 1) lattice that emits the target, ending with the blank at (T_b − 1, U_b); α–β
 * recursion in log space, in f64 whatever the dtype. `'none'` → `(N)`, `'sum'`, `'mean'`
 * (default) = the batch mean (not divided by target lengths).
 *
 * Gradient to the logits: `occupancy·softmax − transition posteriors` per lattice row (fused),
 * or `−posterior` at the blank and the label (log-probabilities given); every entry clamped to
 * `[−clamp, clamp]` when `clamp > 0` (before the upstream gradient multiplies, as torchaudio);
 * 0 outside each sample's lattice.
 *
 * Errors use torchaudio's wording ("logits must be 4-D (batch, time, target, class)", "blank
 * must be within [0, logits.shape[-1])", "input length mismatch", …); a target equal to the
 * blank or outside [0, V) and a logit length of 0 are errors too (torchaudio reads them
 * silently). Memory: logits stream through 64 KiB chunks; the lattice costs 40 bytes per row
 * (f64 skip, emit and the three gradient coefficients), 72 in wasm for the largest sample.
 *
 * @example
 * const logits = tensor(joinerOut, [N, T, U + 1, V], { requiresGrad: true });
 * const loss = F.rnntLoss(logits, tensor(labels, [N, U], { dtype: 'int32' }), [T, T], [U, U - 1]);
 * loss.backward();
 */
export const rnntLoss = defineLoss({
  name: 'rnntLoss',
  stem: 'rnnt_loss',
  nn: 'RNNTLoss',
  exports: ["prepare", "backward"],
  family: 'sequence',
  reference: "torchaudio.functional.rnnt_loss (0.13)",
  args: ['logits', 'targets', 'logitLengths', 'targetLengths'],
  options: {
    blank: opt.int32(-1),
    clamp: opt.number(-1),
    reduction: opt.reduction(),
    fusedLogSoftmax: opt.bool(true),
  },
  notes: "logits (N, T, U+1, V); blank \u22121 = the last class; clamp > 0 clamps the gradient; fusedLogSoftmax false takes log-probabilities",
  mean: "N",
  run(fn, [logits, targets, logitLengths, targetLengths]: [Tensor, Tensor, Lengths, Lengths], o) {
    const ex = wasm(fn);
    const p = rnntOperands(fn, logits, targets, logitLengths, targetLengths, o);
    const { x, n, v } = p;
    const dtype = x.dtype;
    const bytes = floatBytes(dtype);
    const fused = o.fusedLogSoftmax ? 1 : 0;
    const total = p.off[n];
    const skip = new Float64Array(total);
    const emit = new Float64Array(total);
    const per = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, v * bytes)));
    if (v > 0) {
      const prep = seqKernel<Prepare>(ex, 'rnnt_loss_prepare', dtype);
      const s = slots(ex, { x: per * v * bytes, y: 4 * per, skip: 8 * per, emit: 8 * per });
      latticeChunks(p, per, (rows, count, r0) => {
        stageRows(ex, p, rows, count, s.x, s.y);
        check(ex, fn, prep(s.x, count, v, p.blank, s.y, fused, s.skip, s.emit));
        const f64 = views(ex).f64;
        skip.set(f64.subarray(s.skip / 8, s.skip / 8 + count), r0);
        emit.set(f64.subarray(s.emit / 8, s.emit / 8 + count), r0);
      });
    }
    const costs = lattice(ex, fn, p, skip, emit, null);
    const { reduction } = o;
    const requiresGrad = x.requiresGrad;
    let result: Tensor;
    if (reduction === 'none') {
      result = new Tensor(new (floatArray(dtype))(costs), [n], dtype, requiresGrad);
    } else {
      const sum = new Sum();
      for (const c of costs) sum.add(c);
      result = new Tensor(new (floatArray(dtype))([reduction === 'mean' ? sum.value() / n : sum.value()]), [], dtype, requiresGrad);
    }
    if (!requiresGrad) return result;
    result.gradFn = {
      name: 'RnntLossBackward',
      inputs: [x],
      backward(up: Tensor): (Tensor | null)[] {
        const ud = up.data as FloatArray;
        const gb = Float64Array.from({ length: n }, (_, b) => (reduction === 'none' ? ud[b] : reduction === 'sum' ? ud[0] : ud[0] / n));
        const ex2 = wasm(fn);
        const coef = new Float64Array(3 * total);
        lattice(ex2, fn, p, skip, emit, coef);
        const gx = new (floatArray(dtype))(x.numel());
        if (v === 0) return [new Tensor(gx, x.shape.slice(), dtype)];
        const bwd = seqKernel<RnntBackward>(ex2, 'rnnt_loss_backward', dtype);
        const s = slots(ex2, { x: per * v * bytes, out: per * v * bytes, y: 4 * per, par: 32 * per });
        const perSample = p.t * p.w;
        latticeChunks(p, per, (rows, count, r0) => {
          stageRows(ex2, p, rows, count, s.x, s.y);
          const f64 = views(ex2).f64;
          for (let i = 0; i < count; i++) {
            const q = 4 * i + s.par / 8;
            const c = 3 * (r0 + i);
            f64[q] = coef[c];
            f64[q + 1] = coef[c + 1];
            f64[q + 2] = coef[c + 2];
            f64[q + 3] = gb[Math.floor(rows[i] / perSample)];
          }
          check(ex2, fn, bwd(s.x, count, v, p.blank, s.y, fused, o.clamp, s.par, s.out));
          const h = heapOf(ex2, dtype);
          runs(rows, count, (i0, len) => gx.set(h.subarray(s.out / bytes + i0 * v, s.out / bytes + (i0 + len) * v), rows[i0] * v));
        });
        return [new Tensor(gx, x.shape.slice(), dtype)];
      },
    };
    return result;
},
});

/** The options of {@link rnntLoss}. */
export type RnntLossOptions = LossOptions<typeof rnntLoss>;
