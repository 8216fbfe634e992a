//! CosFace (large margin cosine loss / AM-Softmax, Wang et al. 2018) over rows of `C` cosines
//! with a class-index target per row, as pytorch-metric-learning's `CosFaceLoss` applied to
//! given cosine logits.
//!
//! Target logit `ψ(c) = c − m` (no clamp: nothing takes `acos`), `ψ' = 1`; the other logits
//! are the cosines; `l = CE(scale·logits, y)` ([`crate::class_rows::MarginSoftmax`]).

use crate::class_rows::{MarginLoss, TargetMargin};

/// `c − m`.
pub struct CosMargin {
    pub margin: f64,
}

impl TargetMargin for CosMargin {
    fn target_logit(&self, c: f64, _bound: f64) -> (f64, f64) {
        (c - self.margin, 1.0)
    }
}

/// CosFace: the large-margin softmax with [`CosMargin`].
pub type CosFaceLoss = MarginLoss<CosMargin>;

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn two_classes_is_a_logistic_loss() {
        // C = 2: l = softplus(s·(c_other − (c_y − m))).
        let loss = CosFaceLoss {
            scale: 4.0,
            margin: CosMargin { margin: 0.25 },
        };
        let x = [0.5f64, 0.1];
        let z: f64 = 4.0 * (0.1 - (0.5 - 0.25));
        let want = z.exp().ln_1p();
        assert!((run_forward(&loss, &x, 2, &[], &[0], 1, None, None).0 - want).abs() < 1e-15);
        let mut gx = [0.0; 2];
        run_backward(
            &loss,
            &x,
            2,
            &[],
            &[0],
            1,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        let sig = 1.0 / (1.0 + (-z).exp());
        assert!((gx[0] + 4.0 * sig).abs() < 1e-15 && (gx[1] - 4.0 * sig).abs() < 1e-15);
    }
}
