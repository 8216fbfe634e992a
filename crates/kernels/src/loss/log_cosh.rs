//! Keras `LogCosh`, elementwise, overflow-free: l = ln cosh(e), e = x − t.
//! Keras writes e + softplus(−2e) − ln 2, which loses all relative accuracy near e = 0 (the
//! result ≈ e²/2 is a difference of O(1) terms). Here, with u = expm1(|e|):
//! - |e| < 1: ln cosh e = log1p(cosh e − 1) = log1p(u² / (2(1 + u))), no cancellation;
//! - |e| ≥ 1: |e| + log1p(e^(−2|e|)) − ln 2, finite for every finite e.
//! ∂x = tanh(e), ∂t = −tanh(e).

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{exp, expm1, log1p, tanh};
use crate::simd::Vector;
use core::f64::consts::LN_2;

pub struct LogCosh;

impl Elementwise for LogCosh {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let ae = (x - t).abs();
        let one = splat::<V>(1.0);
        // Clamp the small-branch argument so its unused lanes stay finite.
        let u = expm1(ae.min(one));
        let small = log1p(u * u / (splat::<V>(2.0) * (one + u)));
        let large = ae + log1p(exp(splat::<V>(-2.0) * ae)) - splat(LN_2);
        V::select(ae.lt(one), small, large)
    }
}

impl ElementwiseGrad for LogCosh {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let dx = tanh(x - t) * g;
        [dx, -dx, splat(0.0)]
    }
}
