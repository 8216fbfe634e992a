//! ListMLE, the Plackett–Luce negative log-likelihood of the true order, over padded lists, as
//! allRank's `listMLE` (allegro/allRank, `allrank/models/losses/listMLE.py` at c884756) but
//! with ties in relevance broken by position (a stable sort) where allRank shuffles first and
//! so breaks them at random.
//!
//! Per list: the real documents in order of decreasing relevance `π`, `m = max s` over them,
//! `z_k = s_{π(k)} − m`, `C_k = Σ_{k' ≥ k} e^{z_{k'}}` and
//! `l = Σ_k (log(C_k + eps) − z_k)`; padded slots contribute 0 (an entirely padded list: 0).
//!
//! Gradient (upstream `g`): `∂l/∂z_q = e^{z_q}·Σ_{k ≤ q} 1/(C_k + eps) − 1`, and through `m`,
//! which allRank does not detach (eps makes the loss depend on the shift):
//! `∂l/∂m = −Σ_q ∂l/∂z_q`, added to the maximum's slot (the first in `π` among ties).
//! Lists are short and need a sort: scalar f64 per list, suffix sums compensated.

use crate::driver::{Sum, Upstream};
use crate::ranking::lists::{real, upstream_at};
use crate::ranking::sort_desc_stable;
use crate::simd::Element;

pub struct ListMleLoss {
    /// `L`, the list length.
    pub len: usize,
    pub eps: f64,
}

/// One list's order and quantities.
struct List {
    /// Real slots, by decreasing relevance (stable).
    order: Vec<usize>,
    z: Vec<f64>,
    /// `C_k + eps`.
    c: Vec<f64>,
    /// Position in `order` of the maximum score (first among ties).
    argmax: usize,
    key: Vec<f64>,
    tmp: Vec<usize>,
}

impl ListMleLoss {
    fn lists<E>(&self, s: &[E]) -> usize {
        s.len().checked_div(self.len).unwrap_or(0)
    }

    fn list<E: Element>(&self, s: &[E], y: &[E], w: &mut List) {
        w.order.clear();
        w.order.extend((0..s.len()).filter(|&j| real(y, j)));
        w.key.clear();
        w.key.extend(y.iter().map(|v| v.to_f64()));
        sort_desc_stable(&w.key, &mut w.order, &mut w.tmp);
        let (mut m, mut arg) = (f64::NEG_INFINITY, 0);
        for (k, &j) in w.order.iter().enumerate() {
            let v = s[j].to_f64();
            if v > m || (v.is_nan() && !m.is_nan()) {
                m = v;
                arg = k;
            }
        }
        w.argmax = arg;
        w.z.clear();
        w.z.extend(w.order.iter().map(|&j| s[j].to_f64() - m));
        w.c.clear();
        w.c.resize(w.order.len(), 0.0);
        let mut acc = Sum::default();
        for k in (0..w.order.len()).rev() {
            acc.add(w.z[k].exp());
            w.c[k] = acc.value() + self.eps;
        }
    }

    fn scratch(&self) -> List {
        List {
            order: Vec::with_capacity(self.len),
            z: Vec::new(),
            c: Vec::new(),
            argmax: 0,
            key: Vec::new(),
            tmp: Vec::new(),
        }
    }

    /// Writes each list's loss into `out` when given; returns `Σ l`. With `gs = (out, g)`, also
    /// writes `∂(g·Σ_b l_b)/∂s` (the reduced loss's gradient for the upstream `g`, the caller's
    /// expected one, so that it needs no rescaling pass).
    pub fn forward<E: Element>(
        &self,
        s: &[E],
        y: &[E],
        mut out: Option<&mut [E]>,
        gs: Option<(&mut [E], f64)>,
    ) -> f64 {
        if let Some((gs, g)) = gs {
            self.backward(s, y, &Upstream::Scalar(E::from_f64(g)), gs);
        }
        let l = self.len;
        let mut w = self.scratch();
        let mut total = Sum::default();
        for b in 0..self.lists(s) {
            self.list(&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l], &mut w);
            let mut v = Sum::default();
            for k in 0..w.order.len() {
                v.add(w.c[k].ln() - w.z[k]);
            }
            if let Some(o) = out.as_deref_mut() {
                o[b] = E::from_f64(v.value());
            }
            total.add(v.value());
        }
        total.value()
    }

    /// Writes `∂s` for upstream `g` (per list or scalar).
    pub fn backward<E: Element>(&self, s: &[E], y: &[E], g: &Upstream<'_, E>, gs: &mut [E]) {
        let l = self.len;
        let mut w = self.scratch();
        for b in 0..self.lists(s) {
            let out = &mut gs[b * l..(b + 1) * l];
            out.fill(E::default());
            self.list(&s[b * l..(b + 1) * l], &y[b * l..(b + 1) * l], &mut w);
            if w.order.is_empty() {
                continue;
            }
            let gr = upstream_at(g, b);
            let mut inv = Sum::default();
            let mut through_max = Sum::default();
            let mut grads = vec![0.0f64; w.order.len()];
            for ((gk, &ck), &zk) in grads.iter_mut().zip(&w.c).zip(&w.z) {
                inv.add(1.0 / ck);
                let d = zk.exp() * inv.value() - 1.0;
                *gk = d;
                through_max.add(-d);
            }
            grads[w.argmax] += through_max.value();
            for (k, &j) in w.order.iter().enumerate() {
                out[j] = E::from_f64(gr * grads[k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::central_difference;

    fn reference(s: &[f64], y: &[f64], eps: f64) -> f64 {
        let mut order: Vec<usize> = (0..s.len()).filter(|&j| y[j] != -1.0).collect();
        order.sort_by(|&a, &b| y[b].partial_cmp(&y[a]).unwrap());
        let m = order
            .iter()
            .map(|&j| s[j])
            .fold(f64::NEG_INFINITY, f64::max);
        (0..order.len())
            .map(|k| {
                (order[k..].iter().map(|&j| (s[j] - m).exp()).sum::<f64>() + eps).ln()
                    - (s[order[k]] - m)
            })
            .sum()
    }

    #[test]
    fn plackett_luce_with_stable_ties_and_padding() {
        let s = [0.3f64, -1.2, 2.0, 0.7, 5.0, 0.1, -0.4];
        let y = [1.0f64, 0.0, 3.0, -1.0, 1.0, 2.0, 0.0];
        for eps in [1e-10, 0.3] {
            let k = ListMleLoss { len: 7, eps };
            assert!((k.forward(&s, &y, None, None) - reference(&s, &y, eps)).abs() < 1e-13);
            let mut gs = [0.0; 7];
            k.backward(&s, &y, &Upstream::Scalar(1.0), &mut gs);
            for (j, &gj) in gs.iter().enumerate() {
                let num = central_difference(|sp| reference(sp, &y, eps), &s, j);
                assert!((num - gj).abs() < 1e-7, "eps={eps} {j}: {num} vs {}", gj);
            }
            assert_eq!(gs[3], 0.0);
        }
        let k = ListMleLoss { len: 7, eps: 1e-10 };
        assert_eq!(k.forward(&s, &[-1.0; 7], None, None), 0.0);
    }
}
