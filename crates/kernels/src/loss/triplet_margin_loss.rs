//! `F.triplet_margin_loss(a, p, n, margin, p, eps, swap)` and, with another [`Distance`], the
//! kernel of `F.triplet_margin_with_distance_loss`, over rows of `D` (the last dimension):
//!
//! `l = max(0, margin + d(a, p) − d_neg)`, `d_neg = d(a, n)`, or with `swap`
//! `min(d(a, n), d(p, n))` (the "distance swap" of Balntas et al.).
//!
//! The max is `clamp_min` (the gradient passes at 0); the swap's `min` splits its gradient
//! equally between tied distances (PyTorch's `min(Tensor, Tensor)` backward). Distances:
//! [`PNorm`] (`pairwise_distance`, eps added to the difference) or `1 − cosine_similarity`
//! ([`CosineSim`], eps 1e-8 on each norm), the two distances lossfn offers.

use crate::driver::{Sum, Upstream};
use crate::ranking::distance::{linear3, CosineSim, PNorm};
use crate::ranking::lists::upstream_at;
use crate::ranking::row_sums;
use crate::simd::Element;

/// The distance between rows.
#[derive(Clone, Copy, Debug)]
pub enum Distance {
    PNorm(PNorm),
    /// `1 − cosine_similarity(x, y, eps)`.
    Cosine(CosineSim),
}

pub struct TripletMarginLoss {
    /// Rows (triplets).
    pub rows: usize,
    /// `D`, the row length (0 allowed: every distance is then 0).
    pub dim: usize,
    pub margin: f64,
    pub swap: bool,
    pub distance: Distance,
}

/// The three distances of one triplet (`d(p, n)` only when swapping, else 0) and, for the
/// cosine distance, the cosines' gradient factors.
struct Triplet {
    d: [f64; 3],
    cos: [crate::ranking::distance::Cosine; 3],
}

impl TripletMarginLoss {
    fn distances<E: Element>(&self, a: &[E], p: &[E], n: &[E], scratch: &mut Vec<f64>) -> Triplet {
        let mut t = Triplet {
            d: [0.0; 3],
            cos: Default::default(),
        };
        match self.distance {
            Distance::PNorm(norm) => {
                t.d[0] = norm.distance(a, p, scratch);
                t.d[1] = norm.distance(a, n, scratch);
                if self.swap {
                    t.d[2] = norm.distance(p, n, scratch);
                }
            }
            Distance::Cosine(cs) => {
                let [ap, an, pn, aa, pp, nn] = row_sums([a, p, n], a.len(), |[a, p, n]| {
                    [a * p, a * n, p * n, a * a, p * p, n * n]
                });
                t.cos = [
                    cs.of([ap, aa, pp]),
                    cs.of([an, aa, nn]),
                    cs.of([pn, pp, nn]),
                ];
                t.d = t.cos.map(|c| 1.0 - c.value);
            }
        }
        t
    }

