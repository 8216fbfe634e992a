import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkPair, elementwise, NO_PARAMS } from '../elementwise.js';
import { Tensor, type FloatArray, type FloatDType } from '../tensor.js';
import { checkFloatTensor, checkSameDType } from '../validate.js';
import { floatArray } from '../wasm/runtime.js';

/** Row means of an elementwise (…, C) result, as a (…) tensor whose gradient spreads g/C back over each row. */
function perSample(elems: Tensor, rows: number, c: number): Tensor {
  const dtype = elems.dtype as FloatDType;
  const Ctor = floatArray(dtype);
  const e = elems.data as FloatArray;
  const out = new Ctor(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = r * c; k < (r + 1) * c; k++) s += e[k];
    out[r] = s / c;
  }
  const result = new Tensor(out, elems.shape.slice(0, -1), dtype, elems.requiresGrad);
  const inner = elems.gradFn;
  if (inner !== null) {
    result.gradFn = {
      name: 'MultilabelSoftMarginLossBackward',
      inputs: inner.inputs,
      backward(g: Tensor): (Tensor | null)[] {
        const gd = g.data as FloatArray;
        const spread = new Ctor(rows * c);
        for (let r = 0; r < rows; r++) spread.fill(gd[r] / c, r * c, (r + 1) * c);
        return inner.backward(new Tensor(spread, elems.shape.slice(), dtype));
      },
    };
  }
  return result;
}

/**
 * Multi-label one-versus-all logistic loss, as `torch.nn.functional.multilabel_soft_margin_loss`
 * (`nn.MultiLabelSoftMarginLoss`): per sample,
 * `loss = −(1/C)·Σ_c w_c·[t_c·log σ(x_c) + (1 − t_c)·log σ(−x_c)]`.
 *
 * `input` `(N, C)` logits (or `(C)`: one sample; any `(…, C)`: the class dimension is the last,
 * as PyTorch), `target` of the same shape and dtype with 0/1 (or soft) labels, `weight`
 * broadcast against the input. 'none' gives one value per sample — shape `(N)` (0-d for a 1-D
 * input); 'mean' averages the samples (= Σ / (N·C)); 'sum' sums them. An empty batch gives NaN
 * for 'mean' and 0 for 'sum'.
 *
 * Numerics: per element `t·softplus(−x) + (1 − t)·softplus(x)`, stable for logits of any
 * magnitude. Gradients: input `w·(σ(x) − t)/C`, target `−w·x/C` (PyTorch's autograd through its
 * formula). `weight` gets no gradient (an Error if it requires grad; PyTorch would give one).
 *
 * @example
 * F.multilabelSoftMarginLoss(logits, tensor([[1, 0, 1], [0, 0, 1]]), { weight: tensor([1, 2, 1]) });
 */
export const multilabelSoftMarginLoss = defineLoss({
  name: 'multilabelSoftMarginLoss',
  stem: 'multilabel_soft_margin_loss',
  nn: 'MultiLabelSoftMarginLoss',
  family: 'classification',
  reference: 'torch.nn.functional.multilabel_soft_margin_loss',
  args: ['input', 'target'],
  options: {
    weight: opt.tensor(),
    reduction: opt.reduction(),
  },
  notes: '`weight` (C); per-sample mean over C',
  mean: 'N (each sample is already the mean over its C classes)',
  run(fn, [input, target], o) {
    const { weight, reduction } = o;
    const [x, t] = checkPair(fn, input, target);
    if (x.ndim === 0) throw new Error(`${fn}: argument 'input' must have a class dimension (at least 1-D), got a 0-d tensor`);
    let w: Tensor<FloatDType> | undefined;
    if (weight !== null) {
      w = checkFloatTensor(fn, 'weight', weight);
      checkSameDType(fn, ['input', x], ['weight', w]);
      if (w.requiresGrad) throw new Error(`${fn}: option 'weight' does not support requiresGrad (no gradient flows to it)`);
    }
    const c = x.shape[x.ndim - 1];
    const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const call = {
      fn, stem: 'multilabel_soft_margin_loss', params: NO_PARAMS, input: x, target: t,
      weight: w === undefined ? undefined : { name: 'weight', tensor: w },
    };
    // Every sample is already a mean over its C classes, so 'mean' = Σ/(N·C) and 'sum' = Σ/C
    // (no samples: 0, as PyTorch's sum of an empty tensor).
    if (reduction === 'mean') return elementwise({ ...call, reduction: 'mean', denominator: rows * c });
    if (reduction === 'sum') return elementwise({ ...call, reduction: 'mean', denominator: rows === 0 ? 1 : c });
    return perSample(elementwise({ ...call, reduction: 'none' }), rows, c);
  },
});

/** The options of {@link multilabelSoftMarginLoss}. */
export type MultilabelSoftMarginLossOptions = LossOptions<typeof multilabelSoftMarginLoss>;
