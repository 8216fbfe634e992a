//! The WebAssembly ABI of lossfn: plain `extern "C"` shims over `lossfn-kernels`.
//!
//! # Call protocol (the TS types and constants are generated from the built module:
//! scripts/gen-abi.mjs → `ts/wasm/exports.ts`)
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
//!   - `lossfn_<stem>_forward_<t>(x, t, a, w, n, p0, p1, p2, out, sum_out) -> status`:
//!     writes `out[i] = l_i` when `out != 0`, and always `*sum_out = Σ l_i` (an f64).
//!   - `lossfn_<stem>_backward_<t>(x, t, a, w, n, p0, p1, p2, g, g_scale, gx, gt, ga) -> status`:
//!     `g_i = g_scale` when `g == 0`, else `g[i]·g_scale`; writes `g_i·∂l_i/∂x` into `gx`
//!     (likewise `gt`, `ga`) for each non-zero output pointer.
//!   - `a` is the third operand (GaussianNLL's var, BCE-with-logits' pos_weight), `w`
//!     optional per-element weights multiplying the loss (`l_i = w_i·f(…)`, PyTorch's
//!     `weight`), both already broadcast to `n` elements; `p0..p2` the loss's parameters,
//!     listed at each export (crates/wasm/src/elementwise.rs).
//! - Row losses (over a class dimension): see crates/wasm/src/rows.rs.
//! - Every export is declared once, with [`export!`], which records its signature for the TS
//!   side (ts/wasm/exports.ts is generated from the built module).

use lossfn_kernels::driver::Upstream;
use lossfn_kernels::simd::Element;
use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;

/// Bumped on any change to an export's signature or meaning.
pub const ABI_VERSION: u32 = 4;
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

#[inline(never)]
pub(crate) fn fail(status: i32, msg: String) -> i32 {
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
/// 1 in the relaxed-SIMD module (built with `+relaxed-simd`: fused multiply-adds in the
/// polynomial steps), 0 in the baseline SIMD128 one. Same ABI either way.
#[no_mangle]
pub extern "C" fn lossfn_relaxed_simd() -> u32 {
    cfg!(target_feature = "relaxed-simd") as u32
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
        // Host tests: a 64 KiB "memory" at [0, 65536), so that the bounds checks are exercised.
        65536
    }
}

/// Checks that `[ptr, ptr + n·size_of::<E>())` is non-null, aligned and inside memory.
#[inline(never)]
pub(crate) fn check<E>(name: &str, ptr: u32, n: u32) -> Result<(), i32> {
    let size = core::mem::size_of::<E>();
    let end = (n as usize)
        .checked_mul(size)
        .and_then(|bytes| (ptr as usize).checked_add(bytes));
    if ptr == 0 || !(ptr as usize).is_multiple_of(size) || end.is_none_or(|e| e > memory_bytes()) {
        return Err(fail(
            STATUS_BAD_POINTER,
            format!("{name}: bad pointer {ptr} for {n} elements"),
        ));
    }
    Ok(())
}

/// A read-only operand: `Some(slice)` when `ptr != 0`, checked.
///
/// # Safety
/// The caller (TS) guarantees that nothing else aliases the range mutably during the call.
pub(crate) unsafe fn operand<'a, E>(name: &str, ptr: u32, n: u32) -> Result<Option<&'a [E]>, i32> {
    if ptr == 0 {
        return Ok(None);
    }
    if n == 0 {
        return Ok(Some(&[]));
    }
    check::<E>(name, ptr, n)?;
    Ok(Some(core::slice::from_raw_parts(
        ptr as *const E,
        n as usize,
    )))
}

/// A written operand: `Some(slice)` when `ptr != 0`, checked.
///
/// # Safety
/// As [`operand`]; the range is not aliased by any other operand of the same call.
pub(crate) unsafe fn output<'a, E>(
    name: &str,
    ptr: u32,
    n: u32,
) -> Result<Option<&'a mut [E]>, i32> {
    if ptr == 0 {
        return Ok(None);
    }
    if n == 0 {
        return Ok(Some(&mut []));
    }
    check::<E>(name, ptr, n)?;
    Ok(Some(core::slice::from_raw_parts_mut(
        ptr as *mut E,
        n as usize,
    )))
}

/// The upstream gradient: `n` values times `scale`, or `scale` everywhere when `g == 0`.
///
/// # Safety
/// Protocol-checked operand.
pub(crate) unsafe fn upstream<'a, E: Element>(
    g: u32,
    n: u32,
    scale: f64,
) -> Result<Upstream<'a, E>, i32> {
    let scale = E::from_f64(scale);
    // SAFETY: forwarded to the caller's contract.
    Ok(match unsafe { operand::<E>("grad_output", g, n)? } {
        Some(gs) => Upstream::PerElement(gs, scale),
        None => Upstream::Scalar(scale),
    })
}

