// `lossfn compare`: the comparison report (lossfn/report's compare()) written to an HTML file,
// with the user's predictions read by the CLI's own readers (npy, npz, Arrow, Parquet, CSV/TSV,
// JSONL). The report code is imported on demand from dist/report/, so `lossfn eval` never
// loads Plot. Exit codes as the other commands: compare()'s option errors are usage errors (1),
// its data errors and unreadable files data errors (2).

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataError, UsageError, where } from './errors.js';
import { formatOf, FORMATS, openReader, readError, type Format } from './readers.js';

export const COMPARE_USAGE = `       lossfn compare [--family <name>[,<name>…]] [--input <file> [--target <file>] [--input-column c]
                      [--target-column c]] [--out report.html] [--seed N] [--levels l,l,…] [--max-samples N]`;

/** Every row of one column of a file, as compare() takes it: { data, shape }. */
async function readAll(file: string, format: Format, column: string | null): Promise<{ data: Float64Array; shape: number[] }> {
  const reader = await openReader(file, format, [column]);
  const parts: Float64Array[] = [];
  let rows = 0;
  try {
    for (;;) {
      const c = await reader.next(65536);
      if (c === null) break;
      parts.push(Float64Array.from(c.cols[0] as ArrayLike<number | bigint>, Number));
      rows += c.rows;
    }
  } catch (e) {
    throw readError(file, e);
  } finally {
    await reader.close();
  }
  if (rows === 0) throw new DataError(`${where(file, column)}: no rows`);
  const data = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, shape: [rows, ...(reader.rowShapes[0] ?? [])] };
}

/** A contamination level: a share (0.1) or a percentage (10%). */
function parseLevel(s: string): number {
  const pctForm = s.endsWith('%');
  const v = Number(pctForm ? s.slice(0, -1) : s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--levels expects shares in [0, 1) or percentages (0.1 or 10%), got '${s}'`);
  return pctForm ? v / 100 : v;
}

function intFlag(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be an integer, got '${v}'`);
  return n;
}

export async function cmdCompare(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      family: { type: 'string', multiple: true }, input: { type: 'string' }, target: { type: 'string' },
      'input-column': { type: 'string' }, 'target-column': { type: 'string' },
      'input-format': { type: 'string' }, 'target-format': { type: 'string' },
      out: { type: 'string' }, seed: { type: 'string' }, levels: { type: 'string' }, 'max-samples': { type: 'string' },
    },
    allowPositionals: false,
  });
  const fmtOf = (flag: 'input-format' | 'target-format', file: string): Format => {
    const f = values[flag];
    if (f === undefined) return formatOf(file);
    if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--${flag} must be one of ${FORMATS.join(', ')}, got '${f}'`);
    return f as Format;
  };
  if (values.input === undefined && (values.target !== undefined || values['target-column'] !== undefined || values['input-column'] !== undefined)) {
    throw new UsageError('compare: --target, --input-column and --target-column need --input');
  }
  if (values.input !== undefined && values.target === undefined && values['target-column'] === undefined) {
    throw new UsageError('compare: --input needs --target (or --target-column for a target in the input file)');
  }
  const families = values.family?.flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== '');
  const levels = values.levels?.split(',').map(parseLevel);
  const seed = intFlag('--seed', values.seed);
  const maxSamples = intFlag('--max-samples', values['max-samples']);
  const out = values.out ?? 'report.html';
  // Flags by compare()'s option names, so its option errors can name the flag.
  const FLAG: Record<string, string> = { families: '--family', levels: '--levels', seed: '--seed', maxSamples: '--max-samples', input: '--input', target: '--target' };
  let user: { input: unknown; target: unknown; inputName: string; targetName: string } | null = null;
  if (values.input !== undefined) {
    const targetFile = values.target ?? values.input;
    const inCol = values['input-column'] ?? null;
    const tCol = values['target-column'] ?? null;
    user = {
      input: await readAll(values.input, fmtOf('input-format', values.input), inCol),
      target: await readAll(targetFile, fmtOf('target-format', targetFile), tCol),
      inputName: where(values.input, inCol),
      targetName: where(targetFile, tCol),
    };
  }
  const { compare } = await import('../report/index.js');
  let result;
  try {
    result = await compare({ families, levels, seed, maxSamples, ...(user ?? {}) } as Parameters<typeof compare>[0]);
  } catch (e) {
    const option = (e as { option?: string | null }).option;
    if (typeof option === 'string') throw new UsageError(`${FLAG[option] ?? option}: ${(e as Error).message}`);
    if ((e as Error).message?.startsWith('compare: ')) throw new DataError((e as Error).message);
    throw e;
  }
  try {
    await writeFile(out, result.html);
  } catch (e) {
    throw new DataError(`${out}: cannot write the report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  process.stdout.write(`${result.summary}Report written to ${resolve(out)}\n`);
}
