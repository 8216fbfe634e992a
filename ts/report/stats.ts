// Statistics behind the report's robustness and agreement sections: average ranks, Spearman's ρ,
// Kendall's τ-b in O(n log n) (Knight's merge-sort count, as SciPy's kendalltau), the share of a
// total taken by the k largest-loss samples. Plain arrays in, numbers out; no lossfn calls here.

/** Index of the first element of sorted `s` that is >= x (or > x with `after`). */
function bound(s: Float64Array, x: number, after: boolean): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid] < x || (after && s[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Ranks 1…n of `v`, ties given their average rank (SciPy's rankdata 'average'): a numeric
 * typed-array sort and two binary searches per value (no comparator sort: 1e5 values in ms).
 */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(v).sort();
  const r = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) r[i] = (bound(s, v[i], false) + bound(s, v[i], true) - 1) / 2 + 1;
  return r;
}

/** Dense ranks 0…(distinct − 1): equal values, equal ranks; order kept. */
function denseRanks(v: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(v).sort();
  let u = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[i - 1]) s[u++] = s[i];
  const uniq = s.subarray(0, u);
  return Float64Array.from(v, (x) => bound(uniq, x, false));
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

/** Spearman's ρ matrix of several vectors: each ranked once, each pair once. */
export function spearmanMatrix(vs: ArrayLike<number>[]): number[][] {
  const ranks = vs.map(averageRanks);
  const m = vs.map(() => new Array<number>(vs.length).fill(NaN));
  for (let i = 0; i < vs.length; i++) {
    for (let j = i; j < vs.length; j++) m[i][j] = m[j][i] = pearson(ranks[i], ranks[j]);
  }
  return m;
}

/** Kendall's τ-b matrix, each pair once. */
export function kendallMatrix(vs: ArrayLike<number>[]): number[][] {
  const ranks = vs.map(denseRanks);
  const m = vs.map(() => new Array<number>(vs.length).fill(NaN));
  for (let i = 0; i < vs.length; i++) {
    for (let j = i; j < vs.length; j++) m[i][j] = m[j][i] = kendallDense(ranks[i], ranks[j]);
  }
  return m;
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
  return kendallDense(denseRanks(a), denseRanks(b));
}

/** τ-b of two dense-rank vectors (ranks keep every order and tie, so τ-b is unchanged). */
function kendallDense(ra: Float64Array, rb: Float64Array): number {
  const n = ra.length;
  if (n < 2) return NaN;
  let xs: Float64Array;
  let ys: Float64Array;
  if (n * n < 2 ** 53) {
    // Sort by (a, b) as one exact float64 key a·n + b, with the native numeric sort.
    const key = Float64Array.from(ra, (x, i) => x * n + rb[i]).sort();
    xs = Float64Array.from(key, (k) => Math.floor(k / n));
    ys = Float64Array.from(key, (k, i) => k - xs[i] * n);
  } else {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => ra[i] - ra[j] || rb[i] - rb[j]);
    xs = Float64Array.from(order, (i) => ra[i]);
    ys = Float64Array.from(order, (i) => rb[i]);
  }
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(n, (i) => xs[i] === xs[i - 1]);
  const n3 = tiedPairs(n, (i) => xs[i] === xs[i - 1] && ys[i] === ys[i - 1]);
  // Merge sort on b counting, for each element taken from the right run, how many left-run
  // elements are strictly greater (strict: equal b values are ties, not discordances).
  let swaps = 0;
  let buf: Float64Array = new Float64Array(n);
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
    const tmp = ys;
    ys = buf;
    buf = tmp;
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
  k = Math.min(k, v.length);
  if (k === 0) return [];
  // The k-th largest value from a native sort, then one scan for the candidates.
  const thr = Float64Array.from(v).sort()[v.length - k];
  const idx: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i] >= thr) idx.push(i);
  return idx.sort((i, j) => v[j] - v[i] || i - j).slice(0, k);
}

/**
 * Share (0–1) of Σ w taken by the `frac` of samples with the largest w (at least one sample):
 * how much of the total the worst samples carry. A numeric typed-array sort, no comparator, so
 * 1e5 samples cost milliseconds.
 */
export function worstShare(w: ArrayLike<number>, frac = 0.01): number {
  const k = Math.max(1, Math.round(w.length * frac));
  const sorted = Float64Array.from(w).sort();
  let total = 0;
  for (let i = 0; i < sorted.length; i++) total += sorted[i];
  if (total === 0) return 0;
  let top = 0;
  for (let i = sorted.length - k; i < sorted.length; i++) top += sorted[i];
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
