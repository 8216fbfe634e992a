//! `F.cross_entropy` over rows of `C` logits (the TS layer moves the class dimension last), a
//! [`RowLoss`].
//!
//! Per row, with `lse = log Σ_c e^{x_c}` (max-shifted, [`crate::rows`]), `p_c = e^{x_c − lse}`
//! and class weights `w` (ones when absent), `W = Σ_c w_c`:
//! - index target `y`, smoothing ε: `l = (1−ε)·w_y·(lse − x_y) + (ε/C)·Σ_c w_c·(lse − x_c)`;
//!   the 'mean' denominator is `w_y` per (non-ignored) row.
//!   `∂x_c = g·[(1−ε)·w_y·(p_c − [c=y]) + (ε/C)·(W·p_c − w_c)]`.
//! - probability target `q`: `q' = (1−ε)·q + ε/C`, `l = Σ_c w_c·q'_c·(lse − x_c)`; the 'mean'
//!   denominator is 1 per row. `∂x_c = g·(p_c·Σ_k w_k q'_k − w_c·q'_c)`,
//!   `∂q_c = g·(1−ε)·w_c·(lse − x_c)`.
//!
//! A row whose max is ±∞ or NaN has a NaN log-softmax everywhere, hence a NaN loss and
//! gradient, as PyTorch.
//!
//! Passes (state slots): 0 and 1 the row's log-sum-exp (slots 0–3, [`crate::rows::lse_max_pass`]:
//! the max, the target's logit or the max's first position, the exponential sum) and, backward
//! with probability targets, `Σ w·q'` (slots 4–5); 2 (forward, when needed) the smoothing or
//! probability-target sum (slots 4–5).

use crate::driver::{self, Elementwise, Sum};
use crate::row_driver::{
    add_at, sum_at, ClassWeights, Phase, Piece, RowGrad, RowLoss, State, BLOCK,
};
use crate::rows::{
    lse_max_pass, lse_of, lse_sum_pass, narrow_gaps, softmax_grad, softmax_grad_into, Lse, Skip,
    Sub, WeightedGap, NARROW_VECTORS,
};
use crate::simd::{Element, Vector};

pub struct CrossEntropy<'a, E> {
    /// Class weights (all C, or a streamed row's piece of them); none means all ones.
    pub weight: ClassWeights<'a, E>,
    pub label_smoothing: f64,
    /// Probability targets (the row's float operand) rather than one class index per row.
    pub prob: bool,
}

/// State slots beyond the log-sum-exp's (0–3) and the loss sum (4–5): `W` (6–7), `w_y` (8).
const W_TOTAL: usize = 6;
const W_Y: usize = 8;

impl<'a, E: Element> CrossEntropy<'a, E> {
    pub fn new(weight: Option<&'a [E]>, label_smoothing: f64, prob: bool) -> Self {
        CrossEntropy {
            weight: ClassWeights::new(weight),
            label_smoothing,
            prob,
        }
    }

    /// The class weights over a piece's range.
    fn weights(&self, piece: &Piece<'_, E>) -> Sub<'a, E> {
        self.weight.over(piece).map_or(Sub::One, Sub::Row)
    }

    /// `W = Σ_c w_c` (C without weights): from the weights when all are here, else (a streamed
    /// row) summed over its pieces in pass 0 (state slots 6–7).
    fn total(&self, st: &State, width: usize) -> f64 {
        self.weight
            .total(width)
            .unwrap_or_else(|| sum_at(st, W_TOTAL).value())
    }

    /// Which exponential the log-sum-exp leaves out: the target's (index) or the first max's.
    fn skip(&self, y: &[i32]) -> Skip {
        if self.prob {
            Skip::FirstMax
        } else {
            Skip::Target(y[0] as usize)
        }
    }

    /// `(1 − ε, ε/C)`: the weights of `q` and of the uniform distribution in `q'`.
    fn smoothing(&self, width: usize) -> (f64, f64) {
        (
            1.0 - self.label_smoothing,
            self.label_smoothing / width as f64,
        )
    }
}

/// `w·(keep·q + add)`: a probability row's `q'·w`.
struct SmoothedWeighted<const ROW: bool> {
    keep: f64,
    add: f64,
}
impl<const ROW: bool> Elementwise for SmoothedWeighted<ROW> {
    #[inline(always)]
    fn forward<V: Vector>(&self, q: V, w: V, _: V) -> V {
        let s = |c: f64| V::splat(V::Elem::from_f64(c));
        let qs = q * s(self.keep) + s(self.add);
        if ROW {
            w * qs
        } else {
            qs
        }
    }
}

/// `w·(keep·q + add)·(lse − x)`, a probability row's loss terms.
struct SmoothedGap<const ROW: bool> {
    lse: Lse,
    keep: f64,
    add: f64,
}
impl<const ROW: bool> Elementwise for SmoothedGap<ROW> {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, q: V, w: V) -> V {
        let s = |c: f64| V::splat(V::Elem::from_f64(c));
        let t = (q * s(self.keep) + s(self.add)) * crate::rows::gap(x, self.lse);
        if ROW {
            w * t
        } else {
            t
        }
    }
}

