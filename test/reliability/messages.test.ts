// Issue 8, finding 7: every error starts with the name of the function the user called and
// shows the offending value safely (one describe() helper: ts/describe.ts), whatever the value
// is; backward() checks its arguments (PyTorch's "Mismatch in shape"); options objects are
// read once, as a copy.
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, Tensor, tensor } from '../../ts/index.js';
import { describe as show } from '../../ts/table.js';
import { LOSSES } from '../../ts/losses.js';
import { isLoss } from '../../ts/table.js';

beforeAll(() => init());

const x = () => tensor([[0.5, 1.5, -2], [3, 0, 1]], undefined, { requiresGrad: true });

describe('describe(): any value, safely', () => {
  it('primitives, NaN, bigint, symbol', () => {
    expect(show(1n)).toBe('bigint 1n');
    expect(show(Number.NaN)).toBe('NaN');
    expect(show(-0)).toBe('number -0');
    expect(show(Symbol('s'))).toBe('symbol "s"');
    expect(show('x'.repeat(100))).toMatch(/^string "x{40}…"$/);
  });
  it('objects that cannot be inspected or printed', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(show(proxy)).toMatch(/^a revoked Proxy/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(show(cyclic)).toBe('Object');
    expect(show(Object.create(null))).toBe('an object');
    const throwing = new Proxy({}, { getPrototypeOf() { throw new Error('no'); } });
    expect(show(throwing)).toMatch(/^a revoked Proxy \(or an object that cannot be inspected\)/);
  });
  it('typed arrays of another realm and tensors of another copy of lossfn', async () => {
    expect(show(runInNewContext('new Float32Array(2)'))).toBe('Float32Array from another realm');
    expect(show(new Float32Array(2))).toBe('Float32Array');
    const other = await import('../../dist/index.js');
    await other.init();
    expect(show(other.tensor([1, 2]))).toBe('a Tensor from another copy of lossfn (or realm)');
    expect(show(tensor([1, 2]))).toBe('Tensor');
  });
});

