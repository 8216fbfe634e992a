//! Knowledge-distillation loss (Hinton et al. 2015) over rows of `C` logits: student `s` and
//! teacher `t` (the TS layer moves the class dimension last).
//!
//! With temperature `T`, `log p = log_softmax(t/T)`, `log q = log_softmax(s/T)`, each element
//! is `e_c = T²·p_c·(log p_c − log q_c)` — the PyTorch idiom
//! `kl_div(log_softmax(s/T), softmax(t/T), reduction='none')·T²`. A teacher probability that
//! underflows to 0 contributes 0; a teacher logit of −∞ gives NaN (0·∞), as PyTorch.
//!
//! The forward pass runs in the element type (PyTorch's float32 speed class) yet keeps the
//! difference `log p_c − log q_c` well conditioned: it is formed as
//! `(t_c − s_c)/T − [(shift_t − shift_s) + (log_sum_t − log_sum_s)]`, the bracket one f64
//! constant per row, so a student close to its teacher loses no digits to two nearly equal
//! log-probabilities (and identical rows give exactly 0). The backward pass works on f64
//! copies of the scaled rows.
//!
//! Gradients for upstream `g_c` (per element, or one scalar):
//! - student: `∂s_j = −T·(g_j·p_j − q_j·Σ_c g_c·p_c)`;
//! - teacher: `∂t_j = T·p_j·(g_j·(d_j + 1) − Σ_c g_c·p_c·(d_c + 1))`, `d = log p − log q`.

use crate::class_rows::upstream_at;
use crate::driver::{self, Elementwise, Sum, Upstream};
use crate::rows::{log_sum_exp, log_sum_exp_scaled, softmax_into, Lse};
use crate::simd::{Element, Vector};

/// `T²·p·(log p − log q)` from the raw rows `t` (x) and `s` (t), with
/// `log p = (t/T − shift_t) − log_sum_t` and `log p − log q = (t − s)/T − bracket`.
struct KlTerm {
    inv: f64,
    lt: Lse,
    bracket: f64,
    t2: f64,
}
impl Elementwise for KlTerm {
    #[inline(always)]
    fn forward<V: Vector>(&self, t: V, s: V, _: V) -> V {
        let k = |c: f64| V::splat(V::Elem::from_f64(c));
        let inv = k(self.inv);
        let log_p = (t * inv - k(self.lt.shift)) - k(self.lt.log_sum);
        let d = (t - s) * inv - k(self.bracket);
        crate::math::exp_ftz_nonpos(log_p) * d * k(self.t2)
    }
}

pub struct DistillationLoss {
    pub classes: usize,
    /// T > 0 (checked by the caller).
    pub temperature: f64,
}

/// One row's scaled logits (f64) and their log-sum-exps.
struct Row {
    zs: Vec<f64>,
    zt: Vec<f64>,
}
impl Row {
    fn new(c: usize) -> Self {
        Row {
            zs: vec![0.0; c],
            zt: vec![0.0; c],
        }
    }
    fn load<E: Element>(&mut self, s: &[E], t: &[E], temp: f64) -> (Lse, Lse) {
        for (z, v) in self.zs.iter_mut().zip(s) {
            *z = v.to_f64() / temp;
        }
        for (z, v) in self.zt.iter_mut().zip(t) {
            *z = v.to_f64() / temp;
        }
        (log_sum_exp(&self.zt[..]), log_sum_exp(&self.zs[..]))
    }
}

impl DistillationLoss {
    fn rows<E>(&self, s: &[E]) -> usize {
        s.len().checked_div(self.classes).unwrap_or(0)
    }

