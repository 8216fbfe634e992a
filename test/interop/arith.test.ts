// Loss arithmetic: add/sub/mul/div/sum/mean on results, with gradients (values derived by hand
// beside each test, or by linearity from the losses' own tested gradients).
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor, type Tensor } from '../../ts/index.js';

beforeAll(async () => {
  await init();
});

const list = (t: Tensor | null): number[] => Array.from((t?.data ?? []) as Float64Array);

describe('Tensor arithmetic with gradients', () => {
  it('sample-weighted none loss: mse(x, t, none).mul(w).sum()', () => {
    const x = tensor([1, 2, 4], undefined, { dtype: 'float64', requiresGrad: true });
    const t = tensor([0, 2, 1], undefined, { dtype: 'float64' });
    const w = tensor([0.5, 2, 1], undefined, { dtype: 'float64' });
    const loss = F.mseLoss(x, t, { reduction: 'none' }).mul(w).sum();
    // Σ w (x − t)² = 0.5·1 + 2·0 + 1·9 = 9.5; ∂/∂x = 2w(x − t) = [1, 0, 6].
    expect(loss.item()).toBe(9.5);
    loss.backward();
    expect(list(x.grad)).toEqual([1, 0, 6]);
  });

  it('weighted mean as PyTorch writes it: (l·w).sum() / w.sum()', () => {
    const x = tensor([1, 2, 4], undefined, { dtype: 'float64', requiresGrad: true });
    const t = tensor([0, 2, 1], undefined, { dtype: 'float64' });
    const w = tensor([0.5, 2, 1.5], undefined, { dtype: 'float64' });
    const loss = F.l1Loss(x, t, { reduction: 'none' }).mul(w).sum().div(w.sum());
    // Σ w|x − t| / Σ w = (0.5 + 0 + 4.5) / 4 = 1.25; ∂/∂x = w·sign(x − t)/4 = [0.125, 0, 0.375].
    expect(loss.item()).toBe(1.25);
    loss.backward();
    expect(list(x.grad)).toEqual([0.125, 0, 0.375]);
  });

  it('compound loss ce.add(other.mul(0.5)): gradients add by linearity', () => {
    const mk = () => tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { dtype: 'float64', requiresGrad: true });
    const y = tensor([0, 2], undefined, { dtype: 'int64' });
    const a = mk();
    const ce = F.crossEntropy(a, y);
    const focal = F.softmaxFocalLoss(a, y);
    const total = ce.add(focal.mul(0.5));
    expect(total.item()).toBeCloseTo(ce.item() + 0.5 * focal.item(), 15);
    total.backward();
    const b = mk();
    F.crossEntropy(b, y).backward();
    const c = mk();
    F.softmaxFocalLoss(c, y).backward();
    const want = list(b.grad).map((g, i) => g + 0.5 * list(c.grad)[i]);
    list(a.grad).forEach((g, i) => expect(g).toBeCloseTo(want[i], 15));
  });

  it('a tensor used twice gets the sum of its gradients (a.add(a), loss.mul(loss))', () => {
    const x = tensor([3], [], { dtype: 'float64', requiresGrad: true });
    // d(x + x)/dx = 2
    x.add(x).backward();
    expect(list(x.grad)).toEqual([2]);
    const p = tensor([1, 3], undefined, { dtype: 'float64', requiresGrad: true });
    const l = F.mseLoss(p, tensor([0, 0], undefined, { dtype: 'float64' })); // (1 + 9)/2 = 5
    const sq = l.mul(l); // 25; d/dp = 2·l·∂l/∂p = 2·5·p = [10, 30]
    expect(sq.item()).toBe(25);
    sq.backward();
    expect(list(p.grad)).toEqual([10, 30]);
  });

  it('sub and div gradients to both operands; 0-d operands broadcast', () => {
    const a = tensor([2, 4], undefined, { dtype: 'float64', requiresGrad: true });
    const b = tensor([1, 8], undefined, { dtype: 'float64', requiresGrad: true });
    // Σ (a − b)/b = (1/1) + (−4/8) = 0.5 → ∂/∂a = 1/b = [1, 0.125]; ∂/∂b = −a/b² = [−2, −1/16]
    const r = a.sub(b).div(b).sum();
    expect(r.item()).toBe(0.5);
    r.backward();
    expect(list(a.grad)).toEqual([1, 0.125]);
    expect(list(b.grad)).toEqual([-2, -0.0625]);
    const s = tensor([2], [], { dtype: 'float64', requiresGrad: true });
    const v = tensor([1, 2, 3], undefined, { dtype: 'float64' });
    // mean(v·s) = 2·s → ∂/∂s = mean(v) = 2
    const m = v.mul(s).mean();
    expect(m.item()).toBe(4);
    m.backward();
    expect(list(s.grad)).toEqual([2]);
  });

  it('float32 stays float32; errors name the method and the argument', () => {
    const f = tensor([1, 2]);
    expect(f.add(0.1).dtype).toBe('float32');
    expect(f.add(0.1).data[0]).toBe(Math.fround(1 + 0.1));
    expect(() => f.add(tensor([1, 2], undefined, { dtype: 'float64' }))).toThrow(/add: argument 'other' has dtype float64 but the tensor has dtype float32/);
    expect(() => f.mul(tensor([1, 2, 3]))).toThrow(/mul: argument 'other' has shape \[3\] but the tensor has shape \[2\]/);
    expect(() => tensor([1], undefined, { dtype: 'int32' }).sum()).toThrow(/sum: argument 'self' must be a floating point tensor/);
    expect(() => f.div('2' as never)).toThrow(/div: argument 'other' must be a Tensor or a number, got string/);
    expect(tensor([]).mean().item()).toBeNaN();
  });
});