describe('the issue\'s messages (finding 7)', () => {
  it.each(LOSSES.map((f) => [f.spec.name, f] as const))('%s: reduction 1n is named, not "Do not know how to serialize a BigInt"', (name, f) => {
    if (!('reduction' in f.spec.options)) return;
    const args = f.spec.args.map(() => x());
    expect(() => (f as (...a: unknown[]) => unknown)(...args, { reduction: 1n })).toThrow(new RegExp(`^${name}: bigint 1n is not a valid value for reduction`));
  });

  it('labelSmoothing NaN says NaN', () => {
    expect(() => F.crossEntropy(x(), tensor([0, 1], undefined, { dtype: 'int32' }), { labelSmoothing: Number.NaN })).toThrow(
      /^crossEntropy: option 'labelSmoothing' must be a number, got NaN$/,
    );
  });

  it('backward() validates its arguments and names itself', () => {
    const loss = F.mseLoss(x(), tensor([[0, 0, 0], [0, 0, 0]]));
    expect(() => loss.backward(undefined, null as never)).toThrow(/^backward: argument 'options' must be an object like \{ retainGraph: true \}, got null/);
    expect(() => loss.backward({ retainGraph: true } as never)).toThrow(/^backward: argument 'gradient' must be a Tensor, a typed array or nested arrays of numbers, got Object/);
    expect(() => loss.backward(undefined, { retainGraf: true } as never)).toThrow(/^backward: unknown option 'retainGraf'/);
    expect(() => loss.backward(undefined, { retainGraph: 1 } as never)).toThrow(/^backward: option 'retainGraph' must be a boolean, got number 1/);
    expect(() => loss.backward([[1, 2], [3, 'x']] as never)).toThrow(/^backward: argument 'gradient': argument 'data' must hold numbers, got string "x"/);
    loss.backward();
  });

  it("a 'none' backward with a gradient of another shape: PyTorch's Mismatch in shape", () => {
    const loss = F.mseLoss(x(), tensor([[0, 0, 0], [0, 0, 0]]), { reduction: 'none' });
    expect(() => loss.backward(tensor([[1, 1], [1, 1], [1, 1]]))).toThrow(
      /^backward: Mismatch in shape: argument 'gradient' has a shape of \[3, 2\] and the output has a shape of \[2, 3\]/,
    );
    const scalar = F.mseLoss(x(), tensor([[0, 0, 0], [0, 0, 0]]));
    expect(() => scalar.backward(tensor([[3]]))).toThrow(/^backward: Mismatch in shape: argument 'gradient' has a shape of \[1, 1\] and the output has a shape of \[\]/);
    // A typed array has no shape of its own: read with the output's when the length matches.
    const a = x();
    F.mseLoss(a, tensor([[0, 0, 0], [0, 0, 0]]), { reduction: 'none' }).backward(new Float32Array([1, 1, 1, 1, 1, 1]));
    expect(Array.from(a.grad!.data as Float32Array)).toEqual([1, 3, -4, 6, 0, 2]);
  });

  it('a Float32Array of another realm: named, or copied by tensor()', () => {
    const foreign = runInNewContext('new Float32Array([1, 2, 3])') as Float32Array;
    expect(() => F.mseLoss(foreign as never, tensor([1, 2, 3]))).toThrow(/^mseLoss: argument 'input' must be a Tensor, got Float32Array from another realm/);
    expect(() => new Tensor(foreign, [3], 'float32')).toThrow(/^Tensor: argument 'data' must be a Float32Array for dtype float32, got Float32Array from another realm/);
    const t = tensor(foreign);
    expect(t.dtype).toBe('float32');
    expect(F.mseLoss(t, tensor([1, 2, 5])).item()).toBeCloseTo(4 / 3, 6);
  });

  it('a Tensor of another copy of lossfn is named as such', async () => {
    const other = await import('../../dist/index.js');
    await other.init();
    expect(() => F.mseLoss(other.tensor([1, 2]) as never, tensor([1, 2]))).toThrow(
      /^mseLoss: argument 'input' must be a Tensor, got a Tensor from another copy of lossfn/,
    );
  });

  it('revoked proxies, symbols and cyclic objects as arguments and options', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const y = tensor([0, 1], undefined, { dtype: 'int32' });
    expect(() => F.crossEntropy(proxy as never, y)).toThrow(/^crossEntropy: argument 'input' must be a Tensor, got a revoked Proxy/);
    expect(() => F.crossEntropy(x(), y, proxy as never)).toThrow(/^crossEntropy: argument 'options' must be an object, got a revoked Proxy/);
    expect(() => F.crossEntropy(x(), y, { reduction: Symbol('sum') } as never)).toThrow(/^crossEntropy: symbol "sum" is not a valid value for reduction/);
    const cyclic: Record<string, unknown> = {};
    cyclic.data = cyclic;
    expect(() => tensor(cyclic as never)).toThrow(/^tensor: /);
    expect(() => tensor([1, 2], undefined, proxy as never)).toThrow(/^tensor: argument 'options' must be an object, got a revoked Proxy/);
  });

  it('options are read once, as a copy: a throwing getter is a named error, a changing one is read once', () => {
    const y = tensor([0, 1], undefined, { dtype: 'int32' });
    const throwing = { get reduction(): string { throw new Error('boom'); } };
    expect(() => F.crossEntropy(x(), y, throwing as never)).toThrow(/^crossEntropy: option 'reduction' could not be read \(boom\)/);
    let reads = 0;
    const changing = { get reduction(): string { return reads++ === 0 ? 'sum' : 'bogus'; } };
    const l = F.crossEntropy(x(), y, changing as never);
    expect(reads).toBe(1);
    expect(l.shape).toEqual([]);
    const trap = new Proxy({ reduction: 'sum' }, { ownKeys() { throw new Error('trap'); } });
    expect(() => F.mseLoss(x(), x(), trap as never)).toThrow(/^mseLoss: argument 'options' must be an object, got Object/);
    expect(() => new nn.MSELoss(throwing as never)).toThrow(/^MSELoss: option 'reduction' could not be read/);
  });

  it('nn classes name themselves, forward included', () => {
    expect(() => new nn.MSELoss().forward(x(), tensor([1, 2]))).toThrow(/^MSELoss: argument 'target' has shape \[2\]/);
    expect(() => new nn.CrossEntropyLoss().forward(x(), tensor([5, 0], undefined, { dtype: 'int32' }))).toThrow(/^CrossEntropyLoss: argument 'target': Target 5 is out of bounds/);
  });

  it('F exports only losses (no undocumented *Options / *With helpers)', () => {
    const extra = Object.entries(F).filter(([, v]) => !isLoss(v)).map(([k]) => k);
    expect(extra).toEqual([]);
    expect(Object.keys(F).filter((k) => /Options$|With$/.test(k))).toEqual([]);
  });
});
