import { defineLoss, opt, type LossOptions } from '../table.js';
import { classLayout, classWeight, indexTargets } from '../classdim.js';
import { rowLoss } from '../rowloss.js';
import { isFloatDType, type FloatDType, type Tensor } from '../tensor.js';
import { checkFloatTensor, checkSameDType, checkTensor, sameShape } from '../validate.js';

/**
 * Cross entropy between logits and targets, as `torch.nn.functional.cross_entropy`.
 *
 * `input`: unnormalised logits `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1).
 * `target`: class indices (int32 or int64) of shape `()`, `(N)` or `(N, d1, …, dk)`, or class
 * probabilities with the input's shape and dtype.
 *
 * Index targets: `l = −w_y·log softmax(x)_y`; with label smoothing ε,
 * `l = (1−ε)·w_y·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c)`; targets equal to `ignoreIndex`
 * contribute 0; 'mean' divides by Σ w_y over the non-ignored targets (NaN when all are
 * ignored or the batch is empty, as PyTorch). Probability targets: `l = −Σ_c w_c·q'_c·log p_c`
 * with `q' = (1−ε)·q + ε/C`; 'mean' divides by the number of positions N·d1⋯dk.
 *
 * Stable for logits of any magnitude (log-sum-exp with the max shift). Gradients to the input,
 * and to probability targets that require grad.
 *
 * @example
 * const logits = tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
 * const loss = F.crossEntropy(logits, tensor([0, 2], undefined, { dtype: 'int64' }), { labelSmoothing: 0.1 });
 * loss.backward(); // logits.grad = (softmax − smoothed one-hot) / 2
 */
export const crossEntropy = defineLoss({
  name: 'crossEntropy',
  stem: 'cross_entropy',
  nn: 'CrossEntropyLoss',
  family: 'classification',
  reference: 'torch.nn.functional.cross_entropy',
  args: ['input', 'target'],
  options: {
    weight: opt.tensor(),
    ignoreIndex: opt.int32(-100),
    reduction: opt.reduction(),
    // PyTorch: "label_smoothing must be between 0.0 and 1.0. Got: …"
    labelSmoothing: opt.number(0, (e) => e >= 0 && e <= 1, 'must be between 0.0 and 1.0', [-0.1, 1.5]),
  },
  notes: 'logits `(C)`, `(N,C)`, `(N,C,d1..dk)`; index targets (int32/int64) or probabilities; `weight`, `ignoreIndex`, `labelSmoothing`',
  mean: 'Σ w_y over the non-ignored targets (index targets); the number of positions N·d1⋯dk (probability targets)',
  run(fn, [input, target], o) {
    const x = checkFloatTensor(fn, 'input', input);
    const t = checkTensor(fn, 'target', target);
    const layout = classLayout(fn, x);
    const w = classWeight(fn, o.weight, x, layout.c);
    let indices: Int32Array | null = null;
    let probs: Tensor<FloatDType> | null = null;
    if (isFloatDType(t.dtype)) {
      // Floating targets are class probabilities, of the input's shape (indexTargets says so).
      if (!sameShape(t.shape, x.shape)) indexTargets(fn, t, x, layout.c, o.ignoreIndex);
      checkSameDType(fn, ['input', x], ['target', t]);
      // PyTorch: "ignore_index is not supported for floating point target"
      if (o.ignoreIndex >= 0) throw new Error(`${fn}: option 'ignoreIndex' is not supported for floating point target (class probabilities)`);
      probs = t as Tensor<FloatDType>;
    } else {
      if (sameShape(t.shape, x.shape)) {
        // PyTorch: "Expected floating point type for target with class probabilities, got Long"
        throw new TypeError(`${fn}: Expected floating point type for target with class probabilities, got ${t.dtype}`);
      }
      indices = indexTargets(fn, t, x, layout.c, o.ignoreIndex);
    }
    if (t.requiresGrad && indices) throw new Error(`${fn}: class-index targets cannot require grad`);

    // p0 = label smoothing, p1 = probability targets (crates/wasm/src/rows.rs).
    return rowLoss({
      fn, stem: 'cross_entropy', gradName: 'CrossEntropyLossBackward', input: x, layout, target: probs, y: indices, weight: w,
      ignoreIndex: indices ? o.ignoreIndex : null, params: [o.labelSmoothing, probs ? 1 : 0], reduction: o.reduction,
    });
  },
});

/** The options of {@link crossEntropy}. */
export type CrossEntropyOptions = LossOptions<typeof crossEntropy>;
