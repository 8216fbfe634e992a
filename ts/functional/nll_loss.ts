import { defineLoss, opt, type LossOptions } from '../table.js';
import { indexRowChecks } from '../rowloss.js';
import { checkIndexTargets, indexTargetValues, targetOutOfBounds } from '../classdim.js';
import { elementwise, NO_PARAMS } from '../elementwise.js';
import { reduceSum, Sum } from '../reduction.js';
import { scalarTensor, Tensor, type FloatArray } from '../tensor.js';
import { hostCopy } from '../wasm_tensor.js';
import type { ClassLayout } from '../classdim.js';

/** Offset in the input (laid out (N, C, S)) of row `row`'s class `y`. */
function rowClassOffset(l: ClassLayout, row: number, y: number): number {
  return l.s === 1 ? row * l.c + y : Math.floor(row / l.s) * l.c * l.s + (row % l.s) + y * l.s;
}

/**
 * {@link pickRows}' sums on (N, C) without weights, the common case: Sum's Neumaier step on
 * locals, in a function of its own (nllLoss (1000, 1000) measured 3.0–3.4 µs a call with this loop in
 * the general one, 2.2–2.4 µs here).
 */
function pickedSum2d(
  fn: string, xd: FloatArray, ys: ArrayLike<number>, c: number, rows: number, ignore: number, unchecked: boolean,
): [number, number] {
  let s = 0;
  let comp = 0;
  let count = 0;
  for (let r = 0, at = 0; r < rows; r++, at += c) {
    const y = ys[r];
    if (y === ignore) continue;
    if (unchecked && !(y >= 0 && y < c)) throw targetOutOfBounds(fn, y, c, ignore);
    const v = -xd[at + y];
    const t = s + v;
    if (Math.abs(s) >= Math.abs(v)) comp += s - t + v;
    else comp += v - t + s;
    s = t;
    count++;
  }
  return [Number.isFinite(s) ? s + comp : s, count];
}

/**
 * One pass over the rows' `x[r, y_r]`: returns `[Σ −w_y·x[r, y_r], Σ w_y]` over the non-ignored
 * rows, both compensated sums (the weights' as stored, in the input's precision), targets
 * range-checked when `unchecked`. Each term is the kernel's (crates/kernels/src/loss/nll_loss.rs):
 * −x exactly, or w·x rounded once to the input's precision. With `into`, it also gathers each
 * row's `x[r, y_r]` and `w_y` into those zeroed arrays (both stay 0 for an ignored row) for
 * the elementwise kernel. A reduced call without a graph needs only the sums: staging the
 * gathered values for the kernel cost more than the kernel's work (nllLoss (1000, 1000): 4.1 µs
 * a call that way).
 */
function pickRows(
  fn: string, xd: FloatArray, ys: ArrayLike<number>, layout: ClassLayout, wd: FloatArray | null,
  ignore: number, unchecked: boolean, into: { picked: FloatArray; wy: FloatArray } | null = null,
): [number, number] {
  const c = layout.c;
  if (into === null && wd === null && layout.s === 1) return pickedSum2d(fn, xd, ys, c, layout.rows, ignore, unchecked);
  const round = xd instanceof Float32Array ? Math.fround : (v: number): number => v;
  const sum = new Sum();
  const den = new Sum();
  let count = 0;
  for (let r = 0; r < layout.rows; r++) {
    const y = ys[r];
    if (y === ignore) continue;
    if (unchecked && !(y >= 0 && y < c)) throw targetOutOfBounds(fn, y, c, ignore);
    const x = xd[rowClassOffset(layout, r, y)];
    const w = wd === null ? 1 : wd[y];
    if (into !== null) {
      into.picked[r] = x;
      into.wy[r] = w;
    }
    if (wd === null) {
      sum.add(-x);
      count++;
    } else {
      sum.add(-round(w * x));
      den.add(w);
    }
  }
  return [sum.value(), wd === null ? count : den.value()];
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
    const { x, t, layout, w } = indexRowChecks(fn, input, target, o);
    checkIndexTargets(fn, t, x);
    // int32 targets are range-checked in the gathering loop (one pass; still before the kernel),
    // int64 ones when converted.
    const src = t.data;
    const ys = src instanceof Int32Array ? hostCopy(t, src) : indexTargetValues(fn, t, layout.c, o.ignoreIndex);
    const unchecked = src instanceof Int32Array;
    // The loss reads one value per row. Without a graph, a reduced result is summed in the
    // pass that reads them (pickRows). Otherwise the TS layer gathers `x[r, y_r]` and the
    // row's weight `w_y` (both 0 for an ignored row), the kernel is elementwise over the rows,
    // and only the gradient's non-zero entries come back, scattered into a zeroed ∂x: O(rows),
    // not O(rows·C) (crates/kernels/src/loss/nll_loss.rs).
    const rows = layout.rows;
    const Ctor = x.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor;
    const wd = w === null ? null : w.data;
    if (!x.requiresGrad && o.reduction !== 'none') {
      const [sum, den] = pickRows(fn, x.data, ys, layout, wd, o.ignoreIndex, unchecked);
      return scalarTensor(reduceSum(o.reduction, sum, den), x.dtype);
    }
    const picked = new Ctor(rows);
    const wy = new Ctor(rows);
    const [, den] = pickRows(fn, x.data, ys, layout, wd, o.ignoreIndex, unchecked, { picked, wy });
    const inner = elementwise({
      fn, stem: 'nll_loss', params: NO_PARAMS, reduction: o.reduction, denominator: den,
      input: new Tensor(picked, [rows], x.dtype, x.requiresGrad), target: new Tensor(wy, [rows], x.dtype),
    });
    const shape = o.reduction === 'none' ? layout.rowShape : [];
    const result = new Tensor(inner.data as FloatArray, shape, x.dtype, inner.requiresGrad);
    const node = inner.gradFn;
    if (node !== null) {
      result.gradFn = {
        name: 'NllLossBackward',
        inputs: [x],
        backward(g: Tensor): (Tensor | null)[] {
          // A wasm tensor's view would not survive the driver's scratch() growing memory.
          const up = o.reduction === 'none' ? new Tensor(hostCopy(g, g.data as FloatArray), [rows], g.dtype) : g;
          const gp = node.backward(up)[0]!.data;
          const gx = new Ctor(x.numel());
          for (let r = 0; r < rows; r++) {
            const y = ys[r];
            if (y !== o.ignoreIndex) gx[rowClassOffset(layout, r, y)] = gp[r] as number;
          }
          return [new Tensor(gx, x.shape, x.dtype)];
        },
      };
    }
    return result;
  },
});

/** The options of {@link nllLoss}. */
export type NllLossOptions = LossOptions<typeof nllLoss>;
