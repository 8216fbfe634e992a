//! `F.cosine_embedding_loss(x1, x2, y, margin)` over rows of `D` (the last dimension), as ATen:
//! `cos = Σ x1·x2 / √((Σ x1² + 1e-12)·(Σ x2² + 1e-12))`, then per row
//! `l = 1 − cos` where `y = 1`, `max(0, cos − margin)` where `y = −1`, and 0 for any other
//! target value. The max is `clamp_min_(0)` (gradient passes at 0).
//!
//! Gradient, with `m1 = Σ x1² + 1e-12`, `den = √(m1·m2)`:
//! `∂cos/∂x1 = x2/den − cos·x1/m1`, `∂cos/∂x2 = x1/den − cos·x2/m2`, times `−1` (`y = 1`) or
//! `1` (`y = −1`, active). The three sums are one SIMD pass, accumulated in f64 blocks.

use crate::driver::{Sum, Upstream};
use crate::ranking::distance::linear3;
use crate::ranking::lists::upstream_at;
use crate::ranking::row_sums;
use crate::simd::Element;

/// ATen's `EPSILON` in `cosine_embedding_loss`: 1e-12 held as a float (measured in PyTorch
/// 1.13's float64 results: a zero row's gradient is `x2/√(fl32(1e-12)·Σ x2²)`).
const EPSILON: f64 = 1e-12f32 as f64;

pub struct CosineEmbeddingLoss {
    /// Rows (pairs).
    pub rows: usize,
    /// `D`, the row length (0 allowed).
    pub dim: usize,
    pub margin: f64,
}

/// `(cos, den, m1, m2)` of one row pair.
fn cosine<E: Element>(x1: &[E], x2: &[E]) -> (f64, f64, f64, f64) {
    let [p, s1, s2] = row_sums([x1, x2, x2], x1.len(), |[a, b, _]| [a * b, a * a, b * b]);
    let (m1, m2) = (s1 + EPSILON, s2 + EPSILON);
    let den = (m1 * m2).sqrt();
    (p / den, den, m1, m2)
}

impl CosineEmbeddingLoss {
    fn row<'a, E>(&self, x: &'a [E], r: usize) -> &'a [E] {
        &x[r * self.dim..(r + 1) * self.dim]
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`. `y` holds one target per row.
    pub fn forward<E: Element>(
        &self,
        x1: &[E],
        x2: &[E],
        y: &[E],
        mut out: Option<&mut [E]>,
    ) -> f64 {
        let mut total = Sum::default();
        for r in 0..self.rows {
            let (cos, ..) = cosine(self.row(x1, r), self.row(x2, r));
            let t = y[r].to_f64();
            let l = if t == 1.0 {
                1.0 - cos
            } else if t == -1.0 {
                (cos - self.margin).max(0.0)
            } else {
                0.0
            };
            let l = if cos.is_nan() && (t == 1.0 || t == -1.0) {
                f64::NAN
            } else {
                l
            };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂x1`, `∂x2` (each when given) for upstream `g` (per row or scalar).
    pub fn backward<E: Element>(
        &self,
        x1: &[E],
        x2: &[E],
        y: &[E],
        g: &Upstream<'_, E>,
        mut g1: Option<&mut [E]>,
        mut g2: Option<&mut [E]>,
    ) {
        let d = self.dim;
        for r in 0..self.rows {
            let (a, b) = (self.row(x1, r), self.row(x2, r));
            let (cos, den, m1, m2) = cosine(a, b);
            let t = y[r].to_f64();
            let c = if t == 1.0 {
                -upstream_at(g, r)
            } else if t == -1.0 && cos - self.margin >= 0.0 {
                upstream_at(g, r)
            } else if t == -1.0 && cos.is_nan() {
                f64::NAN
            } else {
                0.0
            };
            let m = [
                [-c * cos / m1, c / den, 0.0],
                [c / den, -c * cos / m2, 0.0],
                [0.0; 3],
            ];
            let outs = [
                g1.as_deref_mut().map(|o| &mut o[r * d..(r + 1) * d]),
                g2.as_deref_mut().map(|o| &mut o[r * d..(r + 1) * d]),
                None,
            ];
            linear3([a, b, b], m, outs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_and_gradient_by_target() {
        let x1 = [1.0f64, 2.0, 3.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let x2 = [2.0f64, 4.0, 6.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
        let y = [1.0f64, -1.0, 0.5];
        let k = CosineEmbeddingLoss {
            rows: 3,
            dim: 3,
            margin: -0.5,
        };
        let mut out = [0.0; 3];
        let s = k.forward(&x1, &x2, &y, Some(&mut out));
        assert!(out[0].abs() < 1e-12, "{out:?}");
        assert!((out[1] - 0.5).abs() < 1e-12);
        assert_eq!(out[2], 0.0);
        assert!((s - out.iter().sum::<f64>()).abs() < 1e-15);
        let (mut g1, mut g2) = ([0.0; 9], [0.0; 9]);
        k.backward(
            &x1,
            &x2,
            &y,
            &Upstream::Scalar(1.0),
            Some(&mut g1),
            Some(&mut g2),
        );
        // Row 1: x1 = (0, 1, 0), x2 = (1, 0, 0): ∂cos/∂x1 = x2 − 0, ∂cos/∂x2 = x1.
        assert!((g1[3] - 1.0).abs() < 1e-11 && g1[4].abs() < 1e-11 && (g2[4] - 1.0).abs() < 1e-11);
        assert_eq!(&g1[6..], &[0.0; 3]);
    }
}
