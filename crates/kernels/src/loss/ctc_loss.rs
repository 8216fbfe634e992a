//! `F.ctc_loss` (Graves et al., 2006): the negative log-likelihood of a label sequence summed
//! over every alignment, one sample at a time, in f64 whatever the input's type (a float32
//! recursion over T = 500 frames loses about three digits of the gradient).
//!
//! A sample is given as its *gathered* log-probabilities: `t_len` rows of `L + 1` values,
//! column 0 the blank's log-probability at that frame and column `k + 1` that of the target's
//! `k`-th label. The caller gathers them from the (T, N, C) input, so the recursion costs
//! O(T·L) whatever the vocabulary size C, and its memory is O(T·L).
//!
//! Extended labels `l'` = blank, l₀, blank, l₁, …, blank (S = 2L + 1 states; state `s` reads
//! column 0 when even, column `(s + 1)/2` when odd). With `y_t(s)` the log-probability of
//! `l'_s` at frame t:
//! - `α_0(0) = y_0(0)`, `α_0(1) = y_0(1)`; `α_t(s) = y_t(s) + lse(α_{t−1}(s), α_{t−1}(s−1),
//!   α_{t−1}(s−2))`, the last term only where `l'_s ≠ l'_{s−2}` (a label state whose label
//!   differs from the previous label: repeated labels need a blank between them);
//! - `nll = −lse(α_{T−1}(S−1), α_{T−1}(S−2))` (only the last state when L = 0); an empty
//!   input (T = 0) gives 0 for an empty target, +inf otherwise;
//! - backward, with `β'_t(s) = lse(β_{t+1}(s), β_{t+1}(s+1), β_{t+1}(s+2))` (the skip where
//!   `l'_{s+2} ≠ l'_s`), `β_t(s) = β'_t(s) + y_t(s)`, `β'_{T−1}` = 0 at the two final states:
//!   the posterior occupancy of state s at frame t is `q_t(s) = e^(α_t(s) + β'_t(s) + nll)`,
//!   and the gradient PyTorch returns for class c at frame t is `g·(e^(lp_t(c)) − Σ_{s: l'_s = c}
//!   q_t(s))`: the derivative with respect to the logits behind a log-softmax, not the literal
//!   derivative `−Σ q` with respect to the log-probabilities (the two differ by `g·e^lp`,
//!   which the log-softmax's own backward removes again).
//!
//! PyTorch forms `lcab + nll − lp` with `lcab = ln Σ α·β` (β holding `y_t(s)`), which is
//! `−inf − (−inf) = NaN` where a target class has log-probability −inf; `β'` excludes the
//! frame's own emission, so the posterior is exactly 0 there (the limit).
//!
//! Two evaluations of the same recursions, both vectorised across states:
//! - the fast path ([`CtcSample::forward`], [`CtcSample::backward`]): Rabiner's scaling in
//!   probability space, no transcendental per state (see [`FLOOR`]); a sample where any value
//!   would underflow takes
//! - the log-space path ([`CtcSample::forward_log`], [`CtcSample::backward_log`]), exact for
//!   any input, as PyTorch computes it.
//!
//! In the log-space path each frame's log-sum-exp uses the frame's max as the shift:
//! `e(s) = e^(α_{t−1}(s) − M)` once per state, then `α_t(s) = y_t(s) + M + ln(e(s) + e(s−1) +
//! e(s−2))` (one exponential and one logarithm per state instead of three and one). Where
//! that sum falls below 1e-290 (states more than ~667 nats behind the frame's best, whose
//! shifted terms may have underflowed) the state is recomputed exactly with its own max.

use crate::math::{exp, ln};
use crate::rows::max;
use crate::simd::{Element, Vector};

type V = <f64 as Element>::V;
const LANES: usize = <V as Vector>::LANES;
/// Below this a shifted sum may have lost terms to underflow: recompute the state exactly.
const TINY: f64 = 1e-290;
const NEG_INF: f64 = f64::NEG_INFINITY;

fn round_up(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// `ln(e^a + e^b + e^c)`, exact in f64 (−inf when all are −inf).
fn lse3(a: f64, b: f64, c: f64) -> f64 {
    let m = a.max(b).max(c);
    if m == NEG_INF {
        return NEG_INF;
    }
    if m.is_nan() || a.is_nan() || b.is_nan() || c.is_nan() {
        return f64::NAN;
    }
    m + ((a - m).exp() + (b - m).exp() + (c - m).exp()).ln()
}

/// One sample of the CTC loss (see the module documentation for the layout).
pub struct CtcSample<'a, E> {
    /// `t_len × (L + 1)` gathered log-probabilities.
    pub lp: &'a [E],
    /// The sample's L target labels (only their equalities matter here).
    pub labels: &'a [i32],
    /// Input length T (frames).
    pub t_len: usize,
}

