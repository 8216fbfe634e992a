//! `F.multilabel_margin_loss` over rows of `C` scores, each with a row of `C` target entries:
//! class indices read left to right up to the first negative entry (−1; the rest is ignored).
//!
//! With `T` the set of listed classes: `l = (1/C)·Σ_{j in the list} Σ_{i ∉ T} max(0, z_ji)`,
//! `z_ji = 1 − x_{y_j} + x_i` (formed in f64); a class listed twice counts twice (ATen's
//! `LossMultiLabelMargin.cpp`). The hinge is active only for `z > 0`. The 'mean' denominator
//! is the number of rows. `∂x_i = +g/C` and `∂x_{y_j} = −g/C` per active pair.
//! Plain scalar loops: the hinge is not smooth and the pairs are data-dependent. Rows are
//! processed whole (O(C) working memory per row: its target marks and gradient sums).

use crate::driver::Sum;
use crate::row_driver::{Phase, Piece, RowGrad, RowLoss, State};
use crate::simd::Element;

pub struct MultilabelMarginLoss;

impl MultilabelMarginLoss {
    /// Calls `f(y_j, i, z)` for every active pair (`z > 0`) of one row; `is_target` is one
    /// row of scratch.
    fn pairs<E: Element>(
        row: &[E],
        targets: &[i32],
        is_target: &mut [bool],
        mut f: impl FnMut(usize, usize, f64),
    ) {
        is_target.fill(false);
        let n = targets.iter().position(|&y| y < 0).unwrap_or(targets.len());
        for &y in &targets[..n] {
            is_target[y as usize] = true;
        }
        for &y in &targets[..n] {
            let xy = row[y as usize].to_f64();
            for (i, xi) in row.iter().enumerate() {
                let z = 1.0 - xy + xi.to_f64();
                if !is_target[i] && z > 0.0 {
                    f(y as usize, i, z);
                }
            }
        }
    }
}

/// Whole rows only ([`RowLoss::streams`] is false): a row's target list spans the row, and
/// every listed class meets every other class. 1 per row in the 'mean' denominator.
impl<E: Element> RowLoss<E> for MultilabelMarginLoss {
    fn streams(&self) -> bool {
        false
    }

    fn forward_passes(&self) -> usize {
        0
    }
    fn backward_passes(&self) -> usize {
        0
    }

    /// Every entry is a class in `0..C` or −1 (as ATen checks the whole target; entries after
    /// a row's first −1 are not read).
    fn target_ok(&self, y: &[i32], width: usize) -> bool {
        y.iter()
            .all(|&c| c == -1 || (c >= 0 && (c as usize) < width))
    }

    fn pass(
        &self,
        _: Phase,
        _: usize,
        _: &mut State,
        _: &[i32],
        _: Piece<'_, E>,
        _: RowGrad<'_, E>,
    ) {
    }

    /// Not used: [`RowLoss::forward_row`] computes whole rows.
    fn value(&self, _: &State, _: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        (f64::NAN, 1.0)
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

    fn forward_row(&self, y: &[i32], row: Piece<'_, E>, _: &mut [Sum]) -> (f64, f64) {
        let mut is_target = vec![false; row.width];
        let mut s = Sum::default();
        Self::pairs(row.x, y, &mut is_target, |_, _, z| s.add(z));
        (s.value() / row.width as f64, 1.0)
    }

    fn backward_row(
        &self,
        y: &[i32],
        row: Piece<'_, E>,
        g: RowGrad<'_, E>,
        _: &mut [E],
        gx: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
        let Some(gx) = gx else { return };
        let k = g.scalar() / row.width as f64;
        let mut is_target = vec![false; row.width];
        let mut acc = vec![0.0f64; row.width];
        Self::pairs(row.x, y, &mut is_target, |yj, i, _| {
            acc[yj] -= k;
            acc[i] += k;
        });
        for (o, a) in gx.iter_mut().zip(&acc) {
            *o = E::from_f64(*a);
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    #[lossfn_test_macro::kernel_test]
    fn pytorch_docs_example() {
        // torch docs: x = [[0.1, 0.2, 0.4, 0.8]], y = [[3, 0, -1, 1]] → 0.85
        let x = [0.1f32, 0.2, 0.4, 0.8];
        let y = [3, 0, -1, 1];
        let m = MultilabelMarginLoss;
        assert!((run_forward(&m, &x, 4, &[], &y, 4, None, None).0 - 0.85).abs() < 1e-7);
        let mut gx = [0.0f32; 4];
        run_backward(
            &m,
            &x,
            4,
            &[],
            &y,
            4,
            None,
            &Upstream::Scalar(1.0),
            Some(&mut gx),
            None,
        );
        // Pairs (3,1), (3,2), (0,1), (0,2): all active.
        assert_eq!(gx, [-0.5, 0.5, 0.5, -0.5]);
    }

    #[lossfn_test_macro::kernel_test]
    fn duplicates_count_twice() {
        let m = MultilabelMarginLoss;
        let x = [0.0f64, 0.0];
        assert_eq!(run_forward(&m, &x, 2, &[], &[0, -1], 2, None, None).0, 0.5);
        assert_eq!(run_forward(&m, &x, 2, &[], &[0, 0], 2, None, None).0, 1.0);
    }
}
