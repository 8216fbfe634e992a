// Bad input to the row losses (nllLoss … sphereFaceLoss): an Error naming the function and the
// argument, with PyTorch's wording where it has one, thrown before any kernel runs; the next
// call works. Also: the kernels' own index checks return a status, never trap.
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor, type Tensor } from '../../ts/index.js';
import { STATUS_BAD_PARAM, STATUS_OK } from '../../ts/wasm/abi.js';
import { views, wasm } from '../../ts/wasm/runtime.js';
import { idx } from '../helpers/rows.js';

beforeAll(() => init());

type Loss = (a: Tensor, b: Tensor, o?: object) => Tensor;
const x = () => tensor([[0.5, 0.2, -0.3], [0.1, 0.9, 0.4]], undefined, { requiresGrad: true });
const y = () => idx([0, 2]);

/** Losses with class-index targets in [0, C), input (N, C). */
const indexLosses: [string, Loss][] = [
  ['nllLoss', F.nllLoss], ['softmaxFocalLoss', F.softmaxFocalLoss], ['polyLoss', F.polyLoss],
  ['arcFaceLoss', F.arcFaceLoss], ['cosFaceLoss', F.cosFaceLoss], ['sphereFaceLoss', F.sphereFaceLoss],
  ['multiMarginLoss', F.multiMarginLoss], ['zeroOneLoss', F.zeroOneLoss],
];

describe.each(indexLosses)('%s rejects bad input', (name, fn) => {
  it('non-tensor arguments and options', () => {
    expect(() => fn([[1, 2]] as never, y())).toThrow(new RegExp(`^${name}: argument 'input' must be a Tensor, got an array`));
    expect(() => fn(x(), [0, 2] as never)).toThrow(new RegExp(`^${name}: argument 'target' must be a Tensor, got an array`));
    expect(() => fn(x(), y(), 'mean' as never)).toThrow(new RegExp(`^${name}: argument 'options' must be an object`));
    expect(() => fn(x(), y(), { reductio: 'sum' })).toThrow(new RegExp(`^${name}: unknown option 'reductio'`));
    expect(() => fn(x(), y(), { reduction: 'batchmean' })).toThrow(new RegExp(`^${name}: "batchmean" is not a valid value for reduction`));
  });
  it('float targets are not class indices (PyTorch: expected scalar type Long)', () => {
    expect(() => fn(x(), tensor([0, 2]))).toThrow(new RegExp(`^${name}: argument 'target' must hold class indices \\(int32 or int64\\), got float32`));
  });
  it('out-of-range targets', () => {
    const msg = name === 'multiMarginLoss' ? /target out of range \(got 7, classes: 3\)/ : /Target 7 is out of bounds/;
    expect(() => fn(x(), idx([0, 7]))).toThrow(msg);
    expect(() => fn(x(), idx([-1, 0]))).toThrow(name === 'multiMarginLoss' ? /target out of range/ : /Target -1 is out of bounds/);
  });
  it('batch-size mismatch', () => {
    const msg = name === 'multiMarginLoss' ? /inconsistent target size, got: \[3\]/ : /Expected input batch_size \(2\) to match target batch_size \(3\)\./;
    expect(() => fn(x(), idx([0, 1, 2]))).toThrow(msg);
  });
  it('the module is still usable after each error', () => {
    expect(() => fn(x(), idx([0, 7]))).toThrow();
    expect(Number.isFinite(fn(x(), y(), { reduction: 'sum' }).item())).toBe(true);
  });
});

