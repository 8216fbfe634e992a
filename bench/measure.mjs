// Timing: warm up, calibrate an inner loop so one sample lasts a few milliseconds, then take
// samples until both a minimum time and a minimum count are reached; report the median.

const now = () => performance.now();

/** Keeps results alive so that no call can be optimized away. */
export let sink = 0;

/**
 * Times `fn(inputs)`. Returns seconds per call: `median` (reported) and `min`, with the sample
 * count and the calls per sample, plus `value` (the result of the first call).
 *
 * @param {(inputs: unknown) => number} fn
 * @param {unknown} inputs
 * @param {{ minTime: number, minSamples: number, slowSamples: number, sampleMs: number, warmMs: number }} o
 */
export function measure(fn, inputs, o) {
  // Warm-up: at least 2 calls and ~warmMs (enough for V8 to optimize the small sizes).
  let t0 = now();
  const value = fn(inputs);
  let calls = 1;
  while (calls < 2 || now() - t0 < o.warmMs) {
    sink += fn(inputs);
    calls++;
  }
  const perCallMs = (now() - t0) / calls;
  const inner = Math.max(1, Math.ceil(o.sampleMs / perCallMs));
  // Slow calls (≥ 100 ms): a few samples are enough and keep the run short.
  const minSamples = perCallMs >= 100 ? o.slowSamples : o.minSamples;
  const samples = [];
  const start = now();
  while (samples.length < minSamples || (now() - start < o.minTime * 1e3 && samples.length < 1000)) {
    const s = now();
    for (let i = 0; i < inner; i++) sink += fn(inputs);
    samples.push((now() - s) / inner / 1e3);
  }
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  const median = samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
  return { median, min: samples[0], samples: samples.length, inner, value };
}
