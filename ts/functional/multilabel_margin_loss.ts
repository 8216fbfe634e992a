import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkIndexDType, lastDimLayout, marginFrames, rowLoss } from '../rowloss.js';
import { checkFloatTensor, checkTensor, shapeStr } from '../validate.js';

/**
 * The multi-label hinge loss, as `torch.nn.functional.multilabel_margin_loss`
 * (`nn.MultiLabelMarginLoss`).
 *
 * `input`: scores `(N, C)` or `(C)` (one sample; also `()`); `target`: integer tensor (int32 or
 * int64) of the input's shape (a `(C)` input also takes a `()`-or-`(C)` target of C entries)
 * holding each sample's target classes, read left to right up to the first −1 (entries after
 * it are ignored). Every entry must lie in [−1, C), as PyTorch checks.
 *
 * With `T` the set of listed classes: `l = (1/C)·Σ_{j in the list} Σ_{i ∉ T} max(0, 1 − (x_{y_j}
 * − x_i))` per sample; a class listed twice counts twice, as PyTorch; an empty list (leading
 * −1) gives 0. 'none' gives `(N)` (0-d for a target of at most one dimension); 'mean'
 * (default) = Σ l / N (NaN for N = 0); 'sum'. The hinge is active only for `> 0` (no gradient
 * at exactly 0). Gradient per active pair: `−1/C` to `x_{y_j}`, `+1/C` to `x_i`.
 *
 * @example
 * const x = tensor([[0.1, 0.2, 0.4, 0.8]], undefined, { requiresGrad: true });
 * const y = tensor([[3, 0, -1, 1]], undefined, { dtype: 'int64' });
 * const loss = F.multilabelMarginLoss(x, y); // 0.85, as PyTorch's docs
 * loss.backward(); // x.grad = [[-0.5, 0.5, 0.5, -0.5]]
 */
export const multilabelMarginLoss = defineLoss({
  name: 'multilabelMarginLoss',
  stem: 'multilabel_margin_loss',
  nn: 'MultiLabelMarginLoss',
  family: 'classification',
  reference: 'torch.nn.functional.multilabel_margin_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
  },
  notes: 'int targets of the input\'s shape, read up to the first −1',
  mean: 'N (the 1/C is inside each sample)',
  run(fn, [input, target], o) {
    const x = checkFloatTensor(fn, 'input', input);
    const t = checkTensor(fn, 'target', target);
    const { n, c } = marginFrames(fn, x);
    checkIndexDType(fn, t);
    const ok = x.ndim <= 1 ? t.ndim <= 1 && t.numel() === c : t.ndim === 2 && t.shape[0] === n && t.shape[1] === c;
    if (!ok) throw new Error(`${fn}: inconsistent size ${shapeStr(t.shape)} for argument 'target' (input has shape ${shapeStr(x.shape)})`);
    const ts = new Int32Array(n * c);
    for (let i = 0; i < ts.length; i++) {
      const v = Number(t.data[i]);
      // PyTorch checks the whole tensor: "argument #2 'target' is out of range"
      if (!(v >= -1 && v < c)) throw new RangeError(`${fn}: argument 'target' is out of range (got ${v}; entries must be class indices in [0, ${c}) or -1)`);
      ts[i] = v;
    }
    // Each row's target list (C entries, up to its first −1); rows are staged whole (their lists
    // span them). 'mean' divides by N.
    return rowLoss({
      fn, stem: 'multilabel_margin_loss', gradName: 'MultilabelMarginLossBackward', input: x,
      layout: lastDimLayout(n, c, t.ndim <= 1 ? [] : [n]), y: ts, yWidth: c, reduction: o.reduction, streams: false,
    });
  },
});

/** The options of {@link multilabelMarginLoss}. */
export type MultilabelMarginLossOptions = LossOptions<typeof multilabelMarginLoss>;
