//! Poly-1 loss (Leng et al. 2022) over rows of `C` logits with a class-index target per row;
//! no library ships it for PyTorch, the reference is written beside its generator in
//! `scripts/gen_fixtures.py`.
//!
//! With `ℓ = log softmax(x)_y` (max-shifted log-sum-exp) and `1 − p_y = −expm1(ℓ)` (no
//! cancellation when `p_y → 1`): `l = w_y·(−ℓ + ε·(1 − p_y))`, 0 where `y == ignore_index`;
//! the 'mean' denominator is `Σ w_y` over the non-ignored rows, as cross entropy (the number
//! of rows without weights or ignored targets, the paper's batch mean).
//! `dl/dℓ = −w_y·(1 + ε·p_y)`; `∂x_c = g·(dl/dℓ)·([c = y] − p_c)`
//! ([`crate::class_rows::IndexRows`]).

use crate::class_rows::LogProbLoss;

/// `f(ℓ) = −ℓ + ε·(1 − e^ℓ)`.
pub struct Poly1 {
    pub epsilon: f64,
}

impl LogProbLoss for Poly1 {
    fn value(&self, logp: f64) -> f64 {
        -logp - self.epsilon * logp.exp_m1()
    }
    fn derivative(&self, logp: f64) -> f64 {
        -1.0 - self.epsilon * logp.exp()
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::class_rows::IndexRows;
    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn uniform_row() {
        // Two equal logits: p_y = ½, l = ln 2 + ε/2; ∂x = −(1 + ε/2)·([c = y] − ½).
        let poly = IndexRows::<f64, _> {
            weight: None,
            loss: Poly1 { epsilon: 2.0 },
        };
        let x = [0.5, 0.5];
        let (s, d) = run_forward(&poly, &x, 2, &[], &[1], 1, None, None);
        assert!((s - (2f64.ln() + 1.0)).abs() < 1e-15 && d == 1.0);
        let mut gx = [0.0; 2];
        run_backward(
            &poly,
            &x,
            2,
            &[],
            &[1],
            1,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        assert_eq!(gx, [1.0, -1.0]);
    }

    #[lossfn_test_macro::kernel_test]
    fn derivative_matches_finite_differences() {
        let f = Poly1 { epsilon: -0.7 };
        for logp in [-9.0f64, -1.1, -0.05] {
            let h = 1e-6;
            let fd = (f.value(logp + h) - f.value(logp - h)) / (2.0 * h);
            assert!((fd - f.derivative(logp)).abs() < 1e-8, "{logp}");
        }
    }
}
