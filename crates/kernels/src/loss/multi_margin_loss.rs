//! `F.multi_margin_loss` over rows of `C` scores with a class-index target per row.
//!
//! Per row with target `y`: `z_i = margin − x_y + x_i` (formed in f64),
//! `l = (1/C)·Σ_{i≠y, z_i > 0} w_y·z_i^p`, p ∈ {1, 2}; the class weight multiplies after the
//! power (ATen's `LossMultiMargin.cpp`; the docs draw it inside). The hinge is active only
//! for `z > 0` (no gradient at exactly 0, as ATen). The 'mean' denominator is the number of
//! rows (the 1/C is inside each row).
//! `∂x_i = g·w_y·(p = 1 ? 1 : 2·z_i)/C` for active `i ≠ y`, `∂x_y = −Σ_i ∂x_i`.
//! The hinge is not smooth: plain scalar loops.

use crate::driver::Sum;
use crate::row_driver::{add_at, sum_at, ClassWeights, Phase, Piece, RowGrad, RowLoss, State};
use crate::simd::Element;

pub struct MultiMarginLoss<'a, E> {
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    /// 1 or 2 (checked by the caller).
    pub p: u32,
    pub margin: f64,
}

impl<E: Element> MultiMarginLoss<'_, E> {
    fn weights(&self) -> ClassWeights<'_, E> {
        ClassWeights::new(self.weight)
    }

    /// `Σ_{i≠y, z_i > 0} f(z_i)` over the piece, `z_i = margin − x_y + x_i`.
    fn hinge_sum(&self, xy: f64, y: usize, piece: &Piece<'_, E>, f: impl Fn(f64) -> f64) -> f64 {
        let mut s = Sum::default();
        for (k, xi) in piece.x.iter().enumerate() {
            let z = self.margin - xy + xi.to_f64();
            if piece.start + k != y && z > 0.0 {
                s.add(f(z));
            }
        }
        s.value()
    }

    /// `d(l·C/w_y)/dz` at an active `z`.
    fn slope(&self, z: f64) -> f64 {
        if self.p == 1 {
            1.0
        } else {
            2.0 * z
        }
    }
}

/// Passes: 0 `x_y` (slot 0); 1 `Σ z^p` (forward) or `Σ` of the slopes (backward, the
/// target's gradient), slots 2–3.
impl<E: Element> RowLoss<E> for MultiMarginLoss<'_, E> {
    fn forward_passes(&self) -> usize {
        2
    }
    fn backward_passes(&self) -> usize {
        2
    }

    fn pass(
        &self,
        phase: Phase,
        pass: usize,
        st: &mut State,
        y: &[i32],
        piece: Piece<'_, E>,
        _: RowGrad<'_, E>,
    ) {
        let y = y[0] as usize;
        if pass == 0 {
            if let Some(xy) = piece.at(y) {
                st[0] = xy;
            }
            // w_y (slot 4), from the piece that holds the target.
            if let Some(wy) = self.weights().at(&piece, y) {
                st[4] = wy;
            }
            return;
        }
        let s = match phase {
            Phase::Forward => {
                self.hinge_sum(st[0], y, &piece, |z| if self.p == 1 { z } else { z * z })
            }
            Phase::Backward => self.hinge_sum(st[0], y, &piece, |z| self.slope(z)),
        };
        add_at(st, 2, s);
    }

    fn value(&self, st: &State, _: &[i32], width: usize, _: &mut [Sum]) -> (f64, f64) {
        (st[4] * sum_at(st, 2).value() / width as f64, 1.0)
    }

    fn grad(
        &self,
        st: &State,
        y: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
        let Some(gx) = gx else { return };
        let y = y[0] as usize;
        let k = g.scalar() * st[4] / piece.width as f64;
        for (i, (xi, o)) in piece.x.iter().zip(gx.iter_mut()).enumerate() {
            let z = self.margin - st[0] + xi.to_f64();
            let c = piece.start + i;
            *o = E::from_f64(if c == y {
                -k * sum_at(st, 2).value()
            } else if z > 0.0 {
                k * self.slope(z)
            } else {
                0.0
            });
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn weight_after_the_power() {
        // torch: F.multi_margin_loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]), p=2,
        //        weight=torch.tensor([1., 1., 1., 3.])) = 3·(0.3² + 0.4² + 0.6²)/4 ≈ 0.4575
        let x = [0.1f64, 0.2, 0.4, 0.8];
        let w = [1.0, 1.0, 1.0, 3.0];
        let mm = MultiMarginLoss {
            weight: Some(&w[..]),
            p: 2,
            margin: 1.0,
        };
        let (l, _) = run_forward(&mm, &x, 4, &[], &[3], 1, None, None);
        assert!((l - 3.0 * (0.09 + 0.16 + 0.36) / 4.0).abs() < 1e-15);
        let mut gx = [0.0; 4];
        run_backward(
            &mm,
            &x,
            4,
            &[],
            &[3],
            1,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        let want = [0.45, 0.6, 0.9, -1.95];
        for (a, b) in gx.iter().zip(want) {
            assert!((a - b).abs() < 1e-14, "{a} {b}");
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn hinge_at_zero_is_inactive() {
        let mm = MultiMarginLoss::<f32> {
            weight: None,
            p: 1,
            margin: 1.0,
        };
        let x = [1.0f32, 0.0];
        assert_eq!(run_forward(&mm, &x, 2, &[], &[0], 1, None, None).0, 0.0);
        let mut gx = [5.0f32; 2];
        run_backward(
            &mm,
            &x,
            2,
            &[],
            &[0],
            1,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        assert_eq!(gx, [0.0, 0.0]);
    }
}
