// Issue 8, finding 6: inputs changed between forward and backward. PyTorch refuses with its
// version-counter error; lossfn records a content fingerprint of every tensor a loss's backward
// re-reads (arguments and tensor options) and refuses the same way (ts/fingerprint.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, tensor } from '../../ts/index.js';
import { fingerprint } from '../../ts/fingerprint.js';

beforeAll(() => init());

const MODIFIED = /^backward: one of the variables needed for gradient computation has been modified: argument '(\w+)' of (\w+)/;

describe('inputs changed after the forward pass (finding 6)', () => {
  it("the issue's mseLoss: a changed input is refused, not differentiated as changed", () => {
    const xa = new Float32Array([1, 2, 3]);
    const x = tensor(xa, undefined, { requiresGrad: true });
    const loss = F.mseLoss(x, tensor([0, 0, 0]), { reduction: 'sum' });
    xa[0] = 100;
    expect(() => loss.backward()).toThrow(/^backward: one of the variables needed for gradient computation has been modified: argument 'input' of mseLoss \(float32 \[3\]\) changed after the forward pass/);
    expect(x.grad).toBeNull();
    // Changed back, the content is the forward's again: d/dx Σx² = 2x.
    xa[0] = 1;
    loss.backward();
    expect(Array.from(x.grad!.data as Float32Array)).toEqual([2, 4, 6]);
  });

  it('changed int32 targets (was "internal error from the kernel (status 2)"), class weights and probability targets', () => {
    const x = () => tensor([[2, 0.5, -1], [0.1, 0.2, 3]], undefined, { requiresGrad: true });
    const ya = new Int32Array([0, 2]);
    const a = F.crossEntropy(x(), tensor(ya));
    ya[0] = 7;
    expect(() => a.backward()).toThrow(/argument 'target' of crossEntropy \(int32 \[2\]\)/);
    const w = tensor([1, 2, 3]);
    const b = F.crossEntropy(x(), tensor([0, 2], undefined, { dtype: 'int32' }), { weight: w });
    (w.data as Float32Array)[1] = 5;
    expect(() => b.backward()).toThrow(/argument 'weight' of crossEntropy/);
    const p = tensor([[0.2, 0.3, 0.5], [1, 0, 0]]);
    const c = new nn.KLDivLoss({ reduction: 'batchmean' }).forward(x(), p);
    (p.data as Float32Array)[5] = 0.25;
    expect(() => c.backward()).toThrow(/argument 'target' of KLDivLoss/);
  });

  it('large arrays (fingerprinted in wasm) and a second backward through a retained graph', () => {
    const n = 100_000;
    const xa = new Float64Array(n).map((_, i) => Math.sin(i));
    const x = tensor(xa, undefined, { requiresGrad: true });
    const loss = F.l1Loss(x, tensor(new Float64Array(n)), { reduction: 'sum' });
    loss.backward(undefined, { retainGraph: true });
    expect((x.grad!.data as Float64Array)[1]).toBe(1);
    xa[n - 1] = 42;
    expect(() => loss.backward()).toThrow(MODIFIED);
    const m = x.grad!.data as Float64Array;
    expect(m[1]).toBe(1); // not accumulated a second time
  });

  it('tensor arithmetic: mul and div refuse a changed operand (sample weights on a none loss)', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const w = tensor([1, 1, 1]);
    const loss = F.mseLoss(x, tensor([0, 0, 0]), { reduction: 'none' }).mul(w).sum();
    (w.data as Float32Array)[2] = 0;
    expect(() => loss.backward()).toThrow(/^backward: one of the variables needed for gradient computation has been modified: argument 'other' of mul/);
  });

  it('a graph without requiresGrad records nothing; changing inputs after backward is fine', () => {
    const xa = new Float32Array([1, 2]);
    const x = tensor(xa, undefined, { requiresGrad: true });
    F.mseLoss(x, tensor([0, 0])).backward();
    xa[0] = 5;
    expect(F.mseLoss(tensor(xa), tensor([0, 0])).item()).toBe((25 + 4) / 2);
  });

  it("list losses keep their forward's gradient: scores or relevance changed afterwards do not matter", () => {
    // Their backward never reads the operands again (ts/ranking.ts listRun: the forward computes
    // the gradient and backward scales it), so, as PyTorch for a tensor its backward does not
    // need, a change after the forward is no error and gives the forward's gradient: the
    // expected values are those of the same call on unchanged data.
    const s0 = [0.5, -1, 2, 0.25, 1.5, -0.5, 0, 3];
    const y0 = [2, 0, 1, -1, 0, 3, 1, 1];
    const losses = ['listNetLoss', 'listMleLoss', 'approxNdcgLoss', 'rankNetLoss'] as const;
    for (const name of losses) {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const run = (change: boolean) => {
          const sa = new Float64Array(s0);
          const ya = new Float64Array(y0);
          const x = tensor(sa, [2, 4], { dtype: 'float64', requiresGrad: true });
          const loss = F[name](x, tensor(ya, [2, 4], { dtype: 'float64' }), { reduction });
          if (change) {
            sa.fill(7);
            ya.reverse();
          }
          if (reduction === 'none') loss.backward(tensor([0.5, -2], [2], { dtype: 'float64' }));
          else loss.backward();
          return Array.from(x.grad!.data as Float64Array);
        };
        const want = run(false);
        expect(want.some((v) => v !== 0), `${name} ${reduction}`).toBe(true);
        expect(run(true), `${name} ${reduction}`).toEqual(want);
      }
    }
  });

  it("list losses: a retained graph's second backward, 'none' with per-list upstreams", () => {
    // ∂(Σ_b g_b·l_b)/∂s run twice through a retained graph accumulates twice the gradient of one
    // run; a per-list upstream scales each list's own gradient (lists are independent), so
    // upstream (a, b) equals upstream (a, 0) plus (0, b).
    const y = tensor([2, 0, 1, -1, 0, 3, 1, 1], [2, 4], { dtype: 'float64' });
    const leaf = () => tensor([0.5, -1, 2, 0.25, 1.5, -0.5, 0, 3], [2, 4], { dtype: 'float64', requiresGrad: true });
    const grad = (g: number[], times = 1) => {
      const x = leaf();
      const loss = F.listNetLoss(x, y, { reduction: 'none' });
      const up = tensor(g, [2], { dtype: 'float64' });
      for (let k = 0; k < times; k++) loss.backward(up, { retainGraph: k < times - 1 });
      expect(() => loss.backward(up)).toThrow(/a second time/);
      return Array.from(x.grad!.data as Float64Array);
    };
    const both = grad([0.5, -2]);
    const first = grad([0.5, 0]);
    const second = grad([0, -2]);
    // (±0: PyTorch's 0·g keeps the sign of g's product too.)
    expect(first.slice(4).every((v) => v === 0)).toBe(true);
    expect(second.slice(0, 4).every((v) => v === 0)).toBe(true);
    expect(both).toEqual([...first.slice(0, 4), ...second.slice(4)]);
    const twice = grad([0.5, -2], 3);
    twice.forEach((v, i) => expect(v).toBeCloseTo(3 * both[i], 14));
  });

  it('the wasm fingerprint (64 KiB pieces) equals the JS formula', () => {
    const n = 40_000; // 160 KiB of int32: three pieces in wasm
    const a = new Int32Array(n).map((_, i) => (i * 2654435761) | 0);
    let h = 0;
    for (let i = 0; i < n; i++) h = (h + Math.imul(a[i], 2 * i + 1)) | 0;
    expect(fingerprint('probe', a)).toBe(n * 2 ** 32 + (h >>> 0));
  });
});
