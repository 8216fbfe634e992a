//! Vectorised elementary functions shared by every kernel.
//!
//! Every function is generic over [`Vector`] and never calls std's scalar libm: the loss
//! kernels are the hot path and must stay in SIMD registers. f32 and f64 use the same
//! algorithms with per-precision polynomials and bounds, picked on [`Element::MANTISSA_DIGITS`]
//! at compile time.
//!
//! Fast path and fallback: each function first checks, for the whole vector, whether every
//! lane lies in the domain of a short path (exp: result normal and finite; ln: argument
//! positive and normal; …; one integer add + compare on the bits, [`Vector::bits_outside`],
//! and one `any_true`). If so it runs the short path; otherwise the complete, branch-free code
//! (clamps, special values by lane selects, gradual underflow) for that vector. The short
//! path is the same algorithm minus the handling its domain makes unnecessary, so a lane gets
//! bit-identical results on either path: results never depend on the neighbouring lanes. On
//! real data the branch is predictable and the fallback never runs.
//!
//! Error bounds are stated in ulp of the result and were measured by the tests at the bottom
//! of this file (130k–220k inputs per function and precision: dense grids around 0, the
//! reduction boundaries and the overflow/underflow thresholds, subnormals, and random
//! wide-range values), which assert them. The f32 reference is the f64 std function (or an
//! f64 formula), i.e. the f32 figures are against the exact value. The f64 reference is std's
//! f64 function, itself within 1 ulp, so the f64 test figures (whole ulps) include its error;
//! the "exact" f64 figures below come from checking a 1-in-5 subsample of the same inputs
//! against mpmath at 200 bits, offline. Subnormal results are measured in units of the
//! subnormal spacing. The f64 "vs exact" figures predate the switch from Horner to Estrin
//! evaluation (the "vs std" figures, which the tests assert, are current). The wasm128 build
//! gives bit-identical results to the portable one the tests run (checked offline on 64k
//! inputs per function and precision, random bit patterns included, by running both).
//!
//! Polynomial coefficients are minimax fits (Remez exchange, computed offline with mpmath at
//! 60 digits) on the reduced intervals below; their approximation error is far below the
//! rounding error of the evaluation (f32: 2^-26 relative, f64: 2^-58).
//!
//! No fused multiply-add is available in stable simd128, so evaluation orders are chosen so
//! that the large terms are exact and only small corrections carry rounding error. The
//! polynomial steps (the Estrin pairs and Horner steps, `r + r²·P(r)` of expm1, log-cosh's
//! `w + w²·Q(w)`) go through [`Vector::mul_add`]: plain multiply-add in the baseline module
//! and on the host (so the bounds below, measured there, are the baseline's), `relaxed_madd`
//! in the relaxed-SIMD module, where engines with FMA fuse them. A fused step rounds once
//! instead of twice, on terms that are already the small corrections: the relaxed module's
//! results may differ from the baseline's by an ulp (test/modules.test.ts measures where).
//! Polynomials are evaluated in Estrin's scheme (independent sub-products) rather than
//! Horner's chain: the same operation count with a shorter dependency chain.
//!
//! Code generation (V8): clamps use `pmin`/`pmax` (one x64 instruction; NaN-propagating
//! `min`/`max` take about seven), rounding to an integer is the `1.5·2^M` "magic" addition
//! and scaling by `2^n` an integer add on the bits ([`Vector::ldexp_magic`]): no float ↔ int
//! conversions (`i32x4.trunc_sat` is slow in V8) and no lane extracts.

use crate::simd::{Element, Vector};

// ---------------------------------------------------------------------------------------------
// Constants and helpers.

/// `ln 2 = LN2_HI + LN2_LO`, with `LN2_HI` short enough (f32: 15 significant bits, f64: 32)
/// that `n · LN2_HI` is exact for every exponent `n` the reductions produce (Cody–Waite).
const LN2_HI_F32: f32 = 0.693_145_75;
const LN2_LO_F32: f32 = 1.428_606_8e-6;
const LN2_HI_F64: f64 = 0.693_147_180_369_123_8;
const LN2_LO_F64: f64 = 1.908_214_929_270_587_7e-10;

/// `1.5·2^M` (M = 23 / 52 stored mantissa bits): `y + MAGIC` rounds `y` (|y| < 2^(M−1)) to
/// the nearest integer `n`, ties to even, and leaves `n` in the low mantissa bits, ready for
/// [`Vector::ldexp_magic`]; `(y + MAGIC) − MAGIC` is `n` as a float.
const MAGIC_F32: f32 = 12_582_912.0;
const MAGIC_F64: f64 = 6_755_399_441_055_744.0;

/// `expm1(r) = r + r²·P(r)` on `|r| ≤ ln2/2 · 1.0005` (the margin covers the rounding of
/// `x·log2 e`); coefficients of `P`, constant term first. The weighted (relative-to-expm1)
/// minimax error is 2^-25.9 (f32) and 2^-58.9 (f64) after rounding the coefficients.
const EXPM1_P_F32: [f32; 5] = [0.5, 0.166_665_32, 0.041_666_158, 0.008_368_133, 0.001_397_6];
const EXPM1_P_F64: [f64; 11] = [
    0.5,
    0.166_666_666_666_666_77,
    0.041_666_666_666_666_71,
    0.008_333_333_333_320_342,
    0.001_388_888_888_884_246_6,
    0.000_198_412_698_897_572_14,
    2.480_158_744_027_452_7e-5,
    2.755_724_024_353_315_7e-6,
    2.755_714_973_521_674_5e-7,
    2.511_051_041_329_268_2e-8,
    2.096_030_724_767_968e-9,
];

/// `ln(1+f) = 2·atanh(s)` with `s = f/(2+f)`, `|s| ≤ 3 − 2√2`, written as
/// `2s + s·R(s²)`; coefficients of `R(z)/z`, lowest first (the fdlibm scheme, refitted).
/// Absolute minimax error of `R`: 2^-29.1 (f32), 2^-57.9 (f64), i.e. relative errors of
/// 2^-30 and 2^-59 in the logarithm.
const LOG_R_F32: [f32; 3] = [0.666_667_76, 0.399_775_42, 0.298_717_3];
const LOG_R_F64: [f64; 7] = [
    0.666_666_666_666_673_4,
    0.399_999_999_994_146_76,
    0.285_714_287_423_876_2,
    0.222_221_985_731_845_23,
    0.181_835_643_261_196_75,
    0.153_140_505_521_127_12,
    0.147_959_497_005_828_58,
];

/// [`LOG_R_F32`]/[`LOG_R_F64`] refitted for `|s| ≤ 0.2` (`f ∈ [−0.25, 0.5]`, [`log1p_unit`]'s
/// exact split). Absolute minimax error of `R`: 2^-27.4 (f32), 2^-61.7 (f64), i.e. below
/// 0.05 ulp of the logarithm.
const LOG_R_WIDE_F32: [f32; 3] = [0.666_669_5, 0.399_578_24, 0.303_605_62];
const LOG_R_WIDE_F64: [f64; 8] = [
    0.666_666_666_666_666,
    0.400_000_000_000_559_4,
    0.285_714_285_560_072_5,
    0.222_222_242_761_931,
    0.181_816_670_891_307_82,
    0.153_910_724_062_507_4,
    0.131_742_622_514_154_25,
    0.138_385_639_982_623_35,
];

/// `ln cosh a = a²·P(a²)` on `|a| ≤ 0.75`; coefficients of `P`, lowest first. Relative minimax
/// error of `P` (before rounding the coefficients): 2^-27.8 (f32), 2^-58.8 (f64).
const LOG_COSH_P_F32: [f32; 6] = [
    0.5,
    -0.083_333_05,
    0.022_216_199,
    -0.006_698_629_4,
    0.002_014_062_6,
    -0.000_429_671_93,
];
const LOG_COSH_P_F64: [f64; 13] = [
    0.5,
    -0.083_333_333_333_332_72,
    0.022_222_222_222_159_874,
    -0.006_746_031_743_564_191_5,
    0.002_186_948_802_767_442_6,
    -0.000_738_602_335_426_728,
    0.000_256_575_616_301_110_83,
    -9.096_315_363_018_353e-5,
    3.268_147_141_252_447_6e-5,
    -1.170_461_594_944_767_5e-5,
    3.955_400_938_999_642e-6,
    -1.089_202_301_241_787_3e-6,
    1.717_334_675_826_865_6e-7,
];

/// `ln(1 + w) = w + w²·Q(w)` on `w ∈ [0, e^−1.5]` (log-cosh's `w = e^−2|x|`, `|x| ≥ 0.75`);
/// coefficients of `Q`, lowest first. Relative error of the sum, after rounding the
/// coefficients: 2^-26.9 (f32 only: f64 keeps the atanh-series kernel).
const LOG1P_SMALL_Q_F32: [f32; 5] = [
    -0.499_998_9,
    0.333_260_95,
    -0.248_454_97,
    0.185_253_71,
    -0.098_872_64,
];

