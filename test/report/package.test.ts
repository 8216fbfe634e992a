// lossfn/report as users get it: the packed tarball installed offline in a throw-away project.
//  - `import { compare } from 'lossfn/report'` gives the HTML compare() gives from the sources,
//    in Node, Deno and Bun alike;
//  - `lossfn compare` from the installed bin writes that HTML too;
//  - the package keeps no runtime dependencies: dist/report's files import only each other and
//    the library (Plot and linkedom are bundled), the licences ship in THIRD_PARTY_LICENSES.txt;
//  - `lossfn` and `lossfn/slim` never reach the report code: their import graphs (static and
//    dynamic) stay out of dist/report/ and carry neither Plot nor linkedom.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../ts/index.js';
import { compare } from '../../ts/report/compare.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Proc { code: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): Promise<Proc> {
  const env: NodeJS.ProcessEnv = { ...extra };
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] ??= v;
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: 180_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
async function mustRun(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): Promise<Proc> {
  const p = await run(cmd, args, cwd, extra);
  if (p.code !== 0) throw new Error(`${cmd} ${args.join(' ')} → ${p.code}\n${p.stdout.slice(-3000)}\n${p.stderr.slice(-3000)}`);
  return p;
}

let tmp = '';
let consumer = '';
let pkgDir = '';

beforeAll(async () => {
  await init();
  if (!existsSync(join(ROOT, 'dist', 'report', 'index.js')) || !existsSync(join(ROOT, 'dist', 'cli.js'))) {
    await mustRun('bash', ['scripts/build.sh'], ROOT);
  }
  tmp = mkdtempSync(join(tmpdir(), 'lossfn-report-pkg-'));
  const pack = await mustRun('npm', ['pack', ROOT, '--pack-destination', tmp, '--ignore-scripts', '--json'], tmp);
  const tarball = join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
  consumer = join(tmp, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'report-consumer', version: '0.0.0', private: true, type: 'module' }));
  await mustRun('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--cache', join(tmp, 'npm-cache')], consumer);
  pkgDir = join(consumer, 'node_modules', 'lossfn');
  writeFileSync(join(consumer, 'run.mjs'), `import { compare } from 'lossfn/report';
const r = await compare(${JSON.stringify(OPTS)});
process.stdout.write(JSON.stringify({ html: r.html, summary: r.summary }));`);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const OPTS = { families: ['regression', 'sequence'], maxSamples: 60, levels: [0.1], seed: 9 };

describe('the packed lossfn/report', () => {
  it('installs alone, with its licences', () => {
    expect(readdirSync(join(consumer, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['lossfn']);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies).toBeUndefined();
    expect((pkg.exports as Record<string, unknown>)['./report']).toEqual({ types: './dist/report/index.d.ts', default: './dist/report/index.js' });
    expect(existsSync(join(pkgDir, 'dist', 'report', 'index.d.ts'))).toBe(true);
    const lic = readFileSync(join(pkgDir, 'THIRD_PARTY_LICENSES.txt'), 'utf8');
    for (const name of ['@observablehq/plot@0.6.17', 'linkedom@0.18.15', 'd3-scale@', 'htmlparser2@']) expect(lic).toContain(name);
  });

  it('compare() from the package gives the sources\' HTML', async () => {
    const p = await mustRun(process.execPath, ['run.mjs'], consumer);
    const got = JSON.parse(p.stdout) as { html: string; summary: string };
    const want = await compare(OPTS);
    expect(got.summary).toBe(want.summary);
    expect(got.html).toBe(want.html);
  });

  // The geometry is rounded to 1/100 px (render.ts), so engines that differ in the last bit of
  // Math.log still write the same bytes. Deno resolves 'lossfn/report' from node_modules (the
  // consumer has a package.json), as test/runtime.test.ts runs it.
  for (const [name, cmd, args, env] of [
    ['Deno', join(ROOT, 'node_modules', '.bin', 'deno'), ['run', '--allow-read', 'run.mjs'], { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' }],
    ['Bun', join(ROOT, 'node_modules', '.bin', 'bun'), ['run.mjs'], {}],
  ] as const) {
    it(`compare() in ${name} gives Node's bytes`, async () => {
      const v = await run(cmd, ['--version'], consumer);
      if (v.code !== 0) {
        // test/runtime.test.ts owns installing these runtimes (Bun's postinstall); say so here.
        console.warn(`${name} unavailable (${v.stderr.trim().split('\n')[0]}): skipped`);
        return;
      }
      const p = await mustRun(cmd, [...args], consumer, { ...env, DENO_DIR: join(tmp, 'deno-dir') });
      const got = JSON.parse(p.stdout) as { html: string; summary: string };
      const want = await compare(OPTS);
      expect(got.summary).toBe(want.summary);
      expect(got.html).toBe(want.html);
    });
  }

  it('`lossfn compare` from the installed bin writes that HTML', async () => {
    const p = await mustRun(join(consumer, 'node_modules', '.bin', 'lossfn'), ['compare', '--family', 'regression,sequence', '--max-samples', '60', '--levels', '0.1', '--seed', '9', '--out', 'r.html'], consumer);
    const want = await compare(OPTS);
    expect(p.stdout).toBe(`${want.summary}Report written to ${join(consumer, 'r.html')}\n`);
    expect(readFileSync(join(consumer, 'r.html'), 'utf8')).toBe(want.html);
  });

  /**
   * The files an entry reaches through static and dynamic imports, and the bare packages it
   * imports, from esbuild's bundle graph of the installed files (no regex over minified code).
   */
  async function graph(entry: string): Promise<{ files: string[]; packages: string[] }> {
    const r = await build({
      entryPoints: [entry], bundle: true, write: false, metafile: true, splitting: true, outdir: join(tmp, 'graph'),
      format: 'esm', platform: 'neutral', logLevel: 'silent',
      plugins: [{ name: 'bare', setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => ({ path: a.path, external: true })); } }],
    });
    const files = Object.keys(r.metafile.inputs).map((f) => normalize(join(process.cwd(), f)));
    const packages = Object.values(r.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    return { files, packages: [...new Set(packages)] };
  }

  it('dist/report reaches only itself and the library (Plot, linkedom bundled)', async () => {
    const dist = join(pkgDir, 'dist');
    const g = await graph(join(dist, 'report', 'index.js'));
    expect(g.packages).toEqual([]);
    expect(g.files.length).toBeGreaterThanOrEqual(3);
    for (const f of g.files) expect(f.startsWith(dist), f).toBe(true);
    expect(g.files).toContain(join(dist, 'index.js'));
  });

  for (const entry of ['index.js', 'slim.js']) {
    it(`'lossfn${entry === 'slim.js' ? '/slim' : ''}' never reaches the report code`, async () => {
      const dist = join(pkgDir, 'dist');
      const g = await graph(join(dist, entry));
      expect(g.packages).toEqual([]);
      expect(g.files.length).toBeGreaterThan(10);
      expect(g.files.filter((f) => f.startsWith(join(dist, 'report')))).toEqual([]);
      for (const f of g.files) expect(readFileSync(f, 'utf8'), relative(dist, f)).not.toMatch(/observablehq|linkedom/);
    });
  }
});
