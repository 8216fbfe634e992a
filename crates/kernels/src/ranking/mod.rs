//! Shared machinery of the ranking, embedding and contrastive family (issue 12):
//! - [`row_sums`] / [`row_map`]: one SIMD pass over up to three rows of `D` values, several
//!   sums at once or up to three outputs at once (the triplet and cosine losses read an
//!   anchor, a positive and a negative row together);
//! - [`distance`]: PyTorch's `pairwise_distance` (`‖x − y + eps‖_p`) and `cosine_similarity`
//!   of rows, with their gradients;
//! - [`gram`]: the tiled similarity-matrix core of the contrastive losses (NT-Xent, SupCon);
//! - [`lists`]: the padded lists `(B, L)` of the learning-to-rank losses.

pub mod distance;
pub mod gram;
pub mod lists;

use crate::driver::{Sum, FLUSH_VECTORS};
use crate::simd::{Element, Vector};

/// The first `k < LANES` elements of `s[i..]`, zero-padded to a whole vector.
#[inline(always)]
pub(crate) fn load_tail<V: Vector>(s: &[V::Elem], i: usize, k: usize) -> V {
    let mut buf = [V::Elem::default(); 8];
    buf[..k].copy_from_slice(&s[i..i + k]);
    V::load(&buf)
}

#[inline(always)]
pub(crate) fn store_tail<V: Vector>(v: V, s: &mut [V::Elem], i: usize, k: usize) {
    let mut buf = [V::Elem::default(); 8];
    v.store(&mut buf);
    s[i..i + k].copy_from_slice(&buf[..k]);
}

/// The vectors of three rows at `i`: whole (`k = LANES`, unchecked loads) or the zero-padded
/// tail.
#[inline(always)]
fn load3<E: Element>(rows: &[&[E]; 3], i: usize, k: usize) -> [E::V; 3] {
    if k == E::V::LANES {
        // SAFETY: callers pass i + LANES <= n with every row holding n elements.
        rows.map(|r| unsafe { E::V::load_ptr(r.as_ptr().add(i)) })
    } else {
        rows.map(|r| load_tail::<E::V>(r, i, k))
    }
}

/// `K` sums over `n` elements of terms `f` computes from the vectors of three rows at the same
/// positions (pass one row several times when fewer are needed): lanes accumulate in the
/// element type over [`FLUSH_VECTORS`] vectors, then each block is added in f64 with
/// compensation, as the elementwise driver sums. The zero-padded tail's extra lanes are masked
/// out of the sums, so `f(0, 0, 0)` need not be 0. Whole vectors with unchecked loads, then the
/// tail: a single loop whose loads branch on the tail ran 3–5× slower in V8.
///
/// Panics if a row is shorter than `n`.
#[inline(always)]
pub(crate) fn row_sums<E: Element, const K: usize>(
    rows: [&[E]; 3],
    n: usize,
    f: impl Fn([E::V; 3]) -> [E::V; K],
) -> [f64; K] {
    let rows = rows.map(|r| &r[..n]);
    let lanes = E::V::LANES;
    let zero = E::V::splat(E::default());
    let mut total = [Sum::default(); K];
    let mut acc = [zero; K];
    let mut i = 0;
    let mut block = 0;
    while i + lanes <= n {
        // SAFETY: i + LANES <= n and every row holds n elements (truncated above).
        let t = f(rows.map(|r| unsafe { E::V::load_ptr(r.as_ptr().add(i)) }));
        for q in 0..K {
            acc[q] = acc[q] + t[q];
        }
        i += lanes;
        block += 1;
        if block == FLUSH_VECTORS {
            for q in 0..K {
                total[q].add(acc[q].sum_f64());
                acc[q] = zero;
            }
            block = 0;
        }
    }
    if i < n {
        let k = n - i;
        let t = f(rows.map(|r| load_tail::<E::V>(r, i, k)));
        let m = E::V::mask_first(k);
        for q in 0..K {
            acc[q] = acc[q] + E::V::select(m, t[q], zero);
        }
    }
    for q in 0..K {
        total[q].add(acc[q].sum_f64());
    }
    total.map(|s| s.value())
}

