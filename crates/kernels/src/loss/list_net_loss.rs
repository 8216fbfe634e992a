//! ListNet's top-one cross entropy over padded lists, as allRank's `listNet`
//! (allegro/allRank, `allrank/models/losses/listNet.py` at c884756): with padded slots set to
//! −inf in both scores and relevance, `p = softmax(s)`, `t = softmax(y)` over the list and
//! `l = −Σ_j t_j·log(p_j + eps)`; the batch mean over lists. A list whose slots are all
//! padded has `softmax` of only −inf: its loss is NaN (allRank's result, kept) and, as in
//! PyTorch, it passes no gradient (padded slots never do).
//!
//! Gradient per list (upstream `g`): with `r_j = t_j·p_j/(p_j + eps)`,
//! `∂s_k = g·(p_k·Σ_j r_j − r_k)`. Softmaxes are max-shifted, in SIMD passes over the list.

use crate::driver::Upstream;
use crate::math::{exp_ftz_nonpos, exp_ftz_nonpos_where, ln};
use crate::ranking::lists::{upstream_at, PAD};
use crate::ranking::{load_tail, row_map, row_map_sums, row_sums, splat};
use crate::simd::{Element, Vector};

pub struct ListNetLoss {
    /// `L`, the list length.
    pub len: usize,
    pub eps: f64,
}

/// One list's softmaxes, kept as numerators and their sums' inverses.
struct Softmaxes<E> {
    /// `e^{s − max s}` and `e^{y − max y}` (0 at padded slots).
    es: Vec<E>,
    ey: Vec<E>,
    inv_s: f64,
    inv_y: f64,
}

/// The largest score and relevance over a list's real slots, each in every lane of a vector
/// (NaN if one is NaN, as softmax), or `None` when every slot is padding. Whole vectors, then
/// the tail: a lane mask per vector and a reduction through memory per list were a measurable
/// part of a 64-slot list.
fn maxima<E: Element>(s: &[E], y: &[E]) -> Option<(E::V, E::V)> {
    let lanes = E::V::LANES;
    let (pad, ninf) = (splat::<E::V>(PAD), splat::<E::V>(f64::NEG_INFINITY));
    let (mut ms, mut my) = (ninf, ninf);
    let (mut nan, mut any) = (E::V::mask_first(0), E::V::mask_first(0));
    let n = s.len().min(y.len());
    let mut add = |a: E::V, b: E::V, real: <E::V as Vector>::Mask| {
        // pmax skips NaN lanes; the flag records them.
        ms = ms.pmax(E::V::select(real, a, ninf));
        my = my.pmax(E::V::select(real, b, ninf));
        nan = E::V::mask_or(
            nan,
            E::V::mask_and(real, E::V::mask_or(a.is_nan(), b.is_nan())),
        );
        any = E::V::mask_or(any, real);
    };
    let mut j = 0;
    while j + lanes <= n {
        let (a, b) = (E::V::load(&s[j..]), E::V::load(&y[j..]));
        add(a, b, E::V::mask_not(b.eq(pad)));
        j += lanes;
    }
    if j < n {
        let k = n - j;
        let (a, b) = (load_tail::<E::V>(s, j, k), load_tail::<E::V>(y, j, k));
        add(
            a,
            b,
            E::V::mask_and(E::V::mask_first(k), E::V::mask_not(b.eq(pad))),
        );
    }
    if !E::V::any(any) {
        return None;
    }
    if E::V::any(nan) {
        let nan = splat::<E::V>(f64::NAN);
        return Some((nan, nan));
    }
    Some((ms.pmax_lanes(), my.pmax_lanes()))
}

impl ListNetLoss {
    fn lists<E>(&self, s: &[E]) -> usize {
        s.len().checked_div(self.len).unwrap_or(0)
    }

    /// `None` for an entirely padded list.
    fn softmaxes<E: Element>(&self, s: &[E], y: &[E], sm: &mut Softmaxes<E>) -> Option<()> {
        let (msv, myv) = maxima(s, y)?;
        let l = self.len;
        let pad = splat::<E::V>(PAD);
        let outs = [Some(&mut sm.es[..]), Some(&mut sm.ey[..])];
        // Finite maxima (the usual case): no real slot is NaN or +inf, so every real slot's
        // `x − max` is ≤ 0 or −inf, and the padding mask goes straight into the flush's select.
        let inf = splat::<E::V>(f64::INFINITY);
        let finite = E::V::all(E::V::mask_and(msv.abs().lt(inf), myv.abs().lt(inf)));
        let [ss, sy] = if finite {
            row_map_sums([s, y, y], outs, l, |[a, b, _]| {
                let real = E::V::mask_not(b.eq(pad));
                let es = exp_ftz_nonpos_where(a - msv, real);
                let ey = exp_ftz_nonpos_where(b - myv, real);
                ([es, ey], [es, ey])
            })
        } else {
            let ninf = splat::<E::V>(f64::NEG_INFINITY);
            row_map_sums([s, y, y], outs, l, |[a, b, _]| {
                let real = E::V::mask_not(b.eq(pad));
                let es = exp_ftz_nonpos(E::V::select(real, a - msv, ninf));
                let ey = exp_ftz_nonpos(E::V::select(real, b - myv, ninf));
                ([es, ey], [es, ey])
            })
        };
        sm.inv_s = 1.0 / ss;
        sm.inv_y = 1.0 / sy;
        Some(())
    }

