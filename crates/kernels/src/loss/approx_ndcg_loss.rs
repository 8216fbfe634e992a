//! −ApproxNDCG (Qin, Liu and Li, "A general approximation framework for direct optimization
//! of information retrieval measures", 2010) over padded lists, as allRank's `approxNDCGLoss`
//! (allegro/allRank, `allrank/models/losses/approxNDCG.py` at c884756), untruncated:
//!
//! `gain_j = 2^{max(y_j, 0)} − 1` (0 at padded slots), `maxDCG = max(Σ_k gain_(k)/log2(1 + k),
//! 1e-10)` over the gains in decreasing order, `G_j = gain_j / maxDCG`;
//! `pos_i = 1 + Σ_{j real, j ≠ i} max(σ(α·(s_j − s_i)), 1e-10)` (the smoothed rank) and
//! `l = −Σ_i G_i / log2(1 + pos_i)`; the batch mean over lists. A list with no positive gain
//! (entirely padded, or all relevances ≤ 0) contributes 0 and no gradient.
//!
//! Gradient (upstream `g`): with `c_i = G_i / (ln 2·(1 + pos_i)·log2²(1 + pos_i))` and
//! `σ'_ij = α·σ(1 − σ)` where the clamp passes (σ ≥ 1e-10):
//! `∂s_j += g·c_i·σ'_ij`, `∂s_i −= g·c_i·σ'_ij`. `σ(1 − σ)` is `e^{−|x|}/(1 + e^{−|x|})²`, exact
//! where `1 − σ` rounds away. SIMD over `j` per document `i`, only for `G_i ≠ 0`.

use crate::driver::{Sum, Upstream};
use crate::math::exp;
use crate::ranking::lists::{real, upstream_at, PAD};
use crate::ranking::{row_accumulate64, row_sums, sort_desc_stable, splat};
use crate::simd::{Element, Vector};

/// allRank's `DEFAULT_EPS`: the floor of each sigmoid and of the ideal DCG.
const EPS: f64 = 1e-10;

pub struct ApproxNdcgLoss {
    /// `L`, the list length.
    pub len: usize,
    pub alpha: f64,
}

/// `(σ(x), e^{−|x|})` of a vector.
#[inline(always)]
fn sigmoid_t<V: Vector>(x: V) -> (V, V) {
    let one = splat::<V>(1.0);
    let t = exp(-x.abs());
    (V::select(x.ge(splat(0.0)), one, t) / (one + t), t)
}

impl ApproxNdcgLoss {
    fn lists<E>(&self, s: &[E]) -> usize {
        s.len().checked_div(self.len).unwrap_or(0)
    }

    /// `G_j` of a list (0 at padded slots), from its relevances.
    fn gains<E: Element>(
        &self,
        y: &[E],
        gains: &mut Vec<f64>,
        order: &mut (Vec<usize>, Vec<usize>),
    ) {
        gains.clear();
        gains.extend((0..y.len()).map(|j| {
            if real(y, j) {
                y[j].to_f64().max(0.0).exp2() - 1.0
            } else {
                0.0
            }
        }));
        let (idx, tmp) = order;
        idx.clear();
        idx.extend(0..y.len());
        sort_desc_stable(gains, idx, tmp);
        let mut dcg = Sum::default();
        for (k, &j) in idx.iter().enumerate() {
            dcg.add(gains[j] / ((k + 2) as f64).log2());
        }
        let max_dcg = dcg.value().max(EPS);
        for gj in gains.iter_mut() {
            *gj /= max_dcg;
        }
    }

    /// `pos_i` of real document `i` of a list; `idx` holds the slot indices `0, 1, …` (to
    /// leave `j = i` out).
    fn rank<E: Element>(&self, s: &[E], y: &[E], idx: &[E], i: usize) -> f64 {
        let (si, a) = (E::V::splat(s[i]), splat::<E::V>(self.alpha));
        let (pad, floor) = (splat::<E::V>(PAD), splat::<E::V>(EPS));
        let me = splat::<E::V>(i as f64);
        let [v] = row_sums([s, y, idx], s.len(), |[sj, yj, j]| {
            let (sig, _) = sigmoid_t(a * (sj - si));
            let live = E::V::mask_not(E::V::mask_or(yj.eq(pad), j.eq(me)));
            [E::V::select(live, sig.max(floor), splat(0.0))]
        });
        1.0 + v
    }

    /// `0, 1, …, L − 1` in the element type (exact: lists are far shorter than 2^24).
    fn slots<E: Element>(&self) -> Vec<E> {
        (0..self.len).map(|j| E::from_f64(j as f64)).collect()
    }

