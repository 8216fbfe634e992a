//! `v128` vectors for wasm32 + simd128. Lane semantics match [`super::portable`] exactly.
//! Only stable SIMD128 instructions, except [`Vector::mul_add`] in the second module built with
//! `+relaxed-simd` (scripts/build-wasm.sh): Node 20 rejects relaxed SIMD without a flag, so the
//! baseline module never uses it and `init()` picks the relaxed one by feature detection.
//!
//! Constants: [`Vector::splat_hoisted`] goes through [`opaque`], an inline-asm barrier on the
//! scalar whose template is a comment. LLVM then cannot see the value, so it no longer
//! rematerialises a `v128.const` at each use (inside the loops: the constants of exp/ln are
//! used in every iteration) but splats once and keeps the vector in a local, hoisted out of
//! the loop (the asm is pure, so LICM moves it). V8 11 (Node 20) hoisted those constants
//! itself; V8 13+ (Node 24, Chromium, Deno) rebuilds each one inside the loop body. Values,
//! hence results, are bit-identical. Plain [`Vector::splat`] stays visible to LLVM: applied to
//! every splat, the barrier also blocked folds (zeros, accumulator resets) and cost the
//! memory-bound kernels up to a quarter of their speed.

use super::Vector;
use core::arch::wasm32::*;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// `x`, hidden from the optimiser (no instruction is emitted): see the module docs.
#[inline(always)]
fn opaque<T: Opaque>(x: T) -> T {
    x.opaque()
}

trait Opaque: Copy {
    fn opaque(self) -> Self;
}
macro_rules! opaque_impl {
    ($t:ty) => {
        impl Opaque for $t {
            #[inline(always)]
            fn opaque(self) -> Self {
                let mut x = self;
                // SAFETY: the template is a comment (no instruction): nothing is read or written.
                unsafe {
                    core::arch::asm!("# {0}", inout(local) x, options(pure, nomem, nostack, preserves_flags));
                }
                x
            }
        }
    };
}
opaque_impl!(f32);
opaque_impl!(f64);

/// `x`, hidden from the engine as well as from LLVM: `memory.size != 0 ? x : 0`, whose
/// condition is always true (a module's memory is never empty) but not known to the engine
/// when it compiles, so JavaScriptCore cannot fold the splat of it into a constant
/// ([`super::sealed`]). One `memory.size` and one `select` where the caller hoists it: before
/// the loop. `pure` and `nomem` hold: the result is `x`, whatever the memory's size.
#[cfg(feature = "sealed-constants")]
trait Seal: Copy {
    fn seal(self) -> Self;
}
#[cfg(feature = "sealed-constants")]
macro_rules! seal_impl {
    ($t:ty, $zero:literal, $select:literal) => {
        impl Seal for $t {
            #[inline(always)]
            fn seal(self) -> Self {
                let mut x = self;
                // SAFETY: reads only the memory's size, writes nothing; the result is `x`.
                unsafe {
                    core::arch::asm!("local.get {0}", $zero, "memory.size 0", $select, "local.set {0}",
                        inout(local) x, options(pure, nomem, nostack, preserves_flags));
                }
                x
            }
        }
    };
}
#[cfg(feature = "sealed-constants")]
seal_impl!(f32, "f32.const 0.0", "f32.select");
#[cfg(feature = "sealed-constants")]
seal_impl!(f64, "f64.const 0.0", "f64.select");

/// `m ? a : b` for a lane mask `m` (every lane all ones or all zeros: a comparison's), for
/// [`Vector::pmin`]/[`Vector::pmax`] in the relaxed-SIMD module. There LLVM 22 rewrites
/// `f32x4.pmin`/`pmax`, and any compare-and-blend spelling of them, into
/// `relaxed_min`/`relaxed_max`, whose result for a NaN operand is the engine's choice: V8 on
/// x64 returns the second operand, so a clamp `x.pmax(lo)` turned a NaN `x` into `lo` (BCE
/// forward gave 100 for a NaN input, logCosh backward 1). `relaxed_laneselect` is exact for
/// such masks, LLVM leaves the intrinsic alone, and V8 lowers it to one `blendvps`.
#[cfg(target_feature = "relaxed-simd")]
#[inline(always)]
fn lane_blend(a: v128, b: v128, m: v128) -> v128 {
    i32x4_relaxed_laneselect(a, b, m)
}

#[derive(Clone, Copy)]
pub struct F32x4(pub v128);
#[derive(Clone, Copy)]
pub struct F64x2(pub v128);

