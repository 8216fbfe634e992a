// The benchmark on several runtimes at once, paired: one agent per runtime (bench/agent.mjs: a
// child process for Node, Deno and Bun; a headless Chromium page), and every measurement is a
// round of short windows, one per agent, taken back to back in rotating order. Ratios to the
// first runtime are computed per round and reported with their range, so a burst of load from
// other processes on the (small, shared) machine hits both sides of each ratio alike.
//
// Usage: node bench/runtimes.mjs [runtime …]   (or BENCH_RUNTIMES=node24,node20,…)
//   runtimes: node24 node22 node20 (the Node binaries scripts/setup-node.sh unpacks into
//   .toolchain/node-<major>, or the node running this script if it is that major; `node` is
//   the one running this script), deno, bun, chromium,
//   each optionally suffixed :baseline or :relaxed to force lossfn's module (default: what
//   init() picks there) or :<file>.wasm to load that module file (a variant under test; not
//   for chromium), and optionally suffixed @<checkout> to load another build's lossfn
//   (<checkout>/dist/index.js, built there; e.g. node20@/work/wt/b3d: Node 20 on an older
//   commit's build; not for chromium). `all` = node24 node22 node20 deno bun chromium. The
//   first is the reference of the ratios.
// Knobs: BENCH_FILTER=regex (entry names; default the kernels of issue 16's table)
//   BENCH_SIZES=1e5,1e6  BENCH_ROUNDS=21  BENCH_WINDOW_MS=30 (short windows, many rounds: the
//   two sides of a ratio run within milliseconds of each other, so bursts of load cancel out)
// Output: a markdown table on stdout, .bench/runtimes.md and .bench/runtimes.json.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const BIN = path.join(ROOT, 'node_modules', '.bin');
const CHROMIUM = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ALL = ['node24', 'node22', 'node20', 'deno', 'bun', 'chromium'];
let specs = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (specs.length === 0) specs = (env.BENCH_RUNTIMES ?? 'all').split(/[,\s]+/).filter(Boolean);
specs = specs.flatMap((s) => (s === 'all' ? ALL : [s]));
const FILTER = new RegExp(env.BENCH_FILTER ?? '^(crossEntropy|sigmoidFocalLoss|logCosh|binaryCrossEntropyWithLogits|mseLoss)$');
const SIZES = (env.BENCH_SIZES ?? '1e5,1e6').split(',').map((s) => Math.round(Number(s)));
const ROUNDS = Number(env.BENCH_ROUNDS ?? 21);
const WINDOW_MS = Number(env.BENCH_WINDOW_MS ?? 30);
const log = (...a) => console.error(...a);

// ── agents ──────────────────────────────────────────────────────────────────────────────────

