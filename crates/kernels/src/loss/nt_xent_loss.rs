//! NT-Xent (SimCLR's normalized-temperature cross entropy; Chen et al. 2020) over the `2N`
//! views of `N` pairs `(z1_i, z2_i)`, as lightly's `NTXentLoss` (lightly-ai/lightly,
//! `lightly/loss/ntx_ent_loss.py`, no memory bank): every view is normalised
//! (`F.normalize`, `x / max(‖x‖, 1e-12)`), scored against every other view by cosine / τ, and
//! its loss is the cross entropy of its pair among the `2N − 1` others:
//!
//! `l_k = lse_{j≠k}(ẑ_k·ẑ_j/τ) − ẑ_k·ẑ_pair(k)/τ`, `k < 2N` (views `0..N` from `z1`, `N..2N`
//! from `z2`), mean over the `2N` anchors.
//!
//! The similarity core is [`crate::ranking::gram`] (one positive per anchor, `coef = 1`); the
//! gradient flows back through the normalisation:
//! `∂z = (∂ẑ − ẑ·(ẑ·∂ẑ)) / ‖z‖` where `‖z‖ ≥ 1e-12`, else `∂ẑ / 1e-12`.

use crate::driver::Upstream;
use crate::ranking::gram::{Contrast, Gram, Stats, KEEP_BYTES};
use crate::ranking::lists::upstream_at;
use crate::ranking::row_sums;
use crate::simd::Element;

/// `F.normalize`'s default eps.
const EPS: f64 = 1e-12;

pub struct NtXentLoss {
    /// `N`, the pairs.
    pub pairs: usize,
    /// `D`.
    pub dim: usize,
    pub temperature: f64,
}

/// The per-anchor statistics as the caller keeps them between forward and backward:
/// `3·2N` values, `[shift; log_sum; count]` (see [`Stats`]).
pub fn stats_from(flat: &[f64], anchors: usize) -> Stats {
    Stats {
        shift: flat[..anchors].to_vec(),
        log_sum: flat[anchors..2 * anchors].to_vec(),
        count: flat[2 * anchors..3 * anchors].to_vec(),
        loss: Vec::new(),
    }
}

impl NtXentLoss {
    fn views(&self) -> usize {
        2 * self.pairs
    }

    /// The normalised views and their norms.
    fn gram<E: Element>(&self, z1: &[E], z2: &[E]) -> (Gram<E>, Vec<f64>) {
        let (n, d) = (self.pairs, self.dim);
        let src = |r: usize| {
            if r < n {
                &z1[r * d..(r + 1) * d]
            } else {
                &z2[(r - n) * d..(r - n + 1) * d]
            }
        };
        let mut norms = vec![0.0; 2 * n];
        let gram = Gram::new(2 * n, d, |r, row| {
            let x = src(r);
            let [s] = row_sums([x, x, x], d, |[a, _, _]| [a * a]);
            norms[r] = s.sqrt();
            let inv = 1.0 / norms[r].max(EPS);
            for (o, &v) in row.iter_mut().zip(x) {
                *o = E::from_f64(v.to_f64() * inv);
            }
        });
        (gram, norms)
    }

    /// View `r`'s pair id (`r mod N`), padded to the gram's rows with −1.
    fn ids<E: Element>(&self, padded: usize) -> Vec<E> {
        (0..padded.max(self.views()))
            .map(|r| {
                E::from_f64(if r < self.views() {
                    (r % self.pairs) as f64
                } else {
                    -1.0
                })
            })
            .collect()
    }

