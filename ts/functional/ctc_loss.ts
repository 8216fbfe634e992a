import type { KernelExports } from '../wasm/abi.js';
import { defineLoss, opt, type ConfigOf, type LossOptions } from '../table.js';
import { CHUNK_BYTES } from '../elementwise.js';
import { Sum } from '../reduction.js';
import { groups, intTargets, lengthsArg, seqKernel, slots, type Lengths } from '../sequence.js';
import { Tensor, type FloatArray, type FloatDType } from '../tensor.js';
import { checkFloatTensor, checkTensor } from '../validate.js';
import { check, floatArray, floatBytes, heapOf, views, wasm } from '../wasm/runtime.js';

type CtcForward = KernelExports['lossfn_ctc_loss_forward_f32'];
type CtcBackward = KernelExports['lossfn_ctc_loss_backward_f32'];
type CtcDense = KernelExports['lossfn_ctc_loss_dense_f32'];

/** Gathered values per kernel call (a sample larger than this goes alone). */
const GROUP_VALUES = 1 << 16;

/** The checked operands of a CTC call. */
interface CtcProblem {
  x: Tensor<FloatDType>;
  /** Frames, batch, classes. */
  t: number;
  n: number;
  c: number;
  batched: boolean;
  il: Int32Array;
  tl: Int32Array;
  /** Labels of every sample, concatenated (tl[b] each). */
  labels: Int32Array;
  /** Offsets of each sample's labels in `labels`. */
  lOff: Int32Array;
}

const WHERE = '(while checking arguments for ctc_loss_cpu)';

function ctcOperands(fn: string, logProbs: unknown, targets: unknown, inputLengths: unknown, targetLengths: unknown, o: ConfigOf<typeof ctcLoss.spec.options>): CtcProblem {
  const x = checkFloatTensor(fn, 'logProbs', logProbs);
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new Error(
      `${fn}: argument 'logProbs': Expected 3-dimensional tensor (T, N, C) or 2-dimensional (T, C), but got ${x.ndim}-dimensional tensor for argument #1 'log_probs' ${WHERE}`,
    );
  }
  const batched = x.ndim === 3;
  const [t, n, c] = batched ? x.shape : [x.shape[0], 1, x.shape[1]];
  if (!(o.blank >= 0 && o.blank < c)) {
    throw new RangeError(`${fn}: option 'blank': blank must be in label range (got ${o.blank}, classes: ${c})`);
  }
  const tg = checkTensor(fn, 'targets', targets);
  const ys = intTargets(fn, 'targets', tg, 'class indices (labels)');
  if (tg.ndim < 1 || tg.ndim > 2) {
    throw new Error(`${fn}: argument 'targets': Expected 1 to 2 dimensions, but got ${tg.ndim}-dimensional tensor for argument #2 'targets' ${WHERE}`);
  }
  const il = lengthsArg(fn, 'inputLengths', 'input_lengths', inputLengths).values;
  const tl = lengthsArg(fn, 'targetLengths', 'target_lengths', targetLengths).values;
  if (il.length !== n) {
    throw new Error(`${fn}: argument 'inputLengths': input_lengths must be of size batch_size (got ${il.length} lengths, batch size ${n})`);
  }
  if (tl.length !== n) {
    throw new Error(`${fn}: argument 'targetLengths': target_lengths must be of size batch_size (got ${tl.length} lengths, batch size ${n})`);
  }
  for (let b = 0; b < n; b++) {
    if (il[b] < 0) throw new RangeError(`${fn}: argument 'inputLengths': Expected input_lengths to have value at least 0, but got value ${il[b]} ${WHERE}`);
    if (il[b] > t) throw new RangeError(`${fn}: argument 'inputLengths': Expected input_lengths to have value at most ${t}, but got value ${il[b]} ${WHERE}`);
    if (tl[b] < 0) throw new RangeError(`${fn}: argument 'targetLengths': Expected target_lengths to have value at least 0, but got value ${tl[b]} ${WHERE}`);
  }
  // Layout: padded (N, S) or concatenated 1-D (Σ tl), for unbatched input too (as PyTorch).
  const concatenated = tg.ndim === 1;
  const lOff = new Int32Array(n);
  let total = 0;
  for (let b = 0; b < n; b++) total += tl[b];
  let stride = 0;
  if (concatenated) {
    if (tg.shape[0] !== total) {
      throw new Error(`${fn}: argument 'targets': Expected tensor to have size ${total} at dimension 0, but got size ${tg.shape[0]} for argument #2 'targets' ${WHERE}`);
    }
  } else {
    [, stride] = tg.shape;
    const rows = tg.shape[0];
    if (rows !== n) {
      throw new Error(`${fn}: argument 'targets': Expected tensor to have size ${n} at dimension 0, but got size ${rows} for argument #2 'targets' ${WHERE}`);
    }
    let maxLen = 0;
    for (let b = 0; b < n; b++) maxLen = Math.max(maxLen, tl[b]);
    if (stride < maxLen) {
      throw new Error(`${fn}: argument 'targets': Expected tensor to have size at least ${maxLen} at dimension 1, but got size ${stride} for argument #2 'targets' ${WHERE}`);
    }
  }
  const labels = new Int32Array(total);
  let at = 0;
  for (let b = 0; b < n; b++) {
    lOff[b] = at;
    const src = concatenated ? at : b * stride;
    for (let k = 0; k < tl[b]; k++) {
      const y = ys[src + k];
      if (!(y >= 0 && y < c) || y === o.blank) {
        throw new RangeError(
          `${fn}: argument 'targets': target ${y} (sample ${b}, position ${k}) is ${y === o.blank ? 'the blank' : 'out of range'}: ` +
            `targets must be class indices in [0, ${c}) other than the blank (${o.blank})`,
        );
      }
      labels[at + k] = y;
    }
    at += tl[b];
  }
  return { x, t, n, c, batched, il, tl, labels, lOff };
}

