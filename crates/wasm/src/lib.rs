//! The WebAssembly ABI of lossfn: plain `extern "C"` shims over `lossfn-kernels`.
//!
//! # Call protocol (mirrored by `ts/wasm/abi.ts`; `test/abi.test.ts` compares the two)
//! - Every pointer is a `u32` byte offset into the module's memory; `0` means "absent" for
//!   optional operands. Lengths are element counts. Scalars are `f64`.
//! - Memory is allocated by the module: [`lossfn_alloc`] / [`lossfn_free`].
//! - Every kernel returns an `i32` status: [`STATUS_OK`], or an error code, in which case
//!   [`lossfn_last_error_ptr`]/[`lossfn_last_error_len`] hold a UTF-8 message. The TS layer
//!   validates everything first, so a non-zero status means a bug in the TS layer, never
//!   undefined behaviour: every pointer and length is checked against memory bounds and
//!   alignment before a slice is formed.
//! - Elementwise losses export, for `<stem>` in the `torch.nn.functional` name and `<t>` in
//!   `f32 | f64`:
//!   - `lossfn_<stem>_forward_<t>(x, t, a, n, p0, p1, p2, out, sum_out) -> status`:
//!     writes `out[i] = l_i` when `out != 0`, and always `*sum_out = Σ l_i` (an f64).
//!   - `lossfn_<stem>_backward_<t>(x, t, a, n, p0, p1, p2, g, g_scale, gx, gt, ga) -> status`:
//!     `g_i = g_scale` when `g == 0`, else `g[i]·g_scale`; writes `g_i·∂l_i/∂x` into `gx`
//!     (likewise `gt`, `ga`) for each non-zero output pointer.
//!   `a` is the third operand (GaussianNLL's var), `p0..p2` the loss's parameters, listed at
//!   each export below.

use lossfn_kernels::driver::{self, Elementwise, Upstream};
use lossfn_kernels::loss::*;
use lossfn_kernels::simd::Element;
use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;

/// Bumped on any change to an export's signature or meaning.
pub const ABI_VERSION: u32 = 1;
pub const STATUS_OK: i32 = 0;
/// A pointer/length pair lies outside memory, overlaps nothing sane, or is misaligned.
pub const STATUS_BAD_POINTER: i32 = 1;
/// A loss parameter is outside its domain.
pub const STATUS_BAD_PARAM: i32 = 2;
/// Alignment of every block [`lossfn_alloc`] returns (one v128).
pub const ALLOC_ALIGN: u32 = 16;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn fail(status: i32, msg: String) -> i32 {
    LAST_ERROR.with(|e| *e.borrow_mut() = msg);
    status
}

#[no_mangle]
pub extern "C" fn lossfn_abi_version() -> u32 {
    ABI_VERSION
}
#[no_mangle]
pub extern "C" fn lossfn_status_bad_pointer() -> i32 {
    STATUS_BAD_POINTER
}
#[no_mangle]
pub extern "C" fn lossfn_status_bad_param() -> i32 {
    STATUS_BAD_PARAM
}
#[no_mangle]
pub extern "C" fn lossfn_alloc_align() -> u32 {
    ALLOC_ALIGN
}

/// Address of the last error message (UTF-8, [`lossfn_last_error_len`] bytes).
#[no_mangle]
pub extern "C" fn lossfn_last_error_ptr() -> u32 {
    LAST_ERROR.with(|e| e.borrow().as_ptr() as u32)
}
#[no_mangle]
pub extern "C" fn lossfn_last_error_len() -> u32 {
    LAST_ERROR.with(|e| e.borrow().len() as u32)
}

/// Allocates `bytes` (≥ 1) bytes aligned to [`ALLOC_ALIGN`]; returns 0 when memory cannot grow.
#[no_mangle]
pub extern "C" fn lossfn_alloc(bytes: u32) -> u32 {
    match Layout::from_size_align(bytes.max(1) as usize, ALLOC_ALIGN as usize) {
        // SAFETY: the layout has non-zero size.
        Ok(layout) => unsafe { alloc(layout) as u32 },
        Err(_) => 0,
    }
}

