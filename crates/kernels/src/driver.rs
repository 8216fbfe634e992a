//! The one driver for elementwise losses, and the one summation.
//!
//! A loss supplies a body generic over [`Vector`] ([`Elementwise`]); the driver runs it over whole
//! vectors, then over the zero-padded tail (padding lanes are masked out of the sum and never
//! stored), and fuses the reduction into the same loop.
//!
//! Summation accuracy: lanes accumulate in the element type over at most
//! [`FLUSH_VECTORS`] vectors (16 terms per lane), then each block's partial sum is added in f64
//! with Neumaier compensation. For non-negative terms the relative error of an f32 sum is thus
//! at most about 5·2⁻²⁴ ≈ 3e-7, whatever the length (the 1e7-element test checks it).

use crate::simd::pair::X2;
#[cfg(feature = "sealed-constants")]
use crate::simd::sealed::Sealed;
use crate::simd::{Element, Vector};

/// Vectors summed in the element type before the block is flushed into the f64 total.
pub const FLUSH_VECTORS: usize = 16;

/// An elementwise loss `l = f(x, t, a)`: input, target and an optional third operand
/// (GaussianNLL's `var`). Parameters live in `self`.
pub trait Elementwise {
    /// Whether the driver runs the body on pairs of vectors ([`X2`]). Off for bodies that are
    /// short (nothing to overlap) or so large that two copies spill (BCE's two logarithms:
    /// 20% slower interleaved).
    const INTERLEAVE: bool = true;
    /// Whether the driver's main loop runs [`Elementwise::forward`] on
    /// [`Sealed`](crate::simd::sealed::Sealed) vectors, whose constants stay run-time values
    /// for the engine: only in the baseline module, built with the `sealed-constants` feature
    /// (simd/sealed.rs; no other module instantiates them). On for the bodies where that made
    /// Bun clearly faster and Node 20 no slower (bench/math_kernels.mjs on both); results are
    /// the same bits either way.
    const SEALED: bool = false;
    fn forward<V: Vector>(&self, x: V, t: V, a: V) -> V;
}

/// An elementwise loss with its analytic gradient.
pub trait ElementwiseGrad: Elementwise {
    /// `g · (∂l/∂x, ∂l/∂t, ∂l/∂a)`.
    /// [`Elementwise::SEALED`] for [`ElementwiseGrad::backward`].
    const SEALED_GRAD: bool = false;
    fn backward<V: Vector>(&self, x: V, t: V, a: V, g: V) -> [V; 3];
}

/// A compensated f64 accumulator (Neumaier's variant of Kahan summation).
#[derive(Clone, Copy, Default, Debug)]
pub struct Sum {
    sum: f64,
    comp: f64,
}

impl Sum {
    #[inline]
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        // Once the sum is ±inf or NaN the compensation is meaningless (inf − inf = NaN would
        // turn an overflowed sum into NaN); the IEEE sum alone is the right answer then.
        if t.is_finite() {
            if self.sum.abs() >= v.abs() {
                self.comp += (self.sum - t) + v;
            } else {
                self.comp += (v - t) + self.sum;
            }
        }
        self.sum = t;
    }
    /// The running sum and its compensation, to keep the accumulator in plain f64 slots
    /// (the row driver's per-row state).
    pub fn parts(&self) -> (f64, f64) {
        (self.sum, self.comp)
    }
    pub fn from_parts(sum: f64, comp: f64) -> Self {
        Sum { sum, comp }
    }
    #[inline]
    pub fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.comp
        } else {
            self.sum
        }
    }
}

/// Sums `xs` with the same blocking and compensation as the fused loss reductions.
#[inline(never)]
pub fn sum<E: Element>(xs: &[E]) -> f64 {
    struct Identity;
    impl Elementwise for Identity {
        #[inline(always)]
        fn forward<V: Vector>(&self, x: V, _: V, _: V) -> V {
            x
        }
    }
    forward(&Identity, xs, xs, None, None)
}

/// The first `k < LANES` elements of `s[i..]`, zero-padded to a whole vector.
#[inline(always)]
fn load_tail<V: Vector>(s: &[V::Elem], i: usize, k: usize) -> V {
    let mut buf = [V::Elem::default(); 8];
    buf[..k].copy_from_slice(&s[i..i + k]);
    V::load(&buf)
}

#[inline(always)]
fn store_tail<V: Vector>(v: V, s: &mut [V::Elem], i: usize, k: usize) {
    let mut buf = [V::Elem::default(); 8];
    v.store(&mut buf);
    s[i..i + k].copy_from_slice(&buf[..k]);
}

