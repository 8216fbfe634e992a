//! `sklearn.metrics.zero_one_loss` over rows of `C` scores with a class-index target per row:
//! the prediction is the row's argmax, the **first** maximum on ties (`numpy.argmax`; a NaN
//! counts as the maximum, the first NaN wins, as numpy), and `l = [argmax ≠ y]`.
//! Not differentiable (piecewise constant): there is no backward.
//! The argmax is a data-dependent scan: a plain scalar loop.

use crate::simd::Element;

use crate::driver::Sum;
use crate::row_driver::{Phase, Piece, RowGrad, RowLoss, State, STATE_SLOTS};

/// Index of the first maximum of `row` (of the first NaN, if any); 0 for an empty row.
pub fn argmax<E: Element>(row: &[E]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        let v = v.to_f64();
        if v.is_nan() {
            return i;
        }
        if v > row[best].to_f64() {
            best = i;
        }
    }
    best
}

pub struct ZeroOneLoss;

/// One pass: the running first maximum (slot 0 its value, −∞ to start; slot 1 its class;
/// slot 2 set once a NaN has won). 1 per row in the 'mean' denominator.
impl<E: Element> RowLoss<E> for ZeroOneLoss {
    fn forward_passes(&self) -> usize {
        1
    }
    fn backward_passes(&self) -> usize {
        0
    }

    /// Any target: one outside `0..C` is never predicted.
    fn target_ok(&self, _: &[i32], _: usize) -> bool {
        true
    }

    fn init(&self, st: &mut State) {
        *st = [0.0; STATE_SLOTS];
        st[0] = f64::NEG_INFINITY;
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
        if st[2] != 0.0 || piece.x.is_empty() {
            return;
        }
        let k = argmax(piece.x);
        let v = piece.x[k].to_f64();
        if v.is_nan() {
            (st[1], st[2]) = ((piece.start + k) as f64, 1.0);
        } else if v > st[0] || piece.start == 0 {
            (st[0], st[1]) = (v, (piece.start + k) as f64);
        }
    }

    fn value(&self, st: &State, y: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        let miss = y[0] < 0 || st[1] != y[0] as f64;
        (if miss { 1.0 } else { 0.0 }, 1.0)
    }

    fn grad(
        &self,
        _: &State,
        _: &[i32],
        _: Piece<'_, E>,
        _: RowGrad<'_, E>,
        _: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::row_driver::run_forward;

    #[lossfn_test_macro::kernel_test]
    fn first_maximum_wins() {
        assert_eq!(argmax(&[1.0f32, 3.0, 3.0, 0.0]), 1);
        assert_eq!(argmax(&[2.0f64; 4]), 0);
        assert_eq!(argmax(&[0.0f64, f64::NAN, 5.0, f64::NAN]), 1);
        let mut out = [9.0f32; 3];
        let x = [1.0f32, 1.0, 0.0, 1.0, 2.0, 0.0];
        assert_eq!(
            run_forward(
                &ZeroOneLoss,
                &x,
                2,
                &[],
                &[1, 1, 0],
                1,
                None,
                Some(&mut out)
            )
            .0,
            1.0
        );
        assert_eq!(out, [1.0, 0.0, 0.0]);
    }
}
