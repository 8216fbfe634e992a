// Cross-runtime test of the BUILT, PACKED package, used as a consumer would use it: Node (the
// machine's, and the other LTS lines of package.json's config.testNode), Deno, Bun, Chromium.
//
// beforeAll: `npm pack` the repo (dist/ must be built; `npm test` builds first, and this file
// builds with scripts/build.sh if dist/index.js is missing), then a throw-away consumer project in
// a temp dir installs the tarball offline and gets test/runtime/consumer.mjs, which does
// `import { init, tensor, F } from 'lossfn'` by package name. Then one test per runtime:
//   Node, Deno, Bun: `<runtime> consumer.mjs case.json` prints one JSON line;
//   Chromium (playwright-core + Debian's /usr/bin/chromium): a node:http static server serves the
//   consumer dir and an index.html whose import map maps `lossfn` to node_modules/lossfn/dist;
//   one page uses the default `init()` (inlined base64 wasm), another
//   `init({ wasm: fetch('/node_modules/lossfn/dist/lossfn.wasm') })` (the Response path).
//   The server sends COOP/COEP (cross-origin isolation), so a third page runs init({ threads: 2 }).
// Each CLI runtime also runs with init({ threads: 2 }) (the `threads` argument of consumer.mjs):
// the worker starts (threadCount() = 2), and the consumer's large call, split across the pool,
// must give every other run's bits.
// Both modules, baseline SIMD128 and relaxed SIMD, in every runtime that has relaxed SIMD (all but
// Node 20): the default init() must pick the relaxed one where the engine fuses its multiply-adds
// (Node 22/24, Deno, Chromium; not Bun, which validates relaxed SIMD but does not fuse, nor
// Node 20), init({ simd }) forces either, and the browser page must download only the module it
// uses.
// Every result is checked against a float32 'mean' golden case of test/golden/mse_loss.json
// (output and input gradient, rtol 1e-5), and all runtimes must agree bit for bit.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');
const DENO = join(BIN, 'deno');
// The LTS lines besides the machine's own Node, unpacked by scripts/setup-node.sh (npm test runs it).
const OTHER_NODES = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { config: { testNode: string } })
  .config.testNode.split(/\s+/).map((v) => ({ version: v, bin: join(ROOT, '.toolchain', `node-${v.split('.')[0]}`, 'bin', 'node') }));
const BUN = join(BIN, 'bun');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PROC_TIMEOUT_MS = 60_000;
const RTOL = 1e-5;

// ---------------------------------------------------------------------------------------------
// The golden case

type Num = number | string;
interface FixtureTensor { shape: number[]; dtype?: string; data: Num[]; name?: string; requiresGrad?: boolean }
interface GoldenCase {
  name: string; fn: string; dtype: string;
  args: (FixtureTensor & { name: string })[];
  options: Record<string, unknown>;
  output: FixtureTensor;
  gradOutput?: FixtureTensor;
  grads?: Record<string, FixtureTensor>;
  rtol: number; atol: number;
}

/** A float32 'mean' case with a gradient for the input, from the fixture (or a hand-made one). */
function pickCase(): GoldenCase {
  const file = join(ROOT, 'test', 'golden', 'mse_loss.json');
  if (existsSync(file)) {
    const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: GoldenCase[] }).cases;
    const c = cases.find((k) =>
      k.fn === 'mseLoss' && k.dtype === 'float32' && k.options.reduction === 'mean' &&
      k.args[0]?.requiresGrad === true && k.grads?.[k.args[0].name] !== undefined &&
      k.args[0].shape.reduce((a, b) => a * b, 1) > 1 &&
      [...k.output.data, ...k.grads[k.args[0].name].data].every((v) => typeof v === 'number'));
    if (c) return c;
  }
  // Fallback, derived by hand: mse([0.5, 2], [1, 1]) = ((0.5-1)^2 + (2-1)^2) / 2 = (0.25 + 1) / 2
  // = 0.625; d/dinput = 2 (input - target) / n = [2·(-0.5)/2, 2·1/2] = [-0.5, 1].
  return {
    name: 'hand-derived mse [0.5,2] vs [1,1] mean float32', fn: 'mseLoss', dtype: 'float32',
    args: [
      { name: 'input', shape: [2], dtype: 'float32', data: [0.5, 2], requiresGrad: true },
      { name: 'target', shape: [2], dtype: 'float32', data: [1, 1] },
    ],
    options: { reduction: 'mean' },
    output: { shape: [], data: [0.625] },
    grads: { input: { shape: [2], data: [-0.5, 1] } },
    rtol: RTOL, atol: 0,
  };
}

