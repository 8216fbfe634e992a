//! `F.binary_cross_entropy` on probabilities `x ∈ [0, 1]` (checked in TS):
//! l = (t − 1)·max(log1p(−x), −100) − t·max(ln x, −100), PyTorch's CPU form: each log is
//! clamped at −100, so an element's loss is at most 100 and x ∈ {0, 1} stays finite.
//! ∂x = (x − t) / max((1 − x)·x, 1e-12) (PyTorch's backward, also at x ∈ {0, 1});
//! ∂t = −logit(x) = −ln(x / (1 − x)), unclamped (±inf at x = 0 / 1, as PyTorch).
//! `weight` is applied by the driver.

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{ln, ln_and_log1p_neg};
use crate::simd::Vector;

pub struct BinaryCrossEntropy;

impl Elementwise for BinaryCrossEntropy {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let lo = splat::<V>(-100.0);
        // log1p(−x), not ln(1 − x): for small x (t = 0) the loss is ≈ x, which 1 − x rounds away.
        let (log_x, log_1mx) = ln_and_log1p_neg(x);
        let (log_x, log_1mx) = (log_x.pmax(lo), log_1mx.pmax(lo));
        (t - splat(1.0)) * log_1mx - t * log_x
    }
}

impl ElementwiseGrad for BinaryCrossEntropy {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let one = splat::<V>(1.0);
        // PyTorch 1.13 clamps at 1e-12 held in f32 (9.99999996e-13) in both precisions.
        let den = ((one - x) * x).max(splat(1e-12f32 as f64));
        let dx = (x - t) / den * g;
        let dt = -ln(x / (one - x)) * g;
        [dx, dt, splat(0.0)]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    fn bce64(x: f64, t: f64) -> f64 {
        (t - 1.0) * (-x).ln_1p().max(-100.0) - t * x.ln().max(-100.0)
    }

    #[lossfn_test_macro::kernel_test]
    fn matches_the_clamped_formula_in_both_precisions() {
        let xs = [
            0.0, 1.0, 0.5, 1e-30, 1e-8, 0.999_999, 0.3, 0.7, 1e-45, 0.25, 0.02,
        ];
        let ts = [1.0, 0.0, 0.5, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.6, 0.02];
        let mut out = vec![0f64; xs.len()];
        forward(&BinaryCrossEntropy, &xs, &ts, None, Some(&mut out));
        for i in 0..xs.len() {
            let want = bce64(xs[i], ts[i]);
            assert!(
                (out[i] - want).abs() <= 2e-16 * want.abs() + 1e-300,
                "f64 x={} t={}: {} vs {want}",
                xs[i],
                ts[i],
                out[i]
            );
        }
        let x32: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
        let t32: Vec<f32> = ts.iter().map(|&v| v as f32).collect();
        let mut out32 = vec![0f32; xs.len()];
        forward(&BinaryCrossEntropy, &x32, &t32, None, Some(&mut out32));
        for i in 0..xs.len() {
            let want = bce64(x32[i] as f64, t32[i] as f64);
            assert!(
                ((out32[i] as f64) - want).abs() <= 3e-7 * want.abs() + 1e-37,
                "f32 x={}: {} vs {want}",
                x32[i],
                out32[i]
            );
        }
        // The −100 cap: x = 0 with t = 1, x = 1 with t = 0.
        assert_eq!(out[0], 100.0);
        assert_eq!(out[1], 100.0);
        // Small x with t = 0: the loss is x itself (log1p, not ln(1 − x)).
        assert!((out[4] + (-1e-8f64).ln_1p()).abs() < 1e-23);
    }

    #[lossfn_test_macro::kernel_test]
    fn gradient_is_pytorchs_clamped_form() {
        let xs = [0.0f64, 1.0, 1e-30, 0.25];
        let ts = [1.0f64, 0.0, 1.0, 1.0];
        let [gx, gt, _] = unit_grads(&BinaryCrossEntropy, &xs, &ts, None);
        let big = 1.0 / (1e-12f32 as f64);
        assert_eq!(gx[..3], [-big, big, -big]);
        assert!((gx[3] - (0.25 - 1.0) / (0.75 * 0.25)).abs() < 1e-15);
        assert_eq!(gt[..2], [f64::INFINITY, f64::NEG_INFINITY]);
        assert!((gt[2] - 30.0 * 10f64.ln()).abs() < 1e-12);
        assert!((gt[3] - 3f64.ln()).abs() < 1e-15);
    }
}
