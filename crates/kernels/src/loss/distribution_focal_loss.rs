//! Distribution focal loss (Generalized Focal Loss, Li et al. 2020) with mmdetection's
//! `distribution_focal_loss` semantics (mmdet/models/losses/gfocal_loss.py): logits `x` of
//! `rows × bins` (`bins = n + 1`) and a continuous label `y ∈ [0, n]` per row;
//! `l = (r − y)·CE(x, ⌊y⌋) + (y − ⌊y⌋)·CE(x, r)`, `r = ⌊y⌋ + 1`. At `y = n` the right bin
//! does not exist and its weight is 0: `l = CE(x, n)` (mmdetection indexes out of range
//! there). Cross entropies from the row's log-sum-exp ([`crate::rows::log_sum_exp`]).
//! `∂x_c = g·((w_l + w_r)·p_c − w_l·[c = ⌊y⌋] − w_r·[c = r])`, at the two bins regrouped as
//! `w·(p − 1) + w'·p` with `p − 1 = expm1(−(lse − x))` (no cancellation for confident rows).

use crate::driver::{self, Sum, Upstream};
use crate::rows::{log_sum_exp, SoftmaxGrad};
use crate::simd::Element;

pub struct DistributionFocalLoss {
    /// `n + 1`.
    pub bins: usize,
}

impl DistributionFocalLoss {
    /// `(left bin, w_left, w_right)` of a label in `[0, bins − 1]` (checked by the caller).
    fn split(&self, y: f64) -> (usize, f64, f64) {
        let l = y.trunc();
        (l as usize, (l + 1.0) - y, y - l)
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`.
    pub fn forward<E: Element>(&self, x: &[E], label: &[E], mut out: Option<&mut [E]>) -> f64 {
        let c = self.bins;
        let rows = x.len().checked_div(c).unwrap_or(0);
        let mut total = Sum::default();
        for r in 0..rows {
            let row = &x[r * c..(r + 1) * c];
            let (l, wl, wr) = self.split(label[r].to_f64());
            let lse = log_sum_exp(row);
            let mut v = wl * lse.gap(row[l].to_f64());
            if l + 1 < c {
                v += wr * lse.gap(row[l + 1].to_f64());
            }
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(v);
            }
            total.add(v);
        }
        total.value()
    }

    /// Writes `∂x` for upstream `g` (per row or scalar).
    pub fn backward<E: Element>(&self, x: &[E], label: &[E], g: &Upstream<'_, E>, gx: &mut [E]) {
        let c = self.bins;
        let rows = x.len().checked_div(c).unwrap_or(0);
        for r in 0..rows {
            let row = &x[r * c..(r + 1) * c];
            let gr = match g {
                Upstream::Scalar(s) => s.to_f64(),
                Upstream::PerElement(gs, k) => gs[r].to_f64() * k.to_f64(),
            };
            let (l, wl, mut wr) = self.split(label[r].to_f64());
            if l + 1 >= c {
                wr = 0.0;
            }
            let lse = log_sum_exp(row);
            let out = &mut gx[r * c..(r + 1) * c];
            let body = SoftmaxGrad::<false> {
                lse,
                alpha: gr * (wl + wr),
                beta: 0.0,
            };
            driver::forward(&body, row, row, None, Some(&mut *out));
            let at = |j: usize| {
                let gap = lse.gap(row[j].to_f64());
                ((-gap).exp_m1(), (-gap).exp())
            };
            let (pm1, p) = at(l);
            out[l] = E::from_f64(gr * (wl * pm1 + wr * p));
            if l + 1 < c {
                let (pm1, p) = at(l + 1);
                out[l + 1] = E::from_f64(gr * (wr * pm1 + wl * p));
            }
        }
    }
}
