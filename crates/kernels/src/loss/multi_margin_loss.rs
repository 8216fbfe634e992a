//! `F.multi_margin_loss` over rows of `C` scores with a class-index target per row.
//!
//! Per row with target `y`: `z_i = margin − x_y + x_i` (formed in f64),
//! `l = (1/C)·Σ_{i≠y, z_i > 0} w_y·z_i^p`, p ∈ {1, 2}; the class weight multiplies after the
//! power (ATen's `LossMultiMargin.cpp`; the docs draw it inside). The hinge is active only
//! for `z > 0` (no gradient at exactly 0, as ATen). The 'mean' denominator is the number of
//! rows (the 1/C is inside each row).
//! `∂x_i = g·w_y·(p = 1 ? 1 : 2·z_i)/C` for active `i ≠ y`, `∂x_y = −Σ_i ∂x_i`.
//! The hinge is not smooth and rows are scanned once: plain scalar loops.

use crate::class_rows::upstream_at;
use crate::driver::{Sum, Upstream};
use crate::simd::Element;

pub struct MultiMarginLoss<'a, E> {
    pub classes: usize,
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    /// 1 or 2 (checked by the caller).
    pub p: u32,
    pub margin: f64,
}

impl<E: Element> MultiMarginLoss<'_, E> {
    fn weight_of(&self, y: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[y].to_f64())
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`. `x` holds `ys.len()` rows;
    /// every index is in `0..C` (checked by the caller).
    pub fn forward(&self, x: &[E], ys: &[i32], mut out: Option<&mut [E]>) -> f64 {
        let c = self.classes;
        let mut total = Sum::default();
        for (r, &y) in ys.iter().enumerate() {
            let row = &x[r * c..(r + 1) * c];
            let y = y as usize;
            let xy = row[y].to_f64();
            let mut s = Sum::default();
            for (i, xi) in row.iter().enumerate() {
                let z = self.margin - xy + xi.to_f64();
                if i != y && z > 0.0 {
                    s.add(if self.p == 1 { z } else { z * z });
                }
            }
            let l = self.weight_of(y) * s.value() / c as f64;
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂x` into `gx` for upstream `g` (per row or scalar).
    pub fn backward(&self, x: &[E], ys: &[i32], g: &Upstream<'_, E>, gx: &mut [E]) {
        let c = self.classes;
        for (r, &y) in ys.iter().enumerate() {
            let row = &x[r * c..(r + 1) * c];
            let out = &mut gx[r * c..(r + 1) * c];
            let y = y as usize;
            let xy = row[y].to_f64();
            let k = upstream_at(g, r) * self.weight_of(y) / c as f64;
            let mut target = Sum::default();
            for (i, (xi, o)) in row.iter().zip(out.iter_mut()).enumerate() {
                let z = self.margin - xy + xi.to_f64();
                let d = if i != y && z > 0.0 {
                    k * if self.p == 1 { 1.0 } else { 2.0 * z }
                } else {
                    0.0
                };
                target.add(-d);
                *o = E::from_f64(d);
            }
            out[y] = E::from_f64(target.value());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_after_the_power() {
        // torch: F.multi_margin_loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]), p=2,
        //        weight=torch.tensor([1., 1., 1., 3.])) = 3·(0.3² + 0.4² + 0.6²)/4 ≈ 0.4575
        let x = [0.1f64, 0.2, 0.4, 0.8];
        let w = [1.0, 1.0, 1.0, 3.0];
        let mm = MultiMarginLoss {
            classes: 4,
            weight: Some(&w[..]),
            p: 2,
            margin: 1.0,
        };
        assert!((mm.forward(&x, &[3], None) - 3.0 * (0.09 + 0.16 + 0.36) / 4.0).abs() < 1e-15);
        let mut gx = [0.0; 4];
        mm.backward(&x, &[3], &Upstream::Scalar(1.0), &mut gx);
        let want = [0.45, 0.6, 0.9, -1.95];
        for (a, b) in gx.iter().zip(want) {
            assert!((a - b).abs() < 1e-14, "{a} {b}");
        }
    }

    #[test]
    fn hinge_at_zero_is_inactive() {
        let mm = MultiMarginLoss::<f32> {
            classes: 2,
            weight: None,
            p: 1,
            margin: 1.0,
        };
        let x = [1.0f32, 0.0];
        assert_eq!(mm.forward(&x, &[0], None), 0.0);
        let mut gx = [5.0f32; 2];
        mm.backward(&x, &[0], &Upstream::Scalar(1.0), &mut gx);
        assert_eq!(gx, [0.0, 0.0]);
    }
}
