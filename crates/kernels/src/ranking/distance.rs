//! Distances between rows, as `torch.nn.functional` computes them, with their gradients:
//! - [`PNorm`]: `pairwise_distance(x, y, p, eps) = ‖x − y + eps‖_p` (eps added to every
//!   component of the difference, as ATen's `at::norm(x1 - x2 + eps, p, -1)`), p ≥ 1 finite;
//! - [`CosineSim`]: `cosine_similarity(x, y, eps) = Σ x·y / (max(‖x‖, eps)·max(‖y‖, eps))`,
//!   PyTorch 1.13's form (each row divided by its clamped norm), with PyTorch 1.13's gradient
//!   (ATen clamps the norm in place under `NoGradGuard`, so the norm's backward sees the
//!   clamped value: `∂N/∂x = x/N` even below eps).
//!
//! Rows are contiguous `D`-vectors; the gradients are written for up to three rows at once
//! (anchor, positive, negative), each a combination of the rows' per-component derivatives.

use super::{row_map, row_sums, splat};
use crate::loss::sign;
use crate::math::{exp, ln};
use crate::simd::{Element, Vector};

/// `‖x − y + eps‖_p` over rows, `p ≥ 1` finite.
#[derive(Clone, Copy, Debug)]
pub struct PNorm {
    pub p: f64,
    pub eps: f64,
}

/// How the norm is computed: the two common exponents have their own SIMD bodies in the
/// element type; any other `p` goes through f64 (`|d|^p = e^{p·ln|d|}`, scaled by the row's
/// largest `|d|` so that nothing overflows).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    One,
    Two,
    General,
}

impl PNorm {
    fn kind(&self) -> Kind {
        if self.p == 1.0 {
            Kind::One
        } else if self.p == 2.0 {
            Kind::Two
        } else {
            Kind::General
        }
    }

    /// The difference `x − y + eps` of one component, in f64 (the general-p path).
    #[inline]
    fn diff64<E: Element>(&self, x: E, y: E) -> f64 {
        (x.to_f64() - y.to_f64()) + self.eps
    }

    /// `‖x − y + eps‖_p` of one row pair. `scratch` holds the f64 differences of the
    /// general-p path (grown as needed).
    pub fn distance<E: Element>(&self, x: &[E], y: &[E], scratch: &mut Vec<f64>) -> f64 {
        let n = x.len();
        let e = self.eps;
        match self.kind() {
            Kind::One => {
                let [s] = row_sums([x, y, y], n, |[a, b, _]| [(a - b + splat(e)).abs()]);
                s
            }
            Kind::Two => {
                let [s] = row_sums([x, y, y], n, |[a, b, _]| {
                    let d = a - b + splat(e);
                    [d * d]
                });
                // Squares under- or overflow the element type (|d| < 1e-19 or > 1.8e19 in
                // f32): the rare rows where that can matter are recomputed, scaled, in f64.
                let tiny = if E::MANTISSA_DIGITS == 24 {
                    1e-30
                } else {
                    1e-290
                };
                if s.is_finite() && (s > tiny || s == 0.0 && self.all_zero(x, y)) {
                    s.sqrt()
                } else {
                    self.general(x, y, 2.0, scratch)
                }
            }
            Kind::General => self.general(x, y, self.p, scratch),
        }
    }

    /// True when every difference is exactly zero (so a zero sum of squares is exact).
    fn all_zero<E: Element>(&self, x: &[E], y: &[E]) -> bool {
        x.iter().zip(y).all(|(&a, &b)| self.diff64(a, b) == 0.0)
    }

    /// `m·(Σ (|d|/m)^p)^{1/p}`, `m = max |d|`, in f64.
    fn general<E: Element>(&self, x: &[E], y: &[E], p: f64, scratch: &mut Vec<f64>) -> f64 {
        scratch.clear();
        scratch.extend(x.iter().zip(y).map(|(&a, &b)| self.diff64(a, b).abs()));
        let mut m = 0.0f64;
        for &d in scratch.iter() {
            if d.is_nan() {
                return f64::NAN;
            }
            m = m.max(d);
        }
        if m == 0.0 || m.is_infinite() {
            return m;
        }
        let inv = 1.0 / m;
        let [s] = row_sums::<f64, 1>([scratch, scratch, scratch], scratch.len(), |[d, _, _]| {
            // (|d|/m)^p = e^{p·ln(|d|/m)}; |d| = 0 gives e^{−inf} = 0.
            [exp(ln(d * splat(inv)) * splat(p))]
        });
        m * s.powf(1.0 / p)
    }

