// A user's-eye consumer of the packed `lossfn` package, imported by its NAME (resolved through
// node_modules in Node/Deno/Bun, and through an import map in the browser; no bundler).
// test/runtime.test.ts copies this file into a temporary project that `npm install`ed the tarball.
//
// Runtime-neutral: `run(caseJson, initOptions)` touches only web-standard globals, so the browser
// page imports this same module and calls `run` itself. Only the CLI part at the bottom, which
// never executes in a browser, uses node:fs (Node, Deno and Bun all provide it).
//
// CLI: `node|bun consumer.mjs case.json [init-options-json]`, `deno run --allow-read consumer.mjs
// case.json [init-options-json]` (e.g. '{"simd":"baseline"}'). Threads: '{"threads":2}' (README "Two threads").
// `case.json` is one golden case from test/golden/<loss>.json (schema: test/helpers/golden.ts).
// Prints one JSON line: {runtime, value, grad, ok, resolved, bits, ...}. `grad` is the gradient of
// the first argument ("input"); `ok` is this script's own tolerance check against the case's
// expectations; `variant` the module init() loaded (wasmVariant(): 'baseline' | 'relaxed');
// `relaxedSimd` hasRelaxedSimd(), `defaultVariant` defaultWasmVariant(); `resolved` is import.meta.resolve('lossfn'); `bits` holds the raw bytes (hex) of
// the output and of every gradient, for bit-for-bit comparison across runtimes.

import { init, tensor, F, metrics, threadCount, terminateThreads, wasmVariant, hasRelaxedSimd, defaultWasmVariant } from 'lossfn';

const num = (v) => (typeof v === 'number' ? v : Number(v)); // fixtures spell NaN/±inf as strings

