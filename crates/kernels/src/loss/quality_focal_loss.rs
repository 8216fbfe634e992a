//! Quality focal loss (Generalized Focal Loss, Li et al. 2020) with mmdetection's
//! `quality_focal_loss` semantics (mmdet/models/losses/gfocal_loss.py): logits `x` of
//! `rows × classes`, a class label per row (`classes` = background) and an IoU score per row.
//! Every entry is a negative, `BCE(x, 0)·σ(x)^β = softplus(x)·σ(x)^β`, except the label's
//! entry of a foreground row: `BCE(x, s)·|s − σ(x)|^β`. A row's loss is the sum over its
//! classes; gradients to the logits (the modulating factors are not detached, as mmdetection).
//!
//! Negatives run vectorised over the row (σ^β as `e^{β·ln σ}`: relative error ≈ β·|ln σ|·ε); the label entry is computed in f64 with std's functions. (The
//! negatives' factor `β·σ^{β−1}·σ` is taken as `β·σ^β`, finite where σ underflows to 0.)

use super::binary_cross_entropy_with_logits::sigmoid_pair_from;
use super::splat;
use crate::driver::{self, Elementwise, Sum, Upstream};
use crate::math::{exp, ln, log1p_unit};
use crate::simd::{Element, Vector};

/// `(softplus(x), softplus(−x), σ(x), σ(−x))` from one `e^{−|x|}` (the BCE-with-logits forms).
#[inline(always)]
fn logistic<V: Vector>(x: V) -> (V, V, V, V) {
    let e = exp(-x.abs());
    let l = log1p_unit(e);
    let zero = splat::<V>(0.0);
    let (s_pos, s_neg) = sigmoid_pair_from(x, e);
    (x.pmax(zero) + l, (-x).pmax(zero) + l, s_pos, s_neg)
}

pub struct QualityFocalLoss {
    pub classes: usize,
    /// ≥ 0.
    pub beta: f64,
}

/// `σ(x)^β` from `σ(x)` as `e^{β·ln σ}` (ln floored at −1e30, so that β = 0 gives 1 even
/// where σ underflows to 0; one form for every β, relative error ≈ β·|ln σ|·ε).
#[inline(always)]
fn sigmoid_pow<V: Vector>(s: V, beta: f64) -> V {
    exp(splat::<V>(beta) * ln(s).max(splat(-1e30)))
}

/// `Σ` of the negatives over `x` (out of line: one driver instance, three call sites).
#[inline(never)]
fn neg_sum<E: Element>(beta: f64, x: &[E]) -> f64 {
    driver::forward(&Neg(beta), x, x, None, None)
}

/// A negative entry's loss.
struct Neg(f64);
impl Elementwise for Neg {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        let (sp, _, s, _) = logistic(x);
        sp * sigmoid_pow(s, self.0)
    }
}

/// `g·∂neg/∂x = g·σ^β·(σ + β·softplus(x)·(1 − σ))`: the BCE's `σ − 0` and the factor's
/// `β·σ^{β−1}·σ(1 − σ)`; `g` rides in the third operand's place as a constant.
struct NegGrad {
    beta: f64,
    g: f64,
}
impl Elementwise for NegGrad {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        let (sp, _, s, s_neg) = logistic(x);
        let f = sigmoid_pow(s, self.beta);
        splat::<V>(self.g) * (f * (s + (splat::<V>(self.beta) * sp) * s_neg))
    }
}

/// f64 helpers for the label entry.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}
fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

impl QualityFocalLoss {
    /// The label entry's `(loss, ∂loss/∂x)`: `BCE(x, s)·|s − σ|^β`.
    fn positive(&self, x: f64, s: f64) -> (f64, f64) {
        let (sig, sig_neg) = (sigmoid(x), sigmoid(-x));
        let bce = s * softplus(-x) + (1.0 - s) * softplus(x);
        let d = s - sig;
        let a = d.abs();
        let beta = self.beta;
        let f = if beta == 0.0 { 1.0 } else { a.powf(beta) };
        // pow's backward is 0 for β = 0 (torch), else β·|d|^{β−1}; abs's is sign(d) (0 at 0
        // and NaN); d = s − σ sends it with a minus sign to σ, σ' = σ(1 − σ).
        let slope = if beta == 0.0 {
            0.0
        } else {
            beta * a.powf(beta - 1.0)
        };
        let sgn = if d > 0.0 {
            1.0
        } else if d < 0.0 {
            -1.0
        } else {
            0.0
        };
        let dx = (sig - s) * f + bce * (slope * sgn) * -(sig * sig_neg);
        (bce * f, dx)
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`. `label[r]` in
    /// `0..=classes` (checked by the caller), `score[r]` the IoU target of row r.
    pub fn forward<E: Element>(
        &self,
        x: &[E],
        label: &[i32],
        score: &[E],
        mut out: Option<&mut [E]>,
    ) -> f64 {
        let c = self.classes;
        let rows = x.len().checked_div(c).unwrap_or(0);
        let mut total = Sum::default();
        for r in 0..rows {
            let row = &x[r * c..(r + 1) * c];
            let y = label[r] as usize;
            let l = if y < c {
                let rest = neg_sum(self.beta, &row[..y]) + neg_sum(self.beta, &row[y + 1..]);
                rest + self.positive(row[y].to_f64(), score[r].to_f64()).0
            } else {
                neg_sum(self.beta, row)
            };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂x` for upstream `g` (per row or scalar).
    pub fn backward<E: Element>(
        &self,
        x: &[E],
        label: &[i32],
        score: &[E],
        g: &Upstream<'_, E>,
        gx: &mut [E],
    ) {
        let c = self.classes;
        let rows = x.len().checked_div(c).unwrap_or(0);
        for r in 0..rows {
            let row = &x[r * c..(r + 1) * c];
            let gr = match g {
                Upstream::Scalar(s) => s.to_f64(),
                Upstream::PerElement(gs, k) => gs[r].to_f64() * k.to_f64(),
            };
            let out = &mut gx[r * c..(r + 1) * c];
            let body = NegGrad {
                beta: self.beta,
                g: gr,
            };
            driver::forward(&body, row, row, None, Some(&mut *out));
            let y = label[r] as usize;
            if y < c {
                let (_, d) = self.positive(row[y].to_f64(), score[r].to_f64());
                out[y] = E::from_f64(gr * d);
            }
        }
    }
}
