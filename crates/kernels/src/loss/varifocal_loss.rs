//! Varifocal loss (VarifocalNet, Zhang et al. 2021) with mmdetection's `varifocal_loss`
//! semantics (mmdet/models/losses/varifocal_loss.py), elementwise on logits `x` and IoU-aware
//! targets `t`: `l = BCEWithLogits(x, t)·w`,
//! `w = t·[t > 0] + α·|σ(x) − t|^γ·[t ≤ 0]` (`iou_weighted`), or `[t > 0] + α·|σ(x) − t|^γ·[t ≤ 0]`.
//! The masks multiply (as mmdetection's `.float()` factors), so a NaN target gives NaN.
//! The focal weight is not detached: `∂l/∂x = (σ − t)·w + BCE·α·γ·|σ − t|^{γ−1}·sign(σ − t)·σ(1 − σ)·[t ≤ 0]`.
//! No target gradient (the caller refuses targets that require grad).

use super::binary_cross_entropy_with_logits::sigmoid_pair_from;
use super::splat;
use crate::boxes::sign;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::{exp, ln, log1p_unit};
use crate::simd::Vector;

/// `(softplus(x), softplus(−x), σ(x), σ(−x))` from one `e^{−|x|}` (the BCE-with-logits forms).
#[inline(always)]
fn logistic<V: Vector>(x: V) -> (V, V, V, V) {
    let e = exp(-x.abs());
    let l = log1p_unit(e);
    let zero = splat::<V>(0.0);
    let (s_pos, s_neg) = sigmoid_pair_from(x, e);
    (x.pmax(zero) + l, (-x).pmax(zero) + l, s_pos, s_neg)
}

pub struct VarifocalLoss {
    pub alpha: f64,
    /// ≥ 0.
    pub gamma: f64,
    pub iou_weighted: bool,
}

/// `a^γ` and its derivative `γ·a^{γ−1}` for `a = |d| ≥ 0`, as torch's `pow` and its
/// backward, as `e^{γ·ln a}` with `ln a` floored at −1e30, so that `0^0 = 1`, `0^γ = 0` for
/// γ > 0, the slope at `a = 0` is 1 for γ = 1, 0 for γ > 1 and inf for γ < 1 (torch's), and
/// the slope is 0 for γ = 0 (torch's pow backward). One form for every γ (no per-γ copies of
/// the loop in the module); relative error ≈ γ·|ln a|·ε (f32: 2.4e-6 at γ = 2, |ln a| = 20).
#[inline(always)]
pub(crate) fn pow_and_slope<V: Vector>(a: V, gamma: f64) -> (V, V) {
    let g = splat::<V>(gamma);
    let l = ln(a).max(splat(-1e30));
    let slope = g * exp(splat::<V>(gamma - 1.0) * l);
    (exp(g * l), V::select(g.eq(splat(0.0)), splat(0.0), slope))
}

impl VarifocalLoss {
    /// `(BCE, w, pos mask as 0/1, neg mask as 0/1, σ(x), σ(−x))`.
    #[inline(always)]
    fn parts<V: Vector>(&self, x: V, t: V) -> (V, V, V, V, V, V) {
        let (zero, one) = (splat::<V>(0.0), splat::<V>(1.0));
        let (sp_pos, sp_neg, s_pos, s_neg) = logistic(x);
        let bce = t * sp_neg + (one - t) * sp_pos;
        let pos = V::select(t.gt(zero), one, zero);
        let neg = V::select(t.le(zero), one, zero);
        let (p, _) = pow_and_slope((s_pos - t).abs(), self.gamma);
        let base = if self.iou_weighted { t * pos } else { pos };
        (
            bce,
            base + (splat::<V>(self.alpha) * p) * neg,
            pos,
            neg,
            s_pos,
            s_neg,
        )
    }
}

impl Elementwise for VarifocalLoss {
    // Long bodies (exp, ln, log1p, a division): two copies would only grow the module.
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let (bce, w, ..) = self.parts(x, t);
        bce * w
    }
}

impl ElementwiseGrad for VarifocalLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let (bce, w, _, neg, s_pos, s_neg) = self.parts(x, t);
        let one = splat::<V>(1.0);
        let d = s_pos - t;
        let (_, slope) = pow_and_slope(d.abs(), self.gamma);
        let d_bce = (one - t) * s_pos - t * s_neg;
        let d_w = (((neg * splat(self.alpha)) * slope) * sign(d)) * (s_pos * s_neg);
        let dx = g * (d_bce * w + bce * d_w);
        [dx, splat(0.0), splat(0.0)]
    }
}