/// `alpha·e^(x − lse) − beta·w·(keep·q + add)`: the probability-target gradient.
struct SmoothedSoftmaxGrad<const ROW: bool> {
    lse: Lse,
    alpha: f64,
    beta: f64,
    keep: f64,
    add: f64,
}
impl<const ROW: bool> Elementwise for SmoothedSoftmaxGrad<ROW> {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, q: V, w: V) -> V {
        let s = |c: f64| V::splat(V::Elem::from_f64(c));
        let qs = q * s(self.keep) + s(self.add);
        let wq = if ROW { w * qs } else { qs };
        s(self.alpha) * crate::rows::probs(x, self.lse) - s(self.beta) * wq
    }
}

impl<E: Element> CrossEntropy<'_, E> {
    /// Runs `body` over the piece with the weights as its third operand (or not at all).
    fn run<B1: Elementwise, B0: Elementwise>(
        &self,
        piece: &Piece<'_, E>,
        with_w: B1,
        without: B0,
        out: Option<&mut [E]>,
    ) -> f64 {
        match self.weight.over(piece) {
            Some(w) => driver::forward(&with_w, piece.x, piece.t, Some(w), out),
            None => driver::forward(&without, piece.x, piece.t, None, out),
        }
    }

    /// Σ over the piece of `w·q'·(lse − x)` (probability targets) or `w·(lse − x)`.
    fn gap_sum(&self, lse: Lse, piece: &Piece<'_, E>) -> f64 {
        if self.prob {
            let (keep, add) = self.smoothing(piece.width);
            self.run(
                piece,
                SmoothedGap::<true> { lse, keep, add },
                SmoothedGap::<false> { lse, keep, add },
                None,
            )
        } else {
            match self.weight.over(piece) {
                Some(w) => driver::forward(&WeightedGap::<true>(lse), piece.x, w, None, None),
                None => driver::forward(&WeightedGap::<false>(lse), piece.x, piece.x, None, None),
            }
        }
    }

    /// Σ over the piece of `w·q'`.
    fn weighted_target_sum(&self, piece: &Piece<'_, E>) -> f64 {
        let (keep, add) = self.smoothing(piece.width);
        match self.weight.over(piece) {
            Some(w) => driver::forward(
                &SmoothedWeighted::<true> { keep, add },
                piece.t,
                w,
                None,
                None,
            ),
            None => driver::forward(
                &SmoothedWeighted::<false> { keep, add },
                piece.t,
                piece.t,
                None,
                None,
            ),
        }
    }

    /// The index target's own gradient entry, `α·p_y − β·w_y − g(1 − ε)·w_y`, regrouped as
    /// `g(1 − ε)·w_y·(p_y − 1) + g·k·(W·p_y − w_y)` with `p_y − 1 = expm1(−gap)`: for a
    /// confident row `p_y − 1` is a difference of two numbers near 1, which would keep only
    /// its first digits (f64: 1e-6 relative at 3e-11).
    fn target_grad(&self, lse: Lse, xy: f64, wy: f64, w_total: f64, g: f64, width: usize) -> f64 {
        let (keep, k) = self.smoothing(width);
        let py_m1 = (-lse.gap(xy)).exp_m1();
        g * keep * wy * py_m1 + g * k * (w_total * (py_m1 + 1.0) - wy)
    }

    /// `(α, β)` of the index-target gradient `α·p − β·w`.
    fn index_coefs(&self, wy: f64, w_total: f64, g: f64, width: usize) -> (f64, f64) {
        let (keep, k) = self.smoothing(width);
        (g * (keep * wy + k * w_total), g * k)
    }
}

