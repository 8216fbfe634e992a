// Bad input to the segmentation family: an Error naming the function and the argument (smp's,
// MONAI's and PyTorch's wording where they have one), thrown before any kernel runs; the next
// call works. Also: the shims re-check what they are given (a status, never a trap).
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor, type Tensor } from '../../ts/index.js';
import { STATUS_BAD_PARAM } from '../../ts/wasm/abi.js';
import { wasm } from '../../ts/wasm/runtime.js';

beforeAll(() => init());

const logits = (shape: number[], rg = false, dtype: 'float32' | 'float64' = 'float32'): Tensor =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1)), shape, { requiresGrad: rg, dtype });
const ints = (data: number[], shape: number[]): Tensor => tensor(data, shape, { dtype: 'int64' });
const floats = (data: number[], shape: number[]): Tensor => tensor(data, shape);

type Loss = (a: Tensor, b: Tensor, o?: object) => Tensor;
const overlap: [string, Loss][] = [['diceLoss', F.diceLoss], ['jaccardLoss', F.jaccardLoss], ['tverskyLoss', F.tverskyLoss]];

describe.each(overlap)('%s rejects bad input', (name, fn) => {
  const re = (s: string) => new RegExp(`^${name}: ${s}`);
  const x = logits([2, 3, 2, 2]);
  const y = ints([0, 1, 2, 0, 1, 1, 2, 0], [2, 2, 2]);
  it('non-tensors, int input, too few dims', () => {
    expect(() => fn([1] as never, y)).toThrow(re("argument 'input' must be a Tensor"));
    expect(() => fn(x, null as never)).toThrow(re("argument 'target' must be a Tensor"));
    expect(() => fn(ints([1, 2], [2]), y)).toThrow(re("argument 'input' must be a floating point tensor"));
    expect(() => fn(logits([3]), y)).toThrow(re("argument 'input' must have shape \\(N, C, \\*\\)"));
  });
  it('target dtype and shape for the mode', () => {
    expect(() => fn(x, floats([0, 1, 0, 1, 0, 1, 0, 1], [2, 2, 2]), { mode: 'multiclass' })).toThrow(re("argument 'target' must hold class indices \\(int32 or int64\\) with mode 'multiclass', got float32"));
    expect(() => fn(x, ints([0, 1, 2, 0], [2, 2]))).toThrow(re("argument 'target' must have shape \\[2, 2, 2\\]"));
    expect(() => fn(x, y, { mode: 'multilabel' })).toThrow(re("argument 'target' must be a float tensor with mode 'multilabel', got int64"));
    expect(() => fn(x, floats(new Array(8).fill(0), [2, 2, 2]), { mode: 'multilabel' })).toThrow(re("argument 'target' must have the input's shape \\[2, 3, 2, 2\\]"));
    expect(() => fn(x, floats(new Array(8).fill(0), [2, 2, 2]), { mode: 'binary' })).toThrow(re("argument 'input' must have shape \\(N, 1, \\*\\) with mode 'binary'"));
    expect(() => fn(logits([2, 1, 2, 2]), floats(new Array(6).fill(0), [2, 3]), { mode: 'binary' })).toThrow(re("argument 'target' must have shape \\[2, 2, 2\\] or \\[2, 1, 2, 2\\] with mode 'binary'"));
    expect(() => fn(x, tensor(new Array(24).fill(0), [2, 3, 2, 2], { dtype: 'float64' }))).toThrow(re("expected argument 'target' to have dtype float32"));
  });
  it('class indices out of range (PyTorch wording), labels outside [0, 1], probabilities outside [0, 1]', () => {
    expect(() => fn(x, ints([0, 1, 2, 7, 1, 1, 2, 0], [2, 2, 2]))).toThrow(re("argument 'target': Target 7 is out of bounds"));
    expect(() => fn(x, ints([0, 1, 2, -1, 1, 1, 2, 0], [2, 2, 2]))).toThrow(re("argument 'target': Target -1 is out of bounds"));
    expect(() => fn(x, ints([0, 1, 2, 255, 1, 1, 2, 0], [2, 2, 2]), { ignoreIndex: 255 })).not.toThrow();
    expect(() => fn(x, floats(Array.from({ length: 24 }, (_, i) => (i === 5 ? 1.5 : 0)), [2, 3, 2, 2]))).toThrow(re("argument 'target' must hold values in \\[0, 1\\], got 1.5 at index 5"));
    expect(() => fn(x, y, { fromLogits: false })).toThrow(re("argument 'input' must hold probabilities in \\[0, 1\\] with fromLogits: false"));
  });
  it('classes out of range, classes with mode=binary (smp wording), bad option values', () => {
    expect(() => fn(x, y, { classes: [0, 3] })).toThrow(re("option 'classes': class 3 is out of bounds for 3 classes"));
    expect(() => fn(logits([2, 1, 2, 2]), floats(new Array(8).fill(1), [2, 2, 2]), { mode: 'binary', classes: [0] })).toThrow(re("option 'classes': Masking classes is not supported with mode=binary"));
    expect(() => fn(x, y, { smooth: -1 })).toThrow(re("option 'smooth' must be finite and >= 0, got -1"));
    expect(() => fn(x, y, { eps: -1e-7 })).toThrow(re("option 'eps' must be finite and >= 0"));
    expect(() => fn(x, y, { mode: 'multi' as never })).toThrow(re("option 'mode' must be one of"));
    expect(() => fn(x, y, { reduction: 'sum' as never })).toThrow(re('"sum" is not a valid value for reduction'));
    expect(() => fn(x, y, { ignoreIndex: 1.5 })).toThrow(re("option 'ignoreIndex' must be null or an integer"));
  });
  it('a target requiring grad is refused (no gradient flows to it)', () => {
    const soft = tensor(new Array(24).fill(0.5), [2, 3, 2, 2], { requiresGrad: true });
    expect(() => fn(x, soft)).toThrow(re("the function is not differentiable with respect to argument 'target'"));
  });
  it('the module is still usable after each error', () => {
    expect(() => fn(x, ints([0, 1, 2, 7, 1, 1, 2, 0], [2, 2, 2]))).toThrow();
    const xr = logits([2, 3, 2, 2], true);
    const l = fn(xr, y);
    l.backward();
    expect(Number.isFinite(l.item())).toBe(true);
    expect(xr.grad).not.toBeNull();
  });
});

