//! Keras `LogCosh`, elementwise, overflow-free: l = ln cosh(e), e = x − t.
//! Keras writes e + softplus(−2e) − ln 2, which loses all relative accuracy near e = 0 (the
//! result ≈ e²/2 is a difference of O(1) terms). Here [`crate::math::log_cosh`]: a minimax
//! polynomial in e² for |e| < 0.75 (no cancellation, relative accuracy down to e → 0), and
//! |e| − ln 2 + ln(1 + e^(−2|e|)) above, finite for every finite e (≤ 3 ulp in f32).
//! ∂x = tanh(e), ∂t = −tanh(e).

use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{log_cosh, tanh};
use crate::simd::Vector;

pub struct LogCosh;

impl Elementwise for LogCosh {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        log_cosh(x - t)
    }
}

impl ElementwiseGrad for LogCosh {
    // Bun ×1.24, Node 20 ×1.02 (bench/math_kernels.mjs, sealed / plain); not the forward,
    // which Bun runs ×0.83 sealed (its polynomial's constants then outnumber the registers).
    const SEALED_GRAD: bool = true;
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let dx = tanh(x - t) * g;
        [dx, -dx, splat(0.0)]
    }
}
