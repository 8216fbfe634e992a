// NumPy .npz members (np.savez / np.savez_compressed): the zip central directory (with ZIP64,
// which numpy writes for large members), then the member's bytes: stored members are read in
// place like a .npy, deflated ones through fflate's streaming Inflate. Only the directory and
// one bounded piece of data are in memory at a time.

import { FileBytes, InflateBytes, readExactly, type ByteSource } from './bytes.js';
import { DataError } from './errors.js';

interface Member {
  name: string;
  method: number;
  compressed: number;
  localOffset: number;
}

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 2 ** 24;
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 2 ** 32;

async function readAt(f: FileBytes, start: number, n: number, file: string, what: string): Promise<Uint8Array> {
  return readExactly(FileBytes.region(f, start, start + n), n, file, what);
}

/** The members of the zip archive `f` (`size` bytes). */
async function directory(f: FileBytes, size: number, file: string): Promise<Member[]> {
  const tail = Math.min(size, 22 + 65535);
  const end = await readAt(f, size - tail, tail, file, 'the zip directory');
  let eocd = -1;
  for (let i = tail - 22; i >= 0; i--) {
    if (u32(end, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new DataError(`${file}: not a .npz (zip) file: no end-of-central-directory record`);
  let count = u16(end, eocd + 10);
  let cdSize = u32(end, eocd + 12);
  let cdOffset = u32(end, eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff || cdSize === 0xffffffff) {
    // ZIP64: the locator sits just before the classic record.
    const loc = eocd - 20;
    if (loc < 0 || u32(end, loc) !== 0x07064b50) throw new DataError(`${file}: ZIP64 archive without its locator`);
    const z = await readAt(f, u64(end, loc + 8), 56, file, 'the ZIP64 directory record');
    if (u32(z, 0) !== 0x06064b50) throw new DataError(`${file}: bad ZIP64 end-of-directory record`);
    count = u64(z, 32);
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
  }
  const cd = await readAt(f, cdOffset, cdSize, file, 'the zip central directory');
  const members: Member[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (u32(cd, p) !== 0x02014b50) throw new DataError(`${file}: corrupt zip central directory`);
    const method = u16(cd, p + 10);
    let compressed = u32(cd, p + 20);
    let uncompressed = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    let localOffset = u32(cd, p + 42);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 0xFFFFFFFF fields, in order uncompressed, compressed, offset.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(cd, e);
      const len = u16(cd, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (uncompressed === 0xffffffff) { uncompressed = u64(cd, q); q += 8; }
        if (compressed === 0xffffffff) { compressed = u64(cd, q); q += 8; }
        if (localOffset === 0xffffffff) localOffset = u64(cd, q);
      }
      e += 4 + len;
    }
    members.push({ name, method, compressed, localOffset });
    p = eEnd + commentLen;
  }
  return members;
}

/**
 * The bytes of member `name` (with or without `.npy`) of the .npz `path`, and the member names
 * (for messages). Stored members read in place; deflated ones inflate as they are read.
 */
export async function openNpzMember(path: string, name: string | null): Promise<{ bytes: ByteSource; member: string }> {
  const f = await FileBytes.open(path);
  try {
    const st = await f.handle.stat();
    if (!st.isFile()) throw new DataError(`${path}: a .npz must be a regular file (its directory is at the end)`);
    const members = await directory(f, st.size, path);
    const names = members.map((m) => m.name.replace(/\.npy$/, ''));
    if (name === null) {
      if (members.length !== 1) throw new DataError(`${path}: the .npz has ${members.length} members (${names.join(', ')}); choose one with --input-column / --target-column`);
      name = names[0];
    }
    const m = members.find((x) => x.name === name || x.name === `${name}.npy`);
    if (m === undefined) throw new DataError(`${path}: no member '${name}' in the .npz (members: ${names.join(', ')})`);
    const local = await readAt(f, m.localOffset, 30, path, `the zip header of '${name}'`);
    if (u32(local, 0) !== 0x04034b50) throw new DataError(`${path}: corrupt zip local header for '${name}'`);
    const start = m.localOffset + 30 + u16(local, 26) + u16(local, 28);
    const region = FileBytes.region(f, start, start + m.compressed);
    const close = async (): Promise<void> => f.close();
    if (m.method === 0) return { bytes: { read: (n) => region.read(n), readInto: (b) => region.readInto(b), skip: (n) => region.skip(n), close }, member: name };
    if (m.method === 8) {
      const inflated = new InflateBytes({ read: (n) => region.read(n), skip: (n) => region.skip(n), close }, `${path} (member '${name}')`);
      return { bytes: inflated, member: name };
    }
    throw new DataError(`${path}: member '${name}' uses zip compression method ${m.method} (only stored and deflate are supported)`);
  } catch (e) {
    await f.close();
    throw e;
  }
}
