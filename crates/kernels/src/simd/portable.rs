//! Array-backed vectors with the exact lane semantics of [`super::wasm128`]: used by the host
//! build (so `cargo test` exercises the shipped kernel bodies) and by wasm builds without
//! simd128.

use super::Vector;
use core::ops::{Add, Div, Mul, Neg, Sub};

macro_rules! portable_vector {
    ($name:ident, $t:ty, $n:expr, $bits:ty, $ibits:ty, $mant_bits:expr, $bias:expr, $sqrt2_lo:expr) => {
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name(pub [$t; $n]);

        impl $name {
            #[inline(always)]
            fn map(self, f: impl Fn($t) -> $t) -> Self {
                let mut r = self.0;
                for v in r.iter_mut() {
                    *v = f(*v);
                }
                $name(r)
            }
            #[inline(always)]
            fn zip(self, o: Self, f: impl Fn($t, $t) -> $t) -> Self {
                let mut r = self.0;
                for (v, w) in r.iter_mut().zip(o.0) {
                    *v = f(*v, w);
                }
                $name(r)
            }
            #[inline(always)]
            fn cmp(self, o: Self, f: impl Fn($t, $t) -> bool) -> [bool; $n] {
                let mut m = [false; $n];
                for i in 0..$n {
                    m[i] = f(self.0[i], o.0[i]);
                }
                m
            }
        }

        impl Add for $name {
            type Output = Self;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.zip(o, |a, b| a + b)
            }
        }
        impl Sub for $name {
            type Output = Self;
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.zip(o, |a, b| a - b)
            }
        }
        impl Mul for $name {
            type Output = Self;
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.zip(o, |a, b| a * b)
            }
        }
        impl Div for $name {
            type Output = Self;
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self.zip(o, |a, b| a / b)
            }
        }
        impl Neg for $name {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                self.map(|a| -a)
            }
        }

        impl Vector for $name {
            type Elem = $t;
            type Mask = [bool; $n];
            const LANES: usize = $n;

            #[inline(always)]
            fn splat(x: $t) -> Self {
                $name([x; $n])
            }
            #[inline(always)]
            fn load(src: &[$t]) -> Self {
                let mut r = [0.0; $n];
                r.copy_from_slice(&src[..$n]);
                $name(r)
            }
            #[inline(always)]
            fn store(self, dst: &mut [$t]) {
                dst[..$n].copy_from_slice(&self.0);
            }
            #[inline(always)]
            unsafe fn load_ptr(p: *const $t) -> Self {
                // SAFETY: the caller guarantees `p` is valid for reading $n elements.
                $name(unsafe { core::ptr::read_unaligned(p as *const [$t; $n]) })
            }
            #[inline(always)]
            unsafe fn store_ptr(self, p: *mut $t) {
                // SAFETY: the caller guarantees `p` is valid for writing $n elements.
                unsafe { core::ptr::write_unaligned(p as *mut [$t; $n], self.0) }
            }
            #[inline(always)]
            fn abs(self) -> Self {
                self.map(|a| a.abs())
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                // NaN-propagating, −0 < +0: wasm's f32x4.min.
                self.zip(o, |a, b| {
                    if a.is_nan() || b.is_nan() {
                        <$t>::NAN
                    } else if a == b {
                        if a.is_sign_negative() {
                            a
                        } else {
                            b
                        }
                    } else if a < b {
                        a
                    } else {
                        b
                    }
                })
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                self.zip(o, |a, b| {
                    if a.is_nan() || b.is_nan() {
                        <$t>::NAN
                    } else if a == b {
                        if a.is_sign_negative() {
                            b
                        } else {
                            a
                        }
                    } else if a > b {
                        a
                    } else {
                        b
                    }
                })
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                self.map(|a| a.sqrt())
            }
            #[inline(always)]
            fn round(self) -> Self {
                self.map(round_ties_even)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                self.map(|a| a.floor())
            }
            #[inline(always)]
            fn lt(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a < b)
            }
            #[inline(always)]
            fn le(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a <= b)
            }
            #[inline(always)]
            fn gt(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a > b)
            }
            #[inline(always)]
            fn ge(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a >= b)
            }
            #[inline(always)]
            fn eq(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a == b)
            }
            #[inline(always)]
            fn is_nan(self) -> [bool; $n] {
                self.cmp(self, |a, _| a.is_nan())
            }
            #[inline(always)]
            fn mask_and(a: [bool; $n], b: [bool; $n]) -> [bool; $n] {
                let mut m = a;
                for i in 0..$n {
                    m[i] = a[i] && b[i];
                }
                m
            }
            #[inline(always)]
            fn mask_or(a: [bool; $n], b: [bool; $n]) -> [bool; $n] {
                let mut m = a;
                for i in 0..$n {
                    m[i] = a[i] || b[i];
                }
                m
            }
            #[inline(always)]
            fn mask_not(a: [bool; $n]) -> [bool; $n] {
                let mut m = a;
                for v in m.iter_mut() {
                    *v = !*v;
                }
                m
            }
            #[inline(always)]
            fn mask_first(k: usize) -> [bool; $n] {
                let mut m = [false; $n];
                for (i, v) in m.iter_mut().enumerate() {
                    *v = i < k;
                }
                m
            }
            #[inline(always)]
            fn select(m: [bool; $n], a: Self, b: Self) -> Self {
                let mut r = b.0;
                for i in 0..$n {
                    if m[i] {
                        r[i] = a.0[i];
                    }
                }
                $name(r)
            }
            #[inline(always)]
            fn sum_f64(self) -> f64 {
                // Pairwise, in the order wasm128 uses, so both give identical sums.
                let mut r = [0f64; $n];
                for i in 0..$n {
                    r[i] = self.0[i] as f64;
                }
                let mut w = $n;
                while w > 1 {
                    w /= 2;
                    for i in 0..w {
                        r[i] += r[i + w];
                    }
                }
                r[0]
            }
            #[inline(always)]
            fn pow2i(n: Self) -> Self {
                n.map(|k| <$t>::from_bits((((k as i64) + $bias) as $bits) << $mant_bits))
            }
            #[inline(always)]
            fn frexp(self) -> (Self, Self) {
                let mut e = self.0;
                let mut m = self.0;
                for i in 0..$n {
                    let b = self.0[i].to_bits();
                    let exp = ((b >> $mant_bits) as i64) & (2 * $bias + 1);
                    e[i] = (exp - $bias) as $t;
                    let mant = b & ((1 << $mant_bits) - 1);
                    m[i] = <$t>::from_bits(mant | (($bias as $bits) << $mant_bits));
                }
                ($name(e), $name(m))
            }
            #[inline(always)]
            fn copysign(self, sign: Self) -> Self {
                self.zip(sign, |a, s| a.copysign(s))
            }
            #[inline(always)]
            fn pmin(self, o: Self) -> Self {
                self.zip(o, |a, b| if b < a { b } else { a })
            }
            #[inline(always)]
            fn pmax(self, o: Self) -> Self {
                self.zip(o, |a, b| if a < b { b } else { a })
            }
            #[inline(always)]
            fn pmax_lanes(self) -> Self {
                // wasm128's order: lanes i and i + n/2, then neighbours.
                let mut v = self;
                let mut h = $n / 2;
                while h > 0 {
                    let mut sh = v;
                    for i in 0..$n {
                        sh.0[i] = v.0[i ^ h];
                    }
                    v = v.pmax(sh);
                    h /= 2;
                }
                v
            }
            #[inline(always)]
            fn any(m: [bool; $n]) -> bool {
                m.iter().any(|&b| b)
            }
            #[inline(always)]
            fn all(m: [bool; $n]) -> bool {
                m.iter().all(|&b| b)
            }
            #[inline(always)]
            fn bits_outside(self, lo: Self, hi: Self) -> [bool; $n] {
                let mut m = [false; $n];
                for i in 0..$n {
                    let b = self.0[i].to_bits();
                    m[i] = b < lo.0[i].to_bits() || b > hi.0[i].to_bits();
                }
                m
            }
            #[inline(always)]
            fn ldexp_magic(self, k: Self) -> Self {
                self.zip(k, |a, k| {
                    <$t>::from_bits(a.to_bits().wrapping_add(k.to_bits() << $mant_bits))
                })
            }
            #[inline(always)]
            fn frexp_sqrt2(self) -> (Self, Self) {
                let mut e = self.0;
                let mut m = self.0;
                for i in 0..$n {
                    let b = self.0[i].to_bits();
                    let tmp = b.wrapping_sub($sqrt2_lo);
                    e[i] = ((tmp as $ibits) >> $mant_bits) as $t;
                    let field: $bits = !((1 << $mant_bits) - 1);
                    m[i] = <$t>::from_bits(b.wrapping_sub(tmp & field));
                }
                ($name(e), $name(m))
            }
        }
    };
}

trait RoundTiesEven {
    fn rte(self) -> Self;
}
impl RoundTiesEven for f32 {
    fn rte(self) -> f32 {
        // 1.5·2^23 forces rounding at the units place (ties to even under the default mode).
        if self.abs() >= 8_388_608.0 || self.is_nan() {
            return self;
        }
        let m = 12_582_912.0f32.copysign(self);
        (self + m) - m
    }
}
impl RoundTiesEven for f64 {
    fn rte(self) -> f64 {
        if self.abs() >= 4_503_599_627_370_496.0 || self.is_nan() {
            return self;
        }
        let m = 6_755_399_441_055_744.0f64.copysign(self);
        (self + m) - m
    }
}
fn round_ties_even<T: RoundTiesEven>(x: T) -> T {
    x.rte()
}

// The last argument: the bits of fl(√2)/2 plus one ulp, the low end of frexp_sqrt2's range.
portable_vector!(F32x4, f32, 4, u32, i32, 23, 127, 0x3f35_04f4);
portable_vector!(F64x2, f64, 2, u64, i64, 52, 1023, 0x3fe6_a09e_667f_3bce);
