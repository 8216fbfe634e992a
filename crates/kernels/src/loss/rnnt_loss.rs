//! torchaudio's `rnnt_loss` (Graves, 2012): the RNN-Transducer negative log-likelihood over
//! a (T, U + 1) lattice of joiner outputs, one sample at a time, in log space and in f64.
//!
//! Three passes, so that the (T, U + 1, V) logits stream through wasm memory in chunks of rows
//! and the lattice itself costs O(T·U):
//! 1. [`prepare`]: per row (t, u) of V logits, `skip = x_blank − lse(x)` and `emit = x_{y_u} −
//!    lse(x)` (log-softmax, max-shifted; the logits themselves when `fused` is off, i.e. the
//!    caller passes log-probabilities);
//! 2. [`RnntSample`]: `α(0,0) = 0`, `α(t,u) = lse(α(t−1,u) + skip(t−1,u), α(t,u−1) +
//!    emit(t,u−1))`, `β(T−1,U) = skip(T−1,U)`, `β(t,u) = lse(β(t+1,u) + skip(t,u), β(t,u+1) +
//!    emit(t,u))`, cost `= −β(0,0)`; and, for the gradient, per row the occupancy
//!    `occ = e^(α + β + cost)`, the blank transition's posterior `cb = e^(α + skip + β(t+1,u) +
//!    cost)` (`e^(α + skip + cost)` at the final (T−1, U), 0 at t = T−1 otherwise) and the
//!    label's `cl = e^(α + emit + β(t,u+1) + cost)` (0 at u = U);
//! 3. [`grad_rows`]: `∂x_v = occ·p_v − cb·[v = blank] − cl·[v = y_u]` (fused: the gradient
//!    with respect to the logits), or `−cb·[v = blank] − cl·[v = y_u]` (log-probabilities
//!    given), each clamped to `[−clamp, clamp]` when `clamp > 0` (torchaudio clamps before the
//!    upstream gradient multiplies), then times the upstream gradient.

use crate::driver::{self, Elementwise};
use crate::rows::{log_sum_exp, probs, Lse};
use crate::simd::{Element, Vector};

const NEG_INF: f64 = f64::NEG_INFINITY;

/// `ln(e^a + e^b)`, exact (−inf when both are −inf).
fn lse2(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == NEG_INF {
        return NEG_INF;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// Pass 1 over rows of `classes` logits: writes each row's blank and label log-probabilities
/// into `skip[r]`, `emit[r]` (`y[r] < 0`: no label, `emit[r] = −inf`).
pub fn prepare<E: Element>(
    x: &[E],
    classes: usize,
    blank: usize,
    y: &[i32],
    fused: bool,
    skip: &mut [f64],
    emit: &mut [f64],
) {
    if classes == 0 {
        return;
    }
    for (r, row) in x.chunks_exact(classes).enumerate() {
        let at = |c: usize| row[c].to_f64();
        if fused {
            // log-softmax as (max − x) + log Σ e^(x − max), each term exact or relative
            // (rows::Lse::gap), so a confident row keeps its digits.
            let lse = log_sum_exp(row);
            skip[r] = -lse.gap(at(blank));
            emit[r] = if y[r] >= 0 {
                -lse.gap(at(y[r] as usize))
            } else {
                NEG_INF
            };
        } else {
            skip[r] = at(blank);
            emit[r] = if y[r] >= 0 {
                at(y[r] as usize)
            } else {
                NEG_INF
            };
        }
    }
}

/// One sample's lattice: `skip` and `emit` of its `t_len × (u_len + 1)` rows, row-major
/// (row `t·(u_len + 1) + u`).
pub struct RnntSample<'a> {
    pub skip: &'a [f64],
    pub emit: &'a [f64],
    pub t_len: usize,
    pub u_len: usize,
}

impl RnntSample<'_> {
    /// The cost `−ln P(y | x)`; with `coef`, also writes `[occ, cb, cl]` per row (3 values
    /// per row, row-major as the lattice). `t_len ≥ 1`.
    pub fn run(&self, coef: Option<&mut [f64]>) -> f64 {
        let (t_len, w) = (self.t_len, self.u_len + 1);
        let n = t_len * w;
        let (skip, emit) = (&self.skip[..n], &self.emit[..n]);
        let mut beta = vec![NEG_INF; n];
        let last = n - 1;
        beta[last] = skip[last];
        for t in (0..t_len).rev() {
            for u in (0..w).rev() {
                let i = t * w + u;
                if i == last {
                    continue;
                }
                let down = if t + 1 < t_len {
                    beta[i + w] + skip[i]
                } else {
                    NEG_INF
                };
                let right = if u + 1 < w {
                    beta[i + 1] + emit[i]
                } else {
                    NEG_INF
                };
                beta[i] = lse2(down, right);
            }
        }
        let cost = -beta[0];
        let Some(coef) = coef else {
            return cost;
        };
        let mut alpha = vec![NEG_INF; n];
        alpha[0] = 0.0;
        for t in 0..t_len {
            for u in 0..w {
                let i = t * w + u;
                if i == 0 {
                    continue;
                }
                let from_t = if t > 0 {
                    alpha[i - w] + skip[i - w]
                } else {
                    NEG_INF
                };
                let from_u = if u > 0 {
                    alpha[i - 1] + emit[i - 1]
                } else {
                    NEG_INF
                };
                alpha[i] = lse2(from_t, from_u);
            }
        }
        let coef = &mut coef[..3 * n];
        if !cost.is_finite() {
            coef.fill(f64::NAN);
            return cost;
        }
        for t in 0..t_len {
            for u in 0..w {
                let i = t * w + u;
                let a = alpha[i] + cost;
                let occ = (a + beta[i]).exp();
                let cb = if t + 1 < t_len {
                    (a + skip[i] + beta[i + w]).exp()
                } else if u + 1 == w {
                    (a + skip[i]).exp()
                } else {
                    0.0
                };
                let cl = if u + 1 < w {
                    (a + emit[i] + beta[i + 1]).exp()
                } else {
                    0.0
                };
                coef[3 * i] = occ;
                coef[3 * i + 1] = cb;
                coef[3 * i + 2] = cl;
            }
        }
        cost
    }
}