/// Workspace of the recursions, reused across samples.
#[derive(Default)]
pub struct Workspace {
    /// α rows of every frame (backward) or the two rolling rows (forward).
    alpha: Vec<f64>,
    cur: Vec<f64>,
    e: Vec<f64>,
    /// 1 where state s may be entered from s − 2, else 0 (padded).
    skip: Vec<f64>,
    /// The frame's log-probabilities per state.
    lpx: Vec<f64>,
    post: Vec<f64>,
    /// The frame's emission factors per column (scaled path).
    yc: Vec<f64>,
}

impl<E: Element> CtcSample<'_, E> {
    fn cols(&self) -> usize {
        self.labels.len() + 1
    }
    fn states(&self) -> usize {
        2 * self.labels.len() + 1
    }

    /// Fills `ws.skip` (length `S + 2` rounded up, zero padded) and sizes the buffers.
    fn prepare(&self, ws: &mut Workspace) -> usize {
        let s2 = self.states();
        let sp = round_up(s2);
        ws.skip.clear();
        ws.skip.resize(sp + 2 * LANES, 0.0);
        for k in 1..self.labels.len() {
            if self.labels[k] != self.labels[k - 1] {
                ws.skip[2 * k + 1] = 1.0;
            }
        }
        ws.cur.clear();
        ws.cur.resize(sp, NEG_INF);
        ws.e.clear();
        ws.e.resize(sp + 2 * LANES, 0.0);
        ws.lpx.clear();
        ws.lpx.resize(sp, NEG_INF);
        sp
    }

    /// The frame's per-state log-probabilities into `lpx` (padding stays −inf).
    fn expand(&self, t: usize, lpx: &mut [f64]) {
        let c = self.cols();
        let row = &self.lp[t * c..(t + 1) * c];
        let blank = row[0].to_f64();
        lpx[0] = blank;
        for k in 1..c {
            lpx[2 * k - 1] = row[k].to_f64();
            lpx[2 * k] = blank;
        }
    }

    /// α_t from α_{t−1} (`prev`) into `cur`, states `[0, hi)` (the rest stay −inf).
    fn alpha_step(
        &self,
        prev: &[f64],
        cur: &mut [f64],
        ws_e: &mut [f64],
        skip: &[f64],
        lpx: &[f64],
        hi: usize,
    ) {
        let m = max(&prev[..hi]);
        if !m.is_finite() {
            // Every predecessor −inf (no alignment reaches this frame) or a NaN among them.
            cur[..hi].fill(if m.is_nan() { f64::NAN } else { NEG_INF });
            return;
        }
        // e[s + 2] = e^(α_{t−1}(s) − M); e[0], e[1] = 0 (no state −1, −2).
        let mv = V::splat(m);
        ws_e[0] = 0.0;
        ws_e[1] = 0.0;
        let mut s = 0;
        while s < hi {
            let v = exp(V::load(&prev[s..]) - mv);
            let mut buf = [0.0f64; LANES];
            v.store(&mut buf);
            ws_e[s + 2..s + 2 + LANES].copy_from_slice(&buf);
            s += LANES;
        }
        let tiny = V::splat(TINY);
        let mut s = 0;
        while s < hi {
            let e0 = V::load(&ws_e[s + 2..]);
            let e1 = V::load(&ws_e[s + 1..]);
            let e2 = V::load(&ws_e[s..]);
            let sum = e0 + e1 + V::load(&skip[s..]) * e2;
            let y = V::load(&lpx[s..]);
            let r = y + mv + ln(sum);
            r.store(&mut cur[s..]);
            let low = sum.lt(tiny);
            if V::any(low) {
                for j in s..s + LANES {
                    if ws_e[j + 2] + ws_e[j + 1] + skip[j] * ws_e[j] < TINY && lpx[j] != NEG_INF {
                        let a = prev[j];
                        let b = if j >= 1 { prev[j - 1] } else { NEG_INF };
                        let c = if skip[j] != 0.0 { prev[j - 2] } else { NEG_INF };
                        cur[j] = lpx[j] + lse3(a, b, c);
                    }
                }
            }
            s += LANES;
        }
    }

    /// Runs the α recursion; with `keep`, every frame's row is kept in `ws.alpha`
    /// (`t_len × padded states`). Returns the negative log-likelihood.
    fn alpha(&self, ws: &mut Workspace, keep: bool) -> f64 {
        let t_len = self.t_len;
        let l = self.labels.len();
        if t_len == 0 {
            return if l == 0 { 0.0 } else { f64::INFINITY };
        }
        let s2 = self.states();
        let sp = self.prepare(ws);
        let rows = if keep { t_len } else { 2 };
        ws.alpha.clear();
        ws.alpha.resize(rows * sp, NEG_INF);
        let Workspace {
            alpha,
            e,
            skip,
            lpx,
            ..
        } = ws;
        self.expand(0, lpx);
        alpha[0] = lpx[0];
        if s2 > 1 {
            alpha[1] = lpx[1];
        }
        for t in 1..t_len {
            self.expand(t, lpx);
            // States above 2t + 1 are unreachable at frame t: they stay −inf.
            let hi = round_up((2 * t + 2).min(s2));
            let (pi, ci) = if keep {
                (t - 1, t)
            } else {
                ((t - 1) % 2, t % 2)
            };
            let (prev, cur) = if pi < ci {
                let (a, b) = alpha.split_at_mut(ci * sp);
                (&a[pi * sp..(pi + 1) * sp], &mut b[..sp])
            } else {
                let (a, b) = alpha.split_at_mut(pi * sp);
                (&b[..sp], &mut a[ci * sp..(ci + 1) * sp])
            };
            self.alpha_step(prev, cur, e, skip, lpx, hi);
        }
        let last = if keep { t_len - 1 } else { (t_len - 1) % 2 };
        let row = &alpha[last * sp..(last + 1) * sp];
        let ll = if l == 0 {
            row[0]
        } else {
            lse3(row[s2 - 1], row[s2 - 2], NEG_INF)
        };
        -ll
    }

    /// The negative log-likelihood (+inf when no alignment exists).
    pub fn forward(&self, ws: &mut Workspace) -> f64 {
        match self.alpha_scaled(ws, false) {
            Some(nll) => nll,
            None => self.forward_log(ws),
        }
    }

    /// [`Self::forward`] by the log-space recursion alone.
    pub fn forward_log(&self, ws: &mut Workspace) -> f64 {
        self.alpha(ws, false)
    }

    /// Writes `corr[t][k] = g·(e^(lp_t(k)) − posterior of column k's class at frame t)` for
    /// every frame `t < t_len` and column k (repeated labels: each of their columns holds the
    /// class's total), and returns the nll. A sample without alignment (nll = +inf) gets NaN
    /// everywhere (PyTorch's `−inf + inf`), or 0 with `zero_infinity`.
    pub fn backward(&self, ws: &mut Workspace, g: f64, zero_infinity: bool, corr: &mut [E]) -> f64 {
        match self.backward_scaled(ws, g, zero_infinity, corr) {
            Some(nll) => nll,
            None => self.backward_log(ws, g, zero_infinity, corr),
        }
    }

    /// [`Self::backward`] by the log-space recursion alone.
    pub fn backward_log(
        &self,
        ws: &mut Workspace,
        g: f64,
        zero_infinity: bool,
        corr: &mut [E],
    ) -> f64 {
        let nll = self.alpha(ws, true);
        let t_len = self.t_len;
        let c = self.cols();
        let corr = &mut corr[..t_len * c];
        if !nll.is_finite() {
            let zero = zero_infinity && nll == f64::INFINITY;
            corr.fill(E::from_f64(if zero { 0.0 } else { f64::NAN }));
            return nll;
        }
        let l = self.labels.len();
        let s2 = self.states();
        let sp = round_up(s2);
        // first[k]: the first label column with the same class as label k (repeated labels
        // share one posterior).
        let first: Vec<usize> = (0..l)
            .map(|k| {
                (0..=k)
                    .find(|&j| self.labels[j] == self.labels[k])
                    .unwrap_or(k)
            })
            .collect();
        let Workspace {
            alpha,
            cur,
            e,
            skip,
            lpx,
            post,
            ..
        } = ws;
        post.clear();
        post.resize(c, 0.0);
        // β rows: `next` (frame t + 1) and `cur` (frame t); bprime holds β'_t.
        let mut next = vec![NEG_INF; sp];
        let mut bprime = vec![NEG_INF; sp];
        let nllv = V::splat(nll);
        let mut q = vec![0.0f64; sp];
        for t in (0..t_len).rev() {
            self.expand(t, lpx);
            // States below `lo` cannot reach the end from frame t: β' stays −inf.
            let lo_state = s2.saturating_sub(2 * (t_len - t));
            let lo = lo_state / LANES * LANES;
            bprime.fill(NEG_INF);
            if t == t_len - 1 {
                bprime[s2 - 1] = 0.0;
                if s2 > 1 {
                    bprime[s2 - 2] = 0.0;
                }
            } else {
                let m = max(&next[..]);
                if m.is_finite() {
                    let mv = V::splat(m);
                    // e[s] = e^(β_{t+1}(s) − M), zero past the last state.
                    e[sp..].fill(0.0);
                    let mut s = lo;
                    while s < sp {
                        exp(V::load(&next[s..]) - mv).store(&mut e[s..]);
                        s += LANES;
                    }
                    let tiny = V::splat(TINY);
                    let mut s = lo;
                    while s < sp {
                        let sum = V::load(&e[s..])
                            + V::load(&e[s + 1..])
                            + V::load(&skip[s + 2..]) * V::load(&e[s + 2..]);
                        (mv + ln(sum)).store(&mut bprime[s..]);
                        if V::any(sum.lt(tiny)) {
                            for j in s..(s + LANES).min(s2) {
                                if e[j] + e[j + 1] + skip[j + 2] * e[j + 2] < TINY {
                                    let b = if j + 1 < s2 { next[j + 1] } else { NEG_INF };
                                    let cc = if skip[j + 2] != 0.0 {
                                        next[j + 2]
                                    } else {
                                        NEG_INF
                                    };
                                    bprime[j] = lse3(next[j], b, cc);
                                }
                            }
                        }
                        s += LANES;
                    }
                    for v in bprime[s2..].iter_mut() {
                        *v = NEG_INF;
                    }
                } else if m.is_nan() {
                    bprime[..s2].fill(f64::NAN);
                }
            }
            // q_t(s) = e^(α_t(s) + β'_t(s) + nll); β_t = β'_t + y_t for the next frame down.
            let arow = &alpha[t * sp..(t + 1) * sp];
            let mut s = 0;
            while s < sp {
                let b = V::load(&bprime[s..]);
                exp(V::load(&arow[s..]) + b + nllv).store(&mut q[s..]);
                (b + V::load(&lpx[s..])).store(&mut cur[s..]);
                s += LANES;
            }
            // Posterior per column: the blank's over the even states, each label's over its
            // occurrences.
            post.fill(0.0);
            let mut blank = 0.0;
            for k in 0..=l {
                blank += q[2 * k];
            }
            post[0] = blank;
            for k in 0..l {
                post[1 + first[k]] += q[2 * k + 1];
            }
            let row = &self.lp[t * c..(t + 1) * c];
            let out = &mut corr[t * c..(t + 1) * c];
            out[0] = E::from_f64(g * (row[0].to_f64().exp() - post[0]));
            for k in 0..l {
                let p = post[1 + first[k]];
                out[k + 1] = E::from_f64(g * (row[k + 1].to_f64().exp() - p));
            }
            core::mem::swap(&mut next, cur);
        }
        nll
    }
}