    /// Writes the gradients of `c_ap·d(a, p) + c_an·d(a, n) + c_pn·d(p, n)` with respect to
    /// the rows `a`, `p`, `n` (each output that is given; pass `p` or `n` again, with zero
    /// coefficients, for fewer rows). `dist` holds the three norms (as [`PNorm::distance`]
    /// returned them; any value where the coefficient is 0).
    ///
    /// `∂‖d‖/∂d_k` is `d_k/‖d‖` (p = 2), `sign(d_k)` (p = 1) and `sign(d_k)·(|d_k|/‖d‖)^{p−1}`
    /// otherwise, 0 where `‖d‖ = 0` (as ATen's `norm_backward`, which masks the zero norm).
    #[allow(clippy::too_many_arguments)]
    pub fn grads<E: Element>(
        &self,
        rows: [&[E]; 3],
        coef: [f64; 3],
        dist: [f64; 3],
        outs: [Option<&mut [E]>; 3],
        scratch: &mut Vec<f64>,
    ) {
        let n = rows[0].len();
        let e = self.eps;
        match self.kind() {
            Kind::One | Kind::Two => {
                let two = self.kind() == Kind::Two;
                // A zero norm passes nothing (ATen masks it); p = 2 divides by the norm per
                // component, `c·(d/‖d‖)`, as ATen's `grad * (self / norm)`: a one-component
                // difference gives exactly ±c, so opposite terms cancel exactly.
                let k = |q: usize| if two && dist[q] == 0.0 { 0.0 } else { coef[q] };
                let (k1, k2, k3) = (k(0), k(1), k(2));
                let nrm = |q: usize| if two && dist[q] != 0.0 { dist[q] } else { 1.0 };
                let (n1, n2, n3) = (nrm(0), nrm(1), nrm(2));
                row_map(rows, outs, n, |[a, p, m]| {
                    let f = |d: E::V, nq: f64| if two { d / splat(nq) } else { sign(d) };
                    let d1 = f(a - p + splat(e), n1);
                    let d2 = f(a - m + splat(e), n2);
                    let d3 = f(p - m + splat(e), n3);
                    let (t1, t2, t3) = (d1 * splat(k1), d2 * splat(k2), d3 * splat(k3));
                    [t1 + t2, t3 - t1, -(t2 + t3)]
                });
            }
            Kind::General => self.grads_general(rows, coef, dist, outs, scratch),
        }
    }

    /// [`PNorm::grads`] for a general `p`, in f64: per pair, `sign(d)·e^{(p−1)·ln(|d|/‖d‖)}`.
    fn grads_general<E: Element>(
        &self,
        rows: [&[E]; 3],
        coef: [f64; 3],
        dist: [f64; 3],
        mut outs: [Option<&mut [E]>; 3],
        scratch: &mut Vec<f64>,
    ) {
        let n = rows[0].len();
        // Accumulate the three outputs in f64, then round once.
        scratch.clear();
        scratch.resize(5 * n, 0.0);
        let (d, rest) = scratch.split_at_mut(n);
        let (g, acc) = rest.split_at_mut(n);
        let pairs = [(0usize, 1usize), (0, 2), (1, 2)];
        for (q, &(u, v)) in pairs.iter().enumerate() {
            let nq = dist[q];
            if coef[q] == 0.0 || nq == 0.0 {
                continue;
            }
            for k in 0..n {
                d[k] = self.diff64(rows[u][k], rows[v][k]);
            }
            let (inv, pm1) = (1.0 / nq, self.p - 1.0);
            let dd: &[f64] = d;
            row_map::<f64>([dd, dd, dd], [Some(&mut *g), None, None], n, |[x, _, _]| {
                let r = exp(ln(x.abs() * splat(inv)) * splat(pm1));
                [sign(x) * r, x, x]
            });
            for k in 0..n {
                let t = coef[q] * g[k];
                acc[u * n + k] += t;
                acc[v * n + k] -= t;
            }
        }
        for (q, o) in outs.iter_mut().enumerate() {
            if let Some(o) = o {
                for k in 0..n {
                    o[k] = E::from_f64(acc[q * n + k]);
                }
            }
        }
    }
}

