//! RankNet's pairwise logistic loss over padded lists, as allRank's `rankNet`
//! (allegro/allRank, `allrank/models/losses/rankNet.py` at c884756): for every pair of real
//! documents `(i, j)` of a list with `y_i > y_j`, `w_ij·softplus(s_j − s_i)` (binary cross
//! entropy with logits of `s_i − s_j` against 1), weights `w = 1`, `|y_i − y_j|`
//! (`weight_by_diff`) or `|y_i² − y_j²|` (`weight_by_diff_powed`; `weight_by_diff` wins when
//! both are set, as allRank's `if/elif`). allRank's `'mean'` divides by the number of such
//! pairs in the whole batch (the weights are not normalised: `BCEWithLogitsLoss(weight)`).
//!
//! `∂s_i = −Σ_j w·σ(s_j − s_i)`, `∂s_j = +w·σ(s_j − s_i)` per pair. Each list is `L` passes of
//! one row against the whole row (SIMD over `j`): `O(L²)` per list, no pair lists built.

use crate::driver::{Sum, Upstream};
use crate::math::{exp, log1p_unit};
use crate::ranking::lists::{real, upstream_at, PAD};
use crate::ranking::{load_tail, splat, store_tail};
use crate::simd::{Element, Vector};

/// Pair weights.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Weight {
    One,
    /// `|y_i − y_j|`.
    Diff,
    /// `|y_i² − y_j²|`.
    DiffPowed,
}

pub struct RankNetLoss {
    /// `L`, the list length.
    pub len: usize,
    pub weight: Weight,
}

impl RankNetLoss {
    fn lists<E>(&self, s: &[E]) -> usize {
        s.len().checked_div(self.len).unwrap_or(0)
    }

    /// `(mask, w)` of the pairs `(i, j)` for row `i`'s relevance `yi`, over the vector `y` of
    /// the `j`s: `y_j < y_i`, `y_j` real.
    #[inline(always)]
    fn pairs<V: Vector>(&self, yi: V, y: V) -> (V::Mask, V) {
        let mask = V::mask_and(y.lt(yi), V::mask_not(y.eq(splat(PAD))));
        let w = match self.weight {
            Weight::One => splat(1.0),
            Weight::Diff => (yi - y).abs(),
            Weight::DiffPowed => (yi * yi - y * y).abs(),
        };
        (mask, w)
    }

