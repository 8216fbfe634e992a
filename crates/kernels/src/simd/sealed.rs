//! [`Sealed`]: a vector whose loop constants the engine cannot fold back into constants.
//!
//! Why: JavaScriptCore's optimising tier (OMG/B3) sees through the hoisted splats of
//! [`Vector::splat_hoisted`] (a wasm local set from a constant is still a constant to it),
//! folds each into a 128-bit constant and rematerialises it at every use inside the loop: three
//! instructions through a general register per use (`BUN_JSC_dumpOMGDisassembly=1`). With
//! [`Vector::splat_sealed`] the value is a run-time value to the engine too, made once before
//! the loop and kept in a register or a stack slot. V8 handles both forms alike on some kernels
//! and worse on others (exp-only loops: e^x's constants then outnumber the registers), and Bun
//! loses on some (log-cosh's forward), so losses opt in one by one
//! ([`crate::driver::Elementwise::SEALED`]), where Bun gains and Node 20 does not lose
//! (bench/math_kernels.mjs, both runtimes). The values, hence results, are bit-identical.

use super::Vector;
use core::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Clone, Copy)]
pub struct Sealed<V>(pub V);

macro_rules! op {
    ($tr:ident, $f:ident) => {
        impl<V: Vector> $tr for Sealed<V> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                Sealed(self.0.$f(o.0))
            }
        }
    };
}
op!(Add, add);
op!(Sub, sub);
op!(Mul, mul);
op!(Div, div);

impl<V: Vector> Neg for Sealed<V> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Sealed(-self.0)
    }
}

macro_rules! unary {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(self) -> Self {
            Sealed(self.0.$f())
        }
    )*};
}
macro_rules! binary {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(self, o: Self) -> Self {
            Sealed(self.0.$f(o.0))
        }
    )*};
}
macro_rules! compare {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(self, o: Self) -> Self::Mask {
            self.0.$f(o.0)
        }
    )*};
}
macro_rules! masks {
    ($($f:ident),*) => {$(
        #[inline(always)]
        fn $f(a: Self::Mask, b: Self::Mask) -> Self::Mask {
            V::$f(a, b)
        }
    )*};
}

impl<V: Vector> Vector for Sealed<V> {
    type Elem = V::Elem;
    type Mask = V::Mask;
    const LANES: usize = V::LANES;

    #[inline(always)]
    fn splat(x: Self::Elem) -> Self {
        Sealed(V::splat(x))
    }
    /// The point of the type: every hoisted constant is a sealed one.
    #[inline(always)]
    fn splat_hoisted(x: Self::Elem) -> Self {
        Sealed(V::splat_sealed(x))
    }
    #[inline(always)]
    fn splat_sealed(x: Self::Elem) -> Self {
        Sealed(V::splat_sealed(x))
    }
    #[inline(always)]
    fn load(src: &[Self::Elem]) -> Self {
        Sealed(V::load(src))
    }
    #[inline(always)]
    fn store(self, dst: &mut [Self::Elem]) {
        self.0.store(dst)
    }
    #[inline(always)]
    unsafe fn load_ptr(p: *const Self::Elem) -> Self {
        // SAFETY: forwarded: the caller guarantees LANES readable elements.
        Sealed(unsafe { V::load_ptr(p) })
    }
    #[inline(always)]
    unsafe fn store_ptr(self, p: *mut Self::Elem) {
        // SAFETY: forwarded: the caller guarantees LANES writable elements.
        unsafe { self.0.store_ptr(p) }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Sealed(self.0.mul_add(b.0, c.0))
    }

    unary!(abs, sqrt, round, floor, pmax_lanes);
    binary!(min, max, pmin, pmax, copysign, ldexp_magic);
    compare!(lt, le, gt, ge, eq);
    masks!(mask_and, mask_or);

    #[inline(always)]
    fn is_nan(self) -> Self::Mask {
        self.0.is_nan()
    }
    #[inline(always)]
    fn mask_not(a: Self::Mask) -> Self::Mask {
        V::mask_not(a)
    }
    #[inline(always)]
    fn mask_first(k: usize) -> Self::Mask {
        V::mask_first(k)
    }
    #[inline(always)]
    fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        Sealed(V::select(m, a.0, b.0))
    }
    #[inline(always)]
    fn sum_f64(self) -> f64 {
        self.0.sum_f64()
    }
    #[inline(always)]
    fn pow2i(n: Self) -> Self {
        Sealed(V::pow2i(n.0))
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let (e, m) = self.0.frexp();
        (Sealed(e), Sealed(m))
    }
    #[inline(always)]
    fn frexp_sqrt2(self) -> (Self, Self) {
        let (e, m) = self.0.frexp_sqrt2();
        (Sealed(e), Sealed(m))
    }
    #[inline(always)]
    fn any(m: Self::Mask) -> bool {
        V::any(m)
    }
    #[inline(always)]
    fn all(m: Self::Mask) -> bool {
        V::all(m)
    }
    #[inline(always)]
    fn bits_outside(self, lo: Self, hi: Self) -> Self::Mask {
        self.0.bits_outside(lo.0, hi.0)
    }
}
