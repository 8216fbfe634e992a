//! Keras `squared_hinge` with PyTorch conventions: l = max(1 − t·x, 0)², with the same
//! conditional {0, 1} → {−1, 1} label conversion as [`super::hinge`].
//! ∂x = −2·max(1 − t·x, 0)·t, ∂t = −2·max(1 − t·x, 0)·x (·2 when converted), masked where the
//! clamp is inactive exactly as autograd through `clamp(min = 0) ** 2` does (0 for a NaN margin).

use super::hinge::label;
use super::{pass, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct SquaredHinge {
    pub convert: bool,
}

impl Elementwise for SquaredHinge {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let (t, _) = label(self.convert, t);
        let m = (splat::<V>(1.0) - t * x).pmax(splat(0.0));
        m * m
    }
}

impl ElementwiseGrad for SquaredHinge {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let (t, k) = label(self.convert, t);
        let m = splat::<V>(1.0) - t * x;
        let active = m.ge(splat(0.0));
        let d = splat::<V>(-2.0) * m * g;
        [
            pass(active, d * t),
            pass(active, d * x * splat(k)),
            splat(0.0),
        ]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    #[lossfn_test_macro::kernel_test]
    fn value_and_gradient() {
        let xs = [1.0f32, 0.5, 2.0, -3.0, f32::NAN];
        let ts = [1.0f32, 1.0, -1.0, 1.0, 1.0];
        let mut out = [0f32; 5];
        forward(
            &SquaredHinge { convert: false },
            &xs,
            &ts,
            None,
            Some(&mut out),
        );
        assert_eq!(out[..4], [0.0, 0.25, 9.0, 16.0]);
        assert!(out[4].is_nan());
        let [gx, _, _] = unit_grads(&SquaredHinge { convert: false }, &xs, &ts, None);
        assert_eq!(gx, [0.0, -1.0, 6.0, -8.0, 0.0]);
    }
}
