//! Balanced L1 (Libra R-CNN, Pang et al. 2019) with mmdetection's `balanced_l1_loss`
//! semantics (mmdet/models/losses/balanced_l1_loss.py), elementwise on `d = |x − t|`:
//! `b = e^{γ/α} − 1`;
//! `d < β`: `(α/b)·(b·d + 1)·ln(b·d/β + 1) − α·d`; else `γ·d + γ/b − α·β`.
//! The logarithm is `log1p(b·d/β)` (mmdetection's `log(… + 1)` loses the digits of small `d`).
//! `∂l/∂x = sign(x − t)·(α·ln(b·d/β + 1) + α·(1 − β)/(b·d + β))` below β, `γ·sign(x − t)` above;
//! `∂l/∂t = −∂l/∂x`. α, γ, β > 0 (checked by the caller).

use super::splat;
use crate::boxes::sign;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::math::log1p;
use crate::simd::Vector;

pub struct BalancedL1Loss {
    pub alpha: f64,
    pub gamma: f64,
    pub beta: f64,
    /// `e^{γ/α} − 1`.
    pub b: f64,
}

impl BalancedL1Loss {
    pub fn new(alpha: f64, gamma: f64, beta: f64) -> Self {
        BalancedL1Loss {
            alpha,
            gamma,
            beta,
            b: (gamma / alpha).exp() - 1.0,
        }
    }
}

impl Elementwise for BalancedL1Loss {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let d = (x - t).abs();
        let bd = splat::<V>(self.b) * d;
        let small = (splat::<V>(self.alpha / self.b) * (bd + splat(1.0)))
            * log1p(bd / splat(self.beta))
            - splat::<V>(self.alpha) * d;
        let large = (splat::<V>(self.gamma) * d + splat(self.gamma / self.b))
            - splat(self.alpha * self.beta);
        V::select(d.lt(splat(self.beta)), small, large)
    }
}

impl ElementwiseGrad for BalancedL1Loss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let e = x - t;
        let d = e.abs();
        let bd = splat::<V>(self.b) * d;
        let alpha = splat::<V>(self.alpha);
        let small = alpha * log1p(bd / splat(self.beta))
            + alpha * splat(1.0 - self.beta) / (bd + splat(self.beta));
        let slope = V::select(d.lt(splat(self.beta)), small, splat(self.gamma));
        // NaN in gives a NaN gradient, as autograd's (through the branch torch.where leaves out).
        let dx = V::select(e.is_nan(), e, g * slope * sign(e));
        [dx, -dx, splat(0.0)]
    }
}