/// The fast path: Rabiner's scaled recursion in probability space. Each frame's emission
/// probabilities are `e^(y − μ_t)` with `μ_t` the frame's largest log-probability (so they lie
/// in (0, 1]), each frame's α (β') row is divided by its maximum, and the logarithms of those
/// factors are summed (compensated): `α_t(s) = (α_{t−1}(s) + α_{t−1}(s−1) + α_{t−1}(s−2))·y`
/// is three additions and a product per state, no transcendental. A state whose value would
/// drop below 1e-300 (more than ~690 nats behind its frame's best, where f64 starts losing
/// digits to underflow) makes the sample take the log-space recursion instead (`None`), as do
/// NaN and +inf log-probabilities.
const FLOOR: f64 = 1e-300;

impl<E: Element> CtcSample<'_, E> {
    /// The frame's emission factors `e^(lp − μ)` per state into `y` (columns into `yc`),
    /// returning `μ`; `None` for a NaN or +inf log-probability, or a finite one whose factor
    /// underflows (below [`FLOOR`]). A factor is 0 exactly where its log-probability is −inf.
    fn emissions(&self, t: usize, yc: &mut [f64], y: &mut [f64]) -> Option<f64> {
        let c = self.cols();
        let row = &self.lp[t * c..(t + 1) * c];
        let mut mu = NEG_INF;
        for v in row {
            let v = v.to_f64();
            if v.is_nan() || v == f64::INFINITY {
                return None;
            }
            mu = mu.max(v);
        }
        let shift = if mu == NEG_INF { 0.0 } else { mu };
        for (o, v) in yc.iter_mut().zip(row) {
            *o = v.to_f64() - shift;
        }
        let mut k = 0;
        while k < c {
            exp(V::load(&yc[k..])).store(&mut yc[k..]);
            k += LANES;
        }
        for k in 0..c {
            if yc[k] < FLOOR && row[k].to_f64() > NEG_INF {
                return None;
            }
        }
        y[0] = yc[0];
        for k in 1..c {
            y[2 * k - 1] = yc[k];
            y[2 * k] = yc[0];
        }
        Some(mu)
    }

    /// Scaled α. Rows have stride `sp + 2` with two leading zeros (states −2, −1), so that a
    /// state's three predecessors are plain loads. With `keep`, every frame's row is kept
    /// (normalised to max 1). Returns the nll, or `None` (take the log-space path).
    fn alpha_scaled(&self, ws: &mut Workspace, keep: bool) -> Option<f64> {
        let t_len = self.t_len;
        let l = self.labels.len();
        if t_len == 0 {
            return Some(if l == 0 { 0.0 } else { f64::INFINITY });
        }
        let s2 = self.states();
        let sp = self.prepare(ws);
        let stride = sp + 2;
        let rows = if keep { t_len } else { 2 };
        ws.alpha.clear();
        ws.alpha.resize(rows * stride, 0.0);
        ws.post.clear();
        ws.post.resize(sp, 0.0);
        ws.yc.clear();
        ws.yc.resize(round_up(self.cols()), 0.0);
        let Workspace {
            alpha,
            skip,
            post: y,
            yc,
            ..
        } = ws;
        let mut logp = crate::driver::Sum::default();
        let (zero, floor) = (V::splat(0.0), V::splat(FLOOR));
        for t in 0..t_len {
            let mu = self.emissions(t, yc, y)?;
            if mu == NEG_INF {
                return Some(f64::INFINITY);
            }
            let ci = if keep { t } else { t % 2 };
            let mut m = zero;
            let hi = round_up((2 * t + 2).min(s2));
            if t == 0 {
                let row = &mut alpha[ci * stride..(ci + 1) * stride];
                // (underflowing factors were refused by `emissions`)
                row[2..2 + s2.min(2)].copy_from_slice(&y[..s2.min(2)]);
                m = V::load(&row[2..]);
            } else {
                let pi = if keep { t - 1 } else { (t - 1) % 2 };
                let (prev, cur) = if pi < ci {
                    let (a, b) = alpha.split_at_mut(ci * stride);
                    (&a[pi * stride..(pi + 1) * stride], &mut b[..stride])
                } else {
                    let (a, b) = alpha.split_at_mut(pi * stride);
                    (&b[..stride], &mut a[ci * stride..(ci + 1) * stride])
                };
                let mut s = 0;
                let mut lost = false;
                while s < hi {
                    let sum = V::load(&prev[s + 2..])
                        + V::load(&prev[s + 1..])
                        + V::load(&skip[s..]) * V::load(&prev[s..]);
                    let ys = V::load(&y[s..]);
                    let v = sum * ys;
                    let at_risk = V::mask_and(sum.gt(zero), ys.gt(zero));
                    lost |= V::any(V::mask_and(v.lt(floor), at_risk));
                    v.store(&mut cur[s + 2..]);
                    m = m.max(v);
                    s += LANES;
                }
                if lost {
                    return None;
                }
            }
            let row = &mut alpha[ci * stride..(ci + 1) * stride];
            let mut buf = [0.0f64; LANES];
            m.store(&mut buf);
            let c = buf.iter().cloned().fold(0.0, f64::max);
            if c == 0.0 {
                // No alignment reaches frame t.
                return Some(f64::INFINITY);
            }
            let inv = V::splat(1.0 / c);
            let mut s = 0;
            while s < hi {
                (V::load(&row[s + 2..]) * inv).store(&mut row[s + 2..]);
                s += LANES;
            }
            logp.add(c.ln() + mu);
        }
        let last = if keep { t_len - 1 } else { (t_len - 1) % 2 };
        let row = &alpha[last * stride + 2..(last + 1) * stride];
        let end = if l == 0 {
            row[0]
        } else {
            row[s2 - 1] + row[s2 - 2]
        };
        if end == 0.0 {
            return Some(f64::INFINITY);
        }
        logp.add(end.ln());
        Some(-logp.value())
    }

    /// The scaled backward: α rows from [`Self::alpha_scaled`], then β' by the same scheme,
    /// the posterior of state s at frame t as `α̂_t(s)·β̂'_t(s) / Σ_s' α̂_t(s')·β̂'_t(s')` (the
    /// frame's total is P(target), whatever the scales). `None`: take the log-space path.
    fn backward_scaled(
        &self,
        ws: &mut Workspace,
        g: f64,
        zero_infinity: bool,
        corr: &mut [E],
    ) -> Option<f64> {
        let nll = self.alpha_scaled(ws, true)?;
        let t_len = self.t_len;
        let c = self.cols();
        let corr = &mut corr[..t_len * c];
        if !nll.is_finite() {
            let zero = zero_infinity && nll == f64::INFINITY;
            corr.fill(E::from_f64(if zero { 0.0 } else { f64::NAN }));
            return Some(nll);
        }
        let l = self.labels.len();
        let s2 = self.states();
        let sp = round_up(s2);
        let stride = sp + 2;
        let first: Vec<usize> = (0..l)
            .map(|k| {
                (0..=k)
                    .find(|&j| self.labels[j] == self.labels[k])
                    .unwrap_or(k)
            })
            .collect();
        let Workspace {
            alpha,
            e: next,
            skip,
            post: y,
            cur: q,
            yc,
            ..
        } = ws;
        // next: β_{t+1} = β̂'_{t+1}·y_{t+1}, with two trailing zeros (states S, S + 1).
        next.clear();
        next.resize(sp + 2 * LANES, 0.0);
        let mut bp = vec![0.0f64; sp];
        let mut colpost = vec![0.0f64; c];
        let mut ex = vec![0.0f64; round_up(c)];
        let (zero, floor) = (V::splat(0.0), V::splat(FLOOR));
        for t in (0..t_len).rev() {
            self.emissions(t, yc, y)?;
            bp.fill(0.0);
            if t == t_len - 1 {
                bp[s2 - 1] = 1.0;
                if s2 > 1 {
                    bp[s2 - 2] = 1.0;
                }
            } else {
                let lo = s2.saturating_sub(2 * (t_len - t)) / LANES * LANES;
                let mut m = zero;
                let mut s = lo;
                while s < sp {
                    let v = V::load(&next[s..])
                        + V::load(&next[s + 1..])
                        + V::load(&skip[s + 2..]) * V::load(&next[s + 2..]);
                    v.store(&mut bp[s..]);
                    m = m.max(v);
                    s += LANES;
                }
                let mut buf = [0.0f64; LANES];
                m.store(&mut buf);
                let d = buf.iter().cloned().fold(0.0, f64::max);
                if d == 0.0 {
                    return None;
                }
                let inv = V::splat(1.0 / d);
                let mut s = lo;
                while s < sp {
                    (V::load(&bp[s..]) * inv).store(&mut bp[s..]);
                    s += LANES;
                }
            }
            // Posteriors of the frame's states, normalised by their total.
            let arow = &alpha[t * stride + 2..(t + 1) * stride];
            let mut tot = zero;
            let mut s = 0;
            while s < sp {
                let v = V::load(&arow[s..]) * V::load(&bp[s..]);
                v.store(&mut q[s..]);
                tot = tot + v;
                s += LANES;
            }
            let z = tot.sum_f64();
            if z.is_nan() || z < FLOOR {
                return None;
            }
            // β_t = β̂'_t·y_t for the frame below.
            let mut lost = false;
            let mut s = 0;
            while s < sp {
                let b = V::load(&bp[s..]);
                let ys = V::load(&y[s..]);
                let v = b * ys;
                lost |= V::any(V::mask_and(
                    v.lt(floor),
                    V::mask_and(b.gt(zero), ys.gt(zero)),
                ));
                v.store(&mut next[s..]);
                s += LANES;
            }
            if lost && t > 0 {
                return None;
            }
            let iz = 1.0 / z;
            colpost.fill(0.0);
            let mut blank = 0.0;
            for k in 0..=l {
                blank += q[2 * k];
            }
            colpost[0] = blank * iz;
            for k in 0..l {
                colpost[1 + first[k]] += q[2 * k + 1] * iz;
            }
            let row = &self.lp[t * c..(t + 1) * c];
            for (x, r) in ex.iter_mut().zip(row) {
                *x = r.to_f64();
            }
            let mut k = 0;
            while k < c {
                exp(V::load(&ex[k..])).store(&mut ex[k..]);
                k += LANES;
            }
            let out = &mut corr[t * c..(t + 1) * c];
            out[0] = E::from_f64(g * (ex[0] - colpost[0]));
            for k in 0..l {
                out[k + 1] = E::from_f64(g * (ex[k + 1] - colpost[1 + first[k]]));
            }
        }
        Some(nll)
    }
}

