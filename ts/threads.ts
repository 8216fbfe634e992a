// Two (or more) threads for large calls: the shared-memory build of the module
// (dist/lossfn-threads.wasm, scripts/build-wasm.sh), one instance per thread over one
// `WebAssembly.Memory({ shared: true })`, and a minimal fork-join pool (README "Two threads" says why
// not a pool library).
//
// A parallel call is a list of kernel calls ("chunks") that the drivers (ts/elementwise.ts,
// ts/rowloss.ts) would otherwise make one after the other on the same chunk boundaries. The
// main thread stages the operands into shared memory, announcing staged chunks as it goes;
// every thread, the main one included, claims chunks from an atomic counter and runs them;
// each chunk writes its partial statistics into its own slot; the driver then combines the
// slots in chunk order exactly as the one-thread loop does. Which thread ran a chunk changes
// nothing, so results are bit-identical to one thread for any thread count.
//
// The main thread blocks until the chunks are done (Atomics.wait in Node and workers; a spin
// on the browser main thread, where Atomics.wait throws), so F.* stays synchronous and
// autograd's backward runs in parallel too.

import type { Exports } from './wasm/abi.js';

/** A worker handle, Node's (`worker_threads`) or the Web's. */
interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

interface Pool {
  workers: WorkerLike[];
  /** Byte offset of RING control blocks in wasm memory (CTL_WORDS i32 each), one per job in
   * turn: a worker that gets a job late (after the other threads finished it) only touches
   * that job's block, never a later job's. */
  ring: number;
  /** Jobs started (selects the ring block). */
  jobs: number;
  /** Why a `threads > 1` request runs on one thread (null when it does not). */
  reason: string | null;
}

let pool: Pool = { workers: [], ring: 0, jobs: 0, reason: null };
const RING = 16;

/** Threads a large call runs on: 1 + the workers of the pool. */
export function threadCount(): number {
  return 1 + pool.workers.length;
}

/** Why `init({ threads })` gave fewer threads than asked (null when it did not, or was not asked). */
export function threadsUnavailableReason(): string | null {
  return pool.reason;
}

/** Bytes of staged input from which a call is split across the pool: below it, posting the job
 * to the workers costs more than their share of the work saves (bench/threads.mjs). */
export const PARALLEL_MIN_BYTES = 256 * 1024;

let minBytes = PARALLEL_MIN_BYTES;

/**
 * For tests and benchmarks: split calls from `bytes` bytes on (Infinity: never, i.e. one
 * thread with the same module; 0: every call); no argument restores the default.
 */
export function setParallelMinBytes(bytes = PARALLEL_MIN_BYTES): void {
  minBytes = bytes;
}

/** Whether a call over `bytes` bytes of one operand goes to the pool. */
export function parallel(bytes: number): boolean {
  return pool.workers.length > 0 && bytes >= minBytes && bytes > 0;
}

/** Chunks of one parallel call staged at a time (the bound on the call's wasm memory: this many
 * 64 KiB chunks per operand; longer calls run as several such windows, in order). */
export const WINDOW_CHUNKS = 64;

/** Per-thread shadow stack of a worker's instance. */
const STACK_BYTES = 1 << 20;
/** No progress from the workers for this long: one died (a bug); the call fails instead of hanging. */
const STALL_MS = 60_000;

// Control words of a job, in its ring block (i32): next chunk to claim, chunks done, chunks
// staged, workers that left the job. The chunks' statuses are the job's own words (`status`).
const NEXT = 0;
const DONE = 1;
const READY = 2;
const EXITED = 3;
const CTL_WORDS = 4;

// The worker: instantiates the module over the shared memory with its own stack and TLS, then
// runs jobs (claims chunks until none is left). Plain JS that runs as a Node `eval` worker (CJS)
// and as a Web module worker.
const WORKER_SOURCE = `
const node = typeof self === 'undefined';
// getBuiltinModule: an eval worker of an ES-module script (--input-type=module) has no require.
const port = !node ? self
  : (process.getBuiltinModule ? process.getBuiltinModule('node:worker_threads') : require('node:worker_threads')).parentPort;
const on = (f) => (node ? port.on('message', f) : (self.onmessage = (e) => f(e.data)));
let ex = null;
let memory = null;
on((m) => {
  if (m.type === 'init') {
    memory = m.memory;
    ex = new WebAssembly.Instance(m.module, { env: { memory } }).exports;
    ex.__stack_pointer.value = m.stackTop;
    ex.__wasm_init_tls(m.tls);
    port.postMessage({ type: 'ready' });
    return;
  }
  const ctl = new Int32Array(memory.buffer, m.ctl, ${CTL_WORDS});
  const status = new Int32Array(memory.buffer, m.status, m.calls.length);
  const f = ex[m.kernel];
  for (;;) {
    const i = Atomics.add(ctl, ${NEXT}, 1);
    if (i >= m.calls.length) break;
    for (let r = Atomics.load(ctl, ${READY}); r <= i; r = Atomics.load(ctl, ${READY})) Atomics.wait(ctl, ${READY}, r);
    let s;
    try { s = f(...m.calls[i]); } catch { s = -1; }
    Atomics.store(status, i, s);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
  Atomics.add(ctl, ${EXITED}, 1);
  Atomics.notify(ctl, ${EXITED});
});
`;

