//! `F.l1_loss`: l = |x − t|. ∂l/∂x = sign(x − t) (0 where equal, as PyTorch).

use super::{sign, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct L1Loss;

impl Elementwise for L1Loss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        (x - t).abs()
    }
}

impl ElementwiseGrad for L1Loss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let dx = sign(x - t) * g;
        [dx, -dx, splat(0.0)]
    }
}
