// Issue 8: a seeded, bounded fuzz test over the public API. Every export of F, nn and ops, plus
// tensor(), new Tensor(), the tensor arithmetic and backward(), called with random and
// adversarial arguments: well-formed problems (so kernels run), shape/data mismatches through
// tensor-like objects, huge and wrapped integers, empty dimensions beside huge ones, NaN/±Inf,
// wrong dtypes, hostile values (revoked proxies, throwing getters, cyclic objects, symbols,
// bigints, typed arrays of another realm), inputs mutated between forward and backward.
// Asserts: never a wasm trap (WebAssembly.RuntimeError); every throw an Error whose message
// starts with the called function's name; after every failure two known values are still
// exact. Bounded: CALLS calls, or BUDGET_MS, whichever comes first; the count is printed.
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, init, nn, ops, Tensor, tensor } from '../ts/index.js';
import { isTensor } from '../ts/tensor.js';
import { isLoss, type AnyLoss } from '../ts/table.js';

beforeAll(() => init());

const SEED = Number(process.env.FUZZ_SEED ?? 0x1055f0);
const CALLS = 60_000;
const BUDGET_MS = 40_000;

/** mulberry32: a small seeded PRNG (the test must replay exactly). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const chance = (p: number): boolean => rand() < p;

const SPECIAL = [0, -0, 1, -1, 0.5, 1e-30, 1e30, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 2 ** 53, 1e-45];
const value = (): number => (chance(0.15) ? pick(SPECIAL) : (rand() - 0.5) * pick([1, 4, 20]));
const HUGE = [2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 53, 1e11];

function hostile(): unknown {
  switch (int(12)) {
    case 0: {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    case 1:
      return { get data(): never { throw new Error('getter'); }, shape: [1] };
    case 2: {
      const c: Record<string, unknown> = { shape: [2] };
      c.data = c;
      return c;
    }
    case 3:
      return Symbol('s');
    case 4:
      return 10n ** 20n;
    case 5:
      return runInNewContext('new Float32Array([1, 2, 3])');
    case 6:
      return null;
    case 7:
      return undefined;
    case 8:
      return 'mean';
    case 9:
      return [[1, 2], [3]];
    case 10:
      return { data: new Float32Array(3), shape: [pick(HUGE), 0, 2] };
    default:
      return NaN;
  }
}

type DT = 'float32' | 'float64' | 'int32' | 'int64';
/** A float tensor of `shape` (small), sometimes requiring grad. */
function floats(shape: number[], dtype: 'float32' | 'float64', grad = chance(0.6)): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = chance(0.5) ? rand() : value();
  return tensor(d, shape, { requiresGrad: grad });
}
/** Integer targets in [lo, hi) (sometimes out of range), int32 or int64. */
function ints(shape: number[], hi: number, dtype: 'int32' | 'int64' = chance(0.5) ? 'int32' : 'int64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, () => (chance(0.05) ? pick([-100, -1, hi, 2 ** 31 - 1, -(2 ** 31)]) : int(Math.max(1, hi))));
  if (dtype === 'int64') {
    const a = BigInt64Array.from(vals, (v) => BigInt(v));
    if (chance(0.05) && n > 0) a[0] = pick([2n ** 32n + 1n, -(2n ** 40n), 2n ** 62n]);
    return tensor(a, shape);
  }
  return tensor(Int32Array.from(vals), shape);
}

/** An argument for a tensor slot: mostly a plausible tensor for the problem (n, c, d), else anything. */
function tensorArg(n: number, c: number, dtype: 'float32' | 'float64', slot: number): unknown {
  const r = rand();
  if (r < 0.06) return hostile();
  const big = pick([2 ** 31, 2 ** 32 + 1, 2 ** 40, 1e11]);
  if (r < 0.1) return tensor(new Float32Array(0), pick([[0], [1, 0, big], [big, 0], [0, big], [n, 0, big]]));
  if (r < 0.14) return floats([n, c], dtype === 'float32' ? 'float64' : 'float32');
  if (r < 0.18) return ints(pick([[n, c], [n]]), c);
  if (r < 0.22) return floats(pick([[], [c], [n, c, 2], [n * c], [c, n], [n, 4], [n + 1, c]]), dtype);
  if (slot === 1 && r < 0.45) return ints(pick([[n], [n], [], [n, 2]]), c);
  if (slot === 1 && r < 0.5) return tensor(Uint8Array.from({ length: n }, () => int(c)));
  return floats(chance(0.9) ? [n, c] : [n, c, 1 + int(3)], dtype);
}

