// Byte sources for the binary readers: a file region read in bounded pieces (positional reads
// for regular files, sequential reads for pipes/FIFOs and stdin), and a DEFLATE stream over one
// (fflate's streaming Inflate), for compressed .npz members. Memory: one piece at a time.

import { open, type FileHandle } from 'node:fs/promises';
import { Inflate } from 'fflate';
import { DataError } from './errors.js';

/** Pulls bytes: `read(n)` returns up to n bytes (fewer only at the end), null at the end. */
export interface ByteSource {
  read(n: number): Promise<Uint8Array | null>;
  /** Reads into `buf` (up to its length); returns the count, 0 at the end. Optional fast path. */
  readInto?(buf: Uint8Array): Promise<number>;
  /** Skips n bytes (seeks where the source allows); returns how many were skipped. */
  skip(n: number): Promise<number>;
  close(): Promise<void>;
}

/** Reads exactly n bytes or throws a DataError naming `file` (a truncated file). */
export async function readExactly(src: ByteSource, n: number, file: string, what: string, into?: Uint8Array): Promise<Uint8Array> {
  const out = into ?? new Uint8Array(n);
  let at = 0;
  if (src.readInto) {
    while (at < n) {
      const k = await src.readInto(out.subarray(at, n));
      if (k === 0) throw new DataError(`${file}: unexpected end of file while reading ${what} (${at} of ${n} bytes)`);
      at += k;
    }
    return out;
  }
  while (at < n) {
    const b = await src.read(n - at);
    if (b === null || b.length === 0) throw new DataError(`${file}: unexpected end of file while reading ${what} (${at} of ${n} bytes)`);
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** A region [start, end) of a file (end = Infinity: to the end), or a pipe read sequentially. */
export class FileBytes implements ByteSource {
  private pos: number;
  private constructor(private fh: FileHandle, private seekable: boolean, start: number, private end: number, private owned: boolean) {
    this.pos = start;
  }

  static async open(path: string, start = 0, end = Infinity): Promise<FileBytes> {
    const fh = await open(path, 'r');
    const st = await fh.stat();
    return new FileBytes(fh, st.isFile(), start, end, true);
  }

  /** Another region of an already open file (shares the handle; closing it does not close the file). */
  static region(of: FileBytes, start: number, end: number): FileBytes {
    return new FileBytes(of.fh, of.seekable, start, end, false);
  }

  get handle(): FileHandle {
    return this.fh;
  }

  async read(n: number): Promise<Uint8Array | null> {
    const want = Math.min(n, this.end - this.pos);
    if (want <= 0) return null;
    const buf = new Uint8Array(want);
    const got = await this.readInto(buf);
    return got === 0 ? null : got === want ? buf : buf.subarray(0, got);
  }

  async readInto(buf: Uint8Array): Promise<number> {
    const want = Math.min(buf.length, this.end - this.pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, this.seekable ? this.pos + got : null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.pos += got;
    return got;
  }

  async skip(n: number): Promise<number> {
    if (this.seekable) {
      const k = Math.max(0, Math.min(n, this.end - this.pos));
      this.pos += k;
      return k;
    }
    let done = 0;
    while (done < n) {
      const b = await this.read(Math.min(n - done, 1 << 20));
      if (b === null) break;
      done += b.length;
    }
    return done;
  }

  async close(): Promise<void> {
    if (this.owned) await this.fh.close();
  }
}

/** The inflated bytes of a DEFLATE stream read from `raw` in 64 KiB pieces. */
export class InflateBytes implements ByteSource {
  private queue: Uint8Array[] = [];
  private done = false;
  private inflate: Inflate;
  constructor(private raw: ByteSource, private file: string) {
    this.inflate = new Inflate((chunk) => {
      if (chunk.length > 0) this.queue.push(chunk);
    });
  }

  private async fill(): Promise<void> {
    while (this.queue.length === 0 && !this.done) {
      const b = await this.raw.read(64 * 1024);
      try {
        if (b === null) {
          this.done = true;
          this.inflate.push(new Uint8Array(0), true);
        } else {
          this.inflate.push(b, false);
        }
      } catch (e) {
        throw new DataError(`${this.file}: corrupt compressed data (${(e as Error).message})`);
      }
    }
  }

  async read(n: number): Promise<Uint8Array | null> {
    await this.fill();
    const head = this.queue[0];
    if (head === undefined) return null;
    if (head.length <= n) {
      this.queue.shift();
      return head;
    }
    this.queue[0] = head.subarray(n);
    return head.subarray(0, n);
  }

  async skip(n: number): Promise<number> {
    let done = 0;
    while (done < n) {
      const b = await this.read(n - done);
      if (b === null) break;
      done += b.length;
    }
    return done;
  }

  async close(): Promise<void> {
    await this.raw.close();
  }
}
