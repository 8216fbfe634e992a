//! `F.nll_loss` (`NLLLoss2d` is the same loss on (N, C, H, W)) on the one log-probability
//! each row's loss reads: the TS layer gathers `x[r, y_r]` ("picked") instead of copying the
//! C-wide rows, and scatters the gradient back, so a call costs O(rows), not O(rows·C). As a
//! [`RowLoss`], its rows are one element wide (the picked value); `classes` is the real C,
//! for the target check and the weights.
//!
//! Per row with target `y` and class weights `w` (ones when absent):
//! `l = −w_y·x_y`; the 'mean' denominator is `w_y` per non-ignored row (0/0 = NaN when every
//! row is ignored, as PyTorch). `∂x_y = −g·w_y`; every other class's gradient is 0.

use crate::driver::Sum;
use crate::row_driver::{Phase, Piece, RowGrad, RowLoss, State};
use crate::simd::Element;

pub struct NllLoss<'a, E> {
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    pub classes: usize,
}

impl<E: Element> NllLoss<'_, E> {
    fn weight_of(&self, y: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[y].to_f64())
    }
}

impl<E: Element> RowLoss<E> for NllLoss<'_, E> {
    fn forward_passes(&self) -> usize {
        1
    }
    fn backward_passes(&self) -> usize {
        0
    }

    fn target_ok(&self, y: &[i32], _: usize) -> bool {
        matches!(y, [c] if *c >= 0 && (*c as usize) < self.classes)
    }

    fn pass(
        &self,
        _: Phase,
        _: usize,
        st: &mut State,
        _: &[i32],
        piece: Piece<'_, E>,
        _: RowGrad<'_, E>,
    ) {
        st[0] = piece.x[0].to_f64();
    }

    fn value(&self, st: &State, y: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        let wy = self.weight_of(y[0] as usize);
        // An f64 product of two f32 values is exact: one rounding, at the store.
        (-wy * st[0], wy)
    }

    fn grad(
        &self,
        _: &State,
        y: &[i32],
        _: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
        if let Some(gx) = gx {
            gx[0] = E::from_f64(-g.scalar() * self.weight_of(y[0] as usize));
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn weighted_mean_and_ignored_rows() {
        // torch: F.nll_loss(x.view(3, 2), torch.tensor([1, -100, 0]), weight=torch.tensor([2., 3.]))
        //        = (3·0.5 + 2·1.5) / (3 + 2) = 0.9
        // rows [-1, -0.5], [-2, -0.25], [-1.5, -3]: the picked x[r, y_r] (row 1 ignored).
        let picked = [-0.5f32, 7.0, -1.5];
        let w = [2.0f32, 3.0];
        let nll = NllLoss {
            weight: Some(&w[..]),
            classes: 2,
        };
        let ys = [1, -100, 0];
        let (s, d) = run_forward(&nll, &picked, 1, &[], &ys, 1, Some(-100), None);
        assert_eq!((s, d), (4.5, 5.0));
        let mut gp = [9.0f32; 3];
        run_backward(
            &nll,
            &picked,
            1,
            &[],
            &ys,
            1,
            Some(-100),
            &Upstream::Scalar(0.5),
            Some(&mut gp),
            None,
        );
        assert_eq!(gp, [-1.5, 0.0, -1.0]);
    }

    #[lossfn_test_macro::kernel_test]
    fn all_ignored_is_zero_over_zero() {
        let nll = NllLoss::<f64> {
            weight: None,
            classes: 2,
        };
        let (s, d) = run_forward(&nll, &[0.0; 2], 1, &[], &[-100, -100], 1, Some(-100), None);
        assert!((s / d).is_nan());
    }
}
