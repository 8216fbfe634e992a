//! Softmax focal loss (Lin et al. 2017, multi-class form) over rows of `C` logits with a
//! class-index target per row; no library ships it, the reference is written beside its
//! generator in `scripts/gen_fixtures.py`.
//!
//! With `ℓ = log softmax(x)_y` (max-shifted log-sum-exp), `p_y = e^ℓ` and
//! `u = 1 − p_y = −expm1(ℓ)` (no cancellation when `p_y → 1`):
//! `l = −w_y·u^γ·ℓ`, 0 where `y == ignore_index`; the 'mean' denominator is `Σ w_y` over the
//! non-ignored rows, as cross entropy (γ = 0 is cross entropy).
//! `dl/dℓ = w_y·u^γ·(γ·p_y·ℓ/u − 1)`, written with `ℓ/u` (→ −1 as `ℓ → 0`) so that it is
//! finite for every `γ ≥ 0`, including `0 < γ < 1` at `p_y = 1` where `u^(γ−1)` is infinite;
//! `∂x_c = g·(dl/dℓ)·([c = y] − p_c)` ([`crate::class_rows::IndexRows`]).

use crate::class_rows::LogProbLoss;

/// `f(ℓ) = −(1 − e^ℓ)^γ·ℓ`.
pub struct Focal {
    pub gamma: f64,
}

impl LogProbLoss for Focal {
    fn value(&self, logp: f64) -> f64 {
        let u = -logp.exp_m1();
        -u.powf(self.gamma) * logp
    }
    fn derivative(&self, logp: f64) -> f64 {
        let u = -logp.exp_m1();
        let p = logp.exp();
        // γ·p·ℓ/u with its limits: 0 for γ = 0 or p = 0 (ℓ = −∞), −γ at ℓ = 0 (u = 0).
        let pull = if self.gamma == 0.0 || p == 0.0 {
            0.0
        } else if u == 0.0 {
            -self.gamma
        } else {
            self.gamma * p * (logp / u)
        };
        u.powf(self.gamma) * (pull - 1.0)
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::class_rows::IndexRows;
    use crate::driver::Upstream;
    use crate::loss::cross_entropy::CrossEntropy;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn gamma_zero_is_cross_entropy() {
        let x: Vec<f32> = (0..20).map(|i| ((i * 5) % 9) as f32 * 0.6 - 2.0).collect();
        let ys = [3, 0, -100, 4];
        let focal = IndexRows::<f32, _> {
            weight: None,
            loss: Focal { gamma: 0.0 },
        };
        let ce = CrossEntropy::<f32>::new(None, 0.0, false);
        let ig = Some(-100);
        let (a, da) = run_forward(&focal, &x, 5, &[], &ys, 1, ig, None);
        let (b, db) = run_forward(&ce, &x, 5, &[], &ys, 1, ig, None);
        assert!((a - b).abs() < 1e-6 * b && da == db, "{a} {b}");
        let (mut ga, mut gb) = (vec![0.0f32; 20], vec![0.0f32; 20]);
        run_backward(
            &focal,
            &x,
            5,
            &[],
            &ys,
            1,
            ig,
            &Upstream::Scalar(1.0),
            Some(&mut ga),
            None,
        );
        run_backward(
            &ce,
            &x,
            5,
            &[],
            &ys,
            1,
            ig,
            &Upstream::Scalar(1.0),
            Some(&mut gb),
            None,
        );
        for (p, q) in ga.iter().zip(&gb) {
            assert!((p - q).abs() < 1e-6, "{p} {q}");
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn derivative_matches_finite_differences() {
        for gamma in [0.0, 0.5, 1.0, 2.0, 3.5] {
            let f = Focal { gamma };
            for logp in [-7.0f64, -1.3, -0.2, -1e-3] {
                let h = 1e-6 * logp.abs().max(1e-3);
                let fd = (f.value(logp + h) - f.value(logp - h)) / (2.0 * h);
                let d = f.derivative(logp);
                assert!(
                    (fd - d).abs() <= 1e-6 * d.abs().max(1e-3),
                    "γ={gamma} ℓ={logp}: {fd} vs {d}"
                );
            }
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn certain_prediction_has_finite_gradient() {
        // p_y = 1 exactly: u^(γ−1) is infinite for γ < 1, the derivative's limit is 0.
        assert_eq!(Focal { gamma: 0.5 }.derivative(0.0), 0.0);
        assert_eq!(Focal { gamma: 0.0 }.derivative(0.0), -1.0);
    }
}