const CASE = pickCase();

interface RunResult {
  runtime: string; case: string; value: number | number[]; shape: number[];
  grad: number[] | null; grads: Record<string, number[]>; bits: Record<string, string>; ok: boolean; resolved?: string | null;
  variant?: string; relaxedSimd?: boolean; defaultVariant?: string;
  mode?: string; error?: string; threads?: number;
}

function closeTo(actual: number[], expected: Num[], atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = Number(expected[i]);
    const v = actual[i];
    if (!(Math.abs(v - e) <= atol + RTOL * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${v}, expected ${e} (rtol ${RTOL}, atol ${atol})`);
    }
  }
}

/** Checks one runtime's result against the golden case; `context` goes into every message. */
function checkResult(r: RunResult, context: string): void {
  expect(r.error, `${context}\nthe consumer threw`).toBeUndefined();
  expect(r.case, context).toBe(CASE.name);
  expect(r.shape, `${context}\noutput shape`).toEqual(CASE.output.shape);
  const value = Array.isArray(r.value) ? r.value : [r.value];
  closeTo(value, CASE.output.data, CASE.atol, `${r.runtime}: output`);
  const first = CASE.args[0].name;
  expect(r.grad, `${context}\nno gradient for ${first}`).not.toBeNull();
  closeTo(r.grad as number[], (CASE.grads as Record<string, FixtureTensor>)[first].data, CASE.atol, `${r.runtime}: grad ${first}`);
  expect(r.ok, `${context}\nthe consumer's own check failed`).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Proc { cmd: string; code: number | null; signal: string | null; stdout: string; stderr: string; error?: string }

/** The environment for children, minus npm's lifecycle variables (npm_config_*, npm_package_*…). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = childEnv()): Promise<Proc> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: PROC_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; signal?: string }) | null;
        resolve({
          cmd: line,
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          error: e && typeof e.code !== 'number'
            ? (e.killed ? `killed after the ${PROC_TIMEOUT_MS} ms timeout` : e.message) : undefined,
        });
      });
  });
}

function describeProc(p: Proc): string {
  return `\`${p.cmd}\` → exit ${p.code}${p.signal ? `, signal ${p.signal}` : ''}${p.error ? ` (${p.error})` : ''}\n` +
    `--- stdout\n${p.stdout.slice(-4000)}\n--- stderr\n${p.stderr.slice(-4000)}`;
}

async function mustRun(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Proc> {
  const p = await run(cmd, args, cwd, env);
  if (p.code !== 0) throw new Error(`command failed: ${describeProc(p)}`);
  return p;
}

/** The last JSON line a consumer printed. */
function parseLine(p: Proc): RunResult {
  const line = p.stdout.trim().split('\n').reverse().find((l) => l.trimStart().startsWith('{'));
  if (!line) throw new Error(`no JSON line on stdout: ${describeProc(p)}`);
  return JSON.parse(line) as RunResult;
}

// ---------------------------------------------------------------------------------------------
// Fixture: packed package + consumer project

let tmp = '';
let consumer = '';
const versions: Record<string, string> = {};
const results: Record<string, RunResult> = {};

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'dist', 'lossfn.wasm'))) {
    await mustRun('bash', ['scripts/build.sh'], ROOT); // `npm test` builds first; this is a fallback
  }
  tmp = mkdtempSync(join(tmpdir(), 'lossfn-runtime-'));
  consumer = join(tmp, 'consumer');

  // npm pack the repo (no lifecycle scripts: dist/ is already built).
  const pack = await mustRun('npm', ['pack', ROOT, '--pack-destination', tmp, '--ignore-scripts', '--json'], tmp);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const tarball = join(tmp, info.filename);
  const packed = info.files.map((f) => f.path);
  for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/wasm/bytes.js', 'dist/wasm/bytes_relaxed.js', 'dist/lossfn.wasm', 'dist/lossfn-relaxed.wasm', 'dist/cli.js',
    'dist/wasm/bytes-threads.js', 'dist/lossfn-threads.wasm']) {
    expect(packed, `tarball lacks ${f}`).toContain(f);
  }

  // A consumer project that installs only the tarball, offline, with an empty private cache:
  // this works only because lossfn has no runtime dependencies. The `lossfn` command's
  // libraries (formats, progress bar) are bundled into dist/cli.js by scripts/build-cli.mjs, so
  // the library entry points and installs stay free of them (see README "The lossfn command").
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'),
    JSON.stringify({ name: 'lossfn-runtime-consumer', version: '0.0.0', private: true, type: 'module' }, null, 2));
  await mustRun('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts',
    '--cache', join(tmp, 'npm-cache')], consumer);
  const installed = readdirSync(join(consumer, 'node_modules')).filter((n) => !n.startsWith('.'));
  expect(installed, 'the consumer should get lossfn and nothing else').toEqual(['lossfn']);
  const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules', 'lossfn', 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(pkg.dependencies ?? {}, 'lossfn must have no runtime dependencies').toEqual({});
  expect(pkg.peerDependencies ?? {}).toEqual({});

  // The bin works from the bare install (its bundled libraries, no dependencies).
  const bin = join(consumer, 'node_modules', '.bin', 'lossfn');
  expect(existsSync(bin), 'npm should link the lossfn bin').toBe(true);
  const list = await mustRun(process.execPath, [join(consumer, 'node_modules', 'lossfn', 'dist', 'cli.js'), 'list', '--format', 'json'], consumer);
  expect((JSON.parse(list.stdout) as unknown[]).length, 'lossfn list from the installed package').toBeGreaterThanOrEqual(41);

  copyFileSync(join(ROOT, 'test', 'runtime', 'consumer.mjs'), join(consumer, 'consumer.mjs'));
  writeFileSync(join(consumer, 'case.json'), JSON.stringify(CASE));

  // Bun from npm needs its postinstall (it swaps in the native binary); run it if it was skipped.
  let bunV = await run(BUN, ['--version'], ROOT);
  // Its placeholder says "Error: Bun's postinstall script was not run."
  const bunInstall = join(ROOT, 'node_modules', 'bun', 'install.js');
  if (bunV.code !== 0 && existsSync(bunInstall)) {
    await mustRun(process.execPath, [bunInstall], ROOT);
    bunV = await run(BUN, ['--version'], ROOT);
  }
  versions.node = process.version;
  versions.bun = bunV.stdout.trim() || `unavailable: ${bunV.stderr.trim()}`;
  const denoV = await run(DENO, ['--version'], ROOT);
  versions.deno = denoV.stdout.split('\n')[0]?.trim() || `unavailable: ${denoV.stderr.trim()}`;
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (Object.keys(versions).length) console.log(`[runtime.test] ${JSON.stringify(versions)}`);
});