/// The dense part of the CTC gradient: `out[r][c] = scale[r]·e^(x[r][c])` for rows of
/// `classes` log-probabilities (rows are (t, n) pairs; the scale is the sample's upstream
/// gradient before its input length, 0 after it). A zero scale writes zeros (not 0·inf).
pub fn dense_grad<E: Element>(x: &[E], classes: usize, scale: &[f64], out: &mut [E]) {
    use crate::driver::{self, Elementwise};
    struct ScaledExp(f64);
    impl Elementwise for ScaledExp {
        #[inline(always)]
        fn forward<W: Vector>(&self, x: W, _: W, _: W) -> W {
            exp(x) * W::splat(W::Elem::from_f64(self.0))
        }
    }
    if classes == 0 {
        return;
    }
    for (r, (row, o)) in x
        .chunks_exact(classes)
        .zip(out.chunks_exact_mut(classes))
        .enumerate()
    {
        let s = scale[r];
        if s == 0.0 {
            o.fill(E::default());
        } else {
            driver::forward(&ScaledExp(s), row, row, None, Some(o));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// −ln Σ over every alignment, by enumerating all C^T paths (the definition).
    fn brute(lp: &[Vec<f64>], labels: &[i32], blank: i32) -> f64 {
        let t_len = lp.len();
        let c = lp.first().map_or(0, |r| r.len());
        let mut total = f64::NEG_INFINITY;
        let paths = (c as u64).pow(t_len as u32);
        for code in 0..paths {
            let mut k = code;
            let mut path = Vec::with_capacity(t_len);
            let mut logp = 0.0;
            for row in lp.iter() {
                let ch = (k % c as u64) as usize;
                k /= c as u64;
                path.push(ch as i32);
                logp += row[ch];
            }
            // collapse repeats, drop blanks
            let mut out = Vec::new();
            let mut prev = -1;
            for &p in &path {
                if p != prev && p != blank {
                    out.push(p);
                }
                prev = p;
            }
            if out == labels {
                total = lse3(total, logp, f64::NEG_INFINITY);
            }
        }
        -total
    }

    fn rng(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64)
    }

    fn log_softmax_rows(t_len: usize, c: usize, seed: &mut u64) -> Vec<Vec<f64>> {
        (0..t_len)
            .map(|_| {
                let z: Vec<f64> = (0..c).map(|_| 4.0 * rng(seed) - 2.0).collect();
                let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                z.iter().map(|v| v - m - s.ln()).collect()
            })
            .collect()
    }

    fn gather(lp: &[Vec<f64>], labels: &[i32], blank: usize) -> Vec<f64> {
        let mut g = Vec::new();
        for row in lp {
            g.push(row[blank]);
            for &l in labels {
                g.push(row[l as usize]);
            }
        }
        g
    }

    #[test]
    fn matches_brute_force_enumeration() {
        let mut seed = 7u64;
        for (t_len, c, labels) in [
            (1usize, 3usize, vec![]),
            (1, 3, vec![1]),
            (3, 3, vec![1, 1]),
            (4, 3, vec![1, 1]),
            (5, 3, vec![1, 2, 1]),
            (5, 4, vec![3, 3, 3]),
            (6, 3, vec![2]),
            (6, 4, vec![1, 2, 3]),
            (2, 3, vec![1, 1]),
        ] {
            let lp = log_softmax_rows(t_len, c, &mut seed);
            let want = brute(&lp, &labels, 0);
            let g = gather(&lp, &labels, 0);
            let s = CtcSample {
                lp: &g,
                labels: &labels,
                t_len,
            };
            let got = s.forward(&mut Workspace::default());
            if want.is_infinite() {
                assert_eq!(got, f64::INFINITY, "T={t_len} {labels:?}");
            } else {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "T={t_len} {labels:?}: {got} vs {want}"
                );
            }
        }
    }

    /// The gradient against central differences of the loss through a log-softmax (the
    /// quantity PyTorch's CTC gradient is).
    #[test]
    fn gradient_is_the_logit_gradient() {
        let mut seed = 11u64;
        let (t_len, c) = (6usize, 4usize);
        let labels = [1, 2, 2];
        let z: Vec<f64> = (0..t_len * c).map(|_| 3.0 * rng(&mut seed) - 1.5).collect();
        let loss = |z: &[f64]| {
            let lp: Vec<Vec<f64>> = z
                .chunks(c)
                .map(|r| {
                    let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = r.iter().map(|v| (v - m).exp()).sum();
                    r.iter().map(|v| v - m - s.ln()).collect()
                })
                .collect();
            (lp.clone(), gather(&lp, &labels, 0))
        };
        let (lp, g) = loss(&z);
        let s = CtcSample {
            lp: &g,
            labels: &labels,
            t_len,
        };
        let mut corr = vec![0.0; t_len * (labels.len() + 1)];
        let mut ws = Workspace::default();
        s.backward(&mut ws, 1.0, false, &mut corr);
        let flat: Vec<f64> = lp.iter().flatten().cloned().collect();
        let mut grad = vec![0.0; t_len * c];
        dense_grad(&flat, c, &vec![1.0; t_len], &mut grad);
        for t in 0..t_len {
            grad[t * c] = corr[t * 4];
            for (k, &l) in labels.iter().enumerate() {
                grad[t * c + l as usize] = corr[t * 4 + k + 1];
            }
        }
        for i in 0..t_len * c {
            let h = 1e-6;
            let mut zp = z.clone();
            zp[i] += h;
            let mut zm = z.clone();
            zm[i] -= h;
            let f = |zz: &[f64]| {
                let (_, gg) = loss(zz);
                CtcSample {
                    lp: &gg,
                    labels: &labels,
                    t_len,
                }
                .forward(&mut Workspace::default())
            };
            let num = (f(&zp) - f(&zm)) / (2.0 * h);
            assert!((num - grad[i]).abs() < 1e-7, "{i}: {num} vs {}", grad[i]);
        }
    }

    #[test]
    fn infeasible_and_empty() {
        let lp = [-1.0f64; 3 * 3];
        // "11" needs three frames (1, blank, 1): two frames cannot hold it.
        let labels = [1, 1];
        let s = CtcSample {
            lp: &lp[..2 * 3],
            labels: &labels,
            t_len: 2,
        };
        let mut ws = Workspace::default();
        assert_eq!(s.forward(&mut ws), f64::INFINITY);
        let mut corr = vec![0.0; 6];
        assert_eq!(s.backward(&mut ws, 1.0, false, &mut corr), f64::INFINITY);
        assert!(corr.iter().all(|v| v.is_nan()));
        s.backward(&mut ws, 1.0, true, &mut corr);
        assert!(corr.iter().all(|&v| v == 0.0));
        let empty = CtcSample::<f64> {
            lp: &[],
            labels: &[],
            t_len: 0,
        };
        assert_eq!(empty.forward(&mut ws), 0.0);
        let nonempty = CtcSample::<f64> {
            lp: &[],
            labels: &[1],
            t_len: 0,
        };
        assert_eq!(nonempty.forward(&mut ws), f64::INFINITY);
    }

    /// States far behind the frame's best (shifted terms underflowing) are recomputed exactly.
    #[test]
    fn far_behind_states_are_exact() {
        // Two frames strongly prefer label 2 then 1 (the reverse of the target), the rest
        // are neutral: the surviving alignments sit ~1000 nats below the best state.
        let labels = [1, 2];
        let t_len = 4;
        let mut lp = Vec::new();
        for t in 0..t_len {
            let row = match t {
                0 => [-1000.0, -2000.0, 0.0],
                1 => [-1000.0, 0.0, -2000.0],
                _ => [-1.0, -1.0, -1.0],
            };
            lp.push(row.to_vec());
        }
        let want = brute(&lp, &labels, 0);
        let g = gather(&lp, &labels, 0);
        let got = CtcSample {
            lp: &g,
            labels: &labels,
            t_len,
        }
        .forward(&mut Workspace::default());
        assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
    }

    /// The scaled fast path and the log-space recursion agree (value and gradient) on random
    /// problems, long ones included; a problem that underflows takes the log-space path.
    #[test]
    fn scaled_and_log_space_agree() {
        let mut seed = 23u64;
        for (t_len, c, l, sharp) in [
            (1usize, 3usize, 0usize, 1.0),
            (7, 5, 3, 1.0),
            (40, 6, 12, 3.0),
            (300, 8, 90, 2.0),
            (120, 4, 0, 1.0),
            (50, 5, 20, 12.0),
        ] {
            let lp = log_softmax_rows(t_len, c, &mut seed)
                .into_iter()
                .map(|r| r.into_iter().map(|v| v * sharp).collect::<Vec<_>>())
                .collect::<Vec<_>>();
            let labels: Vec<i32> = (0..l)
                .map(|_| 1 + (rng(&mut seed) * (c - 1) as f64) as i32)
                .collect();
            let g = gather(&lp, &labels, 0);
            let s = CtcSample {
                lp: &g,
                labels: &labels,
                t_len,
            };
            let mut ws = Workspace::default();
            let (a, b) = (s.forward(&mut ws), s.forward_log(&mut ws));
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "T={t_len}: {a} vs {b}"
            );
            let n = t_len * (l + 1);
            let (mut c1, mut c2) = (vec![0.0; n], vec![0.0; n]);
            let n1 = s.backward(&mut ws, 0.7, false, &mut c1);
            let n2 = s.backward_log(&mut ws, 0.7, false, &mut c2);
            assert!((n1 - n2).abs() <= 1e-12 * n2.abs().max(1.0));
            for i in 0..n {
                assert!(
                    (c1[i] - c2[i]).abs() <= 1e-10,
                    "T={t_len} [{i}]: {} vs {}",
                    c1[i],
                    c2[i]
                );
            }
        }
    }
}