#[inline(always)]
fn is_f64<V: Vector>() -> bool {
    <V::Elem as Element>::MANTISSA_DIGITS == f64::MANTISSA_DIGITS
}

#[inline(always)]
fn splat<V: Vector>(c: f64) -> V {
    crate::simd::constant(c)
}

/// The per-precision constant: `c32` in f32 vectors, `c64` in f64 vectors.
#[inline(always)]
fn pick<V: Vector>(c32: f32, c64: f64) -> V {
    splat(if is_f64::<V>() { c64 } else { c32 as f64 })
}

/// `c[0] + c[1]·x + …` as pairs `c[2i] + c[2i+1]·x` combined by Horner's rule in `x²`: half
/// the dependency chain of Horner in `x`, no more operations, and a plain loop over a
/// constant slice that LLVM unrolls into registers. (The full Estrin tree, its temporaries
/// indexed by the loop, stayed in stack memory for the f64 lengths 7–13: f64 exp-based
/// kernels ran 2–3× slower than this.)
#[inline(always)]
fn estrin<V: Vector, T: Copy + Into<f64>>(x: V, c: &[T]) -> V {
    let pair = |i: usize| -> V {
        let a = splat::<V>(c[2 * i].into());
        match c.get(2 * i + 1) {
            Some(&b) => splat::<V>(b.into()).mul_add(x, a),
            None => a,
        }
    };
    let m = c.len().div_ceil(2);
    let y = x * x;
    let mut acc = pair(m - 1);
    for i in (0..m - 1).rev() {
        acc = acc.mul_add(y, pair(i));
    }
    acc
}

/// [`estrin`] with the coefficients of the vector's precision.
#[inline(always)]
fn poly<V: Vector>(x: V, c32: &[f32], c64: &[f64]) -> V {
    if is_f64::<V>() {
        estrin(x, c64)
    } else {
        estrin(x, c32)
    }
}

/// Where `bad` has a lane set, replaces those lanes of the short path's `y` with the full
/// path's `f(x)`. Called out of line (a cold call per vector that needs it): inlined, the
/// fallbacks added ~60 KB (10%) to the module for no measurable speed. `y` is an argument so
/// that the short path is computed before the branch, where V8 can hoist its constants out of
/// the loop; used only after it, LLVM would sink it into the branch, where TurboFan
/// rematerialises each constant (3 instructions) on every iteration.
#[inline(always)]
fn fix_lanes<V: Vector, F: Fn(V) -> V>(x: V, y: V, bad: V::Mask, f: F) -> V {
    #[inline(never)]
    #[cold]
    fn outline<V: Vector, F: Fn(V) -> V>(x: V, y: V, bad: V::Mask, f: F) -> V {
        V::select(bad, f(x), y)
    }
    if V::any(bad) {
        outline(x, y, bad, f)
    } else {
        y
    }
}

#[inline(always)]
fn magic<V: Vector>() -> V {
    pick(MAGIC_F32, MAGIC_F64)
}

/// `MAGIC + n` for an integer `n` (exact): the bounds [`Vector::bits_outside`] checks a
/// reduction's `k` against, i.e. a range test on `n`.
#[inline(always)]
fn magic_plus<V: Vector>(n32: f32, n64: f64) -> V {
    pick(MAGIC_F32 + n32, MAGIC_F64 + n64)
}

/// Cody–Waite reduction `x = n·ln2 + r`, `|r| ≲ ln2/2`, `n = round(x·log2 e)` integral.
/// Returns `(k, n, r)` with `k = MAGIC + n` (for [`Vector::ldexp_magic`]). `x − n·LN2_HI` is
/// exact, so `r` carries a single rounding. Meaningful for `|x·log2 e| < 2^(M−1)`; callers
/// either clamp `x` first or check `k`'s range.
#[inline(always)]
fn reduce_ln2<V: Vector>(x: V) -> (V, V, V) {
    let k = x * pick(core::f32::consts::LOG2_E, core::f64::consts::LOG2_E) + magic();
    let n = k - magic();
    let r = (x - n * pick(LN2_HI_F32, LN2_HI_F64)) - n * pick(LN2_LO_F32, LN2_LO_F64);
    (k, n, r)
}

/// `e^r − 1` on the reduced interval, relative error about 1 ulp: the leading `r` is exact
/// and only the `r²·P(r)` correction (at most 0.21·|result|) carries rounding error.
#[inline(always)]
fn expm1_poly<V: Vector>(r: V) -> V {
    (r * r).mul_add(poly(r, &EXPM1_P_F32, &EXPM1_P_F64), r)
}

/// exp's short path: `(e^x, k)`, right where [`exp_fast_k`] holds for `k` (the reduction's
/// `MAGIC + n`), unspecified elsewhere.
#[inline(always)]
fn exp_short<V: Vector>(x: V) -> (V, V) {
    let (k, _, r) = reduce_ln2(x);
    ((splat::<V>(1.0) + expm1_poly(r)).ldexp_magic(k), k)
}

/// `[lo, hi]` clamp for exp: below `lo` the result rounds to +0 and above `hi` it overflows,
/// and within it both halves of the split exponent stay normal (f32 n ∈ [−150, 128],
/// f64 n ∈ [−1076, 1024]).
#[inline(always)]
fn exp_bounds<V: Vector>() -> (V, V) {
    (pick(-104.0, -746.0), pick(89.0, 710.0))
}

/// The `n` range of exp's short path: `2^n·p` with `p ∈ [0.7, 1.42]` is normal and finite.
#[inline(always)]
fn exp_fast_k<V: Vector>() -> (V, V) {
    (magic_plus(-125.0, -1021.0), magic_plus(127.0, 1023.0))
}

/// e^x everywhere (the fallback of [`exp`]): clamp to [`exp_bounds`] (pmax/pmin keep NaN),
/// then `2^n` as `2^n1·2^n2`: each factor is a normal power of two even where 2^n is not
/// (n = 128 overflows, n < −126 is subnormal). The first product is exact, so results that
/// land in the subnormal range are rounded once, by the second product: gradual underflow
/// is right. Where the result is normal both products are exact: the short path's value.
#[inline(always)]
fn exp_full<V: Vector>(x: V) -> V {
    let (lo, hi) = exp_bounds::<V>();
    let (_, n, r) = reduce_ln2(x.pmax(lo).pmin(hi));
    let p = splat::<V>(1.0) + expm1_poly(r);
    let n1 = (n * splat(0.5)).floor();
    let n2 = n - n1;
    p * V::pow2i(n1) * V::pow2i(n2)
}

/// `[lo, hi]` clamp for expm1: below `lo` the result rounds to −1 (e^lo < ulp(1)/4), above
/// `hi` it overflows; `2^(n−1)` stays normal in between.
#[inline(always)]
fn expm1_bounds<V: Vector>() -> (V, V) {
    (pick(-20.0, -40.0), pick(89.0, 710.0))
}

/// The `n` range of expm1's short path: `2^(n−1)` normal, `x` inside [`expm1_bounds`].
#[inline(always)]
fn expm1_fast_k<V: Vector>() -> (V, V) {
    (magic_plus(-28.0, -56.0), magic_plus(127.0, 1023.0))
}

/// e^x − 1 from the reduction of `x` (clamped to [`expm1_bounds`], or in the short path's
/// range): with h = 2^(n−1) (`h2` = the same, computed by the caller), e^x − 1 =
/// 2^n·em + (2^n − 1) = 2·(h·em + (h − ½)): h·em and h − ½ are exact (the latter while it
/// matters, n ≤ 25 / 54), so the sum rounds once, and h stays normal at n = 128 / 1024 where
/// 2^n itself would overflow. For n = 0 (|x| ≤ ln2/2) the polynomial is the answer, kept
/// exact down to subnormal x where h·em would round. Loses the sign of −0.
#[inline(always)]
fn expm1_tail<V: Vector>(n: V, r: V, h: V) -> V {
    let em = expm1_poly(r);
    let big = splat::<V>(2.0) * (h * em + (h - splat(0.5)));
    V::select(n.eq(splat(0.0)), em, big)
}

/// e^x − 1 everywhere (the fallback of [`expm1`]).
#[inline(always)]
fn expm1_full<V: Vector>(x: V) -> V {
    let (lo, hi) = expm1_bounds::<V>();
    let (_, n, r) = reduce_ln2(x.pmax(lo).pmin(hi));
    expm1_tail(n, r, V::pow2i(n - splat(1.0)))
}

/// `k·ln2 + ln(1 + f)` for `1 + f ∈ [√2/2, √2)`, as in fdlibm:
/// `k·ln2_hi + (f − (f²/2 − (s·(f²/2 + R(s²)) + lo)))`, where `s = f/(2+f)` and
/// `lo = k·ln2_lo` plus any first-order correction are supplied by the caller. `k·ln2_hi` and
/// `f` are exact, so only the small terms carry rounding error.
#[inline(always)]
fn log_tail<V: Vector>(k: V, f: V, s: V, lo: V) -> V {
    log_tail_with(k, f, s, lo, &LOG_R_F32, &LOG_R_F64)
}

