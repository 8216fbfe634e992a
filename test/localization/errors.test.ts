// Bad input to the localization family: an Error naming the function and the argument (the
// reference's wording where it has one), thrown before any kernel runs; the next call works.
// Also: the wasm shims re-check what they are given (a status, never a trap).
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, ops, tensor, type Tensor } from '../../ts/index.js';
import { STATUS_BAD_PARAM, STATUS_OK } from '../../ts/wasm/abi.js';
import { views, wasm } from '../../ts/wasm/runtime.js';
import { idx } from '../helpers/rows.js';

beforeAll(() => init());

type BoxLossFn = (a: Tensor, b: Tensor, o?: object) => Tensor;
const boxes = (n = 2, rg = false) =>
  tensor(Array.from({ length: 4 * n }, (_, i) => (i % 4 < 2 ? i : i + 3)), [n, 4], { requiresGrad: rg });

const boxLosses: [string, BoxLossFn][] = [
  ['generalizedBoxIouLoss', F.generalizedBoxIouLoss], ['distanceBoxIouLoss', F.distanceBoxIouLoss],
  ['completeBoxIouLoss', F.completeBoxIouLoss], ['boxIouLoss', F.boxIouLoss],
  ['efficientBoxIouLoss', F.efficientBoxIouLoss], ['scyllaBoxIouLoss', F.scyllaBoxIouLoss],
];

describe.each(boxLosses)('%s rejects bad input', (name, fn) => {
  const re = (s: string) => new RegExp(`^${name}: ${s}`);
  it('non-tensors, non-float tensors, options that are not objects or unknown', () => {
    expect(() => fn([[0, 0, 1, 1]] as never, boxes())).toThrow(re("argument 'input' must be a Tensor, got an array"));
    expect(() => fn(boxes(), null as never)).toThrow(re("argument 'target' must be a Tensor, got null"));
    expect(() => fn(tensor([0, 0, 1, 1], undefined, { dtype: 'int32' }), boxes(1))).toThrow(re("argument 'input' must be a floating point tensor"));
    expect(() => fn(boxes(), boxes(), 'mean' as never)).toThrow(re("argument 'options' must be an object"));
    expect(() => fn(boxes(), boxes(), { format: 'xyxy' })).toThrow(re("unknown option 'format'"));
  });
  it('last dimension not 4, mismatched shapes or dtypes', () => {
    expect(() => fn(tensor([0, 0, 1, 1, 2, 2], [2, 3]), tensor([0, 0, 1, 1, 2, 2], [2, 3]))).toThrow(
      re("argument 'input' must hold boxes \\(last dimension 4\\), got shape \\[2, 3\\]"),
    );
    expect(() => fn(tensor(1), tensor(1))).toThrow(re("argument 'input' must hold boxes \\(last dimension 4\\), got shape \\[\\]"));
    expect(() => fn(boxes(2), tensor([0, 0, 1, 1, 0], [5]))).toThrow(re("argument 'target' must hold boxes"));
    expect(() => fn(boxes(2), boxes(3))).toThrow(re("argument 'target' has shape \\[3, 4\\] but 'input' has shape \\[2, 4\\]"));
    expect(() => fn(boxes(2), tensor(boxes(2).data, [2, 4], { dtype: 'float64' }))).toThrow(
      re("expected argument 'target' to have dtype float32 like 'input', got float64"),
    );
  });
  it('unknown boxFormat and reduction, negative or non-finite eps', () => {
    expect(() => fn(boxes(), boxes(), { boxFormat: 'xxyy' as never })).toThrow(
      re("option 'boxFormat': Unsupported Bounding Box format \"xxyy\" \\(expected 'xyxy', 'xywh' or 'cxcywh'\\)"),
    );
    expect(() => fn(boxes(), boxes(), { reduction: 'batchmean' as never })).toThrow(re('"batchmean" is not a valid value for reduction'));
    expect(() => fn(boxes(), boxes(), { eps: -1e-7 })).toThrow(re("option 'eps' must be finite and >= 0, got -1e-7"));
    expect(() => fn(boxes(), boxes(), { eps: Number.POSITIVE_INFINITY })).toThrow(re("option 'eps' must be finite and >= 0"));
    expect(() => fn(boxes(), boxes(), { eps: Number.NaN })).toThrow(re("option 'eps' must be a number"));
  });
  it('the module is still usable after each error', () => {
    expect(() => fn(boxes(2), boxes(3))).toThrow();
    expect(Number.isFinite(fn(boxes(2, true), boxes(2), { reduction: 'sum' }).item())).toBe(true);
  });
});

