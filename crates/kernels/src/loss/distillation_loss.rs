//! Knowledge-distillation loss (Hinton et al. 2015) over rows of `C` logits: student `s` and
//! teacher `t` (the TS layer moves the class dimension last).
//!
//! With temperature `T`, `log p = log_softmax(t/T)`, `log q = log_softmax(s/T)`, each element
//! is `e_c = T²·p_c·(log p_c − log q_c)` — the PyTorch idiom
//! `kl_div(log_softmax(s/T), softmax(t/T), reduction='none')·T²`. A teacher probability that
//! underflows to 0 contributes 0; a teacher logit of −∞ gives NaN (0·∞), as PyTorch.
//!
//! Everything runs in the element type (PyTorch's float32 speed class) yet keeps the
//! difference `d_c = log p_c − log q_c` well conditioned: it is formed as
//! `(t_c − s_c)/T − [(shift_t − shift_s) + (log_sum_t − log_sum_s)]`, the bracket one f64
//! constant per row, so a student close to its teacher loses no digits to two nearly equal
//! log-probabilities (and identical rows give exactly 0).
//!
//! Gradients for upstream `g_c` (per element, or one scalar), `S1 = Σ_c g_c·p_c`,
//! `S2 = Σ_c g_c·p_c·(d_c + 1)`:
//! - student: `∂s_j = −T·(g_j·p_j − q_j·S1) = −T·p_j·((g_j − S1) − S1·expm1(−d_j))`, the second
//!   form free of the cancellation of `p_j − q_j` (`q_j = p_j·e^(−d_j)`);
//! - teacher: `∂t_j = T·p_j·(g_j·(d_j + 1) − S2)`.
//!
//! For a scalar `g`, `Σ p = 1` exactly gives `S1 = g` and `S2 = g·(K + 1)`, `K = Σ p·d`.

use crate::driver::{self, Elementwise, Sum};
use crate::math::{exp_ftz_nonpos, expm1};
use crate::row_driver::{add_at, sum_at, Phase, Piece, RowGrad, RowLoss, State, STATE_SLOTS};
use crate::rows::{lse_max_pass, lse_of, lse_sum_pass, Lse, Skip};
use crate::simd::{Element, Vector};

#[inline(always)]
fn k<V: Vector>(c: f64) -> V {
    crate::simd::constant(c)
}

/// One row pair's constants: `p = e^((t/T − shift_t) − log_sum_t)`, `d = (t − s)/T − bracket`
/// (and `q` likewise from `s`).
#[derive(Clone, Copy)]
struct Row {
    inv: f64,
    lt: Lse,
    ls: Lse,
    bracket: f64,
}
impl Row {
    /// From the state after the two log-sum-exp passes (teacher slots 0–3, student 4–7).
    fn from_state<E: Element>(st: &State, inv: f64) -> Self {
        let (lt, ls) = (
            lse_of::<E>(st, 0, Skip::FirstMax, inv),
            lse_of::<E>(st, 4, Skip::FirstMax, inv),
        );
        Row {
            inv,
            lt,
            ls,
            bracket: (lt.shift - ls.shift) + (lt.log_sum - ls.log_sum),
        }
    }

    /// `q` at student `s`.
    #[inline(always)]
    fn q<V: Vector>(&self, s: V) -> V {
        exp_ftz_nonpos((s * k(self.inv) - k(self.ls.shift)) - k(self.ls.log_sum))
    }

    /// `(p, d)` at teacher `t` and student `s`.
    #[inline(always)]
    fn p_d<V: Vector>(&self, t: V, s: V) -> (V, V) {
        let inv = k::<V>(self.inv);
        let log_p = (t * inv - k(self.lt.shift)) - k(self.lt.log_sum);
        (exp_ftz_nonpos(log_p), (t - s) * inv - k(self.bracket))
    }
}

/// `T²·p·d` (the elementwise loss), or `p·d` with `scale` 1 (the scalar-upstream `K`).
struct KlTerm(Row, f64);
impl Elementwise for KlTerm {
    #[inline(always)]
    fn forward<V: Vector>(&self, t: V, s: V, _: V) -> V {
        let (p, d) = self.0.p_d(t, s);
        p * d * k(self.1)
    }
}

/// The upstream gradient at one element: the scalar, or the third operand times its scale.
#[derive(Clone, Copy)]
enum G {
    Scalar(f64),
    Scaled(f64),
}
impl G {
    #[inline(always)]
    fn at<V: Vector>(self, operand: V) -> V {
        match self {
            G::Scalar(c) => k(c),
            G::Scaled(c) => operand * k(c),
        }
    }
}