/// Writes up to three output rows from the vectors of three input rows at the same positions:
/// `outs[q][i] = f(rows[..][i])[q]` for each output that is given.
///
/// Panics if a row or output is shorter than `n`.
#[inline(always)]
pub(crate) fn row_map<E: Element>(
    rows: [&[E]; 3],
    outs: [Option<&mut [E]>; 3],
    n: usize,
    f: impl Fn([E::V; 3]) -> [E::V; 3],
) {
    let rows = rows.map(|r| &r[..n]);
    // Raw output pointers (null: not wanted), resolved once: the loop tests a pointer, not an
    // Option of a slice, and stores without bounds checks.
    let outs = outs.map(|o| o.map_or(core::ptr::null_mut(), |o| o[..n].as_mut_ptr()));
    let lanes = E::V::LANES;
    let mut i = 0;
    while i + lanes <= n {
        // SAFETY: i + LANES <= n, every row and output holds n elements (truncated above).
        unsafe {
            let t = f(rows.map(|r| E::V::load_ptr(r.as_ptr().add(i))));
            for (p, t) in outs.iter().zip(t) {
                if !p.is_null() {
                    t.store_ptr(p.add(i));
                }
            }
        }
        i += lanes;
    }
    if i < n {
        let k = n - i;
        let t = f(rows.map(|r| load_tail::<E::V>(r, i, k)));
        for (p, t) in outs.iter().zip(t) {
            if !p.is_null() {
                // SAFETY: p points at an output of n elements.
                store_tail(t, unsafe { core::slice::from_raw_parts_mut(*p, n) }, i, k);
            }
        }
    }
}

/// [`row_map`] and [`row_sums`] in one pass: `f` returns two vectors to store (into the outputs
/// that are given) and `K` terms to sum.
///
/// Panics if a row or output is shorter than `n`.
#[inline(always)]
pub(crate) fn row_map_sums<E: Element, const K: usize>(
    rows: [&[E]; 3],
    outs: [Option<&mut [E]>; 2],
    n: usize,
    f: impl Fn([E::V; 3]) -> ([E::V; 2], [E::V; K]),
) -> [f64; K] {
    let rows = rows.map(|r| &r[..n]);
    let outs = outs.map(|o| o.map_or(core::ptr::null_mut(), |o| o[..n].as_mut_ptr()));
    let lanes = E::V::LANES;
    let zero = E::V::splat(E::default());
    let mut total = [Sum::default(); K];
    let mut acc = [zero; K];
    let mut i = 0;
    let mut block = 0;
    while i + lanes <= n {
        // SAFETY: i + LANES <= n, every row and output holds n elements (truncated above).
        unsafe {
            let (st, t) = f(rows.map(|r| E::V::load_ptr(r.as_ptr().add(i))));
            for (p, v) in outs.iter().zip(st) {
                if !p.is_null() {
                    v.store_ptr(p.add(i));
                }
            }
            for q in 0..K {
                acc[q] = acc[q] + t[q];
            }
        }
        i += lanes;
        block += 1;
        if block == FLUSH_VECTORS {
            for q in 0..K {
                total[q].add(acc[q].sum_f64());
                acc[q] = zero;
            }
            block = 0;
        }
    }
    if i < n {
        let k = n - i;
        let (st, t) = f(rows.map(|r| load_tail::<E::V>(r, i, k)));
        for (p, v) in outs.iter().zip(st) {
            if !p.is_null() {
                // SAFETY: p points at an output of n elements.
                store_tail(v, unsafe { core::slice::from_raw_parts_mut(*p, n) }, i, k);
            }
        }
        let m = E::V::mask_first(k);
        for q in 0..K {
            acc[q] = acc[q] + E::V::select(m, t[q], zero);
        }
    }
    for q in 0..K {
        total[q].add(acc[q].sum_f64());
    }
    total.map(|s| s.value())
}

/// `acc[j] += f(rows[..][j])` into an f64 accumulator, returning `Σ_j f(…)` (each term rounded once, in
/// the element type; the sums exact to f64), for gradients that are sums of many terms of both
/// signs.
#[inline(always)]
pub(crate) fn row_accumulate64<E: Element>(
    rows: [&[E]; 3],
    acc: &mut [f64],
    n: usize,
    f: impl Fn([E::V; 3]) -> E::V,
) -> f64 {
    let rows = rows.map(|r| &r[..n]);
    let acc = &mut acc[..n];
    let lanes = E::V::LANES;
    let zero = E::V::splat(E::default());
    let mut total = 0.0;
    let mut buf = [E::default(); 8];
    let mut i = 0;
    while i < n {
        let k = (n - i).min(lanes);
        let t = E::V::select(E::V::mask_first(k), f(load3(&rows, i, k)), zero);
        t.store(&mut buf);
        for (a, b) in acc[i..i + k].iter_mut().zip(&buf) {
            *a += b.to_f64();
            total += b.to_f64();
        }
        i += k;
    }
    total
}