/// [`log_tail`] with the given `R` coefficients.
#[inline(always)]
fn log_tail_with<V: Vector>(k: V, f: V, s: V, lo: V, r32: &[f32], r64: &[f64]) -> V {
    let z = s * s;
    let r = z * poly(z, r32, r64);
    let hfsq = splat::<V>(0.5) * f * f;
    k * pick(LN2_HI_F32, LN2_HI_F64) - ((hfsq - (s * (hfsq + r) + lo)) - f)
}

/// The low part of the Cody–Waite ln 2 split, for [`log_tail`]'s `lo`.
#[inline(always)]
fn ln2_lo<V: Vector>() -> V {
    pick(LN2_LO_F32, LN2_LO_F64)
}

/// ln x for positive normal finite `x`.
#[inline(always)]
fn ln_normal<V: Vector>(x: V) -> V {
    // x = m·2^k, m ∈ (√2/2, √2]: centring m on 1 keeps |s| ≤ 0.172 and avoids the
    // cancellation of ln m + k·ln2 near x = 1.
    let (k, m) = x.frexp_sqrt2();
    let f = m - splat(1.0);
    let s = f / (splat::<V>(2.0) + f);
    log_tail(k, f, s, k * ln2_lo())
}

/// ln x everywhere (the fallback of [`ln`]).
#[inline(always)]
fn ln_full<V: Vector>(x: V) -> V {
    let zero = splat::<V>(0.0);
    // Subnormals have no implicit bit for frexp to read: scale them into the normals first.
    let tiny = x.lt(pick(f32::MIN_POSITIVE, f64::MIN_POSITIVE));
    let xs = V::select(tiny, x * pick(16_777_216.0, 18_014_398_509_481_984.0), x);
    let (k, m) = xs.frexp_sqrt2();
    let k = k - V::select(tiny, pick(24.0, 54.0), zero);
    let f = m - splat(1.0);
    let s = f / (splat::<V>(2.0) + f);
    let r = log_tail(k, f, s, k * ln2_lo());
    let inf = splat::<V>(f64::INFINITY);
    let r = V::select(x.eq(inf), inf, r);
    let r = V::select(x.eq(zero), -inf, r);
    V::select(x.ge(zero), r, splat(f64::NAN))
}

/// ln(1 + x) for `x > −1` with `u = 1 + x` positive, normal, finite (no special values;
/// `x = −0` gives +0). `pow2_neg_k` maps `−k` to `2^−k` (the caller clamps or not).
#[inline(always)]
fn log1p_core<V: Vector>(x: V, pow2_neg_k: impl Fn(V) -> V) -> V {
    let one = splat::<V>(1.0);
    let zero = splat::<V>(0.0);
    let u = one + x;
    let (k, m) = u.frexp_sqrt2();
    // For u ∈ (√2/2, √2] (k = 0) the kernel takes f = x itself, exactly: no rounding of 1 + x
    // to undo, hence none of the cancellation between ln(u) and a correction that costs the
    // u-trick up to 2 ulp for x near the rounding midpoints of 1 + x. Elsewhere |ln(1+x)| >
    // 0.34 and f = m − 1 (exact) plus the first-order correction c/u, where c is the rounding
    // error of 1 + x (exact for x ≤ 1, tiny relative to the result for larger x), suffices.
    let k0 = k.eq(zero);
    let f = V::select(k0, x, m - one);
    let c = V::select(k0, zero, x - (u - one));
    let d = splat::<V>(2.0) + f;
    // One division serves both s = f/(2+f) and 1/m (for c/u = c·2^-k/m): s and 1/m lose
    // ~1.5 ulp to the extra roundings, which the s·(…) term scales down to < 0.1 ulp of the
    // result, and c/u is itself at most ~1.5 ulp of the result.
    let q = one / (d * m);
    let s = f * m * q;
    let corr = c * pow2_neg_k(-k) * (d * q);
    log_tail(k, f, s, k * ln2_lo() + corr)
}

/// `[lo, hi]` for log1p's short path, on `u = 1 + x`: u positive normal, and 2^−k normal.
#[inline(always)]
fn log1p_fast_u<V: Vector>() -> (V, V) {
    (
        pick(f32::MIN_POSITIVE, f64::MIN_POSITIVE),
        pick(2f32.powi(126), 2f64.powi(1022)),
    )
}

/// ln(1 + x) everywhere (the fallback of [`log1p`]).
#[inline(always)]
fn log1p_full<V: Vector>(x: V) -> V {
    let zero = splat::<V>(0.0);
    let one = splat::<V>(1.0);
    let u = one + x;
    // 2^-k stays normal after the clamp; where the clamp bites (u > 2^126), c/u is < 2^-100.
    let lim = pick::<V>(-126.0, -1022.0);
    let r = log1p_core(x, |nk: V| V::pow2i(nk.pmax(lim)));
    let inf = splat::<V>(f64::INFINITY);
    // The kernel already returns tiny x exactly; this keeps the sign of −0 too.
    let r = V::select(u.eq(one), x, r);
    let r = V::select(x.eq(inf), inf, r);
    let r = V::select(u.eq(zero), -inf, r);
    V::select(u.ge(zero), r, splat(f64::NAN))
}

/// ln(1 + t) for `t ∈ [0, 1]` (softplus's and the BCE family's argument e^−|x|), without
/// any rounding to undo: for t < ½, f = t (k = 0); for t ≥ ½, 1 + t = 2·(1 + f) with
/// f = (t − 1)/2 ∈ [−¼, 0], exact (t − 1 is, by Sterbenz's lemma). So no correction term and
/// no frexp, at the price of f reaching ½ (|s| ≤ 0.2, hence the wider `R` fit). NaN → NaN.
/// Callers with `t = e^−|x|` (σ and softplus sharing one exponential) use it instead of
/// [`log1p`]: same accuracy (see [`softplus`]), no frexp, no correction, no fallback.
#[inline(always)]
pub fn log1p_unit<V: Vector>(t: V) -> V {
    let one = splat::<V>(1.0);
    let half = splat::<V>(0.5);
    let big = t.ge(half);
    let k = V::select(big, one, splat(0.0));
    let f = V::select(big, (t - one) * half, t);
    let s = f / (splat::<V>(2.0) + f);
    log_tail_with(k, f, s, k * ln2_lo(), &LOG_R_WIDE_F32, &LOG_R_WIDE_F64)
}

// ---------------------------------------------------------------------------------------------
// Public functions.

/// e^x.
///
/// Method: Cody–Waite reduction `x = n·ln2 + r` with ln2 split hi/lo and `n` rounded by the
/// magic addition, `e^r = 1 + r + r²·P(r)` with a minimax `P` (degree 4 in f32, 10 in f64),
/// then `·2^n` by adding `n` to the exponent bits. Vectors with a lane whose result would
/// not be normal and finite (|x| ≳ 87 / 708, NaN) take the full path: clamp to
/// [−104, 89] (f32) / [−746, 710] (f64) and scale by `2^⌊n/2⌋·2^(n−⌊n/2⌋)`, so that overflow
/// gives +inf and underflow rounds once into the subnormals. NaN → NaN, +inf → +inf,
/// −inf → +0.
///
/// Measured max error: f32 0.95 ulp; f64 1 ulp vs std, 0.93 ulp vs exact. Asserted: f32 ≤ 1,
/// f64 ≤ 2.
#[inline]
pub fn exp<V: Vector>(x: V) -> V {
    let (y, k) = exp_short(x);
    let (klo, khi) = exp_fast_k::<V>();
    fix_lanes(x, y, k.bits_outside(klo, khi), exp_full)
}

/// e^x − 1, accurate near 0.
///
/// Method: same reduction and polynomial as [`exp`], but the result is reassembled as
/// `2·(2^(n−1)·(e^r − 1) + (2^(n−1) − ½))`, exact but for one rounding, so there is no
/// catastrophic cancellation; for |x| ≤ ln2/2 it is the polynomial `r + r²·P(r)` itself
/// (tiny x → x, −0 → −0). Vectors with a lane outside [−19.4, 88.3] (f32) /
/// [−38.8, 709.4] (f64) or NaN take the full path, clamped to [−20, 89] / [−40, 710]: −1
/// below, +inf above.
///
/// Measured max error: f32 1.70 ulp (1.62 with the Horner evaluation this replaced); f64
/// 2 ulp vs std, 1.86 ulp vs exact (worst just above |x| = ln2/2, where the result is smaller
/// than the polynomial it is built from). Asserted: f32 ≤ 1.75, f64 ≤ 3.
#[inline]
pub fn expm1<V: Vector>(x: V) -> V {
    let (k, n, r) = reduce_ln2(x);
    let (klo, khi) = expm1_fast_k::<V>();
    let r = expm1_tail(n, r, splat::<V>(0.5).ldexp_magic(k));
    let r = fix_lanes(x, r, k.bits_outside(klo, khi), expm1_full);
    V::select(x.eq(splat(0.0)), x, r)
}

