//! `F.smooth_l1_loss` for β > 0: l = ½d²/β where |d| < β, else |d| − ½β (d = x − t).
//! ∂l/∂x = clamp(d/β, −1, 1). β = 0 is exactly L1 in PyTorch; the TS layer dispatches it to
//! [`super::L1Loss`] (as PyTorch does), so this body never divides by zero.

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct SmoothL1Loss {
    pub beta: f64,
}

impl Elementwise for SmoothL1Loss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let beta = splat::<V>(self.beta);
        let d = x - t;
        let ad = d.abs();
        V::select(
            ad.lt(beta),
            splat::<V>(0.5) * d * d / beta,
            ad - splat::<V>(0.5 * self.beta),
        )
    }
}

impl ElementwiseGrad for SmoothL1Loss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let one = splat::<V>(1.0);
        let dx = ((x - t) / splat(self.beta)).pmin(one).pmax(-one) * g;
        [dx, -dx, splat(0.0)]
    }
}
