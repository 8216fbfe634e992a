//! [`X2`]: two vectors driven as one, lane-wise.
//!
//! Why: a loss body is one long dependency chain per vector (an exponential, a logarithm, a
//! division: 100+ cycles of latency), and the x64 scheduler only looks ~100 instructions
//! ahead, so bodies issued one after another barely overlap. Running the body on a pair
//! interleaves the two chains instruction by instruction; the driver's hot loop uses it.

use super::Vector;
use core::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Clone, Copy)]
pub struct X2<V>(pub V, pub V);

macro_rules! op {
    ($tr:ident, $f:ident) => {
        impl<V: Vector> $tr for X2<V> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                X2(self.0.$f(o.0), self.1.$f(o.1))
            }
        }
    };
}
op!(Add, add);
op!(Sub, sub);
op!(Mul, mul);
op!(Div, div);

impl<V: Vector> Neg for X2<V> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        X2(-self.0, -self.1)
    }
}

macro_rules! unary {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(self) -> Self {
            X2(self.0.$f(), self.1.$f())
        }
    )*};
}
macro_rules! binary {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(self, o: Self) -> Self {
            X2(self.0.$f(o.0), self.1.$f(o.1))
        }
    )*};
}
macro_rules! compare {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(self, o: Self) -> Self::Mask {
            (self.0.$f(o.0), self.1.$f(o.1))
        }
    )*};
}

impl<V: Vector> Vector for X2<V> {
    type Elem = V::Elem;
    type Mask = (V::Mask, V::Mask);
    const LANES: usize = 2 * V::LANES;

    #[inline(always)]
    fn splat(x: Self::Elem) -> Self {
        X2(V::splat(x), V::splat(x))
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        X2(self.0.mul_add(b.0, c.0), self.1.mul_add(b.1, c.1))
    }
    #[inline(always)]
    fn splat_hoisted(x: Self::Elem) -> Self {
        let v = V::splat_hoisted(x);
        X2(v, v)
    }
    #[inline(always)]
    fn splat_sealed(x: Self::Elem) -> Self {
        let v = V::splat_sealed(x);
        X2(v, v)
    }
    #[inline(always)]
    fn load(src: &[Self::Elem]) -> Self {
        X2(V::load(src), V::load(&src[V::LANES..]))
    }
    #[inline(always)]
    fn store(self, dst: &mut [Self::Elem]) {
        self.0.store(dst);
        self.1.store(&mut dst[V::LANES..]);
    }
    #[inline(always)]
    unsafe fn load_ptr(p: *const Self::Elem) -> Self {
        // SAFETY: the caller guarantees 2·V::LANES readable elements.
        unsafe { X2(V::load_ptr(p), V::load_ptr(p.add(V::LANES))) }
    }
    #[inline(always)]
    unsafe fn store_ptr(self, p: *mut Self::Elem) {
        // SAFETY: the caller guarantees 2·V::LANES writable elements.
        unsafe {
            self.0.store_ptr(p);
            self.1.store_ptr(p.add(V::LANES));
        }
    }

    unary!(abs, sqrt, round, floor);
    binary!(min, max, pmin, pmax, copysign, ldexp_magic);
    compare!(lt, le, gt, ge, eq);

    #[inline(always)]
    fn is_nan(self) -> Self::Mask {
        (self.0.is_nan(), self.1.is_nan())
    }
    #[inline(always)]
    fn mask_and(a: Self::Mask, b: Self::Mask) -> Self::Mask {
        (V::mask_and(a.0, b.0), V::mask_and(a.1, b.1))
    }
    #[inline(always)]
    fn mask_or(a: Self::Mask, b: Self::Mask) -> Self::Mask {
        (V::mask_or(a.0, b.0), V::mask_or(a.1, b.1))
    }
    #[inline(always)]
    fn mask_not(a: Self::Mask) -> Self::Mask {
        (V::mask_not(a.0), V::mask_not(a.1))
    }
    #[inline(always)]
    fn mask_first(k: usize) -> Self::Mask {
        let l = V::LANES;
        (V::mask_first(k.min(l)), V::mask_first(k.saturating_sub(l)))
    }
    #[inline(always)]
    fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        X2(V::select(m.0, a.0, b.0), V::select(m.1, a.1, b.1))
    }
    #[inline(always)]
    fn sum_f64(self) -> f64 {
        self.0.sum_f64() + self.1.sum_f64()
    }
    #[inline(always)]
    fn pmax_lanes(self) -> Self {
        let m = self.0.pmax(self.1).pmax_lanes();
        X2(m, m)
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        X2(V::pow2i(n.0), V::pow2i(n.1))
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let (a, b) = (self.0.frexp(), self.1.frexp());
        (X2(a.0, b.0), X2(a.1, b.1))
    }
    #[inline(always)]
    fn frexp_sqrt2(self) -> (Self, Self) {
        let (a, b) = (self.0.frexp_sqrt2(), self.1.frexp_sqrt2());
        (X2(a.0, b.0), X2(a.1, b.1))
    }
    #[inline(always)]
    fn any(m: Self::Mask) -> bool {
        V::any(V::mask_or(m.0, m.1))
    }
    #[inline(always)]
    fn all(m: Self::Mask) -> bool {
        V::all(V::mask_and(m.0, m.1))
    }
    #[inline(always)]
    fn bits_outside(self, lo: Self, hi: Self) -> Self::Mask {
        (
            self.0.bits_outside(lo.0, hi.0),
            self.1.bits_outside(lo.1, hi.1),
        )
    }
}
