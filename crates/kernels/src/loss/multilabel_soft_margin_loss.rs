//! `F.multilabel_soft_margin_loss`, per element: l = −[t·logσ(x) + (1 − t)·logσ(−x)]
//! = t·softplus(−x) + (1 − t)·softplus(x) (the pos_weight-free BCE with logits, same stable
//! evaluation). The class weight is the driver's `weight`; the 1/C of PyTorch's per-sample
//! mean, the per-sample sums ('none') and the mean over samples are the TS layer's.
//! ∂x = (1 − t)·σ(x) − t·σ(−x) (= σ(x) − t); ∂t = −x (as autograd through PyTorch's formula).

use super::binary_cross_entropy_with_logits::{sigmoid_pair, softplus_pair};
use super::splat;
use crate::driver::{Elementwise, ElementwiseGrad};
use crate::simd::Vector;

pub struct MultilabelSoftMarginLoss;

impl Elementwise for MultilabelSoftMarginLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let (sp_pos, sp_neg) = softplus_pair(x);
        t * sp_neg + (splat::<V>(1.0) - t) * sp_pos
    }
}

impl ElementwiseGrad for MultilabelSoftMarginLoss {
    #[inline(always)]
    fn backward<V: Vector>(&self, x: V, t: V, _: V, g: V) -> [V; 3] {
        let (s_pos, s_neg) = sigmoid_pair(x);
        let dx = (splat::<V>(1.0) - t) * s_pos - t * s_neg;
        [dx * g, -x * g, splat(0.0)]
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::forward;

    #[lossfn_test_macro::kernel_test]
    fn stable_for_huge_logits() {
        let xs = [300.0f32, -300.0, 1e4, -1e4, 5.0];
        let ts = [0.0f32, 1.0, 0.0, 1.0, 0.5];
        let mut out = [0f32; 5];
        forward(&MultilabelSoftMarginLoss, &xs, &ts, None, Some(&mut out));
        assert_eq!(out[..4], [300.0, 300.0, 1e4, 1e4]);
        let want = 0.5 * 5.0 + (-5f64).exp().ln_1p();
        assert!(((out[4] as f64) - want).abs() < 3e-7 * want);
    }
}