/// `g·p` (`S1`) or `g·p·(d + 1)` (`S2`).
struct GradSum(Row, G, bool);
impl Elementwise for GradSum {
    #[inline(always)]
    fn forward<V: Vector>(&self, t: V, s: V, g: V) -> V {
        let (p, d) = self.0.p_d(t, s);
        let gp = self.1.at(g) * p;
        if self.2 {
            gp * (d + k(1.0))
        } else {
            gp
        }
    }
}

/// `∂s = −T·(g·p − S1·q)`, as `−T·p·((g − S1) − S1·expm1(−d))` where `|d| < ½` (`p ≈ q`,
/// whose difference would cancel; `g − S1` is exactly 0 for a scalar upstream), directly
/// elsewhere (where `p` may underflow to 0 while `q` does not).
struct StudentGrad {
    row: Row,
    g: G,
    temp: f64,
    s1: f64,
}
impl Elementwise for StudentGrad {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, t: V, s: V, g: V) -> V {
        let (p, d) = self.row.p_d(t, s);
        let (s1, g) = (k::<V>(self.s1), self.g.at(g));
        let near = match self.g {
            G::Scalar(_) => -(s1 * expm1(-d)),
            G::Scaled(_) => (g - s1) - s1 * expm1(-d),
        };
        let direct = g * p - s1 * self.row.q(s);
        k::<V>(-self.temp) * V::select(d.abs().lt(k(0.5)), p * near, direct)
    }
}

/// `∂t = T·p·(g·(d + 1) − S2)`.
struct TeacherGrad {
    row: Row,
    g: G,
    temp: f64,
    s2: f64,
}
impl Elementwise for TeacherGrad {
    #[inline(always)]
    fn forward<V: Vector>(&self, t: V, s: V, g: V) -> V {
        let (p, d) = self.row.p_d(t, s);
        k::<V>(self.temp) * p * (self.g.at(g) * (d + k(1.0)) - k(self.s2))
    }
}

pub struct DistillationLoss {
    /// T > 0 (checked by the caller).
    pub temperature: f64,
}

impl DistillationLoss {
    fn inv(&self) -> f64 {
        1.0 / self.temperature
    }

    /// The teacher's piece as a piece of its own (the log-sum-exp helpers read `x`).
    fn teacher<'a, E: Element>(piece: &Piece<'a, E>) -> Piece<'a, E> {
        Piece {
            x: piece.t,
            ..*piece
        }
    }

    /// The upstream as the bodies take it: the scalar, or the scale of the piece's values.
    fn g<'a, E: Element>(g: RowGrad<'a, E>) -> (G, Option<&'a [E]>) {
        match g {
            RowGrad::Scalar(v) => (G::Scalar(v), None),
            RowGrad::Elements(gs, k) => (G::Scaled(k), Some(gs)),
        }
    }
}

/// Per-element output ('none' is the (N, C) terms) with a per-element upstream. The student
/// is the row's `x`, the teacher its `t`; 1 per row in the denominator (the TS layer divides
/// by N for 'batchmean', by N·C for 'mean').
///
/// Passes: 0 and 1 the two log-sum-exps of `x/T` (teacher slots 0–3, student 4–7); 2 `K = Σ p·d`
/// (slots 8–9), or backward with a per-element upstream `S1` (8–9) and `S2` (10–11).
impl<E: Element> RowLoss<E> for DistillationLoss {
    fn per_element(&self) -> bool {
        true
    }

    fn forward_passes(&self) -> usize {
        3
    }
    fn backward_passes(&self) -> usize {
        3
    }

    fn target_ok(&self, _: &[i32], _: usize) -> bool {
        true
    }

    fn init(&self, st: &mut State) {
        *st = [0.0; STATE_SLOTS];
        st[0] = f64::NEG_INFINITY;
        st[4] = f64::NEG_INFINITY;
    }

