//! `F.nll_loss` (`NLLLoss2d` is the same loss on (N, C, H, W)) on the one log-probability
//! each row's loss reads: the TS layer gathers `x[r, y_r]` ("picked") and the row's class
//! weight `w_y` (1 without weights, 0 for an ignored row, whose picked value is 0 too), so the
//! loss is elementwise over the rows: a call costs O(rows), not O(rows·C), and runs through
//! the elementwise driver (a row driver pass per one-wide row cost ~15 ns a row; this ~1).
//!
//! Per row: `l = −w_y·x_y`, written `0 − w·x` so that an ignored row gives +0, as PyTorch;
//! the 'mean' denominator Σ w_y (0/0 = NaN when every row is ignored, as PyTorch) is summed by
//! the TS layer. `∂x_y = −g·w_y`; every other class's gradient is 0 (scattered by the TS
//! layer). In float32 the product is rounded once to f32, then summed in f64.

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

/// `x` = the picked log-probabilities, `t` = their rows' weights `w_y`.
pub struct NllLoss;

impl Elementwise for NllLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, w: V, _: V) -> V {
        splat::<V>(0.0) - w * x
    }
}

impl ElementwiseGrad for NllLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, _: V, w: V, _: V, g: V) -> [V; 3] {
        // No gradient flows to the weights (PyTorch: not differentiable in `weight`).
        [splat::<V>(0.0) - w * g, splat(0.0), splat(0.0)]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{backward, forward, Upstream};

    #[lossfn_test_macro::kernel_test]
    fn weighted_mean_and_ignored_rows() {
        // torch: F.nll_loss(x.view(3, 2), torch.tensor([1, -100, 0]), weight=torch.tensor([2., 3.]))
        //        = (3·0.5 + 2·1.5) / (3 + 2) = 0.9
        // rows [-1, -0.5], [-2, -0.25], [-1.5, -3]: picked x[r, y_r] = [-0.5, 0 (ignored), -1.5],
        // weights w_y = [3, 0, 2]; the TS layer divides the sum by Σ w_y = 5.
        let picked = [-0.5f32, 0.0, -1.5];
        let w = [3.0f32, 0.0, 2.0];
        let mut out = [9.0f32; 3];
        let s = forward(&NllLoss, &picked, &w, None, Some(&mut out));
        assert_eq!(s, 4.5);
        assert_eq!(out, [1.5, 0.0, 3.0]);
        assert!(out[1].is_sign_positive());
        let mut gp = [9.0f32; 3];
        backward(
            &NllLoss,
            &picked,
            &w,
            None,
            None,
            Upstream::Scalar(0.5),
            Some(&mut gp),
            None,
            None,
        );
        assert_eq!(gp, [-1.5, 0.0, -1.0]);
    }

    #[lossfn_test_macro::kernel_test]
    fn nan_and_infinite_log_probabilities() {
        // PyTorch: −w·x, so NaN stays NaN, −inf gives +inf, and a zero class weight times −inf
        // is NaN (0·inf); ignored rows never reach the kernel with their value (picked = 0).
        let picked = [f64::NAN, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let w = [1.0, 1.0, 0.0];
        let mut out = [0.0f64; 3];
        forward(&NllLoss, &picked, &w, None, Some(&mut out));
        assert!(out[0].is_nan());
        assert_eq!(out[1], f64::INFINITY);
        assert!(out[2].is_nan());
    }
}