/** The consumer must have loaded lossfn from the consumer project's node_modules. */
function expectResolvedLocally(r: RunResult, context: string): void {
  const want = pathToFileURL(join(realpathSync(consumer), 'node_modules', 'lossfn', 'dist', 'index.js')).href;
  expect(r.resolved, `${context}\nlossfn resolved elsewhere`).toBe(want);
}

/**
 * Runs the consumer in a CLI runtime with the default init() and with each module forced:
 * `relaxed` says whether the runtime has relaxed SIMD (then both modules are run), `auto` which
 * module the default init() must load there. With `threads`, one run of init({ threads: 2 }):
 * the worker starts (threadCount() = 2) and the shared-memory module (a baseline build) gives
 * every other run's bits for the baseline-comparable outputs.
 */
async function cliRuntime(
  key: string, cmd: string, args: string[], relaxed: boolean, auto: 'baseline' | 'relaxed', env?: NodeJS.ProcessEnv, threads = false,
): Promise<void> {
  const modes = threads
    ? ([['threads', { threads: 2 }]] as const)
    : ([['auto', undefined], ['baseline', { simd: 'baseline' }], ...(relaxed ? [['relaxed', { simd: 'relaxed' }]] : [])] as const);
  for (const [mode, opts] of modes) {
    const p = await run(cmd, [...args, 'consumer.mjs', 'case.json', ...(opts ? [JSON.stringify(opts)] : [])], consumer, env);
    const context = `init ${mode}: ${describeProc(p)}`;
    expect(p.code, context).toBe(0);
    const r = parseLine(p);
    checkResult(r, context);
    expectResolvedLocally(r, context);
    expect(r.relaxedSimd, `${context}\nhasRelaxedSimd()`).toBe(relaxed);
    expect(r.defaultVariant, `${context}\ndefaultWasmVariant()`).toBe(auto);
    expect(r.threads, `${context}\nthreadCount()`).toBe(threads ? 2 : 1);
    if (!threads) expect(r.variant, `${context}\nthe module loaded`).toBe(mode === 'auto' ? auto : mode);
    results[mode === 'auto' ? key : `${key}-${mode}`] = r;
  }
}