export function runtimeName() {
  const g = globalThis;
  if (g.Deno?.version?.deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun ${g.Bun.version}`;
  if (g.process?.versions?.node && typeof g.document === 'undefined') return `node ${g.process.version}`;
  if (typeof g.navigator !== 'undefined') return `browser ${g.navigator.userAgent}`;
  return 'unknown';
}

function close(actual, expected, rtol, atol) {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) {
    const e = num(expected[i]);
    const v = actual[i];
    if (!Number.isFinite(e)) {
      if (!Object.is(v, e)) return false;
    } else if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) {
      return false;
    }
  }
  return true;
}

/** The raw bytes of a typed array, as hex: keeps -0 and NaN payloads, which JSON numbers lose. */
function hex(typed) {
  const u8 = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  return Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Runs one golden case through the public API; resolves to a plain JSON-able result. */
export async function run(c, initOptions) {
  await init(initOptions);
  const fn = F[c.fn];
  if (typeof fn !== 'function') throw new Error(`F.${c.fn} is not a function`);
  const toT = (t, requiresGrad = false) =>
    tensor(t.data.map(num), t.shape, { dtype: t.dtype ?? c.dtype, requiresGrad });
  const args = c.args.map((a) => toT(a, a.requiresGrad === true));
  const options = {};
  for (const [k, v] of Object.entries(c.options ?? {})) {
    options[k] = v !== null && typeof v === 'object' && 'data' in v && 'shape' in v ? toT(v) : v;
  }
  const out = fn(...args, options);
  const value = Array.from(out.data, Number);
  if (c.gradOutput) out.backward(toT(c.gradOutput));
  else out.backward();
  const grads = {};
  const bits = { output: hex(out.data) };
  c.args.forEach((a, i) => {
    if (!args[i].grad) return;
    grads[a.name] = Array.from(args[i].grad.data, Number);
    bits[`grad.${a.name}`] = hex(args[i].grad.data);
  });
  const first = c.args[0].name;
  const rtol = c.rtol ?? 1e-5;
  const atol = c.atol ?? 0;
  let ok = close(value, c.output.data, rtol, atol);
  for (const [name, g] of Object.entries(c.grads ?? {})) {
    ok &&= grads[name] !== undefined && close(grads[name], g.data, rtol, atol);
  }
  // Streaming metrics in this runtime: the case's batch in two halves (rows along dim 0),
  // one half's state through JSON, merged; equals the loss on the whole batch.
  if (c.options?.reduction !== 'none' && args[0].shape.length > 0 && args[0].shape[0] >= 2 && args.every((a) => a.shape[0] === args[0].shape[0])) {
    const n = args[0].shape[0];
    const part = (a, r0, r1) => {
      const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
      return tensor(a.data.slice(r0 * per, r1 * per), [r1 - r0, ...a.shape.slice(1)]);
    };
    const h = Math.floor(n / 2);
    const m1 = metrics.loss(c.fn, options).update(...args.map((a) => part(a, 0, h)));
    const m2 = metrics.loss(c.fn, options).update(...args.map((a) => part(a, h, n)));
    const merged = metrics.fromState(JSON.parse(JSON.stringify(m1.state()))).merge(m2.state());
    const mv = merged.compute();
    ok &&= close([mv], c.output.data, rtol, atol);
    bits.metric = hex(new Float64Array([mv]));
  }
  // Zero-copy tensors in this runtime: the same call on wasm tensors (README "Zero-copy tensors") gives
  // the same bits as on JS arrays, value and gradients; then they are freed.
  {
    const { wasmTensor } = await import('lossfn');
    const inWasm = (t) => {
      const w = wasmTensor(t.shape, { dtype: t.dtype, requiresGrad: t.requiresGrad });
      w.data.set(t.data);
      return w;
    };
    const zargs = args.map(inWasm);
    const zout = fn(...zargs, options);
    if (c.gradOutput) zout.backward(toT(c.gradOutput));
    else zout.backward();
    let same = hex(zout.data) === bits.output;
    c.args.forEach((a, i) => {
      if (args[i].grad) same &&= zargs[i].grad !== null && hex(zargs[i].grad.data) === bits[`grad.${a.name}`];
    });
    for (const w of zargs) w.free();
    ok &&= same;
    bits.zeroCopy = same ? 'same bits' : 'differs';
  }
  // A call large enough to be split across the pool when init({ threads }) started one: its
  // bits must equal every other run's, threaded or not (ts/threads.ts).
  const n = 300_000;
  const x = new Float32Array(n);
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.sin(i * 0.61) * 6;
    t[i] = (i * 7) % 3 === 0 ? 1 : 0;
  }
  const big = F.binaryCrossEntropyWithLogits(tensor(x, [n]), tensor(t, [n]));
  bits.big = hex(big.data);
  const threads = threadCount();
  terminateThreads(); // Deno's workers would keep the process alive
  let resolved = null; // where `lossfn` came from (import.meta.resolve: all four runtimes have it)
  try {
    resolved = import.meta.resolve?.('lossfn') ?? null;
  } catch {
    resolved = null;
  }
  return {
    runtime: runtimeName(),
    case: c.name,
    variant: wasmVariant(),
    relaxedSimd: hasRelaxedSimd(),
    defaultVariant: defaultWasmVariant(),
    resolved,
    value: out.shape.length === 0 ? value[0] : value,
    shape: out.shape,
    grad: grads[first] ?? null,
    grads,
    bits,
    threads,
    ok,
  };
}

// CLI entry point (Node, Deno, Bun). Never taken in a browser, which has `document`.
const cliArgs = globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2) ?? [];
if (typeof globalThis.document === 'undefined' && cliArgs.length > 0) {
  const { readFileSync } = await import('node:fs');
  const c = JSON.parse(readFileSync(cliArgs[0], 'utf8'));
  try {
    console.log(JSON.stringify(await run(c, cliArgs[1] ? JSON.parse(cliArgs[1]) : undefined)));
  } catch (e) {
    console.log(JSON.stringify({ runtime: runtimeName(), ok: false, error: String(e?.stack ?? e) }));
    if (globalThis.Deno) globalThis.Deno.exitCode = 1;
    else globalThis.process.exitCode = 1;
  }
}
