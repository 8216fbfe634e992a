//! Row primitives for losses over a class dimension (the softmax family). A "row" is the C
//! class scores of one position, contiguous (the TS layer moves the class dimension last).
//! Every pass is one run of the elementwise driver, so SIMD, the tail and the summation are
//! the driver's.

use crate::driver::{self, Elementwise};
use crate::math::{exp_floor_nonpos, exp_ftz_nonpos};
use crate::simd::{Element, Vector};

#[inline(always)]
fn splat<V: Vector>(c: f64) -> V {
    V::splat(V::Elem::from_f64(c))
}

/// Largest element (NaN if any is NaN, −inf for an empty row).
pub fn max<E: Element>(x: &[E]) -> E {
    let lanes = E::V::LANES;
    let ninf = E::V::splat(E::from_f64(f64::NEG_INFINITY));
    // Four independent pmax chains (one instruction each in V8, where the NaN-propagating max
    // is about seven, on the loop-carried path) and a separate NaN flag.
    let (mut m0, mut m1, mut m2, mut m3) = (ninf, ninf, ninf, ninf);
    let mut nan = E::V::mask_first(0);
    let mut blocks = x.chunks_exact(4 * lanes);
    for c in &mut blocks {
        let (a, b, d, e) = (
            E::V::load(c),
            E::V::load(&c[lanes..]),
            E::V::load(&c[2 * lanes..]),
            E::V::load(&c[3 * lanes..]),
        );
        // pmax(v, m) = m < v ? v : m: a NaN v leaves m unchanged; the flag records it.
        m0 = m0.pmax(a);
        m1 = m1.pmax(b);
        m2 = m2.pmax(d);
        m3 = m3.pmax(e);
        let bad = E::V::mask_or(
            E::V::mask_or(a.is_nan(), b.is_nan()),
            E::V::mask_or(d.is_nan(), e.is_nan()),
        );
        nan = E::V::mask_or(nan, bad);
    }
    if E::V::any(nan) {
        return E::from_f64(f64::NAN);
    }
    let mut m = m0.max(m1).max(m2.max(m3));
    let mut chunks = blocks.remainder().chunks_exact(lanes);
    for c in &mut chunks {
        m = m.max(E::V::load(c));
    }
    let mut buf = [E::from_f64(f64::NEG_INFINITY); 8];
    m.store(&mut buf);
    let mut best = buf[0];
    for &v in buf[1..lanes].iter().chain(chunks.remainder()) {
        best = if v.to_f64().is_nan() || best.to_f64().is_nan() {
            E::from_f64(f64::NAN)
        } else if v > best {
            v
        } else {
            best
        };
    }
    best
}

/// `e^(x − shift)` for `x ≤ shift` (the row's max, finite): terms below e^−86.5 (f32) /
/// e^−707.7 (f64) are flushed to 0 ([`exp_ftz_nonpos`], branch-free).
struct ShiftedExp(f64);
impl Elementwise for ShiftedExp {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        exp_ftz_nonpos(x - splat(self.0))
    }
}

/// A row's log Σ e^x, kept as `shift + log_sum` with `shift` the row's max (an element, so
/// exactly representable in the row's type): bodies compute `(x − shift) − log_sum`, where
/// `x − shift` is exact, instead of `x − lse` with `lse` rounded to f32, which would cost
/// f32 rows with logits of magnitude 1e4 three digits.
#[derive(Clone, Copy, Debug)]
pub struct Lse {
    pub shift: f64,
    pub log_sum: f64,
}

impl Lse {
    pub fn value(self) -> f64 {
        self.shift + self.log_sum
    }

    /// `lse − x` = `−log softmax` at an element `x` of the row, as `(shift − x) + log_sum`.
    pub fn gap(self, x: f64) -> f64 {
        (self.shift - x) + self.log_sum
    }
}

/// `e^(x − shift)` with `shift` the row's max, finite (so every argument is ≤ 0 or −inf, NaN
/// excluded by the caller): as [`ShiftedExp`], but terms below e^−86.5 / e^−707.7 become that
/// bound rather than 0 ([`exp_floor_nonpos`]): far below anything the sum can show next to
/// the max's e^0 = 1, and the pass has no per-vector check or branch.
struct ShiftedExpSum(f64);
impl Elementwise for ShiftedExpSum {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        exp_floor_nonpos(x - splat(self.0))
    }
}