/** Node ≥ 22 runs relaxed SIMD without a flag; Node 20 does not. */
const nodeHasRelaxed = (version: string) => Number(version.replace(/^v/, '').split('.')[0]) >= 22;

// ---------------------------------------------------------------------------------------------
// Static server + browser

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript', '.mjs': 'application/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8', '.ts': 'text/plain', '.map': 'application/json',
};

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>running</title>
<script type="importmap">{"imports": {"lossfn": "/node_modules/lossfn/dist/index.js"}}</script>
<script type="module">
  const mode = new URLSearchParams(location.search).get('init') || 'inline';
  try {
    const { run } = await import('/consumer.mjs');
    const c = await (await fetch('/case.json')).json();
    const opts = mode === 'fetch' ? { wasm: fetch('/node_modules/lossfn/dist/lossfn.wasm') }
      : mode === 'fetch-relaxed' ? { wasm: fetch('/node_modules/lossfn/dist/lossfn-relaxed.wasm') }
      : mode === 'inline-baseline' ? { simd: 'baseline' } : mode === 'threads' ? { threads: 2 } : undefined;
    window.__result = { mode, ...(await run(c, opts)) };
  } catch (e) {
    window.__result = { mode, ok: false, error: String((e && e.stack) || e) };
  }
  document.title = 'done';