    fn pass(
        &self,
        _: Phase,
        pass: usize,
        st: &mut State,
        _: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
    ) {
        let (inv, teacher) = (self.inv(), Self::teacher(&piece));
        match pass {
            0 => {
                lse_max_pass(st, 0, Skip::FirstMax, &teacher);
                lse_max_pass(st, 4, Skip::FirstMax, &piece);
            }
            1 => {
                lse_sum_pass(st, 0, Skip::FirstMax, inv, &teacher);
                lse_sum_pass(st, 4, Skip::FirstMax, inv, &piece);
            }
            _ => {
                let row = Row::from_state::<E>(st, inv);
                let (tr, sr) = (piece.t, piece.x);
                match Self::g(g) {
                    (gm @ G::Scaled(_), Some(gs)) => {
                        add_at(
                            st,
                            8,
                            driver::forward(&GradSum(row, gm, false), tr, sr, Some(gs), None),
                        );
                        add_at(
                            st,
                            10,
                            driver::forward(&GradSum(row, gm, true), tr, sr, Some(gs), None),
                        );
                    }
                    _ => add_at(
                        st,
                        8,
                        driver::forward(&KlTerm(row, 1.0), tr, sr, None, None),
                    ),
                }
            }
        }
    }

    fn value(&self, st: &State, _: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        (
            self.temperature * self.temperature * sum_at(st, 8).value(),
            1.0,
        )
    }

    fn output(&self, st: &State, _: &[i32], piece: Piece<'_, E>, out: &mut [E]) {
        let body = KlTerm(
            Row::from_state::<E>(st, self.inv()),
            self.temperature * self.temperature,
        );
        driver::forward(&body, piece.t, piece.x, None, Some(out));
    }

    fn grad(
        &self,
        st: &State,
        _: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gs: Option<&mut [E]>,
        gt: Option<&mut [E]>,
    ) {
        let temp = self.temperature;
        let row = Row::from_state::<E>(st, self.inv());
        let (gm, g_row) = Self::g(g);
        let (s1, s2) = match gm {
            G::Scalar(gv) => (gv, gv * (sum_at(st, 8).value() + 1.0)),
            G::Scaled(_) => (sum_at(st, 8).value(), sum_at(st, 10).value()),
        };
        let (tr, sr) = (piece.t, piece.x);
        if let Some(gs) = gs {
            let body = StudentGrad {
                row,
                g: gm,
                temp,
                s1,
            };
            driver::forward(&body, tr, sr, g_row, Some(gs));
        }
        if let Some(gt) = gt {
            let body = TeacherGrad {
                row,
                g: gm,
                temp,
                s2,
            };
            driver::forward(&body, tr, sr, g_row, Some(gt));
        }
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;

    use crate::driver::Upstream;
    use crate::row_driver::{run_backward, run_forward};

    fn loss(s: &[f64], t: &[f64], temp: f64) -> f64 {
        run_forward(
            &DistillationLoss { temperature: temp },
            s,
            3,
            t,
            &[],
            0,
            None,
            None,
        )
        .0
    }

    #[lossfn_test_macro::kernel_test]
    fn identical_rows_give_zero() {
        let x = [1.0, -2.0, 0.5, 3.0, 3.0, 3.0];
        assert!(loss(&x, &x, 2.0).abs() < 1e-15);
    }

    #[lossfn_test_macro::kernel_test]
    fn gradients_match_finite_differences() {
        let s = [0.3, -1.2, 2.0, 0.0, 0.7, -0.4];
        let t = [1.5, 0.2, -0.8, 2.2, -1.0, 0.1];
        let g = [0.3, -0.7, 1.1, 0.5, 0.2, -0.9];
        let temp = 2.5;
        let kd = DistillationLoss { temperature: temp };
        let (mut gs, mut gt) = ([0.0; 6], [0.0; 6]);
        run_backward(
            &kd,
            &s,
            3,
            &t,
            &[],
            0,
            None,
            &Upstream::PerElement(&g, 1.0),
            Some(&mut gs),
            Some(&mut gt),
        );
        let weighted = |s: &[f64], t: &[f64]| {
            let mut out = [0.0; 6];
            run_forward(&kd, s, 3, t, &[], 0, None, Some(&mut out));
            out.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>()
        };
        let h = 1e-6;
        for i in 0..6 {
            let (mut sp, mut sm, mut tp, mut tm) = (s, s, t, t);
            sp[i] += h;
            sm[i] -= h;
            tp[i] += h;
            tm[i] -= h;
            let fs = (weighted(&sp, &t) - weighted(&sm, &t)) / (2.0 * h);
            let ft = (weighted(&s, &tp) - weighted(&s, &tm)) / (2.0 * h);
            assert!((fs - gs[i]).abs() < 1e-8, "student {i}: {fs} vs {}", gs[i]);
            assert!((ft - gt[i]).abs() < 1e-8, "teacher {i}: {ft} vs {}", gt[i]);
        }
    }
}