/// Natural logarithm.
///
/// Method: `x = m·2^k` with `m ∈ (√2/2, √2]` (integer arithmetic on the bits), `f = m − 1`,
/// `s = f/(2+f)`, `ln m = f − f²/2 + s·(f²/2 + R(s²))` with a minimax `R` (3 terms in f32,
/// 7 in f64), plus `k·ln2` split hi/lo (fdlibm's scheme). Vectors with a lane that is not
/// positive, normal and finite take the full path, where subnormal x are prescaled by 2^24
/// (f32) / 2^54 (f64) and special values selected: ln(±0) = −inf, ln(x < 0) = NaN,
/// ln(+inf) = +inf, NaN → NaN.
///
/// Measured max error: f32 0.82 ulp; f64 1 ulp vs std, 0.80 ulp vs exact. Asserted: f32 ≤ 1,
/// f64 ≤ 2.
#[inline]
pub fn ln<V: Vector>(x: V) -> V {
    let normal = (
        pick::<V>(f32::MIN_POSITIVE, f64::MIN_POSITIVE),
        pick::<V>(f32::MAX, f64::MAX),
    );
    fix_lanes(x, ln_normal(x), x.bits_outside(normal.0, normal.1), ln_full)
}

/// ln(1 + x), accurate near 0.
///
/// Method: `u = 1 + x = m·2^k` as in [`ln`]. Where k = 0 (x ∈ [−0.29, 0.41]) the [`ln`]
/// kernel runs on f = x itself, exactly, so tiny x → x (−0 → −0, subnormals included) with no
/// cancellation; elsewhere on f = m − 1 plus the first-order correction `(x − (u − 1))/u` for
/// the rounding of u, whose division shares one reciprocal with `s = f/(2+f)`. Vectors with
/// a lane where u is not positive and normal or exceeds 2^126 (f32) / 2^1022 (f64) take the
/// full path: log1p(−1) = −inf, log1p(x < −1) = NaN, log1p(+inf) = +inf, NaN → NaN.
///
/// Measured max error: f32 0.85 ulp; f64 1 ulp vs std, 0.80 ulp vs exact. Asserted: f32 ≤ 1,
/// f64 ≤ 2.
#[inline]
pub fn log1p<V: Vector>(x: V) -> V {
    let one = splat::<V>(1.0);
    let u = one + x;
    let (lo, hi) = log1p_fast_u::<V>();
    // The kernel already returns tiny x exactly; this keeps the sign of −0 too.
    let r = V::select(u.eq(one), x, log1p_core(x, V::pow2i));
    fix_lanes(x, r, u.bits_outside(lo, hi), log1p_full)
}

/// `(ln x, log1p(−x))`, bit for bit [`ln`]`(x)` and [`log1p`]`(−x)` (BCE on probabilities),
/// with one range check and one branch per vector instead of two.
#[inline]
pub fn ln_and_log1p_neg<V: Vector>(x: V) -> (V, V) {
    let one = splat::<V>(1.0);
    let nx = -x;
    let u = one + nx;
    let (lo, hi) = log1p_fast_u::<V>();
    let l1 = V::select(u.eq(one), nx, log1p_core(nx, V::pow2i));
    let l0 = ln_normal(x);
    let normal = (
        pick::<V>(f32::MIN_POSITIVE, f64::MIN_POSITIVE),
        pick::<V>(f32::MAX, f64::MAX),
    );
    let bad = V::mask_or(u.bits_outside(lo, hi), x.bits_outside(normal.0, normal.1));
    if V::any(bad) {
        both_full(x, l0, l1, bad)
    } else {
        (l0, l1)
    }
}

/// [`ln_and_log1p_neg`]'s fallback, out of line (see [`fix_lanes`]).
#[inline(never)]
#[cold]
fn both_full<V: Vector>(x: V, l0: V, l1: V, bad: V::Mask) -> (V, V) {
    (
        V::select(bad, ln_full(x), l0),
        V::select(bad, log1p_full(-x), l1),
    )
}

/// ln(1 + e^x), overflow-free.
///
/// Method: `max(x, 0) + log1p(e^−|x|)`: the exponential is at most 1, and for very negative x
/// the log1p of a tiny (even subnormal) e^x returns it exactly, so softplus(−100) in f32 is
/// e^−100 ≈ 3.7e-44, not 0. softplus(large) = x, ±inf → +inf / +0, NaN → NaN. The log1p is
/// a variant for arguments in [0, 1] whose reduction is exact (one comparison, no frexp, no
/// correction term).
///
/// Measured max error: f32 1.46 ulp; f64 2 ulp vs an f64 std formula, 1.31 ulp vs exact.
/// Asserted: f32 ≤ 1.5, f64 ≤ 3.
#[inline]
pub fn softplus<V: Vector>(x: V) -> V {
    let t = exp(-x.abs());
    x.pmax(splat(0.0)) + log1p_unit(t)
}

/// ln σ(x) = −ln(1 + e^−x) = −softplus(−x), overflow-free (e.g. BCE with logits).
///
/// Same method as [`softplus`]. Measured max error: f32 1.46 ulp; f64 2 ulp vs an f64 std
/// formula, 1.36 ulp vs exact. Asserted: f32 ≤ 1.5, f64 ≤ 3.
#[inline]
pub fn log_sigmoid<V: Vector>(x: V) -> V {
    -softplus(-x)
}

/// σ(x) = 1 / (1 + e^−x), stable for any x.
///
/// Method: with `t = e^−|x| ∈ (0, 1]`, σ(x) = 1/(1 + t) for x ≥ 0 and t/(1 + t) for x < 0:
/// nothing overflows, and for very negative x the result is t itself (σ(−100) = e^−100,
/// subnormal in f32). σ(+inf) = 1, σ(−inf) = 0, NaN → NaN.
///
/// Measured max error: f32 2.25 ulp (2.06 on the test's current grid; at x < 0, where e^x's
/// own error is magnified up to 2× when t/(1+t) drops a binade below t); f64 2 ulp vs an f64
/// std formula, 1.93 ulp vs exact. Asserted: f32 ≤ 2.5, f64 ≤ 3.
#[inline]
pub fn sigmoid<V: Vector>(x: V) -> V {
    let one = splat::<V>(1.0);
    let t = exp(-x.abs());
    V::select(x.ge(splat(0.0)), one, t) / (one + t)
}

/// tanh(x).
///
/// Method: with `e = expm1(−2|x|) ∈ [−1, 0]`, tanh|x| = −e/(2 + e), sign restored with
/// copysign. expm1 keeps tiny x accurate (tanh x → x, −0 → −0); its argument is clamped at
/// −19 (f32) / −38 (f64), where e already rounds to −1, giving tanh = ±1 for large |x| and
/// ±inf, and keeping every lane on expm1's short path. NaN → NaN.
///
/// Measured max error: f32 2.43 ulp; f64 3 ulp vs std, 2.47 ulp vs exact (mid-range |x|,
/// where −e/(2+e) magnifies expm1's error by up to 2/(2+e)). Asserted: f32 ≤ 2.5, f64 ≤ 4.
#[inline]
pub fn tanh<V: Vector>(x: V) -> V {
    let e = expm1((splat::<V>(-2.0) * x.abs()).pmax(pick(-19.0, -38.0)));
    let r = -e / (splat::<V>(2.0) + e);
    r.copysign(x)
}

/// The argument below which [`exp_ftz`] returns +0: e^lo is normal (2.7e-38 / 4.5e-308) and
/// `round(lo·log2 e)` = −125 / −1021, the low end of [`exp`]'s short path.
#[inline(always)]
fn exp_ftz_lo<V: Vector>() -> V {
    pick(-86.5, -707.7)
}

/// e^x with results below e^−86.5 ≈ 2.7e-38 (f32) / e^−707.7 ≈ 4.5e-308 (f64) flushed to +0:
/// for the softmax family, whose arguments `x − max(x)` are ≤ 0 and whose exponentials are
/// summed with the max's e^0 = 1 or normalised by that sum, so a flushed term changes nothing
/// above the 1e-30 / 1e-300 absolute tolerance of any comparison (an f32 gradient
/// p_c = e^−100 ≈ 3.7e-44 becomes 0).
///
/// Method: [`exp`] on `max(x, lo)`, then the lanes below `lo` zeroed, so confident logits
/// (gaps > 87) stay on the short path instead of taking exp's gradual-underflow fallback.
/// Every other result, NaN/inf included (via exp's fallback), is bit-identical to [`exp`]'s.
#[inline]
pub fn exp_ftz<V: Vector>(x: V) -> V {
    let lo = exp_ftz_lo::<V>();
    let y = exp(x.pmax(lo));
    V::select(x.lt(lo), splat(0.0), y)
}

