//! `F.soft_margin_loss`: l = ln(1 + e^(−t·x)) = softplus(−t·x), computed overflow-free (PyTorch
//! evaluates log(1 + exp(z)) literally, which is inf in f32 once z > 88.7; the value is the
//! same wherever PyTorch's is finite). ∂x = −t·σ(−t·x); ∂t = −x·σ(−t·x) (PyTorch has no target
//! gradient and the TS layer refuses a target that requires grad; the kernel returns it anyway).

use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{sigmoid, softplus};
use crate::simd::Vector;

pub struct SoftMarginLoss;

impl Elementwise for SoftMarginLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        softplus(-(t * x))
    }
}

impl ElementwiseGrad for SoftMarginLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let z = -(t * x);
        // PyTorch's exp(z)/(1 + exp(z)) is NaN at z = +∞ (the value there is +∞ in both).
        let s = sigmoid(z) * g + super::nan_at_pos_inf(z);
        [-(t * s), -(x * s), super::splat(0.0)]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    #[lossfn_test_macro::kernel_test]
    fn large_margins_do_not_overflow() {
        let xs = [200.0f32, -200.0, 100.0, -100.0, 88.8, 0.0];
        let ts = [-1.0f32, 1.0, -1.0, -1.0, -1.0, 1.0];
        let mut out = [0f32; 6];
        let sum = forward(&SoftMarginLoss, &xs, &ts, None, Some(&mut out));
        assert_eq!(out[..3], [200.0, 200.0, 100.0]);
        // e^−100 is subnormal in f32: within one subnormal step, not flushed to 0.
        assert!(
            out[3] > 0.0 && ((out[3] as f64) - (-100f64).exp()).abs() <= f32::from_bits(1) as f64
        );
        assert!((out[5] - core::f32::consts::LN_2).abs() < 1e-7);
        assert!(sum.is_finite());
        let [gx, _, _] = unit_grads(&SoftMarginLoss, &xs, &ts, None);
        assert_eq!(gx[..3], [1.0, -1.0, 1.0]);
        assert!(gx.iter().all(|v| v.is_finite()));
        assert_eq!(gx[5], -0.5);
    }
}
