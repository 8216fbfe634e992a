// The `lossfn` command (package.json `bin`): eval, merge, list. Arguments with node:util's
// parseArgs; exit codes: 0 ok, 1 usage error (with the usage line), 2 data error (names the
// file, the column and the row). Results go to stdout only when the whole run succeeded.
// This file is also the worker threads' entry (the bundle starts itself as a worker).

import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { metrics } from '../index.js';
import { COMPARE_USAGE, cmdCompare } from './compare.js';
import { DataError, UsageError } from './errors.js';
import { defaultWorkers, GROUP_BATCHES, runEval, type ArgSource, type CliState, type Result } from './eval.js';
import { formatOf, FORMATS, type Format } from './readers.js';
import { workerMain } from './work.js';

const USAGE = `usage: lossfn eval --loss <name>[,<name>…] --input <file> [--target <file>] [--var <file>]
                   [--input-column c] [--target-column c] [--var-column c] [--option [loss.]k=v …]
                   [--batch-size N] [--workers N] [--per-sample out.npy] [--format table|json|csv]
                   [--shard i/n] [--save-state state.json] [--dtype float32|float64]
       lossfn merge <state.json>… [--format table|json|csv] [--save-state merged.json]
       lossfn list [--format table|json]
${COMPARE_USAGE}`;

const HELP = `${USAGE}

eval    scores prediction files with one or more losses, in batches on worker threads, in
        bounded memory. Formats by extension (or --input-format/--target-format/--var-format):
        .npy, .npz (member = column), Arrow IPC (.arrow/.feather), .parquet, .csv, .tsv,
        .jsonl. --target defaults to the input file (with another column). Options apply to
        every loss that has them, or to one: --option crossEntropy.labelSmoothing=0.1; tensor
        options (weight, posWeight) as JSON lists: --option weight=[1,2,0.5].
        --shard i/n scores batch groups g (${GROUP_BATCHES} batches each) with g mod n = i-1;
        --save-state writes a state that 'lossfn merge' combines exactly.
merge   combines saved states into the result a single run over all the data gives.
list    every loss, its arguments, options and defaults, reductions and 'mean' denominator.
compare writes an HTML report of how different the losses are (curves, gradients, robustness to
        contamination, agreement), for every family or --family ones, on built-in data and, with
        --input/--target (same readers as eval), on yours; --levels 0.05,0.1 (or 5%,10%),
        --seed N, --max-samples N (larger data are subsampled). Prints a summary and the path.`;

type Fmt = 'table' | 'json' | 'csv';

function parseFormat(v: string | undefined, allowed: Fmt[]): Fmt {
  const f = (v ?? 'table') as Fmt;
  if (!allowed.includes(f)) throw new UsageError(`--format must be one of ${allowed.join(', ')}, got '${v}'`);
  return f;
}

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${v}'`);
  return n;
}

/** `k=v` → [loss|null, k, value]: JSON when it parses (numbers, booleans, lists), else the string. */
function parseOption(s: string): [string | null, string, unknown] {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new UsageError(`--option expects k=v or loss.k=v, got '${s}'`);
  const key = s.slice(0, eq);
  const raw = s.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string ('mean', 'batchmean')
  }
  const dot = key.indexOf('.');
  return dot > 0 ? [key.slice(0, dot), key.slice(dot + 1), value] : [null, key, value];
}

/** Distributes --option values over the losses: unprefixed ones to every loss that has the option. */
function routeOptions(losses: string[], opts: string[]): Record<string, unknown>[] {
  const known = new Map(metrics.available().map((e) => [e.name, new Set(Object.keys(e.options))]));
  const out = losses.map(() => ({}) as Record<string, unknown>);
  for (const s of opts) {
    const [loss, k, v] = parseOption(s);
    if (loss !== null) {
      const i = losses.indexOf(loss);
      if (i < 0) throw new UsageError(`--option ${s}: '${loss}' is not one of the --loss names`);
      out[i][k] = v;
      continue;
    }
    let used = false;
    losses.forEach((name, i) => {
      if (known.get(name)?.has(k)) {
        out[i][k] = v;
        used = true;
      }
    });
    if (!used) throw new UsageError(`--option ${s}: none of ${losses.join(', ')} has an option '${k}'`);
  }
  return out;
}

