//! `torchvision.ops.sigmoid_focal_loss`, elementwise: with p = σ(x),
//! ce = BCE-with-logits(x, t) = t·softplus(−x) + (1 − t)·softplus(x),
//! q = 1 − p_t = p·(1 − t) + (1 − p)·t, l = α_t·ce·q^γ, α_t = α·t + (1 − α)·(1 − t) for α ≥ 0,
//! else 1.
//!
//! Numerics: q is formed from σ(x) and σ(−x) separately, so it keeps its digits for confident
//! predictions (torchvision's `1 − p_t` from `1 − sigmoid` has none left at |x| ≈ 17 in f32,
//! 37 in f64, where it becomes exactly 0). q^γ is q·q for γ = 2 and 1 for γ = 0 (0⁰ = 1,
//! as torch.pow), otherwise e^(γ·ln q) (0 at q = 0 for γ > 0).
//!
//! Gradients (dq/dx = σ'(x)·(1 − 2t), dq/dt = (1 − p) − p, d ce/dx = p − t, d ce/dt = −x):
//! ∂x = α_t·[(p − t)·q^γ + ce·γq^(γ−1)·σ'(x)·(1 − 2t)],
//! ∂t = α_t·[−x·q^γ + ce·γq^(γ−1)·((1 − p) − p)] + (2α − 1)·ce·q^γ   (last term only if α ≥ 0).
//! γq^(γ−1) is 0 for γ = 0 (torch's pow backward special-cases a zero exponent), 1 for γ = 1,
//! 2q for γ = 2, else γ·e^((γ−1)·ln q) (inf at q = 0 for γ < 1, as torch).

use super::binary_cross_entropy_with_logits::sigmoid_pair_from;
use super::{nan_at_neg_inf, splat};
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{exp, ln, log1p_unit};
use crate::simd::Vector;

pub struct SigmoidFocalLoss {
    /// α < 0 disables the class weighting (torchvision's convention).
    pub alpha: f64,
    /// γ ≥ 0 (checked in TS).
    pub gamma: f64,
}

/// The pieces shared by forward and backward.
struct Parts<V> {
    /// σ(x), σ(−x).
    p: V,
    p_neg: V,
    /// ce, q = 1 − p_t, q^γ.
    ce: V,
    q: V,
    qg: V,
}

impl SigmoidFocalLoss {
    #[inline(always)]
    fn parts<V: Vector>(&self, x: V, t: V) -> Parts<V> {
        let one = splat::<V>(1.0);
        let one_t = one - t;
        // One e^−|x| serves both σ(±x) and ln(1 + e^−|x|) (the shared part of softplus(±x)).
        let e = exp(-x.abs());
        let l = log1p_unit(e);
        let zero = splat::<V>(0.0);
        // BCE with logits, NaN at x = −∞ as PyTorch's (torchvision calls it).
        let ce = t * ((-x).pmax(zero) + l) + one_t * (x.pmax(zero) + l) + nan_at_neg_inf(x);
        let (p, p_neg) = sigmoid_pair_from(x, e);
        let q = p * one_t + p_neg * t;
        Parts {
            p,
            p_neg,
            ce,
            q,
            qg: self.pow_gamma(q),
        }
    }

    /// q^γ.
    #[inline(always)]
    fn pow_gamma<V: Vector>(&self, q: V) -> V {
        if self.gamma == 2.0 {
            q * q
        } else if self.gamma == 1.0 {
            q
        } else if self.gamma == 0.0 {
            splat(1.0)
        } else {
            exp(splat::<V>(self.gamma) * ln(q))
        }
    }

    /// d(q^γ)/dq = γ·q^(γ−1).
    #[inline(always)]
    fn dpow_gamma<V: Vector>(&self, q: V) -> V {
        if self.gamma == 2.0 {
            splat::<V>(2.0) * q
        } else if self.gamma == 1.0 {
            splat(1.0)
        } else if self.gamma == 0.0 {
            splat(0.0)
        } else {
            splat::<V>(self.gamma) * exp(splat::<V>(self.gamma - 1.0) * ln(q))
        }
    }

    /// α_t, or None when α < 0 disables it.
    #[inline(always)]
    fn alpha_t<V: Vector>(&self, t: V) -> Option<V> {
        (self.alpha >= 0.0).then(|| {
            splat::<V>(self.alpha) * t + splat::<V>(1.0 - self.alpha) * (splat::<V>(1.0) - t)
        })
    }
}

impl Elementwise for SigmoidFocalLoss {
    // Not sealed (Elementwise::SEALED): Bun ran the forward ×1.13–1.17 sealed, but Node 20
    // ×0.97–0.98 in the kernel and ×0.94–0.97 end to end (bench/runtimes.mjs).
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let Parts { ce, qg, .. } = self.parts(x, t);
        let l = ce * qg;
        match self.alpha_t(t) {
            Some(a) => a * l,
            None => l,
        }
    }
}

