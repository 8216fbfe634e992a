//! `F.cross_entropy` over rows of `C` logits (the TS layer moves the class dimension last).
//!
//! Per row, with `lse = log Σ_c e^{x_c}` (max-shifted, [`crate::rows::log_sum_exp`]),
//! `p_c = e^{x_c − lse}` and class weights `w` (ones when absent):
//! - index target `y`, smoothing ε: `l = (1−ε)·w_y·(lse − x_y) + (ε/C)·Σ_c w_c·(lse − x_c)`,
//!   0 where `y == ignore_index`; the 'mean' denominator is `Σ w_y` over non-ignored rows.
//!   `∂x_c = g·[(1−ε)·w_y·(p_c − [c=y]) + (ε/C)·(W·p_c − w_c)]`, `W = Σ_c w_c`.
//! - probability target `q`: `q' = (1−ε)·q + ε/C`, `l = Σ_c w_c·q'_c·(lse − x_c)`; the 'mean'
//!   denominator is the number of rows. `∂x_c = g·(p_c·Σ_k w_k q'_k − w_c·q'_c)`,
//!   `∂q_c = g·(1−ε)·w_c·(lse − x_c)`.

use crate::driver::{self, Elementwise, Upstream};
use crate::rows::{gap, log_sum_exp, log_sum_exp_at, probs, softmax_grad_into, Lse, WeightedGap};
use crate::simd::{Element, Vector};

/// The target of a row batch.
pub enum Target<'a, E> {
    /// One class index per row (`ignore_index` allowed, others in `0..C`, checked by TS).
    Index(&'a [i32]),
    /// A probability row per row.
    Prob(&'a [E]),
}

pub struct CrossEntropy<'a, E> {
    pub classes: usize,
    /// Class weights (length C); all ones when the caller has none.
    pub weight: &'a [E],
    pub ignore_index: i32,
    pub label_smoothing: f64,
}

/// `q'·w` of a probability row: `w_c·((1−ε)·q_c + ε/C)`.
struct SmoothedWeighted {
    keep: f64,
    add: f64,
}
impl Elementwise for SmoothedWeighted {
    #[inline(always)]
    fn forward<V: Vector>(&self, q: V, w: V, _: V) -> V {
        w * (q * V::splat(V::Elem::from_f64(self.keep)) + V::splat(V::Elem::from_f64(self.add)))
    }
}

/// `w·(keep·q + add)·(lse − x)`, a probability row's loss terms.
struct SmoothedGap {
    lse: Lse,
    keep: f64,
    add: f64,
}
impl Elementwise for SmoothedGap {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, q: V, w: V) -> V {
        let s = |c: f64| V::splat(V::Elem::from_f64(c));
        w * (q * s(self.keep) + s(self.add)) * gap(x, self.lse)
    }
}

/// `alpha·e^(x − lse) − beta·w·(keep·q + add)`: the probability-target gradient.
struct SmoothedSoftmaxGrad {
    lse: Lse,
    alpha: f64,
    beta: f64,
    keep: f64,
    add: f64,
}
impl Elementwise for SmoothedSoftmaxGrad {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, q: V, w: V) -> V {
        let s = |c: f64| V::splat(V::Elem::from_f64(c));
        s(self.alpha) * probs(x, self.lse) - s(self.beta) * w * (q * s(self.keep) + s(self.add))
    }
}

