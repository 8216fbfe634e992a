//! `F.multilabel_margin_loss` over rows of `C` scores, each with a row of `C` target entries:
//! class indices read left to right up to the first negative entry (−1; the rest is ignored).
//!
//! With `T` the set of listed classes: `l = (1/C)·Σ_{j in the list} Σ_{i ∉ T} max(0, z_ji)`,
//! `z_ji = 1 − x_{y_j} + x_i` (formed in f64); a class listed twice counts twice (ATen's
//! `LossMultiLabelMargin.cpp`). The hinge is active only for `z > 0`. The 'mean' denominator
//! is the number of rows. `∂x_i = +g/C` and `∂x_{y_j} = −g/C` per active pair.
//! Plain scalar loops: the hinge is not smooth and the pairs are data-dependent.

use crate::class_rows::upstream_at;
use crate::driver::{Sum, Upstream};
use crate::simd::Element;

pub struct MultilabelMarginLoss {
    pub classes: usize,
}

impl MultilabelMarginLoss {
    fn rows<E>(&self, x: &[E]) -> usize {
        x.len().checked_div(self.classes).unwrap_or(0)
    }

    /// Marks the listed classes of `targets` in `is_target`; returns the list's length.
    fn mark(targets: &[i32], is_target: &mut [bool]) -> usize {
        is_target.fill(false);
        let n = targets.iter().position(|&y| y < 0).unwrap_or(targets.len());
        for &y in &targets[..n] {
            is_target[y as usize] = true;
        }
        n
    }

    /// Calls `f(y_j, i, z)` for every active pair (`z > 0`) of one row.
    fn pairs<E: Element>(
        row: &[E],
        targets: &[i32],
        is_target: &mut [bool],
        mut f: impl FnMut(usize, usize, f64),
    ) {
        let n = Self::mark(targets, is_target);
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

    /// Writes per-row losses into `out` when given; returns `Σ l`. `targets` has `x`'s length;
    /// every entry up to each row's first negative one is in `0..C` (checked by the caller).
    pub fn forward<E: Element>(&self, x: &[E], targets: &[i32], mut out: Option<&mut [E]>) -> f64 {
        let c = self.classes;
        let mut is_target = vec![false; c];
        let mut total = Sum::default();
        for r in 0..self.rows(x) {
            let range = r * c..(r + 1) * c;
            let mut s = Sum::default();
            Self::pairs(
                &x[range.clone()],
                &targets[range],
                &mut is_target,
                |_, _, z| s.add(z),
            );
            let l = s.value() / c as f64;
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂x` into `gx` for upstream `g` (per row or scalar).
    pub fn backward<E: Element>(
        &self,
        x: &[E],
        targets: &[i32],
        g: &Upstream<'_, E>,
        gx: &mut [E],
    ) {
        let c = self.classes;
        let mut is_target = vec![false; c];
        let mut acc = vec![0.0f64; c];
        for r in 0..self.rows(x) {
            let range = r * c..(r + 1) * c;
            let k = upstream_at(g, r) / c as f64;
            acc.fill(0.0);
            Self::pairs(
                &x[range.clone()],
                &targets[range.clone()],
                &mut is_target,
                |y, i, _| {
                    acc[y] -= k;
                    acc[i] += k;
                },
            );
            for (o, a) in gx[range].iter_mut().zip(&acc) {
                *o = E::from_f64(*a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_docs_example() {
        // torch docs: x = [[0.1, 0.2, 0.4, 0.8]], y = [[3, 0, -1, 1]] → 0.85
        let x = [0.1f32, 0.2, 0.4, 0.8];
        let y = [3, 0, -1, 1];
        let m = MultilabelMarginLoss { classes: 4 };
        assert!((m.forward(&x, &y, None) - 0.85).abs() < 1e-7);
        let mut gx = [0.0f32; 4];
        m.backward(&x, &y, &Upstream::Scalar(1.0), &mut gx);
        // Pairs (3,1), (3,2), (0,1), (0,2): all active.
        assert_eq!(gx, [-0.5, 0.5, 0.5, -0.5]);
    }

    #[test]
    fn duplicates_count_twice() {
        let m = MultilabelMarginLoss { classes: 2 };
        let x = [0.0f64, 0.0];
        assert_eq!(m.forward(&x, &[0, -1], None), 0.5);
        assert_eq!(m.forward(&x, &[0, 0], None), 1.0);
    }
}