describe('options of the individual losses', () => {
  it('boxIouLoss mode, efficientBoxIouLoss gamma, scyllaBoxIouLoss negGamma', () => {
    expect(() => F.boxIouLoss(boxes(), boxes(), { mode: 'exp' as never })).toThrow(
      /^boxIouLoss: option 'mode' must be one of 'linear', 'square', 'log', got "exp"/,
    );
    expect(() => F.efficientBoxIouLoss(boxes(), boxes(), { gamma: -0.5 })).toThrow(/^efficientBoxIouLoss: option 'gamma' must be finite and >= 0, got -0.5/);
    expect(() => F.scyllaBoxIouLoss(boxes(), boxes(), { negGamma: 1 as never })).toThrow(/^scyllaBoxIouLoss: option 'negGamma' must be a boolean/);
  });
  it('nn classes validate in the constructor, naming the class', () => {
    expect(() => new nn.GeneralizedBoxIoULoss({ eps: -1 })).toThrow(/^GeneralizedBoxIoULoss: option 'eps'/);
    expect(() => new nn.IoULoss({ mode: 'cube' as never })).toThrow(/^IoULoss: option 'mode'/);
    expect(() => new nn.SIoULoss({ boxFormat: 'yxyx' as never })).toThrow(/^SIoULoss: option 'boxFormat'/);
    expect(() => new nn.EfficientIoULoss({ gamma: Number.NaN })).toThrow(/^EfficientIoULoss: option 'gamma' must be a number/);
    expect(() => new nn.BalancedL1Loss({ beta: 0 })).toThrow(/^BalancedL1Loss: option 'beta' must be finite and > 0, got 0/);
    expect(() => new nn.VarifocalLoss({ iouWeighted: 'yes' as never })).toThrow(/^VarifocalLoss: option 'iouWeighted' must be a boolean/);
    expect(() => new nn.QualityFocalLoss({ beta: -1 })).toThrow(/^QualityFocalLoss: option 'beta' must be finite and >= 0/);
    expect(() => new nn.DistributionFocalLoss({ reduction: 'batchmean' as never })).toThrow(/^DistributionFocalLoss: "batchmean" is not a valid value/);
    expect(() => new nn.CompleteBoxIoULoss().forward(boxes(2), boxes(3))).toThrow(/^CompleteBoxIoULoss: argument 'target' has shape/);
  });
  it('balancedL1Loss: alpha, gamma, beta > 0 (mmdetection: assert beta > 0); same shapes', () => {
    const x = tensor([0.1, 2, -1]);
    for (const k of ['alpha', 'gamma', 'beta']) {
      expect(() => F.balancedL1Loss(x, x, { [k]: 0 })).toThrow(new RegExp(`^balancedL1Loss: option '${k}' must be finite and > 0, got 0`));
      expect(() => F.balancedL1Loss(x, x, { [k]: -2 })).toThrow(new RegExp(`^balancedL1Loss: option '${k}' must be finite and > 0, got -2`));
    }
    expect(() => F.balancedL1Loss(x, tensor([1, 2]))).toThrow(/^balancedL1Loss: argument 'target' has shape \[2\] but 'input' has shape \[3\]/);
  });
  it('varifocalLoss: target without grad, gamma >= 0, alpha finite', () => {
    const x = tensor([[0.3, -1], [2, 0.5]], undefined, { requiresGrad: true });
    const t = tensor([[0.8, 0], [0, 0.4]], undefined, { requiresGrad: true });
    expect(() => F.varifocalLoss(x, t)).toThrow(/^varifocalLoss: the function is not differentiable with respect to argument 'target'/);
    expect(() => F.varifocalLoss(x, t.detach(), { gamma: -1 })).toThrow(/^varifocalLoss: option 'gamma' must be finite and >= 0, got -1/);
    expect(() => F.varifocalLoss(x, t.detach(), { alpha: Number.POSITIVE_INFINITY })).toThrow(/^varifocalLoss: option 'alpha' must be finite/);
    expect(() => F.varifocalLoss(x, tensor([0.1, 0.2]))).toThrow(/^varifocalLoss: argument 'target' has shape \[2\] but 'input' has shape \[2, 2\]/);
  });
});