/** Option values: a spec's default domain, its known-bad values, or anything. */
function optionsFor(f: AnyLoss, n: number, c: number, dtype: 'float32' | 'float64'): unknown {
  if (chance(0.05)) return hostile();
  if (chance(0.3)) return undefined;
  const o: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(f.spec.options as Record<string, { bad: readonly unknown[]; default: unknown }>)) {
    if (!chance(0.4)) continue;
    const r = rand();
    if (r < 0.2) o[k] = pick(spec.bad);
    else if (r < 0.3) o[k] = hostile();
    else if (k === 'reduction') o[k] = pick(['none', 'mean', 'sum', 'batchmean']);
    else if (k === 'weight' || k === 'posWeight') o[k] = floats(pick([[c], [c], [n, c], [1]]), dtype, false);
    else if (typeof spec.default === 'number') o[k] = chance(0.8) ? Math.round(value() * 4) / 4 : pick(SPECIAL);
    else if (typeof spec.default === 'boolean') o[k] = chance(0.5);
    else o[k] = spec.default;
  }
  if (chance(0.03)) o.bogus = 1;
  if (chance(0.03)) return new Proxy(o, { get(t, k) { if (k === 'reduction') throw new Error('trap'); return (t as Record<string | symbol, unknown>)[k]; } });
  return o;
}

const LOSS_FNS = Object.entries(F).filter(([, v]) => isLoss(v)) as [string, AnyLoss][];
const NN = Object.entries(nn as Record<string, new (o?: unknown) => { forward(...a: unknown[]): Tensor }>);
const OPS = Object.entries(ops as Record<string, (...a: unknown[]) => unknown>).filter(([, v]) => typeof v === 'function');

interface Stats { calls: number; threw: number; ok: number; backward: number }

/** Runs `body` as a call of `name`: a throw must be an Error naming it, never a wasm trap. */
function expectNamed(name: string, body: () => unknown, stats: Stats, failures: string[]): unknown {
  stats.calls++;
  try {
    const r = body();
    stats.ok++;
    return r;
  } catch (e) {
    stats.threw++;
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof WebAssembly.RuntimeError) failures.push(`${name}: wasm trap: ${msg}`);
    else if (!(e instanceof Error)) failures.push(`${name}: threw a non-Error ${typeof e}`);
    else if (!(msg.startsWith(`${name}:`) || msg.startsWith(`${name}.`) || (name.endsWith('Options') && msg.startsWith(name.slice(0, -7))))) {
      failures.push(`${name}: message does not start with the name: ${msg.slice(0, 200)}`);
    }
    goldens(failures, name);
    return undefined;
  }
}

/** Two known values (float64, exact to 1e-15): the module is still right after a failure. */
function goldens(failures: string[], after: string): void {
  const mse = F.mseLoss(tensor([1, 2], undefined, { dtype: 'float64' }), tensor([0, 0], undefined, { dtype: 'float64' })).item();
  const ce = F.crossEntropy(tensor([[2, 0.5, -1]], undefined, { dtype: 'float64' }), tensor([0], undefined, { dtype: 'int32' })).item();
  const want = Math.log(Math.exp(2) + Math.exp(0.5) + Math.exp(-1)) - 2;
  if (mse !== 2.5 || Math.abs(ce - want) > 1e-15) failures.push(`after a failure of ${after}: golden values ${mse}, ${ce}`);
}

function maybeBackward(r: unknown, stats: Stats, failures: string[]): void {
  if (!isTensor(r) || r.gradFn === null || !chance(0.5)) return;
  stats.backward++;
  const arg = rand();
  const g = arg < 0.6 ? (r.numel() === 1 ? undefined : tensor(new Array(r.numel()).fill(1), r.shape, { dtype: r.dtype })) : arg < 0.8 ? tensor([1, 2, 3], undefined, { dtype: r.dtype }) : hostile();
  expectNamed('backward', () => r.backward(g as never, chance(0.1) ? (hostile() as never) : undefined), stats, failures);
}

