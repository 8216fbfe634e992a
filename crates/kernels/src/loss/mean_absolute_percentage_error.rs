//! Keras `MeanAbsolutePercentageError`, elementwise: l = 100·|t − x| / max(|t|, 1e-7).
//! The max has clamp semantics for the gradient: ∂t of the denominator only where |t| ≥ 1e-7.
//! ∂x = 100·sign(x − t)/max(|t|, 1e-7).

use super::{sign, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

/// Keras's `backend.epsilon()`.
pub const EPSILON: f64 = 1e-7;

pub struct MeanAbsolutePercentageError;

impl Elementwise for MeanAbsolutePercentageError {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        splat::<V>(100.0) * (t - x).abs() / t.abs().pmax(splat(EPSILON))
    }
}

impl ElementwiseGrad for MeanAbsolutePercentageError {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let at = t.abs();
        let eps = splat::<V>(EPSILON);
        let k = splat::<V>(100.0) * sign(x - t) * g;
        // Where |t| ≥ eps: ∂t = −100·sign(d)·(1/|t| + |d|·sign(t)/t²) = −100·sign(d)·x/(t·|t|)
        // (|d| = sign(d)·(x − t)), free of the cancellation of the two-term form, which
        // loses every digit when x ≈ 0; divided twice rather than by t·|t|, which overflows
        // for |t| ≳ 1.8e19 in f32. Below eps the denominator is the constant eps.
        let dt = V::select(at.ge(eps), x / at / t, splat::<V>(1.0) / eps);
        [k / at.pmax(eps), -k * dt, splat(0.0)]
    }
}
