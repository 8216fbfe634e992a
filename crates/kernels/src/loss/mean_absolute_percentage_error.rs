//! Keras `MeanAbsolutePercentageError`, elementwise: l = 100·|t − x| / max(|t|, 1e-7).
//! The max has clamp semantics for the gradient: ∂t of the denominator only where |t| ≥ 1e-7.

use super::{pass, sign, splat};
use crate::driver::Elementwise;
use crate::simd::Vector;

/// Keras's `backend.epsilon()`.
pub const EPSILON: f64 = 1e-7;

pub struct MeanAbsolutePercentageError;

impl Elementwise for MeanAbsolutePercentageError {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        splat::<V>(100.0) * (t - x).abs() / t.abs().max(splat(EPSILON))
    }
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let at = t.abs();
        let den = at.max(splat(EPSILON));
        let d = x - t;
        let dx = splat::<V>(100.0) * sign(d) / den * g;
        // d/dt [100|x − t| / |t|] adds −100|x − t|·sign(t)/t² where the clamp passes.
        let dden = pass(at.ge(splat(EPSILON)), splat::<V>(100.0) * d.abs() * sign(t) / (den * den) * g);
        [dx, -dx - dden, splat(0.0)]
    }
}
