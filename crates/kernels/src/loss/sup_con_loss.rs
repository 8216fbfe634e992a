//! The supervised contrastive loss of Khosla et al. (2020), as their reference implementation
//! `SupConLoss` (HobbitLong/SupContrast, `losses.py` at 66a8fe5, with its fix for anchors
//! without positives): features `(N, V, D)` (already normalised, as there), labels `(N)` or
//! none (SimCLR's unsupervised case: each sample's views are its only positives).
//!
//! The contrast rows are the `N·V` views ordered view-major (`torch.cat(torch.unbind(f, 1))`,
//! row `v·N + i`); the anchors are all of them (`contrast_mode = 'all'`) or the first view of
//! each sample (`'one'`, rows `0..N`). Per anchor, with `S = z_a·z_j/τ`:
//! `l_a = (τ/τ_base)·Σ_{p∈P(a)} (lse_{j≠a} S_aj − S_ap)/|P(a)|` (0 when `P(a)` is empty, where
//! the reference divides by 1), mean over the anchors. Core: [`crate::ranking::gram`].

use crate::driver::{Sum, Upstream};
use crate::ranking::gram::{Contrast, Gram, KEEP_BYTES};
use crate::ranking::lists::upstream_at;
use crate::simd::Element;

pub use super::nt_xent_loss::stats_from;

pub struct SupConLoss {
    /// `N`, `V`, `D`.
    pub batch: usize,
    pub views: usize,
    pub dim: usize,
    pub temperature: f64,
    pub base_temperature: f64,
    /// `contrast_mode = 'one'` (else `'all'`).
    pub one: bool,
}

impl SupConLoss {
    fn rows(&self) -> usize {
        self.batch * self.views
    }

    /// Anchors: `N·V` (`'all'`) or `N` (`'one'`).
    pub fn anchors(&self) -> usize {
        if self.one {
            self.batch
        } else {
            self.rows()
        }
    }

    fn gram<E: Element>(&self, f: &[E]) -> Gram<E> {
        let (n, v, d) = (self.batch, self.views, self.dim);
        Gram::new(n * v, d, |r, row| {
            let (view, i) = (r / n, r % n);
            row.copy_from_slice(&f[(i * v + view) * d..(i * v + view + 1) * d]);
        })
    }

    /// Class id per contrast row: the sample's label id, or the sample itself.
    fn ids<E: Element>(&self, labels: Option<&[i32]>) -> Vec<E> {
        let (n, m) = (self.batch, self.rows());
        let padded = m.div_ceil(64) * 64;
        (0..padded.max(m))
            .map(|r| {
                E::from_f64(if r >= m {
                    -1.0
                } else {
                    labels.map_or((r % n) as f64, |l| l[r % n] as f64)
                })
            })
            .collect()
    }

    fn contrast<'a, E: Element>(&self, gram: &'a Gram<E>, ids: &'a [E]) -> Contrast<'a, E> {
        Contrast {
            gram,
            anchors: self.anchors(),
            ids,
            inv_t: 1.0 / self.temperature,
            coef: self.temperature / self.base_temperature,
        }
    }

    /// Writes the per-anchor losses into `out` when given (anchor order `v·N + i`) and the
    /// statistics the backward pass needs into `stats` (`3·anchors`); returns `Σ l`.
    /// `labels` are small non-negative class ids (the caller maps the user's labels to them).
    /// With `gf`, also writes `∂(Σ_a l_a)/∂features` in the same call (as
    /// [`super::nt_xent_loss::NtXentLoss::forward`]).
    pub fn forward<E: Element>(
        &self,
        f: &[E],
        labels: Option<&[i32]>,
        out: Option<&mut [E]>,
        stats: &mut [f64],
        gf: Option<&mut [E]>,
    ) -> f64 {
        let a = self.anchors();
        if self.rows() == 0 {
            return 0.0;
        }
        let gram = self.gram(f);
        let ids = self.ids::<E>(labels);
        let c = self.contrast(&gram, &ids);
        let st = match gf {
            Some(gf) => {
                let mut dz = gram.grad_buffer();
                let st = c.forward_with_grad(KEEP_BYTES, &mut dz);
                self.scatter(&gram, &dz, gf);
                st
            }
            None => c.forward(),
        };
        stats[..a].copy_from_slice(&st.shift);
        stats[a..2 * a].copy_from_slice(&st.log_sum);
        stats[2 * a..3 * a].copy_from_slice(&st.count);
        if let Some(o) = out {
            for (o, &l) in o.iter_mut().zip(&st.loss) {
                *o = E::from_f64(l);
            }
        }
        let mut total = Sum::default();
        for &l in &st.loss {
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂features` for upstream `g` (per anchor or scalar), from the forward `stats`.
    pub fn backward<E: Element>(
        &self,
        f: &[E],
        labels: Option<&[i32]>,
        stats: &[f64],
        g: &Upstream<'_, E>,
        gf: &mut [E],
    ) {
        if self.rows() == 0 {
            return;
        }
        let gram = self.gram(f);
        let ids = self.ids::<E>(labels);
        let st = stats_from(stats, self.anchors());
        let mut dz = gram.grad_buffer();
        self.contrast(&gram, &ids)
            .backward(&st, |i| upstream_at(g, i), &mut dz);
        self.scatter(&gram, &dz, gf);
    }

    /// Contrast-row gradients (view-major) back into the `(N, V, D)` layout.
    fn scatter<E: Element>(&self, gram: &Gram<E>, dz: &[E], gf: &mut [E]) {
        let (n, v, d) = (self.batch, self.views, self.dim);
        for r in 0..n * v {
            let (view, i) = (r / n, r % n);
            gf[(i * v + view) * d..(i * v + view + 1) * d].copy_from_slice(gram.grad_row(dz, r));
        }
    }
}
