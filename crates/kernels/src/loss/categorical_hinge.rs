//! Keras `categorical_hinge` over rows of `C` scores (the last dimension) with a one-hot (or
//! any float) target row of the same shape.
//!
//! Per row: `pos = Σ_j t_j·x_j`, `neg = max_j (1 − t_j)·x_j`, `l = max(neg − pos + 1, 0)`.
//! Gradient where `neg − pos + 1 ≥ 0` (the outer max is `clamp(min=0)`, which passes the
//! gradient at 0), else 0; the `k` tied maxima of `neg` share it equally (`torch.amax`, TF's
//! `reduce_max`):
//! `∂x_j = g·((1 − t_j)·[j ∈ argmax]/k − t_j)`, `∂t_j = g·(−x_j·[j ∈ argmax]/k − x_j)`.
//! The products and sums are formed in f64 (exact products of f32 values), so ties are decided
//! on the exact values. Rows are short and the max is not smooth: plain scalar loops.

use crate::class_rows::upstream_at;
use crate::driver::{Sum, Upstream};
use crate::simd::Element;

pub struct CategoricalHinge {
    pub classes: usize,
}

/// `(neg − pos + 1, neg)` of one row.
fn margin<E: Element>(x: &[E], t: &[E]) -> (f64, f64) {
    let mut pos = Sum::default();
    let mut neg = f64::NEG_INFINITY;
    for (xj, tj) in x.iter().zip(t) {
        let (xj, tj) = (xj.to_f64(), tj.to_f64());
        pos.add(tj * xj);
        let v = (1.0 - tj) * xj;
        // NaN propagates, as torch.amax.
        neg = if v.is_nan() || neg.is_nan() {
            f64::NAN
        } else {
            neg.max(v)
        };
    }
    (neg - pos.value() + 1.0, neg)
}

impl CategoricalHinge {
    fn rows<E>(&self, x: &[E]) -> usize {
        x.len().checked_div(self.classes).unwrap_or(0)
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`.
    pub fn forward<E: Element>(&self, x: &[E], t: &[E], mut out: Option<&mut [E]>) -> f64 {
        let c = self.classes;
        let mut total = Sum::default();
        for r in 0..self.rows(x) {
            let range = r * c..(r + 1) * c;
            let (m, _) = margin(&x[range.clone()], &t[range]);
            // max(m, 0) with NaN propagating, as clamp.
            let l = if m.is_nan() { m } else { m.max(0.0) };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂x` into `gx` and `∂t` into `gt` (each when given) for upstream `g` (per row
    /// or scalar).
    pub fn backward<E: Element>(
        &self,
        x: &[E],
        t: &[E],
        g: &Upstream<'_, E>,
        mut gx: Option<&mut [E]>,
        mut gt: Option<&mut [E]>,
    ) {
        let c = self.classes;
        for r in 0..self.rows(x) {
            let range = r * c..(r + 1) * c;
            let (xr, tr) = (&x[range.clone()], &t[range.clone()]);
            let (m, neg) = margin(xr, tr);
            let gr = if m >= 0.0 { upstream_at(g, r) } else { 0.0 };
            let is_max = |j: usize| (1.0 - tr[j].to_f64()) * xr[j].to_f64() == neg;
            let ties = (0..c).filter(|&j| is_max(j)).count().max(1) as f64;
            if let Some(gx) = gx.as_deref_mut() {
                for (j, o) in gx[range.clone()].iter_mut().enumerate() {
                    let tj = tr[j].to_f64();
                    let share = if is_max(j) { (1.0 - tj) / ties } else { 0.0 };
                    *o = E::from_f64(gr * (share - tj));
                }
            }
            if let Some(gt) = gt.as_deref_mut() {
                for (j, o) in gt[range.clone()].iter_mut().enumerate() {
                    let xj = xr[j].to_f64();
                    let share = if is_max(j) { -xj / ties } else { 0.0 };
                    *o = E::from_f64(gr * (share - xj));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_gradient() {
        // Keras: categorical_hinge([[1,0,0,0]], [[1,3,3,0]]) = max(3 − 1 + 1, 0) = 3.
        let x = [1.0f32, 3.0, 3.0, 0.0];
        let t = [1.0f32, 0.0, 0.0, 0.0];
        let h = CategoricalHinge { classes: 4 };
        assert_eq!(h.forward(&x, &t, None), 3.0);
        let mut gx = [0.0f32; 4];
        h.backward(&x, &t, &Upstream::Scalar(1.0), Some(&mut gx), None);
        assert_eq!(gx, [-1.0, 0.5, 0.5, 0.0]);
    }

    #[test]
    fn inactive_rows_have_no_gradient() {
        let x = [5.0, -1.0, 0.0];
        let t = [1.0, 0.0, 0.0];
        let h = CategoricalHinge { classes: 3 };
        assert_eq!(h.forward(&x, &t, None), 0.0);
        let mut gx = [1.0; 3];
        h.backward(&x, &t, &Upstream::Scalar(1.0), Some(&mut gx), None);
        assert_eq!(gx, [0.0; 3]);
    }
}