describe('class weights (PyTorch wording)', () => {
  it.each([['nllLoss', F.nllLoss], ['softmaxFocalLoss', F.softmaxFocalLoss], ['polyLoss', F.polyLoss]] as [string, Loss][])('%s', (name, fn) => {
    expect(() => fn(x(), y(), { weight: tensor([1, 2]) })).toThrow(
      new RegExp(`^${name}: weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \\[2\\]`),
    );
    expect(() => fn(x(), y(), { weight: tensor([1, 2, 3], undefined, { dtype: 'float64' }) })).toThrow(/expected argument 'weight' to have dtype float32/);
    expect(() => fn(x(), y(), { weight: [1, 2, 3] as never })).toThrow(new RegExp(`^${name}: argument 'weight' must be a Tensor`));
  });
  it('multiMarginLoss', () => {
    expect(() => F.multiMarginLoss(x(), y(), { weight: tensor([1, 2]) })).toThrow(/^multiMarginLoss: option 'weight': inconsistent weight size, expected 3 but got \[2\]/);
    expect(() => F.multiMarginLoss(x(), y(), { weight: tensor([1, 2, 3, 4], [2, 2]) })).toThrow(/^multiMarginLoss: option 'weight' must be one-dimensional/);
  });
});

describe('shapes (PyTorch wording)', () => {
  it('nllLoss and friends', () => {
    expect(() => F.nllLoss(tensor(1), idx([0], []))).toThrow(/^nllLoss: argument 'input' expected 1 or more dimensions \(got 0\)/);
    expect(() => F.nllLoss(x(), idx([0, 1, 2, 0, 1, 2], [2, 3]))).toThrow(/^nllLoss: argument 'target': 0D or 1D target tensor expected, multi-target not supported/);
    expect(() => F.softmaxFocalLoss(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), idx([0, 1, 1], [1, 3]))).toThrow(
      /Expected input batch_size \(2\) to match target batch_size \(1\)/,
    );
    expect(() => F.polyLoss(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), idx([0, 1, 1, 0, 1, 0], [2, 3]))).toThrow(/Expected target size \[2, 2\], got \[2, 3\]/);
    expect(() => F.nllLoss(tensor([1, 2], undefined, { dtype: 'int32' }), idx([0], []))).toThrow(/^nllLoss: argument 'input' must be a floating point tensor/);
  });
  it('margin losses take (N, C) cosines', () => {
    expect(() => F.arcFaceLoss(tensor([0.1, 0.2]), idx([0], []))).toThrow(/^arcFaceLoss: argument 'input' must be 2-D cosine logits \(N, C\), got shape \[2\]/);
  });
  it('multiMarginLoss / multilabelMarginLoss (ATen shape checks)', () => {
    expect(() => F.multiMarginLoss(tensor([], [2, 0]), idx([0, 0]))).toThrow(/Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[2, 0\]/);
    expect(() => F.multiMarginLoss(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), idx([0, 0]))).toThrow(/but got: \[2, 2, 2\]/);
    expect(() => F.multilabelMarginLoss(x(), idx([0, 1, -1]))).toThrow(/^multilabelMarginLoss: inconsistent size \[3\] for argument 'target'/);
    expect(() => F.multilabelMarginLoss(x(), idx([0, 1, -1, 3, -1, 0], [2, 3]))).toThrow(/^multilabelMarginLoss: argument 'target' is out of range \(got 3/);
    // PyTorch checks the whole target, entries after the first -1 included
    expect(() => F.multilabelMarginLoss(x(), idx([0, -1, 5, 0, -1, -1], [2, 3]))).toThrow(/is out of range \(got 5/);
    expect(() => F.multilabelMarginLoss(x(), idx([0, -2, 1, 0, -1, -1], [2, 3]))).toThrow(/is out of range \(got -2/);
    expect(() => F.multilabelMarginLoss(x(), tensor([0, 1, -1, 0, 1, -1], [2, 3]))).toThrow(/must hold class indices/);
  });
  it('categoricalHinge', () => {
    expect(() => F.categoricalHinge(x(), tensor([1, 0, 0]))).toThrow(/^categoricalHinge: argument 'target' has shape \[3\] but 'input' has shape \[2, 3\]/);
    expect(() => F.categoricalHinge(x(), idx([1, 0, 0, 0, 0, 1], [2, 3]))).toThrow(/^categoricalHinge: argument 'target' must be a floating point tensor/);
    expect(() => F.categoricalHinge(x(), tensor([1, 0, 0, 0, 0, 1], [2, 3], { dtype: 'float64' }))).toThrow(/expected argument 'target' to have dtype float32/);
    expect(() => F.categoricalHinge(tensor([], [2, 0]), tensor([], [2, 0]))).toThrow(/non-empty last \(class\) dimension/);
  });
  it('distillationLoss', () => {
    expect(() => F.distillationLoss(x(), tensor([1, 2, 3]))).toThrow(/^distillationLoss: argument 'teacher' has shape \[3\] but 'student' has shape \[2, 3\]/);
    expect(() => F.distillationLoss(tensor([1, 2]), tensor([1, 2]))).toThrow(/^distillationLoss: argument 'student' must have a batch and a class dimension/);
    expect(() => F.distillationLoss(x(), [1] as never)).toThrow(/^distillationLoss: argument 'teacher' must be a Tensor/);
    expect(() => F.distillationLoss(x(), x(), { reduction: 'avg' as never })).toThrow(
      /^distillationLoss: "avg" is not a valid value for reduction \(expected 'none', 'batchmean', 'sum', 'mean'\)/,
    );
  });
  it('zeroOneLoss', () => {
    expect(() => F.zeroOneLoss(tensor([0.1, 0.9]), idx([1]))).toThrow(/^zeroOneLoss: argument 'input' must be scores \(N, C\) of a float dtype or predicted labels \(N\)/);
    expect(() => F.zeroOneLoss(idx([0, 1]), idx([0, 1], [1, 2]))).toThrow(/^zeroOneLoss: argument 'target' must be 1-D/);
    expect(() => F.zeroOneLoss(idx([0, 1]), idx([0]))).toThrow(/Expected input batch_size \(2\) to match target batch_size \(1\)/);
    expect(() => F.zeroOneLoss(tensor([], [2, 0]), idx([0, 0]))).toThrow(/has no classes/);
  });
});

