//! `F.nll_loss` (`NLLLoss2d` is the same loss on (N, C, H, W)) on the one log-probability
//! each row's loss reads: the TS layer gathers `x[r, y_r]` ("picked") instead of copying the
//! C-wide rows, and scatters the gradient back, so a call costs O(rows), not O(rows·C).
//!
//! Per row with target `y` and class weights `w` (ones when absent):
//! `l = −w_y·x_y`, 0 where `y == ignore_index`; the 'mean' denominator is `Σ w_y` over the
//! non-ignored rows (0/0 = NaN when every row is ignored, as PyTorch).
//! `∂x_y = −g·w_y` (0 for ignored rows); every other class's gradient is 0.

use crate::class_rows::upstream_at;
use crate::driver::{Sum, Upstream};
use crate::simd::Element;

pub struct NllLoss<'a, E> {
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    pub ignore_index: i32,
}

impl<E: Element> NllLoss<'_, E> {
    fn weight_of(&self, y: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[y].to_f64())
    }

    /// Writes per-row losses into `out` when given; returns `(Σ l, mean denominator)`.
    /// `picked[r]` is row r's log-probability at its target (unread where ignored); each
    /// index is `ignore_index` or in `0..C` (checked by the caller).
    pub fn forward(&self, picked: &[E], ys: &[i32], mut out: Option<&mut [E]>) -> (f64, f64) {
        let (mut total, mut denom) = (Sum::default(), Sum::default());
        for (r, &y) in ys.iter().enumerate() {
            let l = if y == self.ignore_index {
                0.0
            } else {
                let wy = self.weight_of(y as usize);
                denom.add(wy);
                // An f64 product of two f32 values is exact: one rounding, at the store.
                -wy * picked[r].to_f64()
            };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        (total.value(), denom.value())
    }

    /// Writes each row's `∂x_y` into `g_picked` (0 for ignored rows) for upstream `g` (per
    /// row or scalar).
    pub fn backward(&self, ys: &[i32], g: &Upstream<'_, E>, g_picked: &mut [E]) {
        for (r, &y) in ys.iter().enumerate() {
            g_picked[r] = if y == self.ignore_index {
                E::default()
            } else {
                E::from_f64(-upstream_at(g, r) * self.weight_of(y as usize))
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_mean_and_ignored_rows() {
        // torch: F.nll_loss(x.view(3, 2), torch.tensor([1, -100, 0]), weight=torch.tensor([2., 3.]))
        //        = (3·0.5 + 2·1.5) / (3 + 2) = 0.9
        // rows [-1, -0.5], [-2, -0.25], [-1.5, -3]: the picked x[r, y_r] (row 1 ignored).
        let picked = [-0.5f32, 7.0, -1.5];
        let w = [2.0f32, 3.0];
        let nll = NllLoss {
            weight: Some(&w[..]),
            ignore_index: -100,
        };
        let ys = [1, -100, 0];
        let (s, d) = nll.forward(&picked, &ys, None);
        assert_eq!((s, d), (4.5, 5.0));
        let mut gp = [9.0f32; 3];
        nll.backward(&ys, &Upstream::Scalar(0.5), &mut gp);
        assert_eq!(gp, [-1.5, 0.0, -1.0]);
    }

    #[test]
    fn all_ignored_is_zero_over_zero() {
        let nll = NllLoss::<f64> {
            weight: None,
            ignore_index: -100,
        };
        let (s, d) = nll.forward(&[0.0; 2], &[-100, -100], None);
        assert!((s / d).is_nan());
    }
}