/// Sorts `idx` by `key[idx]` in decreasing order, stably (ties keep their order), NaN first
/// (as `torch.sort(descending=True)`) and `−0 = +0`: a bottom-up merge sort, one small
/// non-generic function for every list sort of the family.
pub(crate) fn sort_desc_stable(key: &[f64], idx: &mut [usize], tmp: &mut Vec<usize>) {
    let before = |a: usize, b: usize| {
        // a strictly before b.
        let (x, y) = (key[a], key[b]);
        if x.is_nan() {
            !y.is_nan()
        } else {
            x > y
        }
    };
    let n = idx.len();
    tmp.clear();
    tmp.resize(n, 0);
    let mut width = 1;
    let (mut src, mut dst): (&mut [usize], &mut [usize]) = (idx, &mut tmp[..]);
    let mut swapped = false;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut o) = (lo, mid, lo);
            while i < mid && j < hi {
                // Take from the right run only when it is strictly first: stable.
                if before(src[j], src[i]) {
                    dst[o] = src[j];
                    j += 1;
                } else {
                    dst[o] = src[i];
                    i += 1;
                }
                o += 1;
            }
            dst[o..o + mid - i].copy_from_slice(&src[i..mid]);
            o += mid - i;
            dst[o..o + hi - j].copy_from_slice(&src[j..hi]);
            lo = hi;
        }
        core::mem::swap(&mut src, &mut dst);
        swapped = !swapped;
        width *= 2;
    }
    if swapped {
        dst.copy_from_slice(src);
    }
}

/// `c` in every lane, converted to the vector's element type.
#[inline(always)]
pub(crate) fn splat<V: Vector>(c: f64) -> V {
    V::splat(V::Elem::from_f64(c))
}

/// Central difference of `f` at `x` along coordinate `j` (step 1e-6): the kernel tests'
/// reference gradient.
#[cfg(test)]
pub(crate) fn central_difference(f: impl Fn(&[f64]) -> f64, x: &[f64], j: usize) -> f64 {
    let mut xp = x.to_vec();
    xp[j] += 1e-6;
    let up = f(&xp);
    xp[j] -= 2e-6;
    (up - f(&xp)) / 2e-6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_descending_sort_for_every_length() {
        let mut tmp = Vec::new();
        for n in 0..70usize {
            let key: Vec<f64> = (0..n)
                .map(|k| match k % 11 {
                    3 => f64::NAN,
                    5 => -0.0,
                    7 => 0.0,
                    _ => ((k * 7) % 5) as f64,
                })
                .collect();
            let mut idx: Vec<usize> = (0..n).collect();
            sort_desc_stable(&key, &mut idx, &mut tmp);
            let rank = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
            let mut want: Vec<usize> = (0..n).collect();
            // std's stable sort on the same order.
            want.sort_by(|&a, &b| rank(key[b]).partial_cmp(&rank(key[a])).unwrap());
            assert_eq!(idx, want, "n={n}");
        }
    }

    #[test]
    fn row_helpers_cover_every_length() {
        for n in 0..21usize {
            let a: Vec<f32> = (0..n).map(|k| k as f32 + 0.5).collect();
            let b: Vec<f32> = (0..n).map(|k| 2.0 * k as f32).collect();
            let [s, c] = row_sums::<f32, 2>([&a, &b, &b], n, |[x, y, _]| [x * y, splat(1.0)]);
            let want: f64 = a.iter().zip(&b).map(|(x, y)| (x * y) as f64).sum();
            assert_eq!((s, c), (want, n as f64));
            let mut out = vec![0.0f32; n];
            row_map::<f32>([&a, &b, &b], [Some(&mut out), None, None], n, |[x, y, _]| {
                [x + y, x, x]
            });
            assert!(out.iter().enumerate().all(|(k, &v)| v == a[k] + b[k]));
            let mut acc = vec![1.0f64; n];
            let t = row_accumulate64::<f32>([&a, &b, &b], &mut acc, n, |[x, _, _]| x);
            assert_eq!(t, a.iter().map(|&v| v as f64).sum::<f64>());
            assert!(acc.iter().enumerate().all(|(k, &v)| v == 1.0 + a[k] as f64));
        }
    }
}
