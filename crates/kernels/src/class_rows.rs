//! Shared machinery of the row losses with one class-index target per row (the class dimension
//! last, as the TS layer stages it):
//! - [`upstream_at`], the upstream gradient of a row;
//! - [`IndexRows`], the loop of every loss that is a function of the target's log-probability
//!   only (`softmax_focal_loss`, `poly_loss`; cross entropy itself is `f(ℓ) = −ℓ`);
//! - [`MarginSoftmax`], the large-margin softmax family (`arc_face_loss`, `cos_face_loss`,
//!   `sphere_face_loss`): the target cosine is replaced by a margin function [`TargetMargin`],
//!   and the scaled row goes through the cross-entropy row code of
//!   [`crate::loss::cross_entropy`].

use crate::driver::{Sum, Upstream};
use crate::loss::cross_entropy::{CrossEntropy, Target};
use crate::rows::{log_sum_exp_at, softmax_grad_into};
use crate::simd::Element;

/// The upstream gradient of row `r`: the scalar, or the row's value times the scale.
#[inline]
pub fn upstream_at<E: Element>(g: &Upstream<'_, E>, r: usize) -> f64 {
    match g {
        Upstream::Scalar(s) => s.to_f64(),
        Upstream::PerElement(gs, k) => gs[r].to_f64() * k.to_f64(),
    }
}

/// A per-row loss `f(ℓ)` of the target's log-probability `ℓ = log softmax(x)_y ∈ [−∞, 0]`.
pub trait LogProbLoss {
    /// `f(ℓ)`.
    fn value(&self, logp: f64) -> f64;
    /// `df/dℓ`.
    fn derivative(&self, logp: f64) -> f64;
}

/// Rows of `C` logits with class-index targets, class weights and an ignored index, as cross
/// entropy has them: `l = w_y·f(ℓ)`, 0 where `y == ignore_index`; the 'mean' denominator is
/// `Σ w_y` over the non-ignored rows.
///
/// Gradient: `∂ℓ/∂x_c = [c = y] − p_c`, so `∂x_c = K·([c = y] − p_c)` with `K = g·w_y·f'(ℓ)`.
/// The target's entry `K·(1 − p_y)` is computed as `K·(−expm1 ℓ)`, which keeps its digits when
/// `p_y` rounds to 1.
pub struct IndexRows<'a, E> {
    pub classes: usize,
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    pub ignore_index: i32,
}

impl<E: Element> IndexRows<'_, E> {
    fn rows(&self, x: &[E]) -> usize {
        x.len().checked_div(self.classes).unwrap_or(0)
    }

    fn weight_of(&self, y: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[y].to_f64())
    }

    /// `ℓ = (x_y − shift) − log_sum` (see [`crate::rows::Lse`]) and the row's log-sum-exp.
    fn target_log_prob(row: &[E], y: usize) -> (f64, crate::rows::Lse) {
        let lse = log_sum_exp_at(row, y);
        (-lse.gap(row[y].to_f64()), lse)
    }

    /// Writes per-row losses into `out` when given; returns `(Σ l, mean denominator)`.
    /// `ys` holds one index per row, each `ignore_index` or in `0..C` (checked by the caller).
    pub fn forward<L: LogProbLoss>(
        &self,
        loss: &L,
        x: &[E],
        ys: &[i32],
        mut out: Option<&mut [E]>,
    ) -> (f64, f64) {
        let c = self.classes;
        let (mut total, mut denom) = (Sum::default(), Sum::default());
        for r in 0..self.rows(x) {
            let y = ys[r];
            let l = if y == self.ignore_index {
                0.0
            } else {
                let y = y as usize;
                let (logp, _) = Self::target_log_prob(&x[r * c..(r + 1) * c], y);
                let wy = self.weight_of(y);
                denom.add(wy);
                wy * loss.value(logp)
            };
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        (total.value(), denom.value())
    }

    /// Writes `∂x` into `gx` for upstream `g` (per row or scalar); ignored rows get 0.
    pub fn backward<L: LogProbLoss>(
        &self,
        loss: &L,
        x: &[E],
        ys: &[i32],
        g: &Upstream<'_, E>,
        gx: &mut [E],
    ) {
        let c = self.classes;
        // One row of softmax numerators, reused row after row (see `exp_shifted_into`).
        let mut e = vec![E::default(); c];
        for r in 0..self.rows(x) {
            let out = &mut gx[r * c..(r + 1) * c];
            let y = ys[r];
            if y == self.ignore_index {
                out.fill(E::default());
                continue;
            }
            let y = y as usize;
            let row = &x[r * c..(r + 1) * c];
            // −K·p_c everywhere, then the target's K·(1 − p_y) without cancellation.
            let (mut logp, mut k) = (0.0, 0.0);
            softmax_grad_into(row, y, None, &mut e, out, |lse| {
                logp = -lse.gap(row[y].to_f64());
                k = upstream_at(g, r) * self.weight_of(y) * loss.derivative(logp);
                (-k, 0.0)
            });
            out[y] = E::from_f64(k * -logp.exp_m1());
        }
    }
}