describe('qualityFocalLoss and distributionFocalLoss labels', () => {
  const logits = () => tensor([[0.5, -1, 2], [0.1, 0.2, -0.3]], undefined, { requiresGrad: true });
  const score = () => tensor([0.7, 0.4]);
  it('QFL: labels in [0, C] (C = background), int dtype, shapes (N), score (N) without grad', () => {
    expect(() => F.qualityFocalLoss(logits(), idx([0, 4]), score())).toThrow(
      /^qualityFocalLoss: argument 'label': label 4 is out of range \[0, 3\] \(3 = background\)/,
    );
    expect(() => F.qualityFocalLoss(logits(), idx([-1, 0]), score())).toThrow(/^qualityFocalLoss: argument 'label': label -1 is out of range/);
    expect(() => F.qualityFocalLoss(logits(), tensor([0, 1]), score())).toThrow(/^qualityFocalLoss: argument 'label' must hold class indices \(int32 or int64\)/);
    expect(() => F.qualityFocalLoss(logits(), idx([0, 1, 2]), score())).toThrow(/^qualityFocalLoss: argument 'label' must be class indices \(N\) = \[2\], got shape \[3\]/);
    expect(() => F.qualityFocalLoss(logits(), idx([0, 1]), tensor([0.5]))).toThrow(/^qualityFocalLoss: argument 'score' must be one quality score per row \(N\) = \[2\]/);
    expect(() => F.qualityFocalLoss(logits(), idx([0, 1]), tensor([0.5, 0.5], undefined, { dtype: 'float64' }))).toThrow(
      /^qualityFocalLoss: expected argument 'score' to have dtype float32/,
    );
    expect(() => F.qualityFocalLoss(logits(), idx([0, 1]), tensor([0.5, 0.5], undefined, { requiresGrad: true }))).toThrow(
      /^qualityFocalLoss: the function is not differentiable with respect to argument 'score'/,
    );
    expect(() => F.qualityFocalLoss(tensor([1, 2, 3]), idx([0]), tensor([0.5]))).toThrow(/^qualityFocalLoss: argument 'input' must be logits \(N, C\), got shape \[3\]/);
    expect(F.qualityFocalLoss(logits(), idx([3, 2]), score()).item()).toBeGreaterThan(0);
  });
  it('DFL: labels in [0, n] for n + 1 bins, float, without grad', () => {
    expect(() => F.distributionFocalLoss(logits(), tensor([0.5, 2.01]))).toThrow(
      /^distributionFocalLoss: argument 'label': label 2\.0\d* is out of range \[0, 2\] \(the input has 3 bins\)/,
    );
    expect(() => F.distributionFocalLoss(logits(), tensor([-0.25, 1]))).toThrow(/^distributionFocalLoss: argument 'label': label -0.25 is out of range/);
    expect(() => F.distributionFocalLoss(logits(), tensor([Number.NaN, 1]))).toThrow(/^distributionFocalLoss: argument 'label': label NaN is out of range/);
    expect(() => F.distributionFocalLoss(logits(), idx([0, 1]))).toThrow(/^distributionFocalLoss: argument 'label' must be a floating point tensor/);
    expect(() => F.distributionFocalLoss(logits(), tensor([0.5, 1], undefined, { requiresGrad: true }))).toThrow(
      /^distributionFocalLoss: the function is not differentiable with respect to argument 'label'/,
    );
    expect(() => F.distributionFocalLoss(logits(), tensor([0.5]))).toThrow(/^distributionFocalLoss: argument 'label' must be one target per row \(N\) = \[2\]/);
    expect(F.distributionFocalLoss(logits(), tensor([0, 2])).item()).toBeGreaterThan(0);
  });
});