/// Frees a block from [`lossfn_alloc`]; `bytes` must be the size it was allocated with.
///
/// # Safety
/// `ptr` must come from `lossfn_alloc(bytes)` and not have been freed.
#[no_mangle]
pub unsafe extern "C" fn lossfn_free(ptr: u32, bytes: u32) {
    if ptr != 0 {
        let layout = Layout::from_size_align_unchecked(bytes.max(1) as usize, ALLOC_ALIGN as usize);
        dealloc(ptr as *mut u8, layout);
    }
}

fn memory_bytes() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) * 65536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        usize::MAX
    }
}

/// Checks that `[ptr, ptr + n·size_of::<E>())` is non-null, aligned and inside memory.
fn check<E>(name: &str, ptr: u32, n: u32) -> Result<(), i32> {
    let size = core::mem::size_of::<E>();
    let end = (ptr as usize).checked_add(n as usize * size);
    if ptr == 0 || ptr as usize % size != 0 || end.is_none_or(|e| e > memory_bytes()) {
        return Err(fail(STATUS_BAD_POINTER, format!("{name}: bad pointer {ptr} for {n} elements")));
    }
    Ok(())
}

/// A read-only operand: `Some(slice)` when `ptr != 0`, checked.
///
/// # Safety
/// The caller (TS) guarantees that nothing else aliases the range mutably during the call.
unsafe fn operand<'a, E>(name: &str, ptr: u32, n: u32) -> Result<Option<&'a [E]>, i32> {
    if ptr == 0 {
        return Ok(None);
    }
    if n == 0 {
        return Ok(Some(&[]));
    }
    check::<E>(name, ptr, n)?;
    Ok(Some(core::slice::from_raw_parts(ptr as *const E, n as usize)))
}

/// A written operand: `Some(slice)` when `ptr != 0`, checked.
///
/// # Safety
/// As [`operand`]; the range is not aliased by any other operand of the same call.
unsafe fn output<'a, E>(name: &str, ptr: u32, n: u32) -> Result<Option<&'a mut [E]>, i32> {
    if ptr == 0 {
        return Ok(None);
    }
    if n == 0 {
        return Ok(Some(&mut []));
    }
    check::<E>(name, ptr, n)?;
    Ok(Some(core::slice::from_raw_parts_mut(ptr as *mut E, n as usize)))
}

fn required<T>(name: &str, v: Option<T>) -> Result<T, i32> {
    v.ok_or_else(|| fail(STATUS_BAD_POINTER, format!("{name}: required operand is null")))
}

/// # Safety
/// See [`operand`] and [`output`].
#[allow(clippy::too_many_arguments)]
unsafe fn forward<E: Element, L: Elementwise>(
    loss: Result<L, i32>,
    x: u32,
    t: u32,
    a: u32,
    n: u32,
    out: u32,
    sum_out: u32,
) -> i32 {
    let run = || -> Result<(), i32> {
        let loss = loss?;
        let xs = required("input", operand::<E>("input", x, n)?)?;
        let ts = required("target", operand::<E>("target", t, n)?)?;
        let aux = operand::<E>("aux", a, n)?;
        let out = output::<E>("out", out, n)?;
        let sum_out = required("sum_out", output::<f64>("sum_out", sum_out, 1)?)?;
        sum_out[0] = driver::forward(&loss, xs, ts, aux, out);
        Ok(())
    };
    run().err().unwrap_or(STATUS_OK)
}