macro_rules! arith {
    ($name:ident, $add:ident, $sub:ident, $mul:ident, $div:ident, $neg:ident) => {
        impl Add for $name {
            type Output = Self;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                $name($add(self.0, o.0))
            }
        }
        impl Sub for $name {
            type Output = Self;
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                $name($sub(self.0, o.0))
            }
        }
        impl Mul for $name {
            type Output = Self;
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                $name($mul(self.0, o.0))
            }
        }
        impl Div for $name {
            type Output = Self;
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                $name($div(self.0, o.0))
            }
        }
        impl Neg for $name {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                $name($neg(self.0))
            }
        }
    };
}
arith!(F32x4, f32x4_add, f32x4_sub, f32x4_mul, f32x4_div, f32x4_neg);
arith!(F64x2, f64x2_add, f64x2_sub, f64x2_mul, f64x2_div, f64x2_neg);

/// Lane-wise comparison, mask, select and horizontal-sum plumbing common to both widths.
macro_rules! common {
    ($name:ident, $t:ty, $n:expr, $splat:ident, $abs:ident, $min:ident, $max:ident, $sqrt:ident,
     $nearest:ident, $floor:ident, $lt:ident, $le:ident, $gt:ident, $ge:ident, $eq:ident, $ne:ident) => {
        #[inline(always)]
        fn splat(x: $t) -> Self {
            $name($splat(x))
        }
        #[inline(always)]
        fn splat_hoisted(x: $t) -> Self {
            $name($splat(opaque(x)))
        }
        #[inline(always)]
        fn splat_sealed(x: $t) -> Self {
            #[cfg(feature = "sealed-constants")]
            return $name($splat(x.seal()));
            #[cfg(not(feature = "sealed-constants"))]
            return Self::splat_hoisted(x);
        }
        #[inline(always)]
        fn load(src: &[$t]) -> Self {
            let s = &src[..$n];
            // SAFETY: `s` holds exactly 16 bytes; v128_load has no alignment requirement.
            $name(unsafe { v128_load(s.as_ptr() as *const v128) })
        }
        #[inline(always)]
        unsafe fn load_ptr(p: *const $t) -> Self {
            // SAFETY: the caller guarantees 16 readable bytes; no alignment requirement.
            $name(unsafe { v128_load(p as *const v128) })
        }
        #[inline(always)]
        unsafe fn store_ptr(self, p: *mut $t) {
            // SAFETY: the caller guarantees 16 writable bytes; no alignment requirement.
            unsafe { v128_store(p as *mut v128, self.0) }
        }
        #[inline(always)]
        fn store(self, dst: &mut [$t]) {
            let d = &mut dst[..$n];
            // SAFETY: `d` holds exactly 16 writable bytes; no alignment requirement.
            unsafe { v128_store(d.as_mut_ptr() as *mut v128, self.0) }
        }
        #[inline(always)]
        fn abs(self) -> Self {
            $name($abs(self.0))
        }
        #[inline(always)]
        fn min(self, o: Self) -> Self {
            $name($min(self.0, o.0))
        }
        #[inline(always)]
        fn max(self, o: Self) -> Self {
            $name($max(self.0, o.0))
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            $name($sqrt(self.0))
        }
        #[inline(always)]
        fn round(self) -> Self {
            $name($nearest(self.0))
        }
        #[inline(always)]
        fn floor(self) -> Self {
            $name($floor(self.0))
        }
        #[inline(always)]
        fn lt(self, o: Self) -> v128 {
            $lt(self.0, o.0)
        }
        #[inline(always)]
        fn le(self, o: Self) -> v128 {
            $le(self.0, o.0)
        }
        #[inline(always)]
        fn gt(self, o: Self) -> v128 {
            $gt(self.0, o.0)
        }
        #[inline(always)]
        fn ge(self, o: Self) -> v128 {
            $ge(self.0, o.0)
        }
        #[inline(always)]
        fn eq(self, o: Self) -> v128 {
            $eq(self.0, o.0)
        }
        #[inline(always)]
        fn is_nan(self) -> v128 {
            $ne(self.0, self.0)
        }
        #[inline(always)]
        fn mask_and(a: v128, b: v128) -> v128 {
            v128_and(a, b)
        }
        #[inline(always)]
        fn mask_or(a: v128, b: v128) -> v128 {
            v128_or(a, b)
        }
        #[inline(always)]
        fn mask_not(a: v128) -> v128 {
            v128_not(a)
        }
        #[inline(always)]
        fn select(m: v128, a: Self, b: Self) -> Self {
            $name(v128_bitselect(a.0, b.0, m))
        }
    };
}

impl Vector for F32x4 {
    type Elem = f32;
    type Mask = v128;
    const LANES: usize = 4;

