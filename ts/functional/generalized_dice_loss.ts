import { defineLoss, opt, type LossOptions } from '../table.js';
import { ACT, batchSums, checkProbabilities, gdlFinish, labelsOf, planeGrad, planeSums, result, unitTarget, type Planes, targetOf } from '../segmentation.js';
import { Sum } from '../reduction.js';
import { checkFloatTensor, shapeStr } from '../validate.js';

/**
 * Generalized Dice loss (Sudre et al. 2017), as MONAI's `monai.losses.GeneralizedDiceLoss`
 * (1.x): per image (or, with `batch`, over the batch), with sums over the spatial dims,
 * `f = 1 − (2·Σ_c w_c·Σ p·g + smoothNr)/(Σ_c w_c·Σ (p + g) + smoothDr)`, class weights from
 * the ground-truth volume `G_c = Σ g`: `wType` 'square' `1/G²` (default), 'simple' `1/G`,
 * 'uniform' 1; an infinite weight (an absent class) becomes the largest finite weight of its
 * image (of the batch with `batch`), as MONAI. `'mean'` (default) and `'sum'` reduce the
 * per-image values; `'none'` keeps MONAI's broadcastable shape `(B, 1, 1, …)` (`(1, 1, …)`
 * with `batch`).
 *
 * `input`: `(B, C, *spatial)` logits with `sigmoid` or `softmax` (not both: MONAI's
 * "Incompatible values…"; softmax over one channel is ignored, as MONAI), else probabilities
 * in [0, 1]. `target`: `(B, C, *)` in [0, 1], or with `toOnehotY` `(B, 1, *)` class indices.
 * `includeBackground: false` drops channel 0 (for C > 1). Weights are computed in float64 (MONAI
 * rounds them to float32 first). Gradients to `input`; none flows through the weights (they
 * depend on the target only).
 *
 * @example
 * F.generalizedDiceLoss(logits, labels, { softmax: true, toOnehotY: true });
 */
export const generalizedDiceLoss = defineLoss({
  name: 'generalizedDiceLoss',
  stem: 'generalized_dice_loss',
  nn: 'GeneralizedDiceLoss',
  family: 'segmentation',
  reference: 'monai.losses.GeneralizedDiceLoss (1.x)',
  args: ['input', 'target'],
  options: {
    includeBackground: opt.bool(true),
    toOnehotY: opt.bool(false),
    sigmoid: opt.bool(false),
    softmax: opt.bool(false),
    wType: opt.choice(['square', 'simple', 'uniform'] as const, 'square'),
    reduction: opt.reduction(),
    smoothNr: opt.number(1e-5, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-1, Infinity]),
    smoothDr: opt.number(1e-5, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-1, Infinity]),
    batch: opt.bool(false),
  },
  notes: 'MONAI semantics and names; class weights from the ground-truth volume, infinite ones replaced by the largest finite',
  mean: 'the number of images (1 with batch)',
  run(fn, [input, target], o) {
    if (o.sigmoid && o.softmax) {
      throw new Error(`${fn}: options 'sigmoid' and 'softmax': Incompatible values: more than 1 of [sigmoid=True, softmax=True, other_act is not None].`);
    }
    const x = checkFloatTensor(fn, 'input', input);
    const t = targetOf(fn, target);
    if (x.ndim < 3) throw new Error(`${fn}: argument 'input' must have shape (B, C, *spatial) with at least one spatial dimension, got ${shapeStr(x.shape)}`);
    const [n, c] = x.shape;
    const spatial = x.shape.slice(2);
    const s = spatial.reduce((a, b) => a * b, 1);
    const multi = c > 1;
    const c0 = multi && !o.includeBackground ? 1 : 0;
    const act = o.sigmoid ? ACT.sigmoid : o.softmax && multi ? ACT.softmax : ACT.none;
    if (act === ACT.none) checkProbabilities(fn, 'input', x, 'without sigmoid or softmax');
    const onehot = o.toOnehotY && multi;
    // MONAI compares the shapes after one-hot and background removal.
    const tShape = t.shape.slice();
    if (onehot && t.ndim >= 2) tShape[1] = tShape[1] === 1 ? c : -1;
    const cut = (sh: number[]) => (c0 === 1 ? [sh[0], sh[1] - 1, ...sh.slice(2)] : sh);
    if (tShape.length !== x.ndim || tShape.some((v, i) => v !== x.shape[i])) {
      const shown = onehot && t.ndim >= 2 && t.shape[1] === 1 ? cut(tShape) : cut(t.shape.slice());
      throw new Error(`${fn}: argument 'target': ground truth has differing shape (${shapeStr(shown)}) from input (${shapeStr(cut(x.shape.slice()))})`);
    }
    const p: Planes = onehot
      ? { x, n, c, s, act, labels: integralLabels(fn, t, c), dense: null, ignore: Number.NaN }
      : { x, n, c, s, act, labels: null, dense: unitTarget(fn, 'target', t, x.dtype, null), ignore: Number.NaN };
    const perImage = planeSums(fn, 'generalized_dice_loss', p);
    const groups = o.batch ? 1 : n;
    const sums = o.batch ? batchSums(perImage, n, c) : perImage;
    const { f, uv } = gdlFinish(fn, sums, groups, c, c0, o.wType, o.smoothNr, o.smoothDr);
    let values: number[];
    let shape: number[];
    if (o.reduction === 'none') {
      values = Array.from(f);
      shape = o.batch ? [1, ...spatial.map(() => 1)] : [n, 1, ...spatial.map(() => 1)];
    } else {
      const acc = new Sum();
      for (const v of f) acc.add(v);
      values = [o.reduction === 'mean' ? acc.value() / groups : acc.value()];
      shape = [];
    }
    return result(x, values, shape, 'GeneralizedDiceLossBackward', (up) => {
      const wg = (g: number): number => (o.reduction === 'none' ? up[g] : o.reduction === 'mean' ? up[0] / groups : up[0]);
      return planeGrad(fn, 'generalized_dice_loss', p, (img) => {
        const g = o.batch ? 0 : img;
        return uv.subarray(2 * g * c, 2 * (g + 1) * c).map((v) => v * wg(g));
      });
    });
  },
});

/** `(B, 1, *)` class indices for `toOnehotY`: int, or float holding integers. */
function integralLabels(fn: string, t: import('../tensor.js').Tensor, c: number): Int32Array {
  const d = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!Number.isInteger(v)) throw new RangeError(`${fn}: argument 'target' must hold class indices with toOnehotY, got ${v} at index ${i}`);
  }
  return labelsOf(fn, 'target', t, c, null);
}

/** The options of {@link generalizedDiceLoss}. */
export type GeneralizedDiceLossOptions = LossOptions<typeof generalizedDiceLoss>;
