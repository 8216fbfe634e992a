// Writes a large .npy pair on the fly (for the CLI's memory-bound test): logits float32 (N, C)
// to argv[2] and labels int32 (N) to argv[3] (FIFOs: nothing touches the disk). The rows repeat
// one seeded block of B rows, so the test can compute the expected loss from that block.
// usage: node npy-stream.mjs <logits> <labels> <N> <C> <B> <seed>
import { createWriteStream } from 'node:fs';

const [, , xPath, yPath, nArg, cArg, bArg, seedArg] = process.argv;
const N = Number(nArg), C = Number(cArg), B = Number(bArg);
let s = Number(seedArg) >>> 0;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const x = Float32Array.from({ length: B * C }, () => 6 * rand() - 3);
const y = Int32Array.from({ length: B }, () => Math.floor(rand() * C));

function header(descr, shape) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 11, ' ') + '\n';
  const h = Buffer.alloc(total);
  h.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  h.write(dict, 10, 'latin1');
  return h;
}

async function pump(path, head, block, perRow) {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const write = (b) => (out.write(b) ? Promise.resolve() : new Promise((r) => out.once('drain', r)));
  await write(head);
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  for (let done = 0; done < N; done += B) {
    const rows = Math.min(B, N - done);
    await write(rows === B ? bytes : bytes.subarray(0, rows * perRow));
  }
  await new Promise((r) => out.end(r));
}

await Promise.all([pump(xPath, header('<f4', [N, C]), x, C * 4), pump(yPath, header('<i4', [N]), y, 4)]);
