//! `F.margin_ranking_loss(x1, x2, y, margin)`, elementwise: `l = max(0, −y·(x1 − x2) + margin)`.
//! The max is ATen's `clamp_min_(0)`: the gradient passes where `−y·(x1 − x2) + margin ≥ 0`
//! (kink included): `∂x1 = −y`, `∂x2 = y`, `∂y = −(x1 − x2)`; 0 elsewhere. Any target value is
//! used as it is (PyTorch does not restrict it to ±1).

use super::{pass, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct MarginRankingLoss {
    pub margin: f64,
}

impl Elementwise for MarginRankingLoss {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x1: V, x2: V, y: V) -> V {
        (splat::<V>(self.margin) - y * (x1 - x2)).pmax(splat(0.0))
    }
}

impl ElementwiseGrad for MarginRankingLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x1: V, x2: V, y: V, g: V) -> [V; 3] {
        let d = x1 - x2;
        let active = (splat::<V>(self.margin) - y * d).ge(splat(0.0));
        let gy = y * g;
        [pass(active, -gy), pass(active, gy), pass(active, -(d * g))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    #[test]
    fn hinge_on_the_signed_difference() {
        let x1 = [1.0f64, 0.0, 2.0, -1.0, 0.5];
        let x2 = [0.0f64, 1.0, 2.0, 1.0, 0.25];
        let y = [1.0f64, 1.0, -1.0, 0.5, -2.0];
        let k = MarginRankingLoss { margin: 0.5 };
        let mut out = [0.0; 5];
        forward(&k, &x1, &x2, Some(&y), Some(&mut out));
        assert_eq!(out, [0.0, 1.5, 0.5, 1.5, 1.0]);
        let [g1, g2, gy] = unit_grads(&k, &x1, &x2, Some(&y));
        assert_eq!(g1, [0.0, -1.0, 1.0, -0.5, 2.0]);
        assert_eq!(g2, [0.0, 1.0, -1.0, 0.5, -2.0]);
        assert_eq!(gy, [0.0, 1.0, -0.0, 2.0, -0.25]);
    }
}