describe('fuzz (seeded, bounded)', () => {
  it(`every export with random and adversarial arguments: no trap, named errors, known values intact (seed ${SEED})`, () => {
    const stats: Stats = { calls: 0, threw: 0, ok: 0, backward: 0 };
    const failures: string[] = [];
    const start = performance.now();
    while (stats.calls < CALLS && performance.now() - start < BUDGET_MS && failures.length < 20) {
      const n = pick([1, 2, 3, 5, 8]);
      const c = pick([1, 2, 3, 4, 7, 10]);
      const dtype = chance(0.5) ? 'float32' : 'float64';
      const which = rand();
      if (which < 0.55) {
        const [name, f] = pick(LOSS_FNS);
        const args = f.spec.args.map((_: string, i: number) => tensorArg(n, c, dtype, i));
        const mutate = chance(0.05);
        const r = expectNamed(name, () => (f as (...a: unknown[]) => Tensor)(...args, optionsFor(f, n, c, dtype)), stats, failures);
        if (mutate && isTensor(args[0]) && args[0].numel() > 0 && (args[0].dtype === 'float32' || args[0].dtype === 'float64')) (args[0].data as Float32Array)[0] += 1;
        maybeBackward(r, stats, failures);
      } else if (which < 0.7) {
        const [name, Cls] = pick(NN);
        const f = LOSS_FNS.find(([, g]) => g.spec.nn === name || g.spec.aliases?.includes(name))![1];
        const m = expectNamed(name, () => new Cls(optionsFor(f, n, c, dtype)), stats, failures) as { forward(...a: unknown[]): Tensor } | undefined;
        if (m) {
          const args = f.spec.args.map((_: string, i: number) => tensorArg(n, c, dtype, i));
          if (chance(0.05)) args.pop();
          maybeBackward(expectNamed(name, () => m.forward(...args), stats, failures), stats, failures);
        }
      } else if (which < 0.78) {
        const [name, op] = pick(OPS);
        const boxes = () => (chance(0.7) ? floats([int(4), 4], dtype, false) : tensorArg(n, c, dtype, 0));
        const args = [boxes(), chance(0.5) ? boxes() : pick(['xyxy', 'cxcywh', 'xywh', 'bogus', ...HUGE]), chance(0.5) ? pick(['xyxy', 'cxcywh', 'xywh']) : optionsFor(LOSS_FNS[0][1], n, c, dtype)];
        expectNamed(name, () => op(...args.slice(0, int(4))), stats, failures);
      } else if (which < 0.88) {
        const kind = int(6);
        const shape = kind === 0 ? [int(3), pick(HUGE)] : kind === 1 ? [int(4), int(4)] : kind === 2 ? [pick([-1, 1.5, NaN, 2 ** 60])] : undefined;
        const data = kind === 3 ? hostile() : kind === 4 ? Array.from({ length: int(5) }, value) : pick<unknown>([
          new Float32Array(int(9)), new Int32Array(int(9)), BigInt64Array.of(2n ** 40n), new Uint8Array(int(9)), Uint32Array.of(2 ** 32 - 1), new Uint16Array(3), [[1, 2], [3, 4]], 7,
        ]);
        const opts = chance(0.7) ? { dtype: pick<DT | 'float16'>(['float32', 'float64', 'int32', 'int64', 'float16']), requiresGrad: chance(0.3) } : hostile();
        expectNamed('tensor', () => tensor(data as never, shape, opts as never), stats, failures);
        expectNamed('Tensor', () => new Tensor(data as never, (shape ?? [int(5)]) as never, pick<DT>(['float32', 'float64', 'int32', 'int64']), chance(0.2)), stats, failures);
      } else {
        const a = floats(pick([[], [n], [n, c]]), dtype);
        const op = pick(['add', 'sub', 'mul', 'div', 'sum', 'mean'] as const);
        const other = chance(0.7) ? (chance(0.5) ? floats(pick([[], a.shape, [n + 1]]), chance(0.9) ? dtype : 'float64') : value()) : hostile();
        const r = expectNamed(op, () => (op === 'sum' || op === 'mean' ? a[op]() : a[op](other as never)), stats, failures);
        maybeBackward(r, stats, failures);
      }
    }
    const ms = performance.now() - start;
    console.log(`fuzz: ${stats.calls} calls (${stats.ok} returned, ${stats.threw} threw, ${stats.backward} backward) in ${(ms / 1000).toFixed(1)} s, seed ${SEED}`);
    expect(failures).toEqual([]);
    expect(stats.ok, 'enough calls ran a kernel').toBeGreaterThan(stats.calls / 20);
  }, BUDGET_MS + 20_000);
});
