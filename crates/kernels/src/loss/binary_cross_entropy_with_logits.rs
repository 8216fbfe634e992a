//! `F.binary_cross_entropy_with_logits`, with the optional `pos_weight` p as the third operand
//! (broadcast against the target by the caller); `weight` is applied by the driver.
//!
//! PyTorch's l = (1 − t)·x − (1 + (p − 1)·t)·logσ(x) is evaluated as the sum of two
//! non-negative terms (for t ∈ [0, 1], p ≥ 0), l = p·t·softplus(−x) + (1 − t)·softplus(x),
//! with both softplus sharing ln(1 + e^−|x|): no overflow for any |x| and no cancellation,
//! e.g. x = −20, t = 0 gives e^−20 rather than a difference of two numbers near 20.
//!
//! ∂x = (1 − t)·σ(x) − p·t·σ(−x)   (= σ(x)·(1 + (p − 1)t) − p·t, PyTorch's form);
//! ∂t = p·softplus(−x) − softplus(x) (= −x without pos_weight, as PyTorch);
//! ∂p = t·softplus(−x) (PyTorch refuses a pos_weight that requires grad; the TS layer too).

use super::{nan_at_neg_inf, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{exp, log1p_unit};
use crate::simd::Vector;

pub struct BinaryCrossEntropyWithLogits {
    /// Whether the third operand holds pos_weight (otherwise p = 1 and the operand is unused).
    pub pos_weight: bool,
}

/// `(softplus(x), softplus(−x))`, overflow-free, sharing one exp and one log1p.
#[inline(always)]
pub(crate) fn softplus_pair<V: Vector>(x: V) -> (V, V) {
    let zero = splat::<V>(0.0);
    // softplus(−|x|) = ln(1 + e^−|x|) ∈ (0, ln 2] (softplus's own method, minus its max).
    let l = log1p_unit(exp(-x.abs()));
    (x.pmax(zero) + l, (-x).pmax(zero) + l)
}

/// `(σ(x), σ(−x))`, both accurate (neither is computed as 1 minus the other).
#[inline(always)]
pub(crate) fn sigmoid_pair<V: Vector>(x: V) -> (V, V) {
    sigmoid_pair_from(x, exp(-x.abs()))
}

/// [`sigmoid_pair`] from `e = e^−|x|`, for callers that need `e` for something else too.
#[inline(always)]
pub(crate) fn sigmoid_pair_from<V: Vector>(x: V, e: V) -> (V, V) {
    let one = splat::<V>(1.0);
    let r = one / (one + e);
    let small = e * r;
    let pos = x.ge(splat(0.0));
    (V::select(pos, r, small), V::select(pos, small, r))
}

impl Elementwise for BinaryCrossEntropyWithLogits {
    // Bun ×1.27, Node 20 ×1.01 (bench/math_kernels.mjs, sealed / plain).
    const SEALED: bool = true;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, p: V) -> V {
        let (sp_pos, sp_neg) = softplus_pair(x);
        let pt = if self.pos_weight { p * t } else { t };
        // NaN at x = −∞ whatever t, as PyTorch's (1 − t)·x + max(−x, 0) + … (∞ − ∞).
        pt * sp_neg + (splat::<V>(1.0) - t) * sp_pos + nan_at_neg_inf(x)
    }
}

