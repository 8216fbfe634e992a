//! Row losses with one class-index target per row, as [`RowLoss`]es:
//! - [`IndexRows`]: every loss that is a function of the target's log-probability only
//!   (`softmax_focal_loss`, `poly_loss`; cross entropy itself is `f(ℓ) = −ℓ`), with class
//!   weights and ignored targets;
//! - [`MarginLoss`]: the large-margin softmax family (`arc_face_loss`, `cos_face_loss`,
//!   `sphere_face_loss`): the target cosine is replaced by a margin function
//!   [`TargetMargin`], and the scaled row is cross entropy, computed in f64.

use crate::driver::Sum;
use crate::row_driver::{
    add_at, max_at, sum_at, ClassWeights, Phase, Piece, RowGrad, RowLoss, State, STATE_SLOTS,
};
use crate::rows::{
    lse_max_pass, lse_of, lse_sum_pass, softmax_grad, softmax_grad_into, Lse, Skip, Sub,
};
use crate::simd::Element;

/// A per-row loss `f(ℓ)` of the target's log-probability `ℓ = log softmax(x)_y ∈ [−∞, 0]`.
pub trait LogProbLoss {
    /// `f(ℓ)`.
    fn value(&self, logp: f64) -> f64;
    /// `df/dℓ`.
    fn derivative(&self, logp: f64) -> f64;
}

/// Rows of `C` logits with class-index targets, class weights and an ignored index, as cross
/// entropy has them: `l = w_y·f(ℓ)`; the 'mean' denominator is `w_y` per (non-ignored) row.
///
/// Gradient: `∂ℓ/∂x_c = [c = y] − p_c`, so `∂x_c = K·([c = y] − p_c)` with `K = g·w_y·f'(ℓ)`.
/// The target's entry `K·(1 − p_y)` is computed as `K·(−expm1 ℓ)`, which keeps its digits when
/// `p_y` rounds to 1. Passes: the row's log-sum-exp (slots 0–3, [`lse_max_pass`]).
pub struct IndexRows<'a, E, L> {
    /// Class weights (length C), or `None` for all ones.
    pub weight: Option<&'a [E]>,
    pub loss: L,
}

impl<E: Element, L: LogProbLoss> IndexRows<'_, E, L> {
    fn weights(&self) -> ClassWeights<'_, E> {
        ClassWeights::new(self.weight)
    }

    /// `ℓ` once the log-sum-exp passes are done.
    fn log_prob(st: &State, y: usize) -> f64 {
        -lse_of::<E>(st, 0, Skip::Target(y), 1.0).gap(st[1])
    }

    /// `K = g·w_y·f'(ℓ)`.
    fn k(&self, logp: f64, wy: f64, g: f64) -> f64 {
        g * wy * self.loss.derivative(logp)
    }
}