impl ElementwiseGrad for SigmoidFocalLoss {
    // Bun ×1.15–1.19, Node 20 ×0.97–0.98 (bench/math_kernels.mjs, sealed / plain).
    const SEALED_GRAD: bool = true;
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let one = splat::<V>(1.0);
        let Parts {
            p,
            p_neg,
            ce,
            q,
            qg,
        } = self.parts(x, t);
        let one_t = one - t;
        let ce_dq = ce * self.dpow_gamma(q);
        // p − t and 1 − 2t, written so that neither loses digits for confident predictions.
        let p_minus_t = p * one_t - p_neg * t;
        let dsig = p * p_neg;
        // γ = 0: (1 − p_t)^0 is a constant, and PyTorch's pow backward gives it an exact zero
        // gradient, so an infinite ce (x = ±∞) does not turn the gradient into ∞·0 = NaN.
        let (mut dx, mut dt) = if self.gamma == 0.0 {
            (p_minus_t * qg, -x * qg)
        } else {
            (
                p_minus_t * qg + ce_dq * dsig * (one_t - t),
                -x * qg + ce_dq * (p_neg - p),
            )
        };
        if let Some(a) = self.alpha_t(t) {
            dx = a * dx;
            dt = a * dt + splat::<V>(2.0 * self.alpha - 1.0) * ce * qg;
        }
        [dx * g, dt * g, splat(0.0)]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::{forward, unit_grads};

    /// Float64 reference with the same accurate q, and its central-difference derivatives.
    fn reference(x: f64, t: f64, alpha: f64, gamma: f64) -> f64 {
        let sp = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
        let sig = |z: f64| {
            if z >= 0.0 {
                1.0 / (1.0 + (-z).exp())
            } else {
                z.exp() / (1.0 + z.exp())
            }
        };
        let ce = t * sp(-x) + (1.0 - t) * sp(x);
        let q = sig(x) * (1.0 - t) + sig(-x) * t;
        let a = if alpha >= 0.0 {
            alpha * t + (1.0 - alpha) * (1.0 - t)
        } else {
            1.0
        };
        a * ce * q.powf(gamma)
    }

    #[lossfn_test_macro::kernel_test]
    fn value_and_gradients_for_each_gamma_branch() {
        let xs = [2.5f64, -1.0, 0.3, -4.0, 12.0, -30.0];
        let ts = [1.0f64, 0.0, 0.4, 1.0, 0.0, 0.0];
        for &(alpha, gamma) in &[
            (0.25, 2.0),
            (0.75, 1.5),
            (-1.0, 0.0),
            (0.25, 1.0),
            (0.5, 0.5),
            (-1.0, 3.0),
        ] {
            let k = SigmoidFocalLoss { alpha, gamma };
            let mut out = [0.0; 6];
            forward(&k, &xs, &ts, None, Some(&mut out));
            let [gx, gt, _] = unit_grads(&k, &xs, &ts, None);
            for i in 0..6 {
                let (x, t) = (xs[i], ts[i]);
                let want = reference(x, t, alpha, gamma);
                assert!(
                    (out[i] - want).abs() <= 1e-14 * want.abs() + 1e-300,
                    "α={alpha} γ={gamma} x={x}: {} vs {want}",
                    out[i]
                );
                let h = 1e-6 * (1.0 + x.abs());
                let nx = (reference(x + h, t, alpha, gamma) - reference(x - h, t, alpha, gamma))
                    / (2.0 * h);
                // Second-order one-sided at t ∈ {0, 1}: beyond them q can turn negative (NaN for q^1.5).
                let f = |tt: f64| reference(x, tt, alpha, gamma);
                let h = if t >= 1.0 { -1e-5 } else { 1e-5 };
                let nt = if t > 0.0 && t < 1.0 {
                    (f(t + 1e-6) - f(t - 1e-6)) / 2e-6
                } else {
                    (-3.0 * f(t) + 4.0 * f(t + h) - f(t + 2.0 * h)) / (2.0 * h)
                };
                // atol covers the O(h²) truncation of the differences where the slope is ~0.
                assert!(
                    (gx[i] - nx).abs() <= 1e-6 * nx.abs() + 1e-9,
                    "∂x α={alpha} γ={gamma} x={x}: {} vs {nx}",
                    gx[i]
                );
                // (Skipped at x = −30, t = 0: there q ≈ e^−30 + t, so the loss bends on a scale of
                // 1e-13 in t and no finite difference can see the slope.)
                let skip = x.abs() > 20.0 && (t == 0.0 || t == 1.0);
                assert!(
                    skip || (gt[i] - nt).abs() <= 1e-6 * nt.abs() + 1e-7,
                    "∂t α={alpha} γ={gamma} x={x}: {} vs {nt}",
                    gt[i]
                );
            }
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn zero_power_and_exact_zero_q() {
        // |x| = 200 in f32 with the matching label: σ(−|x|) underflows, so q = 0 and ce = 0;
        // no 0·inf or ln 0 leaks out for any γ.
        let xs = [200.0f32, -200.0];
        let ts = [1.0f32, 0.0];
        for gamma in [0.0, 1.0, 1.5, 2.0, 3.0] {
            let k = SigmoidFocalLoss { alpha: 0.25, gamma };
            let mut out = [1f32; 2];
            forward(&k, &xs, &ts, None, Some(&mut out));
            assert_eq!(out, [0.0, 0.0], "γ = {gamma}");
            let [gx, _, _] = unit_grads(&k, &xs, &ts, None);
            assert_eq!(gx, [0.0, 0.0], "γ = {gamma}");
        }
        // q^0 = 1 even where q = 0: the value is ce itself (here ln 2 at x = 0, t = 0.5).
        let mut out = [0.0];
        forward(
            &SigmoidFocalLoss {
                alpha: -1.0,
                gamma: 0.0,
            },
            &[0.0],
            &[0.5],
            None,
            Some(&mut out),
        );
        assert!((out[0] - core::f64::consts::LN_2).abs() < 1e-16);
    }
}
