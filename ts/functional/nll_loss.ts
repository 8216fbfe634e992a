import { defineLoss, opt, type LossOptions } from '../table.js';
import { indexRowOperands, rowLoss } from '../rowloss.js';
import { Tensor, type FloatDType } from '../tensor.js';
import type { ClassLayout } from '../classdim.js';

/** Offset in the input (laid out (N, C, S)) of row `row`'s class `y`. */
function rowClassOffset(l: ClassLayout, row: number, y: number): number {
  return l.s === 1 ? row * l.c + y : Math.floor(row / l.s) * l.c * l.s + (row % l.s) + y * l.s;
}

/**
 * The negative log-likelihood loss, as `torch.nn.functional.nll_loss` (`nn.NLLLoss`, and
 * `nn.NLLLoss2d`, the same loss on (N, C, H, W)).
 *
 * `input`: log-probabilities `(C)`, `(N, C)` or `(N, C, d1, …, dk)` (class dimension 1), e.g.
 * the output of a log-softmax. `target`: class indices (int32 or int64) of shape `()`, `(N)`
 * or `(N, d1, …, dk)`, each in [0, C) or equal to `ignoreIndex`.
 *
 * `l = −w_y·x_y` per position (`w` = `weight`, ones by default), 0 where the target is
 * `ignoreIndex` (default −100). 'none' has the target's shape; 'sum' = Σ l; 'mean' (default)
 * = Σ l / Σ w_y over the non-ignored positions — NaN when every target is ignored or the batch
 * is empty, as PyTorch. Gradient `∂x = −w_y` at the target class (times the upstream gradient
 * and the 'mean' factor), 0 elsewhere and at ignored positions.
 *
 * Errors use PyTorch's wording: "Target 7 is out of bounds.", "Expected input batch_size (A)
 * to match target batch_size (B).", "weight tensor should be defined either for all C classes
 * or no classes …", "0D or 1D target tensor expected, multi-target not supported".
 *
 * Numerics: each term is one product (exact in f64, rounded once); the sums are compensated.
 *
 * @example
 * const logp = tensor([[-0.2, -1.8, -3.0], [-2.5, -0.1, -4.0]], undefined, { requiresGrad: true });
 * const loss = F.nllLoss(logp, tensor([0, 1], undefined, { dtype: 'int64' })); // (0.2 + 0.1) / 2
 * loss.backward(); // logp.grad = [[-0.5, 0, 0], [0, -0.5, 0]]
 */
export const nllLoss = defineLoss({
  name: 'nllLoss',
  stem: 'nll_loss',
  nn: 'NLLLoss',
  aliases: ['NLLLoss2d'],
  family: 'classification',
  reference: 'torch.nn.functional.nll_loss',
  args: ['input', 'target'],
  options: {
    weight: opt.tensor(),
    ignoreIndex: opt.int32(-100),
    reduction: opt.reduction(),
  },
  notes: 'log-probabilities, shapes as `crossEntropy`; `weight`, `ignoreIndex`',
  mean: 'Σ w_y over the non-ignored targets',
  run(fn, [input, target], o) {
    const { x, layout, w, ys } = indexRowOperands(fn, input, target, o);
    // The loss reads one value per row: only `x[r, y_r]` goes to the kernel (rows one wide), and
    // only the gradient's non-zero entries come back, scattered into a zeroed ∂x: O(rows), not
    // O(rows·C) (crates/kernels/src/loss/nll_loss.rs).
    const picked = new (x.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(layout.rows);
    for (let r = 0; r < layout.rows; r++) {
      const y = ys[r];
      if (y !== o.ignoreIndex) picked[r] = x.data[rowClassOffset(layout, r, y)];
    }
    const rows: ClassLayout = { n: layout.rows, c: 1, s: 1, rows: layout.rows, rowShape: layout.rowShape };
    return rowLoss({
      fn, stem: 'nll_loss', gradName: 'NllLossBackward', input: new Tensor(picked, [layout.rows, 1], x.dtype) as Tensor<FloatDType>,
      layout: rows, y: ys, weight: w, classes: layout.c, ignoreIndex: o.ignoreIndex, reduction: o.reduction, inputs: [x],
      gradOf: (gp) => {
        const gx = new (x.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(x.numel());
        for (let r = 0; r < layout.rows; r++) {
          const y = ys[r];
          if (y !== o.ignoreIndex) gx[rowClassOffset(layout, r, y)] = (gp as Float32Array)[r];
        }
        return [new Tensor(gx, x.shape.slice(), x.dtype)];
      },
    });
  },
});

/** The options of {@link nllLoss}. */
export type NllLossOptions = LossOptions<typeof nllLoss>;
