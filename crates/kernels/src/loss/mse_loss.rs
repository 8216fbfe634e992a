//! `F.mse_loss`: l = (x − t)². ∂l/∂x = 2(x − t).

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct MseLoss;

impl Elementwise for MseLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let d = x - t;
        d * d
    }
}

impl ElementwiseGrad for MseLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let dx = splat::<V>(2.0) * (x - t) * g;
        [dx, -dx, splat(0.0)]
    }
}