/** Each sample's gathered log-probabilities: per frame t < il[b], the blank's then each label's. */
function gather(p: CtcProblem, blank: number): { data: FloatArray; off: Float64Array } {
  const { x, n, c, il, tl, labels, lOff } = p;
  const off = new Float64Array(n + 1);
  for (let b = 0; b < n; b++) off[b + 1] = off[b] + il[b] * (tl[b] + 1);
  const data = new (floatArray(x.dtype))(off[n]);
  const xd = x.data;
  for (let b = 0; b < n; b++) {
    const l = tl[b];
    let o = off[b];
    const lab = labels.subarray(lOff[b], lOff[b] + l);
    for (let t = 0; t < il[b]; t++) {
      const row = (t * n + b) * c;
      data[o++] = xd[row + blank];
      for (let k = 0; k < l; k++) data[o++] = xd[row + lab[k]];
    }
  }
  return { data, off };
}

/** Stages samples `b0 .. b1` (gathered values, labels, lengths) into `p`'s slots. */
function stageGroup(heap: FloatArray, i32: Int32Array, bytes: number, pr: CtcProblem, g: { data: FloatArray; off: Float64Array }, b0: number, b1: number, s: { lp: number; labels: number; tl: number; ll: number }): { lpLen: number; labLen: number } {
  const lpLen = g.off[b1] - g.off[b0];
  heap.set(g.data.subarray(g.off[b0], g.off[b1]), s.lp / bytes);
  const lab0 = pr.lOff[b0];
  const lab1 = b1 < pr.n ? pr.lOff[b1] : pr.labels.length;
  i32.set(pr.labels.subarray(lab0, lab1), s.labels / 4);
  i32.set(pr.il.subarray(b0, b1), s.tl / 4);
  i32.set(pr.tl.subarray(b0, b1), s.ll / 4);
  return { lpLen, labLen: lab1 - lab0 };
}