function parseShard(v: string | undefined): { index: number; count: number } | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard expects i/n with 1 <= i <= n (e.g. 1/4), got '${v}'`);
  return { index, count };
}

const fmtNumber = (v: number): string => (Number.isNaN(v) ? 'NaN' : String(v));

function printResults(results: Result[], rows: number, format: Fmt, extra: Record<string, unknown>): void {
  if (format === 'json') {
    const out = { results: results.map((r) => ({ ...r, value: Number.isFinite(r.value) ? r.value : String(r.value) })), rows, ...extra };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (format === 'csv') {
    const lines = ['loss,reduction,value,rows', ...results.map((r) => `${r.loss},${r.reduction},${fmtNumber(r.value)},${rows}`)];
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const table = [['loss', 'reduction', 'value', 'rows'], ...results.map((r) => [r.loss, r.reduction, fmtNumber(r.value), String(rows)])];
  const w = table[0].map((_, j) => Math.max(...table.map((row) => row[j].length)));
  process.stdout.write(`${table.map((row) => row.map((c, j) => c.padEnd(w[j])).join('  ').trimEnd()).join('\n')}\n`);
}

async function cmdEval(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      loss: { type: 'string' }, input: { type: 'string' }, target: { type: 'string' }, var: { type: 'string' },
      'input-column': { type: 'string' }, 'target-column': { type: 'string' }, 'var-column': { type: 'string' },
      'input-format': { type: 'string' }, 'target-format': { type: 'string' }, 'var-format': { type: 'string' },
      option: { type: 'string', multiple: true }, 'batch-size': { type: 'string' }, workers: { type: 'string' },
      'per-sample': { type: 'string' }, format: { type: 'string' }, shard: { type: 'string' },
      'save-state': { type: 'string' }, dtype: { type: 'string' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' },
    },
    allowPositionals: false,
  });
  if (values.loss === undefined) throw new UsageError('eval: --loss is required');
  if (values.input === undefined) throw new UsageError('eval: --input is required');
  const losses = values.loss.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const format = parseFormat(values.format, ['table', 'json', 'csv']);
  const fmtOf = (flag: string, file: string): Format => {
    const f = (values as Record<string, string | undefined>)[flag];
    if (f === undefined) return formatOf(file);
    if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--${flag} must be one of ${FORMATS.join(', ')}, got '${f}'`);
    return f as Format;
  };
  const targetFile = values.target ?? values.input;
  const sources: ArgSource[] = [
    { role: 'input', file: values.input, format: fmtOf('input-format', values.input), column: values['input-column'] ?? null },
    { role: 'target', file: targetFile, format: fmtOf('target-format', targetFile), column: values['target-column'] ?? null },
  ];
  if (values.var !== undefined) sources.push({ role: 'var', file: values.var, format: fmtOf('var-format', values.var), column: values['var-column'] ?? null });
  if (values.target === undefined && values['target-column'] === undefined) throw new UsageError('eval: --target is required (or --target-column for a target in the input file)');
  if (values.dtype !== undefined && values.dtype !== 'float32' && values.dtype !== 'float64') throw new UsageError(`--dtype must be float32 or float64, got '${values.dtype}'`);
  const options = routeOptions(losses, values.option ?? []);
  const progress = values['no-progress'] ? false : values.progress ?? process.stderr.isTTY === true;
  const { results, rows, peakRss } = await runEval({
    losses, options, sources,
    batchSize: positiveInt('--batch-size', values['batch-size'], 65536),
    workers: positiveInt('--workers', values.workers, defaultWorkers()),
    perSample: values['per-sample'] ?? null,
    shard: parseShard(values.shard),
    saveState: values['save-state'] ?? null,
    dtype: (values.dtype as 'float32' | 'float64' | undefined) ?? null,
    progress,
  }, new URL(import.meta.url));
  printResults(results, rows, format, { peakRssBytes: peakRss });
}