/// A [`LogProbLoss`] over index rows: softmaxFocalLoss and polyLoss as the wasm layer runs
/// them (the loss supplies `f(ℓ)`, the rows everything else).
pub struct LogProbRows<'a, E, L> {
    pub rows: IndexRows<'a, E>,
    pub loss: L,
}

impl<E: Element, L: LogProbLoss> LogProbRows<'_, E, L> {
    /// Writes per-row losses into `out` when given; returns `(Σ l, mean denominator)`.
    pub fn forward(&self, x: &[E], ys: &[i32], out: Option<&mut [E]>) -> (f64, f64) {
        self.rows.forward(&self.loss, x, ys, out)
    }

    /// Writes `∂x` into `gx` for upstream `g` (per row or scalar).
    pub fn backward(&self, x: &[E], ys: &[i32], g: &Upstream<'_, E>, gx: &mut [E]) {
        self.rows.backward(&self.loss, x, ys, g, gx)
    }
}

/// Cross entropy as a [`LogProbLoss`]: `f(ℓ) = −ℓ`.
pub struct CrossEntropyOfLogProb;
impl LogProbLoss for CrossEntropyOfLogProb {
    fn value(&self, logp: f64) -> f64 {
        -logp
    }
    fn derivative(&self, _: f64) -> f64 {
        -1.0
    }
}

/// The target logit of a large-margin softmax, as a function of the target cosine.
pub trait TargetMargin {
    /// `(ψ(c), dψ/dc)` for the target cosine `c`; `bound` is `1 − 1e-7` rounded to the
    /// element type, the clamp of margins that take `acos` (the derivative is 0 where the
    /// clamp is active, `|c| > bound`, and passes at the bound, as `torch.clamp`).
    fn target_logit(&self, c: f64, bound: f64) -> (f64, f64);
}

/// `1 − 1e-7` rounded to `E` (`0.99999988` in f32): the bound of the cosine clamp before
/// `acos` (the value PyTorch's `clamp(c, -1 + 1e-7, 1 - 1e-7)` uses in that dtype).
pub fn cos_bound<E: Element>() -> f64 {
    E::from_f64(1.0 - 1e-7).to_f64()
}

/// `c` clamped to `±bound`, and whether the clamp passes the gradient (`|c| ≤ bound`).
#[inline]
pub fn clamp_cos(c: f64, bound: f64) -> (f64, bool) {
    if c > bound {
        (bound, false)
    } else if c < -bound {
        (-bound, false)
    } else {
        (c, true)
    }
}

/// `sin(acos c) = √((1 − c)(1 + c))` for `|c| ≤ 1`: both factors are exact, so this keeps its
/// digits next to ±1, where `√(1 − c²)` would round `c²` first.
#[inline]
pub fn sin_acos(c: f64) -> f64 {
    ((1.0 - c) * (1.0 + c)).sqrt()
}

/// A large-margin softmax over rows of `C` cosines with a class-index target per row:
/// `z_j = scale·c_j` for `j ≠ y`, `z_y = scale·ψ(c_y)`, `l = lse(z) − z_y` (cross entropy,
/// computed in f64 whatever the element type: the scaled logits are not rounded to f32).
/// `∂c_j = scale·∂z_j`, `∂c_y = scale·∂z_y·ψ'(c_y)`.
pub struct MarginSoftmax {
    pub classes: usize,
    pub scale: f64,
}

impl MarginSoftmax {
    fn rows<E>(&self, x: &[E]) -> usize {
        x.len().checked_div(self.classes).unwrap_or(0)
    }

    /// The f64 logits of row `row` with target `y` into `z`; returns `ψ'(c_y)`.
    fn logits<E: Element, M: TargetMargin>(
        &self,
        m: &M,
        row: &[E],
        y: usize,
        z: &mut [f64],
    ) -> f64 {
        for (zj, cj) in z.iter_mut().zip(row) {
            *zj = self.scale * cj.to_f64();
        }
        let (psi, dpsi) = m.target_logit(row[y].to_f64(), cos_bound::<E>());
        z[y] = self.scale * psi;
        dpsi
    }

