//! `F.gaussian_nll_loss` on already-broadcast operands (input, target, var):
//! l = ½(ln v + (x − t)²/v) [+ ½ln(2π) when `full`], v = max(var, eps).
//! PyTorch clamps a clone of var under no_grad, so the gradient uses the clamped value but
//! flows as if unclamped: ∂var = ½(1/v − (x − t)²/v²), also where var < eps.

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::ln;
use crate::simd::Vector;
use core::f64::consts::PI;

pub struct GaussianNllLoss {
    pub full: bool,
    pub eps: f64,
}

impl Elementwise for GaussianNllLoss {
    // Bun ×1.14, Node 20 ×0.99 (bench/math_kernels.mjs, sealed / plain).
    const SEALED: bool = true;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, var: V) -> V {
        let v = var.pmax(splat(self.eps));
        let d = x - t;
        let l = splat::<V>(0.5) * (ln(v) + d * d / v);
        if self.full {
            l + splat(0.5 * (2.0 * PI).ln())
        } else {
            l
        }
    }
}

impl ElementwiseGrad for GaussianNllLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, var: V, g: V) -> [V; 3] {
        let v = var.pmax(splat(self.eps));
        let r = (x - t) / v;
        let dx = r * g;
        [dx, -dx, splat::<V>(0.5) * (splat::<V>(1.0) / v - r * r) * g]
    }
}
