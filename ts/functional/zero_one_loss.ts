import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkIndexDType, floatArray, lastDimLayout, rowLoss } from '../rowloss.js';
import { Tensor, isFloatDType, type FloatDType } from '../tensor.js';
import { checkTensor, shapeStr } from '../validate.js';

/** What `backward` says about a 0-1 loss (Tensor.backward calls this node even without requiresGrad). */
const NOT_DIFFERENTIABLE =
  'zeroOneLoss is not differentiable: the 0-1 loss is piecewise constant in the scores (its gradient is 0 almost ' +
  'everywhere and undefined at ties); train with a surrogate such as crossEntropy or multiMarginLoss';

/** 0/1 per row: the argmax (first maximum) of the scores against the target, in wasm. */
function scoreErrors(fn: string, x: Tensor<FloatDType>, t: Tensor): Uint8Array {
  const [n, c] = x.shape;
  if (c === 0 && n > 0) throw new Error(`${fn}: argument 'input' has no classes (shape ${shapeStr(x.shape)}): the argmax is undefined`);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = Number(t.data[i]);
    // PyTorch's wording for class indices: "Target 7 is out of bounds."
    if (!(y >= 0 && y < c)) throw new RangeError(`${fn}: argument 'target': Target ${y} is out of bounds (classes: ${c}).`);
    ys[i] = y;
  }
  // 'none' gives each row's 0/1, the misses.
  const wrong = rowLoss({
    fn, stem: 'zero_one_loss', gradName: 'ZeroOneLossBackward', input: x, layout: lastDimLayout(n, c, [n]), y: ys, reduction: 'none',
    noGrad: NOT_DIFFERENTIABLE,
  }).data;
  return Uint8Array.from(wrong as Float32Array);
}

function labelErrors(x: Tensor, t: Tensor): Uint8Array {
  const wrong = new Uint8Array(x.numel());
  for (let i = 0; i < wrong.length; i++) wrong[i] = Number(x.data[i]) === Number(t.data[i]) ? 0 : 1;
  return wrong;
}

/**
 * The 0-1 classification loss, as `sklearn.metrics.zero_one_loss`, with PyTorch's reduction
 * names (`nn.ZeroOneLoss` is lossfn's).
 *
 * `input`: scores `(N, C)` (float; the prediction is the argmax over C, the **first**
 * maximum on ties, as `numpy.argmax` — and a NaN score counts as the maximum, as numpy), or
 * predicted labels `(N)` (int32 or int64). `target`: class indices `(N)` (int32 or int64); with
 * scores they must lie in [0, C).
 *
 * `l_n = [prediction_n ≠ target_n]`. 'mean' (default) = the error rate (sklearn's
 * `normalize=True`; NaN for N = 0), 'sum' = the number of errors (`normalize=False`), 'none' =
 * 0/1 per sample. The result has the scores' dtype, or float32 for label input (PyTorch's
 * default dtype; sklearn returns a float64), unless option `dtype` says otherwise.
 *
 * Not differentiable: the result carries an autograd node whose `backward` throws
 * "zeroOneLoss is not differentiable" (`requiresGrad` is set only when the scores require
 * grad), so a training loop that calls `backward` on it fails loudly instead of silently.
 *
 * @example
 * const scores = tensor([[0.1, 2, 0.3], [1, 1, 0], [0, 0, 5]]);
 * F.zeroOneLoss(scores, tensor([1, 1, 2], undefined, { dtype: 'int64' })); // 1/3 (row 1 predicts 0)
 */
export const zeroOneLoss = defineLoss({
  name: 'zeroOneLoss',
  stem: 'zero_one_loss',
  nn: 'ZeroOneLoss',
  family: 'classification',
  reference: 'sklearn.metrics.zero_one_loss',
  args: ['input', 'target'],
  options: {
    reduction: opt.reduction(),
    // The result's dtype for predicted labels (default: the scores' dtype, or float32).
    dtype: opt.choice(['float32', 'float64'], null as unknown as 'float32'),
  },
  notes: 'scores (N,C) (argmax, first maximum wins) or labels (N); `\'mean\'` error rate, `\'sum\'` count; `dtype` of the result for label input (float32); `backward` throws "zeroOneLoss is not differentiable"',
  mean: 'N',
  run(fn, [input, target], o) {
    const x = checkTensor(fn, 'input', input);
    const t = checkTensor(fn, 'target', target);
    checkIndexDType(fn, t);
    if (t.ndim !== 1) throw new Error(`${fn}: argument 'target' must be 1-D class indices (N), got shape ${shapeStr(t.shape)}`);
    const scores = isFloatDType(x.dtype);
    if (scores ? x.ndim !== 2 : x.ndim !== 1) {
      throw new Error(
        `${fn}: argument 'input' must be scores (N, C) of a float dtype or predicted labels (N) of an int dtype, ` +
          `got ${x.dtype} of shape ${shapeStr(x.shape)}`,
      );
    }
    const n = x.shape[0];
    if (t.shape[0] !== n) throw new Error(`${fn}: Expected input batch_size (${n}) to match target batch_size (${t.shape[0]}).`);
    const dtype: FloatDType = o.dtype ?? (scores ? (x.dtype as FloatDType) : 'float32');
    const wrong = scores ? scoreErrors(fn, x as Tensor<FloatDType>, t) : labelErrors(x, t);
    let count = 0;
    for (const v of wrong) count += v;
    const Ctor = floatArray(dtype);
    const result =
      o.reduction === 'none'
        ? new Tensor(Ctor.from(wrong), [n], dtype, x.requiresGrad)
        : new Tensor(new Ctor([o.reduction === 'sum' ? count : count / n]), [], dtype, x.requiresGrad);
    result.gradFn = {
      name: 'ZeroOneLossBackward',
      inputs: scores ? [x] : [],
      backward(): never {
        throw new Error(NOT_DIFFERENTIABLE);
      },
    };
    return result;
  },
});

/** The options of {@link zeroOneLoss}. */
export type ZeroOneLossOptions = LossOptions<typeof zeroOneLoss>;
