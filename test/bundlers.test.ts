// Issue 8, finding 1: a bundled app works with no configuration. One app,
// `import { init, F, tensor } from 'lossfn'; init().then(...)`, bundled as users do — esbuild
// (platform node and browser), rolldown and `bun build`, each bundle run in Node; a vite build
// of an index.html app and a webpack production build, run in headless Chromium
// (playwright-core + Debian's chromium, as test/runtime.test.ts) — must compute the mseLoss
// value and gradient below. `"sideEffects":
// false` stays: the inlined module is reached from `init` itself (ts/index.ts), so no bundler
// can drop it. The package is the built one (dist/; `npm test` builds first), linked into a
// throw-away consumer's node_modules as an installed dependency is.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUN = join(ROOT, 'node_modules', '.bin', 'bun');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const TIMEOUT = 120_000;

// x = [0.5, 1.5, −2], t = [1, 1, 1]: mean((x − t)²) = (0.25 + 0.25 + 9)/3, ∂x = 2(x − t)/3.
const APP = `import { init, F, tensor } from 'lossfn';
init().then(() => {
  const x = tensor([0.5, 1.5, -2], undefined, { dtype: 'float64', requiresGrad: true });
  const loss = F.mseLoss(x, tensor([1, 1, 1], undefined, { dtype: 'float64' }));
  loss.backward();
  return JSON.stringify({ loss: loss.item(), grad: Array.from(x.grad.data) });
}, (e) => JSON.stringify({ error: String(e && e.message || e) })).then((out) => {
  if (typeof document !== 'undefined') { window.__result = out; document.title = 'done'; } else console.log(out);
});
`;
const WANT = { loss: 9.5 / 3, grad: [-1 / 3, 1 / 3, -2] };

let dir = '';

function check(out: string, what: string): void {
  const r = JSON.parse(out.trim().split('\n').pop()!) as { loss?: number; grad?: number[]; error?: string };
  expect(r.error, `${what}: init() failed in the bundle`).toBeUndefined();
  expect(Math.abs(r.loss! - WANT.loss), `${what}: loss ${r.loss}`).toBeLessThanOrEqual(1e-15);
  r.grad!.forEach((g, i) => expect(Math.abs(g - WANT.grad[i]), `${what}: grad[${i}]`).toBeLessThanOrEqual(1e-15));
}

function run(cmd: string, args: string[], cwd = dir): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: TIMEOUT, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout));
  });
}

const runNode = (file: string) => run(process.execPath, [file]);

beforeAll(() => {
  expect(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is built (npm run build)').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'lossfn-bundlers-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'lossfn'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(join(dir, 'app.js'), APP);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title><script type="module" src="./app.js"></script>\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a bundled app works with no configuration (finding 1)', () => {
  it.each(['node', 'browser'] as const)('esbuild, platform %s, run in Node', async (platform) => {
    const { build } = await import('esbuild');
    const out = join(dir, `esbuild-${platform}.mjs`);
    await build({ entryPoints: [join(dir, 'app.js')], bundle: true, platform, format: 'esm', outfile: out, logLevel: 'silent', absWorkingDir: dir });
    check(await runNode(out), `esbuild ${platform}`);
  }, TIMEOUT);

  it('rolldown, run in Node', async () => {
    const { rolldown } = await import('rolldown');
    const bundle = await rolldown({ input: join(dir, 'app.js'), cwd: dir, logLevel: 'silent' });
    const out = join(dir, 'rolldown.mjs');
    await bundle.write({ file: out, format: 'esm' });
    await bundle.close();
    check(await runNode(out), 'rolldown');
  }, TIMEOUT);

  it('bun build, run in Node', async () => {
    const out = join(dir, 'bun.mjs');
    await run(BUN, ['build', join(dir, 'app.js'), '--outfile', out]);
    check(await runNode(out), 'bun build');
  }, TIMEOUT);

  it.skipIf(!HAVE_CHROMIUM && !process.env.CI)('vite build of an index.html app, run in Chromium', async () => {
    expect(HAVE_CHROMIUM, `${CHROMIUM} is missing on CI (scripts/setup-chromium.sh should install it)`).toBe(true);
    const { build } = await import('vite');
    const outDir = join(dir, 'vite-out');
    await build({ root: dir, configFile: false, logLevel: 'silent', build: { outDir } });
    // The inlined module is in the bundle (the vite bundle was 14.5 KB, without it).
    const js = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
    const bytes = js.reduce((s, f) => s + statSync(join(outDir, 'assets', f)).size, 0);
    expect(bytes, 'vite bundle size').toBeGreaterThan(500_000);
    check(await inChromium(outDir), 'vite build in Chromium');
  }, TIMEOUT);

  it.skipIf(!HAVE_CHROMIUM && !process.env.CI)('webpack (production mode, no configuration file), run in Chromium', async () => {
    expect(HAVE_CHROMIUM, `${CHROMIUM} is missing on CI (scripts/setup-chromium.sh should install it)`).toBe(true);
    const { default: webpack } = await import('webpack');
    const outDir = join(dir, 'webpack-out');
    // What `npx webpack ./app.js` does: production mode, the default output (main.js).
    const stats = await new Promise<import('webpack').Stats>((resolve, reject) => {
      webpack({ mode: 'production', context: dir, entry: './app.js', output: { path: outDir }, infrastructureLogging: { level: 'none' } }, (err, s) =>
        err || !s ? reject(err ?? new Error('webpack: no stats')) : resolve(s));
    });
    expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
    writeFileSync(join(outDir, 'index.html'), '<!doctype html><title>app</title><script src="./main.js"></script>\n');
    check(await inChromium(outDir), 'webpack in Chromium');
  }, TIMEOUT);
});

/** Serves `root` and loads its index.html in headless Chromium; the app's JSON result. */
async function inChromium(root: string): Promise<string> {
  const server = await serve(root);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
    await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
    const out = (await page.evaluate(() => (window as unknown as { __result: string }).__result)) as string;
    expect(errors).toEqual([]);
    return out;
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A static file server over `root` (the vite output). */
function serve(root: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