impl<E: Element> CrossEntropy<'_, E> {
    fn weight_sum(&self) -> f64 {
        driver::sum(self.weight)
    }

    /// Writes per-row losses into `out` when given; returns `(Σ l, mean denominator)`.
    pub fn forward(
        &self,
        x: &[E],
        target: &Target<'_, E>,
        mut out: Option<&mut [E]>,
    ) -> (f64, f64) {
        let c = self.classes;
        let rows = x.len().checked_div(c).unwrap_or(0);
        let eps = self.label_smoothing;
        let (mut total, mut denom) = (driver::Sum::default(), driver::Sum::default());
        for r in 0..rows {
            let row = &x[r * c..(r + 1) * c];
            let l = match target {
                Target::Index(ys) => {
                    let y = ys[r];
                    if y == self.ignore_index {
                        0.0
                    } else {
                        let lse = log_sum_exp_at(row, y as usize);
                        let wy = self.weight[y as usize].to_f64();
                        denom.add(wy);
                        let nll = wy * lse.gap(row[y as usize].to_f64());
                        if eps > 0.0 {
                            let smooth =
                                driver::forward(&WeightedGap(lse), row, self.weight, None, None);
                            (1.0 - eps) * nll + eps / c as f64 * smooth
                        } else {
                            nll
                        }
                    }
                }
                Target::Prob(q) => {
                    let lse = log_sum_exp(row);
                    denom.add(1.0);
                    let qr = &q[r * c..(r + 1) * c];
                    let body = SmoothedGap {
                        lse,
                        keep: 1.0 - eps,
                        add: eps / c as f64,
                    };
                    driver::forward(&body, row, qr, Some(self.weight), None)
                }
            };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        (total.value(), denom.value())
    }

    /// Writes `∂x` (and `∂q` for probability targets) for upstream `g` (per row or scalar).
    pub fn backward(
        &self,
        x: &[E],
        target: &Target<'_, E>,
        g: &Upstream<'_, E>,
        mut gx: Option<&mut [E]>,
        mut gq: Option<&mut [E]>,
    ) {
        let c = self.classes;
        let rows = x.len().checked_div(c).unwrap_or(0);
        let eps = self.label_smoothing;
        let w_total = self.weight_sum();
        // One row of softmax numerators (class-index targets), reused row after row.
        let mut e = vec![
            E::default();
            if matches!(target, Target::Index(_)) {
                c
            } else {
                0
            }
        ];
        for r in 0..rows {
            let row = &x[r * c..(r + 1) * c];
            let gr = match g {
                Upstream::Scalar(s) => s.to_f64(),
                Upstream::PerElement(gs, k) => gs[r].to_f64() * k.to_f64(),
            };
            let range = r * c..(r + 1) * c;
            match target {
                Target::Index(ys) => {
                    let y = ys[r];
                    let Some(gx) = gx.as_deref_mut() else {
                        continue;
                    };
                    let out = &mut gx[range];
                    if y == self.ignore_index {
                        out.fill(E::default());
                        continue;
                    }
                    let yi = y as usize;
                    let wy = self.weight[yi].to_f64();
                    let k = eps / c as f64;
                    let (alpha, beta) = (gr * ((1.0 - eps) * wy + k * w_total), gr * k);
                    let lse = softmax_grad_into(row, yi, Some(self.weight), &mut e, out, |_| {
                        (alpha, beta)
                    });
                    // The target's own entry, α·p_y − β·w_y − g(1 − ε)·w_y, regrouped as
                    // g(1 − ε)·w_y·(p_y − 1) + g·k·(Σw·p_y − w_y) with p_y − 1 = expm1(−gap):
                    // for a confident row p_y − 1 is a difference of two numbers near 1,
                    // which would keep only its first digits (f64: 1e-6 relative at 3e-11).
                    let gap = lse.gap(row[yi].to_f64());
                    let py_m1 = (-gap).exp_m1();
                    out[yi] = E::from_f64(
                        gr * (1.0 - eps) * wy * py_m1 + gr * k * (w_total * (py_m1 + 1.0) - wy),
                    );
                }
                Target::Prob(q) => {
                    let lse = log_sum_exp(row);
                    let qr = &q[range.clone()];
                    let (keep, add) = (1.0 - eps, eps / c as f64);
                    if let Some(gx) = gx.as_deref_mut() {
                        // Σ_k w_k·q'_k, then ∂x = g·(p·Σ − w·q') in one pass over the row.
                        let s = driver::forward(
                            &SmoothedWeighted { keep, add },
                            qr,
                            self.weight,
                            None,
                            None,
                        );
                        let body = SmoothedSoftmaxGrad {
                            lse,
                            alpha: gr * s,
                            beta: gr,
                            keep,
                            add,
                        };
                        driver::forward(
                            &body,
                            row,
                            qr,
                            Some(self.weight),
                            Some(&mut gx[range.clone()]),
                        );
                    }
                    if let Some(gq) = gq.as_deref_mut() {
                        let body = WeightedGap(lse);
                        let out = &mut gq[range];
                        driver::forward(&body, row, self.weight, None, Some(&mut *out));
                        let scale = E::from_f64(gr * keep);
                        for o in out.iter_mut() {
                            *o = *o * scale;
                        }
                    }
                }
            }
        }
    }
}