describe('option domains', () => {
  it('each loss names the option and the domain; nn classes validate in the constructor', () => {
    expect(() => F.multiMarginLoss(x(), y(), { p: 3 })).toThrow(/^multiMarginLoss: option 'p' must be 1 or 2 \(only p == 1 and p == 2 supported\), got 3/);
    expect(() => F.softmaxFocalLoss(x(), y(), { gamma: -0.5 })).toThrow(/^softmaxFocalLoss: option 'gamma' must be finite and >= 0, got -0.5/);
    expect(() => F.softmaxFocalLoss(x(), y(), { gamma: '2' as never })).toThrow(/^softmaxFocalLoss: option 'gamma' must be a number/);
    expect(() => F.polyLoss(x(), y(), { epsilon: Number.POSITIVE_INFINITY })).toThrow(/^polyLoss: option 'epsilon' must be finite/);
    expect(() => F.nllLoss(x(), y(), { ignoreIndex: 1.5 })).toThrow(/^nllLoss: option 'ignoreIndex' must be an integer/);
    expect(() => F.distillationLoss(x(), x(), { temperature: 0 })).toThrow(/^distillationLoss: option 'temperature' must be finite and > 0, got 0/);
    expect(() => F.arcFaceLoss(x(), y(), { scale: -1 })).toThrow(/^arcFaceLoss: option 'scale' must be finite and > 0, got -1/);
    expect(() => F.cosFaceLoss(x(), y(), { margin: Number.NaN })).toThrow(/^cosFaceLoss: option 'margin' must be a number/);
    expect(() => F.sphereFaceLoss(x(), y(), { margin: 0 })).toThrow(/^sphereFaceLoss: option 'margin' must be an integer >= 1, got 0/);
    expect(() => F.zeroOneLoss(x(), y(), { dtype: 'int32' as never })).toThrow(/^zeroOneLoss: option 'dtype' must be 'float32' or 'float64'/);
    expect(() => new nn.NLLLoss({ reduction: 'avg' as never })).toThrow(/^NLLLoss: "avg" is not a valid value for reduction/);
    expect(() => new nn.DistillationLoss({ temperature: -2 })).toThrow(/^DistillationLoss: option 'temperature'/);
    expect(() => new nn.MultiLabelMarginLoss({ weight: null } as never)).toThrow(/^MultiLabelMarginLoss: unknown option 'weight'/);
    expect(() => new nn.CategoricalHinge({ reduction: 'batchmean' as never })).toThrow(/^CategoricalHinge: "batchmean" is not a valid value/);
    expect(() => new nn.ZeroOneLoss({ dtype: 'float16' as never })).toThrow(/^ZeroOneLoss: option 'dtype'/);
    expect(() => new nn.NLLLoss2d().forward(x(), idx([0, 9]))).toThrow(/^NLLLoss2d: argument 'target': Target 9 is out of bounds/);
    expect(new nn.MultiMarginLoss({ p: 2 }).forward(x(), y()).item()).toBeGreaterThan(0);
  });
});

