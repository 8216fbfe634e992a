//! The lane abstraction every kernel is written against.
//!
//! A loss body is written once, generic over [`Vector`]; the driver in [`crate::driver`] runs it
//! over whole vectors and over the zero-padded tail. On wasm32 with `simd128` the vectors are
//! `v128` ([`wasm128`]); everywhere else (the host `cargo test`, a wasm build without simd128)
//! they are plain arrays ([`portable`]) with the same lane semantics, so the host tests run the
//! very code that ships.
//!
//! Semantics shared by both implementations (the tests rely on them):
//! - `min`/`max` propagate NaN (wasm `f32x4.min`, not `pmin`), like PyTorch's clamp.
//! - `pmin`/`pmax` are wasm's pseudo-min/max, `b < a ? b : a` and `a < b ? b : a`: NaN or a
//!   tie in either operand gives `a` (so `x.pmax(lo)` keeps a NaN `x`). One x64 instruction
//!   each in V8, where `min`/`max` take about seven: prefer them for clamps on hot paths.
//! - `select(m, a, b)` is a bitwise blend: lanes where `m` is set come from `a`.
//! - Comparisons with NaN are false (IEEE).

use core::ops::{Add, Div, Mul, Neg, Sub};

pub mod pair;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub mod portable;
pub mod sealed;
pub mod transpose;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm128;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub use portable::{F32x4, F64x2};
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use wasm128::{F32x4, F64x2};

/// `c` in every lane, for a constant that loops use on every iteration (coefficients, bounds):
/// [`Vector::splat_hoisted`], except zero, which stays a plain splat (V8 makes it with one
/// `xorps`, and LLVM folds it). `c` is a literal after inlining, so the test folds away.
#[inline(always)]
pub fn constant<V: Vector>(c: f64) -> V {
    if c == 0.0 {
        V::splat(V::Elem::from_f64(c))
    } else {
        V::splat_hoisted(V::Elem::from_f64(c))
    }
}