/// PyTorch 1.13's `cosine_similarity(x, y, dim, eps)` of a row pair from its three sums
/// `x·y`, `‖x‖²`, `‖y‖²`: the value and the gradient factors `∂c/∂x = αx·y − βx·x`,
/// `∂c/∂y = αy·x − βy·y`, as PyTorch 1.13 computes them (measured: a row of norm 1e-9 with
/// eps 1e-8 gets `−c·x/N²`, not the `−c·x/(N·‖x‖)` of the clamped function).
#[derive(Clone, Copy, Debug)]
pub struct CosineSim {
    pub eps: f64,
}

/// A cosine and its gradient factors (see [`CosineSim`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cosine {
    pub value: f64,
    /// `∂c/∂x = ax·y − bx·x`.
    pub ax: f64,
    pub bx: f64,
    /// `∂c/∂y = ay·x − by·y`.
    pub ay: f64,
    pub by: f64,
}

impl CosineSim {
    /// From `[x·y, ‖x‖², ‖y‖²]`: with `Nx = max(‖x‖, eps)`, `c = x·y/(Nx·Ny)`,
    /// `∂c/∂x = y/(Nx·Ny) − c·x/Nx²` (the second term vanishes for a zero row).
    pub fn of(&self, sums: [f64; 3]) -> Cosine {
        let [xy, xx, yy] = sums;
        let (cx, cy) = (xx.sqrt().max(self.eps), yy.sqrt().max(self.eps));
        let value = xy / (cx * cy);
        let inv = 1.0 / (cx * cy);
        Cosine {
            value,
            ax: inv,
            bx: value / (cx * cx),
            ay: inv,
            by: value / (cy * cy),
        }
    }

    /// `[x·y, ‖x‖², ‖y‖²]` of a row pair.
    pub fn sums<E: Element>(x: &[E], y: &[E]) -> [f64; 3] {
        row_sums([x, y, y], x.len(), |[a, b, _]| [a * b, a * a, b * b])
    }
}

/// Rows `(u, v, w)` → outputs `Σ_q coef[q]·row_q` for each of three outputs: the gradient of a
/// function of cosines, which is linear in the rows (`m[o][q]` multiplies row `q` in output
/// `o`).
pub fn linear3<E: Element>(rows: [&[E]; 3], m: [[f64; 3]; 3], outs: [Option<&mut [E]>; 3]) {
    let n = rows[0].len();
    let c = m.map(|r| r.map(splat::<E::V>));
    row_map(rows, outs, n, |[a, b, d]| {
        c.map(|r| r[0] * a + r[1] * b + r[2] * d)
    });
}

/// `F.pairwise_distance(x, y, p, eps)` over row pairs of `dim` values: `out[r] = ‖x_r − y_r +
/// eps‖_p`.
pub fn pairwise_forward<E: Element>(norm: PNorm, dim: usize, x: &[E], y: &[E], out: &mut [E]) {
    let mut scratch = Vec::new();
    for (r, o) in out.iter_mut().enumerate() {
        let rg = r * dim..(r + 1) * dim;
        *o = E::from_f64(norm.distance(&x[rg.clone()], &y[rg], &mut scratch));
    }
}