impl ElementwiseGrad for BinaryCrossEntropyWithLogits {
    // Bun ×1.21, Node 20 ×1.00 (bench/math_kernels.mjs, sealed / plain).
    const SEALED_GRAD: bool = true;
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, p: V, g: V) -> [V; 3] {
        let one_t = splat::<V>(1.0) - t;
        let e = exp(-x.abs());
        let (s_pos, s_neg) = sigmoid_pair_from(x, e);
        if self.pos_weight {
            let zero = splat::<V>(0.0);
            let l = log1p_unit(e);
            let (sp_pos, sp_neg) = (x.pmax(zero) + l, (-x).pmax(zero) + l);
            let dx = one_t * s_pos - p * t * s_neg;
            [dx * g, (p * sp_neg - sp_pos) * g, t * sp_neg * g]
        } else {
            let dx = one_t * s_pos - t * s_neg;
            [dx * g, -x * g, splat(0.0)]
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    /// Float64 reference: −[p·t·logσ(x) + (1 − t)·logσ(−x)] with f64 std functions. (PyTorch's
    /// own form cancels even in f64 for confident right predictions: x = −88, t = 0 gives 0.)
    fn reference(x: f64, t: f64, p: f64) -> f64 {
        let sp = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
        p * t * sp(-x) + (1.0 - t) * sp(x)
    }

    #[lossfn_test_macro::kernel_test]
    fn extreme_logits_are_finite_and_exact() {
        let xs = [
            500.0f32, -500.0, 300.0, -300.0, 88.0, -88.0, 1e4, -1e4, 20.0, -20.0, 0.0, 1e-8,
        ];
        let ts = [
            0.0f32, 1.0, 0.3, 0.7, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 0.5, 1.0,
        ];
        let ps = [
            0.5f32, 3.0, 1.0, 10.0, 0.5, 3.0, 1.0, 10.0, 0.5, 3.0, 1.0, 10.0,
        ];
        for pos_weight in [false, true] {
            let k = BinaryCrossEntropyWithLogits { pos_weight };
            let mut out = vec![0f32; xs.len()];
            forward(&k, &xs, &ts, Some(&ps), Some(&mut out));
            for i in 0..xs.len() {
                let p = if pos_weight { ps[i] as f64 } else { 1.0 };
                let want = reference(xs[i] as f64, ts[i] as f64, p);
                let got = out[i] as f64;
                assert!(
                    (got - want).abs() <= 3e-7 * want.abs(),
                    "x={} t={} p={p}: {got} vs {want}",
                    xs[i],
                    ts[i]
                );
            }
        }
        // Confident right predictions: the loss is e^−|x|, not a rounded-away difference.
        let mut out = [0f32; 2];
        forward(
            &BinaryCrossEntropyWithLogits { pos_weight: false },
            &[-20.0f32, 20.0],
            &[0.0, 1.0],
            None,
            Some(&mut out),
        );
        let want = (-20f64).exp().ln_1p();
        assert!(
            ((out[0] as f64) - want).abs() < 3e-7 * want
                && ((out[1] as f64) - want).abs() < 3e-7 * want
        );
    }

    #[lossfn_test_macro::kernel_test]
    fn gradients_match_pytorchs_forms() {
        let xs = [3.5f64, -2.0, 40.0, -40.0, 0.0];
        let ts = [0.2f64, 1.0, 0.0, 1.0, 0.5];
        let ps = [2.0f64, 0.5, 4.0, 1.5, 3.0];
        let k = BinaryCrossEntropyWithLogits { pos_weight: true };
        let [gx, gt, gp] = unit_grads(&k, &xs, &ts, Some(&ps));
        for i in 0..5 {
            let (x, t, p) = (xs[i], ts[i], ps[i]);
            let s = 1.0 / (1.0 + (-x).exp());
            let log_sig = -((-x).max(0.0) + (-x.abs()).exp().ln_1p());
            let want_dx = s * (1.0 + (p - 1.0) * t) - p * t;
            let want_dt = -x - (p - 1.0) * log_sig;
            assert!(
                (gx[i] - want_dx).abs() <= 1e-15 * (1.0 + want_dx.abs()),
                "dx at {x}"
            );
            assert!(
                (gt[i] - want_dt).abs() <= 1e-14 * (1.0 + want_dt.abs()),
                "dt at {x}: {} vs {want_dt}",
                gt[i]
            );
            assert!((gp[i] + t * log_sig).abs() <= 1e-15 * (1.0 + log_sig.abs()));
        }
    }
}