/// A floating-point element type (f32 or f64) and the vector the kernels use for it.
pub trait Element:
    Copy
    + PartialOrd
    + Default
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + 'static
{
    /// The vector type for this element (4 lanes of f32, 2 of f64).
    type V: Vector<Elem = Self>;
    /// Significand precision in bits, implicit bit included (f32: 24, f64: 53). [`crate::math`]
    /// picks its per-precision polynomials and clamp bounds on it; the choice is a compile-time
    /// constant, so each instantiation keeps only its own branch.
    const MANTISSA_DIGITS: u32;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    type V = F32x4;
    const MANTISSA_DIGITS: u32 = f32::MANTISSA_DIGITS;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    type V = F64x2;
    const MANTISSA_DIGITS: u32 = f64::MANTISSA_DIGITS;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

/// A SIMD vector of [`Element`]s. Every method is lane-wise unless it says otherwise.
pub trait Vector:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    type Elem: Element;
    /// A lane mask, as produced by the comparisons.
    type Mask: Copy;
    const LANES: usize;

    fn splat(x: Self::Elem) -> Self;
    /// [`Vector::splat`] of a constant that a loop uses on every iteration: the same value,
    /// built once before the loop instead of rematerialised in it (see `wasm128`'s module
    /// docs; elsewhere plain `splat`). For the elementary functions' coefficients and bounds.
    #[inline(always)]
    fn splat_hoisted(x: Self::Elem) -> Self {
        Self::splat(x)
    }
    /// [`Vector::splat_hoisted`] whose value the engine cannot fold back into a constant
    /// either: in the baseline module built with the `sealed-constants` feature
    /// (scripts/build-wasm.sh), for JavaScriptCore, which otherwise rebuilds hoisted constants
    /// inside the loop ([`sealed`]'s module docs); elsewhere `splat_hoisted`. Same value.
    #[inline(always)]
    fn splat_sealed(x: Self::Elem) -> Self {
        Self::splat_hoisted(x)
    }
    /// `src[..LANES]`; `src` must hold at least `LANES` elements.
    fn load(src: &[Self::Elem]) -> Self;
    /// Stores all lanes into `dst[..LANES]`.
    fn store(self, dst: &mut [Self::Elem]);
    /// [`Vector::load`] without the bounds check, for the driver's hot loop.
    ///
    /// # Safety
    /// `p` must be valid for reading `LANES` elements.
    unsafe fn load_ptr(p: *const Self::Elem) -> Self;
    /// [`Vector::store`] without the bounds check.
    ///
    /// # Safety
    /// `p` must be valid for writing `LANES` elements.
    unsafe fn store_ptr(self, p: *mut Self::Elem);

    /// `self · b + c` for polynomial steps: in the relaxed-SIMD module `relaxed_madd`, which
    /// engines with FMA fuse (one rounding) and others do not (two); elsewhere `self * b + c`
    /// exactly. Only where either rounding meets the function's stated error bound: results of
    /// the two modules may differ by an ulp there.
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        self * b + c
    }
    fn abs(self) -> Self;
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn sqrt(self) -> Self;
    /// Round to nearest, ties to even.
    fn round(self) -> Self;
    fn floor(self) -> Self;

    fn lt(self, o: Self) -> Self::Mask;
    fn le(self, o: Self) -> Self::Mask;
    fn gt(self, o: Self) -> Self::Mask;
    fn ge(self, o: Self) -> Self::Mask;
    fn eq(self, o: Self) -> Self::Mask;
    /// True in lanes holding NaN.
    fn is_nan(self) -> Self::Mask;
    fn mask_and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    fn mask_or(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    fn mask_not(a: Self::Mask) -> Self::Mask;
    /// Lanes `0..k` set, the rest clear (`k <= LANES`).
    fn mask_first(k: usize) -> Self::Mask;
    /// `m ? a : b`, lane-wise.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;

    /// Horizontal sum of the lanes, in f64 (exact for f32 lanes up to rounding of the last add).
    fn sum_f64(self) -> f64;

    /// `2^n` for lanes holding integral values in the normal exponent range
    /// (f32: −126..=127, f64: −1022..=1023). Other inputs give unspecified finite values.
    fn pow2i(n: Self) -> Self;
    /// For positive, normal, finite lanes: `(e, m)` with `self = m · 2^e`, `m ∈ [1, 2)`,
    /// `e` integral. Other inputs give unspecified values; callers select around them.
    fn frexp(self) -> (Self, Self);
    /// Magnitude of `self`, sign of `sign`.
    fn copysign(self, sign: Self) -> Self;

    /// Pseudo-minimum `o < self ? o : self` (wasm `pmin`): `self` where either is NaN or they
    /// compare equal (so `−0.pmin(+0)` is `−0` and `+0.pmin(−0)` is `+0`).
    fn pmin(self, o: Self) -> Self;
    /// Pseudo-maximum `self < o ? o : self` (wasm `pmax`): `self` where either is NaN or they
    /// compare equal.
    fn pmax(self, o: Self) -> Self;
    /// Every lane set to the [`Vector::pmax`] of all lanes (a row's max across a vector,
    /// ready to subtract without a scalar round trip): a shuffle and a `pmax` per halving.
    /// The order is fixed (lanes `i` and `i + LANES/2`, then neighbours), so NaN lanes give
    /// an order-dependent result: callers that care test for NaN themselves.
    fn pmax_lanes(self) -> Self;
    /// True if any lane of `m` is set.
    fn any(m: Self::Mask) -> bool;
    /// True if every lane of `m` is set.
    fn all(m: Self::Mask) -> bool;
    /// Lanes whose bit pattern, read as an unsigned integer, lies outside
    /// `[bits(lo), bits(hi)]` (needs `bits(lo) <= bits(hi)`). For non-negative `lo ≤ hi` this
    /// is "not in `[lo, hi]`" with NaN and every negative value (−0 included) outside: one
    /// integer add and compare, where the float version needs two compares and a NaN test.
    fn bits_outside(self, lo: Self, hi: Self) -> Self::Mask;
    /// `from_bits(bits(self) + (bits(k) << M))`, wrapping, with `M` the stored mantissa width
    /// (f32: 23, f64: 52). For `k = 1.5·2^M + n` (the round-to-integer "magic" sum, `n`
    /// integral, `|n| < 2^(M−1)`) `bits(k) << M` is `n << M`, so this is `self · 2^n`, exactly,
    /// while `self` and the result are normal and finite: a scaling without any float ↔ int
    /// conversion. Other inputs give unspecified values.
    fn ldexp_magic(self, k: Self) -> Self;
    /// For positive, normal, finite lanes: `(e, m)` with `self = m · 2^e`, `e` integral and
    /// `m ∈ (fl(√2)/2, fl(√2)]` (`fl(√2)` the element type's √2), i.e. [`Vector::frexp`] with
    /// `m` halved and `e` incremented where `m > fl(√2)`, computed with integer arithmetic
    /// on the bits. Other inputs give unspecified values.
    fn frexp_sqrt2(self) -> (Self, Self);
}
