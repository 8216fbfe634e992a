// What refusing changed inputs costs (issue 8, README "Reliability"): forward + backward of a
// loss whose input requires grad, with the fingerprint guard on and off, interleaved in one
// process (A, B, A, B, …); prints the median of the per-pair ratios on/off and their spread.
//
//   npm run build && node bench/reliability.mjs
import { F, init, tensor } from '../dist/index.js';
import { rng } from './entries.mjs';
import { setFingerprinting } from '../dist/fingerprint.js';

await init();

const r = rng(8);
const uniform = (n, lo, hi) => r.uniform(n, lo, hi);

const CASES = [
  ['mseLoss n=1e3', () => { const x = uniform(1e3, -2, 2), t = uniform(1e3, -2, 2); return () => F.mseLoss(tensor(x, undefined, { requiresGrad: true }), tensor(t)); }],
  ['mseLoss n=1e5', () => { const x = uniform(1e5, -2, 2), t = uniform(1e5, -2, 2); return () => F.mseLoss(tensor(x, undefined, { requiresGrad: true }), tensor(t)); }],
  ['mseLoss n=4e6', () => { const x = uniform(4e6, -2, 2), t = uniform(4e6, -2, 2); return () => F.mseLoss(tensor(x, undefined, { requiresGrad: true }), tensor(t)); }],
  ['binaryCrossEntropyWithLogits n=1e6', () => { const x = uniform(1e6, -6, 6), t = uniform(1e6, 0, 1); return () => F.binaryCrossEntropyWithLogits(tensor(x, undefined, { requiresGrad: true }), tensor(t)); }],
  ['crossEntropy [256, 1000]', () => { const x = uniform(256e3, -4, 4), y = Int32Array.from({ length: 256 }, () => Math.floor(r.next() * 1000)); return () => F.crossEntropy(tensor(x, [256, 1000], { requiresGrad: true }), tensor(y)); }],
  ['crossEntropy [1, 1e6]', () => { const x = uniform(1e6, -4, 4); return () => F.crossEntropy(tensor(x, [1, 1e6], { requiresGrad: true }), tensor(Int32Array.of(7))); }],
];

const q = (a, p) => [...a].sort((u, v) => u - v)[Math.floor(p * (a.length - 1))];
for (const [name, make] of CASES) {
  const call = make();
  const time = (on) => {
    setFingerprinting(on);
    const t0 = performance.now();
    call().backward();
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) { time(true); time(false); }
  const budget = performance.now() + 3000;
  const ratios = [];
  const ons = [];
  while (performance.now() < budget || ratios.length < 15) {
    const on = time(true);
    const off = time(false);
    ratios.push(on / off);
    ons.push(on);
  }
  setFingerprinting(true);
  console.log(`${name.padEnd(36)} guard on/off: median ×${q(ratios, 0.5).toFixed(3)} (p25 ×${q(ratios, 0.25).toFixed(3)}, p75 ×${q(ratios, 0.75).toFixed(3)}), ${ratios.length} pairs; on: median ${q(ons, 0.5).toFixed(3)} ms`);
}
