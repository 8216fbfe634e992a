// Timing: warm up, calibrate an inner loop so one sample lasts a few milliseconds, then take
// samples until both a minimum time and a minimum count are reached; report the median. With
// `rounds` > 1 (the target size), that window is repeated and the best median kept, which
// rides out short bursts of load from other processes on a small noisy machine.

const now = () => performance.now();

/** Keeps results alive so that no call can be optimized away. */
export let sink = 0;

/**
 * Times `fn(inputs)`. Returns seconds per call: `median` (reported: the best of the rounds'
 * medians), `min` (fastest sample) and `medians` (one per round), with the sample count and the
 * calls per sample, plus `value` (the result of the first call).
 *
 * @param {(inputs: unknown) => number} fn
 * @param {unknown} inputs
 * @param {{ minTime: number, minSamples: number, slowSamples: number, sampleMs: number, warmMs: number }} o
 * @param {number} rounds windows of samples; slow calls (≥ 100 ms) get one
 */
export function measure(fn, inputs, o, rounds = 1) {
  // Warm-up: at least 2 calls and ~warmMs (enough for V8 to optimize the small sizes).
  const t0 = now();
  const value = fn(inputs);
  let calls = 1;
  while (calls < 2 || now() - t0 < o.warmMs) {
    sink += fn(inputs);
    calls++;
  }
  const perCallMs = (now() - t0) / calls;
  const inner = Math.max(1, Math.ceil(o.sampleMs / perCallMs));
  // Slow calls (≥ 100 ms): a few samples are enough and keep the run short.
  const slow = perCallMs >= 100;
  const minSamples = slow ? o.slowSamples : o.minSamples;
  const medians = [];
  let min = Infinity;
  let count = 0;
  for (let round = 0; round < (slow ? 1 : rounds); round++) {
    const samples = [];
    const start = now();
    while (samples.length < minSamples || (now() - start < o.minTime * 1e3 && samples.length < 1000)) {
      const s = now();
      for (let i = 0; i < inner; i++) sink += fn(inputs);
      samples.push((now() - s) / inner / 1e3);
    }
    samples.sort((a, b) => a - b);
    const mid = samples.length >> 1;
    medians.push(samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2);
    min = Math.min(min, samples[0]);
    count += samples.length;
  }
  return { median: Math.min(...medians), medians, min, samples: count, inner, value };
}
