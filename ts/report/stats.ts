// Statistics behind the report's robustness and agreement sections: average ranks, Spearman's ρ,
// Kendall's τ-b in O(n log n) (Knight's merge-sort count, as SciPy's kendalltau), the share of a
// total taken by the k largest-loss samples. Plain arrays in, numbers out; no lossfn calls here.

/** Ranks 1…n of `v`, ties given their average rank (SciPy's rankdata 'average'). */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation; NaN when either vector is constant (SciPy returns NaN there too). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  // Rounding can push |r| a hair past 1 for identical rankings.
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** Spearman's ρ: Pearson's r of the average ranks (scipy.stats.spearmanr). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(averageRanks(a), averageRanks(b));
}

/** Number of tied pairs in a sorted run structure: Σ t(t−1)/2 over runs of equal keys. */
function tiedPairs(n: number, same: (i: number) => boolean): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i < n; i++) {
    if (same(i)) run++;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return total + (run * (run - 1)) / 2;
}

/**
 * Kendall's τ-b in O(n log n): sort by (a, b), count ties in a and joint ties, then count the
 * discordant pairs as the swaps of a bottom-up merge sort on b (Knight 1966; scipy.stats.kendalltau
 * with variant 'b'). NaN when either vector is constant.
 */
export function kendallTauB(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i] - a[j] || b[i] - b[j]);
  let ys = Float64Array.from(order, (i) => b[i]);
  const xs = Float64Array.from(order, (i) => a[i]);
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(n, (i) => xs[i] === xs[i - 1]);
  const n3 = tiedPairs(n, (i) => xs[i] === xs[i - 1] && ys[i] === ys[i - 1]);
  // Merge sort on b counting, for each element taken from the right run, how many left-run
  // elements are strictly greater (strict: equal b values are ties, not discordances).
  let swaps = 0;
  let buf = new Float64Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (ys[j] < ys[i]) {
          swaps += mid - i;
          buf[k++] = ys[j++];
        } else buf[k++] = ys[i++];
      }
      while (i < mid) buf[k++] = ys[i++];
      while (j < hi) buf[k++] = ys[j++];
    }
    [ys, buf] = [buf, ys];
  }
  const n2 = tiedPairs(n, (i) => ys[i] === ys[i - 1]);
  const den = Math.sqrt((n0 - n1) * (n0 - n2));
  if (den === 0) return NaN;
  const tau = (n0 - n1 - n2 + n3 - 2 * swaps) / den;
  return Math.max(-1, Math.min(1, tau));
}

/** Kendall's τ-b by counting every pair, O(n²): the reference the tests hold the fast one to. */
export function kendallTauBBrute(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let conc = 0;
  let disc = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(a[i] - a[j]);
      const dy = Math.sign(b[i] - b[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tx++;
      else if (dy === 0) ty++;
      else if (dx === dy) conc++;
      else disc++;
    }
  }
  const den = Math.sqrt((conc + disc + tx) * (conc + disc + ty));
  return den === 0 ? NaN : (conc - disc) / den;
}

/** Indices of the k largest values, largest first (ties by lower index: deterministic). */
export function topK(v: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: v.length }, (_, i) => i)
    .sort((i, j) => v[j] - v[i] || i - j)
    .slice(0, k);
}

/** Share (0–1) of Σ weight taken by the `frac` of samples with the largest `by` (at least one). */
export function worstShare(by: ArrayLike<number>, weight: ArrayLike<number>, frac = 0.01): number {
  const k = Math.max(1, Math.round(by.length * frac));
  let total = 0;
  for (let i = 0; i < weight.length; i++) total += weight[i];
  if (total === 0) return 0;
  let top = 0;
  for (const i of topK(by, k)) top += weight[i];
  return top / total;
}

/** Arithmetic mean (pairwise enough for the report's sizes: plain sum in float64). */
export function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

/** Deterministic xorshift32 in [0, 1) seeded by an unsigned 32-bit integer (0 maps to 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Standard normal draw (Box–Muller, one value per call). */
export const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