/// Runs `loss` over `x`, `t` (and `a`), writing `out[i] = l_i` when `out` is given, and returns
/// `Σ l_i` (computed either way: the reduction is fused into the loop).
///
/// Panics if the slices are shorter than `x` (the wasm shim checks lengths first).
pub fn forward<E: Element, L: Elementwise>(
    loss: &L,
    x: &[E],
    t: &[E],
    a: Option<&[E]>,
    out: Option<&mut [E]>,
) -> f64 {
    forward_weighted(loss, x, t, a, None, out)
}

/// [`forward`] with per-element weights: `l_i = w_i·f(x_i, t_i, a_i)` (PyTorch's `weight` of
/// BCE and friends, already broadcast to the elements by the caller).
pub fn forward_weighted<E: Element, L: Elementwise>(
    loss: &L,
    x: &[E],
    t: &[E],
    a: Option<&[E]>,
    w: Option<&[E]>,
    out: Option<&mut [E]>,
) -> f64 {
    // Storing and weighting are runtime flags, not const generics: a predictable branch per
    // vector costs nothing measurable, and one copy of each body keeps the module small.
    let store = out.is_some();
    let weighted = w.is_some();
    forward_impl(
        loss,
        x,
        t,
        a,
        w.unwrap_or(x),
        store,
        weighted,
        out.unwrap_or(&mut []),
    )
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn forward_impl<E: Element, L: Elementwise>(
    loss: &L,
    x: &[E],
    t: &[E],
    a: Option<&[E]>,
    w: &[E],
    store: bool,
    weighted: bool,
    out: &mut [E],
) -> f64 {
    #[allow(non_snake_case)]
    let (STORE, WEIGHTED) = (store, weighted);
    let n = x.len();
    let t = &t[..n];
    let w = if WEIGHTED { &w[..n] } else { w };
    let a = a.map(|a| &a[..n]);
    let out = if STORE { &mut out[..n] } else { out };
    let lanes = E::V::LANES;
    let zero = E::V::splat(E::default());
    let mut total = Sum::default();

    let ops = Operands {
        x,
        t,
        a,
        w,
        store: STORE,
        weighted: WEIGHTED,
    };
    // A plain #[inline(always)] fn rather than a closure: rustc leaves a closure called 17
    // times out of line, returning each vector through stack memory (~6× slower for MSE).
    // SAFETY: the main loop calls `body` and `wide` only on whole vectors inside [0, n); the
    // operands were truncated (and so checked) to n elements above, `out` too when storing.
    let body = |i: usize, out: &mut [E]| unsafe { ops.sealed_step::<E::V, L>(loss, i, out) };
    let wide = |i: usize, out: &mut [E]| unsafe { ops.sealed_step::<X2<E::V>, L>(loss, i, out) };

    let mut i = 0;
    let step = 4 * lanes;
    // Four vectors per iteration, each added to its own accumulator (the add latency stays
    // off the critical path). With `L::INTERLEAVE` they run as two pairs ([`X2`]), so the two
    // bodies' dependency chains are issued instruction by instruction side by side: 8–13%
    // faster for the f32 exp/ln bodies and 10–20% for f64 (bench/math_kernels.mjs), where
    // x64's ~100-entry scheduler otherwise sees about one body at a time.
    let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
    let mut groups = 0;
    while i + step <= n {
        if L::INTERLEAVE {
            let X2(a, b) = wide(i, out);
            let X2(c, d) = wide(i + 2 * lanes, out);
            (s0, s1, s2, s3) = (s0 + a, s1 + b, s2 + c, s3 + d);
        } else {
            s0 = s0 + body(i, out);
            s1 = s1 + body(i + lanes, out);
            s2 = s2 + body(i + 2 * lanes, out);
            s3 = s3 + body(i + 3 * lanes, out);
        }
        i += step;
        groups += 1;
        if groups == FLUSH_VECTORS / 4 {
            total.add(((s0 + s1) + (s2 + s3)).sum_f64());
            (s0, s1, s2, s3) = (zero, zero, zero, zero);
            groups = 0;
        }
    }
    total.add(((s0 + s1) + (s2 + s3)).sum_f64());
    // The rest (under four vectors): one copy of the body, zero-padded where partial.
    let mut s = zero;
    while i < n {
        let k = (n - i).min(lanes);
        let mut v = loss.forward(
            load_tail::<E::V>(x, i, k),
            load_tail::<E::V>(t, i, k),
            a.map_or(zero, |a| load_tail::<E::V>(a, i, k)),
        );
        if WEIGHTED {
            v = v * load_tail::<E::V>(w, i, k);
        }
        if STORE {
            store_tail(v, out, i, k);
        }
        s = s + E::V::select(E::V::mask_first(k), v, zero);
        i += k;
    }
    total.add(s.sum_f64());
    total.value()
}

/// The operands of one elementwise pass, with the per-vector step of [`forward_impl`].
struct Operands<'a, E> {
    x: &'a [E],
    t: &'a [E],
    a: Option<&'a [E]>,
    w: &'a [E],
    store: bool,
    weighted: bool,
}

