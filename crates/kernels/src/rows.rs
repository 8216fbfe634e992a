//! Row primitives for losses over a class dimension (the softmax family). A "row" is the C
//! class scores of one position, contiguous (the TS layer moves the class dimension last).
//! Every pass is one run of the elementwise driver, so SIMD, the tail and the summation are
//! the driver's.

use crate::driver::{self, Elementwise};
use crate::math::{exp_floor_nonpos, exp_ftz_nonpos};
use crate::row_driver::{add_at, max_at, sum_at, Piece, State};
use crate::simd::{Element, Vector};

#[inline(always)]
fn splat<V: Vector>(c: f64) -> V {
    crate::simd::constant(c)
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
pub fn position<E: Element>(x: &[E], m: E) -> usize {
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

/// What `β` multiplies in a softmax gradient `α·p − β·t`: a row (class weights, targets) or
/// the constant 1 (unweighted label smoothing; also `β = 0`).
#[derive(Clone, Copy)]
pub enum Sub<'a, E> {
    One,
    Row(&'a [E]),
}

/// `out = α·p − β·t` over a row, `p` its softmax (the gradient shape of the softmax losses),
/// returning the row's [`Lse`] (as [`log_sum_exp_at`] for class `y`): from the log-sum-exp
/// pass's kept exponentials ([`exp_shifted_into`]; `e` is one row of scratch) when the max is
/// finite, else through [`SoftmaxGrad`]'s own exponential. `coef` gives `(α, β)` once the Lse
/// is known (factors that depend on the row's log-probability).
pub fn softmax_grad_into<E: Element>(
    row: &[E],
    y: usize,
    t: Sub<'_, E>,
    e: &mut [E],
    out: &mut [E],
    coef: impl FnOnce(Lse) -> (f64, f64),
) -> Lse {
    match exp_shifted_into(row, y, e) {
        Some(lse) => {
            let (alpha, beta) = coef(lse);
            let a = alpha * (-lse.log_sum).exp();
            match t {
                Sub::Row(t) => {
                    driver::forward(&ScaledExp::<true> { a, b: beta }, e, t, None, Some(out))
                }
                Sub::One => {
                    driver::forward(&ScaledExp::<false> { a, b: beta }, e, e, None, Some(out))
                }
            };
            lse
        }
        None => {
            let lse = log_sum_exp_at(row, y);
            let (alpha, beta) = coef(lse);
            softmax_grad(row, t, lse, alpha, beta, out);
            lse
        }
    }
}

/// `out = α·p − β·t` over a row or a piece of one (`t` the same range), `p = e^(x − lse)`.
#[inline(never)]
pub fn softmax_grad<E: Element>(
    x: &[E],
    t: Sub<'_, E>,
    lse: Lse,
    alpha: f64,
    beta: f64,
    out: &mut [E],
) {
    match t {
        Sub::Row(t) => driver::forward(
            &SoftmaxGrad::<true> { lse, alpha, beta },
            x,
            t,
            None,
            Some(out),
        ),
        Sub::One => driver::forward(
            &SoftmaxGrad::<false> { lse, alpha, beta },
            x,
            x,
            None,
            Some(out),
        ),
    };
}

/// [`log_sum_exp`] of the row scaled by `inv` (> 0), `x·inv` rounded in the element type as
/// a body computes it (distillation's `x/T`): `shift` is the scaled max, so that a body's
/// `x·inv − shift` is exactly 0 at the max and ≤ 0 elsewhere.
pub fn log_sum_exp_scaled<E: Element>(x: &[E], inv: f64) -> Lse {
    lse_impl(x, None, inv)
}

fn lse_impl<E: Element>(x: &[E], y: Option<usize>, inv: f64) -> Lse {
    let m = max(x);
    let shift = scaled_max(m, inv);
    if !shift.is_finite() {
        return Lse::non_finite();
    }
    let skip = match y {
        Some(y) if x[y] != m => None,
        Some(y) => Some(y),
        None => Some(position(x, m)),
    };
    Lse::from_sum(shift, exp_sum(x, inv, shift, skip), skip.is_some())
}

/// The max of a row scaled by `inv` (`m·inv` rounded in the element type, as the bodies form
/// `x·inv`), in f64.
pub fn scaled_max<E: Element>(m: E, inv: f64) -> f64 {
    if inv != 1.0 { m * E::from_f64(inv) } else { m }.to_f64()
}

/// `Σ e^(x·inv − shift)` over `x` but for position `skip`: one piece of a row's
/// log-sum-exp, `shift` being the row's (scaled, finite) max. Terms below e^−86.5 (f32) /
/// e^−707.7 (f64) count as that bound ([`exp_floor_nonpos`]).
pub fn exp_sum<E: Element>(x: &[E], inv: f64, shift: f64, skip: Option<usize>) -> f64 {
    match skip {
        Some(j) => plain_exp_sum(&x[..j], inv, shift) + plain_exp_sum(&x[j + 1..], inv, shift),
        None => plain_exp_sum(x, inv, shift),
    }
}

/// [`exp_sum`] without a skip; one copy per element type (called from every softmax loss).
#[inline(never)]
fn plain_exp_sum<E: Element>(x: &[E], inv: f64, shift: f64) -> f64 {
    if x.len() < 4 * E::V::LANES {
        return short_exp_sum(x, inv, shift);
    }
    if inv != 1.0 {
        driver::forward(&ScaledExpSum { inv, shift }, x, x, None, None)
    } else {
        driver::forward(&ShiftedExpSum(shift), x, x, None, None)
    }
}

/// [`plain_exp_sum`] of a short row (under four vectors: C ≤ 15 in f32, ≤ 7 in f64, the class
/// counts of most classifiers): the same terms as [`ShiftedExpSum`]/[`ScaledExpSum`], summed in
/// one vector. The elementwise driver's blocking, pairing and compensated totals buy nothing
/// for at most four vectors of terms in [0, 1], and its set-up was most of a 10-class row's
/// time (crossEntropy (65536, 10): 140 ns a row).
#[inline(always)]
fn short_exp_sum<E: Element>(x: &[E], inv: f64, shift: f64) -> f64 {
    let lanes = E::V::LANES;
    let (sv, iv) = (splat::<E::V>(shift), splat::<E::V>(inv));
    let term = |v: E::V| {
        if inv != 1.0 {
            exp_floor_nonpos(v * iv - sv)
        } else {
            exp_floor_nonpos(v - sv)
        }
    };
    let zero = E::V::splat(E::default());
    let mut s = zero;
    let mut i = 0;
    while i + lanes <= x.len() {
        s = s + term(E::V::load(&x[i..]));
        i += lanes;
    }
    if i < x.len() {
        let k = x.len() - i;
        let mut buf = [E::default(); 8];
        buf[..k].copy_from_slice(&x[i..]);
        s = s + E::V::select(E::V::mask_first(k), term(E::V::load(&buf[..])), zero);
    }
    s.sum_f64()
}

/// Rows per call of [`narrow_gaps`] (and of [`crate::row_driver::RowLoss::forward_block`]).
pub const BLOCK: usize = 4;

/// Rows at most this many vectors wide take [`narrow_gaps`] (C ≤ 16 in f32, ≤ 8 in f64).
pub const NARROW_VECTORS: usize = 4;

/// `lse − x_y` (the class-index cross entropy, [`Lse::gap`]) of [`BLOCK`] consecutive rows of
/// `width` ≤ [`NARROW_VECTORS`] vectors, the rows starting at `x[0]`, into `out`; `y` their
/// targets (valid classes). The same terms as [`log_sum_exp_at`] (the target's term left out
/// and `log1p` taken when it is the max), but for a row of a few vectors the per-row work is
/// the fixed cost around them — a max and a sum across lanes, the scalar logarithm — rather
/// than the exponentials: here each row is a few whole-vector loads (lanes past the row
/// masked), and the logarithm runs once per vector of rows' sums instead of once per row
/// (crossEntropy (65536, 10) f32: 125 ns a row through the per-row passes).
///
/// Returns false, writing nothing useful, when a row's max is not finite or a row holds a
/// NaN (the per-row path then gives the NaN results), or when `x` ends before the last row's
/// last whole vector (the driver's last rows).
pub fn narrow_gaps<E: Element>(
    x: &[E],
    width: usize,
    y: &[i32; BLOCK],
    out: &mut [f64; BLOCK],
) -> bool {
    // One copy per vector count: the row's vectors stay in locals, every loop unrolled.
    match width.div_ceil(E::V::LANES) {
        1 => narrow_gaps_n::<E, 1>(x, width, y, out),
        2 => narrow_gaps_n::<E, 2>(x, width, y, out),
        3 => narrow_gaps_n::<E, 3>(x, width, y, out),
        4 => narrow_gaps_n::<E, NARROW_VECTORS>(x, width, y, out),
        _ => false,
    }
}

/// [`narrow_gaps`] for rows of `NV` vectors.
#[inline(never)]
fn narrow_gaps_n<E: Element, const NV: usize>(
    x: &[E],
    width: usize,
    y: &[i32; BLOCK],
    out: &mut [f64; BLOCK],
) -> bool {
    let lanes = E::V::LANES;
    if width == 0 || x.len() < (BLOCK - 1) * width + NV * lanes {
        return false;
    }
    let zero = E::V::splat(E::default());
    let ninf = E::V::splat(E::from_f64(f64::NEG_INFINITY));
    // Lanes past the row (the next row's first elements) are masked out of the last vector.
    let last = E::V::mask_first(width - (NV - 1) * lanes);
    let mut sums = [E::default(); BLOCK];
    let mut max_gap = [0.0f64; BLOCK];
    let mut bad = E::V::mask_first(0);
    for r in 0..BLOCK {
        let row = &x[r * width..r * width + NV * lanes];
        let mut v: [E::V; NV] = core::array::from_fn(|k| E::V::load(&row[k * lanes..]));
        v[NV - 1] = E::V::select(last, v[NV - 1], ninf);
        let mut m = v[0];
        bad = E::V::mask_or(bad, v[0].is_nan());
        for &vk in &v[1..] {
            bad = E::V::mask_or(bad, vk.is_nan());
            m = m.pmax(vk);
        }
        // The row's max in every lane (NaN rows are caught by `bad`).
        let ms = m.pmax_lanes();
        let mut first = [E::default(); 8];
        ms.store(&mut first);
        let mx = first[0];
        let yr = y[r] as usize;
        let xy = row[yr];
        if !mx.to_f64().is_finite() {
            return false;
        }
        // The target's term is left out when it is the max (it is the 1 of log1p).
        let skip = xy == mx;
        let mut s = zero;
        for (k, &vk) in v.iter().enumerate() {
            let mut keep = if k + 1 == NV {
                last
            } else {
                E::V::mask_first(lanes)
            };
            if skip && yr / lanes == k {
                let j = yr % lanes;
                keep = E::V::mask_and(
                    keep,
                    E::V::mask_or(E::V::mask_not(E::V::mask_first(j + 1)), E::V::mask_first(j)),
                );
            }
            s = s + E::V::select(keep, exp_floor_nonpos(vk - ms), zero);
        }
        // log1p(Σ) when the max was left out, else ln Σ = log1p(Σ − 1) (Σ ≥ 1: the max's 1;
        // the f64 subtraction is exact, one rounding to E).
        let s = s.sum_f64();
        sums[r] = E::from_f64(if skip { s } else { s - 1.0 });
        // max − x_y, exact in f64 ([`Lse::gap`]'s order).
        max_gap[r] = mx.to_f64() - xy.to_f64();
    }
    if E::V::any(bad) {
        return false;
    }
    let mut logs = [E::default(); 8];
    for j in (0..BLOCK).step_by(lanes) {
        crate::math::log1p(E::V::load(&sums[j..])).store(&mut logs[j..]);
    }
    for r in 0..BLOCK {
        out[r] = max_gap[r] + logs[r].to_f64();
    }
    true
}

impl Lse {
    /// The log-sum-exp of a row whose (scaled) max is `shift`, from `sum` = Σ e^(x − shift)
    /// over the row with (`skipped_max`) or without the max's own term e^0 = 1 left out.
    pub fn from_sum(shift: f64, sum: f64, skipped_max: bool) -> Lse {
        let log_sum = if skipped_max { sum.ln_1p() } else { sum.ln() };
        Lse { shift, log_sum }
    }

    /// A row whose max is +∞, −∞ (or empty) or NaN: the log-softmax is NaN everywhere (as
    /// PyTorch's `x − max − log Σ e^(x − max)`, where ∞ − ∞ or e^NaN enters every element).
    pub fn non_finite() -> Lse {
        Lse {
            shift: 0.0,
            log_sum: f64::NAN,
        }
    }
}

/// Which term of a softmax row's exponential sum is left out (and added back as the `1` of
/// `log1p`, see [`log_sum_exp`]).
#[derive(Clone, Copy)]
pub enum Skip {
    /// The class-index target's, when it is the row's max ([`log_sum_exp_at`]).
    Target(usize),
    /// The first maximum's ([`log_sum_exp`]).
    FirstMax,
}

/// Pass 0 of a streamed log-sum-exp of `x·inv` over a row's pieces, in state slots
/// `base..base + 4`: slot `base` the running max of `x` (start it at −∞), slot `base + 1`
/// the target's `x` ([`Skip::Target`]) or the first max's position ([`Skip::FirstMax`]).
pub fn lse_max_pass<E: Element>(st: &mut State, base: usize, skip: Skip, piece: &Piece<'_, E>) {
    let pm = max(piece.x);
    match skip {
        Skip::FirstMax => {
            if pm.to_f64() > st[base] {
                st[base + 1] = (piece.start + position(piece.x, pm)) as f64;
            }
        }
        Skip::Target(y) => {
            if let Some(xy) = piece.at(y) {
                st[base + 1] = xy;
            }
        }
    }
    max_at(st, base, pm.to_f64());
}

/// Pass 1: the piece's share of `Σ e^(x·inv − shift)` (slots `base + 2`, `base + 3`).
pub fn lse_sum_pass<E: Element>(
    st: &mut State,
    base: usize,
    skip: Skip,
    inv: f64,
    piece: &Piece<'_, E>,
) {
    let Some((shift, j)) = lse_shift::<E>(st, base, skip, inv) else {
        return;
    };
    let k = j
        .and_then(|j| j.checked_sub(piece.start))
        .filter(|&k| k < piece.x.len());
    add_at(st, base + 2, exp_sum(piece.x, inv, shift, k));
}

/// The shift (the scaled max) and the skipped position, once pass 0 is done; `None` when the
/// max is not finite.
fn lse_shift<E: Element>(
    st: &State,
    base: usize,
    skip: Skip,
    inv: f64,
) -> Option<(f64, Option<usize>)> {
    let m = st[base];
    if !m.is_finite() {
        return None;
    }
    // The max is an element of the row (so exact in E); scaled as the bodies scale `x`.
    let shift = scaled_max(E::from_f64(m), inv);
    let j = match skip {
        Skip::FirstMax => Some(st[base + 1] as usize),
        Skip::Target(y) => (st[base + 1] == m).then_some(y),
    };
    Some((shift, j))
}

/// The row's [`Lse`] after both passes.
pub fn lse_of<E: Element>(st: &State, base: usize, skip: Skip, inv: f64) -> Lse {
    match lse_shift::<E>(st, base, skip, inv) {
        Some((shift, j)) => Lse::from_sum(shift, sum_at(st, base + 2).value(), j.is_some()),
        None => Lse::non_finite(),
    }
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

/// `t·(lse − x)` (`t` = 1 unless `ROW`): summed, the cross entropy of a row against weights
/// or probabilities `t`, as a sum of non-negative terms (no cancellation between `lse·Σt` and
/// `Σt·x`).
pub struct WeightedGap<const ROW: bool>(pub Lse);
impl<const ROW: bool> Elementwise for WeightedGap<ROW> {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let g = gap(x, self.0);
        if ROW {
            t * g
        } else {
            g
        }
    }
}

/// `a·e − b·t` (`t` = 1 unless `ROW`) with `e` from [`exp_shifted_into`] and
/// `a = alpha·e^(−log_sum)`: the [`SoftmaxGrad`] shape without its exponential.
struct ScaledExp<const ROW: bool> {
    a: f64,
    b: f64,
}
impl<const ROW: bool> Elementwise for ScaledExp<ROW> {
    const INTERLEAVE: bool = false;
    #[inline(always)]
    fn forward<V: Vector>(&self, e: V, t: V, _: V) -> V {
        let t = if ROW { t } else { splat(1.0) };
        splat::<V>(self.a) * e - splat::<V>(self.b) * t
    }
}

/// `alpha·e^(x − lse) − beta·t` (`t` = 1 unless `ROW`): the gradient shape shared by the
/// softmax losses.
pub struct SoftmaxGrad<const ROW: bool> {
    pub lse: Lse,
    pub alpha: f64,
    pub beta: f64,
}
impl<const ROW: bool> Elementwise for SoftmaxGrad<ROW> {
    #[inline(always)]
    fn forward<V: Vector>(&self, x: V, t: V, _: V) -> V {
        let t = if ROW { t } else { splat(1.0) };
        splat::<V>(self.alpha) * probs(x, self.lse) - splat::<V>(self.beta) * t
    }
}

#[cfg(any(test, feature = "wasm-tests"))]
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
    #[lossfn_test_macro::kernel_test]
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
    #[lossfn_test_macro::kernel_test]
    fn ties_at_the_max() {
        let row = [3.0f64, 1.0, 3.0, -2.0, 3.0];
        let want = 3.0 + (3.0 + (-2.0f64).exp() + (-5.0f64).exp()).ln();
        let got = log_sum_exp(&row).value();
        assert!((got - want).abs() <= 1e-15 * want, "{got} vs {want}");
    }
}