impl<E: Element, L: LogProbLoss> RowLoss<E> for IndexRows<'_, E, L> {
    fn forward_passes(&self) -> usize {
        2
    }
    fn backward_passes(&self) -> usize {
        2
    }

    fn init(&self, st: &mut State) {
        *st = [0.0; STATE_SLOTS];
        st[0] = f64::NEG_INFINITY;
    }

    fn pass(
        &self,
        _: Phase,
        pass: usize,
        st: &mut State,
        y: &[i32],
        piece: Piece<'_, E>,
        _: RowGrad<'_, E>,
    ) {
        let skip = Skip::Target(y[0] as usize);
        match pass {
            0 => {
                lse_max_pass(st, 0, skip, &piece);
                // w_y (slot 4), from the piece that holds the target.
                if let Some(wy) = self.weights().at(&piece, y[0] as usize) {
                    st[4] = wy;
                }
            }
            _ => lse_sum_pass(st, 0, skip, 1.0, &piece),
        }
    }

    fn value(&self, st: &State, y: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        let wy = st[4];
        (wy * self.loss.value(Self::log_prob(st, y[0] as usize)), wy)
    }

    fn grad(
        &self,
        st: &State,
        y: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
        let Some(gx) = gx else { return };
        let y = y[0] as usize;
        let lse = lse_of::<E>(st, 0, Skip::Target(y), 1.0);
        let logp = -lse.gap(st[1]);
        let k = self.k(logp, st[4], g.scalar());
        // −K·p_c everywhere, then the target's K·(1 − p_y) without cancellation.
        softmax_grad(piece.x, Sub::One, lse, -k, 0.0, gx);
        if let Some(j) = y.checked_sub(piece.start).filter(|&j| j < piece.x.len()) {
            gx[j] = E::from_f64(k * -logp.exp_m1());
        }
    }

    /// In memory, the gradient reuses the log-sum-exp pass's exponentials.
    fn backward_row(
        &self,
        y: &[i32],
        row: Piece<'_, E>,
        g: RowGrad<'_, E>,
        scratch: &mut [E],
        gx: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
        let Some(out) = gx else { return };
        let y = y[0] as usize;
        let (mut logp, mut k) = (0.0, 0.0);
        softmax_grad_into(row.x, y, Sub::One, scratch, out, |lse| {
            logp = -lse.gap(row.x[y].to_f64());
            k = self.k(logp, self.weights().of(y), g.scalar());
            (-k, 0.0)
        });
        out[y] = E::from_f64(k * -logp.exp_m1());
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
/// computed in f64 whatever the element type: the scaled logits are not rounded to f32);
/// the 'mean' denominator is 1 per row. `∂c_j = scale·∂z_j`, `∂c_y = scale·∂z_y·ψ'(c_y)`.
///
/// Passes: 0 the max of the other logits `z_j` (slot 0) and `c_y` (slot 1); 1 `Σ_{j≠y}
/// e^(z_j − m)` (slots 2–3) with `m = max(slot 0, z_y)`. The target's term is added in
/// [`MarginLoss::lse`] (as `log1p` of the rest when it is the max).
pub struct MarginLoss<M> {
    pub scale: f64,
    pub margin: M,
}

impl<M: TargetMargin> MarginLoss<M> {
    /// `(z_y, ψ'(c_y))`.
    fn target<E: Element>(&self, st: &State) -> (f64, f64) {
        let (psi, dpsi) = self.margin.target_logit(st[1], cos_bound::<E>());
        (self.scale * psi, dpsi)
    }

    /// The shift `m` (the max of every `z`).
    fn shift<E: Element>(&self, st: &State) -> f64 {
        let zy = self.target::<E>(st).0;
        if st[0].is_nan() || zy.is_nan() {
            f64::NAN
        } else {
            st[0].max(zy)
        }
    }

    /// `lse(z)` once both passes are done, as [`Lse`] (shift `m`, NaN when the max is not
    /// finite), so that `lse − z` is formed as `(m − z) + log_sum`: a confident row's tiny loss
    /// keeps its digits next to `m`.
    fn lse<E: Element>(&self, st: &State) -> Lse {
        let m = self.shift::<E>(st);
        if !m.is_finite() {
            return Lse::non_finite();
        }
        let zy = self.target::<E>(st).0;
        let rest = sum_at(st, 2).value();
        if zy == m {
            Lse::from_sum(m, rest, true)
        } else {
            Lse::from_sum(m, rest + (zy - m).exp(), false)
        }
    }
}

impl<E: Element, M: TargetMargin> RowLoss<E> for MarginLoss<M> {
    fn forward_passes(&self) -> usize {
        2
    }
    fn backward_passes(&self) -> usize {
        2
    }

    fn init(&self, st: &mut State) {
        *st = [0.0; STATE_SLOTS];
        st[0] = f64::NEG_INFINITY;
    }

    fn pass(
        &self,
        _: Phase,
        pass: usize,
        st: &mut State,
        y: &[i32],
        piece: Piece<'_, E>,
        _: RowGrad<'_, E>,
    ) {
        let y = y[0] as usize;
        let others = piece
            .x
            .iter()
            .enumerate()
            .filter(|&(k, _)| piece.start + k != y);
        if pass == 0 {
            if let Some(cy) = piece.at(y) {
                st[1] = cy;
            }
            for (_, c) in others {
                max_at(st, 0, self.scale * c.to_f64());
            }
        } else {
            let m = self.shift::<E>(st);
            if m.is_finite() {
                let mut s = Sum::default();
                for (_, c) in others {
                    s.add((self.scale * c.to_f64() - m).exp());
                }
                add_at(st, 2, s.value());
            }
        }
    }

    fn value(&self, st: &State, _: &[i32], _: usize, _: &mut [Sum]) -> (f64, f64) {
        (self.lse::<E>(st).gap(self.target::<E>(st).0), 1.0)
    }

    fn grad(
        &self,
        st: &State,
        y: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        _: Option<&mut [E]>,
    ) {
        let Some(gx) = gx else { return };
        let y = y[0] as usize;
        let g = g.scalar();
        let lse = self.lse::<E>(st);
        let (zy, dpsi) = self.target::<E>(st);
        for (k, (o, c)) in gx.iter_mut().zip(piece.x).enumerate() {
            let d = if piece.start + k == y {
                // p_y − 1 = expm1(−(lse − z_y)), exact for a confident row.
                g * (-lse.gap(zy)).exp_m1() * dpsi
            } else {
                g * (-lse.gap(self.scale * c.to_f64())).exp()
            };
            *o = E::from_f64(self.scale * d);
        }
    }
}
