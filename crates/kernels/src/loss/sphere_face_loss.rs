//! SphereFace (A-Softmax, multiplicative angular margin, Liu et al. 2017) over rows of `C`
//! cosines with a class-index target per row, as pytorch-metric-learning's `SphereFaceLoss`
//! applied to given cosine logits (integer margin, no λ-annealing).
//!
//! Target logit `ψ(θ) = (−1)^k·cos(mθ) − 2k`, `θ = acos(clamp(c, ±(1 − 1e-7)))`,
//! `k = ⌊mθ/π⌋` (piecewise constant: no gradient through it; ψ and ψ' are continuous across
//! its steps); the other logits are the cosines; `l = CE(scale·logits, y)`
//! ([`crate::class_rows::MarginSoftmax`]).
//! `ψ'(c) = (−1)^k·m·sin(mθ)/sin θ`, `sin θ = √((1 − c)(1 + c))`; 0 where the clamp is active.

use crate::class_rows::{clamp_cos, sin_acos, MarginLoss, TargetMargin};
use core::f64::consts::PI;

/// `(−1)^k·cos(mθ) − 2k`.
pub struct SphereMargin {
    /// Integer margin m ≥ 1 (checked by the caller).
    pub margin: u32,
}

impl TargetMargin for SphereMargin {
    fn target_logit(&self, c: f64, bound: f64) -> (f64, f64) {
        let (c, pass) = clamp_cos(c, bound);
        let m = self.margin as f64;
        let theta = c.acos();
        let k = (m * theta / PI).floor();
        let sign = if k % 2.0 == 0.0 { 1.0 } else { -1.0 };
        let d = if pass {
            sign * m * (m * theta).sin() / sin_acos(c)
        } else {
            0.0
        };
        (sign * (m * theta).cos() - 2.0 * k, d)
    }
}

/// SphereFace: the large-margin softmax with [`SphereMargin`].
pub type SphereFaceLoss = MarginLoss<SphereMargin>;

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::class_rows::cos_bound;

    #[lossfn_test_macro::kernel_test]
    fn psi_is_monotone_and_continuous_across_k_steps() {
        let b = cos_bound::<f64>();
        for margin in [1, 2, 3, 4] {
            let m = SphereMargin { margin };
            let mut prev = f64::INFINITY;
            for i in 0..=2000 {
                let c = 1.0 - i as f64 * 1e-3;
                let (psi, d) = m.target_logit(c, b);
                assert!(psi <= prev + 1e-12, "m={margin} c={c}");
                assert!(d >= -1e-9, "m={margin} c={c}: ψ' = {d}");
                prev = psi;
            }
        }
        // m = 1 is the plain cosine.
        let (psi, d) = SphereMargin { margin: 1 }.target_logit(0.3, b);
        assert!((psi - 0.3).abs() < 1e-15 && (d - 1.0).abs() < 1e-12);
    }
}