/// [`exp_ftz`], bit for bit, for arguments that are ≤ 0, −inf or NaN (softmax probabilities
/// `(x − max) − log Σ`): with the clamp every other lane is on exp's short path, so there is no
/// range check and no branch in the caller's loop; NaN lanes are passed through by a blend.
#[inline]
pub fn exp_ftz_nonpos<V: Vector>(x: V) -> V {
    let lo = exp_ftz_lo::<V>();
    let (y, _) = exp_short(x.pmax(lo));
    let y = V::select(x.lt(lo), splat(0.0), y);
    V::select(x.is_nan(), x, y)
}

/// [`exp_ftz_nonpos`] where `keep` is set and +0 elsewhere, for kept lanes whose arguments are
/// ≤ 0 or −inf and not NaN (the caller has ruled NaN out; lanes not kept may hold anything):
/// on kept lanes bit for bit [`exp_ftz_nonpos`], without its NaN blend, and the mask folded
/// into the flush's select (softmaxes over padded lists: one select per vector, not three).
#[inline]
pub fn exp_ftz_nonpos_where<V: Vector>(x: V, keep: V::Mask) -> V {
    let lo = exp_ftz_lo::<V>();
    let (y, _) = exp_short(x.pmax(lo));
    V::select(V::mask_and(keep, x.ge(lo)), y, splat(0.0))
}

/// [`exp_ftz`] without the flush, for arguments that are ≤ 0 or −inf (not NaN, not > 0):
/// lanes below its threshold give e^−86.5 ≈ 2.7e-38 (f32) / e^−707.7 ≈ 4.5e-308 (f64)
/// instead of +0, every other lane the same bits as [`exp`]. For a sum that also holds a term
/// 1 (the max-shifted softmax denominator), where such a term is far below an ulp of the sum.
/// With the clamp every lane is on exp's short path, so there is no check and no fallback:
/// no branch in the caller's loop. Other arguments give unspecified values.
#[inline]
pub fn exp_floor_nonpos<V: Vector>(x: V) -> V {
    exp_short(x.pmax(exp_ftz_lo())).0
}