interface ThreadsGlobals {
  __stack_pointer: WebAssembly.Global;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
  __wasm_init_tls(ptr: number): void;
}

/** Why this engine cannot run the pool, or null when it can. */
export function threadsBlocker(): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    return 'SharedArrayBuffer is unavailable (browsers need a cross-origin isolated page: COOP/COEP headers)';
  }
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (COOP/COEP headers)';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'this engine cannot create shared WebAssembly memory';
  }
  return null;
}

/** Node (worker_threads) rather than Web workers. Deno and Bun take the Web path. */
function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string; bun?: string } }; Deno?: unknown };
  return g.process?.versions?.node !== undefined && g.process.versions.bun === undefined && g.Deno === undefined;
}

async function spawn(): Promise<{ w: WorkerLike; onMessage(f: (m: unknown) => void): void; onError(f: (e: unknown) => void): void }> {
  if (isNode()) {
    // A non-literal specifier: no @types/node needed, and browser bundlers leave it alone.
    const spec = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ spec)) as {
      Worker: new (src: string, o: { eval: boolean }) => WorkerLike & {
        unref(): void; on(ev: string, f: (v: unknown) => void): void;
      };
    };
    const w = new Worker(WORKER_SOURCE, { eval: true });
    return { w, onMessage: (f) => w.on('message', f), onError: (f) => w.on('error', f) };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url, { type: 'module' });
  return {
    w,
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(e.message)),
  };
}

/**
 * Instantiates the shared-memory module on the main thread and starts `threads − 1` workers
 * over its memory. Returns the main thread's exports.
 */
export async function startThreads(module: WebAssembly.Module, threads: number): Promise<Exports> {
  const imp = WebAssembly.Module.imports(module);
  const mem = imp.find((i) => i.kind === 'memory');
  if (!mem) throw new Error('init: options.threads needs the shared-memory module (lossfn/lossfn-threads.wasm), got one without imported memory');
  // Limits as the module declares them (scripts/build-wasm.sh: up to 2 GiB); the engine only
  // reserves address space for the maximum.
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 32768, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const ex = instance.exports as unknown as Exports & ThreadsGlobals;
  const tlsSize = Number(ex.__tls_size.value);
  // lossfn_alloc aligns to 16 bytes: enough for the module's thread-locals (4 today).
  if (Number(ex.__tls_align.value) > 16) throw new Error(`init: the threads module's TLS needs ${String(ex.__tls_align.value)}-byte alignment`);
  const ring = ex.lossfn_alloc(RING * CTL_WORDS * 4) >>> 0;
  if (ring === 0) throw new Error('init: cannot allocate the thread pool in wasm memory');
  new Int32Array(memory.buffer, ring, RING * CTL_WORDS).fill(0);
  const started: WorkerLike[] = [];
  try {
    for (let k = 1; k < threads; k++) {
      const stack = ex.lossfn_alloc(STACK_BYTES) >>> 0;
      const tls = ex.lossfn_alloc(Math.max(tlsSize, 1)) >>> 0;
      if (stack === 0 || tls === 0) throw new Error('init: cannot allocate worker stacks in wasm memory');
      const { w, onMessage, onError } = await spawn();
      started.push(w);
      let ready = false;
      await new Promise<void>((resolve, reject) => {
        onMessage((m) => {
          if ((m as { type?: string }).type === 'ready') {
            ready = true;
            resolve();
          }
        });
        onError((e) => {
          if (!ready) reject(new Error(`init: a lossfn worker failed to start: ${String(e)}`));
          // A worker that died later leaves the pool: later calls do not wait for it.
          else pool = { ...pool, workers: pool.workers.filter((x) => x !== w) };
        });
        // The stack grows down from its top (16-byte aligned).
        w.postMessage({ type: 'init', module, memory, stackTop: stack + STACK_BYTES, tls });
      });
      // The pool never keeps a process alive: a script ends when its own work does. (After the
      // listeners: adding a 'message' listener refs a Node worker again.)
      (w as { unref?: () => void }).unref?.();
    }
  } catch (e) {
    for (const w of started) void w.terminate();
    throw e;
  }
  pool = { workers: started, ring, jobs: 0, reason: null };
  return ex;
}

