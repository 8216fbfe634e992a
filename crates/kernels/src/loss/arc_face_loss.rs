//! ArcFace (additive angular margin, Deng et al. 2019) over rows of `C` cosines with a
//! class-index target per row, as pytorch-metric-learning's `ArcFaceLoss` applied to given
//! cosine logits (margin in radians, no "easy margin" threshold variant).
//!
//! Target logit `ψ(c) = cos(θ + m)`, `θ = acos(clamp(c, ±(1 − 1e-7)))`; the other logits are
//! the cosines; `l = CE(scale·logits, y)` ([`crate::class_rows::MarginSoftmax`]).
//! `ψ'(c) = sin(θ + m)/sin θ` with `sin θ = √((1 − c)(1 + c))` (≥ 4.4e-4 inside the clamp, so
//! finite), and 0 where the clamp is active (`|c| > 1 − 1e-7`), as autograd through `clamp`.

use crate::class_rows::{clamp_cos, sin_acos, MarginLoss, TargetMargin};

/// `cos(acos(c) + m)`.
pub struct ArcMargin {
    pub margin: f64,
}

impl TargetMargin for ArcMargin {
    fn target_logit(&self, c: f64, bound: f64) -> (f64, f64) {
        let (c, pass) = clamp_cos(c, bound);
        let shifted = c.acos() + self.margin;
        let d = if pass {
            shifted.sin() / sin_acos(c)
        } else {
            0.0
        };
        (shifted.cos(), d)
    }
}

/// ArcFace: the large-margin softmax with [`ArcMargin`].
pub type ArcFaceLoss = MarginLoss<ArcMargin>;

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::class_rows::cos_bound;

    #[lossfn_test_macro::kernel_test]
    fn derivative_matches_finite_differences_and_clamp_blocks_it() {
        let m = ArcMargin { margin: 0.5 };
        let b = cos_bound::<f64>();
        for c in [-0.9, -0.3, 0.0, 0.4, 0.95] {
            let h = 1e-7;
            let fd = (m.target_logit(c + h, b).0 - m.target_logit(c - h, b).0) / (2.0 * h);
            let d = m.target_logit(c, b).1;
            assert!((fd - d).abs() < 1e-7, "{c}: {fd} vs {d}");
        }
        assert_eq!(m.target_logit(1.0, b).1, 0.0);
        assert!(m.target_logit(b, b).1 > 1e3);
        assert_eq!(cos_bound::<f32>(), f64::from(0.999_999_9_f32));
    }
}