async function cmdMerge(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, options: { format: { type: 'string' }, 'save-state': { type: 'string' } }, allowPositionals: true,
  });
  const format = parseFormat(values.format, ['table', 'json', 'csv']);
  if (positionals.length === 0) throw new UsageError('merge: give one or more state files');
  const states: CliState[] = [];
  for (const file of positionals) {
    let s: CliState;
    try {
      s = JSON.parse(await readFile(file, 'utf8')) as CliState;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new DataError(`${file}: ${err.code === 'ENOENT' ? 'no such file' : `unreadable state (${err.message})`}`);
    }
    if (s?.format !== 'lossfn.cli-state') throw new DataError(`${file}: not a lossfn state file (format '${String(s?.format)}')`);
    if (s.version !== 1) throw new DataError(`${file}: state version ${String(s.version)} is not supported (this lossfn reads version 1)`);
    states.push(s);
  }
  const first = states[0];
  const seen = new Map<string, string>();
  states.forEach((s, k) => {
    const file = positionals[k];
    if (s.metrics.length !== first.metrics.length || s.metrics.some((m, i) => m.loss !== first.metrics[i].loss)) {
      throw new DataError(`${file}: its losses (${s.metrics.map((m) => m.loss).join(', ')}) differ from ${positionals[0]}'s (${first.metrics.map((m) => m.loss).join(', ')})`);
    }
    if (s.shard !== null || first.shard !== null) {
      if (s.shard === null || first.shard === null || s.shard.count !== first.shard.count || s.batchSize !== first.batchSize || s.groupBatches !== first.groupBatches) {
        throw new DataError(`${file}: its sharding (${s.shard ? `${s.shard.index}/${s.shard.count}` : 'none'}, batch size ${s.batchSize}) differs from ${positionals[0]}'s`);
      }
      const key = `${s.shard.index}`;
      if (seen.has(key)) throw new DataError(`${file}: shard ${s.shard.index}/${s.shard.count} was already given (${seen.get(key)}); merging it twice would count its rows twice`);
      seen.set(key, file);
    }
  });
  const ms = first.metrics.map((m) => metrics.fromState(m));
  for (let k = 1; k < states.length; k++) {
    try {
      states[k].metrics.forEach((m, i) => ms[i].merge(m));
    } catch (e) {
      throw new DataError(`${positionals[k]}: ${(e as Error).message}`);
    }
  }
  if (first.shard !== null && seen.size < first.shard.count) {
    const missing = Array.from({ length: first.shard.count }, (_, i) => i + 1).filter((i) => !seen.has(String(i)));
    process.stderr.write(`lossfn merge: warning: shards ${missing.map((i) => `${i}/${first.shard?.count}`).join(', ')} are missing; the result covers only the given shards\n`);
  }
  const rows = states.reduce((a, s) => a + s.rows, 0);
  const results = ms.map((m) => ({ loss: m.name, reduction: m.reduction, options: m.optionsJSON, value: m.compute(), batches: m.count }));
  if (values['save-state'] !== undefined) {
    const merged: CliState = { ...first, shard: null, rows, metrics: ms.map((m) => m.state()) };
    await writeFile(values['save-state'], `${JSON.stringify(merged, null, 1)}\n`);
  }
  printResults(results, rows, format, { states: positionals.length });
}

function cmdList(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { format: { type: 'string' } } });
  const format = parseFormat(values.format, ['table', 'json']);
  const list = metrics.available();
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const e of list) {
    const opts = Object.entries(e.options).filter(([k]) => k !== 'reduction').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    lines.push(`${e.name}(${e.args.join(', ')})`);
    lines.push(`  options:    ${opts.length ? opts.join(' ') : '(none)'}`);
    lines.push(`  reduction:  ${e.reductions.join(' | ')} (default ${String(e.options.reduction)})`);
    lines.push(`  'mean' ÷    ${e.mean}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'eval') await cmdEval(rest);
    else if (cmd === 'merge') await cmdMerge(rest);
    else if (cmd === 'list') cmdList(rest);
    else if (cmd === 'compare') await cmdCompare(rest);
    else if (cmd === '--help' || cmd === '-h' || cmd === 'help') process.stdout.write(`${HELP}\n`);
    else throw new UsageError(cmd === undefined ? 'no command given' : `unknown command '${cmd}'`);
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`lossfn: ${(e as Error).message}\n${USAGE}\n`);
      return 1;
    }
    if (e instanceof DataError) {
      process.stderr.write(`lossfn ${cmd}: error: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`lossfn ${cmd}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 3;
  }
}

if (!isMainThread && (workerData as { lossfnWorker?: boolean } | null)?.lossfnWorker) {
  workerMain(parentPort as unknown as Parameters<typeof workerMain>[0]);
} else if (isMainThread) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
