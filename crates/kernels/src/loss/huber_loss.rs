//! `F.huber_loss`: l = ½d² where |d| < δ, else δ(|d| − ½δ) (d = x − t); δ > 0 (checked in TS).
//! ∂l/∂x = clamp(d, −δ, δ).

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct HuberLoss {
    pub delta: f64,
}

impl Elementwise for HuberLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let delta = splat::<V>(self.delta);
        let d = x - t;
        let ad = d.abs();
        V::select(
            ad.lt(delta),
            splat::<V>(0.5) * d * d,
            delta * (ad - splat::<V>(0.5 * self.delta)),
        )
    }
}

impl ElementwiseGrad for HuberLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let delta = splat::<V>(self.delta);
        let dx = (x - t).pmin(delta).pmax(-delta) * g;
        [dx, -dx, splat(0.0)]
    }
}