/** A child process speaking JSON lines (bench/agent.mjs --serve). */
function processAgent(label, cmd, args) {
  const child = spawn(cmd, [...args, path.join(ROOT, 'bench', 'agent.mjs'), '--serve'], {
    cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  let buf = '';
  const waiting = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim().startsWith('{')) waiting.shift()?.resolve(JSON.parse(line));
    }
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${label}: agent exited with code ${code}`));
  });
  const ask = (msg) => new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    child.stdin.write(JSON.stringify(msg) + '\n');
  });
  return { label, ask, close: async () => child.stdin.end() };
}

/** A static server of the repo for the Chromium agent (import map: lossfn → dist/index.js). */
function serve() {
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>bench</title>
<script type="importmap">{"imports": {"lossfn": "/dist/index.js"}}</script></head><body></body></html>`;
  const types = { '.js': 'application/javascript', '.mjs': 'application/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (p === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    const file = path.normalize(path.join(ROOT, p));
    if (!file.startsWith(ROOT + path.sep) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function chromiumAgent(label, initOptions) {
  const { chromium } = await import('playwright-core');
  const server = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('pageerror', (e) => log(`${label}: ${e.message}`));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const info = await page.evaluate(async (opts) => {
    const { createAgent } = await import('/bench/agent.mjs');
    window.__agent = await createAgent(opts);
    return window.__agent.info;
  }, initOptions);
  info.runtime = `Chromium ${browser.version()}`; // the page's user agent says only 156.0.0.0
  return {
    label,
    info,
    ask: (msg) => page.evaluate((m) => window.__agent.run(m), msg),
    close: async () => {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

async function startAgent(spec) {
  const [runtime, checkout] = spec.split('@');
  const [name, simd] = runtime.split(':');
  let lib;
  if (checkout) {
    const dist = path.resolve(checkout, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error(`runtime ${spec}: ${dist} is missing (run bash scripts/build.sh in ${checkout})`);
    if (name === 'chromium') throw new Error(`runtime ${spec}: @<checkout> is for the process runtimes`);
    lib = pathToFileURL(dist).href;
  }
  // :<file>.wasm: that module file (init({ wasm: file URL }), e.g. a variant built for an A/B).
  const file = simd?.endsWith('.wasm') ? path.resolve(simd) : null;
  if (simd && !file && simd !== 'baseline' && simd !== 'relaxed') throw new Error(`runtime ${spec}: the module is :baseline, :relaxed or :<file>.wasm`);
  if (file && (name === 'chromium' || !existsSync(file))) throw new Error(`runtime ${spec}: ${name === 'chromium' ? ':<file>.wasm is for the process runtimes' : `${file} is missing`}`);
  const initOptions = file ? { wasm: pathToFileURL(file).href } : simd ? { simd } : {};
  if (name === 'chromium') {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup-chromium.sh installs it)`);
    return chromiumAgent(spec, initOptions);
  }
  let agent;
  if (name === 'node') agent = processAgent(spec, process.execPath, []);
  else if (/^node\d+$/.test(name)) {
    // .toolchain/node-<major> (scripts/setup-node.sh), or this very node if it is that major.
    let bin = path.join(ROOT, '.toolchain', `node-${name.slice(4)}`, 'bin', 'node');
    if (!existsSync(bin) && process.versions.node.split('.')[0] === name.slice(4)) bin = process.execPath;
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run bash scripts/setup-node.sh (versions: package.json config.testNode)`);
    agent = processAgent(spec, bin, []);
  } else if (name === 'deno') agent = processAgent(spec, path.join(BIN, 'deno'), ['run', '--allow-read', '--allow-env']);
  else if (name === 'bun') agent = processAgent(spec, path.join(BIN, 'bun'), []);
  else throw new Error(`unknown runtime ${spec} (known: node, ${ALL.join(', ')})`);
  agent.info = await agent.ask({ init: initOptions, lib });
  if (checkout) agent.info.checkout = checkout;
  if (agent.info.error) throw new Error(`${spec}: ${agent.info.error}`);
  return agent;
}

// ── the paired measurement ──────────────────────────────────────────────────────────────────

const agents = [];
for (const s of specs) {
  agents.push(await startAgent(s));
  const a = agents.at(-1);
  log(`${a.label}: ${a.info.runtime}, ${a.info.engine}, lossfn module ${a.info.variant}`);
}
const names = agents[0].info.entries.filter((n) => FILTER.test(n));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The q-quantile of xs (linear interpolation). */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = (s.length - 1) * q;
  return s[Math.floor(k)] + (s[Math.ceil(k)] - s[Math.floor(k)]) * (k - Math.floor(k));
};

const rows = [];
for (const name of names) {
  for (const n of SIZES) {
    // Warm-up (JIT, input arrays) on every agent, then the rounds, each agent's start rotating.
    for (const a of agents) {
      const r = await a.ask({ name, n, ms: 50, warmMs: 150 });
      if (r.error) throw new Error(`${a.label} ${name}: ${r.error}`);
    }
    const per = agents.map(() => []);
    let elems = n;
    let values = agents.map(() => null);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < agents.length; k++) {
        const i = (k + round) % agents.length;
        const r = await agents[i].ask({ name, n, ms: WINDOW_MS, warmMs: 10 });
        if (r.error) throw new Error(`${agents[i].label} ${name}: ${r.error}`);
        per[i].push(r.median);
        elems = r.n;
        values[i] = r.value;
      }
    }
    const ratios = per.map((ts) => ts.map((t, r) => per[0][r] / t)); // speed vs the reference, per round
    const row = {
      name, n: elems,
      results: agents.map((a, i) => ({
        runtime: a.label,
        mps: elems / Math.min(...per[i]) / 1e6,
        best: Math.min(...per[0]) / Math.min(...per[i]),
        ratio: median(ratios[i]),
        lo: quantile(ratios[i], 0.25),
        hi: quantile(ratios[i], 0.75),
        value: values[i],
      })),
    };
    rows.push(row);
    log(`  ${name} N=${elems}: ${row.results.map((r) => `${r.runtime} ${r.mps.toFixed(0)} M/s ×${r.best.toFixed(2)} (×${r.ratio.toFixed(2)})`).join(', ')}`);
  }
}
for (const a of agents) await a.close();

// ── report ──────────────────────────────────────────────────────────────────────────────────

const fmtN = (n) => (Number.isInteger(Math.log10(n)) ? `1e${Math.log10(n)}` : String(n));
const header = ['Loss', 'N', ...agents.map((a, i) => (i === 0 ? `${a.label} M/s` : `${a.label} M/s (×best; rounds ×median, IQR)`))];
const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
for (const row of rows) {
  lines.push(`| ${row.name} | ${fmtN(row.n)} | ${row.results.map((r, i) => (i === 0
    ? r.mps.toFixed(0)
    : `${r.mps.toFixed(0)} (×${r.best.toFixed(2)}; ×${r.ratio.toFixed(2)}, ${r.lo.toFixed(2)}–${r.hi.toFixed(2)})`)).join(' | ')} |`);
}
const cpu = (() => {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  } catch {
    return os.cpus()[0]?.model;
  }
})();
const md = [
  '## lossfn across runtimes (paired)',
  '',
  `Millions of elements per second (crossEntropy: logits, rows of 1000 classes), float32, \`reduction: 'mean'\`, from plain typed arrays to a JS number (\`F.xxx(tensor(x), tensor(t)).item()\`, copies included). Each cell: the fastest of ${ROUNDS} windows of ${WINDOW_MS} ms (median call per window), then in parentheses its ratio to ${agents[0].label}'s fastest (×best; > 1 is faster), and the median and interquartile range of the ${ROUNDS} per-round ratios, each from windows run back to back in rotating order.`,
  '',
  `- Machine: ${cpu}, ${os.availableParallelism?.() ?? os.cpus().length} logical cores, load average ${os.loadavg()[0].toFixed(2)} at the end`,
  ...agents.map((a) => `- ${a.label}: ${a.info.runtime}, ${a.info.engine}, lossfn's ${a.info.variant} module${a.info.relaxedSimd ? '' : ' (no relaxed SIMD)'}${a.info.checkout ? `, the build in ${a.info.checkout}` : ''}`),
  '',
  lines.join('\n'),
  '',
].join('\n');
mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
writeFileSync(path.join(ROOT, '.bench/runtimes.md'), md);
writeFileSync(path.join(ROOT, '.bench/runtimes.json'), JSON.stringify({
  date: new Date().toISOString(), cpu, rounds: ROUNDS, windowMs: WINDOW_MS,
  agents: agents.map((a) => ({ label: a.label, ...a.info, entries: undefined })), rows,
}, null, 2) + '\n');
console.log(md);
