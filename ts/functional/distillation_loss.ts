import { defineLoss, opt, type LossOptions } from '../table.js';
import { classLayout } from '../classdim.js';
import { rowLoss } from '../rowloss.js';
import { checkFloatTensor, checkSameDType, checkSameShape, shapeStr } from '../validate.js';

/** 'batchmean' (default): Σ / N; 'sum'; 'mean': Σ / numel; 'none': elementwise. */
export type DistillationReduction = 'none' | 'batchmean' | 'sum' | 'mean';

const REDUCTIONS: readonly DistillationReduction[] = ['none', 'batchmean', 'sum', 'mean'];

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
export const distillationLoss = defineLoss({
  name: 'distillationLoss',
  stem: 'distillation_loss',
  nn: 'DistillationLoss',
  family: 'classification',
  reference: 'Hinton et al. 2015: kl_div(log_softmax(s/T), softmax(t/T))·T²',
  args: ['student', 'teacher'],
  options: {
    temperature: opt.number(1, (t) => t > 0 && Number.isFinite(t), 'must be finite and > 0', [0, -1, Infinity]),
    reduction: opt.reductions(['none', 'batchmean', 'sum', 'mean'], 'batchmean'),
  },
  notes: 'KL(softmax(teacher/T) ‖ softmax(student/T))·T²; `temperature` (1), default reduction `\'batchmean\'`; gradients to student and teacher',
  mean: "'batchmean': N; 'mean': the number of elements",
  run(fn, [student, teacher], o) {
    const s = checkFloatTensor(fn, 'student', student);
    const t = checkFloatTensor(fn, 'teacher', teacher);
    checkSameDType(fn, ['student', s], ['teacher', t]);
    checkSameShape(fn, ['student', s], ['teacher', t]);
    if (s.ndim < 2) {
      throw new Error(`${fn}: argument 'student' must have a batch and a class dimension (N, C, …), got shape ${shapeStr(s.shape)}`);
    }
    const layout = classLayout(fn, s);
    // Student rows are the kernel's input, teacher rows its float operand; one output (and one
    // upstream value) per element. p0 = T.
    const denominator = { none: 1, sum: 1, batchmean: layout.n, mean: s.numel() }[o.reduction];
    return rowLoss({
      fn, stem: 'distillation_loss', gradName: 'DistillationLossBackward', input: s, layout, target: t,
      params: [o.temperature], reduction: o.reduction, denominator, perElement: true,
    });
  },
});

/** The options of {@link distillationLoss}. */
export type DistillationLossOptions = LossOptions<typeof distillationLoss>;