/** `∂logProbs` for per-sample upstream gradients `gr` (see ctcLoss). */
function ctcBackward(fn: string, pr: CtcProblem, o: ConfigOf<typeof ctcLoss.spec.options>, g: { data: FloatArray; off: Float64Array }, nll: Float64Array, gr: Float64Array): Tensor {
  const ex = wasm(fn);
  const { x, t, n, c, il, tl, labels, lOff } = pr;
  const dtype = x.dtype;
  const bytes = floatBytes(dtype);
  const gx = new (floatArray(dtype))(x.numel());
  // Dense part: rows (t, b) of C, scale = g_b before the input length (NaN for an infeasible
  // sample: PyTorch's −inf + inf), 0 after it and for a zeroed infinite loss.
  const scaleOf = (b: number): number => (nll[b] === Infinity || Number.isNaN(nll[b]) ? (o.zeroInfinity && nll[b] === Infinity ? 0 : NaN) : gr[b]);
  const sampleScale = Float64Array.from({ length: n }, (_, b) => scaleOf(b));
  const rows = t * n;
  if (c > 0 && rows > 0) {
    const dense = seqKernel<CtcDense>(ex, 'ctc_loss_dense', dtype);
    const rowsPer = Math.max(1, Math.floor(CHUNK_BYTES / (c * bytes)));
    const s = slots(ex, { x: rowsPer * c * bytes, out: rowsPer * c * bytes, scale: rowsPer * 8 });
    for (let r0 = 0; r0 < rows; r0 += rowsPer) {
      const k = Math.min(rowsPer, rows - r0);
      const f64 = views(ex).f64;
      let any = false;
      for (let r = 0; r < k; r++) {
        const row = r0 + r;
        const b = row % n;
        const v = Math.floor(row / n) < il[b] ? sampleScale[b] : 0;
        f64[s.scale / 8 + r] = v;
        any ||= v !== 0;
      }
      if (!any) continue;
      heapOf(ex, dtype).set(x.data.subarray(r0 * c, (r0 + k) * c), s.x / bytes);
      check(ex, fn, dense(s.x, k, c, s.scale, s.out));
      gx.set(heapOf(ex, dtype).subarray(s.out / bytes, s.out / bytes + k * c), r0 * c);
    }
  }
  // The target classes' entries: g·(e^lp − posterior), from the α–β recursion.
  const bwd = seqKernel<CtcBackward>(ex, 'ctc_loss_backward', dtype);
  const size = (b: number): number => g.off[b + 1] - g.off[b];
  groups(n, size, GROUP_VALUES, (b0, b1) => {
    const k = b1 - b0;
    const lp = g.off[b1] - g.off[b0];
    if (lp === 0) return;
    const s = slots(ex, {
      lp: lp * bytes, corr: lp * bytes, labels: 4 * (lOff[b1 - 1] + tl[b1 - 1] - lOff[b0]), tl: 4 * k, ll: 4 * k, g: 8 * k,
    });
    const { lpLen, labLen } = stageGroup(heapOf(ex, dtype), views(ex).i32, bytes, pr, g, b0, b1, s);
    views(ex).f64.set(gr.subarray(b0, b1), s.g / 8);
    check(ex, fn, bwd(s.lp, lpLen, s.labels, labLen, s.tl, s.ll, k, s.g, o.zeroInfinity ? 1 : 0, s.corr));
    const corr = heapOf(ex, dtype).subarray(s.corr / bytes, s.corr / bytes + lpLen);
    let at = 0;
    for (let b = b0; b < b1; b++) {
      const l = tl[b];
      const lab = labels.subarray(lOff[b], lOff[b] + l);
      for (let tt = 0; tt < il[b]; tt++) {
        const row = (tt * n + b) * c;
        gx[row + o.blank] = corr[at++];
        for (let q = 0; q < l; q++) gx[row + lab[q]] = corr[at++];
      }
    }
  });
  return new Tensor(gx, x.shape.slice(), dtype);
}

/**
 * The Connectionist Temporal Classification loss, as `torch.nn.functional.ctc_loss`
 * (PyTorch 1.13).
 *
 * `logProbs`: log-probabilities `(T, N, C)` or unbatched `(T, C)` (e.g. a log-softmax over
 * C), used as they are (not re-normalised). `targets`: int32/int64 labels, padded `(N, S)`
 * (`(1, S)` for unbatched input) or concatenated 1-D `(Σ targetLengths)` (for unbatched input
 * too, as PyTorch); none may be the blank. `inputLengths`, `targetLengths`: `(N)` int tensors or number arrays (a number, a 0-d
 * or a 1-element tensor for unbatched input), `0 ≤ inputLengths ≤ T`.
 *
 * Per sample, `l = −ln Σ_{alignments π of the target} Π_t e^(logProbs[t, π_t])` (Graves'
 * α–β recursion over the blank-augmented target, in log space, in f64 whatever the dtype);
 * repeated labels need a blank between them, so a target that does not fit its input length
 * gives `+Infinity` (0 with `zeroInfinity`); an input length of 0 gives 0 for an empty target
 * and `+Infinity` otherwise. `'none'` → `(N)` (unbatched: `()`), `'sum'` → Σ l, `'mean'`
 * (default) → `mean_b(l_b / max(targetLengths[b], 1))`.
 *
 * Gradient to `logProbs`, as PyTorch's: `g·(e^lp − posterior)` — the gradient with respect to
 * the logits behind a log-softmax, not the literal derivative with respect to the
 * log-probabilities (`−posterior`); backpropagated through a log-softmax both give the same
 * logit gradient. Frames at or past a sample's input length get 0; an infeasible sample's
 * frames get NaN (PyTorch's), or 0 with `zeroInfinity`.
 *
 * Errors use PyTorch's wording ("blank must be in label range", "input_lengths must be of size
 * batch_size", "Expected input_lengths to have value at most 5, but got value 6 …",
 * "Expected tensor to have size at least 3 at dimension 1, but got size 2 for argument #2
 * 'targets' …"); a target equal to the blank or outside [0, C) is an error too (PyTorch 1.13
 * reads it silently).
 *
 * Memory: the recursion reads only the blank's and the target labels' log-probabilities, so
 * wasm memory is O(T·S) per sample whatever C (≈ 8·T·(3S + 2) + 16·T·(S + 1) bytes for the
 * largest sample, plus a 64 KiB chunk per operand for the gradient's dense part).
 *
 * @example
 * const lp = tensor(logSoftmaxOutput, [T, N, C], { requiresGrad: true });
 * const loss = F.ctcLoss(lp, tensor([[1, 2, 2], [3, 1, 0]], undefined, { dtype: 'int32' }), [T, T], [3, 2]);
 * loss.backward(); // lp.grad = (e^lp − posterior) / (N·target length)
 */
