// `lossfn eval`: read the input/target (and var) files in lockstep batches, score each batch on a
// worker thread (one metric state per loss), merge the states exactly, print the results.
// Memory is bounded by the batches in flight (2 per worker + 1 being read) plus one decoded
// piece per reader; see the README ("Memory" under the CLI) for the bound.

import { availableParallelism } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { defaultWasmVariant, metrics, tensor } from '../index.js';
import { DataError, UsageError, where } from './errors.js';
import type { NumArray } from './npy.js';
import { NpyWriter } from './npy.js';
import { Pool } from './pool.js';
import { Progress } from './progress.js';
import { openReader, type Format, type TableReader } from './readers.js';
import type { ArgData, LossPlan, WorkerReply } from './work.js';

/** One tensor argument's source. */
export interface ArgSource {
  /** 'input', 'target', 'var'. */
  role: string;
  file: string;
  format: Format;
  column: string | null;
}

export interface EvalOptions {
  losses: string[];
  /** Options per loss (already parsed: numbers, booleans, strings, arrays for tensors). */
  options: Record<string, unknown>[];
  sources: ArgSource[];
  batchSize: number;
  workers: number;
  perSample: string | null;
  shard: { index: number; count: number } | null;
  saveState: string | null;
  dtype: 'float32' | 'float64' | null;
  progress: boolean;
}

/** Batches per shard group: `--shard i/n` scores groups g with g mod n = i − 1. */
export const GROUP_BATCHES = 8;

/** The results of a run (or a merge). */
export interface Result {
  loss: string;
  reduction: string;
  options: Record<string, unknown>;
  value: number;
  batches: number;
}

export interface CliState {
  format: 'lossfn.cli-state';
  version: 1;
  shard: { index: number; count: number } | null;
  batchSize: number;
  groupBatches: number;
  rows: number;
  sources: ArgSource[];
  metrics: metrics.MetricState[];
}

/** Losses whose target (argument 1) holds class indices. */
const INDEX_TARGETS = new Set(['nllLoss', 'softmaxFocalLoss', 'polyLoss', 'multiMarginLoss', 'multilabelMarginLoss', 'zeroOneLoss', 'arcFaceLoss', 'cosFaceLoss', 'sphereFaceLoss']);
const TENSOR_OPTIONS = new Set(['weight', 'posWeight']);

