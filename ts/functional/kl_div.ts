import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise } from '../elementwise.js';
import { type Reduction } from '../reduction.js';

/** KLDivLoss's reductions: PyTorch's three plus 'batchmean' (sum / batch size). */
export type KlDivReduction = Reduction | 'batchmean';

const KL_REDUCTIONS: readonly KlDivReduction[] = ['none', 'mean', 'sum', 'batchmean'];

/**
 * Kullback–Leibler divergence, as `torch.nn.functional.kl_div` (`nn.KLDivLoss`), pointwise:
 * `l = t·(log t − x)` (written `xlogy(t, t) − t·x`; t = 0 contributes 0), or with
 * `logTarget`, `l = exp(t)·(t − x)`.
 *
 * `input` holds **log-probabilities** (e.g. from log-softmax), `target` probabilities (or
 * log-probabilities with `logTarget`) of the same shape and dtype — the reverse of the
 * mathematical KL(P‖Q) argument order. Reductions: 'none' (input's shape), 'sum', 'mean'
 * (÷ number of elements: PyTorch's default, which is not the KL divergence), 'batchmean'
 * (÷ `input.shape[0]`, the KL per sample; a plain sum for a 0-d input). The default stays
 * PyTorch 1.x's 'mean' (PyTorch warns about it; lossfn does not).
 *
 * Edge cases as PyTorch: t = 0 with x = −inf is `0·(−inf)` = NaN; a log-target of −inf is
 * NaN too (`exp(−inf)·(−inf − x)`), although the limit is 0. Gradients: input `−t` (`−exp(t)`),
 * target `log t + 1 − x` (NaN at t = 0, as PyTorch: the derivative is undefined there), or
 * `exp(t)·(t − x + 1)` with `logTarget`.
 *
 * @example
 * const logq = tensor([[-1.2, -0.4, -2.3]], undefined, { requiresGrad: true });
 * F.klDiv(logq, tensor([[0.2, 0.7, 0.1]]), { reduction: 'batchmean' }).backward();
 */
export const klDiv = defineLoss({
  name: 'klDiv',
  stem: 'kl_div',
  nn: 'KLDivLoss',
  family: 'classification',
  reference: 'torch.nn.functional.kl_div',
  args: ['input', 'target'],
  options: {
    reduction: opt.reductions(['none', 'mean', 'sum', 'batchmean'], 'mean'),
    logTarget: opt.bool(false),
  },
  notes: 'input log-probabilities; `logTarget`; reductions incl. `\'batchmean\'` (default `\'mean\'`, as PyTorch)',
  mean: "'mean': the number of elements; 'batchmean': input.shape[0]",
  run(fn, [input, target], o) {
    const { reduction, logTarget } = o;
    const [x, t] = checkPair(fn, input, target);
    const params = [logTarget ? 1 : 0, 0, 0] as const;
    if (reduction !== 'batchmean') return elementwise({ fn, stem: 'kl_div', params, input: x, target: t, reduction });
    // 'batchmean' = sum / input.size(0); PyTorch sums a 0-d input as it is.
    if (x.ndim === 0) return elementwise({ fn, stem: 'kl_div', params, input: x, target: t, reduction: 'sum' });
    return elementwise({ fn, stem: 'kl_div', params, input: x, target: t, reduction: 'mean', denominator: x.shape[0] });
  },
});

/** The options of {@link klDiv}. */
export type KlDivOptions = LossOptions<typeof klDiv>;