    fn ce<'a>(&self, ones: &'a [f64]) -> CrossEntropy<'a, f64> {
        // No index is ignored: every target is in 0..C (checked by the caller).
        CrossEntropy {
            classes: self.classes,
            weight: ones,
            ignore_index: i32::MIN,
            label_smoothing: 0.0,
        }
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`. `ys` are in `0..C`.
    pub fn forward<E: Element, M: TargetMargin>(
        &self,
        m: &M,
        x: &[E],
        ys: &[i32],
        mut out: Option<&mut [E]>,
    ) -> f64 {
        let c = self.classes;
        let ones = vec![1.0; c];
        let ce = self.ce(&ones);
        let mut z = vec![0.0; c];
        let mut total = Sum::default();
        for r in 0..self.rows(x) {
            let y = ys[r];
            self.logits(m, &x[r * c..(r + 1) * c], y as usize, &mut z);
            let (l, _) = ce.forward(&z, &Target::Index(&[y]), None);
            if let Some(o) = out.as_deref_mut() {
                o[r] = E::from_f64(l);
            }
            total.add(l);
        }
        total.value()
    }

    /// Writes `∂c` into `gx` for upstream `g` (per row or scalar).
    pub fn backward<E: Element, M: TargetMargin>(
        &self,
        m: &M,
        x: &[E],
        ys: &[i32],
        g: &Upstream<'_, E>,
        gx: &mut [E],
    ) {
        let c = self.classes;
        let ones = vec![1.0; c];
        let ce = self.ce(&ones);
        let (mut z, mut gz) = (vec![0.0; c], vec![0.0; c]);
        for r in 0..self.rows(x) {
            let y = ys[r];
            let dpsi = self.logits(m, &x[r * c..(r + 1) * c], y as usize, &mut z);
            ce.backward(
                &z,
                &Target::Index(&[y]),
                &Upstream::Scalar(upstream_at(g, r)),
                Some(&mut gz),
                None,
            );
            let out = &mut gx[r * c..(r + 1) * c];
            for (o, d) in out.iter_mut().zip(&gz) {
                *o = E::from_f64(self.scale * d);
            }
            out[y as usize] = E::from_f64(self.scale * gz[y as usize] * dpsi);
        }
    }
}

/// A large-margin softmax loss: [`MarginSoftmax`] with the target-logit margin `M`
/// (ArcFace, CosFace, SphereFace are this with their margins).
pub struct MarginLoss<M> {
    pub classes: usize,
    pub scale: f64,
    pub margin: M,
}

impl<M: TargetMargin> MarginLoss<M> {
    fn softmax(&self) -> MarginSoftmax {
        MarginSoftmax {
            classes: self.classes,
            scale: self.scale,
        }
    }

    /// Writes per-row losses into `out` when given; returns `Σ l`. Targets are in `0..C`.
    pub fn forward<E: Element>(&self, x: &[E], ys: &[i32], out: Option<&mut [E]>) -> f64 {
        self.softmax().forward(&self.margin, x, ys, out)
    }

    /// Writes `∂x` into `gx` for upstream `g` (per row or scalar).
    pub fn backward<E: Element>(&self, x: &[E], ys: &[i32], g: &Upstream<'_, E>, gx: &mut [E]) {
        self.softmax().backward(&self.margin, x, ys, g, gx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_of_log_prob_equals_cross_entropy() {
        let x: Vec<f64> = (0..21)
            .map(|i| ((i * 7) % 11) as f64 * 0.37 - 1.5)
            .collect();
        let ys = [2, -100, 6];
        let w: Vec<f64> = (0..7).map(|i| 0.5 + i as f64 * 0.25).collect();
        let rows = IndexRows {
            classes: 7,
            weight: Some(&w[..]),
            ignore_index: -100,
        };
        let ce = CrossEntropy {
            classes: 7,
            weight: &w[..],
            ignore_index: -100,
            label_smoothing: 0.0,
        };
        let (a, da) = rows.forward(&CrossEntropyOfLogProb, &x, &ys, None);
        let (b, db) = ce.forward(&x, &Target::Index(&ys), None);
        assert!(
            (a - b).abs() < 1e-13 && (da - db).abs() < 1e-13,
            "{a} {b} {da} {db}"
        );
        let (mut ga, mut gb) = (vec![0.0; 21], vec![0.0; 21]);
        rows.backward(
            &CrossEntropyOfLogProb,
            &x,
            &ys,
            &Upstream::Scalar(0.5),
            &mut ga,
        );
        ce.backward(
            &x,
            &Target::Index(&ys),
            &Upstream::Scalar(0.5),
            Some(&mut gb),
            None,
        );
        for (p, q) in ga.iter().zip(&gb) {
            assert!((p - q).abs() < 1e-14, "{p} {q}");
        }
    }
}
