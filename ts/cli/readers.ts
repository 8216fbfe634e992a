// Table readers: one file, one or more columns (or .npz members), read in bounded pieces, every
// column chunk a typed array of `rows × rowShape` values. Formats and the libraries used:
//   .npy               own streaming reader (npy.ts)
//   .npz               own zip directory + fflate's streaming Inflate (npz.ts)
//   Arrow IPC          apache-arrow's RecordBatchReader, one record batch at a time
//   Parquet            hyparquet, one row group at a time
//   CSV / TSV          csv-parse's streaming parser (header row names the columns)
//   JSON Lines         node:readline, one object per line
// A column spec names one column (scalar or list values per row) or several, comma-separated
// (their values form each row's vector: `--input-column p0,p1,p2`).

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FileBytes } from './bytes.js';
import { DataError, UsageError, where } from './errors.js';
import { NpyReader, readNpyHeader, type NumArray } from './npy.js';
import { openNpzMember } from './npz.js';

export type Format = 'npy' | 'npz' | 'arrow' | 'parquet' | 'csv' | 'tsv' | 'jsonl';
export const FORMATS: readonly Format[] = ['npy', 'npz', 'arrow', 'parquet', 'csv', 'tsv', 'jsonl'];

/** The format of `file` from its extension (override with --input-format / --target-format). */
export function formatOf(file: string): Format {
  const ext = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase() ?? '';
  const byExt: Record<string, Format> = {
    npy: 'npy', npz: 'npz', arrow: 'arrow', arrows: 'arrow', feather: 'arrow', ipc: 'arrow', parquet: 'parquet', pq: 'parquet',
    csv: 'csv', tsv: 'tsv', tab: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl',
  };
  const f = byExt[ext];
  if (f === undefined) throw new UsageError(`cannot tell the format of '${file}' from its extension; pass --input-format / --target-format (${FORMATS.join(', ')})`);
  return f;
}

export interface Chunk {
  rows: number;
  /** One typed array per requested column, rows × that column's row size. */
  cols: NumArray[];
}