/** Builds the metrics (validating names and options) with tensor options in `dtype`. */
export function buildMetrics(losses: string[], options: Record<string, unknown>[], dtype: 'float32' | 'float64'): metrics.LossMetric[] {
  return losses.map((name, i) => {
    const o = Object.fromEntries(Object.entries(options[i]).map(([k, v]) =>
      [k, TENSOR_OPTIONS.has(k) && Array.isArray(v) ? tensor(v as number[], undefined, { dtype }) : v]));
    try {
      return metrics.loss(name, o);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
}

const dtypeOfArray = (a: NumArray, format: Format): 'float32' | 'float64' =>
  a instanceof Float64Array && format !== 'csv' && format !== 'tsv' && format !== 'jsonl' ? 'float64' : 'float32';

/** Concatenates chunks into one fresh array (transferable to a worker). */
function concat(parts: NumArray[]): NumArray {
  if (parts.length === 1) {
    const p = parts[0];
    if (p.byteOffset === 0 && p.byteLength === p.buffer.byteLength && p.buffer instanceof ArrayBuffer) return p;
  }
  const big = parts.some((p) => p instanceof BigInt64Array);
  const same = parts.every((p) => p.constructor === parts[0].constructor);
  const n = parts.reduce((a, p) => a + p.length, 0);
  const Ctor = (same ? parts[0].constructor : big ? BigInt64Array : Float64Array) as new (n: number) => NumArray;
  const out = new Ctor(n);
  let at = 0;
  for (const p of parts) {
    if (same) (out as Float64Array).set(p as Float64Array, at);
    else for (let i = 0; i < p.length; i++) (out as Float64Array)[at + i] = (big ? BigInt(p[i] as never) : Number(p[i])) as number;
    at += p.length;
  }
  return out;
}

interface Group {
  reader: TableReader;
  /** For each of the reader's columns, the argument index it feeds. */
  args: number[];
}

/** Reads up to `n` rows from a group's reader: one array per column, and the row count. */
async function take(g: Group, n: number, alloc: (bytes: number) => ArrayBuffer): Promise<{ rows: number; cols: NumArray[] }> {
  const parts: NumArray[][] = g.args.map(() => []);
  let rows = 0;
  while (rows < n) {
    const c = await g.reader.next(n - rows, alloc);
    if (c === null) break;
    c.cols.forEach((col, i) => parts[i].push(col));
    rows += c.rows;
  }
  return { rows, cols: parts.map((p) => (p.length === 0 ? new Float64Array(0) : concat(p))) };
}

/** Runs `lossfn eval`; returns the results (the caller prints them). */
export async function runEval(o: EvalOptions, script: URL): Promise<{ results: Result[]; rows: number; peakRss: number }> {
  // Names and options first (usage errors before touching files).
  buildMetrics(o.losses, o.options, 'float64');
  for (const name of o.losses) {
    const args = metrics.available().find((e) => e.name === name)?.args ?? [];
    if (args.length > o.sources.length) throw new UsageError(`${name} takes ${args.join(', ')}: pass --${args[2] ?? 'var'} <file>`);
  }
  const nargs = Math.max(...o.losses.map((n) => metrics.available().find((e) => e.name === n)?.args.length ?? 2));
  const sources = o.sources.slice(0, nargs);

  // One reader per (file, format); its columns feed the arguments in order.
  const groups: Group[] = [];
  const byKey = new Map<string, { args: number[]; specs: (string | null)[]; file: string; format: Format }>();
  sources.forEach((s, i) => {
    const key = `${s.format}\u0000${s.file}`;
    const e = byKey.get(key) ?? { args: [], specs: [], file: s.file, format: s.format };
    e.args.push(i);
    e.specs.push(s.column);
    byKey.set(key, e);
  });
  try {
    for (const e of byKey.values()) groups.push({ reader: await openReader(e.file, e.format, e.specs), args: e.args });
  } catch (e) {
    await Promise.all(groups.map((g) => g.reader.close()));
    throw e;
  }

  // Workers start now, while the first batch is read (the batch fixes their setup).
  const spawned = Pool.spawn(o.workers, script);
  const inputGroup = groups.find((g) => g.args.includes(0)) as Group;
  const progress = o.progress ? new Progress(inputGroup.reader.totalRows) : null;
  let pool: Pool | null = null;
  let writer: NpyWriter | null = null;
  let failure: { index: number; error: Error } | null = null;
  const fail = (index: number, error: Error): void => {
    if (failure === null || index < failure.index) failure = { index, error };
  };
  try {
    let ms: metrics.LossMetric[] | null = null;
    let plans: LossPlan[] = [];
    let dtype: 'float32' | 'float64' = o.dtype ?? 'float32';
    const inflight = new Set<Promise<void>>();
    const limit = 2 * o.workers;
    const pendingOut = new Map<number, { data: Float32Array | Float64Array; rows: number; width: number }>();
    let nextOut = 0;
    let writeChain = Promise.resolve();
    let scored = 0;
    let scanned = 0;
    let batch = 0;
    // Batch buffers come back from the workers and are read into again: the same few buffers
    // circulate, so memory does not wait for garbage collection in any thread.
    const spare = new Map<number, ArrayBuffer[]>();
    const alloc = (bytes: number): ArrayBuffer => spare.get(bytes)?.pop() ?? new ArrayBuffer(bytes);
    const recycle = (bufs: ArrayBuffer[]): void => {
      for (const b of bufs) {
        const list = spare.get(b.byteLength) ?? [];
        if (list.length < limit + 2) list.push(b);
        spare.set(b.byteLength, list);
      }
    };
    const wants = (b: number): boolean => o.shard === null || Math.floor(b / GROUP_BATCHES) % o.shard.count === o.shard.index - 1;

    const onReply = (r: WorkerReply, row0: number, rows: number): void => {
      recycle(r.recycle);
      if (r.type === 'error') {
        const s = r.arg !== null ? sources[r.arg] : null;
        const loc = s ? where(s.file, s.column) : sources.map((x) => where(x.file, x.column)).join(' / ');
        const rowText = r.row !== null ? `row ${r.row}` : `rows ${row0}..${row0 + rows - 1}`;
        fail(r.index, new DataError(`${loc}, ${rowText}: ${r.message}`));
        return;
      }
      (ms as metrics.LossMetric[]).forEach((m, i) => m.merge(r.states[i]));
      scored += r.rows;
      if (o.perSample !== null && r.perSample !== null) {
        pendingOut.set(r.index, { data: r.perSample, rows: r.rows, width: r.width });
        // Write in batch order (results arrive in any order).
        while (pendingOut.has(nextOut)) {
          const p = pendingOut.get(nextOut) as { data: Float32Array | Float64Array; rows: number; width: number };
          pendingOut.delete(nextOut);
          nextOut++;
          writeChain = writeChain.then(async () => {
            writer ??= await NpyWriter.create(o.perSample as string, dtype, [p.width]);
            await writer.append(p.data, p.rows);
          });
        }
      }
    };

    for (;;) {
      if (failure !== null) break;
      // Skipped by --shard (once the first batch has fixed the dtype, so that every shard's
      // state has the same configuration even when it scores nothing).
      if (!wants(batch) && ms !== null) {
        // Skipped by --shard: advance every reader (a seek for .npy); stop at the end.
        let skipped = o.batchSize;
        for (const g of groups) skipped = Math.min(skipped, await g.reader.skip(o.batchSize));
        if (skipped === 0) break;
        scanned += skipped;
        if (o.perSample !== null) nextOut++;
        batch++;
        progress?.update(scanned);
        continue;
      }
      const taken: { rows: number; cols: NumArray[] }[] = [];
      for (const g of groups) taken.push(await take(g, o.batchSize, alloc));
      const rows = taken[0].rows;
      for (let k = 1; k < groups.length; k++) {
        if (taken[k].rows !== rows) {
          const a = groups[0];
          const b = groups[k];
          const [more, fewer] = taken[k].rows > rows ? [b, a] : [a, b];
          throw new DataError(`${fewer.reader.file} ends at row ${scanned + Math.min(rows, taken[k].rows)} but ${more.reader.file} has more rows; input and target must have the same number of rows`);
        }
      }
      if (rows === 0) break;
      const args: ArgData[] = new Array(sources.length);
      groups.forEach((g, k) => g.args.forEach((a, i) => {
        const rs = g.reader.rowShapes[i] ?? [];
        args[a] = { data: taken[k].cols[i], shape: [rows, ...rs] };
      }));
      if (ms === null) {
        // The first batch fixes the dtype, the option tensors and each loss's target kind.
        dtype = o.dtype ?? dtypeOfArray(args[0].data, sources[0].format);
        ms = buildMetrics(o.losses, o.options, dtype);
        const inRow = args[0].shape.slice(1);
        const tRow = args[1]?.shape.slice(1) ?? [];
        const sameRow = inRow.length === tRow.length && inRow.every((v, i) => v === tRow[i]);
        plans = o.losses.map((name, i) => ({
          name,
          template: (ms as metrics.LossMetric[])[i].state(),
          kinds: sources.map((_, a) => (a === 1 && (INDEX_TARGETS.has(name) || (name === 'crossEntropy' && !sameRow)) ? 'index' : 'float')),
        }));
        // The module init() would pick here (relaxed SIMD where the engine fuses), the same in
        // every worker: results stay bit for bit the same for any number of workers.
        const file = defaultWasmVariant() === 'relaxed' ? './lossfn-relaxed.wasm' : './lossfn.wasm';
        const bytes = await readFile(new URL(file, script));
        const module = await WebAssembly.compile(bytes);
        pool = spawned;
        await pool.setup({ module, dtype, losses: plans, perSample: o.perSample !== null });
      }
      if (!wants(batch)) {
        recycle(args.map((a) => a.data.buffer as ArrayBuffer));
        scanned += rows;
        if (o.perSample !== null) nextOut++;
        batch++;
        if (rows < o.batchSize) break;
        continue;
      }
      const index = batch;
      const row0 = scanned;
      const job = (pool as Pool).run({ type: 'batch', index, row0, args }).then((r) => onReply(r, row0, rows), (e: Error) => fail(index, e));
      const tracked: Promise<void> = job.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      scanned += rows;
      batch++;
      progress?.update(scanned);
      if (inflight.size >= limit) await Promise.race(inflight);
      if (rows < o.batchSize) break;
    }
    await Promise.all(inflight);
    await writeChain;
    if (failure !== null) throw (failure as { error: Error }).error;
    ms ??= buildMetrics(o.losses, o.options, dtype);
    if (o.perSample !== null) {
      writer ??= await NpyWriter.create(o.perSample, dtype, [0]);
      await (writer as NpyWriter).finish();
      writer = null;
    }
    const results = ms.map((m, i) => ({ loss: o.losses[i], reduction: m.reduction, options: m.optionsJSON, value: m.compute(), batches: m.count }));
    if (o.saveState !== null) {
      const state: CliState = {
        format: 'lossfn.cli-state', version: 1, shard: o.shard, batchSize: o.batchSize, groupBatches: GROUP_BATCHES,
        rows: scored, sources, metrics: ms.map((m) => m.state()),
      };
      await writeFile(o.saveState, `${JSON.stringify(state, null, 1)}\n`);
    }
    progress?.stop(scanned);
    return { results, rows: scored, peakRss: process.resourceUsage().maxRSS * 1024 };
  } catch (e) {
    progress?.stop(null);
    if (writer !== null) await (writer as NpyWriter).abort();
    else if (o.perSample !== null) await import('node:fs/promises').then((f) => f.rm(o.perSample as string, { force: true }));
    throw e;
  } finally {
    await spawned.close();
    await Promise.all(groups.map((g) => g.reader.close().catch(() => undefined)));
  }
}

export const defaultWorkers = (): number => Math.max(1, availableParallelism());
