//! `F.poisson_nll_loss`.
//! - `log_input`: l = eᕽ − t·x (x is the log-rate); ∂x = eᕽ − t, ∂t = −x.
//! - otherwise: l = x − t·ln(x + eps); ∂x = 1 − t/(x + eps), ∂t = −ln(x + eps).
//! - `full` adds Stirling's ln(t!) ≈ t·ln t − t + ½ln(2πt) where t > 1 (0 elsewhere, as
//!   PyTorch's masked_fill, whose gradient is 0 there too); ∂t of it = ln t + 1/(2t).

use super::splat;
use crate::driver::Elementwise;
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
        let l = if self.log_input { exp(x) - t * x } else { x - t * ln(x + splat(self.eps)) };
        if !self.full {
            return l;
        }
        let stirling = t * ln(t) - t + splat::<V>(0.5) * ln(splat::<V>(2.0 * PI) * t);
        l + V::select(t.gt(splat(1.0)), stirling, splat(0.0))
    }
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let (dx, mut dt) = if self.log_input {
            (exp(x) - t, -x)
        } else {
            let xe = x + splat(self.eps);
            (splat::<V>(1.0) - t / xe, -ln(xe))
        };
        if self.full {
            let ds = ln(t) + splat::<V>(0.5) / t;
            dt = dt + V::select(t.gt(splat(1.0)), ds, splat(0.0));
        }
        [dx * g, dt * g, splat(0.0)]
    }
}