describe('the kernels check indices themselves (a status, never a trap)', () => {
  it('out-of-range class indices give STATUS_BAD_PARAM and leave the module usable', () => {
    const ex = wasm('test');
    const at = ex.lossfn_alloc(256) >>> 0;
    const f = at / 8;
    views(ex).f64.set([-1, -2, -3, -0.5, -0.7, -0.1], f);
    views(ex).i32.set([0, 5], (at + 64) / 4);
    const call = (name: string, ...a: number[]) => ((ex as unknown as Record<string, (...b: number[]) => number>)[name])(...a);
    // The row-loss signature (crates/wasm/src/rows.rs): forward(x, t, y, w, classes, rows, width,
    // y_width, ignore_index, ignore_on, p0, p1, p2, out, stats, n_stats); backward(…, p2, g,
    // g_scale, gx, gt).
    const fwd = (stem: string, x: number, t: number, y: number, rows: number, width: number, yWidth: number, ignoreOn: number, p: number[], stats: number) =>
      call(`lossfn_${stem}_forward_f64`, x, t, y, 0, width, rows, width, yWidth, -100, ignoreOn, p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, 0, stats, 2);
    // (nll_loss's kernel is elementwise over the gathered x[r, y_r]: it reads no indices.)
    expect(fwd('softmax_focal_loss', at, 0, at + 64, 2, 3, 1, 1, [2], at + 128)).toBe(STATUS_BAD_PARAM);
    expect(call('lossfn_arc_face_loss_backward_f64', at, 0, at + 64, 0, 3, 2, 3, 1, 0, 0, 64, 0.5, 0, 0, 1, at + 160, 0)).toBe(STATUS_BAD_PARAM);
    expect(fwd('multi_margin_loss', at, 0, at + 64, 2, 3, 1, 0, [3, 1], at + 128)).toBe(STATUS_BAD_PARAM);
    expect(fwd('distillation_loss', at, at, 0, 1, 3, 0, 0, [0], at + 128)).toBe(STATUS_BAD_PARAM);
    views(ex).i32.set([0, -1, 9], (at + 64) / 4);
    expect(fwd('multilabel_margin_loss', at, 0, at + 64, 1, 3, 3, 0, [], at + 128)).toBe(STATUS_BAD_PARAM);
    // Still usable after the refusals.
    views(ex).i32.set([0, 2], (at + 64) / 4);
    expect(fwd('softmax_focal_loss', at, 0, at + 64, 2, 3, 1, 1, [0], at + 128)).toBe(STATUS_OK);
    expect(views(ex).f64[(at + 128) / 8]).toBeCloseTo(-Math.log(Math.exp(-1) / (Math.exp(-1) + Math.exp(-2) + Math.exp(-3))) - Math.log(Math.exp(-0.1) / (Math.exp(-0.5) + Math.exp(-0.7) + Math.exp(-0.1))), 12);
    ex.lossfn_free(at, 256);
  });
});
