//! Keras `categorical_hinge` over rows of `C` scores (the last dimension) with a one-hot (or
//! any float) target row of the same shape.
//!
//! Per row: `pos = Σ_j t_j·x_j`, `neg = max_j (1 − t_j)·x_j`, `l = max(neg − pos + 1, 0)`.
//! Gradient where `neg − pos + 1 ≥ 0` (the outer max is `clamp(min=0)`, which passes the
//! gradient at 0), else 0; the `k` tied maxima of `neg` share it equally (`torch.amax`, TF's
//! `reduce_max`):
//! `∂x_j = g·((1 − t_j)·[j ∈ argmax]/k − t_j)`, `∂t_j = g·(−x_j·[j ∈ argmax]/k − x_j)`.
//! The products and sums are formed in f64 (exact products of f32 values), so ties are decided
//! on the exact values. The max is not smooth: plain scalar loops.

use crate::driver::Sum;
use crate::row_driver::{
    add_at, max_at, sum_at, Phase, Piece, RowGrad, RowLoss, State, STATE_SLOTS,
};
use crate::simd::Element;

pub struct CategoricalHinge;

impl CategoricalHinge {
    /// `neg − pos + 1` once pass 0 is done (slots: 0 `neg`, 2–3 `pos`).
    fn margin(st: &State) -> f64 {
        st[0] - sum_at(st, 2).value() + 1.0
    }

    fn is_max<E: Element>(st: &State, x: E, t: E) -> bool {
        (1.0 - t.to_f64()) * x.to_f64() == st[0]
    }
}

/// Passes: 0 `neg` (slot 0, NaN-propagating, as torch.amax) and `pos` (slots 2–3); backward
/// 1 the number of tied maxima (slot 4). Float target rows (the row's `t`); 1 per row in the
/// 'mean' denominator.
impl<E: Element> RowLoss<E> for CategoricalHinge {
    fn forward_passes(&self) -> usize {
        1
    }
    fn backward_passes(&self) -> usize {
        2
    }

    fn init(&self, st: &mut State) {
        *st = [0.0; STATE_SLOTS];
        st[0] = f64::NEG_INFINITY;
    }

    fn pass(
        &self,
        _: Phase,
        pass: usize,
        st: &mut State,
        _: &[i32],
        piece: Piece<'_, E>,
        _: RowGrad<'_, E>,
    ) {
        if pass == 0 {
            let mut pos = Sum::default();
            for (xj, tj) in piece.x.iter().zip(piece.t) {
                let (xj, tj) = (xj.to_f64(), tj.to_f64());
                pos.add(tj * xj);
                max_at(st, 0, (1.0 - tj) * xj);
            }
            add_at(st, 2, pos.value());
        } else {
            st[4] += piece
                .x
                .iter()
                .zip(piece.t)
                .filter(|&(&x, &t)| Self::is_max(st, x, t))
                .count() as f64;
        }
    }

    fn value(&self, st: &State, _: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        let m = Self::margin(st);
        // max(m, 0) with NaN propagating, as clamp.
        (if m.is_nan() { m } else { m.max(0.0) }, 1.0)
    }

    fn grad(
        &self,
        st: &State,
        _: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        gt: Option<&mut [E]>,
    ) {
        let gr = if Self::margin(st) >= 0.0 {
            g.scalar()
        } else {
            0.0
        };
        let ties = st[4].max(1.0);
        if let Some(gx) = gx {
            for ((o, &x), &t) in gx.iter_mut().zip(piece.x).zip(piece.t) {
                let tj = t.to_f64();
                let share = if Self::is_max(st, x, t) {
                    (1.0 - tj) / ties
                } else {
                    0.0
                };
                *o = E::from_f64(gr * (share - tj));
            }
        }
        if let Some(gt) = gt {
            for ((o, &x), &t) in gt.iter_mut().zip(piece.x).zip(piece.t) {
                let xj = x.to_f64();
                let share = if Self::is_max(st, x, t) {
                    -xj / ties
                } else {
                    0.0
                };
                *o = E::from_f64(gr * (share - xj));
            }
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn ties_share_the_gradient() {
        // Keras: categorical_hinge([[1,0,0,0]], [[1,3,3,0]]) = max(3 − 1 + 1, 0) = 3.
        let x = [1.0f32, 3.0, 3.0, 0.0];
        let t = [1.0f32, 0.0, 0.0, 0.0];
        assert_eq!(
            run_forward(&CategoricalHinge, &x, 4, &t, &[], 0, None, None).0,
            3.0
        );
        let mut gx = [0.0f32; 4];
        run_backward(
            &CategoricalHinge,
            &x,
            4,
            &t,
            &[],
            0,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        assert_eq!(gx, [-1.0, 0.5, 0.5, 0.0]);
    }

    #[lossfn_test_macro::kernel_test]
    fn inactive_rows_have_no_gradient() {
        let x = [5.0, -1.0, 0.0];
        let t = [1.0, 0.0, 0.0];
        assert_eq!(
            run_forward(&CategoricalHinge, &x, 3, &t, &[], 0, None, None).0,
            0.0
        );
        let mut gx = [1.0; 3];
        run_backward(
            &CategoricalHinge,
            &x,
            3,
            &t,
            &[],
            0,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        assert_eq!(gx, [0.0; 3]);
    }
}
