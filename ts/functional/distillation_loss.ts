import { classLayout, stageRows, unstageRows } from '../classdim.js';
import { parseReduction, Sum } from '../reduction.js';
import { chunkRows, floatArray, floatBytes, heapOf, kernel, rowLossResult } from '../rowloss.js';
import { Tensor } from '../tensor.js';
import { checkFloatTensor, checkOptions, checkSameDType, checkSameShape, numberOption, shapeStr } from '../validate.js';
import { check, wasm } from '../wasm/runtime.js';

/** 'batchmean' (default): Σ / N; 'sum'; 'mean': Σ / numel; 'none': elementwise. */
export type DistillationReduction = 'none' | 'batchmean' | 'sum' | 'mean';

export interface DistillationLossOptions {
  /** Softmax temperature T > 0 (default 1). */
  temperature?: number;
  /** 'batchmean' (default) | 'sum' | 'mean' | 'none'. */
  reduction?: DistillationReduction;
}

export interface DistillationLossConfig {
  temperature: number;
  reduction: DistillationReduction;
}

const REDUCTIONS: readonly DistillationReduction[] = ['none', 'batchmean', 'sum', 'mean'];

/** Validates DistillationLoss options once (used by `F.distillationLoss` and `nn.DistillationLoss`). */
export function distillationLossOptions(options?: DistillationLossOptions, fn = 'distillationLoss'): DistillationLossConfig {
  const o = checkOptions(fn, options, ['temperature', 'reduction']);
  return {
    temperature: numberOption(fn, 'temperature', o.temperature, 1, (t) => t > 0 && Number.isFinite(t), 'must be finite and > 0'),
    reduction: parseReduction(fn, o.reduction, REDUCTIONS, 'batchmean'),
  };
}

type Forward = (s: number, t: number, rows: number, c: number, temp: number, out: number, sum: number) => number;
type Backward = (s: number, t: number, rows: number, c: number, temp: number, g: number, gScale: number, gs: number, gt: number) => number;

/**
 * The knowledge-distillation loss of Hinton et al. (2015): the KL divergence from the
 * teacher's softened distribution to the student's, times T².
 * PyTorch idiom: `F.kl_div(F.log_softmax(student / T, 1), F.softmax(teacher / T, 1),
 * reduction='batchmean') * T * T` (the student is kl_div's input, the teacher its target).
 *
 * `student`, `teacher`: logits of one shape `(N, C)` or `(N, C, d1, …, dk)` (class
 * dimension 1) and one dtype.
 *
 * Per element, with `p = softmax(teacher/T)`, `q = softmax(student/T)` over the class
 * dimension: `e = T²·p·(log p − log q)`. 'batchmean' (default) = Σ e / N (the true KL per
 * sample), 'sum' = Σ e, 'mean' = Σ e / numel (kl_div's 'mean'), 'none' = e, shaped as the
 * input. A teacher probability that underflows to 0 contributes exactly 0.
 *
 * Gradients: to the student, `∂s = T·(q − p)` per sample (times the upstream gradient), and
 * to the teacher when it requires grad (a trainable or co-distilled teacher):
 * `∂t_j = T·p_j·(g_j·(d_j + 1) − Σ_c g_c·p_c·(d_c + 1))`, `d = log p − log q`.
 *
 * Numerics: `x/T` and both log-softmaxes are computed in f64 for both dtypes (max-shifted
 * log-sum-exp, any logit magnitude); the T² factor keeps gradient magnitudes comparable
 * across temperatures.
 *
 * @example
 * const student = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const teacher = tensor([[3, 0, -2], [0, 1, 2]]);
 * const loss = F.distillationLoss(student, teacher, { temperature: 4 });
 * loss.backward(); // student.grad = 4·(q − p) / 2
 */
export function distillationLoss(student: Tensor, teacher: Tensor, options?: DistillationLossOptions): Tensor {
  return distillationLossWith('distillationLoss', student, teacher, distillationLossOptions(options));
}

/** distillationLoss with already-validated options (shared with nn.DistillationLoss). */
export function distillationLossWith(fn: string, student: Tensor, teacher: Tensor, o: DistillationLossConfig): Tensor {
  const ex = wasm(fn);
  const s = checkFloatTensor(fn, 'student', student);
  const t = checkFloatTensor(fn, 'teacher', teacher);
  checkSameDType(fn, ['student', s], ['teacher', t]);
  checkSameShape(fn, ['student', s], ['teacher', t]);
  if (s.ndim < 2) {
    throw new Error(`${fn}: argument 'student' must have a batch and a class dimension (N, C, …), got shape ${shapeStr(s.shape)}`);
  }
  const layout = classLayout(fn, s);
  const { c } = layout;
  const dtype = s.dtype;
  const bytes = floatBytes(dtype);
  const temp = o.temperature;
  const fwd = kernel<Forward>(ex, 'distillation_loss', 'forward', dtype);
  const values = o.reduction === 'none' ? new (floatArray(dtype))(s.numel()) : null;
  const total = new Sum();
  chunkRows(ex, layout.rows, { s: c * bytes, t: c * bytes, out: c * bytes }, { sum: 8 }, (p, r0, count) => {
    stageRows(heapOf(ex, dtype), p.s / bytes, s.data, layout, r0, count);
    stageRows(heapOf(ex, dtype), p.t / bytes, t.data, layout, r0, count);
    check(ex, fn, fwd(p.s, p.t, count, c, temp, values ? p.out : 0, p.sum));
    if (values) unstageRows(heapOf(ex, dtype), p.out / bytes, values, layout, r0, count);
    total.add(heapOf(ex, 'float64')[p.sum / 8]);
  });
  const denominator = { none: 1, sum: 1, batchmean: layout.n, mean: s.numel() }[o.reduction];
  return rowLossResult(dtype, { values, shape: s.shape.slice(), sum: total.value(), denominator }, 'DistillationLossBackward', [s, t], (g, scale) => {
    const ex2 = wasm(fn);
    const bwd = kernel<Backward>(ex2, 'distillation_loss', 'backward', dtype);
    const Ctor = floatArray(dtype);
    const gs = s.requiresGrad ? new Ctor(s.numel()) : null;
    const gt = t.requiresGrad ? new Ctor(t.numel()) : null;
    const slots = { s: c * bytes, t: c * bytes, g: c * bytes, gs: c * bytes, gt: c * bytes };
    chunkRows(ex2, layout.rows, slots, {}, (p, r0, count) => {
      stageRows(heapOf(ex2, dtype), p.s / bytes, s.data, layout, r0, count);
      stageRows(heapOf(ex2, dtype), p.t / bytes, t.data, layout, r0, count);
      if (g) stageRows(heapOf(ex2, dtype), p.g / bytes, g, layout, r0, count);
      check(ex2, fn, bwd(p.s, p.t, count, c, temp, g ? p.g : 0, scale, gs ? p.gs : 0, gt ? p.gt : 0));
      if (gs) unstageRows(heapOf(ex2, dtype), p.gs / bytes, gs, layout, r0, count);
      if (gt) unstageRows(heapOf(ex2, dtype), p.gt / bytes, gt, layout, r0, count);
    });
    return [gs ? new Tensor(gs, s.shape.slice(), dtype) : null, gt ? new Tensor(gt, t.shape.slice(), dtype) : null];
  });
}