    /// Writes the `2N` per-anchor losses into `out` when given and the statistics the backward
    /// pass needs into `stats` (`3·2N`: shifts, log-sums, positive counts); returns `Σ l`.
    /// With `grads` (`∂z1`, `∂z2`, each when given) it also writes `∂(g·Σ_k l_k)/∂z` in the
    /// same call, keeping the score tiles between its two passes (see
    /// [`Contrast::forward_with_grad`]): the reduced loss's gradient for the upstream `g` the
    /// caller expects (`1/2N` for a mean), scaled in the normalisation's chain rule, which
    /// writes it anyway, rather than by a second pass over `2N·D` values.
    pub fn forward<E: Element>(
        &self,
        z1: &[E],
        z2: &[E],
        out: Option<&mut [E]>,
        stats: &mut [f64],
        grads: [Option<&mut [E]>; 2],
        g: f64,
    ) -> f64 {
        let m = self.views();
        if m == 0 {
            return 0.0;
        }
        let (gram, norms) = self.gram(z1, z2);
        let ids = self.ids::<E>(m.div_ceil(64) * 64);
        let c = self.contrast(&gram, &ids);
        let st = if grads.iter().any(Option::is_some) {
            let mut dz = gram.grad_buffer();
            let st = c.forward_with_grad(KEEP_BYTES, &mut dz);
            self.chain(&gram, &norms, &dz, grads, g);
            st
        } else {
            c.forward()
        };
        stats[..m].copy_from_slice(&st.shift);
        stats[m..2 * m].copy_from_slice(&st.log_sum);
        stats[2 * m..3 * m].copy_from_slice(&st.count);
        if let Some(o) = out {
            for (o, &l) in o.iter_mut().zip(&st.loss) {
                *o = E::from_f64(l);
            }
        }
        let mut total = crate::driver::Sum::default();
        for &l in &st.loss {
            total.add(l);
        }
        total.value()
    }

    fn contrast<'a, E: Element>(&self, gram: &'a Gram<E>, ids: &'a [E]) -> Contrast<'a, E> {
        Contrast {
            gram,
            anchors: self.views(),
            ids,
            inv_t: 1.0 / self.temperature,
            coef: 1.0,
        }
    }

    /// Writes `∂z1`, `∂z2` (each when given) for upstream `g` (per anchor or scalar), from the
    /// forward pass's `stats`.
    pub fn backward<E: Element>(
        &self,
        z1: &[E],
        z2: &[E],
        stats: &[f64],
        g: &Upstream<'_, E>,
        grads: [Option<&mut [E]>; 2],
    ) {
        let m = self.views();
        if m == 0 {
            return;
        }
        let (gram, norms) = self.gram(z1, z2);
        let ids = self.ids::<E>(m.div_ceil(64) * 64);
        let st = stats_from(stats, m);
        let mut dz = gram.grad_buffer();
        self.contrast(&gram, &ids)
            .backward(&st, |i| upstream_at(g, i), &mut dz);
        self.chain(&gram, &norms, &dz, grads, 1.0);
    }

    /// From `∂ẑ` (`dz`, a gram gradient buffer) to `∂z1`, `∂z2` through the normalisation,
    /// times `scale`.
    fn chain<E: Element>(
        &self,
        gram: &Gram<E>,
        norms: &[f64],
        dz: &[E],
        grads: [Option<&mut [E]>; 2],
        scale: f64,
    ) {
        let (n, d) = (self.pairs, self.dim);
        let [mut g1, mut g2] = grads;
        for (r, &norm) in norms.iter().enumerate() {
            let out = if r < n {
                g1.as_deref_mut().map(|o| &mut o[r * d..(r + 1) * d])
            } else {
                g2.as_deref_mut()
                    .map(|o| &mut o[(r - n) * d..(r - n + 1) * d])
            };
            let Some(out) = out else { continue };
            let (zh, dzh) = (gram.row(r), gram.grad_row(dz, r));
            // (∂ẑ − ẑ·(ẑ·∂ẑ)) / ‖z‖, the projection first: for D = 1 it is exactly 0.
            let (dot, inv) = if norm >= EPS {
                let [dot] = row_sums([zh, dzh, dzh], d, |[a, b, _]| [a * b]);
                (dot, scale / norm)
            } else {
                (0.0, scale / EPS)
            };
            // In f64, rounded once: the projection can cancel (∂ẑ nearly along ẑ).
            for ((o, &gk), &zk) in out.iter_mut().zip(dzh).zip(zh) {
                *o = E::from_f64((gk.to_f64() - zk.to_f64() * dot) * inv);
            }
        }
    }
}