/// Index of the first element equal to `m` (which must occur in `x`).
fn position<E: Element>(x: &[E], m: E) -> usize {
    let lanes = E::V::LANES;
    let mv = E::V::splat(m);
    let hit = |i: usize| E::V::load(&x[i..]).eq(mv);
    let mut i = 0;
    // Blocks of four vectors first (one any-true branch per block), up to the block with
    // the hit; the scalar scan then covers at most that block.
    while i + 4 * lanes <= x.len() {
        let m01 = E::V::mask_or(hit(i), hit(i + lanes));
        let m23 = E::V::mask_or(hit(i + 2 * lanes), hit(i + 3 * lanes));
        if E::V::any(E::V::mask_or(m01, m23)) {
            break;
        }
        i += 4 * lanes;
    }
    i + x[i..]
        .iter()
        .position(|&v| v == m)
        .expect("the max occurs in its row")
}

/// log Σ e^x with the max shift (stable for logits of any magnitude), as
/// `log1p(Σ_{j ≠ j*} e^(x_j − max))` with `j*` the first position of the max, in f64. Summing
/// the max's own term e^0 = 1 with the others in the element type would round a confident
/// row's small terms away against it (f32 [10, −10, −10, −10, −10] lost 25% of its cross
/// entropy, f64 1e-8 relative); PyTorch's float32 log_softmax returns 0 or a rounding of it.
pub fn log_sum_exp<E: Element>(x: &[E]) -> Lse {
    lse_impl(x, None, 1.0)
}

/// [`log_sum_exp`] for a caller that needs the gap `lse − x_y` at one class `y` (class-index
/// targets), without searching for the max: if `x_y` is the max, its term is the one left
/// out; otherwise the max's 1 is summed with the rest in the element type, which costs the
/// sum ~1e-7 (f32) of its value, i.e. of e^(lse − max), and so `lse` ~1e-7 absolute, while
/// that gap exceeds ln 2 (p_y < p_max forces p_y < ½): every result stays relatively
/// accurate, softmax probabilities included.
pub fn log_sum_exp_at<E: Element>(x: &[E], y: usize) -> Lse {
    lse_impl(x, Some(y), 1.0)
}

/// The softmax numerators for a gradient: writes `out = e^(x − max)` (0 below e^−86.5 /
/// e^−707.7) and returns the row's [`Lse`], so that `p = out·e^(−log_sum)` takes one
/// exponential per element rather than a second pass of them. As [`log_sum_exp_at`] for the
/// class `y` (its term left out of the sum when it is the max, and stored as exactly 1).
/// `None` (nothing written) when the max is not finite: the caller's unshifted path.
pub fn exp_shifted_into<E: Element>(x: &[E], y: usize, out: &mut [E]) -> Option<Lse> {
    let m = max(x);
    let shift = m.to_f64();
    if !shift.is_finite() {
        return None;
    }
    let body = ShiftedExp(shift);
    let log_sum = if x[y] == m {
        let (lo, hi) = out.split_at_mut(y);
        let rest = driver::forward(&body, &x[..y], &x[..y], None, Some(lo))
            + driver::forward(&body, &x[y + 1..], &x[y + 1..], None, Some(&mut hi[1..]));
        hi[0] = E::from_f64(1.0);
        rest.ln_1p()
    } else {
        driver::forward(&body, x, x, None, Some(out)).ln()
    };
    Some(Lse { shift, log_sum })
}