    #[cfg(target_feature = "relaxed-simd")]
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        F32x4(f32x4_relaxed_madd(self.0, b.0, c.0))
    }

    common!(
        F32x4,
        f32,
        4,
        f32x4_splat,
        f32x4_abs,
        f32x4_min,
        f32x4_max,
        f32x4_sqrt,
        f32x4_nearest,
        f32x4_floor,
        f32x4_lt,
        f32x4_le,
        f32x4_gt,
        f32x4_ge,
        f32x4_eq,
        f32x4_ne
    );

    #[inline(always)]
    fn mask_first(k: usize) -> v128 {
        i32x4_lt(i32x4(0, 1, 2, 3), i32x4_splat(k as i32))
    }
    #[inline(always)]
    fn sum_f64(self) -> f64 {
        // (l0 + l2) + (l1 + l3) in f64, the order portable.rs uses.
        let lo = f64x2_promote_low_f32x4(self.0);
        let hi = f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 0, 1>(self.0, self.0));
        let s = f64x2_add(lo, hi);
        f64x2_extract_lane::<0>(s) + f64x2_extract_lane::<1>(s)
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        // n + (2^23 + 127) puts the biased exponent n + 127 in the low mantissa bits (exactly,
        // for integral n in range); the shift moves it into the exponent field and drops the
        // rest. Two instructions, where i32x4.trunc_sat_f32x4 alone lowers to several on x64.
        let biased = f32x4_add(n.0, f32x4_splat(8_388_735.0));
        F32x4(i32x4_shl(biased, 23))
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let bits = self.0;
        let e = i32x4_sub(
            v128_and(u32x4_shr(bits, 23), i32x4_splat(0xff)),
            i32x4_splat(127),
        );
        let m = v128_or(
            v128_and(bits, i32x4_splat(0x007f_ffff)),
            i32x4_splat(0x3f80_0000),
        );
        (F32x4(f32x4_convert_i32x4(e)), F32x4(m))
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        F32x4(v128_bitselect(sign.0, self.0, u32x4_splat(0x8000_0000)))
    }
    #[inline(always)]
    fn pmin(self, o: Self) -> Self {
        #[cfg(not(target_feature = "relaxed-simd"))]
        return F32x4(f32x4_pmin(self.0, o.0));
        #[cfg(target_feature = "relaxed-simd")]
        return F32x4(lane_blend(o.0, self.0, f32x4_lt(o.0, self.0)));
    }
    #[inline(always)]
    fn pmax(self, o: Self) -> Self {
        #[cfg(not(target_feature = "relaxed-simd"))]
        return F32x4(f32x4_pmax(self.0, o.0));
        #[cfg(target_feature = "relaxed-simd")]
        return F32x4(lane_blend(o.0, self.0, f32x4_lt(self.0, o.0)));
    }
    #[inline(always)]
    fn pmax_lanes(self) -> Self {
        let h = self.pmax(F32x4(i32x4_shuffle::<2, 3, 0, 1>(self.0, self.0)));
        h.pmax(F32x4(i32x4_shuffle::<1, 0, 3, 2>(h.0, h.0)))
    }
    #[inline(always)]
    fn any(m: v128) -> bool {
        v128_any_true(m)
    }
    #[inline(always)]
    fn all(m: v128) -> bool {
        i32x4_all_true(m)
    }
    #[inline(always)]
    fn bits_outside(self, lo: Self, hi: Self) -> v128 {
        // x ∉ [lo, hi] (unsigned) ⇔ (x − lo) >u (hi − lo) ⇔ (x − lo) ^ MIN >s (hi − lo) ^ MIN,
        // and (x − lo) ^ MIN = x + (MIN − lo): with constant bounds, one add and one compare.
        let bias = i32x4_sub(i32x4_splat(i32::MIN), lo.0);
        let lim = i32x4_add(i32x4_sub(hi.0, lo.0), i32x4_splat(i32::MIN));
        i32x4_gt(i32x4_add(self.0, bias), lim)
    }
    #[inline(always)]
    fn ldexp_magic(self, k: Self) -> Self {
        F32x4(i32x4_add(self.0, i32x4_shl(k.0, 23)))
    }
    #[inline(always)]
    fn frexp_sqrt2(self) -> (Self, Self) {
        // tmp = bits − bits(m_lo), m_lo = fl(√2)/2 + 1 ulp: its exponent field is e (signed),
        // and clearing it from the bits leaves m ∈ [m_lo, 2·m_lo) = (fl(√2)/2, fl(√2)].
        let tmp = i32x4_sub(self.0, i32x4_splat(0x3f35_04f4));
        let e = i32x4_shr(tmp, 23);
        let m = i32x4_sub(self.0, v128_and(tmp, i32x4_splat(0xff80_0000u32 as i32)));
        (F32x4(f32x4_convert_i32x4(e)), F32x4(m))
    }
}

