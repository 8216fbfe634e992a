//! Row primitives for losses over a class dimension (the softmax family). A "row" is the C
//! class scores of one position, contiguous (the TS layer moves the class dimension last).
//! Every pass is one run of the elementwise driver, so SIMD, the tail and the summation are
//! the driver's.

use crate::driver::{self, Elementwise};
use crate::math::{exp_floor_nonpos, exp_ftz, exp_ftz_nonpos};
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

/// `e^(x − shift)`. With `shift` the row's max the arguments are ≤ 0 and
/// [`exp_ftz`] flushes terms below e^−86.5 (f32) / e^−707.7 (f64) to 0: nothing next to the
/// max's e^0 = 1 in the sum, and it keeps confident rows (logit gaps > 87) on exp's short
/// path instead of its gradual-underflow fallback.
pub struct ShiftedExp(pub f64);
impl Elementwise for ShiftedExp {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        exp_ftz(x - splat(self.0))
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
}

/// `e^(x − shift)` with `shift` the row's max, finite (so every argument is ≤ 0 or −inf, NaN
/// excluded by the caller): as [`ShiftedExp`], but terms below e^−86.5 / e^−707.7 become that
/// bound rather than 0 ([`exp_floor_nonpos`]): next to the max's e^0 = 1, even C of them are
/// far below an ulp of the sum, and the pass has no per-vector check or branch.
struct ShiftedExpSum(f64);
impl Elementwise for ShiftedExpSum {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
        exp_floor_nonpos(x - splat(self.0))
    }
}

/// log Σ e^x with the max shift (stable for logits of any magnitude). The sum of
/// `e^(x − max)` is accumulated in f64 and its log taken in f64.
pub fn log_sum_exp<E: Element>(x: &[E]) -> Lse {
    let m = max(x).to_f64();
    if m.is_finite() {
        return Lse {
            shift: m,
            log_sum: driver::forward(&ShiftedExpSum(m), x, x, None, None).ln(),
        };
    }
    // ±inf or NaN max: shifting by it would make inf − inf. The unshifted log Σ e^x is then
    // the max itself: NaN (a NaN in the row), +inf (e^+inf = inf, every other term finite), or
    // −inf (every term e^−inf = 0, ln 0; also an empty row).
    Lse {
        shift: 0.0,
        log_sum: m,
    }
}

/// Writes `out = e^(x − lse)` (the softmax).
pub fn softmax_into<E: Element>(x: &[E], lse: Lse, out: &mut [E]) {
    driver::forward(
        &SoftmaxGrad {
            lse,
            alpha: 1.0,
            beta: 0.0,
        },
        x,
        x,
        None,
        Some(out),
    );
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
