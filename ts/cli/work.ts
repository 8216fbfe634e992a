// What runs on a worker thread: its own lossfn module instance (the compiled module is shared
// by the main thread), one batch at a time → one metric state per loss (+ per-sample values).
// A failing batch is narrowed to its first failing row, so the error can name it.

import { F, init, metrics, tensor, type Tensor } from '../index.js';

/** One argument of a batch: values and shape [rows, ...rowShape]. */
export interface ArgData {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array;
  shape: number[];
}

export interface BatchMessage {
  type: 'batch';
  index: number;
  /** Global index of the batch's first row. */
  row0: number;
  args: ArgData[];
}

export interface LossPlan {
  name: string;
  /** The empty metric's state: the configuration, rebuilt per batch with fromState. */
  template: metrics.MetricState;
  /** How each argument is cast: float (the input dtype) or class indices (int32). */
  kinds: ('float' | 'index')[];
}

export interface WorkerSetup {
  module: WebAssembly.Module;
  dtype: 'float32' | 'float64';
  losses: LossPlan[];
  perSample: boolean;
}

/** One batch's outcome. */
export type BatchReply =
  | { type: 'result'; index: number; rows: number; states: metrics.MetricState[]; perSample: Float32Array | Float64Array | null; width: number }
  | { type: 'error'; index: number; message: string; row: number | null; arg: number | null };

export type WorkerReply = BatchReply & {
  /** The batch's buffers, transferred back for the main thread to read into again. */
  recycle: ArrayBuffer[];
};

/** A data problem found while casting (names the argument and the batch row). */
class CastError extends Error {
  constructor(message: string, readonly arg: number, readonly row: number) {
    super(message);
  }
}

/**
 * `out[i]` = the low half of int64 `i` (`w` holds the halves, little-endian); returns non-zero
 * if any high half is not its low half's sign (a misfit). A function of its own, so that the
 * loop is compiled for exactly these arrays ({@link cast} sees every array type).
 */
function narrowInt64(w: Int32Array, out: Int32Array, n: number): number {
  let misfit = 0;
  for (let i = 0; i < n; i++) {
    const lo = w[2 * i];
    misfit |= w[2 * i + 1] ^ (lo >> 31);
    out[i] = lo;
  }
  return misfit;
}

/** The argument as the loss takes it: floats in the run's dtype, or int32 class indices. */
function cast(a: ArgData, kind: 'float' | 'index', dtype: 'float32' | 'float64', arg: number): Tensor {
  const d = a.data;
  if (kind === 'float') {
    if (dtype === 'float32' && d instanceof Float32Array) return tensor(d, a.shape);
    if (dtype === 'float64' && d instanceof Float64Array) return tensor(d, a.shape);
    const out = dtype === 'float32' ? new Float32Array(d.length) : new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return tensor(out, a.shape);
  }
  if (d instanceof Int32Array) return tensor(d, a.shape);
  const out = new Int32Array(d.length);
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
  if (d instanceof BigInt64Array) {
    // int64 → int32 through the two 32-bit halves (little-endian): converting BigInts one by one
    // cost 8 ms per 65536 labels; an index fits when the high half is the low half's sign. The
    // loop only ORs the misfits together (no branch per label); the rare bad batch is scanned
    // again for the first one.
    const w = new Int32Array(d.buffer, d.byteOffset, 2 * d.length);
    const n = d.length;
    if (narrowInt64(w, out, n) !== 0) {
      for (let i = 0; i < n; i++) {
        if (w[2 * i + 1] !== w[2 * i] >> 31) throw new CastError(`a class index must fit in 32 bits, got ${d[i]}`, arg, Math.floor(i / Math.max(1, per)));
      }
    }
    return tensor(out, a.shape);
  }
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) {
      throw new CastError(`a class index must be an integer, got ${v}`, arg, Math.floor(i / Math.max(1, per)));
    }
    out[i] = v;
  }
  return tensor(out, a.shape);
}

