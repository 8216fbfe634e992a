// One runtime's side of the cross-runtime benchmark (bench/runtimes.mjs): loads lossfn (with
// `init(initOptions)`: the default module, or one forced with { simd }), builds the benchmark
// entries of bench/entries.mjs and, on request, times one entry at one size for one window.
// The driver interleaves such windows across runtimes, so that a noisy stretch of the shared
// machine hits every runtime alike.
//
// Runtime-neutral: `createAgent` touches only web-standard globals (the Chromium page imports this
// module and calls it through page.evaluate). The CLI part at the bottom (Node, Deno, Bun) speaks
// JSON lines on stdin/stdout: the first line is the init options (and optionally `lib`, another
// build's dist/index.js: bench/runtimes.mjs's `runtime@checkout` specs), each later one a `run`
// request.

import { makeEntries, rng } from './entries.mjs';
import { measure } from './measure.mjs';

const SEED = 0x1055f;

/** The runtime and its engine, as precisely as each exposes them. */
export function runtimeInfo() {
  const g = globalThis;
  if (g.Deno?.version?.deno) return { runtime: `Deno ${g.Deno.version.deno}`, engine: `V8 ${g.Deno.version.v8}` };
  if (g.Bun?.version) return { runtime: `Bun ${g.Bun.version}`, engine: `JavaScriptCore${g.process?.versions?.webkit ? ` (WebKit ${g.process.versions.webkit})` : ''}` };
  if (g.process?.versions?.node && typeof g.document === 'undefined') return { runtime: `Node ${g.process.version}`, engine: `V8 ${g.process.versions.v8}` };
  const ua = g.navigator?.userAgent ?? 'unknown';
  const m = /(Chrome|Chromium)\/([\d.]+)/.exec(ua);
  return { runtime: m ? `Chromium ${m[2]}` : ua, engine: m ? `V8 of Chromium ${m[2].split('.')[0]}` : 'unknown' };
}

/**
 * `lib`: the module specifier of the lossfn to load (default this package; a file URL of another
 * checkout's dist/index.js to measure an older build, whose API may lack `wasmVariant` and
 * `hasRelaxedSimd`: such a build has the baseline module only).
 */
export async function createAgent(initOptions, lib = 'lossfn') {
  const lossfn = await import(lib);
  await lossfn.init(initOptions);
  const entries = new Map(makeEntries({ F: lossfn.F, tensor: lossfn.tensor }).map((e) => [e.name, e]));
  const inputs = new Map();
  return {
    info: { ...runtimeInfo(), variant: lossfn.wasmVariant?.() ?? 'baseline', relaxedSimd: lossfn.hasRelaxedSimd?.() ?? false, entries: [...entries.keys()] },
    /**
     * Times `name` at size `n` for about `ms` milliseconds (after a warm-up of `warmMs`):
     * seconds per call (median and fastest sample), elements per call, the loss value.
     */
    run({ name, n, ms, warmMs }) {
      const e = entries.get(name);
      if (!e) throw new Error(`no benchmark entry ${name}`);
      const key = `${name}@${n}`;
      if (!inputs.has(key)) inputs.set(key, e.make(n, rng(SEED)));
      const inp = inputs.get(key);
      const t = measure(e.lossfn, inp, { minTime: ms / 1e3, minSamples: 5, slowSamples: 3, sampleMs: 5, warmMs }, 1);
      return { median: t.median, min: t.min, samples: t.samples, value: t.value, n: inp.n ?? n };
    },
  };
}

// CLI (Node, Deno, Bun): never taken in a browser, which has `document`.
if (typeof globalThis.document === 'undefined' && (globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2) ?? []).includes('--serve')) {
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input: globalThis.process.stdin, terminal: false });
  let agent = null;
  for await (const line of lines) {
    if (!line.trim()) continue;
    let reply;
    try {
      const msg = JSON.parse(line);
      if (agent === null) {
        agent = await createAgent(msg.init, msg.lib);
        reply = agent.info;
      } else {
        reply = agent.run(msg);
      }
    } catch (e) {
      reply = { error: String(e?.stack ?? e) };
    }
    globalThis.process.stdout.write(JSON.stringify(reply) + '\n');
  }
}