/// The product of `dims` (element counts), or [`STATUS_BAD_POINTER`] when it overflows `u32`:
/// every length an export derives from its arguments goes through here, never a bare `*`.
#[inline(never)]
pub(crate) fn product(what: &str, dims: &[u32]) -> Result<u32, i32> {
    dims.iter()
        .try_fold(1u32, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            fail(
                STATUS_BAD_POINTER,
                format!("{what}: {dims:?} overflows a 32-bit length"),
            )
        })
}

pub(crate) fn required<T>(name: &str, v: Option<T>) -> Result<T, i32> {
    v.ok_or_else(|| {
        fail(
            STATUS_BAD_POINTER,
            format!("{name}: required operand is null"),
        )
    })
}

pub(crate) fn positive(name: &str, v: f64) -> Result<f64, i32> {
    param(name, v, v > 0.0, "> 0")
}

/// A parameter in its domain, or [`STATUS_BAD_PARAM`] naming it.
#[inline(never)]
pub(crate) fn param(name: &str, v: f64, ok: bool, domain: &str) -> Result<f64, i32> {
    if ok {
        Ok(v)
    } else {
        Err(fail(
            STATUS_BAD_PARAM,
            format!("{name} must be {domain}, got {}", Float(v)),
        ))
    }
}

/// An f64 in messages, as its bit pattern: Rust's float formatting would add ~20 KB to the
/// module for messages that only a bug in the TS layer's validation can produce.
struct Float(f64);
impl core::fmt::Display for Float {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "f64::from_bits({:#x})", self.0.to_bits())
    }
}

/// Defines one export `$name(args) -> status`: `$body` evaluates to `Result<(), i32>`, whose
/// error is the status (the message already stored by [`fail`]). Every export follows the
/// crate-level call protocol above, which is its safety contract.
///
/// This is the one declaration of an export: its signature is also recorded, as
/// `name(arg:type,…)` lines, in the module's `lossfn_abi` custom section, from which
/// scripts/gen-abi.mjs generates the TS types (ts/wasm/exports.ts) and then strips the section.
macro_rules! export {
    ($name:expr, ($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        const _: () = {
            /// # Safety
            /// Pointers follow the crate-level call protocol (crates/wasm/src/lib.rs).
            #[export_name = $name]
            pub unsafe extern "C" fn export($($arg: $ty),*) -> i32 {
                let run = || -> Result<(), i32> { $body };
                run().err().unwrap_or($crate::STATUS_OK)
            }
            // Read by the linker (a custom section), not by code: no `#[used]`, which would
            // also copy the bytes into the data section.
            #[allow(dead_code)]
            const SIG: &str = concat!($name, "(", $(stringify!($arg), ":", stringify!($ty), ",",)* ")\n");
            #[cfg(target_arch = "wasm32")]
            #[link_section = "lossfn_abi"]
            #[allow(dead_code)]
            static SIG_BYTES: [u8; SIG.len()] = $crate::sig_bytes::<{ SIG.len() }>(SIG);
        };
    };
}

/// `s` as a byte array (for an export's recorded signature).
pub const fn sig_bytes<const N: usize>(s: &str) -> [u8; N] {
    let (b, mut out, mut i) = (s.as_bytes(), [0u8; N], 0);
    while i < N {
        out[i] = b[i];
        i += 1;
    }
    out
}

// Content fingerprints (ts/fingerprint.ts): `*acc` (a u32) += Σ w_i·(2i + 1) over `n` 32-bit
// words at `words`, which sit at positions `start..` of the fingerprinted array.
export!("lossfn_fingerprint", (words: u32, n: u32, start: u32, acc: u32) {
    // SAFETY: protocol-checked operands; TS passes disjoint ranges.
    let ws = unsafe { operand::<u32>("words", words, n)? }.unwrap_or(&[]);
    let out = unsafe { output::<u32>("acc", acc, 1)? }.ok_or_else(|| fail(STATUS_BAD_POINTER, "acc: null".into()))?;
    lossfn_kernels::fingerprint::fingerprint(ws, start, &mut out[0]);
    Ok(())
});

// Before the families' modules: they export their elementwise losses with its macro.
#[macro_use]
mod elementwise;
mod localization;
mod ranking;
mod rows;
mod segmentation;
mod sequence;
#[cfg(test)]
mod tests;