/// The gradients of [`pairwise_forward`] for upstream `g` (one value per row, times `scale`).
#[allow(clippy::too_many_arguments)]
pub fn pairwise_backward<E: Element>(
    norm: PNorm,
    dim: usize,
    x: &[E],
    y: &[E],
    g: &[E],
    scale: f64,
    mut gx: Option<&mut [E]>,
    mut gy: Option<&mut [E]>,
) {
    let mut scratch = Vec::new();
    for (r, &gr) in g.iter().enumerate() {
        let rg = r * dim..(r + 1) * dim;
        let (a, b) = (&x[rg.clone()], &y[rg.clone()]);
        let d = norm.distance(a, b, &mut scratch);
        let outs = [
            gx.as_deref_mut().map(|o| &mut o[rg.clone()]),
            gy.as_deref_mut().map(|o| &mut o[rg.clone()]),
            None,
        ];
        norm.grads(
            [a, b, b],
            [gr.to_f64() * scale, 0.0, 0.0],
            [d, 0.0, 0.0],
            outs,
            &mut scratch,
        );
    }
}

/// `F.cosine_similarity(x, y, dim, eps)` of inputs laid out `(outer, d, inner)` (the reduced
/// dimension in the middle): `out[o·inner + j]` is the cosine of the `d`-vectors at `(o, ·, j)`.
/// With `inner = 1` the vectors are contiguous rows (SIMD along them); otherwise SIMD runs
/// across `inner` (neighbouring positions), with no transpose.
pub struct CosineSimilarity {
    pub eps: f64,
    pub outer: usize,
    pub d: usize,
    pub inner: usize,
}

impl CosineSimilarity {
    /// `[x·y, ‖x‖², ‖y‖²]` of every position of outer slice `o`, into `sums` (`3·inner`).
    fn plane_sums<E: Element>(&self, x: &[E], y: &[E], sums: &mut [f64]) {
        let (d, n, lanes) = (self.d, self.inner, E::V::LANES);
        sums.fill(0.0);
        let zero = E::V::splat(E::default());
        let mut j = 0;
        while j < n {
            let k = (n - j).min(lanes);
            let ld = |s: &[E], at: usize| super::load_tail::<E::V>(s, at, k);
            let mut acc = [zero; 3];
            let mut tot = [[0.0f64; 8]; 3];
            for c in 0..d {
                let (a, b) = (ld(x, c * n + j), ld(y, c * n + j));
                acc = [acc[0] + a * b, acc[1] + a * a, acc[2] + b * b];
                if c % crate::driver::FLUSH_VECTORS == crate::driver::FLUSH_VECTORS - 1
                    || c + 1 == d
                {
                    for q in 0..3 {
                        let mut buf = [E::default(); 8];
                        acc[q].store(&mut buf);
                        for l in 0..k {
                            tot[q][l] += buf[l].to_f64();
                        }
                        acc[q] = zero;
                    }
                }
            }
            for q in 0..3 {
                sums[q * n + j..q * n + j + k].copy_from_slice(&tot[q][..k]);
            }
            j += k;
        }
    }

    pub fn forward<E: Element>(&self, x: &[E], y: &[E], out: &mut [E]) {
        let (d, n) = (self.d, self.inner);
        let cs = CosineSim { eps: self.eps };
        let mut sums = vec![0.0; 3 * n];
        for o in 0..self.outer {
            let rg = o * d * n..(o + 1) * d * n;
            if n == 1 {
                out[o] = E::from_f64(cs.of(CosineSim::sums(&x[rg.clone()], &y[rg])).value);
                continue;
            }
            self.plane_sums(&x[rg.clone()], &y[rg], &mut sums);
            for j in 0..n {
                out[o * n + j] = E::from_f64(cs.of([sums[j], sums[n + j], sums[2 * n + j]]).value);
            }
        }
    }