/// `clamp(occ·p)·g` over a row (`occ`, `clamp`, `g` per row; `clamp ≤ 0`: none).
struct OccGrad {
    lse: Lse,
    occ: f64,
    clamp: f64,
    g: f64,
}
impl Elementwise for OccGrad {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        let s = |c: f64| V::splat(V::Elem::from_f64(c));
        let mut v = s(self.occ) * probs(x, self.lse);
        if self.clamp > 0.0 {
            // v ≥ 0 here: only the upper bound can bind.
            v = v.pmin(s(self.clamp));
        }
        v * s(self.g)
    }
}

fn clamp(v: f64, c: f64) -> f64 {
    if c > 0.0 {
        v.max(-c).min(c)
    } else {
        v
    }
}

/// Pass 3 over rows of `classes` logits: per row `r`, `par[4r..4r+4] = [occ, cb, cl, g]`,
/// `y[r]` the row's label (< 0: none; −2: a row outside the sample's lattice, written 0).
#[allow(clippy::too_many_arguments)]
pub fn grad_rows<E: Element>(
    x: &[E],
    classes: usize,
    blank: usize,
    y: &[i32],
    fused: bool,
    clamp_to: f64,
    par: &[f64],
    out: &mut [E],
) {
    if classes == 0 {
        return;
    }
    for (r, (row, o)) in x
        .chunks_exact(classes)
        .zip(out.chunks_exact_mut(classes))
        .enumerate()
    {
        let [occ, cb, cl, g] = [par[4 * r], par[4 * r + 1], par[4 * r + 2], par[4 * r + 3]];
        if y[r] == -2 {
            o.fill(E::default());
            continue;
        }
        let lse = if fused { Some(log_sum_exp(row)) } else { None };
        match lse {
            Some(lse) => {
                let body = OccGrad {
                    lse,
                    occ,
                    clamp: clamp_to,
                    g,
                };
                driver::forward(&body, row, row, None, Some(o));
            }
            None => o.fill(E::default()),
        }
        // The two transitions, in f64: occ·p − posterior is a difference of close numbers
        // wherever the lattice is confident.
        let p = |c: usize| lse.map_or(0.0, |l| (-l.gap(row[c].to_f64())).exp());
        let pb = p(blank);
        o[blank] = E::from_f64(clamp(occ * pb - cb, clamp_to) * g);
        if y[r] >= 0 {
            let k = y[r] as usize;
            let base = if k == blank {
                occ * pb - cb
            } else {
                occ * p(k)
            };
            o[k] = E::from_f64(clamp(base - cl, clamp_to) * g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64)
    }

    /// Cost and logit gradient of one sample, through the three passes.
    fn run(
        x: &[f64],
        t_len: usize,
        labels: &[i32],
        v: usize,
        blank: usize,
        fused: bool,
    ) -> (f64, Vec<f64>) {
        let w = labels.len() + 1;
        let rows = t_len * w;
        let y: Vec<i32> = (0..rows)
            .map(|r| labels.get(r % w).copied().unwrap_or(-1))
            .collect();
        let (mut skip, mut emit) = (vec![0.0; rows], vec![0.0; rows]);
        prepare(x, v, blank, &y, fused, &mut skip, &mut emit);
        let s = RnntSample {
            skip: &skip,
            emit: &emit,
            t_len,
            u_len: labels.len(),
        };
        let mut coef = vec![0.0; 3 * rows];
        let cost = s.run(Some(&mut coef));
        let par: Vec<f64> = (0..rows)
            .flat_map(|r| [coef[3 * r], coef[3 * r + 1], coef[3 * r + 2], 1.0])
            .collect();
        let mut g = vec![0.0; rows * v];
        grad_rows(x, v, blank, &y, fused, -1.0, &par, &mut g);
        (cost, g)
    }

    /// Brute force: sum over every monotone lattice path (T blanks and U labels in any order
    /// ending with the final blank).
    fn brute(x: &[f64], t_len: usize, labels: &[i32], v: usize, blank: usize) -> f64 {
        let w = labels.len() + 1;
        let lp = |t: usize, u: usize, c: usize| {
            let row = &x[(t * w + u) * v..(t * w + u + 1) * v];
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = row.iter().map(|z| (z - m).exp()).sum();
            row[c] - m - s.ln()
        };
        // paths: sequences of T−1 blanks and U labels (the final blank at (T−1, U) is fixed)
        let moves = t_len - 1 + labels.len();
        let mut total = 0.0;
        for mask in 0u32..(1 << moves) {
            if mask.count_ones() as usize != labels.len() {
                continue;
            }
            let (mut t, mut u, mut lpsum) = (0, 0, 0.0);
            for k in 0..moves {
                if mask >> k & 1 == 1 {
                    lpsum += lp(t, u, labels[u] as usize);
                    u += 1;
                } else {
                    lpsum += lp(t, u, blank);
                    t += 1;
                }
            }
            lpsum += lp(t, u, blank);
            total += f64::exp(lpsum);
        }
        -total.ln()
    }

    #[test]
    fn cost_and_gradient() {
        let mut seed = 3u64;
        let (t_len, labels, v, blank) = (4usize, [1, 2, 1], 4usize, 0usize);
        let w = labels.len() + 1;
        let x: Vec<f64> = (0..t_len * w * v)
            .map(|_| 4.0 * rng(&mut seed) - 2.0)
            .collect();
        let (cost, g) = run(&x, t_len, &labels, v, blank, true);
        let want = brute(&x, t_len, &labels, v, blank);
        assert!((cost - want).abs() < 1e-12 * want, "{cost} vs {want}");
        for i in 0..x.len() {
            let h = 1e-6;
            let mut xp = x.clone();
            xp[i] += h;
            let mut xm = x.clone();
            xm[i] -= h;
            let num = (brute(&xp, t_len, &labels, v, blank) - brute(&xm, t_len, &labels, v, blank))
                / (2.0 * h);
            assert!((num - g[i]).abs() < 1e-7, "{i}: {num} vs {}", g[i]);
        }
    }

    /// With log-probabilities given (fused off), the gradient is the literal derivative.
    #[test]
    fn unfused_gradient() {
        let mut seed = 5u64;
        let (t_len, labels, v, blank) = (3usize, [2, 2], 3usize, 1usize);
        let w = labels.len() + 1;
        let x: Vec<f64> = (0..t_len * w * v).map(|_| -3.0 * rng(&mut seed)).collect();
        let cost_of = |x: &[f64]| run(x, t_len, &labels, v, blank, false).0;
        let (_, g) = run(&x, t_len, &labels, v, blank, false);
        for i in 0..x.len() {
            let h = 1e-6;
            let mut xp = x.clone();
            xp[i] += h;
            let mut xm = x.clone();
            xm[i] -= h;
            let num = (cost_of(&xp) - cost_of(&xm)) / (2.0 * h);
            assert!((num - g[i]).abs() < 1e-7, "{i}: {num} vs {}", g[i]);
        }
    }
}