</script></head><body></body></html>
`;

/** Cross-origin isolation (SharedArrayBuffer, so init({ threads }) gets its workers). */
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

function startServer(root: string, log: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(path);
    if (path === '/favicon.ico') { res.writeHead(204).end(); return; }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': CONTENT_TYPES['.html'], 'cache-control': 'no-store', ...ISOLATED }).end(INDEX_HTML);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      ...ISOLATED,
    }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------------------------------------

describe(`the packed package imported by name (golden case: mse_loss "${CASE.name}")`, () => {
  it('Node', async () => {
    const relaxed = nodeHasRelaxed(process.version);
    await cliRuntime('node', process.execPath, [], relaxed, relaxed ? 'relaxed' : 'baseline');
    expect(results.node.runtime).toBe(`node ${process.version}`);
  }, 90_000);

  for (const other of OTHER_NODES) {
    const have = existsSync(other.bin);
    it.skipIf(!have && !process.env.CI)(`Node ${other.version}`, async () => {
      expect(have, `${other.bin} is missing on CI (scripts/setup-node.sh should unpack it)`).toBe(true);
      const key = `node${other.version.split('.')[0]}`;
      const relaxed = nodeHasRelaxed(other.version);
      await cliRuntime(key, other.bin, [], relaxed, relaxed ? 'relaxed' : 'baseline');
      expect(results[key].runtime).toBe(`node v${other.version}`);
      versions[key] = `v${other.version}`;
    }, 90_000);
  }

  it('Deno', async () => {
    // Deno 2 sees package.json + node_modules and resolves bare `lossfn` from node_modules
    // (no --node-modules-dir flag needed). A private DENO_DIR keeps it off the user's cache.
    await cliRuntime('deno', DENO, ['run', '--allow-read'], true, 'relaxed',
      childEnv({ DENO_DIR: join(tmp, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' }));
    expect(results.deno.runtime).toMatch(/^deno \d/);
  }, 90_000);

  it('Bun', async () => {
    // JavaScriptCore validates relaxed SIMD but computes relaxed_madd unfused: baseline by default.
    await cliRuntime('bun', BUN, [], true, 'baseline');
    expect(results.bun.runtime).toMatch(/^bun \d/);
  }, 90_000);

  // init({ threads: 2 }): the same case and the same bits (the large call split in two).
  it('Node, init({ threads: 2 })', async () => {
    await cliRuntime('node-threads', process.execPath, [], nodeHasRelaxed(process.version), nodeHasRelaxed(process.version) ? 'relaxed' : 'baseline', undefined, true);
  }, 90_000);
  for (const other of OTHER_NODES) {
    it.skipIf(!existsSync(other.bin))(`Node ${other.version}, init({ threads: 2 })`, async () => {
      await cliRuntime(`node${other.version.split('.')[0]}-threads`, other.bin, [], nodeHasRelaxed(other.version), nodeHasRelaxed(other.version) ? 'relaxed' : 'baseline', undefined, true);
    }, 90_000);
  }
  it('Deno, init({ threads: 2 })', async () => {
    await cliRuntime('deno-threads', DENO, ['run', '--allow-read'], true, 'relaxed',
      childEnv({ DENO_DIR: join(tmp, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' }), true);
  }, 90_000);
  it('Bun, init({ threads: 2 })', async () => {
    await cliRuntime('bun-threads', BUN, [], true, 'baseline', undefined, true);
  }, 90_000);

  it.skipIf(!HAVE_CHROMIUM && !process.env.CI)('Chromium (import map; inline init, either module, init({ wasm: fetch(...) }) of either file and, cross-origin isolated, init({ threads: 2 }))', async () => {
    expect(HAVE_CHROMIUM, `${CHROMIUM} is missing on CI (scripts/setup-chromium.sh should install it)`).toBe(true);
    const { chromium } = await import('playwright-core');
    const log: string[] = [];
    const server = await startServer(consumer, log);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: PROC_TIMEOUT_MS });
    try {
      versions.chromium = browser.version();
      for (const mode of ['inline', 'inline-baseline', 'fetch', 'fetch-relaxed', 'threads'] as const) {
        const page = await browser.newPage();
        const messages: string[] = [];
        page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') messages.push(`console.${m.type()}: ${m.text()}`); });
        page.on('pageerror', (e) => messages.push(`pageerror: ${e.stack ?? e.message}`));
        page.on('requestfailed', (r) => messages.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
        const before = log.length;
        await page.goto(`${base}/?init=${mode}`);
        const context = () => `chromium, init=${mode}\n--- page messages\n${messages.join('\n')}\n--- requests\n${log.slice(before).join('\n')}`;
        try {
          await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
        } catch (e) {
          throw new Error(`the page never finished: ${String(e)}\n${context()}`);
        }
        const r = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as RunResult;
        await page.close();
        checkResult(r, `${context()}\n--- result\n${JSON.stringify(r).slice(0, 2000)}`);
        expect(r.mode).toBe(mode);
        expect(r.runtime, context()).toMatch(/^browser .*Chrome\//);
        expect(r.resolved, context()).toBe(`${base}/node_modules/lossfn/dist/index.js`);
        // Chromium has relaxed SIMD: the default is the relaxed module. The page downloads the
        // one module it uses: the inline paths one of the two inlined-bytes files and no .wasm,
        // the Response paths their .wasm file and neither inlined file.
        expect(r.relaxedSimd, context()).toBe(true);
        expect(r.defaultVariant, context()).toBe('relaxed');
        expect(r.variant, context()).toBe(mode === 'inline' || mode === 'fetch-relaxed' ? 'relaxed' : 'baseline');
        expect(r.threads, context()).toBe(mode === 'threads' ? 2 : 1);
        const requested = new Set(log.slice(before));
        const files = ['/node_modules/lossfn/dist/lossfn.wasm', '/node_modules/lossfn/dist/lossfn-relaxed.wasm',
          '/node_modules/lossfn/dist/wasm/bytes.js', '/node_modules/lossfn/dist/wasm/bytes_relaxed.js'];
        // init({ threads }) loads the shared-memory module (bytes-threads.js) instead of either.
        const want = { inline: [files[3]], 'inline-baseline': [files[2]], fetch: [files[0]], 'fetch-relaxed': [files[1]], threads: [] }[mode];
        expect(files.filter((f) => requested.has(f)), `module files requested with init=${mode}\n${context()}`).toEqual(want);
        expect(messages, context()).toEqual([]);
        results[`chromium-${mode}`] = r;
      }
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 120_000);

  it('every runtime computed the same bits', (ctx) => {
    const keys = Object.keys(results);
    if (keys.length < 2) ctx.skip();
    const ref = results[keys[0]];
    for (const k of keys.slice(1)) {
      // Raw bytes (hex) of output and gradients: JSON numbers would hide -0 vs +0.
      expect(results[k].bits, `${k} vs ${keys[0]}: raw bytes of output and gradients`).toEqual(ref.bits);
    }
  });
});