describe('tverskyLoss alpha, beta, gamma', () => {
  const x = logits([1, 2, 2]);
  const y = ints([0, 1], [1, 2]);
  it('alpha/beta < 0 and gamma <= 0 are refused, F and nn', () => {
    expect(() => F.tverskyLoss(x, y, { alpha: -0.1 })).toThrow(/^tverskyLoss: option 'alpha' must be finite and >= 0, got -0.1/);
    expect(() => F.tverskyLoss(x, y, { beta: -1 })).toThrow(/^tverskyLoss: option 'beta' must be finite and >= 0/);
    expect(() => F.tverskyLoss(x, y, { gamma: 0 })).toThrow(/^tverskyLoss: option 'gamma' must be finite and > 0, got 0/);
    expect(() => new nn.TverskyLoss({ gamma: -1 })).toThrow(/^TverskyLoss: option 'gamma' must be finite and > 0/);
  });
});

describe('mccLoss', () => {
  it('probabilities and labels outside [0, 1], shapes, dtypes', () => {
    const p = floats([0.2, 0.8, 0.5, 0.1], [2, 2]);
    expect(() => F.mccLoss(floats([0.2, 1.8, 0.5, 0.1], [2, 2]), p)).toThrow(/^mccLoss: argument 'input' must hold probabilities in \[0, 1\]/);
    expect(() => F.mccLoss(p, floats([0, 2, 1, 0], [2, 2]))).toThrow(/^mccLoss: argument 'target' must hold values in \[0, 1\], got 2 at index 1/);
    expect(() => F.mccLoss(p, floats([0, 1, 1], [3]))).toThrow(/^mccLoss: argument 'target' must have the input's shape \[2, 2\]/);
    expect(() => F.mccLoss(p, tensor([0, 1, 1, 0], [2, 2], { dtype: 'float64' }))).toThrow(/^mccLoss: expected argument 'target' to have dtype float32/);
    expect(() => F.mccLoss(p, p, { eps: -1 })).toThrow(/^mccLoss: option 'eps' must be finite and >= 0/);
    expect(() => F.mccLoss(p, tensor([0, 1, 1, 0], [2, 2], { requiresGrad: true }))).toThrow(/^mccLoss: the function is not differentiable with respect to argument 'target'/);
  });
});

describe('generalizedDiceLoss', () => {
  const x = logits([2, 3, 2, 2]);
  it("sigmoid and softmax together (MONAI's wording), target shapes (MONAI's wording), labels", () => {
    expect(() => F.generalizedDiceLoss(x, ints(new Array(8).fill(0), [2, 1, 2, 2]), { sigmoid: true, softmax: true })).toThrow(
      /^generalizedDiceLoss: options 'sigmoid' and 'softmax': Incompatible values: more than 1 of \[sigmoid=True, softmax=True, other_act is not None\]\./,
    );
    expect(() => F.generalizedDiceLoss(x, ints(new Array(8).fill(0), [2, 1, 2, 2]), { softmax: true })).toThrow(
      /^generalizedDiceLoss: argument 'target': ground truth has differing shape \(\[2, 1, 2, 2\]\) from input \(\[2, 3, 2, 2\]\)/,
    );
    expect(() => F.generalizedDiceLoss(x, ints(new Array(8).fill(0), [2, 1, 2, 2]), { softmax: true, includeBackground: false })).toThrow(
      /ground truth has differing shape \(\[2, 0, 2, 2\]\) from input \(\[2, 2, 2, 2\]\)/,
    );
    expect(() => F.generalizedDiceLoss(x, ints([0, 1, 2, 3, 0, 0, 0, 0], [2, 1, 2, 2]), { softmax: true, toOnehotY: true })).toThrow(
      /^generalizedDiceLoss: argument 'target': Target 3 is out of bounds/,
    );
    expect(() => F.generalizedDiceLoss(x, floats([0, 1, 2, 0.5, 0, 0, 0, 0], [2, 1, 2, 2]), { softmax: true, toOnehotY: true })).toThrow(
      /^generalizedDiceLoss: argument 'target' must hold class indices with toOnehotY, got 0.5 at index 3/,
    );
    expect(() => F.generalizedDiceLoss(x, floats(new Array(24).fill(0), [2, 3, 2, 2]))).toThrow(/^generalizedDiceLoss: argument 'input' must hold probabilities in \[0, 1\] without sigmoid or softmax/);
    expect(() => F.generalizedDiceLoss(logits([2, 3]), floats(new Array(6).fill(0), [2, 3]), { sigmoid: true })).toThrow(/at least one spatial dimension/);
    expect(() => F.generalizedDiceLoss(x, x, { wType: 'cubic' as never })).toThrow(/^generalizedDiceLoss: option 'wType' must be one of 'square', 'simple', 'uniform'/);
    expect(() => F.generalizedDiceLoss(x, x, { smoothNr: -1 })).toThrow(/^generalizedDiceLoss: option 'smoothNr' must be finite and >= 0/);
  });
});

describe('lovaszHingeLoss and lovaszSoftmaxLoss', () => {
  it('labels other than 0/1, shapes, class indices and classes out of range', () => {
    const x = logits([2, 3]);
    expect(() => F.lovaszHingeLoss(x, ints([0, 1, 2, 0, 1, 0], [2, 3]))).toThrow(/^lovaszHingeLoss: argument 'target' must hold 0 or 1, got 2 at index 2/);
    expect(() => F.lovaszHingeLoss(x, ints([0, 1, 255, 0, 1, 0], [2, 3]), { ignoreIndex: 255 })).not.toThrow();
    expect(() => F.lovaszHingeLoss(x, ints([0, 1, 1, 0], [2, 2]))).toThrow(/^lovaszHingeLoss: argument 'target' must have the input's shape \[2, 3\]/);
    const z = logits([2, 3, 2]);
    expect(() => F.lovaszSoftmaxLoss(z, ints([0, 1, 3, 0], [2, 2]))).toThrow(/^lovaszSoftmaxLoss: argument 'target': Target 3 is out of bounds/);
    expect(() => F.lovaszSoftmaxLoss(z, floats([0, 1, 1, 0], [2, 2]))).toThrow(/^lovaszSoftmaxLoss: argument 'target' must hold class indices/);
    expect(() => F.lovaszSoftmaxLoss(z, ints([0, 1, 1, 0], [2, 2]), { classes: [0, 5] })).toThrow(/^lovaszSoftmaxLoss: option 'classes': class 5 is out of bounds for 3 classes/);
    expect(() => F.lovaszSoftmaxLoss(z, ints([0, 1, 1, 0], [2, 2]), { classes: 'some' as never })).toThrow(/^lovaszSoftmaxLoss: option 'classes' must be 'present', 'all' or an array/);
    expect(() => F.lovaszSoftmaxLoss(z, ints([0, 1, 1], [3]))).toThrow(/^lovaszSoftmaxLoss: argument 'target' must have shape \[2, 2\]/);
  });
});

describe('the shims re-check their operands (a status, never a trap)', () => {
  it('a label out of range and two targets at once', () => {
    const ex = wasm('test');
    const base = ex.lossfn_alloc(256);
    try {
      const i32 = new Int32Array(ex.memory.buffer, base, 64);
      i32[32] = 5; // label 5 of 3 classes
      expect(ex.lossfn_dice_loss_forward_f32(base, 3, 1, 2, base + 128, 0, Number.NaN, base + 160)).toBe(STATUS_BAD_PARAM);
      expect(ex.lossfn_dice_loss_forward_f32(base, 3, 1, 2, base + 128, base, Number.NaN, base + 160)).toBe(STATUS_BAD_PARAM);
      expect(ex.lossfn_dice_loss_finish(base, 1, -1, 1e-7, 0, base + 64)).toBe(STATUS_BAD_PARAM);
    } finally {
      ex.lossfn_free(base, 256);
    }
  });
});