    /// Gradients for upstream `g` (one per output, times `scale`).
    #[allow(clippy::too_many_arguments)]
    pub fn backward<E: Element>(
        &self,
        x: &[E],
        y: &[E],
        g: &[E],
        scale: f64,
        mut gx: Option<&mut [E]>,
        mut gy: Option<&mut [E]>,
    ) {
        let (d, n, lanes) = (self.d, self.inner, E::V::LANES);
        let cs = CosineSim { eps: self.eps };
        let mut sums = vec![0.0; 3 * n];
        let mut co = vec![E::default(); 4 * n];
        for o in 0..self.outer {
            let rg = o * d * n..(o + 1) * d * n;
            let (a, b) = (&x[rg.clone()], &y[rg.clone()]);
            if n == 1 {
                let c = cs.of(CosineSim::sums(a, b));
                let k = g[o].to_f64() * scale;
                let m = [
                    [-k * c.bx, k * c.ax, 0.0],
                    [k * c.ay, -k * c.by, 0.0],
                    [0.0; 3],
                ];
                let outs = [
                    gx.as_deref_mut().map(|v| &mut v[rg.clone()]),
                    gy.as_deref_mut().map(|v| &mut v[rg.clone()]),
                    None,
                ];
                linear3([a, b, b], m, outs);
                continue;
            }
            self.plane_sums(a, b, &mut sums);
            for j in 0..n {
                let c = cs.of([sums[j], sums[n + j], sums[2 * n + j]]);
                let k = g[o * n + j].to_f64() * scale;
                co[j] = E::from_f64(k * c.ax);
                co[n + j] = E::from_f64(k * c.bx);
                co[2 * n + j] = E::from_f64(k * c.ay);
                co[3 * n + j] = E::from_f64(k * c.by);
            }
            let mut j = 0;
            while j < n {
                let w = (n - j).min(lanes);
                let ld = |s: &[E], at: usize| super::load_tail::<E::V>(s, at, w);
                let (ax, bx, ay, by) = (
                    ld(&co, j),
                    ld(&co, n + j),
                    ld(&co, 2 * n + j),
                    ld(&co, 3 * n + j),
                );
                for c in 0..d {
                    let at = c * n + j;
                    let (u, v) = (ld(a, at), ld(b, at));
                    if let Some(gx) = gx.as_deref_mut() {
                        super::store_tail(ax * v - bx * u, &mut gx[rg.clone()], at, w);
                    }
                    if let Some(gy) = gy.as_deref_mut() {
                        super::store_tail(ay * u - by * v, &mut gy[rg.clone()], at, w);
                    }
                }
                j += w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm_ref(x: &[f64], y: &[f64], p: f64, eps: f64) -> f64 {
        x.iter()
            .zip(y)
            .map(|(a, b)| (a - b + eps).abs().powf(p))
            .sum::<f64>()
            .powf(1.0 / p)
    }

    #[test]
    fn p_norms_match_the_definition_for_every_length() {
        let mut s = Vec::new();
        for n in 0..40 {
            let x: Vec<f64> = (0..n)
                .map(|k| ((k * 7919) % 23) as f64 / 7.0 - 1.5)
                .collect();
            let y: Vec<f64> = (0..n)
                .map(|k| ((k * 104729) % 19) as f64 / 5.0 - 2.0)
                .collect();
            for p in [1.0, 2.0, 1.5, 3.0, 7.25] {
                let want = norm_ref(&x, &y, p, 1e-6);
                let got = PNorm { p, eps: 1e-6 }.distance(&x, &y, &mut s);
                assert!(
                    (got - want).abs() <= 1e-13 * want.max(1e-300),
                    "n={n} p={p}: {got} vs {want}"
                );
                let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
                let got32 = PNorm { p, eps: 1e-6 }.distance(&x32, &y32, &mut s);
                assert!(
                    (got32 - want).abs() <= 1e-6 * want.max(1e-30),
                    "f32 n={n} p={p}: {got32} vs {want}"
                );
            }
        }
    }

    #[test]
    fn squares_that_leave_the_f32_range_are_rescaled() {
        let mut s = Vec::new();
        let big = [3e19f32, -4e19];
        let zero = [0.0f32, 0.0];
        let d = PNorm { p: 2.0, eps: 0.0 }.distance(&big, &zero, &mut s);
        assert!((d - 5e19).abs() <= 1e-6 * 5e19, "{d}");
        let tiny = [3e-30f32, 4e-30];
        let d = PNorm { p: 2.0, eps: 0.0 }.distance(&tiny, &zero, &mut s);
        assert!((d - 5e-30).abs() <= 1e-6 * 5e-30, "{d}");
        assert_eq!(
            PNorm { p: 2.0, eps: 0.0 }.distance(&zero, &zero, &mut s),
            0.0
        );
    }

    #[test]
    fn cosine_similarity_across_positions_matches_rows() {
        // (outer 2, d 3, inner 5) against the same vectors gathered into rows.
        let (o, d, n) = (2, 3, 5);
        let x: Vec<f64> = (0..o * d * n)
            .map(|k| ((k * 13) % 11) as f64 / 3.0 - 1.7)
            .collect();
        let y: Vec<f64> = (0..o * d * n)
            .map(|k| ((k * 7) % 9) as f64 / 4.0 - 1.0)
            .collect();
        let g: Vec<f64> = (0..o * n).map(|k| 0.5 + k as f64).collect();
        let plane = CosineSimilarity {
            eps: 1e-8,
            outer: o,
            d,
            inner: n,
        };
        let mut out = vec![0.0; o * n];
        plane.forward(&x, &y, &mut out);
        let (mut gx, mut gy) = (vec![0.0; o * d * n], vec![0.0; o * d * n]);
        plane.backward(&x, &y, &g, 1.0, Some(&mut gx), Some(&mut gy));
        let rows = CosineSimilarity {
            eps: 1e-8,
            outer: 1,
            d,
            inner: 1,
        };
        for p in 0..o {
            for j in 0..n {
                let gather = |v: &[f64]| {
                    (0..d)
                        .map(|c| v[p * d * n + c * n + j])
                        .collect::<Vec<f64>>()
                };
                let (xr, yr) = (gather(&x), gather(&y));
                let mut r = [0.0];
                rows.forward(&xr, &yr, &mut r);
                assert!((r[0] - out[p * n + j]).abs() < 1e-15);
                let (mut rx, mut ry) = (vec![0.0; d], vec![0.0; d]);
                rows.backward(&xr, &yr, &[g[p * n + j]], 1.0, Some(&mut rx), Some(&mut ry));
                assert!(rx
                    .iter()
                    .zip(gather(&gx))
                    .all(|(a, b)| (a - b).abs() < 1e-14));
                assert!(ry
                    .iter()
                    .zip(gather(&gy))
                    .all(|(a, b)| (a - b).abs() < 1e-14));
            }
        }
    }

    #[test]
    fn gradients_match_central_differences() {
        let mut s = Vec::new();
        let a: Vec<f64> = (0..11).map(|k| (k as f64 * 0.37).sin()).collect();
        let p: Vec<f64> = (0..11).map(|k| (k as f64 * 0.91).cos()).collect();
        let n: Vec<f64> = (0..11)
            .map(|k| (k as f64 * 0.13 + 1.0).sin() * 2.0)
            .collect();
        for pw in [1.0, 2.0, 1.5, 3.5] {
            let norm = PNorm { p: pw, eps: 1e-6 };
            let coef = [0.7, -1.3, 0.4];
            let f = |a: &[f64], p: &[f64], n: &[f64], s: &mut Vec<f64>| {
                coef[0] * norm.distance(a, p, s)
                    + coef[1] * norm.distance(a, n, s)
                    + coef[2] * norm.distance(p, n, s)
            };
            let dist = [
                norm.distance(&a, &p, &mut s),
                norm.distance(&a, &n, &mut s),
                norm.distance(&p, &n, &mut s),
            ];
            let (mut ga, mut gp, mut gn) = (vec![0.0; 11], vec![0.0; 11], vec![0.0; 11]);
            norm.grads(
                [&a, &p, &n],
                coef,
                dist,
                [Some(&mut ga), Some(&mut gp), Some(&mut gn)],
                &mut s,
            );
            for k in 0..11 {
                let h = 1e-6;
                for (which, g) in [(0, &ga), (1, &gp), (2, &gn)] {
                    let mut rows = [a.clone(), p.clone(), n.clone()];
                    rows[which][k] += h;
                    let up = f(&rows[0], &rows[1], &rows[2], &mut s);
                    rows[which][k] -= 2.0 * h;
                    let dn = f(&rows[0], &rows[1], &rows[2], &mut s);
                    let num = (up - dn) / (2.0 * h);
                    assert!(
                        (num - g[k]).abs() < 1e-6,
                        "p={pw} row {which} k={k}: {num} vs {}",
                        g[k]
                    );
                }
            }
        }
    }
}
