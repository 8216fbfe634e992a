// Writers for the CLI tests' input files, one per format, from the same rows: logits (N, C)
// float and labels (N) int. .npy is written byte by byte here (NEP 1); .npz with fflate's zip
// (stored and deflated); Arrow IPC with apache-arrow; Parquet with hyparquet-writer; text by hand.

import { writeFileSync } from 'node:fs';
import { tableToIPC, tableFromArrays, makeData, makeVector, vectorFromArray, FixedSizeList, Field, Float32, Float64, Table } from 'apache-arrow';
import { zipSync } from 'fflate';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** A .npy file's bytes (version 1.0, little-endian, C order). */
export function npyBytes(data: Float32Array | Float64Array | Int32Array | BigInt64Array, shape: number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '<i8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const head = new Uint8Array(total);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  for (let i = 0; i < dict.length; i++) head[10 + i] = dict.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(total + body.length);
  out.set(head);
  out.set(body, total);
  return out;
}

/** Reads a .npy written by lossfn (tests only: whole file). */
export function parseNpy(bytes: Uint8Array): { descr: string; shape: number[]; data: Float32Array | Float64Array } {
  const len = bytes[8] | (bytes[9] << 8);
  const text = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + len));
  const descr = /'descr': '([^']*)'/.exec(text)?.[1] as string;
  const shape = (/'shape': \(([^)]*)\)/.exec(text)?.[1] as string).split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = Uint8Array.prototype.slice.call(bytes, 10 + len); // a copy (Buffer#slice would share the pool)
  return { descr, shape, data: descr === '<f4' ? new Float32Array(body.buffer) : new Float64Array(body.buffer) };
}

export interface Rows {
  logits: Float32Array | Float64Array;
  labels: Int32Array;
  n: number;
  c: number;
}

/** Writes `rows` in every format under `dir`; returns the paths. */
export function writeAll(dir: string, r: Rows): Record<string, string> {
  const { logits, labels, n, c } = r;
  const p = (f: string): string => `${dir}/${f}`;
  writeFileSync(p('logits.npy'), npyBytes(logits, [n, c]));
  writeFileSync(p('labels.npy'), npyBytes(BigInt64Array.from(labels, (v) => BigInt(v)), [n]));
  const members = { 'logits.npy': npyBytes(logits, [n, c]), 'labels.npy': npyBytes(labels, [n]) };
  writeFileSync(p('stored.npz'), zipSync(members, { level: 0 }));
  writeFileSync(p('deflated.npz'), zipSync(members, { level: 6 }));
  // Arrow: a FixedSizeList<float> column and an int column, in record batches of 7 rows.
  const ElemType = logits instanceof Float32Array ? new Float32() : new Float64();
  const listType = new FixedSizeList(c, new Field('item', ElemType, false));
  const batches: Table[] = [];
  for (let a = 0; a < n; a += 7) {
    const b = Math.min(n, a + 7);
    const child = makeData({ type: ElemType, length: (b - a) * c, data: logits.subarray(a * c, b * c) } as never);
    const logitsVec = makeVector(makeData({ type: listType, length: b - a, nullCount: 0, child } as never));
    batches.push(new Table({ logits: logitsVec, label: makeVector(labels.subarray(a, b)) }));
  }
  const table = batches.reduce((t, x) => t.concat(x));
  writeFileSync(p('data.arrow'), tableToIPC(table, 'file'));
  writeFileSync(p('data.arrows'), tableToIPC(table, 'stream'));
  // Arrow with a variable-length List column (one value vector per row).
  const listTable = tableFromArrays({ label: labels });
  const lists = vectorFromArray(Array.from({ length: n }, (_, i) => Array.from(logits.subarray(i * c, (i + 1) * c))));
  writeFileSync(p('list.arrow'), tableToIPC(listTable.assign(new Table({ logits: lists })), 'file'));
  // Parquet: a list column and scalar columns p0..p{c-1}, row groups of 10.
  const rowsOf = Array.from({ length: n }, (_, i) => Array.from(logits.subarray(i * c, (i + 1) * c)));
  const cols = Array.from({ length: c }, (_, k) => ({ name: `p${k}`, data: Float64Array.from(rowsOf, (row) => row[k]), type: 'DOUBLE' as const }));
  writeFileSync(p('data.parquet'), new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: 'logits', data: rowsOf }, { name: 'label', data: Int32Array.from(labels), type: 'INT32' }, ...cols],
    rowGroupSize: 10,
  })));
  // Text: p0..p{c-1},label with a header; JSON Lines with a list field.
  const header = [...Array.from({ length: c }, (_, k) => `p${k}`), 'label'];
  const lines = rowsOf.map((row, i) => [...row.map((v) => String(v)), String(labels[i])]);
  writeFileSync(p('data.csv'), [header, ...lines].map((l) => l.join(',')).join('\n') + '\n');
  writeFileSync(p('data.tsv'), [header, ...lines].map((l) => l.join('\t')).join('\n') + '\n');
  writeFileSync(p('data.jsonl'), rowsOf.map((row, i) => JSON.stringify({ logits: row, label: labels[i] })).join('\n') + '\n');
  return {
    npyX: p('logits.npy'), npyY: p('labels.npy'), stored: p('stored.npz'), deflated: p('deflated.npz'),
    arrow: p('data.arrow'), arrows: p('data.arrows'), listArrow: p('list.arrow'), parquet: p('data.parquet'),
    csv: p('data.csv'), tsv: p('data.tsv'), jsonl: p('data.jsonl'),
  };
}