    /// Writes each list's loss into `out` when given; returns `Σ l`. With `gs = (out, g)`, also
    /// writes `∂(g·Σ_b l_b)/∂s` (the reduced loss's gradient for the upstream `g`, the caller's
    /// expected one, so that it needs no rescaling pass).
    pub fn forward<E: Element>(
        &self,
        s: &[E],
        y: &[E],
        mut out: Option<&mut [E]>,
        gs: Option<(&mut [E], f64)>,
    ) -> f64 {
        if let Some((gs, g)) = gs {
            self.backward(s, y, &Upstream::Scalar(E::from_f64(g)), gs);
        }
        let l = self.len;
        let (mut gains, mut sorted) = (Vec::with_capacity(l), (Vec::new(), Vec::new()));
        let idx = self.slots::<E>();
        let mut total = Sum::default();
        for b in 0..self.lists(s) {
            let (sr, yr) = (&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l]);
            self.gains(yr, &mut gains, &mut sorted);
            let mut ndcg = Sum::default();
            for (i, &gi) in gains.iter().enumerate() {
                if gi != 0.0 && real(yr, i) {
                    ndcg.add(gi / (1.0 + self.rank(sr, yr, &idx, i)).log2());
                }
            }
            let v = -ndcg.value();
            if let Some(o) = out.as_deref_mut() {
                o[b] = E::from_f64(v);
            }
            total.add(v);
        }
        total.value()
    }

    /// Writes `∂s` for upstream `g` (per list or scalar).
    pub fn backward<E: Element>(&self, s: &[E], y: &[E], g: &Upstream<'_, E>, gs: &mut [E]) {
        let l = self.len;
        let (mut gains, mut sorted) = (Vec::with_capacity(l), (Vec::new(), Vec::new()));
        let idx = self.slots::<E>();
        let mut acc = vec![0.0f64; l];
        for b in 0..self.lists(s) {
            let (sr, yr) = (&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l]);
            acc.fill(0.0);
            self.gains(yr, &mut gains, &mut sorted);
            let gr = upstream_at(g, b);
            for i in 0..l {
                if gains[i] == 0.0 || !real(yr, i) {
                    continue;
                }
                let pos = self.rank(sr, yr, &idx, i);
                let lg = (1.0 + pos).log2();
                let c = gains[i] / (core::f64::consts::LN_2 * (1.0 + pos) * lg * lg);
                let (si, a) = (E::V::splat(sr[i]), splat::<E::V>(self.alpha));
                let (pad, floor) = (splat::<E::V>(PAD), splat::<E::V>(EPS));
                let k = splat::<E::V>(gr * c * self.alpha);
                let me = splat::<E::V>(i as f64);
                let t = row_accumulate64([sr, yr, &idx], &mut acc, l, |[sj, yj, j]| {
                    let (sig, e) = sigmoid_t(a * (sj - si));
                    let one = splat::<E::V>(1.0);
                    let d = e / ((one + e) * (one + e));
                    let live = E::V::mask_and(
                        E::V::mask_not(E::V::mask_or(yj.eq(pad), j.eq(me))),
                        sig.ge(floor),
                    );
                    E::V::select(live, k * d, splat(0.0))
                });
                acc[i] -= t;
            }
            for (o, &v) in gs[b * l..(b + 1) * l].iter_mut().zip(&acc) {
                *o = E::from_f64(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::central_difference;

    fn reference(s: &[f64], y: &[f64], alpha: f64) -> f64 {
        let l = s.len();
        let real: Vec<bool> = y.iter().map(|&v| v != -1.0).collect();
        let gain = |v: f64| 2f64.powf(v.max(0.0)) - 1.0;
        let mut g: Vec<f64> = (0..l)
            .map(|j| if real[j] { gain(y[j]) } else { 0.0 })
            .collect();
        let mut sorted = g.clone();
        sorted.sort_by(|a, b| b.partial_cmp(a).unwrap());
        let max_dcg = sorted
            .iter()
            .enumerate()
            .map(|(k, v)| v / ((k + 2) as f64).log2())
            .sum::<f64>()
            .max(1e-10);
        g.iter_mut().for_each(|v| *v /= max_dcg);
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        -(0..l)
            .filter(|&i| real[i])
            .map(|i| {
                let pos = 1.0
                    + (0..l)
                        .filter(|&j| j != i && real[j])
                        .map(|j| sig(alpha * (s[j] - s[i])).max(1e-10))
                        .sum::<f64>();
                g[i] / (1.0 + pos).log2()
            })
            .sum::<f64>()
    }

    #[test]
    fn value_and_gradient() {
        let s = [0.3f64, -1.2, 2.0, 0.7, 5.0, 0.1, -0.4, 30.0];
        let y = [1.0f64, 0.0, 3.0, -1.0, 1.0, 2.0, 0.0, 0.0];
        for alpha in [1.0, 2.5] {
            let k = ApproxNdcgLoss { len: 8, alpha };
            assert!((k.forward(&s, &y, None, None) - reference(&s, &y, alpha)).abs() < 1e-14);
            let mut gs = [0.0; 8];
            k.backward(&s, &y, &Upstream::Scalar(1.0), &mut gs);
            for (j, &gj) in gs.iter().enumerate() {
                let num = central_difference(|sp| reference(sp, &y, alpha), &s, j);
                assert!(
                    (num - gj).abs() < 1e-8,
                    "alpha={alpha} {j}: {num} vs {}",
                    gj
                );
            }
            assert_eq!(gs[3], 0.0);
        }
        let k = ApproxNdcgLoss { len: 8, alpha: 1.0 };
        assert_eq!(k.forward(&s, &[-1.0; 8], None, None), 0.0);
    }
}
