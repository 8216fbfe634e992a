//! `F.nll_loss` over rows of `C` log-probabilities (the TS layer moves the class dimension
//! last; `NLLLoss2d` is the same loss on (N, C, H, W)).
//!
//! Per row with target `y` and class weights `w` (ones when absent):
//! `l = −w_y·x_y`, 0 where `y == ignore_index`; the 'mean' denominator is `Σ w_y` over the
//! non-ignored rows (0/0 = NaN when every row is ignored, as PyTorch).
//! `∂x_c = −g·w_y·[c = y]` (0 for ignored rows).

use crate::class_rows::upstream_at;
use crate::driver::{Sum, Upstream};
use crate::simd::Element;

pub struct NllLoss<'a, E> {
    pub classes: usize,
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    pub ignore_index: i32,
}

impl<E: Element> NllLoss<'_, E> {
    fn weight_of(&self, y: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[y].to_f64())
    }

    /// Writes per-row losses into `out` when given; returns `(Σ l, mean denominator)`.
    /// `x` holds `ys.len()` rows; each index is `ignore_index` or in `0..C` (checked by the caller).
    pub fn forward(&self, x: &[E], ys: &[i32], mut out: Option<&mut [E]>) -> (f64, f64) {
        let c = self.classes;
        let (mut total, mut denom) = (Sum::default(), Sum::default());
        for (r, &y) in ys.iter().enumerate() {
            let l = if y == self.ignore_index {
                0.0
            } else {
                let wy = self.weight_of(y as usize);
                denom.add(wy);
                // An f64 product of two f32 values is exact: one rounding, at the store.
                -wy * x[r * c + y as usize].to_f64()
            };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        (total.value(), denom.value())
    }

    /// Writes `∂x` (`ys.len()` rows of C) into `gx` for upstream `g` (per row or scalar).
    pub fn backward(&self, ys: &[i32], g: &Upstream<'_, E>, gx: &mut [E]) {
        let c = self.classes;
        gx[..ys.len() * c].fill(E::default());
        for (r, &y) in ys.iter().enumerate() {
            if y != self.ignore_index {
                gx[r * c + y as usize] =
                    E::from_f64(-upstream_at(g, r) * self.weight_of(y as usize));
            }
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
        let x = [-1.0f32, -0.5, -2.0, -0.25, -1.5, -3.0];
        let w = [2.0f32, 3.0];
        let nll = NllLoss {
            classes: 2,
            weight: Some(&w[..]),
            ignore_index: -100,
        };
        let ys = [1, -100, 0];
        let (s, d) = nll.forward(&x, &ys, None);
        assert_eq!((s, d), (4.5, 5.0));
        let mut gx = [9.0f32; 6];
        nll.backward(&ys, &Upstream::Scalar(0.5), &mut gx);
        assert_eq!(gx, [0.0, -1.5, 0.0, 0.0, -1.0, 0.0]);
    }

    #[test]
    fn all_ignored_is_zero_over_zero() {
        let nll = NllLoss::<f64> {
            classes: 3,
            weight: None,
            ignore_index: -100,
        };
        let (s, d) = nll.forward(&[0.0; 6], &[-100, -100], None);
        assert!((s / d).is_nan());
    }
}