/// # Safety
/// See [`operand`] and [`output`].
#[allow(clippy::too_many_arguments)]
unsafe fn backward<E: Element, L: Elementwise>(
    loss: Result<L, i32>,
    x: u32,
    t: u32,
    a: u32,
    n: u32,
    g: u32,
    g_scale: f64,
    gx: u32,
    gt: u32,
    ga: u32,
) -> i32 {
    let run = || -> Result<(), i32> {
        let loss = loss?;
        let xs = required("input", operand::<E>("input", x, n)?)?;
        let ts = required("target", operand::<E>("target", t, n)?)?;
        let aux = operand::<E>("aux", a, n)?;
        let scale = E::from_f64(g_scale);
        let up = match operand::<E>("grad_output", g, n)? {
            Some(gs) => Upstream::PerElement(gs, scale),
            None => Upstream::Scalar(scale),
        };
        let (gx, gt, ga) = (output::<E>("grad_input", gx, n)?, output::<E>("grad_target", gt, n)?, output::<E>("grad_aux", ga, n)?);
        driver::backward(&loss, xs, ts, aux, up, gx, gt, ga);
        Ok(())
    };
    run().err().unwrap_or(STATUS_OK)
}

/// Exports `lossfn_<stem>_{forward,backward}_{f32,f64}` for an elementwise loss built from
/// `(p0, p1, p2)` by `$make`, which returns `Err(status)` for parameters out of domain.
macro_rules! elementwise_exports {
    ($stem:ident, $make:expr) => {
        paste_exports!($stem, $make, f32);
        paste_exports!($stem, $make, f64);
    };
}

macro_rules! paste_exports {
    ($stem:ident, $make:expr, $t:ident) => {
        const _: () = {
            #[export_name = concat!("lossfn_", stringify!($stem), "_forward_", stringify!($t))]
            /// # Safety
            /// Pointers follow the module-level call protocol.
            pub unsafe extern "C" fn fwd(
                x: u32, t: u32, a: u32, n: u32, p0: f64, p1: f64, p2: f64, out: u32, sum_out: u32,
            ) -> i32 {
                forward::<$t, _>($make(p0, p1, p2), x, t, a, n, out, sum_out)
            }
            #[export_name = concat!("lossfn_", stringify!($stem), "_backward_", stringify!($t))]
            /// # Safety
            /// Pointers follow the module-level call protocol.
            pub unsafe extern "C" fn bwd(
                x: u32, t: u32, a: u32, n: u32, p0: f64, p1: f64, p2: f64, g: u32, g_scale: f64,
                gx: u32, gt: u32, ga: u32,
            ) -> i32 {
                backward::<$t, _>($make(p0, p1, p2), x, t, a, n, g, g_scale, gx, gt, ga)
            }
        };
    };
}

fn positive(name: &str, v: f64) -> Result<f64, i32> {
    if v > 0.0 {
        Ok(v)
    } else {
        Err(fail(STATUS_BAD_PARAM, format!("{name} must be > 0, got {v}")))
    }
}

// No parameters.
elementwise_exports!(l1_loss, |_, _, _| Ok::<_, i32>(L1Loss));
elementwise_exports!(mse_loss, |_, _, _| Ok::<_, i32>(MseLoss));
elementwise_exports!(mean_absolute_percentage_error, |_, _, _| Ok::<_, i32>(MeanAbsolutePercentageError));
elementwise_exports!(mean_squared_logarithmic_error, |_, _, _| Ok::<_, i32>(MeanSquaredLogarithmicError));
elementwise_exports!(log_cosh, |_, _, _| Ok::<_, i32>(LogCosh));
// p0 = beta (> 0; β = 0 is dispatched to l1_loss by the TS layer, as PyTorch does).
elementwise_exports!(smooth_l1_loss, |beta, _, _| positive("beta", beta).map(|beta| SmoothL1Loss { beta }));
// p0 = delta (> 0).
elementwise_exports!(huber_loss, |delta, _, _| positive("delta", delta).map(|delta| HuberLoss { delta }));
// p0 = log_input (0/1), p1 = full (0/1), p2 = eps.
elementwise_exports!(poisson_nll_loss, |log_input: f64, full: f64, eps| Ok::<_, i32>(PoissonNllLoss {
    log_input: log_input != 0.0,
    full: full != 0.0,
    eps
}));
// a = var (broadcast by the caller), p0 = full (0/1), p1 = eps.
elementwise_exports!(gaussian_nll_loss, |full: f64, eps, _| Ok::<_, i32>(GaussianNllLoss { full: full != 0.0, eps }));