export interface TableReader {
  readonly file: string;
  /** Row shape of each requested column ([] scalar, [k] vector, more for .npy), once known. */
  rowShapes: (number[] | null)[];
  /** Total rows when the format says so up front (progress bar). */
  readonly totalRows: number | null;
  /**
   * The next up to `max` rows (at least one unless at the end); null at the end. `alloc`, where
   * the format can use it (.npy, .npz), supplies the buffers the rows are read into.
   */
  next(max: number, alloc?: (bytes: number) => ArrayBuffer): Promise<Chunk | null>;
  /** Skips up to `rows` rows; returns how many there were (fewer only at the end). */
  skip(rows: number): Promise<number>;
  close(): Promise<void>;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Opens `file` as `format`, reading the columns `specs` (null: the file's only column/array). */
export async function openReader(file: string, format: Format, specs: (string | null)[]): Promise<TableReader> {
  try {
    switch (format) {
      case 'npy': return await npyReader(file, specs);
      case 'npz': return await npzReader(file, specs);
      case 'arrow': return await arrowReader(file, specs);
      case 'parquet': return await parquetReader(file, specs);
      case 'csv': case 'tsv': return await csvReader(file, specs, format === 'tsv' ? '\t' : ',');
      case 'jsonl': return await jsonlReader(file, specs);
    }
  } catch (e) {
    throw readError(file, e);
  }
}

/** File-system and parser errors as DataErrors naming the file. */
export function readError(file: string, e: unknown): Error {
  if (e instanceof DataError || e instanceof UsageError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return new DataError(`${file}: no such file`);
  if (err?.code === 'EACCES') return new DataError(`${file}: permission denied`);
  if (err?.code === 'EISDIR') return new DataError(`${file}: is a directory`);
  return new DataError(`${file}: unreadable: ${err?.message ?? String(e)}`);
}

/** Wraps a reader so that every failure is a DataError naming the file. */
function guarded(r: TableReader): TableReader {
  return {
    file: r.file,
    get rowShapes() { return r.rowShapes; },
    set rowShapes(v) { r.rowShapes = v; },
    totalRows: r.totalRows,
    next: (max, alloc) => r.next(max, alloc).catch((e: unknown) => { throw readError(r.file, e); }),
    skip: (n) => r.skip(n).catch((e: unknown) => { throw readError(r.file, e); }),
    close: () => r.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// .npy / .npz

async function npyReader(file: string, specs: (string | null)[]): Promise<TableReader> {
  if (specs.some((s) => s !== null)) throw new UsageError(`${file}: a .npy holds one array; --*-column does not apply (use a .npz for named arrays)`);
  const bytes = await FileBytes.open(file);
  const npy = new NpyReader(bytes, file, await readNpyHeader(bytes, file));
  return guarded({
    file, rowShapes: specs.map(() => npy.rowShape), totalRows: npy.rows,
    async next(max, alloc) {
      const c = await npy.next(max, alloc);
      return c && { rows: c.rows, cols: specs.map(() => c.data) };
    },
    skip: (n) => npy.skip(n),
    close: () => bytes.close(),
  });
}

async function npzReader(file: string, specs: (string | null)[]): Promise<TableReader> {
  const members = await Promise.all(specs.map(async (s) => {
    const { bytes, member } = await openNpzMember(file, s);
    return { bytes, member, npy: new NpyReader(bytes, `${file} (member '${member}')`, await readNpyHeader(bytes, `${file} (member '${member}')`)) };
  }));
  const rows = members[0].npy.rows;
  for (const m of members) {
    if (m.npy.rows !== rows) {
      throw new DataError(`${file}: members '${members[0].member}' and '${m.member}' have ${rows} and ${m.npy.rows} rows; they must have the same number`);
    }
  }
  return guarded({
    file, rowShapes: members.map((m) => m.npy.rowShape), totalRows: rows,
    async next(max, alloc) {
      const cs = [];
      for (const m of members) cs.push(await m.npy.next(max, alloc));
      if (cs[0] === null) return null;
      return { rows: cs[0].rows, cols: cs.map((c) => (c as { data: NumArray }).data) };
    },
    async skip(n) {
      let k = n;
      for (const m of members) k = Math.min(k, await m.npy.skip(n));
      return k;
    },
    async close() {
      for (const m of members) await m.bytes.close();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Columnar (Arrow, Parquet): typed values per column, vectors from list columns.

/** Values of a numeric JS array-like as the typed array the losses take. */
function toNumArray(v: ArrayLike<number | bigint> | NumArray): NumArray {
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof BigInt64Array) return v;
  if (v instanceof BigUint64Array) return BigInt64Array.from(v, (x) => BigInt.asIntN(64, x));
  if (v instanceof Int8Array || v instanceof Int16Array || v instanceof Uint8Array || v instanceof Uint16Array) return Int32Array.from(v);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return out;
}

/** Splits a comma-separated spec into column names. */
const names = (spec: string): string[] => spec.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** Resolves a null spec to the table's only column (or fails listing the columns). */
function resolveSpec(file: string, spec: string | null, columns: string[], flag: string): string[] {
  if (spec === null) {
    if (columns.length !== 1) throw new UsageError(`${file} has columns ${columns.join(', ')}; choose with ${flag}`);
    return columns;
  }
  const ns = names(spec);
  for (const n of ns) if (!columns.includes(n)) throw new DataError(`${file}: no column '${n}' (columns: ${columns.join(', ')})`);
  return ns;
}

/** Interleaves k scalar columns of `rows` values into rows of k. */
function interleave(cols: NumArray[], rows: number): NumArray {
  if (cols.length === 1) return cols[0];
  const k = cols.length;
  const big = cols.some((c) => c instanceof BigInt64Array);
  const out = big ? new BigInt64Array(rows * k) : new Float64Array(rows * k);
  for (let j = 0; j < k; j++) {
    const c = cols[j];
    for (let r = 0; r < rows; r++) (out as Float64Array)[r * k + j] = (big ? BigInt(c[r] as never) : Number(c[r])) as number;
  }
  if (!big && cols.every((c) => c instanceof Float32Array)) return Float32Array.from(out as Float64Array);
  return out;
}

/** A reader that hands out a decoded piece (record batch, row group) in `max`-row slices. */
class Pieces {
  private cur: { rows: number; cols: NumArray[]; sizes: number[] } | null = null;
  private at = 0;
  constructor(private pull: () => Promise<{ rows: number; cols: NumArray[]; sizes: number[] } | null>) {}
  async next(max: number): Promise<Chunk | null> {
    while (this.cur === null || this.at >= this.cur.rows) {
      this.cur = await this.pull();
      this.at = 0;
      if (this.cur === null) return null;
    }
    const n = Math.min(max, this.cur.rows - this.at);
    const { cols, sizes } = this.cur;
    const a = this.at;
    this.at += n;
    return { rows: n, cols: cols.map((c, i) => c.subarray(a * sizes[i], (a + n) * sizes[i]) as NumArray) };
  }
  async skip(n: number): Promise<number> {
    let done = 0;
    while (done < n) {
      const c = await this.next(n - done);
      if (c === null) break;
      done += c.rows;
    }
    return done;
  }
}

/** Checks one column's row size against the first seen; returns it. */
function fixSize(file: string, col: string, shapes: (number[] | null)[], i: number, k: number, row: number): void {
  const seen = shapes[i];
  if (seen === null) shapes[i] = k === -1 ? [] : [k];
  else if ((seen.length === 0 ? -1 : seen[0]) !== k) {
    throw new DataError(`${where(file, col)}, row ${row}: ${k === -1 ? 'a scalar' : `${k} values`} where earlier rows have ${seen.length === 0 ? 'a scalar' : `${seen[0]} values`}`);
  }
}

interface ArrowData {
  type: { typeId: number; listSize?: number; toString(): string };
  length: number;
  offset: number;
  nullCount: number;
  values: ArrayLike<number | bigint> & { subarray(a: number, b: number): ArrayLike<number | bigint> };
  valueOffsets?: Int32Array;
  children: ArrowData[];
}

async function arrowReader(file: string, specs: (string | null)[]): Promise<TableReader> {
  const arrow = await import('apache-arrow');
  const fh = await open(file, 'r');
  const reader = await arrow.RecordBatchReader.from(fh);
  await reader.open();
  const fields = reader.schema.fields.map((f) => f.name);
  const flag = '--input-column / --target-column';
  const cols = specs.map((s) => resolveSpec(file, s, fields, flag));
  const shapes: (number[] | null)[] = specs.map(() => null);
  const it = reader[Symbol.asyncIterator]();
  let row0 = 0;
  const T = arrow.Type;

  /** One column of a record batch: values and per-row size (-1: scalar). */
  const column = (d: ArrowData, name: string): { data: NumArray; k: number } => {
    const nullRow = (x: ArrowData): number => {
      for (let i = 0; i < x.length; i++) {
        const bitmap = (x as unknown as { nullBitmap?: Uint8Array }).nullBitmap;
        const j = x.offset + i;
        if (bitmap && !(bitmap[j >> 3] & (1 << (j & 7)))) return i;
      }
      return 0;
    };
    if (d.nullCount > 0) throw new DataError(`${where(file, name)}, row ${row0 + nullRow(d)}: null value`);
    if (d.type.typeId === T.FixedSizeList || d.type.typeId === T.List) {
      const child = d.children[0];
      if (child.nullCount > 0) throw new DataError(`${where(file, name)}: null inside a list value (batch starting at row ${row0})`);
      let k: number;
      let start: number;
      if (d.type.typeId === T.FixedSizeList) {
        k = d.type.listSize as number;
        start = d.offset * k;
      } else {
        const off = (d.valueOffsets as Int32Array).subarray(d.offset, d.offset + d.length + 1);
        k = d.length > 0 ? off[1] - off[0] : 0;
        for (let r = 0; r < d.length; r++) {
          if (off[r + 1] - off[r] !== k) throw new DataError(`${where(file, name)}, row ${row0 + r}: ${off[r + 1] - off[r]} values where row ${row0} has ${k}`);
        }
        start = off[0];
      }
      return { data: primitive(child, name, child.offset + start, d.length * k), k };
    }
    return { data: primitive(d, name, d.offset, d.length), k: -1 };
  };
  const primitive = (d: ArrowData, name: string, start: number, n: number): NumArray => {
    const id = d.type.typeId;
    if (id !== T.Int && id !== T.Float) throw new DataError(`${where(file, name)}: unsupported Arrow type ${d.type.toString()} (numeric or list of numeric expected)`);
    const v = d.values.subarray(start, start + n);
    if (v instanceof Uint16Array && id === T.Float) {
      // float16: bits.
      return Float32Array.from(v, (h) => arrow.util.uint16ToFloat64(h));
    }
    return toNumArray(v);
  };

  const pieces = new Pieces(async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) return null;
      const batch = r.value;
      if (batch.numRows === 0) continue;
      const out: NumArray[] = [];
      const sizes: number[] = [];
      cols.forEach((ns, i) => {
        const parts = ns.map((n) => {
          const child = batch.getChild(n);
          if (child === null) throw new DataError(`${file}: no column '${n}'`);
          if (child.data.length !== 1) throw new DataError(`${where(file, n)}: unexpected chunked column in one record batch`);
          return column(child.data[0] as unknown as ArrowData, n);
        });
        if (parts.length > 1 && parts.some((p) => p.k !== -1)) throw new UsageError(`${file}: several columns in one spec must each be scalar (${ns.join(', ')})`);
        const k = parts.length > 1 ? parts.length : parts[0].k;
        fixSize(file, ns.join(','), shapes, i, k, row0);
        out.push(interleave(parts.map((p) => p.data), batch.numRows));
        sizes.push(Math.max(1, k));
      });
      row0 += batch.numRows;
      return { rows: batch.numRows, cols: out, sizes };
    }
  });
  return guarded({
    file, rowShapes: shapes, totalRows: null,
    next: (max) => pieces.next(max),
    skip: (n) => pieces.skip(n),
    close: async () => {
      await reader.cancel?.();
      await fh.close().catch(() => undefined);
    },
  });
}

async function parquetReader(file: string, specs: (string | null)[]): Promise<TableReader> {
  const pq = await import('hyparquet');
  const buf = await pq.asyncBufferFromFile(file);
  const meta = await pq.parquetMetadataAsync(buf);
  const top = pq.parquetSchema(meta).children.map((c) => c.element.name);
  const cols = specs.map((s) => resolveSpec(file, s, top, '--input-column / --target-column'));
  const wanted = [...new Set(cols.flat())];
  const groups = meta.row_groups.map((g) => Number(g.num_rows));
  const shapes: (number[] | null)[] = specs.map(() => null);
  let g = 0;
  let row0 = 0;
  const pieces = new Pieces(async () => {
    while (g < groups.length && groups[g] === 0) g++;
    if (g >= groups.length) return null;
    const rows = groups[g];
    const start = row0;
    const got = new Map<string, unknown[] | NumArray>();
    const parts = new Map<string, { at: number; data: ArrayLike<unknown> }[]>();
    await pq.parquetRead({
      file: buf, metadata: meta, columns: wanted, rowStart: start, rowEnd: start + rows,
      onChunk: (c) => {
        const list = parts.get(c.columnName) ?? [];
        list.push({ at: c.rowStart, data: c.columnData as ArrayLike<unknown> });
        parts.set(c.columnName, list);
      },
    });
    for (const name of wanted) {
      // Assemble rows [start, start + rows) from the chunks (which may overhang the range).
      const vals: unknown[] = new Array(rows);
      for (const p of parts.get(name) ?? []) {
        for (let i = 0; i < p.data.length; i++) {
          const r = p.at + i - start;
          if (r >= 0 && r < rows) vals[r] = p.data[i];
        }
      }
      got.set(name, vals);
    }
    const out: NumArray[] = [];
    const sizes: number[] = [];
    cols.forEach((ns, i) => {
      const per = ns.map((n) => {
        const vals = got.get(n) as unknown[];
        let k = -2;
        const flat: (number | bigint)[] = [];
        for (let r = 0; r < rows; r++) {
          const v = vals[r];
          if (v === null || v === undefined) throw new DataError(`${where(file, n)}, row ${start + r}: null value`);
          const rk = Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<unknown>).length : -1;
          if (k === -2) k = rk;
          else if (rk !== k) throw new DataError(`${where(file, n)}, row ${start + r}: ${rk === -1 ? 'a scalar' : `${rk} values`} where row ${start} has ${k === -1 ? 'a scalar' : `${k} values`}`);
          if (rk === -1) flat.push(v as number | bigint);
          else {
            for (const x of Array.from(v as ArrayLike<unknown>)) {
              if (x === null || x === undefined) throw new DataError(`${where(file, n)}, row ${start + r}: null inside a list value`);
              flat.push(x as number | bigint);
            }
          }
        }
        if (flat.some((x) => typeof x !== 'number' && typeof x !== 'bigint')) throw new DataError(`${where(file, n)}: non-numeric values`);
        const big = flat.some((x) => typeof x === 'bigint');
        return { data: big ? BigInt64Array.from(flat, (x) => BigInt(x)) : Float64Array.from(flat as number[]), k };
      });
      if (per.length > 1 && per.some((p) => p.k !== -1)) throw new UsageError(`${file}: several columns in one spec must each be scalar (${ns.join(', ')})`);
      const k = per.length > 1 ? per.length : per[0].k;
      fixSize(file, ns.join(','), shapes, i, k, start);
      out.push(interleave(per.map((p) => p.data), rows));
      sizes.push(Math.max(1, k));
    });
    g++;
    row0 += rows;
    return { rows, cols: out, sizes };
  });
  return guarded({
    file, rowShapes: shapes, totalRows: Number(meta.num_rows),
    next: (max) => pieces.next(max),
    skip: (n) => pieces.skip(n),
    close: async () => undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Text formats: one record per row; numbers parsed here (NaN/inf spelled nan, inf, -inf).

function parseNumber(s: string, file: string, col: string, row: number): number {
  const t = s.trim();
  if (t === '') throw new DataError(`${where(file, col)}, row ${row}: empty value`);
  const low = t.toLowerCase();
  if (low === 'nan') return NaN;
  if (low === 'inf' || low === '+inf' || low === 'infinity') return Infinity;
  if (low === '-inf' || low === '-infinity') return -Infinity;
  const v = Number(t);
  if (Number.isNaN(v)) throw new DataError(`${where(file, col)}, row ${row}: not a number: ${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)}`);
  return v;
}

/**
 * A record-at-a-time reader: `records` yields one row's values per requested column (numbers
 * or arrays of numbers); rows are gathered into Float64Array chunks of up to `max` rows.
 */
function recordReader(
  file: string, specs: (string | null)[], it: AsyncIterator<number[][] | null>, close: () => Promise<void>,
): TableReader {
  const shapes: (number[] | null)[] = specs.map(() => null);
  let row = 0;
  let ended = false;
  const reader: TableReader = {
    file, rowShapes: shapes, totalRows: null,
    async next(max) {
      if (ended) return null;
      const bufs: number[][] = specs.map(() => []);
      let rows = 0;
      while (rows < max) {
        const r = await it.next();
        if (r.done) {
          ended = true;
          break;
        }
        const rec = r.value;
        if (rec === null) continue;
        rec.forEach((v, i) => {
          const k = (v as number[] & { list?: boolean }).list ? v.length : -1;
          fixSize(file, specs[i] ?? '', shapes, i, k, row);
          for (const x of v) bufs[i].push(x);
        });
        rows++;
        row++;
      }
      if (rows === 0) return null;
      return { rows, cols: bufs.map((b) => Float64Array.from(b)) };
    },
    async skip(n) {
      let done = 0;
      while (done < n) {
        const c = await reader.next(Math.min(n - done, 65536));
        if (c === null) break;
        done += c.rows;
      }
      return done;
    },
    close,
  };
  return guarded(reader);
}

async function csvReader(file: string, specs: (string | null)[], delimiter: string): Promise<TableReader> {
  const { parse } = await import('csv-parse');
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  // Surface open errors (ENOENT…) before parsing.
  await new Promise<void>((res, rej) => {
    stream.once('open', () => res());
    stream.once('error', rej);
  });
  const parser = stream.pipe(parse({ delimiter, bom: true, skip_empty_lines: true, relax_quotes: false }));
  stream.on('error', (e) => parser.destroy(e));
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const head = await records.next();
  if (head.done) throw new DataError(`${file}: empty file (a header row naming the columns is expected)`);
  const header = head.value.map((h) => h.trim());
  const cols = specs.map((s) => resolveSpec(file, s, header, '--input-column / --target-column'));
  const idx = cols.map((ns) => ns.map((n) => header.indexOf(n)));
  let row = 0;
  const it: AsyncIterator<number[][] | null> = {
    async next() {
      let r;
      try {
        r = await records.next();
      } catch (e) {
        throw new DataError(`${file}, row ${row}: ${(e as Error).message}`);
      }
      if (r.done) return { done: true, value: undefined };
      const rec = r.value;
      const out = idx.map((is, i) => is.map((j, q) => parseNumber(rec[j] ?? '', file, cols[i][q], row)));
      row++;
      return { done: false, value: out.map((v, i) => (cols[i].length > 1 ? Object.assign(v, { list: true }) : v)) };
    },
  };
  return recordReader(file, specs, it, async () => {
    parser.destroy();
    stream.destroy();
  });
}

async function jsonlReader(file: string, specs: (string | null)[]): Promise<TableReader> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  await new Promise<void>((res, rej) => {
    stream.once('open', () => res());
    stream.once('error', rej);
  });
  const lines = createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
  let cols: string[][] | null = null;
  let row = 0;
  const field = (obj: Record<string, unknown>, name: string, r: number): number[] & { list?: boolean } => {
    const v = obj[name];
    if (v === undefined) throw new DataError(`${where(file, name)}, row ${r}: missing field`);
    if (typeof v === 'number') return [v];
    if (typeof v === 'string') return [parseNumber(v, file, name, r)];
    if (Array.isArray(v)) {
      const out = v.map((x) => {
        if (typeof x === 'number') return x;
        if (typeof x === 'string') return parseNumber(x, file, name, r);
        throw new DataError(`${where(file, name)}, row ${r}: non-numeric list element ${JSON.stringify(x)}`);
      });
      return Object.assign(out, { list: true });
    }
    throw new DataError(`${where(file, name)}, row ${r}: ${v === null ? 'null value' : `not a number or a list of numbers: ${JSON.stringify(v).slice(0, 40)}`}`);
  };
  const it: AsyncIterator<number[][] | null> = {
    async next() {
      for (;;) {
        const r = await lines.next();
        if (r.done) return { done: true, value: undefined };
        const line = r.value.trim();
        if (line === '') continue;
        let obj: unknown;
        try {
          obj = JSON.parse(line);
        } catch (e) {
          throw new DataError(`${file}, row ${row}: invalid JSON (${(e as Error).message})`);
        }
        if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new DataError(`${file}, row ${row}: each line must be a JSON object`);
        const o = obj as Record<string, unknown>;
        cols ??= specs.map((s) => resolveSpec(file, s, Object.keys(o), '--input-column / --target-column'));
        const out = cols.map((ns) => {
          const vs = ns.map((n) => field(o, n, row));
          if (ns.length === 1) return vs[0];
          if (vs.some((v) => v.list)) throw new UsageError(`${file}: several fields in one spec must each be scalar (${ns.join(', ')})`);
          return Object.assign(vs.map((v) => v[0]), { list: true });
        });
        row++;
        return { done: false, value: out };
      }
    },
  };
  return recordReader(file, specs, it, async () => {
    stream.destroy();
  });
}

export { prod };
