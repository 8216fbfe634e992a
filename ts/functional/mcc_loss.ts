import { defineLoss, opt, type LossOptions } from '../table.js';
import { ACT, checkProbabilities, coefFrom, finishKernel, planeGrad, planeSums, result, unitTarget, targetOf } from '../segmentation.js';
import { isFloatDType } from '../tensor.js';
import { checkFloatTensor, checkSameDType, sameShape, shapeStr } from '../validate.js';
import type { KernelExports } from '../wasm/abi.js';
import { check, scratch, views, wasm } from '../wasm/runtime.js';

type Finish = KernelExports['lossfn_mcc_loss_finish'];

/**
 * Matthews-correlation loss, as `segmentation_models_pytorch.losses.MCCLoss`: over every
 * element together, `TP = Σ p·g`, `TN = Σ (1 − p)(1 − g)`, `FP = Σ p·(1 − g)`,
 * `FN = Σ (1 − p)·g`, each plus `eps`; the loss is
 * `1 − (TP·TN − FP·FN)/√((TP + FP)(TP + FN)(TN + FP)(TN + FN))`, one value.
 *
 * `input`: probabilities `(N, *)` in [0, 1], used as they are (no activation, as smp);
 * `target`: the same shape, values in [0, 1] (float, or int 0/1). The four counts are summed
 * in float64 whatever the dtype.
 *
 * @example
 * F.mccLoss(tensor([0.9, 0.2, 0.7], [1, 3], { requiresGrad: true }), tensor([1, 0, 1], [1, 3]));
 */
export const mccLoss = defineLoss({
  name: 'mccLoss',
  stem: 'mcc_loss',
  nn: 'MCCLoss',
  family: 'segmentation',
  reference: 'segmentation_models_pytorch.losses.MCCLoss (0.3)',
  args: ['input', 'target'],
  options: {
    eps: opt.number(1e-5, (v) => v >= 0 && Number.isFinite(v), 'must be finite and >= 0', [-1e-5, Infinity]),
  },
  notes: 'probabilities (N, *) as they are, binary target; one value over every element',
  mean: 'none: one value over every element',
  run(fn, [input, target], o) {
    const x = checkFloatTensor(fn, 'input', input);
    const t = targetOf(fn, target);
    if (x.ndim < 1) throw new Error(`${fn}: argument 'input' must have shape (N, *), got ${shapeStr(x.shape)}`);
    if (!sameShape(x.shape, t.shape)) {
      throw new Error(`${fn}: argument 'target' must have the input's shape ${shapeStr(x.shape)}, got ${shapeStr(t.shape)}`);
    }
    if (isFloatDType(t.dtype)) checkSameDType(fn, ['input', x], ['target', t]);
    checkProbabilities(fn, 'input', x, '(mccLoss takes probabilities as they are)');
    const p = { x, n: 1, c: 1, s: x.numel(), act: ACT.none, labels: null, dense: unitTarget(fn, 'target', t, x.dtype, null), ignore: Number.NaN };
    const sums = planeSums(fn, 'mcc_loss', p);
    const ex = wasm(fn);
    const base = scratch(ex, 128);
    views(ex).f64.set(sums, base / 8);
    check(ex, fn, finishKernel<Finish>(fn, 'mcc_loss_finish')(base, o.eps, base + 64));
    const fin = views(ex).f64.slice(base / 8 + 8, base / 8 + 13);
    return result(x, [fin[0]], [], 'MccLossBackward', (up) => planeGrad(fn, 'mcc_loss', p, () => Float64Array.from(coefFrom(up[0], fin[1], fin[2], fin[3], fin[4]))));
  },
});

/** The options of {@link mccLoss}. */
export type MccLossOptions = LossOptions<typeof mccLoss>;