impl<E: Element> Operands<'_, E> {
    /// [`Operands::step`], on [`Sealed`] vectors where the loss asks for them
    /// ([`Elementwise::SEALED`]) and the module seals (the baseline one).
    ///
    /// # Safety
    /// As [`Operands::step`].
    #[inline(always)]
    unsafe fn sealed_step<V: Vector<Elem = E>, L: Elementwise>(
        &self,
        loss: &L,
        i: usize,
        out: &mut [E],
    ) -> V {
        #[cfg(feature = "sealed-constants")]
        if L::SEALED {
            // SAFETY: forwarded (the same contract).
            return unsafe { self.step::<Sealed<V>, L>(loss, i, out).0 };
        }
        // SAFETY: forwarded (the same contract).
        unsafe { self.step::<V, L>(loss, i, out) }
    }

    /// Loss of the vector at `i`, stored into `out` when storing. Loads skip bounds checks: in
    /// V8 a check per operand per vector costs as much as a cheap loss body, and its branch
    /// stops constants being hoisted out of the loop.
    ///
    /// # Safety
    /// `i + LANES <= n`, and every operand slice (and `out` when storing) holds `n` elements:
    /// [`forward_impl`] truncates them to `n` on entry and only calls this for whole vectors.
    #[inline(always)]
    unsafe fn step<V: Vector<Elem = E>, L: Elementwise>(
        &self,
        loss: &L,
        i: usize,
        out: &mut [E],
    ) -> V {
        // SAFETY: per the function's contract, [i, i + LANES) is inside every operand.
        let ld = |s: &[E]| unsafe { V::load_ptr(s.as_ptr().add(i)) };
        let mut v = loss.forward(
            ld(self.x),
            ld(self.t),
            self.a.map_or(V::splat(E::default()), ld),
        );
        if self.weighted {
            v = v * ld(self.w);
        }
        if self.store {
            // SAFETY: as above, for `out`.
            unsafe { v.store_ptr(out.as_mut_ptr().add(i)) };
        }
        v
    }
}

/// The upstream gradient of an elementwise loss: one value for every element (a reduced loss:
/// `grad_output / denominator`) or one per element (`reduction: 'none'`), times `scale`.
pub enum Upstream<'a, E> {
    Scalar(E),
    PerElement(&'a [E], E),
}

/// Writes `g_i · ∂l_i/∂x_i` into `gx` (likewise `gt`, `ga`) for each output that is given;
/// with weights `w`, the upstream gradient is `g_i·w_i` (see [`forward_weighted`]).
///
/// Same loop shape as [`forward`]: whole vectors with unchecked loads and stores (in pairs,
/// interleaved, when `L::INTERLEAVE`), then the zero-padded tail.
///
/// Panics if an operand or output is shorter than `x` (the wasm shim checks lengths first).
#[allow(clippy::too_many_arguments)]
pub fn backward<E: Element, L: ElementwiseGrad>(
    loss: &L,
    x: &[E],
    t: &[E],
    a: Option<&[E]>,
    w: Option<&[E]>,
    g: Upstream<'_, E>,
    gx: Option<&mut [E]>,
    gt: Option<&mut [E]>,
    ga: Option<&mut [E]>,
) {
    let n = x.len();
    let lanes = E::V::LANES;
    let (gs, gscale) = match g {
        Upstream::Scalar(s) => (None, s),
        Upstream::PerElement(s, k) => (Some(&s[..n]), k),
    };
    // Truncating checks every length once; the raw pointers below stay inside these slices.
    let out = |s: Option<&mut [E]>| s.map_or(core::ptr::null_mut(), |s| s[..n].as_mut_ptr());
    let ops = GradOperands {
        x,
        t: &t[..n],
        a: a.map(|a| &a[..n]),
        w: w.map(|w| &w[..n]),
        g: gs,
        gscale,
        outs: [out(gx), out(gt), out(ga)],
    };
    let mut i = 0;
    // SAFETY: `step` runs only on whole vectors inside [0, n).
    while i + 2 * lanes <= n {
        if L::INTERLEAVE {
            unsafe { ops.sealed_step::<X2<E::V>, L>(loss, i) };
        } else {
            unsafe { ops.sealed_step::<E::V, L>(loss, i) };
            unsafe { ops.sealed_step::<E::V, L>(loss, i + lanes) };
        }
        i += 2 * lanes;
    }
    // The rest (under two vectors): one copy of the body, zero-padded where partial.
    while i < n {
        let k = (n - i).min(lanes);
        let zero = E::V::splat(E::default());
        let ld = |s: &[E]| load_tail::<E::V>(s, i, k);
        let gscale_v = E::V::splat(gscale);
        let mut gv = gs.map_or(gscale_v, |s| ld(s) * gscale_v);
        if let Some(w) = ops.w {
            gv = gv * ld(w);
        }
        let d = loss.backward(ld(x), ld(ops.t), ops.a.map_or(zero, ld), gv);
        for (d, p) in d.into_iter().zip(ops.outs) {
            if !p.is_null() {
                // SAFETY: `p` points at an output of n elements (truncated above).
                let s = unsafe { core::slice::from_raw_parts_mut(p, n) };
                store_tail(d, s, i, k);
            }
        }
        i += k;
    }
}

