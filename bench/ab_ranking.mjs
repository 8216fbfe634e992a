// A/B timing of the ranking family's benchmark calls (bench/ranking.mjs's sizes and data)
// between builds of lossfn in ONE process: each build's dist/ is imported as its own module
// instance (own wasm memory), and the builds are timed alternately, round by round, so that
// load from other processes on this small shared machine hits both alike. Prints each build's
// median µs per call (forward + backward, copies included, as `npm run bench` times it) and,
// per round, its time over the first build's, with the ratios' median and range.
//
// Usage: node bench/ab_ranking.mjs <dist-dir> [<dist-dir> …]   (default: dist)
// Knobs: AB_FILTER=regex (on entry names), AB_ROUNDS=7, AB_MS=400 (timed ms per build and
//        round), AB_SIMD=auto|baseline|relaxed (init()'s module choice), AB_BATCH=1 (calls per
//        timed sample: with more, a sample includes the garbage collections the calls' arrays
//        cause, as `npm run bench`'s ~5 ms samples do; with 1 the median mostly misses them).

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { makeRankingEntries } from './ranking.mjs';
import { rng } from './entries.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const ROUNDS = Number(env.AB_ROUNDS ?? 7);
const MS = Number(env.AB_MS ?? 400);
const BATCH = Math.max(1, Number(env.AB_BATCH ?? 1));
const FILTER = new RegExp(env.AB_FILTER ?? 'listNet|ntXent');
const dirs = process.argv.slice(2);
if (dirs.length === 0) dirs.push(path.join(ROOT, 'dist'));

const builds = [];
for (const d of dirs) {
  const lib = await import(pathToFileURL(path.resolve(d, 'index.js')).href);
  await lib.init({ simd: env.AB_SIMD ?? 'auto' });
  builds.push({ dir: d, lib, entries: makeRankingEntries(lib).filter((e) => FILTER.test(e.name)) });
}

/** Median seconds per call over ~MS of calls (after a first call), in samples of BATCH calls. */
function time(fn, inputs) {
  fn(inputs);
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < MS || samples.length < 5) {
    const t = performance.now();
    for (let i = 0; i < BATCH; i++) fn(inputs);
    samples.push((performance.now() - t) / BATCH);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] / 1e3;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`node ${process.version}, modules: ${builds.map((b) => `${b.dir} (${b.lib.wasmVariant()})`).join(', ')}`);
for (let e = 0; e < builds[0].entries.length; e++) {
  const name = builds[0].entries[e].name;
  const inputs = builds[0].entries[e].make(0, rng(1234));
  const values = builds.map((b) => b.entries[e].lossfn(inputs));
  const times = builds.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which build goes first.
    const order = builds.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) times[i].push(time(builds[i].entries[e].lossfn, inputs));
  }
  console.log(`\n${name}  (values: ${values.map((v) => v.toPrecision(9)).join(', ')})`);
  builds.forEach((b, i) => {
    const ratios = times[i].map((t, r) => t / times[0][r]);
    const spread = i === 0 ? '' : `  time/first: median ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)}, ${Math.max(...ratios).toFixed(3)}]`;
    console.log(`  ${b.dir}: median ${(median(times[i]) * 1e6).toFixed(1)} µs, best ${(Math.min(...times[i]) * 1e6).toFixed(1)} µs${spread}`);
  });
}
