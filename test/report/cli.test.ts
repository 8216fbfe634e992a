// `lossfn compare` (dist/cli.js): each input format gives the same HTML as compare() on the same
// numbers; the built-in report; the text summary and path; usage errors exit 1, data errors 2.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../ts/index.js';
import { compare } from '../../ts/report/compare.js';
import { npyBytes, writeAll } from '../helpers/files.js';
import { rng } from '../helpers/streaming.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

interface Run { code: number; stdout: string; stderr: string }
function lossfn(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const N = 61;
const C = 5;
const COMMON = ['--family', 'classification', '--levels', '10%', '--max-samples', '40', '--seed', '3'];
let dir: string;
let files: Record<string, string>;
let logits: Float64Array;
let labels: Int32Array;

beforeAll(async () => {
  await init();
  for (const f of ['dist/cli.js', 'dist/index.js', 'dist/report/index.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` (or scripts/build.sh) first`);
  }
  // Stale bundles would test old code: rebuild both (fast) from the sources.
  for (const s of ['build-cli.mjs', 'build-report.mjs']) {
    await new Promise<void>((res, rej) => execFile(process.execPath, [join(ROOT, 'scripts', s), '--no-check'], (e) => (e ? rej(e) : res())));
  }
  dir = mkdtempSync(join(tmpdir(), 'lossfn-compare-'));
  const r = rng(11);
  logits = Float64Array.from({ length: N * C }, () => 4 * r() - 2);
  labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
  files = writeAll(dir, { logits, labels, n: N, c: C });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** compare() on the numbers the files hold, named as the CLI names them. */
async function expected(inputName: string, targetName: string): Promise<string> {
  const { html } = await compare({
    families: ['classification'], levels: [0.1], maxSamples: 40, seed: 3,
    input: { data: logits, shape: [N, C] }, target: labels, inputName, targetName,
  });
  return html;
}

describe('lossfn compare: every format gives the HTML of compare()', () => {
  const col = (file: () => string, c: string) => `${file()} (column '${c}')`;
  const cases: [string, () => string[], () => [string, string]][] = [
    ['.npy input and .npy int64 target', () => ['--input', files.npyX, '--target', files.npyY], () => [files.npyX, files.npyY]],
    ['.npz members', () => ['--input', files.deflated, '--input-column', 'logits', '--target-column', 'labels'], () => [col(() => files.deflated, 'logits'), col(() => files.deflated, 'labels')]],
    ['Arrow IPC file', () => ['--input', files.arrow, '--input-column', 'logits', '--target-column', 'label'], () => [col(() => files.arrow, 'logits'), col(() => files.arrow, 'label')]],
    ['Arrow IPC stream', () => ['--input', files.arrows, '--input-column', 'logits', '--target-column', 'label'], () => [col(() => files.arrows, 'logits'), col(() => files.arrows, 'label')]],
    ['Parquet list column', () => ['--input', files.parquet, '--input-column', 'logits', '--target-column', 'label'], () => [col(() => files.parquet, 'logits'), col(() => files.parquet, 'label')]],
    ['Parquet scalar columns', () => ['--input', files.parquet, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label'], () => [col(() => files.parquet, 'p0,p1,p2,p3,p4'), col(() => files.parquet, 'label')]],
    ['CSV', () => ['--input', files.csv, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label'], () => [col(() => files.csv, 'p0,p1,p2,p3,p4'), col(() => files.csv, 'label')]],
    ['TSV', () => ['--input', files.tsv, '--input-column', 'p0,p1,p2,p3,p4', '--target-column', 'label'], () => [col(() => files.tsv, 'p0,p1,p2,p3,p4'), col(() => files.tsv, 'label')]],
    ['JSON Lines', () => ['--input', files.jsonl, '--input-column', 'logits', '--target-column', 'label'], () => [col(() => files.jsonl, 'logits'), col(() => files.jsonl, 'label')]],
  ];
  for (const [name, args, names] of cases) {
    it(name, async () => {
      const out = join(dir, `${name.replace(/\W+/g, '_')}.html`);
      const r = await lossfn(['compare', ...COMMON, ...args(), '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Report written to ${out}`);
      expect(r.stdout).toContain('Your data:');
      const [i, t] = names();
      expect(readFileSync(out, 'utf8')).toBe(await expected(i, t));
    });
  }

  it('a regression .npy pair; the summary is compare()\'s', async () => {
    const r = rng(5);
    const t = Float64Array.from({ length: 80 }, () => 1 + 9 * r());
    const x = t.map((v) => v + r() - 0.5);
    writeFileSync(join(dir, 'x.npy'), npyBytes(x, [80]));
    writeFileSync(join(dir, 't.npy'), npyBytes(t, [80]));
    const out = join(dir, 'reg.html');
    const run = await lossfn(['compare', '--family', 'regression', '--levels', '0.1,0.2', '--max-samples', '50', '--input', join(dir, 'x.npy'), '--target', join(dir, 't.npy'), '--out', out]);
    expect(run.code).toBe(0);
    const want = await compare({ families: ['regression'], levels: [0.1, 0.2], maxSamples: 50, input: x, target: t, inputName: join(dir, 'x.npy'), targetName: join(dir, 't.npy') });
    expect(readFileSync(out, 'utf8')).toBe(want.html);
    expect(run.stdout).toBe(`${want.summary}Report written to ${out}\n`);
  });
});

describe('lossfn compare: built-in report and errors', () => {
  it('without --input: the built-in sections, summary and path', async () => {
    const out = join(dir, 'builtin.html');
    const r = await lossfn(['compare', '--family', 'localization', '--max-samples', '30', '--levels', '0.1', '--out', out]);
    expect(r.code).toBe(0);
    const want = await compare({ families: ['localization'], maxSamples: 30, levels: [0.1] });
    expect(readFileSync(out, 'utf8')).toBe(want.html);
    expect(r.stdout).toBe(`${want.summary}Report written to ${out}\n`);
  });

  const usage: [string, string[], RegExp][] = [
    ['unknown family', ['--family', 'speech'], /--family: compare: unknown family 'speech' \(this build has regression, classification, localization, segmentation, ranking, sequence\)/],
    ['bad level', ['--levels', '0.1,x'], /--levels expects shares in \[0, 1\) or percentages/],
    ['level out of range', ['--levels', '100%'], /--levels: compare: option 'levels' must be an array of shares in \[0, 1\)/],
    ['bad seed', ['--seed=-3'], /--seed: compare: option 'seed' must be an integer in \[0, 2\^32\), got -3/],
    ['bad max-samples', ['--max-samples', '5'], /--max-samples: compare: option 'maxSamples' must be an integer >= 10, got 5/],
    ['target without input', ['--target', 'y.npy'], /compare: --target, --input-column and --target-column need --input/],
    ['input without target', ['--input', 'x.npy'], /compare: --input needs --target/],
    ['unknown flag', ['--colour', 'red'], /Unknown option '--colour'/],
  ];
  for (const [name, args, msg] of usage) {
    it(`usage error (exit 1): ${name}`, async () => {
      const r = await lossfn(['compare', ...args, '--out', join(dir, 'never.html')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain('usage: lossfn eval');
      expect(existsSync(join(dir, 'never.html'))).toBe(false);
    });
  }

  it('data errors (exit 2): a missing file, shapes of no family, a label out of range', async () => {
    const missing = await lossfn(['compare', '--input', join(dir, 'nope.npy'), '--target', files.npyY]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.npy: no such file/);
    const shapes = await lossfn(['compare', '--input', files.npyY, '--target', files.npyX, '--family', 'classification']);
    expect(shapes.code).toBe(2);
    expect(shapes.stderr).toMatch(/lossfn compare: error: compare: argument '.*labels\.npy': shapes \[61\] .* match no family of classification/);
    const bad = Float64Array.from(labels, (v) => v + 3);
    writeFileSync(join(dir, 'bad.npy'), npyBytes(bad, [N]));
    const range = await lossfn(['compare', '--input', files.npyX, '--target', join(dir, 'bad.npy')]);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/bad\.npy': class index \d at row \d+ is not an integer in \[0, 5\)/);
  });
});