/// `out = α·p − β·t` over a row, `p` its softmax (the gradient shape of the softmax losses),
/// returning the row's [`Lse`] (as [`log_sum_exp_at`] for class `y`): from the log-sum-exp
/// pass's kept exponentials ([`exp_shifted_into`]; `e` is one row of scratch) when the max is
/// finite, else through [`SoftmaxGrad`]'s own exponential. `coef` gives `(α, β)` once the Lse
/// is known (factors that depend on the row's log-probability); `t = None` means `β = 0`.
pub fn softmax_grad_into<E: Element>(
    row: &[E],
    y: usize,
    t: Option<&[E]>,
    e: &mut [E],
    out: &mut [E],
    coef: impl FnOnce(Lse) -> (f64, f64),
) -> Lse {
    match exp_shifted_into(row, y, e) {
        Some(lse) => {
            let (alpha, beta) = coef(lse);
            let body = ScaledExp {
                a: alpha * (-lse.log_sum).exp(),
                b: beta,
            };
            driver::forward(&body, e, t.unwrap_or(e), None, Some(out));
            lse
        }
        None => {
            let lse = log_sum_exp_at(row, y);
            let (alpha, beta) = coef(lse);
            let body = SoftmaxGrad { lse, alpha, beta };
            driver::forward(&body, row, t.unwrap_or(row), None, Some(out));
            lse
        }
    }
}

/// [`log_sum_exp`] of the row scaled by `inv` (> 0), `x·inv` rounded in the element type as
/// a body computes it (distillation's `x/T`): `shift` is the scaled max, so that a body's
/// `x·inv − shift` is exactly 0 at the max and ≤ 0 elsewhere.
pub fn log_sum_exp_scaled<E: Element>(x: &[E], inv: f64) -> Lse {
    lse_impl(x, None, inv)
}

fn lse_impl<E: Element>(x: &[E], y: Option<usize>, inv: f64) -> Lse {
    let m = max(x);
    let scaled = inv != 1.0;
    let shift = if scaled { m * E::from_f64(inv) } else { m }.to_f64();
    if !shift.is_finite() {
        // ±inf or NaN max: shifting by it would make inf − inf. The unshifted log Σ e^x is
        // then the max itself: NaN (a NaN in the row), +inf (e^+inf = inf, every other term
        // finite), or −inf (every term e^−inf = 0, ln 0; also an empty row).
        return Lse {
            shift: 0.0,
            log_sum: shift,
        };
    }
    let sum = |s: &[E]| {
        if scaled {
            driver::forward(&ScaledExpSum { inv, shift }, s, s, None, None)
        } else {
            driver::forward(&ShiftedExpSum(shift), s, s, None, None)
        }
    };
    let log_sum = match y {
        Some(y) if x[y] != m => sum(x).ln(),
        _ => {
            let j = y.unwrap_or_else(|| position(x, m));
            (sum(&x[..j]) + sum(&x[j + 1..])).ln_1p()
        }
    };
    Lse { shift, log_sum }
}

/// [`ShiftedExpSum`] of `x·inv`.
struct ScaledExpSum {
    inv: f64,
    shift: f64,
}
impl Elementwise for ScaledExpSum {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        exp_floor_nonpos(x * splat(self.inv) - splat(self.shift))
    }
}

/// `e^((x − shift) − log_sum)`: the softmax probabilities. Probabilities below e^−86.5
/// ≈ 2.7e-38 (f32) / e^−707.7 ≈ 4.5e-308 (f64) are flushed to 0 ([`exp_ftz`]): an f32
/// gradient p_c = e^−100 ≈ 3.7e-44 becomes 0, far inside the golden tests' absolute
/// tolerance (1e-30 / 1e-300) and below anything an f32 optimiser step can use.
///
/// The argument is ≤ 0 or NaN for any [`log_sum_exp`] of the row (finite: `x − shift ≤ 0`
/// and `log_sum ≥ 0`; otherwise `shift = 0` and `log_sum` is NaN, +inf, making every lane
/// −inf or NaN, or −inf for a row of −inf, making every lane NaN), hence
/// [`exp_ftz_nonpos`], branch-free.
#[inline(always)]
pub fn probs<V: Vector>(x: V, lse: Lse) -> V {
    exp_ftz_nonpos((x - splat(lse.shift)) - splat(lse.log_sum))
}

/// `lse − x` as `(shift − x) + log_sum` (see [`Lse`]).
#[inline(always)]
pub fn gap<V: Vector>(x: V, lse: Lse) -> V {
    (splat::<V>(lse.shift) - x) + splat(lse.log_sum)
}