/// `[∂x, ∂t, ∂a]` of `loss` for an upstream gradient of 1 everywhere and no weights (the
/// kernel tests' usual question).
#[cfg(any(test, feature = "wasm-tests"))]
pub(crate) fn unit_grads<E: Element, L: ElementwiseGrad>(
    loss: &L,
    x: &[E],
    t: &[E],
    a: Option<&[E]>,
) -> [Vec<E>; 3] {
    let n = x.len();
    let mut g = [
        vec![E::default(); n],
        vec![E::default(); n],
        vec![E::default(); n],
    ];
    let [gx, gt, ga] = &mut g;
    let one = Upstream::Scalar(E::from_f64(1.0));
    backward(loss, x, t, a, None, one, Some(gx), Some(gt), Some(ga));
    g
}

/// The operands of one backward pass, with the per-vector step of [`backward`]. Outputs are
/// raw pointers (null: not wanted) so that one step can write several of them.
struct GradOperands<'a, E> {
    x: &'a [E],
    t: &'a [E],
    a: Option<&'a [E]>,
    w: Option<&'a [E]>,
    g: Option<&'a [E]>,
    gscale: E,
    outs: [*mut E; 3],
}

impl<E: Element> GradOperands<'_, E> {
    /// [`GradOperands::step`], on [`Sealed`] vectors where the loss asks for them
    /// ([`ElementwiseGrad::SEALED_GRAD`]) and the module seals (the baseline one).
    ///
    /// # Safety
    /// As [`GradOperands::step`].
    #[inline(always)]
    unsafe fn sealed_step<V: Vector<Elem = E>, L: ElementwiseGrad>(&self, loss: &L, i: usize) {
        #[cfg(feature = "sealed-constants")]
        if L::SEALED_GRAD {
            // SAFETY: forwarded (the same contract).
            return unsafe { self.step::<Sealed<V>, L>(loss, i) };
        }
        // SAFETY: forwarded (the same contract).
        unsafe { self.step::<V, L>(loss, i) }
    }

    /// Gradients of the vector at `i`, stored into the wanted outputs.
    ///
    /// # Safety
    /// `i + V::LANES <= n`, with every operand and output holding `n` elements (as
    /// [`backward`] arranges).
    #[inline(always)]
    unsafe fn step<V: Vector<Elem = E>, L: ElementwiseGrad>(&self, loss: &L, i: usize) {
        // SAFETY: per the function's contract, [i, i + LANES) is inside every operand.
        let ld = |s: &[E]| unsafe { V::load_ptr(s.as_ptr().add(i)) };
        let gscale = V::splat(self.gscale);
        let mut gv = self.g.map_or(gscale, |s| ld(s) * gscale);
        if let Some(w) = self.w {
            gv = gv * ld(w);
        }
        let d = loss.backward(
            ld(self.x),
            ld(self.t),
            self.a.map_or(V::splat(E::default()), ld),
            gv,
        );
        for (d, p) in d.into_iter().zip(self.outs) {
            if !p.is_null() {
                // SAFETY: as above, for the output.
                unsafe { d.store_ptr(p.add(i)) };
            }
        }
    }
}