/** Row r of an argument, as a batch of one. */
function row(a: ArgData, r: number): ArgData {
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return { data: a.data.slice(r * per, (r + 1) * per) as ArgData['data'], shape: [1, ...a.shape.slice(1)] };
}

const ARG_NAMES: Record<string, number> = { input: 0, student: 0, target: 1, teacher: 1, var: 2 };

/** The argument a loss's error message is about ("argument 'target'"), if it says. */
function argOf(message: string): number | null {
  const m = /argument '(\w+)'/.exec(message) ?? /\b(input|target|student|teacher|var)\b/.exec(message.replace(/^\w+: /, ''));
  return m ? ARG_NAMES[m[1]] ?? null : null;
}

type LossFn = (...a: unknown[]) => Tensor;

/** Runs every loss on one batch; on failure, finds the first failing row. */
export function runBatch(setup: WorkerSetup, msg: BatchMessage): BatchReply {
  const rows = msg.args[0].shape[0];
  const attempt = (args: ArgData[]): { states: metrics.MetricState[]; none: Tensor[] } => {
    const states: metrics.MetricState[] = [];
    const none: Tensor[] = [];
    for (const plan of setup.losses) {
      const ts = args.map((a, i) => cast(a, plan.kinds[i], setup.dtype, i));
      const m = metrics.fromState(plan.template).update(...ts);
      states.push(m.state());
      if (setup.perSample) {
        none.push((F as unknown as Record<string, LossFn>)[plan.name](...ts, { ...m.options, reduction: 'none' }));
      }
    }
    return { states, none };
  };
  try {
    const { states, none } = attempt(msg.args);
    let perSample: Float32Array | Float64Array | null = null;
    let width = 0;
    if (setup.perSample) {
      const widths = none.map((t) => (rows === 0 ? 0 : t.numel() / rows));
      width = widths.reduce((a, b) => a + b, 0);
      perSample = setup.dtype === 'float32' ? new Float32Array(rows * width) : new Float64Array(rows * width);
      let col = 0;
      none.forEach((t, j) => {
        const d = t.data as Float32Array | Float64Array;
        const k = widths[j];
        for (let r = 0; r < rows; r++) for (let q = 0; q < k; q++) perSample![r * width + col + q] = d[r * k + q];
        col += k;
      });
    }
    return { type: 'result', index: msg.index, rows, states, perSample, width };
  } catch (e) {
    if (e instanceof CastError) return { type: 'error', index: msg.index, message: e.message, row: msg.row0 + e.row, arg: e.arg };
    const first = (e as Error).message;
    // Narrow to the first row that fails alone (most data errors are per row).
    for (let r = 0; r < rows; r++) {
      try {
        attempt(msg.args.map((a) => row(a, r)));
      } catch (e2) {
        const message = e2 instanceof CastError ? e2.message : (e2 as Error).message;
        const arg = e2 instanceof CastError ? e2.arg : argOf(message);
        return { type: 'error', index: msg.index, message, row: msg.row0 + r, arg };
      }
    }
    return { type: 'error', index: msg.index, message: first, row: null, arg: argOf(first) };
  }
}

/** The worker's message loop (called from the bundle when it starts as a worker thread): the
 * first message is the run's setup (workers start before the first batch fixes it). */
export function workerMain(
  port: {
    once(ev: 'message', f: (m: { type: 'setup'; setup: WorkerSetup }) => void): void;
    on(ev: 'message', f: (m: BatchMessage | { type: 'stop' }) => void): void;
    postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
  },
): void {
  port.once('message', (first) => {
    const setup = first.setup;
    void init({ wasm: setup.module }).then(() => {
      port.on('message', (m) => {
        if (m.type === 'stop') process.exit(0);
        const recycle = [...new Set(m.args.map((a) => a.data.buffer as ArrayBuffer))];
        const reply = { ...runBatch(setup, m), recycle } as WorkerReply;
        const transfer = [...recycle];
        if (reply.type === 'result' && reply.perSample) transfer.push(reply.perSample.buffer as ArrayBuffer);
        port.postMessage(reply, transfer);
      });
      port.postMessage({ type: 'ready' });
    });
  });
}
