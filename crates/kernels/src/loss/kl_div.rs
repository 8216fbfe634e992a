//! `F.kl_div(input, target)` elementwise, input = log-probabilities x:
//! - `log_target = false`: l = xlogy(t, t) − t·x, xlogy(0, ·) = 0, PyTorch's own form, so
//!   t = 0 contributes 0 for finite x but 0·(−inf) = NaN at x = −inf, as PyTorch.
//!   ∂x = −t; ∂t = ln t + 1 − x, NaN at t = 0 (PyTorch: xlogy's derivative there is 0/0).
//! - `log_target = true`: l = e^t·(t − x) (NaN at t = −inf, as PyTorch);
//!   ∂x = −e^t; ∂t = e^t·(t − x + 1).

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{exp, ln};
use crate::simd::Vector;

pub struct KlDiv {
    pub log_target: bool,
}

impl Elementwise for KlDiv {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        if self.log_target {
            exp(t) * (t - x)
        } else {
            let zero = splat::<V>(0.0);
            let tlogt = V::select(t.eq(zero), zero, t * ln(t));
            tlogt - t * x
        }
    }
}

impl ElementwiseGrad for KlDiv {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        if self.log_target {
            let e = exp(t) * g;
            [-e, e * (t - x + splat(1.0)), splat(0.0)]
        } else {
            let dt = V::select(t.eq(splat(0.0)), splat(f64::NAN), ln(t) + splat(1.0) - x);
            [-(t * g), dt * g, splat(0.0)]
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    #[lossfn_test_macro::kernel_test]
    fn zero_targets_and_infinite_inputs_follow_pytorch() {
        let ninf = f64::NEG_INFINITY;
        let xs = [-1.0, ninf, ninf, -0.5];
        let ts = [0.0, 0.0, 0.5, 0.25];
        let mut out = [0.0; 4];
        forward(&KlDiv { log_target: false }, &xs, &ts, None, Some(&mut out));
        assert_eq!(out[0], 0.0);
        assert!(out[1].is_nan());
        assert_eq!(out[2], f64::INFINITY);
        assert!((out[3] - 0.25 * (0.25f64.ln() + 0.5)).abs() < 1e-16);
        let [gx, gt, _] = unit_grads(&KlDiv { log_target: false }, &xs, &ts, None);
        assert_eq!(gx, [-0.0, -0.0, -0.5, -0.25]);
        assert!(gt[0].is_nan() && gt[1].is_nan());
        assert_eq!(gt[2], f64::INFINITY);

        // log-target −inf: exp(t)·(t − x) = 0·(−inf) = NaN, input gradient −0.
        let mut out = [0.0; 2];
        forward(
            &KlDiv { log_target: true },
            &[-1.0, -1.0],
            &[ninf, 0.5f64.ln()],
            None,
            Some(&mut out),
        );
        assert!(out[0].is_nan());
        assert!((out[1] - 0.5 * (0.5f64.ln() + 1.0)).abs() < 1e-16);
        let [gx, _, _] = unit_grads(
            &KlDiv { log_target: true },
            &[-1.0, -1.0],
            &[ninf, 0.5f64.ln()],
            None,
        );
        assert_eq!(gx[0], 0.0);
        assert!(gx[0].is_sign_negative());
    }
}
