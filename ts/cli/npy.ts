// NumPy .npy, streamed: the header, then rows in bounded reads (no whole-file buffer, so any
// file size runs in constant memory), and a writer for per-sample output whose header is
// rewritten with the final row count. Format: numpy's NEP 1 (format versions 1.0–3.0).
// npyjs (the usual JS reader) parses a whole in-memory buffer, which the memory bound rules out.

import { open, type FileHandle } from 'node:fs/promises';
import { readExactly, type ByteSource } from './bytes.js';
import { DataError } from './errors.js';

export type NumArray = Float32Array | Float64Array | Int32Array | BigInt64Array;

interface Kind {
  bytes: number;
  /** Decodes `count` little-endian elements from `b` into the output array type. */
  out: 'f32' | 'f64' | 'i32' | 'i64';
}

const KINDS: Record<string, Kind> = {
  f2: { bytes: 2, out: 'f32' }, f4: { bytes: 4, out: 'f32' }, f8: { bytes: 8, out: 'f64' },
  i1: { bytes: 1, out: 'i32' }, i2: { bytes: 2, out: 'i32' }, i4: { bytes: 4, out: 'i32' }, i8: { bytes: 8, out: 'i64' },
  u1: { bytes: 1, out: 'i32' }, u2: { bytes: 2, out: 'i32' }, u4: { bytes: 4, out: 'i64' }, u8: { bytes: 8, out: 'i64' },
  b1: { bytes: 1, out: 'i32' },
};

export interface NpyHeader {
  descr: string;
  shape: number[];
  /** Bytes before the data. */
  headerBytes: number;
}

/** Parses the header dict of a .npy stream (magic, version, dict literal). */
export async function readNpyHeader(src: ByteSource, file: string): Promise<NpyHeader> {
  const pre = await readExactly(src, 10, file, 'the .npy header');
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (!magic.every((m, i) => pre[i] === m)) throw new DataError(`${file}: not a .npy file (bad magic bytes)`);
  const major = pre[6];
  let len: number;
  let at = 10;
  if (major === 1) len = pre[8] | (pre[9] << 8);
  else if (major === 2 || major === 3) {
    const more = await readExactly(src, 2, file, 'the .npy header');
    len = (pre[8] | (pre[9] << 8) | (more[0] << 16)) + more[1] * 2 ** 24;
    at = 12;
  } else throw new DataError(`${file}: unsupported .npy format version ${major}.${pre[7]}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(await readExactly(src, len, file, 'the .npy header'));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataError(`${file}: unreadable .npy header ${JSON.stringify(text.trim())}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!shape.every((s) => Number.isInteger(s) && s >= 0)) throw new DataError(`${file}: bad shape in the .npy header (${shapeText})`);
  if (fortran === 'True' && shape.filter((s) => s > 1).length > 1) {
    throw new DataError(`${file}: Fortran-ordered (column-major) arrays cannot be read row by row; save it with np.ascontiguousarray`);
  }
  return { descr, shape, headerBytes: at + len };
}

/** A .npy array read row by row (rows = dimension 0; a 0-d or 1-D array has scalar rows). */
export class NpyReader {
  readonly shape: number[];
  readonly rowShape: number[];
  readonly rows: number;
  readonly out: Kind['out'];
  private readonly kind: Kind;
  private readonly swap: boolean;
  private readonly rowElems: number;
  private readonly half: boolean;
  private readonly unsigned: boolean;
  private readonly signed8or16: number;
  private done = 0;

  constructor(private src: ByteSource, private file: string, h: NpyHeader) {
    const m = /^([<>|=])([a-z])(\d+)$/.exec(h.descr);
    const key = m ? `${m[2]}${m[3]}` : '';
    const kind = KINDS[key];
    if (!m || kind === undefined) throw new DataError(`${file}: unsupported .npy dtype '${h.descr}' (supported: float16/32/64, int8–64, uint8–64, bool)`);
    this.kind = kind;
    this.swap = m[1] === '>' && kind.bytes > 1;
    this.half = key === 'f2';
    this.unsigned = m[2] === 'u' || m[2] === 'b';
    this.signed8or16 = m[2] === 'i' && kind.bytes < 4 ? kind.bytes : 0;
    this.shape = h.shape;
    this.rows = h.shape.length === 0 ? 1 : h.shape[0];
    this.rowShape = h.shape.slice(1);
    this.rowElems = this.rowShape.reduce((a, b) => a * b, 1);
    this.out = kind.out;
  }