/// ln cosh x, overflow-free (the log-cosh loss).
///
/// Method: with `a = |x|`: for `a < 0.75`, `a²·P(a²)` with a minimax `P` (degree 5 in f32, 12
/// in f64): no cancellation, relative accuracy down to subnormal x (where a² underflows the
/// result is 0, correctly rounded). For `a ≥ 0.75`, `(a − ln2) + ln(1 + w)`, `w = e^−2a ≤
/// 0.223`, so `1 + w < √2` and the logarithm is fdlibm's kernel on `f = w` directly (no
/// reduction) in f64, and in f32 the polynomial `w + w²·Q(w)` (no division; relative error
/// 2^-26.9, far below the result's ulp); `a − ln2_hi` is exact and no two terms cancel by more than a factor 0.25. The
/// exponential's argument is clamped at −40 / −80 (its short path, and no subnormal
/// intermediates; the clamped w is far below an ulp of the result), so ±inf → +inf and
/// NaN → NaN with no overflow anywhere.
///
/// Measured max error: f32 2.67 ulp (just below |x| = 0.75, from the roundings of a² and of
/// the product; the expm1/log1p formula it replaced measured 4.04 on the same sweep); f64
/// 7 ulp vs an f64 std formula (2·atanh(tanh²(x/2)) / the large-x form) whose own error is
/// several ulp there (the old formula: 8). Asserted: f32 ≤ 3, f64 ≤ 8.
#[inline]
pub fn log_cosh<V: Vector>(x: V) -> V {
    let a = x.abs();
    let y = a * a;
    let small = y * poly(y, &LOG_COSH_P_F32, &LOG_COSH_P_F64);
    // The clamp keeps every non-NaN lane in exp's short path; NaN lanes get garbage w but
    // a NaN `large` (and `small`) anyway, so no check or fallback is needed. At −40 (f32) /
    // −80 (f64), w ≥ 4e-18 / 2e-35 is already far below an ulp of `large` (a ≥ 20 / 40), and
    // no product of the polynomial below lands among the subnormals, whose x64 microcode
    // assists made |x| ≳ 44 cost 8× the time of any other input (30 vs 3.9 ns per element).
    let (w, _) = exp_short((splat::<V>(-2.0) * a).pmax(pick(-40.0, -80.0)));
    let log1p_w = if is_f64::<V>() {
        let s = w / (splat::<V>(2.0) + w);
        log_tail(splat(0.0), w, s, splat(0.0))
    } else {
        // w + w²·Q(w): no division; the leading w is exact.
        (w * w).mul_add(estrin(w, &LOG1P_SMALL_Q_F32), w)
    };
    let large = (a - pick(LN2_HI_F32, LN2_HI_F64)) + (log1p_w - ln2_lo());
    V::select(a.lt(splat(0.75)), small, large)
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;
    use crate::simd::{F32x4, F64x2};

    // ---- Inputs ---------------------------------------------------------------------------

    /// xorshift64*: deterministic, dependency-free.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        /// Uniform in [lo, hi).
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
        }
    }

    /// `n` evenly spaced points on [lo, hi].
    fn grid(out: &mut Vec<f64>, lo: f64, hi: f64, n: usize) {
        for i in 0..=n {
            out.push(lo + (hi - lo) * i as f64 / n as f64);
        }
    }

    /// `n` random values in [lo, hi).
    fn random(out: &mut Vec<f64>, rng: &mut Rng, lo: f64, hi: f64, n: usize) {
        for _ in 0..n {
            out.push(rng.uniform(lo, hi));
        }
    }

    /// `n` values with log-uniform magnitude in [2^lo, 2^hi), both signs unless `positive`.
    fn log_random(out: &mut Vec<f64>, rng: &mut Rng, lo: f64, hi: f64, positive: bool, n: usize) {
        for _ in 0..n {
            let m = rng.uniform(lo, hi).exp2();
            out.push(if positive || rng.next() & 1 == 0 {
                m
            } else {
                -m
            });
        }
    }

    /// Inputs near 0, across every binade down to the subnormals, in the given precision.
    fn tiny(out: &mut Vec<f64>, rng: &mut Rng, f64_prec: bool, n: usize) {
        let min = if f64_prec { -1074.0 } else { -149.0 };
        log_random(out, rng, min, -10.0, false, n);
    }

    // ---- Error measurement ----------------------------------------------------------------

    /// |y − exact| in units of the f32 ulp at `exact` (subnormal spacing below the normals);
    /// an infinite value counts as 2^128, the next binade, so near-overflow misses are finite.
    fn ulp_err_f32(y: f32, exact: f64) -> f64 {
        if exact.is_nan() || y.is_nan() {
            return if exact.is_nan() && y.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if y == exact as f32 {
            return 0.0;
        }
        let widen = |v: f64| {
            if v.is_infinite() {
                2f64.powi(128).copysign(v)
            } else {
                v
            }
        };
        let (y, e) = (widen(y as f64), widen(exact));
        let expo = (((e.abs().to_bits() >> 52) as i64) - 1023).clamp(-126, 127);
        (y - e).abs() / 2f64.powi(expo as i32 - 23)
    }

    /// |y − r| in units of the f64 ulp at the reference `r`; infinity counts as 2^1024.
    fn ulp_err_f64(y: f64, r: f64) -> f64 {
        if r.is_nan() || y.is_nan() {
            return if r.is_nan() && y.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if y == r {
            return 0.0;
        }
        // The power of two of v's binade, times 2^-52 (exact, even when it lands in the
        // subnormals); subnormal v share the spacing 2^-1074.
        let ulp = |v: f64| {
            let binade = f64::from_bits(v.abs().to_bits() & 0x7ff0_0000_0000_0000);
            if binade == 0.0 {
                f64::from_bits(1)
            } else {
                binade * f64::EPSILON
            }
        };
        if y.is_infinite() || r.is_infinite() {
            if y.signum() != r.signum() {
                return f64::INFINITY;
            }
            // Distance to f64::MAX plus one ulp of MAX for the step to infinity.
            let fin = if y.is_infinite() { r } else { y };
            return (f64::MAX - fin.abs()) / ulp(f64::MAX) + 1.0;
        }
        (y - r).abs() / ulp(r)
    }

    /// Max ulp error of `f` (through F32x4) against `exact` (in f64) over `xs`.
    fn sweep_f32(f: fn(F32x4) -> F32x4, exact: fn(f64) -> f64, xs: &[f64]) -> (f64, f32) {
        let mut worst = (0.0, 0.0f32);
        for c in xs.chunks(4) {
            let mut lanes = [0f32; 4];
            for (l, &x) in lanes.iter_mut().zip(c) {
                *l = x as f32;
            }
            let mut ys = [0f32; 4];
            f(F32x4::load(&lanes)).store(&mut ys);
            for (&x, &y) in lanes.iter().zip(&ys).take(c.len()) {
                let e = ulp_err_f32(y, exact(x as f64));
                if e > worst.0 {
                    worst = (e, x);
                }
            }
        }
        worst
    }

    /// Max ulp error of `f` (through F64x2) against the std reference `r` over `xs`.
    fn sweep_f64(f: fn(F64x2) -> F64x2, r: fn(f64) -> f64, xs: &[f64]) -> (f64, f64) {
        let mut worst = (0.0, 0.0f64);
        for c in xs.chunks(2) {
            let mut lanes = [0f64; 2];
            lanes[..c.len()].copy_from_slice(c);
            let mut ys = [0f64; 2];
            f(F64x2::load(&lanes)).store(&mut ys);
            for (&x, &y) in lanes.iter().zip(&ys).take(c.len()) {
                let e = ulp_err_f64(y, r(x));
                if e > worst.0 {
                    worst = (e, x);
                }
            }
        }
        worst
    }

    /// Sweeps both precisions, prints the measured maxima (`cargo test -- --nocapture`) and
    /// asserts the documented bounds.
    fn check(
        name: &str,
        f32f: fn(F32x4) -> F32x4,
        f64f: fn(F64x2) -> F64x2,
        exact: fn(f64) -> f64,
        inputs: fn(bool) -> Vec<f64>,
        bound32: f64,
        bound64: f64,
    ) {
        let xs = inputs(false);
        let (e32, x32) = sweep_f32(f32f, exact, &xs);
        let xs = inputs(true);
        let (e64, x64) = sweep_f64(f64f, exact, &xs);
        println!("{name}: f32 {e32:.3} ulp at {x32:e}, f64 {e64:.3} ulp at {x64:e}");
        assert!(e32 <= bound32, "{name} f32: {e32} ulp at x = {x32:e}");
        assert!(e64 <= bound64, "{name} f64: {e64} ulp at x = {x64:e}");
    }

    // ---- References (f64 std, or f64 formulas from it) ------------------------------------

    fn softplus_ref(x: f64) -> f64 {
        x.max(0.0) + (-x.abs()).exp().ln_1p()
    }
    fn sigmoid_ref(x: f64) -> f64 {
        let t = (-x.abs()).exp();
        if x >= 0.0 {
            1.0 / (1.0 + t)
        } else {
            t / (1.0 + t)
        }
    }
    fn log_sigmoid_ref(x: f64) -> f64 {
        -softplus_ref(-x)
    }
    fn log_cosh_ref(x: f64) -> f64 {
        let a = x.abs();
        if a < 1.0 {
            // ln cosh a = 2·atanh(tanh²(a/2)): no cancellation near 0.
            let t = (0.5 * a).tanh();
            2.0 * (t * t).atanh()
        } else {
            a - core::f64::consts::LN_2 + (-2.0 * a).exp().ln_1p()
        }
    }

    // ---- Input sets -------------------------------------------------------------------------

    const N: usize = 30_000;

    fn exp_inputs(f64p: bool) -> Vec<f64> {
        let mut v = Vec::new();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (lo, hi) = if f64p {
            (-745.2, 709.79)
        } else {
            (-103.98, 88.73)
        };
        grid(&mut v, -1.0, 1.0, N);
        grid(&mut v, -0.36, -0.33, N / 4); // reduction boundary ±ln2/2
        grid(&mut v, 0.33, 0.36, N / 4);
        grid(&mut v, hi - 0.02, hi + 0.02, N / 4); // overflow threshold
        grid(&mut v, lo - 0.5, lo + 30.0, N); // subnormal results and the underflow to 0
        random(&mut v, &mut rng, lo - 5.0, hi + 5.0, 2 * N);
        tiny(&mut v, &mut rng, f64p, N / 4);
        v
    }

    fn expm1_inputs(f64p: bool) -> Vec<f64> {
        let mut v = exp_inputs(f64p);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        grid(&mut v, -0.4, 0.4, N);
        grid(&mut v, -45.0, -10.0, N / 4); // saturation to −1
        log_random(&mut v, &mut rng, -40.0, 2.0, false, N);
        v
    }

    fn ln_inputs(f64p: bool) -> Vec<f64> {
        let mut v = Vec::new();
        let mut rng = Rng(0xd1b5_4a32_d192_ed03);
        let (min, max) = if f64p {
            (-1074.0, 1024.0)
        } else {
            (-149.0, 128.0)
        };
        log_random(&mut v, &mut rng, min, max, true, 2 * N); // every binade, subnormals too
        grid(&mut v, 0.5, 2.0, N);
        grid(&mut v, 0.999, 1.001, N); // cancellation zone around 1
        grid(&mut v, 0.7, 0.715, N / 4); // split point √2/2
        grid(&mut v, 1.40, 1.43, N / 4); // split point √2
        v
    }

    fn log1p_inputs(f64p: bool) -> Vec<f64> {
        let mut v = Vec::new();
        let mut rng = Rng(0x94d0_49bb_1331_11eb);
        let max = if f64p { 1024.0 } else { 128.0 };
        grid(&mut v, -0.99, 1.0, N);
        grid(&mut v, -0.3, -0.28, N / 4); // u near √2/2
        grid(&mut v, 0.40, 0.43, N / 4); // u near √2
        log_random(&mut v, &mut rng, -60.0, -1.0, true, N / 2); // x = −1 + tiny
        let n = v.len();
        for x in &mut v[n - N / 2..] {
            *x -= 1.0;
        }
        log_random(&mut v, &mut rng, -30.0, max, true, N);
        tiny(&mut v, &mut rng, f64p, N / 2);
        random(&mut v, &mut rng, -1.0, 4.0, N);
        v
    }

    fn logistic_inputs(f64p: bool) -> Vec<f64> {
        let mut v = Vec::new();
        let mut rng = Rng(0xbf58_476d_1ce4_e5b9);
        let far = if f64p { 760.0 } else { 120.0 };
        grid(&mut v, -4.0, 4.0, N);
        grid(&mut v, -far, far, N);
        random(&mut v, &mut rng, -far, far, N);
        log_random(&mut v, &mut rng, -60.0, 12.0, false, N);
        tiny(&mut v, &mut rng, f64p, N / 4);
        v
    }

    fn tanh_inputs(f64p: bool) -> Vec<f64> {
        let mut v = Vec::new();
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        grid(&mut v, -1.0, 1.0, N);
        grid(&mut v, -25.0, 25.0, N);
        log_random(&mut v, &mut rng, -40.0, 8.0, false, 2 * N);
        tiny(&mut v, &mut rng, f64p, N / 4);
        v
    }

    fn log_cosh_inputs(f64p: bool) -> Vec<f64> {
        let mut v = Vec::new();
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        grid(&mut v, -4.0, 4.0, N);
        grid(&mut v, 0.70, 0.80, N / 2); // the switch at |x| = 0.75
        grid(&mut v, -0.80, -0.70, N / 4);
        grid(&mut v, -60.0, 60.0, N / 2);
        log_random(&mut v, &mut rng, -60.0, 12.0, false, N);
        log_random(
            &mut v,
            &mut rng,
            12.0,
            if f64p { 1020.0 } else { 126.0 },
            false,
            N / 4,
        );
        tiny(&mut v, &mut rng, f64p, N / 4);
        v
    }

    // ---- Sweeps -----------------------------------------------------------------------------

    #[lossfn_test_macro::kernel_test]
    fn exp_error_bound() {
        check("exp", exp, exp, f64::exp, exp_inputs, 1.0, 2.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn expm1_error_bound() {
        check("expm1", expm1, expm1, f64::exp_m1, expm1_inputs, 1.75, 3.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn ln_error_bound() {
        check("ln", ln, ln, f64::ln, ln_inputs, 1.0, 2.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn log1p_error_bound() {
        check("log1p", log1p, log1p, f64::ln_1p, log1p_inputs, 1.0, 2.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn softplus_error_bound() {
        check(
            "softplus",
            softplus,
            softplus,
            softplus_ref,
            logistic_inputs,
            1.5,
            3.0,
        );
    }

    #[lossfn_test_macro::kernel_test]
    fn log_sigmoid_error_bound() {
        check(
            "log_sigmoid",
            log_sigmoid,
            log_sigmoid,
            log_sigmoid_ref,
            logistic_inputs,
            1.5,
            3.0,
        );
    }

    #[lossfn_test_macro::kernel_test]
    fn sigmoid_error_bound() {
        check(
            "sigmoid",
            sigmoid,
            sigmoid,
            sigmoid_ref,
            logistic_inputs,
            2.5,
            3.0,
        );
    }

    #[lossfn_test_macro::kernel_test]
    fn log_cosh_error_bound() {
        check(
            "log_cosh",
            log_cosh,
            log_cosh,
            log_cosh_ref,
            log_cosh_inputs,
            3.0,
            8.0,
        );
    }

    /// A lane's result must not depend on its neighbours: the same input gives the same bits
    /// whether its vector takes the short path or (because a neighbour is NaN) the fallback.
    #[lossfn_test_macro::kernel_test]
    fn fallback_matches_short_path() {
        type Case = (
            &'static str,
            fn(F32x4) -> F32x4,
            fn(F64x2) -> F64x2,
            fn(bool) -> Vec<f64>,
        );
        let fs: [Case; 5] = [
            ("exp", exp, exp, exp_inputs),
            ("expm1", expm1, expm1, expm1_inputs),
            ("ln", ln, ln, ln_inputs),
            ("log1p", log1p, log1p, log1p_inputs),
            ("sigmoid", sigmoid, sigmoid, logistic_inputs),
        ];
        for (name, f32f, f64f, inputs) in fs {
            for &x in &inputs(false) {
                let x = x as f32;
                let (mut a, mut b) = ([0f32; 4], [0f32; 4]);
                f32f(F32x4::splat(x)).store(&mut a);
                f32f(F32x4::load(&[x, f32::NAN, x, x])).store(&mut b);
                assert_eq!(a[0].to_bits(), b[0].to_bits(), "{name}({x:e}) f32");
            }
            for &x in &inputs(true) {
                let (mut a, mut b) = ([0f64; 2], [0f64; 2]);
                f64f(F64x2::splat(x)).store(&mut a);
                f64f(F64x2::load(&[x, f64::NAN])).store(&mut b);
                assert_eq!(a[0].to_bits(), b[0].to_bits(), "{name}({x:e}) f64");
            }
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn exp_ftz_matches_exp() {
        // Bit-identical to exp above the flush threshold, +0 below it.
        let xs = exp_inputs(false);
        for c in xs.chunks(4) {
            let mut lanes = [0f32; 4];
            for (l, &x) in lanes.iter_mut().zip(c) {
                *l = x as f32;
            }
            let (mut a, mut b) = ([0f32; 4], [0f32; 4]);
            exp_ftz(F32x4::load(&lanes)).store(&mut a);
            exp(F32x4::load(&lanes)).store(&mut b);
            for i in 0..4 {
                let want = if lanes[i] < -86.5 { 0.0 } else { b[i] };
                assert_eq!(a[i].to_bits(), want.to_bits(), "exp_ftz({})", lanes[i]);
            }
        }
        let xs = exp_inputs(true);
        for c in xs.chunks(2) {
            let mut lanes = [0f64; 2];
            lanes[..c.len()].copy_from_slice(c);
            let (mut a, mut b) = ([0f64; 2], [0f64; 2]);
            exp_ftz(F64x2::load(&lanes)).store(&mut a);
            exp(F64x2::load(&lanes)).store(&mut b);
            for i in 0..2 {
                let want = if lanes[i] < -707.7 { 0.0 } else { b[i] };
                assert_eq!(a[i].to_bits(), want.to_bits(), "exp_ftz({})", lanes[i]);
            }
        }
        let e = |x, w32, w64| exact("exp_ftz", exp_ftz, exp_ftz, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, 0.0, 0.0);
        e(-1000.0, 0.0, 0.0);
        e(0.0, 1.0, 1.0);
        e(100.0, INF, both(exp, exp, 100.0).1);
        e(-100.0, 0.0, both(exp, exp, -100.0).1);
    }

    #[lossfn_test_macro::kernel_test]
    fn nonpos_exps_match_exp_ftz() {
        // exp_ftz_nonpos is exp_ftz bit for bit on [−inf, 0] and NaN; exp_floor_nonpos is too,
        // but for e^lo in place of the flushed 0.
        let mut xs: Vec<f64> = exp_inputs(false)
            .into_iter()
            .filter(|&x| x <= 0.0)
            .collect();
        xs.extend([f64::NEG_INFINITY, -0.0, f64::NAN, -86.5, -86.49, -86.51]);
        for c in xs.chunks(4) {
            let mut lanes = [0f32; 4];
            for (l, &x) in lanes.iter_mut().zip(c) {
                *l = x as f32;
            }
            let (mut a, mut b, mut f) = ([0f32; 4], [0f32; 4], [0f32; 4]);
            exp_ftz_nonpos(F32x4::load(&lanes)).store(&mut a);
            exp_ftz(F32x4::load(&lanes)).store(&mut b);
            exp_floor_nonpos(F32x4::load(&lanes)).store(&mut f);
            // exp_ftz_nonpos_where: the same bits on kept non-NaN lanes (lanes 0 and 2), +0 on
            // the others whatever they hold.
            let mut w = [0f32; 4];
            exp_ftz_nonpos_where(F32x4::load(&lanes), F32x4::mask_first(1)).store(&mut w);
            assert_eq!(w[1..], [0.0; 3], "{:?}", lanes);
            let keep = lanes[0].is_nan() || w[0].to_bits() == b[0].to_bits();
            assert!(keep, "exp_ftz_nonpos_where({})", lanes[0]);
            let mut fl = [0f32; 4];
            exp(F32x4::splat(-86.5)).store(&mut fl);
            let floor = fl[0];
            for i in 0..4 {
                assert!(
                    a[i].to_bits() == b[i].to_bits() || (a[i].is_nan() && b[i].is_nan()),
                    "{}",
                    lanes[i]
                );
                if !lanes[i].is_nan() {
                    let want = if lanes[i] < -86.5 { floor } else { b[i] };
                    assert_eq!(
                        f[i].to_bits(),
                        want.to_bits(),
                        "exp_floor_nonpos({})",
                        lanes[i]
                    );
                }
            }
        }
        let mut xs: Vec<f64> = exp_inputs(true).into_iter().filter(|&x| x <= 0.0).collect();
        xs.extend([f64::NEG_INFINITY, -0.0, f64::NAN, -707.7]);
        for c in xs.chunks(2) {
            let mut lanes = [0f64; 2];
            lanes[..c.len()].copy_from_slice(c);
            let (mut a, mut b) = ([0f64; 2], [0f64; 2]);
            exp_ftz_nonpos(F64x2::load(&lanes)).store(&mut a);
            exp_ftz(F64x2::load(&lanes)).store(&mut b);
            let mut w = [0f64; 2];
            exp_ftz_nonpos_where(F64x2::load(&lanes), F64x2::mask_first(1)).store(&mut w);
            assert_eq!(w[1], 0.0, "{:?}", lanes);
            let keep = lanes[0].is_nan() || w[0].to_bits() == b[0].to_bits();
            assert!(keep, "exp_ftz_nonpos_where({})", lanes[0]);
            for i in 0..2 {
                assert!(
                    a[i].to_bits() == b[i].to_bits() || (a[i].is_nan() && b[i].is_nan()),
                    "{}",
                    lanes[i]
                );
            }
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn log_cosh_special_values() {
        let e = |x, w32, w64| exact("log_cosh", log_cosh, log_cosh, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, INF, INF);
        e(0.0, 0.0, 0.0);
        e(-0.0, 0.0, 0.0);
        e(1e30, 1e30f32 as f64 - core::f32::consts::LN_2 as f64, 1e30);
        e(f64::MAX, INF, f64::MAX - core::f64::consts::LN_2);
        // Tiny x: x²/2, correctly rounded (0 where it underflows).
        let x32 = 1e-10f32 as f64;
        let (a, b) = both(log_cosh, log_cosh, 1e-10);
        assert_eq!(a as f32, (x32 * x32 / 2.0) as f32);
        assert!(ulp_err_f64(b, 5e-21) <= 1.0, "log_cosh(1e-10) f64 = {b:e}");
        let (a, b) = both(log_cosh, log_cosh, 1e-30);
        assert_eq!(a, 0.0);
        assert!(ulp_err_f64(b, 5e-61) <= 1.0, "log_cosh(1e-30) f64 = {b:e}");
        let (a, b) = both(log_cosh, log_cosh, 1000.0);
        assert!(ulp_err_f32(a as f32, 1000.0 - core::f64::consts::LN_2) <= 1.0);
        assert_eq!(b, 1000.0 - core::f64::consts::LN_2);
    }

    #[lossfn_test_macro::kernel_test]
    fn tanh_error_bound() {
        check("tanh", tanh, tanh, f64::tanh, tanh_inputs, 2.5, 4.0);
    }

    // ---- Special values ---------------------------------------------------------------------

    /// `f` on one input, in both precisions; returns (f32 result widened, f64 result).
    fn both(f32f: fn(F32x4) -> F32x4, f64f: fn(F64x2) -> F64x2, x: f64) -> (f64, f64) {
        let mut a = [0f32; 4];
        f32f(F32x4::splat(x as f32)).store(&mut a);
        assert!(
            a.iter().all(|v| v.to_bits() == a[0].to_bits()),
            "lanes disagree at {x}"
        );
        let mut b = [0f64; 2];
        f64f(F64x2::splat(x)).store(&mut b);
        assert!(b[0].to_bits() == b[1].to_bits(), "lanes disagree at {x}");
        (a[0] as f64, b[0])
    }

    /// Asserts `f(x)` is exactly `want` (bitwise, so ±0 and NaN are checked) in both precisions.
    fn exact(
        name: &str,
        f32f: fn(F32x4) -> F32x4,
        f64f: fn(F64x2) -> F64x2,
        x: f64,
        want32: f64,
        want64: f64,
    ) {
        let (a, b) = both(f32f, f64f, x);
        let same = |got: f64, want: f64| {
            (got.is_nan() && want.is_nan()) || got.to_bits() == want.to_bits()
        };
        assert!(same(a, want32), "{name}({x}) f32 = {a:e}, want {want32:e}");
        assert!(same(b, want64), "{name}({x}) f64 = {b:e}, want {want64:e}");
    }

    const INF: f64 = f64::INFINITY;
    const NAN: f64 = f64::NAN;

    #[lossfn_test_macro::kernel_test]
    fn exp_special_values() {
        let e = |x, w32, w64| exact("exp", exp, exp, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, 0.0, 0.0);
        e(0.0, 1.0, 1.0);
        e(-0.0, 1.0, 1.0);
        e(1000.0, INF, INF);
        e(-1000.0, 0.0, 0.0);
        e(89.0, INF, 89.0f64.exp());
        e(710.0, INF, INF);
        e(-104.0, 0.0, (-104.0f64).exp());
        e(-746.0, 0.0, 0.0);
        // Gradual underflow: subnormal results, rounded once.
        let (a, _) = both(exp, exp, -103.0);
        assert_eq!(a as f32, (-103.0f64).exp() as f32);
        assert!(a > 0.0 && (a as f32) < f32::MIN_POSITIVE);
        let (_, b) = both(exp, exp, -744.0);
        assert_eq!(b, (-744.0f64).exp());
        assert!(b > 0.0 && b < f64::MIN_POSITIVE);
        // Largest finite results: 2^n itself would overflow here.
        let (a, _) = both(exp, exp, 88.72);
        assert!(a.is_finite() && a > 3.3e38);
        let (_, b) = both(exp, exp, 709.78);
        assert!(b.is_finite() && b > 1.7e308);
    }

    #[lossfn_test_macro::kernel_test]
    fn expm1_special_values() {
        let e = |x, w32, w64| exact("expm1", expm1, expm1, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, -1.0, -1.0);
        e(0.0, 0.0, 0.0);
        e(-0.0, -0.0, -0.0);
        e(1000.0, INF, INF);
        e(-1000.0, -1.0, -1.0);
        e(-50.0, -1.0, -1.0);
        e(1e-30, 1e-30f32 as f64, 1e-30);
        e(-1e-30, -1e-30f32 as f64, -1e-30);
        let sub32 = f32::from_bits(1) as f64;
        e(sub32, sub32, sub32);
        e(5e-324, 0.0, 5e-324); // 5e-324 is 0 in f32
        e(-5e-324, -0.0, -5e-324);
    }

    #[lossfn_test_macro::kernel_test]
    fn ln_special_values() {
        let e = |x, w32, w64| exact("ln", ln, ln, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, NAN, NAN);
        e(0.0, -INF, -INF);
        e(-0.0, -INF, -INF);
        e(-1.0, NAN, NAN);
        e(-1e-30, NAN, NAN);
        e(-5e-324, -INF, NAN); // −0 in f32
        e(1.0, 0.0, 0.0);
        // Subnormal inputs.
        let s32 = f32::from_bits(1);
        let (a, _) = both(ln, ln, s32 as f64);
        assert!(
            ulp_err_f32(a as f32, (s32 as f64).ln()) <= 1.0,
            "ln(min subnormal f32) = {a}"
        );
        let (_, b) = both(ln, ln, 5e-324);
        assert!(ulp_err_f64(b, (5e-324f64).ln()) <= 1.0, "ln(5e-324) = {b}");
        let (_, b) = both(ln, ln, f64::MAX);
        assert!(ulp_err_f64(b, f64::MAX.ln()) <= 1.0);
        let (a, _) = both(ln, ln, f32::MAX as f64);
        assert!(ulp_err_f32(a as f32, (f32::MAX as f64).ln()) <= 1.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn log1p_special_values() {
        let e = |x, w32, w64| exact("log1p", log1p, log1p, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, NAN, NAN);
        e(-1.0, -INF, -INF);
        e(-1.5, NAN, NAN);
        e(-2.0, NAN, NAN);
        e(0.0, 0.0, 0.0);
        e(-0.0, -0.0, -0.0);
        e(1e-30, 1e-30f32 as f64, 1e-30);
        e(-1e-30, -1e-30f32 as f64, -1e-30);
        e(1e-300, 0.0, 1e-300);
        let sub32 = f32::from_bits(3) as f64;
        e(sub32, sub32, sub32);
        e(5e-324, 0.0, 5e-324);
        let (a, b) = both(log1p, log1p, f64::MAX);
        assert!(a == INF, "log1p(f32 inf)"); // f64::MAX is +inf in f32
        assert!(ulp_err_f64(b, f64::MAX.ln()) <= 1.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn softplus_special_values() {
        let e = |x, w32, w64| exact("softplus", softplus, softplus, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, INF, INF);
        e(-INF, 0.0, 0.0);
        e(1000.0, 1000.0, 1000.0);
        e(100.0, 100.0, 100.0);
        e(-1000.0, 0.0, 0.0);
        e(f64::MAX, INF, f64::MAX);
        // softplus(−100) = e^−100: subnormal in f32, not flushed to 0.
        let (a, b) = both(softplus, softplus, -100.0);
        assert_eq!(a as f32, (-100.0f64).exp() as f32);
        assert!(a > 3.7e-44 && a < 3.8e-44, "softplus(-100) f32 = {a:e}");
        assert!(ulp_err_f64(b, (-100.0f64).exp()) <= 1.0);
        let (_, b) = both(softplus, softplus, -740.0);
        assert!(b > 0.0 && ulp_err_f64(b, (-740.0f64).exp()) <= 1.0);
        let (a, b) = both(softplus, softplus, 0.0);
        assert_eq!(
            (a as f32, b),
            (core::f32::consts::LN_2, core::f64::consts::LN_2)
        );
    }

    #[lossfn_test_macro::kernel_test]
    fn log_sigmoid_special_values() {
        let e = |x, w32, w64| exact("log_sigmoid", log_sigmoid, log_sigmoid, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, -0.0, -0.0);
        e(-INF, -INF, -INF);
        e(-1000.0, -1000.0, -1000.0);
        let (a, _) = both(log_sigmoid, log_sigmoid, 100.0);
        assert_eq!(a as f32, -(-100.0f64).exp() as f32);
    }

    #[lossfn_test_macro::kernel_test]
    fn sigmoid_special_values() {
        let e = |x, w32, w64| exact("sigmoid", sigmoid, sigmoid, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, 1.0, 1.0);
        e(-INF, 0.0, 0.0);
        e(1000.0, 1.0, 1.0);
        e(-1000.0, 0.0, 0.0);
        e(0.0, 0.5, 0.5);
        e(-0.0, 0.5, 0.5);
        e(f64::MAX, 1.0, 1.0);
        e(-f64::MAX, 0.0, 0.0);
        // σ(−100) = e^−100 / (1 + e^−100): tiny but exact-ish, subnormal in f32.
        let (a, b) = both(sigmoid, sigmoid, -100.0);
        assert_eq!(a as f32, (-100.0f64).exp() as f32);
        assert!(ulp_err_f64(b, (-100.0f64).exp()) <= 1.0);
        let (_, b) = both(sigmoid, sigmoid, -740.0);
        assert!(b > 0.0 && ulp_err_f64(b, (-740.0f64).exp()) <= 1.0);
    }

    #[lossfn_test_macro::kernel_test]
    fn tanh_special_values() {
        let e = |x, w32, w64| exact("tanh", tanh, tanh, x, w32, w64);
        e(NAN, NAN, NAN);
        e(INF, 1.0, 1.0);
        e(-INF, -1.0, -1.0);
        e(0.0, 0.0, 0.0);
        e(-0.0, -0.0, -0.0);
        e(1000.0, 1.0, 1.0);
        e(-1000.0, -1.0, -1.0);
        e(f64::MAX, 1.0, 1.0);
        e(1e-30, 1e-30f32 as f64, 1e-30);
        e(-1e-30, -1e-30f32 as f64, -1e-30);
        let sub32 = f32::from_bits(5) as f64;
        e(-sub32, -sub32, -sub32);
        e(5e-324, 0.0, 5e-324);
    }
}