    /// `(margin + d(a, p) − d_neg, which)`: `which` weights `d(a, n)` and `d(p, n)` in `d_neg`.
    fn margin_of(&self, d: [f64; 3]) -> (f64, [f64; 2]) {
        let (an, pn) = (d[1], d[2]);
        let (neg, w) = if !self.swap || an < pn {
            (an, [1.0, 0.0])
        } else if pn < an {
            (pn, [0.0, 1.0])
        } else if an == pn {
            (an, [0.5, 0.5])
        } else {
            (f64::NAN, [f64::NAN, f64::NAN])
        };
        (self.margin + d[0] - neg, w)
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`.
    pub fn forward<E: Element>(&self, a: &[E], p: &[E], n: &[E], mut out: Option<&mut [E]>) -> f64 {
        let dim = self.dim;
        let mut scratch = Vec::new();
        let mut total = Sum::default();
        for r in 0..self.rows {
            let rg = r * dim..(r + 1) * dim;
            let t = self.distances(&a[rg.clone()], &p[rg.clone()], &n[rg], &mut scratch);
            let (z, _) = self.margin_of(t.d);
            // clamp_min keeps NaN.
            let l = if z.is_nan() { z } else { z.max(0.0) };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂a`, `∂p`, `∂n` (each when given) for upstream `g` (per row or scalar).
    #[allow(clippy::too_many_arguments)]
    pub fn backward<E: Element>(
        &self,
        a: &[E],
        p: &[E],
        n: &[E],
        g: &Upstream<'_, E>,
        mut ga: Option<&mut [E]>,
        mut gp: Option<&mut [E]>,
        mut gn: Option<&mut [E]>,
    ) {
        let dim = self.dim;
        let mut scratch = Vec::new();
        for r in 0..self.rows {
            let rg = r * dim..(r + 1) * dim;
            let rows = [&a[rg.clone()], &p[rg.clone()], &n[rg.clone()]];
            let t = self.distances(rows[0], rows[1], rows[2], &mut scratch);
            let (z, w) = self.margin_of(t.d);
            let k = if z >= 0.0 {
                upstream_at(g, r)
            } else if z.is_nan() {
                f64::NAN
            } else {
                0.0
            };
            // Coefficients of d(a, p), d(a, n), d(p, n).
            let coef = [k, -k * w[0], -k * w[1]];
            let outs = [
                ga.as_deref_mut().map(|o| &mut o[rg.clone()]),
                gp.as_deref_mut().map(|o| &mut o[rg.clone()]),
                gn.as_deref_mut().map(|o| &mut o[rg.clone()]),
            ];
            match self.distance {
                Distance::PNorm(norm) => norm.grads(rows, coef, t.d, outs, &mut scratch),
                Distance::Cosine(_) => {
                    // d = 1 − c: ∂d/∂x = −(αx·y − βx·x) for each pair (x, y).
                    let mut m = [[0.0f64; 3]; 3];
                    for (q, &(u, v)) in [(0usize, 1usize), (0, 2), (1, 2)].iter().enumerate() {
                        let (c, cq) = (t.cos[q], coef[q]);
                        if cq == 0.0 {
                            continue;
                        }
                        m[u][u] += cq * c.bx;
                        m[u][v] -= cq * c.ax;
                        m[v][u] -= cq * c.ay;
                        m[v][v] += cq * c.by;
                    }
                    linear3(rows, m, outs);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_sum(k: &TripletMarginLoss, a: &[f64], p: &[f64], n: &[f64]) -> f64 {
        k.forward(a, p, n, None)
    }

    #[test]
    fn gradients_match_central_differences() {
        let dim = 5;
        let mk = |s: f64| {
            (0..3 * dim)
                .map(|k| ((k as f64 + s) * 0.73).sin() * 1.5)
                .collect::<Vec<f64>>()
        };
        let (a, p, n) = (mk(0.0), mk(1.3), mk(2.9));
        let kernels = [
            TripletMarginLoss {
                rows: 3,
                dim,
                margin: 1.0,
                swap: false,
                distance: Distance::PNorm(PNorm { p: 2.0, eps: 1e-6 }),
            },
            TripletMarginLoss {
                rows: 3,
                dim,
                margin: 2.0,
                swap: true,
                distance: Distance::PNorm(PNorm { p: 2.0, eps: 1e-6 }),
            },
            TripletMarginLoss {
                rows: 3,
                dim,
                margin: 1.5,
                swap: true,
                distance: Distance::PNorm(PNorm { p: 1.0, eps: 0.0 }),
            },
            TripletMarginLoss {
                rows: 3,
                dim,
                margin: 3.0,
                swap: true,
                distance: Distance::PNorm(PNorm { p: 3.0, eps: 1e-6 }),
            },
            TripletMarginLoss {
                rows: 3,
                dim,
                margin: 0.5,
                swap: true,
                distance: Distance::Cosine(CosineSim { eps: 1e-8 }),
            },
        ];
        for k in &kernels {
            let (mut ga, mut gp, mut gn) =
                (vec![0.0; 3 * dim], vec![0.0; 3 * dim], vec![0.0; 3 * dim]);
            k.backward(
                &a,
                &p,
                &n,
                &Upstream::Scalar(1.0),
                Some(&mut ga),
                Some(&mut gp),
                Some(&mut gn),
            );
            for (which, g) in [(0, &ga), (1, &gp), (2, &gn)] {
                for i in 0..3 * dim {
                    let mut rows = [a.clone(), p.clone(), n.clone()];
                    rows[which][i] += 1e-6;
                    let up = loss_sum(k, &rows[0], &rows[1], &rows[2]);
                    rows[which][i] -= 2e-6;
                    let dn = loss_sum(k, &rows[0], &rows[1], &rows[2]);
                    let num = (up - dn) / 2e-6;
                    assert!(
                        (num - g[i]).abs() < 1e-6,
                        "{:?} row {which} i={i}: {num} vs {}",
                        k.distance,
                        g[i]
                    );
                }
            }
        }
    }

    #[test]
    fn swap_ties_split_the_gradient() {
        // a = p: d(a, n) = d(p, n); the negative's gradient comes half from each.
        let a = [1.0f64, 0.0];
        let n = [0.0f64, 1.0];
        let k = TripletMarginLoss {
            rows: 1,
            dim: 2,
            margin: 5.0,
            swap: true,
            distance: Distance::PNorm(PNorm { p: 2.0, eps: 0.0 }),
        };
        let (mut ga, mut gp, mut gn) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        k.backward(
            &a,
            &a,
            &n,
            &Upstream::Scalar(1.0),
            Some(&mut ga),
            Some(&mut gp),
            Some(&mut gn),
        );
        let s = 0.5f64.sqrt();
        assert!(
            (gn[0] - s).abs() < 1e-15 && (gn[1] + s).abs() < 1e-15,
            "{gn:?}"
        );
        assert!(
            (ga[0] + s / 2.0).abs() < 1e-15 && (gp[0] + s / 2.0).abs() < 1e-15,
            "{ga:?} {gp:?}"
        );
    }
}