    fn scratch<E: Element>(&self) -> Softmaxes<E> {
        Softmaxes {
            es: vec![E::default(); self.len],
            ey: vec![E::default(); self.len],
            inv_s: 0.0,
            inv_y: 0.0,
        }
    }

    /// Writes each list's loss into `out` when given; returns `Σ l`. With `gs = (out, g)`, also
    /// writes `∂(g·Σ_b l_b)/∂s` from the same softmaxes: the reduced loss's gradient for the
    /// upstream `g` the caller expects (`1/B` for a mean), scaled here in the pass that writes
    /// it rather than by a second pass over `B·L` values.
    pub fn forward<E: Element>(
        &self,
        s: &[E],
        y: &[E],
        mut out: Option<&mut [E]>,
        gs: Option<(&mut [E], f64)>,
    ) -> f64 {
        let l = self.len;
        // As the backward pass's upstream (an element), so both passes give the same gradient.
        let (mut gs, g) = match gs {
            Some((o, g)) => (Some(o), E::from_f64(g).to_f64()),
            None => (None, 1.0),
        };
        let mut sm = self.scratch::<E>();
        let mut r = vec![E::default(); l];
        let mut total = crate::driver::Sum::default();
        for b in 0..self.lists(s) {
            let grow = gs.as_deref_mut().map(|g| &mut g[b * l..(b + 1) * l]);
            let v = match self.softmaxes(&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l], &mut sm) {
                None => {
                    if let Some(o) = grow {
                        o.fill(E::default());
                    }
                    f64::NAN
                }
                Some(()) => {
                    let (is, iy, eps) = (
                        splat::<E::V>(sm.inv_s),
                        splat::<E::V>(sm.inv_y),
                        splat::<E::V>(self.eps),
                    );
                    let rows = [&sm.es[..], &sm.ey[..], &sm.ey[..]];
                    // t·log(p + eps) (t = 0 at padded slots; eps > 0 keeps the log finite) and,
                    // for the gradient, r = t·p/(p + eps) in the same pass.
                    let v = match grow {
                        None => row_sums(rows, l, |[es, ey, _]| [ey * iy * ln(es * is + eps)])[0],
                        Some(grad) => {
                            let [v, sum_r] =
                                row_map_sums(rows, [Some(&mut r[..]), None], l, |[es, ey, _]| {
                                    let (p, t) = (es * is, ey * iy);
                                    let pe = p + eps;
                                    let rj = t * p / pe;
                                    ([rj, rj], [t * ln(pe), rj])
                                });
                            self.spread(&sm, &r, sum_r, g, grad);
                            v
                        }
                    };
                    -v
                }
            };
            if let Some(o) = out.as_deref_mut() {
                o[b] = E::from_f64(v);
            }
            total.add(v);
        }
        total.value()
    }

    /// `g·(p_k·Σ_j r_j − r_k)`, `r_j = t_j·p_j/(p_j + eps)`, into `out` (`r` is scratch).
    fn gradient<E: Element>(&self, sm: &Softmaxes<E>, r: &mut [E], g: f64, out: &mut [E]) {
        let l = self.len;
        let (is, iy, eps) = (
            splat::<E::V>(sm.inv_s),
            splat::<E::V>(sm.inv_y),
            splat::<E::V>(self.eps),
        );
        let rows = [&sm.es[..], &sm.ey[..], &sm.ey[..]];
        let [sum_r] = row_map_sums(rows, [Some(&mut *r), None], l, |[es, ey, _]| {
            let p = es * is;
            let rj = ey * iy * p / (p + eps);
            ([rj, rj], [rj])
        });
        self.spread(sm, r, sum_r, g, out);
    }

    /// `out = g·(p·Σr − r)`.
    fn spread<E: Element>(&self, sm: &Softmaxes<E>, r: &[E], sum_r: f64, g: f64, out: &mut [E]) {
        let (l, is) = (self.len, splat::<E::V>(sm.inv_s));
        let (k, kr) = (splat::<E::V>(g * sum_r), splat::<E::V>(g));
        row_map(
            [&sm.es[..], r, r],
            [Some(out), None, None],
            l,
            |[es, rj, _]| {
                let v = k * (es * is) - kr * rj;
                [v, v, v]
            },
        );
    }

    /// Writes `∂s` for upstream `g` (per list or scalar).
    pub fn backward<E: Element>(&self, s: &[E], y: &[E], g: &Upstream<'_, E>, gs: &mut [E]) {
        let l = self.len;
        let mut sm = self.scratch::<E>();
        let mut r = vec![E::default(); l];
        for b in 0..self.lists(s) {
            let out = &mut gs[b * l..(b + 1) * l];
            if self
                .softmaxes(&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l], &mut sm)
                .is_none()
            {
                out.fill(E::default());
                continue;
            }
            self.gradient(&sm, &mut r, upstream_at(g, b), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::central_difference;

    fn reference(s: &[f64], y: &[f64], eps: f64) -> f64 {
        let real: Vec<usize> = (0..s.len()).filter(|&j| y[j] != PAD).collect();
        let zs: f64 = real.iter().map(|&j| s[j].exp()).sum();
        let zy: f64 = real.iter().map(|&j| y[j].exp()).sum();
        -real
            .iter()
            .map(|&j| y[j].exp() / zy * (s[j].exp() / zs + eps).ln())
            .sum::<f64>()
    }

    #[test]
    fn softmax_cross_entropy_and_gradient() {
        let s = [0.3f64, -1.2, 2.0, 0.7, 5.0, 0.1, -0.4];
        let y = [1.0f64, 0.0, 3.0, -1.0, -1.0, 2.0, 0.0];
        let k = ListNetLoss { len: 7, eps: 1e-10 };
        let got = k.forward(&s, &y, None, None);
        assert!((got - reference(&s, &y, 1e-10)).abs() < 1e-14);
        let mut gs = [0.0; 7];
        k.backward(&s, &y, &Upstream::Scalar(1.0), &mut gs);
        for (j, &gj) in gs.iter().enumerate() {
            let num = central_difference(|sp| reference(sp, &y, 1e-10), &s, j);
            assert!((num - gj).abs() < 1e-8, "{j}: {num} vs {}", gj);
        }
        assert_eq!(gs[3], 0.0);
        // Entirely padded: NaN, no gradient.
        assert!(k.forward(&s, &[-1.0; 7], None, None).is_nan());
        k.backward(&s, &[-1.0; 7], &Upstream::Scalar(1.0), &mut gs);
        assert_eq!(gs, [0.0; 7]);
    }

    #[test]
    fn padded_slots_any_value_and_non_finite_scores() {
        // Padded slots take no part whatever their scores hold (NaN, ±inf: the finite-maxima
        // path masks them); a real −inf score is a softmax weight of 0; a real NaN or +inf
        // score makes the list's loss and gradient NaN, as softmax (inf − inf). Lengths 7 and
        // 9 put slots in whole vectors and in the tail; f32 and f64.
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let y = [1.0, -1.0, 3.0, 0.0, -1.0, 2.0, -1.0, 0.5, 1.0];
        let s = [0.3, nan, 2.0, 0.7, inf, 0.1, -inf, -90.0, 1.5];
        for len in [7, 9] {
            let k = ListNetLoss { len, eps: 1e-10 };
            let (s, y) = (&s[..len], &y[..len]);
            let want = reference(s, y, 1e-10);
            assert!(want.is_finite());
            assert!((k.forward(s, y, None, None) - want).abs() < 1e-14 * want.abs());
            let (s32, y32): (Vec<f32>, Vec<f32>) =
                s.iter().zip(y).map(|(&a, &b)| (a as f32, b as f32)).unzip();
            let got = k.forward(&s32, &y32, None, None);
            assert!((got - want).abs() < 1e-6 * want.abs(), "{got} vs {want}");
            let mut gs = vec![0f32; len];
            k.backward(&s32, &y32, &Upstream::Scalar(1.0), &mut gs);
            for j in [1, 4, 6] {
                assert_eq!(gs[j], 0.0);
            }
            assert!(gs.iter().all(|g| g.is_finite()));
            let mut bad = s.to_vec();
            for v in [nan, inf] {
                bad[0] = v;
                assert!(k.forward(&bad, y, None, None).is_nan());
                let mut gs = vec![0.0; len];
                k.backward(&bad, y, &Upstream::Scalar(1.0), &mut gs);
                assert!(gs.iter().all(|g| g.is_nan()), "{v}: {gs:?}");
            }
        }
    }
}
