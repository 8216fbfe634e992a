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

  it('the wasm fingerprint (64 KiB pieces) equals the JS formula', () => {
    const n = 40_000; // 160 KiB of int32: three pieces in wasm
    const a = new Int32Array(n).map((_, i) => (i * 2654435761) | 0);
    let h = 0;
    for (let i = 0; i < n; i++) h = (h + Math.imul(a[i], 2 * i + 1)) | 0;
    expect(fingerprint('probe', a)).toBe(n * 2 ** 32 + (h >>> 0));
  });
});