describe('ops reject bad input', () => {
  it('pairwise ops take (N, 4) boxes of one dtype', () => {
    expect(() => ops.boxIou(tensor([0, 0, 1, 1]), boxes())).toThrow(/^boxIou: argument 'boxes1' must be boxes \(N, 4\), got shape \[4\]/);
    expect(() => ops.generalizedBoxIou(boxes(), tensor([0, 0, 1, 1, 2], [1, 5]))).toThrow(/^generalizedBoxIou: argument 'boxes2' must hold boxes \(last dimension 4\)/);
    expect(() => ops.distanceBoxIou(boxes(), tensor(boxes().data, [2, 4], { dtype: 'float64' }))).toThrow(
      /^distanceBoxIou: expected argument 'boxes2' to have dtype float32 like 'boxes1'/,
    );
    expect(() => ops.completeBoxIou(boxes(), boxes(), { eps: -1 })).toThrow(/^completeBoxIou: option 'eps' must be finite and >= 0, got -1/);
    expect(() => ops.distanceBoxIou(boxes(), boxes(), { epsilon: 1 } as never)).toThrow(/^distanceBoxIou: unknown option 'epsilon'/);
  });
  it('boxConvert formats (torchvision wording), boxArea shapes', () => {
    expect(() => ops.boxConvert(boxes(), 'xyxy', 'xyhw' as never)).toThrow(
      /^boxConvert: argument 'outFmt': Unsupported Bounding Box Conversions for given in_fmt and out_fmt \(got "xyhw"/,
    );
    expect(() => ops.boxConvert(boxes(), undefined as never, 'xyxy')).toThrow(/^boxConvert: argument 'inFmt': Unsupported Bounding Box Conversions/);
    expect(() => ops.boxArea(tensor([1, 2, 3]))).toThrow(/^boxArea: argument 'boxes' must hold boxes \(last dimension 4\), got shape \[3\]/);
    expect(() => ops.boxArea([0, 0, 1, 1] as never)).toThrow(/^boxArea: argument 'boxes' must be a Tensor/);
  });
  it('results never require grad (forward only)', () => {
    const b = boxes(3, true);
    for (const r of [ops.boxIou(b, b), ops.boxArea(b), ops.boxConvert(b, 'xyxy', 'cxcywh')]) {
      expect(r.requiresGrad).toBe(false);
      expect(r.gradFn).toBeNull();
    }
  });
});

describe('the wasm shims check what they are given (a status, never a trap)', () => {
  it('unknown formats and modes, labels out of range, bad parameters give STATUS_BAD_PARAM', () => {
    const ex = wasm('test');
    const at = ex.lossfn_alloc(512) >>> 0;
    const f = at / 8;
    // two f64 boxes at `at` and `at + 64`, i32 labels at `at + 128`, f64 rows at `at + 192`.
    views(ex).f64.set([0, 0, 2, 2, 1, 1, 3, 3], f);
    views(ex).f64.set([0, 0, 2, 2, 0, 0, 2, 2], f + 8);
    views(ex).f64.set([0.5, -1, 2, 0.1, 0.2, -0.3, 0.7, 0.4, 2.5, 1], f + 24);
    views(ex).i32.set([0, 4], (at + 128) / 4);
    const call = (name: string, ...a: number[]) => (ex[name] as (...b: number[]) => number)(...a);
    const sum = at + 400;
    expect(call('lossfn_generalized_box_iou_loss_forward_f64', at, at + 64, 2, 0, 1e-7, 0, 0, sum)).toBe(STATUS_OK);
    expect(call('lossfn_generalized_box_iou_loss_forward_f64', at, at + 64, 2, 3, 1e-7, 0, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_generalized_box_iou_loss_forward_f64', at, at + 64, 2, 0, -1, 0, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_box_iou_loss_forward_f64', at, at + 64, 2, 0, 7, 1e-6, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_efficient_box_iou_loss_backward_f64', at, at + 64, 2, 0, 1e-7, -1, 0, 1, at + 192, 0)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_scylla_box_iou_loss_forward_f64', at, at + 64, 2, 0, 1e-6, 0.5, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_box_convert_forward_f64', at, 2, 0, 5, at + 192)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_distance_box_iou_forward_f64', at, 1, at + 64, 1, Number.NaN, at + 192)).toBe(STATUS_BAD_PARAM);
    // QFL: labels 0 and 4 with 3 classes (4 > C); DFL: labels 2.5 and 1 with 3 bins (2.5 > 2).
    expect(call('lossfn_quality_focal_loss_forward_f64', at + 192, 2, 3, at + 128, at + 240, 2, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_distribution_focal_loss_forward_f64', at + 192, 2, 3, at + 240, 0, sum)).toBe(STATUS_OK);
    expect(call('lossfn_distribution_focal_loss_forward_f64', at + 192, 2, 3, at + 256, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_balanced_l1_loss_forward_f64', at, at + 64, 0, 0, 8, 0.5, 1.5, 0, 0, sum)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_varifocal_loss_forward_f64', at, at + 64, 0, 0, 8, 0.75, 2, 0.5, 0, sum)).toBe(STATUS_BAD_PARAM);
    // a pointer past the end of memory
    expect(call('lossfn_box_area_forward_f64', ex.memory.buffer.byteLength - 8, 2, at + 192)).not.toBe(STATUS_OK);
    ex.lossfn_free(at, 512);
    expect(F.generalizedBoxIouLoss(boxes(2), boxes(2), { reduction: 'sum' }).item()).toBeGreaterThanOrEqual(0);
  });
});
