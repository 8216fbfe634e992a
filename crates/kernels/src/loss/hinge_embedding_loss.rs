//! `F.hinge_embedding_loss(x, y, margin)`, elementwise, as ATen computes it:
//! `l = [y ≠ 1]·max(0, margin − x) + [y ≠ −1]·x`. For `y = 1` this is `x`, for `y = −1` the
//! hinge `max(0, margin − x)`, and for any other target value **both terms** (PyTorch's
//! undocumented behaviour, kept). The hinge is `clamp_min_(0)`: its gradient `−1` passes where
//! `margin − x ≥ 0`. `∂x = −[y ≠ 1]·[margin − x ≥ 0] + [y ≠ −1]`; the target gets none.

use super::{pass, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct HingeEmbeddingLoss {
    pub margin: f64,
}

impl Elementwise for HingeEmbeddingLoss {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, y: V, _: V) -> V {
        let one = splat::<V>(1.0);
        let hinge = (splat::<V>(self.margin) - x).pmax(splat(0.0));
        let zero = splat::<V>(0.0);
        V::select(y.eq(one), zero, hinge) + V::select(y.eq(-one), zero, x)
    }
}

impl ElementwiseGrad for HingeEmbeddingLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, y: V, _: V, g: V) -> [V; 3] {
        let one = splat::<V>(1.0);
        let zero = splat::<V>(0.0);
        let active = V::mask_and(
            V::mask_not(y.eq(one)),
            (splat::<V>(self.margin) - x).ge(zero),
        );
        let d = pass(active, -g) + V::select(y.eq(-one), zero, g);
        [d, zero, zero]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    #[test]
    fn both_terms_for_targets_other_than_plus_minus_one() {
        let x = [0.3f64, 0.3, 0.3, 2.0, 1.0, -0.5];
        let y = [1.0f64, -1.0, 0.5, 2.0, -1.0, 0.0];
        let k = HingeEmbeddingLoss { margin: 1.0 };
        let mut out = [0.0; 6];
        forward(&k, &x, &y, None, Some(&mut out));
        assert_eq!(
            out,
            [0.3, 1.0 - 0.3, (1.0 - 0.3) + 0.3, 2.0, 0.0, 1.5 - 0.5]
        );
        let [gx, gy, _] = unit_grads(&k, &x, &y, None);
        // x = 1 = margin for y = −1: the clamp's kink passes −1.
        assert_eq!(gx, [1.0, -1.0, 0.0, 1.0, -1.0, 0.0]);
        assert_eq!(gy, [0.0; 6]);
    }
}
