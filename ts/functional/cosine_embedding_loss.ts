import { defineLoss, opt, type LossOptions } from '../table.js';
import { checkNoGrad, checkShapeOf, checkTensor, floatOperands, rowsBackward, rowsForward, valuesOf } from '../ranking.js';
import { rowLossResult } from '../rowloss.js';
import { Tensor, type FloatArray } from '../tensor.js';
import { shapeStr } from '../validate.js';
import { kernel, wasm } from '../wasm/runtime.js';
import { hostCopy } from '../wasm_tensor.js';

type Forward = (x1: number, x2: number, y: number, rows: number, dim: number, margin: number, out: number, sum: number) => number;

type Backward = (x1: number, x2: number, y: number, rows: number, dim: number, margin: number, g: number, gScale: number, g1: number, g2: number) => number;

/**
 * The cosine embedding loss, as `torch.nn.functional.cosine_embedding_loss`
 * (`nn.CosineEmbeddingLoss`): for pairs of vectors labelled similar (`y = 1`) or dissimilar
 * (`y = −1`), `l = 1 − cos` or `max(0, cos − margin)`; 0 for any other target value (as ATen).
 *
 * `input1`, `input2`: `(N, D)` with `target` `(N)`, or `(D)` with a 0-d target (a float of
 * the inputs' dtype, or integers). `cos = Σ x1·x2 / √((Σ x1² + 1e-12)·(Σ x2² + 1e-12))`,
 * PyTorch's formula and epsilon (a zero vector gives cos 0). 'none' gives `(N)` (or `()`);
 * 'mean' divides by N.
 *
 * Gradients to both inputs: `∂cos/∂x1 = x2/den − cos·x1/(Σ x1² + 1e-12)` (and symmetrically),
 * times −1 for `y = 1` and 1 for an active `y = −1` (`cos − margin ≥ 0`). The target gets none.
 * Errors as PyTorch: "0D or 1D target tensor expected, multi-target not supported", "1D target
 * tensor expects 2D input tensors, but found inputs with sizes …", "0D target tensor expects
 * 1D input tensors, …".
 *
 * @example
 * F.cosineEmbeddingLoss(tensor([[1, 0], [1, 1]]), tensor([[1, 0], [-1, 1]]), tensor([1, -1])); // (0 + 0) / 2
 */
export const cosineEmbeddingLoss = defineLoss({
  name: 'cosineEmbeddingLoss',
  stem: 'cosine_embedding_loss',
  nn: 'CosineEmbeddingLoss',
  family: 'ranking',
  reference: "torch.nn.functional.cosine_embedding_loss",
  args: ['input1', 'input2', 'target'],
  options: {
    margin: opt.number(0, Number.isFinite, 'must be finite', [Infinity, -Infinity]),
    reduction: opt.reduction(),
  },
  mean: "the number of pairs N",
  notes: "inputs (N, D) or (D), target (N) or () of ±1; gradients to both inputs",
  run(fn, [input1, input2, target], o) {
    const ex = wasm(fn);
    const [x1, x2] = floatOperands(fn, [['input1', input1], ['input2', input2]]);
    const t = checkTensor(fn, 'target', target);
    if (t.ndim > 1) {
      throw new Error(`${fn}: argument 'target': 0D or 1D target tensor expected, multi-target not supported (got shape ${shapeStr(t.shape)})`);
    }
    const want = t.ndim === 1 ? 2 : 1;
    if (x1.ndim !== want || x2.ndim !== want) {
      throw new Error(
        `${fn}: ${t.ndim}D target tensor expects ${want}D input tensors, but found inputs with sizes ` +
          `${shapeStr(x1.shape)} and ${shapeStr(x2.shape)}.`,
      );
    }
    checkShapeOf(fn, ['input1', x1], ['input2', x2]);
    const rows = t.ndim === 1 ? x1.shape[0] : 1;
    if (t.numel() !== rows) {
      throw new Error(`${fn}: argument 'target' has shape ${shapeStr(t.shape)} but the inputs hold ${rows} pairs; it needs one target per pair`);
    }
    checkNoGrad(fn, 'target', t);
    const dtype = x1.dtype;
    const dim = x1.shape[x1.ndim - 1];
    const call = { rows, dim, dtype, mats: [hostCopy(x1, x1.data as FloatArray), hostCopy(x2, x2.data as FloatArray)], perRow: valuesOf(fn, 'target', t, dtype) };
    const fwd = kernel<Forward>(ex, 'cosine_embedding_loss', 'forward', dtype);
    const { values, sum } = rowsForward(ex, fn, call, o.reduction === 'none',
      (p, count, out) => fwd(p.m0, p.m1, p.y, count, dim, o.margin, out, p.sum));
    const red = { values, shape: t.shape.slice(), sum, denominator: o.reduction === 'mean' ? rows : 1 };
    return rowLossResult(dtype, red, 'CosineEmbeddingLossBackward', [x1, x2], (g, scale) => {
      const ex2 = wasm(fn);
      const bwd = kernel<Backward>(ex2, 'cosine_embedding_loss', 'backward', dtype);
      const want2 = [x1.requiresGrad, x2.requiresGrad];
      const [g1, g2] = rowsBackward(ex2, fn, call, g, want2,
        (p, count, gp) => bwd(p.m0, p.m1, p.y, count, dim, o.margin, gp, scale, want2[0] ? p.g0 : 0, want2[1] ? p.g1 : 0));
      return [g1 ? new Tensor(g1, x1.shape.slice(), dtype) : null, g2 ? new Tensor(g2, x2.shape.slice(), dtype) : null];
    });
  },
});

/** The options of {@link cosineEmbeddingLoss}. */
export type CosineEmbeddingLossOptions = LossOptions<typeof cosineEmbeddingLoss>;
