//! `F.poisson_nll_loss`.
//! - `log_input`: l = eᕽ − t·x (x is the log-rate); ∂x = eᕽ − t, ∂t = −x.
//! - otherwise: l = x − t·ln(x + eps); ∂x = 1 − t/(x + eps), ∂t = −ln(x + eps).
//! - `full` adds Stirling's ln(t!) ≈ t·ln t − t + ½ln(2πt) where t > 1 (0 elsewhere, as
//!   PyTorch's masked_fill); ∂t of it = ln t + 1/(2t) where t > 1, 0 for 0 < t ≤ 1, NaN for
//!   t ≤ 0 (PyTorch's autograd gives 0·(−inf) there).

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{exp, ln};
use crate::simd::Vector;
use core::f64::consts::PI;

pub struct PoissonNllLoss {
    pub log_input: bool,
    pub full: bool,
    pub eps: f64,
}

impl Elementwise for PoissonNllLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let l = if self.log_input {
            exp(x) - t * x
        } else {
            x - t * ln(x + splat(self.eps))
        };
        if !self.full {
            return l;
        }
        let stirling = t * ln(t) - t + splat::<V>(0.5) * ln(splat::<V>(2.0 * PI) * t);
        l + V::select(t.gt(splat(1.0)), stirling, splat(0.0))
    }
}

impl ElementwiseGrad for PoissonNllLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let (dx, mut dt) = if self.log_input {
            (exp(x) - t, -x)
        } else {
            let xe = x + splat(self.eps);
            (splat::<V>(1.0) - t / xe, -ln(xe))
        };
        if self.full {
            // PyTorch differentiates the Stirling term through masked_fill: where t ≤ 1 the
            // mask multiplies the term's derivative ln t + 1 + ½/t − 1 by 0, which is 0 for
            // 0 < t ≤ 1 but 0·(−inf) = NaN at t = 0 (and NaN for t < 0). Matched exactly.
            let ds = ln(t) + splat::<V>(0.5) / t;
            let masked = V::select(t.gt(splat(0.0)), splat(0.0), ds * splat(0.0));
            dt = dt + V::select(t.gt(splat(1.0)), ds, masked);
        }
        [dx * g, dt * g, splat(0.0)]
    }
}
