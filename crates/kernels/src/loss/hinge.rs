//! Keras `hinge` with PyTorch conventions: l = max(1 − t·x, 0). With `convert`, targets are
//! first mapped {0, 1} → {−1, 1} (t ← 2t − 1); the TS layer sets it only when every target is
//! 0 or 1, as Keras's `_maybe_convert_labels`.
//! The max is `clamp(min = 0)`: the gradient passes where 1 − t·x ≥ 0, kink included:
//! ∂x = −t, ∂t = −x (·2 when converted), 0 elsewhere (and 0 where the margin is NaN).

use super::{pass, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct Hinge {
    pub convert: bool,
}

/// The label as the loss sees it, and the derivative of that mapping (2 or 1).
#[inline(always)]
pub(crate) fn label<V: Vector>(convert: bool, t: V) -> (V, f64) {
    if convert {
        (splat::<V>(2.0) * t - splat(1.0), 2.0)
    } else {
        (t, 1.0)
    }
}

impl Elementwise for Hinge {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let (t, _) = label(self.convert, t);
        (splat::<V>(1.0) - t * x).pmax(splat(0.0))
    }
}

impl ElementwiseGrad for Hinge {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let (t, k) = label(self.convert, t);
        let active = (splat::<V>(1.0) - t * x).ge(splat(0.0));
        [
            pass(active, -(t * g)),
            pass(active, -(x * g) * splat(k)),
            splat(0.0),
        ]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    #[lossfn_test_macro::kernel_test]
    fn kink_passes_the_gradient_and_labels_convert() {
        let xs = [1.0f64, -1.0, 0.5, 2.0, -1e4, 1e4, 0.0];
        let ts = [1.0f64, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0];
        let mut out = [0.0; 7];
        forward(&Hinge { convert: false }, &xs, &ts, None, Some(&mut out));
        assert_eq!(out, [0.0, 0.0, 0.5, 3.0, 10001.0, 0.0, 1.0]);
        let [gx, _, _] = unit_grads(&Hinge { convert: false }, &xs, &ts, None);
        assert_eq!(gx, [-1.0, 1.0, -1.0, 1.0, -1.0, 0.0, 1.0]);
        // {0, 1} labels: 0 acts as −1, and ∂t carries the factor 2 of t ↦ 2t − 1.
        let mut out = [0.0; 2];
        forward(
            &Hinge { convert: true },
            &[0.5, 0.5],
            &[0.0, 1.0],
            None,
            Some(&mut out),
        );
        assert_eq!(out, [1.5, 0.5]);
        let [_, gt, _] = unit_grads(&Hinge { convert: true }, &[0.5, 0.5], &[0.0, 1.0], None);
        assert_eq!(gt, [-1.0, -1.0]);
    }
}
