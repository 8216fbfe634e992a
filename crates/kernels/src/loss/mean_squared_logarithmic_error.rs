//! Keras `MeanSquaredLogarithmicError`, elementwise:
//! l = (ln(max(x, 1e-7) + 1) − ln(max(t, 1e-7) + 1))², with log1p for accuracy near 0.
//! ∂x = 2d/(1 + max(x, 1e-7)) where x ≥ 1e-7 (clamp semantics), likewise for t with −2d.

use super::{pass, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::log1p;
use crate::simd::Vector;

/// Keras's `backend.epsilon()`.
pub const EPSILON: f64 = 1e-7;

pub struct MeanSquaredLogarithmicError;

impl Elementwise for MeanSquaredLogarithmicError {
    // Bun ×1.25, Node 20 ×1.02 (bench/math_kernels.mjs, sealed / plain).
    const SEALED: bool = true;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let eps = splat::<V>(EPSILON);
        let d = log1p(x.pmax(eps)) - log1p(t.pmax(eps));
        d * d
    }
}

impl ElementwiseGrad for MeanSquaredLogarithmicError {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let eps = splat::<V>(EPSILON);
        let one = splat::<V>(1.0);
        let (xc, tc) = (x.pmax(eps), t.pmax(eps));
        let d2 = splat::<V>(2.0) * (log1p(xc) - log1p(tc)) * g;
        [
            pass(x.ge(eps), d2 / (one + xc)),
            pass(t.ge(eps), -d2 / (one + tc)),
            splat(0.0),
        ]
    }
}