impl<E: Element> RowLoss<E> for CrossEntropy<'_, E> {
    fn forward_passes(&self) -> usize {
        if self.prob || self.label_smoothing > 0.0 {
            3
        } else {
            2
        }
    }
    fn backward_passes(&self) -> usize {
        2
    }

    fn target_ok(&self, y: &[i32], width: usize) -> bool {
        self.prob || matches!(y, [c] if *c >= 0 && (*c as usize) < width)
    }

    fn index_range(&self, width: usize) -> Option<usize> {
        (!self.prob).then_some(width)
    }

    fn init(&self, st: &mut State) {
        *st = [0.0; crate::row_driver::STATE_SLOTS];
        st[0] = f64::NEG_INFINITY;
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
        match pass {
            0 => {
                lse_max_pass(st, 0, self.skip(y), &piece);
                if !self.prob {
                    if let Some(wy) = self.weight.at(&piece, y[0] as usize) {
                        st[W_Y] = wy;
                    }
                }
                if self.weight.total(piece.width).is_none() {
                    add_at(st, W_TOTAL, self.weight.piece_sum(&piece));
                }
            }
            1 => {
                lse_sum_pass(st, 0, self.skip(y), 1.0, &piece);
                if phase == Phase::Backward && self.prob {
                    add_at(st, 4, self.weighted_target_sum(&piece));
                }
            }
            _ => {
                // The smoothing (index) or probability-target sum; nothing without smoothing.
                if self.prob || self.label_smoothing > 0.0 {
                    let lse = lse_of::<E>(st, 0, self.skip(y), 1.0);
                    add_at(st, 4, self.gap_sum(lse, &piece));
                }
            }
        }
    }

    fn value(&self, st: &State, y: &[i32], width: usize, _: &mut [Sum]) -> (f64, f64) {
        let lse = lse_of::<E>(st, 0, self.skip(y), 1.0);
        if self.prob {
            return (sum_at(st, 4).value(), 1.0);
        }
        let wy = st[W_Y];
        let nll = wy * lse.gap(st[1]);
        let l = if self.label_smoothing > 0.0 {
            let (keep, k) = self.smoothing(width);
            keep * nll + k * sum_at(st, 4).value()
        } else {
            nll
        };
        (l, wy)
    }

    fn grad(
        &self,
        st: &State,
        y: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        gt: Option<&mut [E]>,
    ) {
        let g = g.scalar();
        let lse = lse_of::<E>(st, 0, self.skip(y), 1.0);
        if self.prob {
            let (keep, add) = self.smoothing(piece.width);
            if let Some(gx) = gx {
                let s = sum_at(st, 4).value();
                let (alpha, beta) = (g * s, g);
                self.run(
                    &piece,
                    SmoothedSoftmaxGrad::<true> {
                        lse,
                        alpha,
                        beta,
                        keep,
                        add,
                    },
                    SmoothedSoftmaxGrad::<false> {
                        lse,
                        alpha,
                        beta,
                        keep,
                        add,
                    },
                    Some(gx),
                );
            }
            if let Some(gt) = gt {
                match self.weight.over(&piece) {
                    Some(w) => {
                        driver::forward(&WeightedGap::<true>(lse), piece.x, w, None, Some(&mut *gt))
                    }
                    None => driver::forward(
                        &WeightedGap::<false>(lse),
                        piece.x,
                        piece.x,
                        None,
                        Some(&mut *gt),
                    ),
                };
                let scale = E::from_f64(g * keep);
                for o in gt.iter_mut() {
                    *o = *o * scale;
                }
            }
            return;
        }
        let Some(gx) = gx else { return };
        let yi = y[0] as usize;
        let (wy, w_total) = (st[W_Y], self.total(st, piece.width));
        let (alpha, beta) = self.index_coefs(wy, w_total, g, piece.width);
        softmax_grad(piece.x, self.weights(&piece), lse, alpha, beta, gx);
        if let Some(k) = yi.checked_sub(piece.start).filter(|&k| k < piece.x.len()) {
            gx[k] = E::from_f64(self.target_grad(lse, st[1], wy, w_total, g, piece.width));
        }
    }

    /// Class-index targets without smoothing, rows of a few vectors, all the weights at hand:
    /// [`narrow_gaps`] (the other cases need more than the gap per row).
    fn blocks(&self, width: usize) -> bool {
        !self.prob
            && self.label_smoothing == 0.0
            && self.weight.total(width).is_some()
            && width.div_ceil(E::V::LANES) <= NARROW_VECTORS
    }

    fn forward_block(
        &self,
        x: &[E],
        width: usize,
        y: &[i32; BLOCK],
        out: &mut [(f64, f64); BLOCK],
    ) -> bool {
        let mut gaps = [0.0; BLOCK];
        if !narrow_gaps(x, width, y, &mut gaps) {
            return false;
        }
        for ((o, &g), &c) in out.iter_mut().zip(&gaps).zip(y) {
            let wy = self.weight.of(c as usize);
            *o = (wy * g, wy);
        }
        true
    }

    /// In memory, the index-target gradient reuses the log-sum-exp pass's exponentials
    /// ([`softmax_grad_into`]): one exponential per element instead of two.
    fn backward_row(
        &self,
        y: &[i32],
        row: Piece<'_, E>,
        g: RowGrad<'_, E>,
        scratch: &mut [E],
        gx: Option<&mut [E]>,
        gt: Option<&mut [E]>,
    ) {
        if self.prob {
            let mut st = [0.0; crate::row_driver::STATE_SLOTS];
            self.init(&mut st);
            self.pass(Phase::Backward, 0, &mut st, y, row, g);
            self.pass(Phase::Backward, 1, &mut st, y, row, g);
            return self.grad(&st, y, row, g, gx, gt);
        }
        let Some(out) = gx else { return };
        // Rows staged whole: all the weights are here, and their total came with them.
        let yi = y[0] as usize;
        let (wy, w_total) = (
            self.weight.of(yi),
            self.weight.total(row.width).unwrap_or(f64::NAN),
        );
        let (alpha, beta) = self.index_coefs(wy, w_total, g.scalar(), row.width);
        let lse = softmax_grad_into(row.x, yi, self.weights(&row), scratch, out, |_| {
            (alpha, beta)
        });
        out[yi] = E::from_f64(self.target_grad(
            lse,
            row.x[yi].to_f64(),
            wy,
            w_total,
            g.scalar(),
            row.width,
        ));
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::row_driver::run_forward;

    fn rng(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64)
    }

    /// Rows that exercise the narrow path's cases: ordinary, confident with the target at the
    /// max (a tiny loss, log1p), confident against the target, ties at the max, −∞ entries,
    /// large logits (the max shift), and non-finite rows (declined blocks: NaN results).
    fn rows_for(width: usize, n: usize, seed: &mut u64, specials: bool) -> (Vec<f64>, Vec<i32>) {
        let mut x = Vec::with_capacity(n * width);
        let mut y = Vec::with_capacity(n);
        for r in 0..n {
            let t = (rng(seed) * width as f64) as usize;
            let mut row: Vec<f64> = (0..width).map(|_| 8.0 * rng(seed) - 4.0).collect();
            match r % 9 {
                1 => row[t] = 40.0,
                2 => row[(t + 1) % width] = 40.0,
                3 => row.iter_mut().for_each(|v| *v = 1.5),
                4 if width > 1 => row[(t + 1) % width] = f64::NEG_INFINITY,
                5 => row.iter_mut().for_each(|v| *v = *v * 1000.0 + 3e4),
                6 if specials => row[(t + 2) % width] = f64::NAN,
                7 if specials => row[(t + 2) % width] = f64::INFINITY,
                _ => {}
            }
            x.extend(row);
            y.push(if r % 11 == 10 { -100 } else { t as i32 });
        }
        (x, y)
    }

    /// The narrow path (blocks of rows) against the per-row passes, row by row ('none') and in
    /// the call's statistics, for every width around the vector multiples up to the narrow
    /// limit and past it, with and without class weights.
    fn blocks_match_rows<E: Element>(tol: f64) {
        let mut seed = 7u64;
        let max_width = (NARROW_VECTORS + 1) * E::V::LANES;
        for width in 1..=max_width {
            for weighted in [false, true] {
                let n = 4 * BLOCK + 3;
                let (x, y) = rows_for(width, n, &mut seed, true);
                let x: Vec<E> = x.iter().map(|&v| E::from_f64(v)).collect();
                let w: Vec<E> = (0..width)
                    .map(|c| E::from_f64(0.5 + c as f64 * 0.25))
                    .collect();
                let ce = CrossEntropy::new(weighted.then_some(&w[..]), 0.0, false);
                let ig = Some(-100);
                let mut out = vec![E::default(); n];
                let (l, d) = run_forward(&ce, &x, width, &[], &y, 1, ig, Some(&mut out));
                let (mut l1, mut d1) = (0.0, 0.0);
                for r in 0..n {
                    let row = &x[r * width..(r + 1) * width];
                    let mut o = [E::default()];
                    let (lr, dr) =
                        run_forward(&ce, row, width, &[], &y[r..=r], 1, ig, Some(&mut o));
                    let (a, b) = (out[r].to_f64(), o[0].to_f64());
                    let ok = (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * b.abs() + 1e-300;
                    assert!(ok, "width {width} weighted {weighted} row {r}: {a} vs {b}");
                    l1 += lr;
                    d1 += dr;
                }
                assert!(l.is_nan() && l1.is_nan(), "width {width}: {l} vs {l1}");
                assert!((d - d1).abs() <= 1e-12 * d1, "width {width}: {d} vs {d1}");
                // Without the non-finite rows, the sums agree too.
                let (x, y) = rows_for(width, n, &mut seed, false);
                let x: Vec<E> = x.iter().map(|&v| E::from_f64(v)).collect();
                let (l, _) = run_forward(&ce, &x, width, &[], &y, 1, ig, None);
                // (These blocks do take the narrow path, up to its width limit.)
                let clean: [i32; BLOCK] = core::array::from_fn(|k| y[k].max(0));
                let narrow = width.div_ceil(E::V::LANES) <= NARROW_VECTORS;
                assert_eq!(narrow_gaps(&x, width, &clean, &mut [0.0; BLOCK]), narrow);
                let l1: f64 = (0..n)
                    .map(|r| {
                        let row = &x[r * width..(r + 1) * width];
                        run_forward(&ce, row, width, &[], &y[r..=r], 1, ig, None).0
                    })
                    .sum();
                assert!((l - l1).abs() <= tol * l1, "width {width}: {l} vs {l1}");
            }
        }
    }

    /// The batch-wide target check ([`RowLoss::index_range`]) finds what the per-row one did:
    /// the first target neither ignored nor in `0..C`.
    #[lossfn_test_macro::kernel_test]
    fn bad_target_is_the_first_out_of_range() {
        let x = [0.0f32; 30];
        let rows = |y: &'static [i32], ignore_index| crate::row_driver::Rows {
            x: &x[..],
            width: 5,
            t: &[],
            y,
            y_width: 1,
            ignore_index,
        };
        let ce = CrossEntropy::<f32>::new(None, 0.0, false);
        let y: &[i32] = &[0, -100, 4, 5, -1, 7];
        assert_eq!(rows(y, Some(-100)).bad_target(&ce), Some(5));
        assert_eq!(rows(y, None).bad_target(&ce), Some(-100));
        assert_eq!(rows(&[0, 1, 2, 3, 4, -1], Some(-1)).bad_target(&ce), None);
        assert_eq!(
            rows(&[0, 1, 2, 3, 4, i32::MIN], None).bad_target(&ce),
            Some(i32::MIN)
        );
        // Probability targets have no index to check.
        let prob = CrossEntropy::<f32>::new(None, 0.0, true);
        assert_eq!(prob.index_range(5), None);
    }

    #[lossfn_test_macro::kernel_test]
    fn narrow_blocks_match_the_row_passes_f32() {
        blocks_match_rows::<f32>(4e-7);
    }

    #[lossfn_test_macro::kernel_test]
    fn narrow_blocks_match_the_row_passes_f64() {
        blocks_match_rows::<f64>(1e-14);
    }
}