export const ctcLoss = defineLoss({
  name: 'ctcLoss',
  stem: 'ctc_loss',
  nn: 'CTCLoss',
  exports: ["forward", "backward", "dense"],
  family: 'sequence',
  reference: "torch.nn.functional.ctc_loss",
  args: ['logProbs', 'targets', 'inputLengths', 'targetLengths'],
  options: {
    blank: opt.int32(0),
    reduction: opt.reduction(),
    zeroInfinity: opt.bool(false),
  },
  notes: "log-probabilities (T, N, C) or (T, C); padded (N, S) or concatenated targets; gradient e^lp \u2212 posterior (PyTorch\u2019s: the logits\u2019 gradient behind a log_softmax)",
  mean: "each loss divided by its target length (clamped to \u2265 1), then N",
  run(fn, [logProbs, targets, inputLengths, targetLengths]: [Tensor, Tensor, Lengths, Lengths], o) {
    const ex = wasm(fn);
    const pr = ctcOperands(fn, logProbs, targets, inputLengths, targetLengths, o);
    const { x, n, tl } = pr;
    const dtype = x.dtype;
    const bytes = floatBytes(dtype);
    const g = gather(pr, o.blank);
    const size = (b: number): number => g.off[b + 1] - g.off[b];
    const nll = new Float64Array(n);
    const fwd = seqKernel<CtcForward>(ex, 'ctc_loss_forward', dtype);
    groups(n, size, GROUP_VALUES, (b0, b1) => {
      const k = b1 - b0;
      const lp = g.off[b1] - g.off[b0];
      const s = slots(ex, { lp: lp * bytes, labels: 4 * (pr.lOff[b1 - 1] + tl[b1 - 1] - pr.lOff[b0]), tl: 4 * k, ll: 4 * k, nll: 8 * k });
      const { lpLen, labLen } = stageGroup(heapOf(ex, dtype), views(ex).i32, bytes, pr, g, b0, b1, s);
      check(ex, fn, fwd(s.lp, lpLen, s.labels, labLen, s.tl, s.ll, k, s.nll));
      nll.set(views(ex).f64.subarray(s.nll / 8, s.nll / 8 + k), b0);
    });
    const losses = nll.map((v) => (o.zeroInfinity && v === Infinity ? 0 : v));
    const { reduction } = o;
    let result: Tensor;
    const requiresGrad = x.requiresGrad;
    if (reduction === 'none') {
      result = new Tensor(new (floatArray(dtype))(losses), pr.batched ? [n] : [], dtype, requiresGrad);
    } else {
      const sum = new Sum();
      for (let b = 0; b < n; b++) sum.add(reduction === 'mean' ? losses[b] / Math.max(tl[b], 1) : losses[b]);
      const v = reduction === 'mean' ? sum.value() / n : sum.value();
      result = new Tensor(new (floatArray(dtype))([v]), [], dtype, requiresGrad);
    }
    if (!requiresGrad) return result;
    result.gradFn = {
      name: 'CtcLossBackward',
      inputs: [x],
      backward(up: Tensor): (Tensor | null)[] {
        const ud = up.data as FloatArray;
        const gr = new Float64Array(n);
        for (let b = 0; b < n; b++) {
          if (reduction === 'none') gr[b] = ud[b];
          else if (reduction === 'sum') gr[b] = ud[0];
          else gr[b] = ud[0] / n / Math.max(tl[b], 1);
        }
        return [ctcBackward(fn, pr, o, g, nll, gr)];
      },
    };
    return result;
},
});

/** The options of {@link ctcLoss}. */
export type CtcLossOptions = LossOptions<typeof ctcLoss>;