    /// Writes the elementwise terms into `out` (same length as `s`) when given; returns their sum.
    pub fn forward<E: Element>(&self, s: &[E], t: &[E], mut out: Option<&mut [E]>) -> f64 {
        let c = self.classes;
        let inv = 1.0 / self.temperature;
        let mut total = Sum::default();
        for r in 0..self.rows(s) {
            let range = r * c..(r + 1) * c;
            let (sr, tr) = (&s[range.clone()], &t[range.clone()]);
            let (lt, ls) = (log_sum_exp_scaled(tr, inv), log_sum_exp_scaled(sr, inv));
            let body = KlTerm {
                inv,
                lt,
                bracket: (lt.shift - ls.shift) + (lt.log_sum - ls.log_sum),
                t2: self.temperature * self.temperature,
            };
            let o = out.as_deref_mut().map(|o| &mut o[range]);
            total.add(driver::forward(&body, tr, sr, None, o));
        }
        total.value()
    }

    /// Writes `∂s` into `gs` and `∂t` into `gt` (each when given) for upstream `g` (per
    /// element, or scalar).
    pub fn backward<E: Element>(
        &self,
        s: &[E],
        t: &[E],
        g: &Upstream<'_, E>,
        mut gs: Option<&mut [E]>,
        mut gt: Option<&mut [E]>,
    ) {
        let c = self.classes;
        let temp = self.temperature;
        let mut row = Row::new(c);
        let (mut p, mut q, mut gr) = (vec![0.0; c], vec![0.0; c], vec![0.0; c]);
        for r in 0..self.rows(s) {
            let range = r * c..(r + 1) * c;
            let (lt, ls) = row.load(&s[range.clone()], &t[range.clone()], temp);
            softmax_into(&row.zt[..], lt, &mut p);
            softmax_into(&row.zs[..], ls, &mut q);
            for (j, gj) in gr.iter_mut().enumerate() {
                *gj = upstream_at(g, r * c + j);
            }
            // d_c + 1 = log p_c − log q_c + 1.
            let d1 = |j: usize| {
                ((row.zt[j] - lt.shift) - lt.log_sum) - ((row.zs[j] - ls.shift) - ls.log_sum) + 1.0
            };
            if let Some(gs) = gs.as_deref_mut() {
                let mut s1 = Sum::default();
                for j in 0..c {
                    s1.add(gr[j] * p[j]);
                }
                let s1 = s1.value();
                for (j, o) in gs[range.clone()].iter_mut().enumerate() {
                    *o = E::from_f64(-temp * (gr[j] * p[j] - q[j] * s1));
                }
            }
            if let Some(gt) = gt.as_deref_mut() {
                let mut s2 = Sum::default();
                for j in 0..c {
                    s2.add(gr[j] * p[j] * d1(j));
                }
                let s2 = s2.value();
                for (j, o) in gt[range].iter_mut().enumerate() {
                    *o = E::from_f64(temp * p[j] * (gr[j] * d1(j) - s2));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss(s: &[f64], t: &[f64], temp: f64) -> f64 {
        DistillationLoss {
            classes: 3,
            temperature: temp,
        }
        .forward(s, t, None)
    }

    #[test]
    fn identical_rows_give_zero() {
        let x = [1.0, -2.0, 0.5, 3.0, 3.0, 3.0];
        assert!(loss(&x, &x, 2.0).abs() < 1e-15);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let s = [0.3, -1.2, 2.0, 0.0, 0.7, -0.4];
        let t = [1.5, 0.2, -0.8, 2.2, -1.0, 0.1];
        let g = [0.3, -0.7, 1.1, 0.5, 0.2, -0.9];
        let temp = 2.5;
        let kd = DistillationLoss {
            classes: 3,
            temperature: temp,
        };
        let (mut gs, mut gt) = ([0.0; 6], [0.0; 6]);
        kd.backward(
            &s,
            &t,
            &Upstream::PerElement(&g, 1.0),
            Some(&mut gs),
            Some(&mut gt),
        );
        let weighted = |s: &[f64], t: &[f64]| {
            let mut out = [0.0; 6];
            kd.forward(s, t, Some(&mut out));
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
