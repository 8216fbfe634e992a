// End-to-end tests of the `lossfn` command (dist/cli.js, built by scripts/build-cli.mjs): every
// input format (files made here), per-sample output, worker-count equality, shards + merge,
// list, and the error cases with their exit codes and messages. Expected values: the library's
// own losses (golden-tested against PyTorch) on the same data in one call.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, init, tensor } from '../../ts/index.js';
import { npyBytes, parseNpy, writeAll } from '../helpers/files.js';
import { rng } from '../helpers/streaming.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

interface Run { code: number; stdout: string; stderr: string }

function lossfn(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The value of the first result of a JSON run. */
async function value(args: string[]): Promise<number> {
  const r = await lossfn([...args, '--format', 'json']);
  expect(r.stderr, `stderr of lossfn ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { results: { value: number }[] }).results[0].value;
}

const N = 61;
const C = 5;
let dir: string;
let files: Record<string, string>;
let logits: Float64Array;
let labels: Int32Array;

beforeAll(async () => {
  await init();
  if (!existsSync(CLI) || !existsSync(join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/cli.js or dist/index.js is missing: run `npm run build` (or scripts/build.sh) first');
  }
  // A stale bundle would test old code: rebuild it (fast) from the sources.
  await new Promise<void>((res, rej) => execFile(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs'), '--no-check'], (e) => (e ? rej(e) : res())));
  dir = mkdtempSync(join(tmpdir(), 'lossfn-cli-'));
  const r = rng(7);
  logits = Float64Array.from({ length: N * C }, () => 4 * r() - 2);
  labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
  files = writeAll(dir, { logits, labels, n: N, c: C });
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ce64 = (): number => F.crossEntropy(tensor(logits, [N, C]), tensor(labels)).item();
const ce32 = (): number => F.crossEntropy(tensor(Float32Array.from(logits), [N, C]), tensor(labels)).item();

describe('lossfn eval: every input format gives the loss of the whole data', () => {
  const cases: [string, () => string[], 'f64' | 'f32'][] = [
    ['.npy (+ int64 labels .npy)', () => ['--input', files.npyX, '--target', files.npyY], 'f64'],
    ['.npz stored members', () => ['--input', files.stored, '--input-column', 'logits', '--target-column', 'labels'], 'f64'],
    ['.npz deflated members', () => ['--input', files.deflated, '--input-column', 'logits', '--target-column', 'labels'], 'f64'],
    ['Arrow IPC file, FixedSizeList column', () => ['--input', files.arrow, '--input-column', 'logits', '--target-column', 'label'], 'f64'],
    ['Arrow IPC stream', () => ['--input', files.arrows, '--input-column', 'logits', '--target-column', 'label'], 'f64'],
    ['Arrow IPC, List column', () => ['--input', files.listArrow, '--input-column', 'logits', '--target-column', 'label'], 'f64'],
    ['Parquet list column', () => ['--input', files.parquet, '--input-column', 'logits', '--target-column', 'label'], 'f64'],
    ['Parquet scalar columns p0..p4', () => ['--input', files.parquet, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label', '--dtype', 'float64'], 'f64'],
    ['CSV (float32 by default)', () => ['--input', files.csv, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label'], 'f32'],
    ['CSV --dtype float64', () => ['--input', files.csv, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label', '--dtype', 'float64'], 'f64'],
    ['TSV', () => ['--input', files.tsv, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label', '--dtype', 'float64'], 'f64'],
    ['JSON Lines list field', () => ['--input', files.jsonl, '--input-column', 'logits', '--target-column', 'label', '--dtype', 'float64'], 'f64'],
  ];
  for (const [label, args, kind] of cases) {
    it(label, async () => {
      const v = await value(['eval', '--loss', 'crossEntropy', ...args(), '--batch-size', '8', '--workers', '2']);
      if (kind === 'f64') expect(Math.abs(v - ce64())).toBeLessThanOrEqual(1e-12 * ce64());
      else expect(Math.abs(v - ce32())).toBeLessThanOrEqual(1e-6 * ce32());
    });
  }

  it('several losses and options: --option routed to the losses that have it, loss-prefixed options', async () => {
    const r = await lossfn(['eval', '--loss', 'crossEntropy,nllLoss,zeroOneLoss', '--input', files.npyX, '--target', files.npyY,
      '--option', 'ignoreIndex=3', '--option', 'crossEntropy.labelSmoothing=0.1', '--option', 'weight=[1,2,1,0.5,1]', '--format', 'json']);
    expect(r.stderr).toBe('');
    const res = (JSON.parse(r.stdout) as { results: { loss: string; value: number }[] }).results;
    const x = tensor(logits, [N, C]);
    const y = tensor(labels);
    const w = tensor([1, 2, 1, 0.5, 1], undefined, { dtype: 'float64' });
    expect(res[0].value).toBeCloseTo(F.crossEntropy(x, y, { ignoreIndex: 3, labelSmoothing: 0.1, weight: w }).item(), 12);
    expect(res[1].value).toBeCloseTo(F.nllLoss(x, y, { ignoreIndex: 3, weight: w }).item(), 12);
    expect(res[2].value).toBeCloseTo(F.zeroOneLoss(x, y).item(), 12);
  });

  it('table and csv output', async () => {
    const t = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY]);
    expect(t.stdout).toMatch(/^loss\s+reduction\s+value\s+rows\ncrossEntropy\s+mean\s+[\d.]+\s+61\n$/);
    const c = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY, '--format', 'csv', '--option', 'reduction=sum']);
    expect(c.stdout).toMatch(/^loss,reduction,value,rows\ncrossEntropy,sum,[\d.]+,61\n$/);
    expect(Number(c.stdout.split('\n')[1].split(',')[2])).toBeCloseTo(F.crossEntropy(tensor(logits, [N, C]), tensor(labels), { reduction: 'sum' }).item(), 10);
  });

  it('a regression loss with a third argument file (gaussianNllLoss --var)', async () => {
    const varFile = join(dir, 'var.npy');
    const tgtFile = join(dir, 'tgt.npy');
    const v = Float64Array.from(logits, (x) => 0.5 + x * x);
    const t = Float64Array.from(logits, (x) => x + 0.25);
    writeFileSync(varFile, npyBytes(v, [N, C]));
    writeFileSync(tgtFile, npyBytes(t, [N, C]));
    const got = await value(['eval', '--loss', 'gaussianNllLoss', '--input', files.npyX, '--target', tgtFile, '--var', varFile, '--batch-size', '10']);
    const want = F.gaussianNllLoss(tensor(logits, [N, C]), tensor(t, [N, C]), tensor(v, [N, C])).item();
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
  });
});

describe('lossfn eval: workers, per-sample output, shards and merge', () => {
  it('1 and 2 workers give the same value (bit for bit: exact merges of identical batches)', async () => {
    const args = ['eval', '--loss', 'crossEntropy,polyLoss', '--input', files.npyX, '--target', files.npyY, '--batch-size', '5', '--format', 'json'];
    const one = JSON.parse((await lossfn([...args, '--workers', '1'])).stdout) as { results: { value: number }[] };
    const two = JSON.parse((await lossfn([...args, '--workers', '2'])).stdout) as { results: { value: number }[] };
    expect(two.results.map((r) => r.value)).toEqual(one.results.map((r) => r.value));
  });

  it('--per-sample writes the unreduced losses in row order (.npy, one column per loss value)', async () => {
    const out = join(dir, 'per.npy');
    const r = await lossfn(['eval', '--loss', 'crossEntropy,zeroOneLoss', '--input', files.npyX, '--target', files.npyY, '--per-sample', out, '--batch-size', '6', '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    const npy = parseNpy(readFileSync(out));
    expect(npy.descr).toBe('<f8');
    expect(npy.shape).toEqual([N, 2]);
    const x = tensor(logits, [N, C]);
    const y = tensor(labels);
    const ce = F.crossEntropy(x, y, { reduction: 'none' }).data as Float64Array;
    const zo = F.zeroOneLoss(x, y, { reduction: 'none' }).data as Float64Array;
    for (let i = 0; i < N; i++) {
      expect(npy.data[2 * i]).toBe(ce[i]);
      expect(npy.data[2 * i + 1]).toBe(zo[i]);
    }
  });

  it('--shard i/n + --save-state, then merge: exactly the single-machine result, in any order', async () => {
    const base = ['eval', '--loss', 'crossEntropy,softmaxFocalLoss', '--input', files.npyX, '--target', files.npyY, '--batch-size', '2', '--format', 'json'];
    const single = JSON.parse((await lossfn(base)).stdout) as { results: { value: number }[]; rows: number };
    const states: string[] = [];
    let rows = 0;
    for (let i = 1; i <= 3; i++) {
      const s = join(dir, `shard${i}.json`);
      const r = await lossfn([...base, '--shard', `${i}/3`, '--save-state', s]);
      expect(r.code, r.stderr).toBe(0);
      rows += (JSON.parse(r.stdout) as { rows: number }).rows;
      states.push(s);
    }
    // 61 rows in batches of 2 = 31 batches = 4 groups of 8 (the last partial): shards take groups 0+3, 1, 2.
    expect(rows).toBe(N);
    for (const order of [[0, 1, 2], [2, 0, 1]]) {
      const m = await lossfn(['merge', ...order.map((k) => states[k]), '--format', 'json']);
      expect(m.code, m.stderr).toBe(0);
      const merged = JSON.parse(m.stdout) as { results: { value: number }[]; rows: number };
      expect(merged.rows).toBe(N);
      expect(merged.results.map((r) => r.value)).toEqual(single.results.map((r) => r.value));
    }
    // A shard twice would count its rows twice: refused (exit 2); a missing shard is a warning.
    const dup = await lossfn(['merge', states[0], states[1], states[0]]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/shard1\.json: shard 1\/3 was already given/);
    expect(dup.stdout).toBe('');
    const part = await lossfn(['merge', states[0], states[1]]);
    expect(part.code).toBe(0);
    expect(part.stderr).toMatch(/warning: shards 3\/3 are missing/);
  });

  it('shards of a CSV (skipped by parsing) and a shard with no batch at all merge exactly too', async () => {
    const csv = ['eval', '--loss', 'crossEntropy', '--input', files.csv, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label', '--batch-size', '4', '--format', 'json'];
    const npy = ['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY, '--batch-size', '4', '--format', 'json'];
    // 61 rows / 4 = 16 batches = 2 groups: with 3 shards, 1/3 and 2/3 take one each, 3/3 none.
    // A tensor option (in the float64 file's dtype) must be stored alike by every shard, 3/3 too.
    for (const base of [csv, [...npy, '--option', 'weight=[1,2,1,0.3,1]']]) {
      const single = JSON.parse((await lossfn(base)).stdout) as { results: { value: number }[] };
      const states = [1, 2, 3].map((i) => join(dir, `s${i}.json`));
      for (let i = 0; i < 3; i++) {
        const r = await lossfn([...base, '--shard', `${i + 1}/3`, '--save-state', states[i]]);
        expect(r.code, r.stderr).toBe(0);
        expect((JSON.parse(r.stdout) as { rows: number }).rows).toBe([32, 29, 0][i]);
      }
      const m = await lossfn(['merge', ...states, '--format', 'json']);
      expect(m.code, m.stderr).toBe(0);
      const merged = JSON.parse(m.stdout) as { results: { value: number }[]; rows: number };
      expect(merged.rows).toBe(N);
      expect(merged.results[0].value).toBe(single.results[0].value);
    }
  });

  it('merge refuses states of different configurations', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY, '--save-state', a]);
    await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY, '--option', 'labelSmoothing=0.2', '--save-state', b]);
    const r = await lossfn(['merge', a, b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/b\.json: metrics: cannot merge a crossEntropy metric .* the configurations differ/);
  });
});

describe('lossfn list', () => {
  it('lists every loss with its arguments, options and defaults', async () => {
    const r = await lossfn(['list', '--format', 'json']);
    const list = JSON.parse(r.stdout) as { name: string; options: Record<string, unknown> }[];
    // Every loss of the loss table that can stream (the table test checks the table itself).
    const { metrics } = await import('../../ts/index.js');
    expect(list.map((e) => e.name).sort()).toEqual(metrics.available().map((e) => e.name).sort());
    expect(list.find((e) => e.name === 'crossEntropy')?.options).toEqual({ ignoreIndex: -100, labelSmoothing: 0, reduction: 'mean', weight: null });
    const t = await lossfn(['list']);
    expect(t.stdout).toMatch(/huberLoss\(input, target\)\n {2}options: {4}delta=1\n/);
    expect(t.stdout).toMatch(/gaussianNllLoss\(input, target, var\)/);
  });
});

describe('lossfn: errors name the file, the column and the row; exit codes; no partial output', () => {
  it('usage errors: exit 1 with the usage line', async () => {
    for (const args of [[], ['frobnicate'], ['eval', '--input', 'x.npy'], ['eval', '--loss', 'crossEntropy', '--input', 'x.npy', '--target', 'y.npy', '--workers', '0'],
      ['eval', '--loss', 'nope', '--input', 'x.npy', '--target', 'y.npy'], ['eval', '--loss', 'crossEntropy', '--bogus']]) {
      const r = await lossfn(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/\nusage: lossfn eval --loss/);
      expect(r.stdout).toBe('');
    }
    expect((await lossfn(['eval', '--loss', 'nope', '--input', 'x.npy', '--target', 'y.npy'])).stderr).toMatch(/unknown loss 'nope'/);
    expect((await lossfn(['eval', '--loss', 'huberLoss', '--input', 'x.npy', '--target', 'y.npy', '--option', 'delta=-1'])).stderr)
      .toMatch(/huberLoss: option 'delta' does not support non-positive values, got -1/);
    expect((await lossfn(['eval', '--loss', 'mseLoss', '--input', 'x.npy', '--target', 'y.npy', '--option', 'labelSmoothing=0.1'])).stderr)
      .toMatch(/none of mseLoss has an option 'labelSmoothing'/);
  });

  it('a class index out of range: the target file and the row, exit 2, no stdout, no per-sample file', async () => {
    const bad = Int32Array.from(labels);
    bad[37] = 9;
    const f = join(dir, 'bad-labels.npy');
    writeFileSync(f, npyBytes(bad, [N]));
    const out = join(dir, 'never.npy');
    const r = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', f, '--batch-size', '8', '--per-sample', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad-labels\.npy, row 37: crossEntropy: argument 'target': Target 9 is out of bounds/);
    expect(existsSync(out)).toBe(false);
  });

  it('an int64 class index that does not fit in 32 bits names the target file and the first such row', async () => {
    // The labels' int64 → int32 narrowing checks a whole batch at once; the row named must still
    // be the first misfit (rows 21 and 30 here, in one batch of 16: 16..31), whichever sign.
    const big = BigInt64Array.from(labels, (v) => BigInt(v));
    big[21] = 2n ** 32n + 1n;
    big[30] = -(2n ** 40n);
    const f = join(dir, 'big-labels.npy');
    writeFileSync(f, npyBytes(big, [N]));
    const r = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', f, '--batch-size', '16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/big-labels\.npy, row 21: a class index must fit in 32 bits, got 4294967297/);
    big[21] = 0n;
    writeFileSync(f, npyBytes(big, [N]));
    const n = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', f, '--batch-size', '16']);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/big-labels\.npy, row 30: a class index must fit in 32 bits, got -1099511627776/);
  });

  it('a NaN where the loss forbids it (BCE input) names the input column and row', async () => {
    const csv = ['p,t', ...Array.from({ length: 20 }, (_, i) => `${i === 13 ? 'nan' : 0.5},1`)].join('\n');
    const f = join(dir, 'probs.csv');
    writeFileSync(f, csv);
    const r = await lossfn(['eval', '--loss', 'binaryCrossEntropy', '--input', f, '--input-column', 'p', '--target-column', 't', '--batch-size', '6']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/probs\.csv \(column 'p'\), row 13: binaryCrossEntropy: .*input/);
  });

  it('a non-integer class index in a text file names the column and row', async () => {
    const f = join(dir, 'frac.csv');
    writeFileSync(f, ['a,b,y', '1,2,0', '3,4,1.5', '0,0,1'].join('\n'));
    const r = await lossfn(['eval', '--loss', 'crossEntropy', '--input', f, '--input-column', 'a,b', '--target-column', 'y']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/frac\.csv \(column 'y'\), row 1: a class index must be an integer, got 1\.5/);
  });

  it('shape mismatches: row counts of input and target; row widths', async () => {
    const short = join(dir, 'short.npy');
    writeFileSync(short, npyBytes(labels.slice(0, 50), [50]));
    const r = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', short, '--batch-size', '16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/short\.npy ends at row 50 but .*logits\.npy has more rows/);
    const wide = join(dir, 'wide.npy');
    writeFileSync(wide, npyBytes(new Float64Array(N * 4), [N, 4]));
    const m = await lossfn(['eval', '--loss', 'mseLoss', '--input', files.npyX, '--target', wide]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/wide\.npy, row 0: mseLoss: argument 'target' has shape \[1, 4\] but 'input' has shape \[1, 5\]/);
    const ragged = join(dir, 'ragged.jsonl');
    writeFileSync(ragged, ['{"x":[1,2],"y":0}', '{"x":[1,2,3],"y":1}'].join('\n'));
    const j = await lossfn(['eval', '--loss', 'crossEntropy', '--input', ragged, '--input-column', 'x', '--target-column', 'y']);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/ragged\.jsonl \(column 'x'\), row 1: 3 values where earlier rows have 2 values/);
  });

  it('unreadable files: missing, not the format, truncated, missing column', async () => {
    const missing = await lossfn(['eval', '--loss', 'crossEntropy', '--input', join(dir, 'nope.npy'), '--target', files.npyY]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.npy: no such file/);
    const junk = join(dir, 'junk.npy');
    writeFileSync(junk, 'hello world, not numpy');
    expect((await lossfn(['eval', '--loss', 'crossEntropy', '--input', junk, '--target', files.npyY])).stderr).toMatch(/junk\.npy: not a \.npy file/);
    const trunc = join(dir, 'trunc.npy');
    writeFileSync(trunc, readFileSync(files.npyX).subarray(0, statSync(files.npyX).size - 100));
    const t = await lossfn(['eval', '--loss', 'crossEntropy', '--input', trunc, '--target', files.npyY]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/trunc\.npy: unexpected end of file/);
    const col = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.parquet, '--input-column', 'nope', '--target-column', 'label']);
    expect(col.code).toBe(2);
    expect(col.stderr).toMatch(/data\.parquet: no column 'nope' \(columns: logits, label, p0/);
    const npz = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.stored, '--input-column', 'x', '--target-column', 'labels']);
    expect(npz.stderr).toMatch(/stored\.npz: no member 'x' in the \.npz \(members: logits, labels\)/);
  });

  it('progress bar on stderr only when asked or on a terminal (nothing when stderr is a pipe)', async () => {
    const quiet = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY]);
    expect(quiet.stderr).toBe('');
    const shown = await lossfn(['eval', '--loss', 'crossEntropy', '--input', files.npyX, '--target', files.npyY, '--progress']);
    expect(shown.stderr).toMatch(/lossfn eval \|.*\| 100% \| 61\/61 rows \| [\d,]+ rows\/s \| ETA/);
  });
});