  get remaining(): number {
    return this.rows - this.done;
  }

  /**
   * The next up to `max` rows, decoded; null at the end. `alloc(bytes)` supplies the buffer the
   * rows are read into (recycled buffers: see eval.ts); the result is a view of it when the
   * file's type is the result's type.
   */
  async next(max: number, alloc?: (bytes: number) => ArrayBuffer): Promise<{ rows: number; data: NumArray } | null> {
    const rows = Math.min(max, this.remaining);
    if (rows <= 0) return null;
    const n = rows * this.rowElems;
    const bytes = n * this.kind.bytes;
    const into = alloc ? new Uint8Array(alloc(bytes), 0, bytes) : undefined;
    const raw = await readExactly(this.src, bytes, this.file, `rows ${this.done}..${this.done + rows - 1}`, into);
    this.done += rows;
    return { rows, data: this.decode(raw, n) };
  }

  /** Skips up to `rows` rows (a seek for regular files); returns how many. */
  async skip(rows: number): Promise<number> {
    const k = Math.min(rows, this.remaining);
    const want = k * this.rowElems * this.kind.bytes;
    if ((await this.src.skip(want)) !== want) throw new DataError(`${this.file}: unexpected end of file (the header says ${this.rows} rows)`);
    this.done += k;
    return k;
  }

  private decode(raw: Uint8Array, n: number): NumArray {
    const b = this.kind.bytes;
    if (this.swap) {
      for (let i = 0; i < raw.length; i += b) raw.subarray(i, i + b).reverse();
    }
    // A fresh or recycled buffer at offset 0: aligned for every element size.
    const buf = raw.buffer as ArrayBuffer;
    if (this.half) {
      const h = new Uint16Array(buf, raw.byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
      return out;
    }
    switch (`${this.out}${b}`) {
      case 'f324': return new Float32Array(buf, raw.byteOffset, n);
      case 'f648': return new Float64Array(buf, raw.byteOffset, n);
      case 'i324': return new Int32Array(buf, raw.byteOffset, n);
      case 'i648': return this.unsigned ? BigInt64Array.from(new BigUint64Array(buf, raw.byteOffset, n), (v) => BigInt.asIntN(64, v)) : new BigInt64Array(buf, raw.byteOffset, n);
      case 'i644': return BigInt64Array.from(new Uint32Array(buf, raw.byteOffset, n), (v) => BigInt(v));
      default: {
        // 1- and 2-byte integers and bools → int32.
        const src = this.signed8or16 === 1 ? new Int8Array(buf, raw.byteOffset, n)
          : this.signed8or16 === 2 ? new Int16Array(buf, raw.byteOffset, n)
            : b === 2 ? new Uint16Array(buf, raw.byteOffset, n) : new Uint8Array(buf, raw.byteOffset, n);
        return Int32Array.from(src);
      }
    }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The .npy header bytes (version 1.0, padded to `total` bytes, a multiple of 64). */
export function npyHeader(descr: string, shape: readonly number[], total = 128): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const len = total - 10;
  if (dict.length + 1 > len) throw new Error(`npy header too long for ${total} bytes`);
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, len & 0xff, len >> 8]);
  const body = dict.padEnd(len - 1, ' ') + '\n';
  for (let i = 0; i < body.length; i++) out[10 + i] = body.charCodeAt(i);
  return out;
}

/**
 * Writes a .npy of rows appended in order; the row count goes into the header at `finish()`
 * (the header has room for any count). `abort()` removes the partial file.
 */
export class NpyWriter {
  private rows = 0;
  private pos = 128;
  private constructor(private fh: FileHandle, readonly path: string, private descr: string, private rowShape: number[]) {}

  static async create(path: string, dtype: 'float32' | 'float64', rowShape: number[]): Promise<NpyWriter> {
    const fh = await open(path, 'w');
    const w = new NpyWriter(fh, path, dtype === 'float32' ? '<f4' : '<f8', rowShape);
    await fh.write(npyHeader(w.descr, [0, ...rowShape]), 0, 128, 0);
    return w;
  }

  async append(data: Float32Array | Float64Array, rows: number): Promise<void> {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    await this.fh.write(bytes, 0, bytes.length, this.pos);
    this.pos += bytes.length;
    this.rows += rows;
  }

  async finish(): Promise<void> {
    await this.fh.write(npyHeader(this.descr, [this.rows, ...this.rowShape]), 0, 128, 0);
    await this.fh.close();
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    const { rm } = await import('node:fs/promises');
    await rm(this.path, { force: true });
  }
}