impl Vector for F64x2 {
    type Elem = f64;
    type Mask = v128;
    const LANES: usize = 2;

    #[cfg(target_feature = "relaxed-simd")]
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        F64x2(f64x2_relaxed_madd(self.0, b.0, c.0))
    }

    common!(
        F64x2,
        f64,
        2,
        f64x2_splat,
        f64x2_abs,
        f64x2_min,
        f64x2_max,
        f64x2_sqrt,
        f64x2_nearest,
        f64x2_floor,
        f64x2_lt,
        f64x2_le,
        f64x2_gt,
        f64x2_ge,
        f64x2_eq,
        f64x2_ne
    );

    #[inline(always)]
    fn mask_first(k: usize) -> v128 {
        i64x2_lt(i64x2(0, 1), i64x2_splat(k as i64))
    }
    #[inline(always)]
    fn sum_f64(self) -> f64 {
        f64x2_extract_lane::<0>(self.0) + f64x2_extract_lane::<1>(self.0)
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        // simd128 has no f64x2 → i64x2 conversion (LLVM scalarises the i32 detour through
        // extract/replace_lane): add 2^52 + 1023 instead, which leaves the biased exponent in the
        // low mantissa bits, and shift it into place, as for f32x4.
        let biased = f64x2_add(n.0, f64x2_splat(4_503_599_627_371_519.0));
        F64x2(i64x2_shl(biased, 52))
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let bits = self.0;
        let e = i64x2_sub(
            v128_and(u64x2_shr(bits, 52), i64x2_splat(0x7ff)),
            i64x2_splat(1023),
        );
        // The exponents fit in i32: gather the low words of both lanes, then convert.
        let e32 = i32x4_shuffle::<0, 2, 0, 2>(e, e);
        let m = v128_or(
            v128_and(bits, i64x2_splat(0x000f_ffff_ffff_ffff)),
            i64x2_splat(0x3ff0_0000_0000_0000),
        );
        (F64x2(f64x2_convert_low_i32x4(e32)), F64x2(m))
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        F64x2(v128_bitselect(
            sign.0,
            self.0,
            u64x2_splat(0x8000_0000_0000_0000),
        ))
    }
    #[inline(always)]
    fn pmin(self, o: Self) -> Self {
        #[cfg(not(target_feature = "relaxed-simd"))]
        return F64x2(f64x2_pmin(self.0, o.0));
        #[cfg(target_feature = "relaxed-simd")]
        return F64x2(lane_blend(o.0, self.0, f64x2_lt(o.0, self.0)));
    }
    #[inline(always)]
    fn pmax(self, o: Self) -> Self {
        #[cfg(not(target_feature = "relaxed-simd"))]
        return F64x2(f64x2_pmax(self.0, o.0));
        #[cfg(target_feature = "relaxed-simd")]
        return F64x2(lane_blend(o.0, self.0, f64x2_lt(self.0, o.0)));
    }
    #[inline(always)]
    fn pmax_lanes(self) -> Self {
        self.pmax(F64x2(i64x2_shuffle::<1, 0>(self.0, self.0)))
    }
    #[inline(always)]
    fn any(m: v128) -> bool {
        v128_any_true(m)
    }
    #[inline(always)]
    fn all(m: v128) -> bool {
        i64x2_all_true(m)
    }
    #[inline(always)]
    fn bits_outside(self, lo: Self, hi: Self) -> v128 {
        // As for f32x4, in 64-bit lanes (i64x2.gt_s is one pcmpgtq).
        let bias = i64x2_sub(i64x2_splat(i64::MIN), lo.0);
        let lim = i64x2_add(i64x2_sub(hi.0, lo.0), i64x2_splat(i64::MIN));
        i64x2_gt(i64x2_add(self.0, bias), lim)
    }
    #[inline(always)]
    fn ldexp_magic(self, k: Self) -> Self {
        F64x2(i64x2_add(self.0, i64x2_shl(k.0, 52)))
    }
    #[inline(always)]
    fn frexp_sqrt2(self) -> (Self, Self) {
        // As for f32x4. simd128 has no 64-bit arithmetic shift that V8 lowers well, and no
        // i64 → f64 conversion: shift the high words (arithmetic, i32x4), gather them into the
        // low lanes and convert those.
        let tmp = i64x2_sub(self.0, i64x2_splat(0x3fe6_a09e_667f_3bce));
        let hi = i32x4_shr(tmp, 20);
        let e = i32x4_shuffle::<1, 3, 1, 3>(hi, hi);
        let field = i64x2_splat(0xfff0_0000_0000_0000u64 as i64);
        let m = i64x2_sub(self.0, v128_and(tmp, field));
        (F64x2(f64x2_convert_low_i32x4(e)), F64x2(m))
    }
}