/** Records that a `threads` request runs on one thread, and why (warned once, as onnxruntime-web does). */
export function singleThread(reason: string | null): void {
  stopWorkers();
  pool = { workers: [], ring: 0, jobs: 0, reason };
  if (reason !== null) console.warn(`lossfn: init({ threads }) runs on one thread: ${reason}`);
}

function stopWorkers(): void {
  for (const w of pool.workers) void w.terminate();
}

/**
 * Stops the worker threads. Later calls run on the main thread (the same module and memory),
 * with the same results. Idempotent.
 */
export function terminateThreads(): void {
  stopWorkers();
  pool = { workers: [], ring: 0, jobs: 0, reason: pool.reason };
}

let blockCache: boolean | null = null;
/** Whether this thread may Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  if (blockCache === null) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockCache = true;
    } catch {
      blockCache = false;
    }
  }
  return blockCache;
}

/** Waits until word `i` of `ctl` reaches `target`; throws naming `fn` if nothing moves for STALL_MS. */
function waitFor(ctl: Int32Array, i: number, target: number, fn: string): void {
  let last = Atomics.load(ctl, i);
  let since = Date.now();
  const block = canBlock();
  while (last < target) {
    if (block) Atomics.wait(ctl, i, last, 100);
    const v = Atomics.load(ctl, i);
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) {
      throw new Error(`${fn}: a lossfn worker thread stopped responding`);
    }
  }
}

/** One parallel call: the chunks' kernel calls and how their operands get staged. */
export interface Job {
  /** Public function name, for errors. */
  fn: string;
  /** The kernel export every chunk calls. */
  kernel: string;
  /** Each chunk's arguments. */
  calls: number[][];
  /** Byte offset of calls.length free i32 words in wasm memory (the chunks' statuses). */
  status: number;
  /** Stages the operands of chunks [c0, c1) (main thread); called in order, before those
   * chunks are announced to the workers. */
  stage(c0: number, c1: number): void;
}

/** Chunks staged (and announced) at a time: workers start on the first ones while the main
 * thread copies the rest. */
const STAGE_BLOCK = 8;

/**
 * Runs every chunk of `job`, on the pool and the main thread; returns when all are done. A
 * chunk's non-OK status is re-run on the main thread so that its error (with `fn`'s name) is
 * the one-thread call's.
 */
export function runJob(ex: Exports, job: Job, check: (status: number) => void): void {
  const n = job.calls.length;
  const workers = pool.workers;
  const at = pool.ring + (pool.jobs++ % RING) * CTL_WORDS * 4;
  const ctl = new Int32Array(ex.memory.buffer, at, CTL_WORDS);
  // The block's previous job (RING jobs ago): every worker has left it, normally long since.
  if (pool.jobs > RING) waitFor(ctl, EXITED, workers.length, job.fn);
  ctl.fill(0);
  const status = new Int32Array(ex.memory.buffer, job.status, n);
  for (const w of workers) w.postMessage({ kernel: job.kernel, calls: job.calls, ctl: at, status: job.status });
  try {
    for (let c0 = 0; c0 < n; c0 += STAGE_BLOCK) {
      const c1 = Math.min(n, c0 + STAGE_BLOCK);
      job.stage(c0, c1);
      Atomics.store(ctl, READY, c1);
      Atomics.notify(ctl, READY);
    }
  } catch (e) {
    // Release the workers: no chunk left to claim, none waiting for staging (a chunk already
    // claimed runs on whatever its slots hold, and its result is never read).
    Atomics.store(ctl, NEXT, n);
    Atomics.store(ctl, READY, n);
    Atomics.notify(ctl, READY);
    throw e;
  }
  const f = (ex as unknown as Record<string, (...a: number[]) => number>)[job.kernel];
  for (;;) {
    const i = Atomics.add(ctl, NEXT, 1);
    if (i >= n) break;
    Atomics.store(status, i, f(...job.calls[i]));
    Atomics.add(ctl, DONE, 1);
  }
  waitFor(ctl, DONE, n, job.fn);
  for (let i = 0; i < n; i++) {
    const s = Atomics.load(status, i);
    if (s !== 0) {
      check(f(...job.calls[i]));
      throw new Error(`${job.fn}: a lossfn worker thread failed on chunk ${i} (status ${s})`);
    }
  }
}