/// `Σ t·(lse − x)`: the cross entropy of a row against weights or probabilities `t`, as a sum
/// of non-negative terms (no cancellation between `lse·Σt` and `Σt·x`).
pub struct WeightedGap(pub Lse);
impl Elementwise for WeightedGap {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        t * gap(x, self.0)
    }
}

/// `a·e − b·t` with `e` from [`exp_shifted_into`] and `a = alpha·e^(−log_sum)`: the
/// [`SoftmaxGrad`] shape without its exponential.
struct ScaledExp {
    a: f64,
    b: f64,
}
impl Elementwise for ScaledExp {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, e: V, t: V, _: V) -> V {
        splat::<V>(self.a) * e - splat::<V>(self.b) * t
    }
}

/// `alpha·e^(x − lse) − beta·t`: the gradient shape shared by the softmax losses.
pub struct SoftmaxGrad {
    pub lse: Lse,
    pub alpha: f64,
    pub beta: f64,
}
impl Elementwise for SoftmaxGrad {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        splat::<V>(self.alpha) * probs(x, self.lse) - splat::<V>(self.beta) * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference cross entropy of the max class of a row whose max `m` occurs once:
    /// ln Σ e^x − m = log1p(Σ_{x≠m} e^(x − m)), in f64 with std's exp and ln_1p (every term
    /// positive: no cancellation anywhere).
    fn ce_of_max_ref(x: &[f64]) -> f64 {
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let rest: f64 = x.iter().filter(|&&v| v != m).map(|&v| (v - m).exp()).sum();
        rest.ln_1p()
    }

    /// A confident row: the cross entropy of its max class is log1p(rest), tiny; summing the
    /// rest against the max's 1 in the element type would round most of it away.
    #[test]
    fn confident_rows_keep_the_small_terms() {
        for c in [2usize, 5, 17, 100, 1000] {
            for gap in [20.0, 30.0, 60.0] {
                let row: Vec<f64> = (0..c)
                    .map(|j| {
                        if j == 1 {
                            gap / 2.0
                        } else {
                            -gap / 2.0 - 0.01 * (j % 7) as f64
                        }
                    })
                    .collect();
                let want = ce_of_max_ref(&row);
                let row32: Vec<f32> = row.iter().map(|&v| v as f32).collect();
                let want32 = ce_of_max_ref(&row32.iter().map(|&v| v as f64).collect::<Vec<_>>());
                // Searched (no hint) and hinted at the max class.
                for got64 in [log_sum_exp(&row), log_sum_exp_at(&row, 1)] {
                    let ce64 = (got64.shift - gap / 2.0) + got64.log_sum;
                    assert!(
                        (ce64 - want).abs() <= 1e-14 * want,
                        "f64 C={c} gap={gap}: {ce64} vs {want}"
                    );
                }
                for got32 in [log_sum_exp(&row32), log_sum_exp_at(&row32, 1)] {
                    let ce32 = (got32.shift - (gap / 2.0) as f32 as f64) + got32.log_sum;
                    assert!(
                        (ce32 - want32).abs() <= 1e-6 * want32,
                        "f32 C={c} gap={gap}: {ce32} vs {want32}"
                    );
                }
                // Hinted at another class: the gap there (≈ gap) stays relatively exact.
                let other = log_sum_exp_at(&row32, 0);
                let lse_ref = (gap / 2.0) as f32 as f64 + want32;
                let g = other.value() - row32[0] as f64;
                let g_ref = lse_ref - row32[0] as f64;
                assert!(
                    (g - g_ref).abs() <= 1e-7 * g_ref,
                    "f32 C={c} gap={gap}: {g} vs {g_ref}"
                );
            }
        }
    }

    /// Ties at the max: ln(k + rest).
    #[test]
    fn ties_at_the_max() {
        let row = [3.0f64, 1.0, 3.0, -2.0, 3.0];
        let want = 3.0 + (3.0 + (-2.0f64).exp() + (-5.0f64).exp()).ln();
        let got = log_sum_exp(&row).value();
        assert!((got - want).abs() <= 1e-15 * want, "{got} vs {want}");
    }
}