    /// Writes each list's `Σ w·softplus` into `out` when given; returns `(Σ, pair count)`. With
    /// `gs`, also writes `∂(Σ_b l_b)/∂s` (an upstream of 1 per list) in the same pass: softplus
    /// and σ share one exponential per pair.
    pub fn forward<E: Element>(
        &self,
        s: &[E],
        y: &[E],
        mut out: Option<&mut [E]>,
        mut gs: Option<&mut [E]>,
    ) -> (f64, f64) {
        let l = self.len;
        let (mut total, mut count) = (Sum::default(), 0.0);
        for b in 0..self.lists(s) {
            let (sr, yr) = (&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l]);
            let mut grow = gs.as_deref_mut().map(|g| &mut g[b * l..(b + 1) * l]);
            if let Some(g) = grow.as_deref_mut() {
                g.fill(E::default());
            }
            let mut list = Sum::default();
            for i in 0..l {
                if !real(yr, i) {
                    continue;
                }
                let [v, c, t] = self.pair_row(sr, yr, i, grow.as_deref_mut());
                list.add(v);
                count += c;
                if let Some(g) = grow.as_deref_mut() {
                    g[i] = E::from_f64(g[i].to_f64() - t);
                }
            }
            if let Some(o) = out.as_deref_mut() {
                o[b] = E::from_f64(list.value());
            }
            total.add(list.value());
        }
        (total.value(), count)
    }

    /// Row `i` of a list against every `j`: `[Σ w·softplus(s_j − s_i), pairs, Σ w·σ(s_j − s_i)]`
    /// over its pairs, adding `w·σ` to `grad[j]` when given. One exponential per pair: with
    /// `e = e^{−|z|}`, `softplus(z) = max(z, 0) + log1p(e)` and `σ(z) = (z ≥ 0 ? 1 : e)/(1 + e)`.
    fn pair_row<E: Element>(
        &self,
        sr: &[E],
        yr: &[E],
        i: usize,
        grad: Option<&mut [E]>,
    ) -> [f64; 3] {
        let l = sr.len();
        let (si, yi) = (E::V::splat(sr[i]), E::V::splat(yr[i]));
        let (zero, one) = (splat::<E::V>(0.0), splat::<E::V>(1.0));
        let body = |sj: E::V, yj: E::V| {
            let (m, w) = self.pairs(yi, yj);
            let z = sj - si;
            let e = exp(-z.abs());
            let sp = z.pmax(zero) + log1p_unit(e);
            let sig = E::V::select(z.ge(zero), one, e) / (one + e);
            (
                E::V::select(m, w * sp, zero),
                E::V::select(m, one, zero),
                E::V::select(m, w * sig, zero),
            )
        };
        let lanes = E::V::LANES;
        let g = grad.map_or(core::ptr::null_mut(), |g| g[..l].as_mut_ptr());
        let (mut av, mut ac, mut at) = (zero, zero, zero);
        let mut j = 0;
        while j + lanes <= l {
            // SAFETY: j + LANES <= l = every row's length; `g` (when non-null) holds l values.
            unsafe {
                let (v, c, t) = body(
                    E::V::load_ptr(sr.as_ptr().add(j)),
                    E::V::load_ptr(yr.as_ptr().add(j)),
                );
                (av, ac, at) = (av + v, ac + c, at + t);
                if !g.is_null() {
                    (E::V::load_ptr(g.add(j)) + t).store_ptr(g.add(j));
                }
            }
            j += lanes;
        }
        if j < l {
            let k = l - j;
            let (v, c, t) = body(load_tail::<E::V>(sr, j, k), load_tail::<E::V>(yr, j, k));
            let m = E::V::mask_first(k);
            let (v, c, t) = (
                E::V::select(m, v, zero),
                E::V::select(m, c, zero),
                E::V::select(m, t, zero),
            );
            (av, ac, at) = (av + v, ac + c, at + t);
            if !g.is_null() {
                // SAFETY: `g` points at l values.
                let gr = unsafe { core::slice::from_raw_parts_mut(g, l) };
                store_tail(load_tail::<E::V>(gr, j, k) + t, gr, j, k);
            }
        }
        [av.sum_f64(), ac.sum_f64(), at.sum_f64()]
    }

    /// Writes `∂s` for upstream `g` (per list or scalar; the `'mean'` scale included).
    pub fn backward<E: Element>(&self, s: &[E], y: &[E], g: &Upstream<'_, E>, gs: &mut [E]) {
        let l = self.len;
        for b in 0..self.lists(s) {
            let (sr, yr) = (&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l]);
            let out = &mut gs[b * l..(b + 1) * l];
            out.fill(E::default());
            for i in 0..l {
                if real(yr, i) {
                    let [_, _, t] = self.pair_row(sr, yr, i, Some(&mut *out));
                    out[i] = E::from_f64(out[i].to_f64() - t);
                }
            }
            let gr = E::from_f64(upstream_at(g, b));
            for o in out.iter_mut() {
                *o = *o * gr;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_of_strictly_higher_relevance_with_padding() {
        // List: relevances (2, 0, 1, −1 pad, 1): pairs (0,1), (0,2), (0,4), (2,1), (4,1).
        let s = [0.5f64, -0.2, 1.0, 9.0, 0.3];
        let y = [2.0f64, 0.0, 1.0, -1.0, 1.0];
        let sp = |x: f64| (1.0 + x.exp()).ln();
        for (weight, w) in [
            (Weight::One, [1.0, 1.0, 1.0, 1.0, 1.0]),
            (Weight::Diff, [2.0, 1.0, 1.0, 1.0, 1.0]),
            (Weight::DiffPowed, [4.0, 3.0, 3.0, 1.0, 1.0]),
        ] {
            let k = RankNetLoss { len: 5, weight };
            let pairs = [(0, 1), (0, 2), (0, 4), (2, 1), (4, 1)];
            let want: f64 = pairs
                .iter()
                .zip(w)
                .map(|(&(i, j), w)| w * sp(s[j] - s[i]))
                .sum();
            let (got, n) = k.forward(&s, &y, None, None);
            let mut fused = [0.0; 5];
            k.forward(&s, &y, None, Some(&mut fused));
            assert_eq!(n, 5.0);
            assert!((got - want).abs() < 1e-14, "{got} vs {want}");
            let mut gs = [0.0; 5];
            k.backward(&s, &y, &Upstream::Scalar(1.0), &mut gs);
            let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
            let mut want_g = [0.0; 5];
            for (&(i, j), w) in pairs.iter().zip(w) {
                want_g[i] -= w * sig(s[j] - s[i]);
                want_g[j] += w * sig(s[j] - s[i]);
            }
            for q in 0..5 {
                assert!(
                    (gs[q] - want_g[q]).abs() < 1e-14,
                    "{weight:?} {q}: {} vs {}",
                    gs[q],
                    want_g[q]
                );
                assert!((fused[q] - want_g[q]).abs() < 1e-14, "fused {q}");
            }
        }
    }
}
