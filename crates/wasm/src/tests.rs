//! Host tests of the wasm-side checks: every bad pointer, length, parameter and step is a status
//! with a message, never a panic or an out-of-bounds slice. On the host, memory is taken to be
//! 64 KiB ([`crate::memory_bytes`]), so only pointer values are checked here, never dereferenced
//! (every call below fails before forming a slice). The same checks on the real module, under
//! Node: test/abi.test.ts.

use crate::*;

extern "C" {
    fn lossfn_mse_loss_forward_f32(
        x: u32,
        t: u32,
        a: u32,
        w: u32,
        n: u32,
        p0: f64,
        p1: f64,
        p2: f64,
        out: u32,
        sum_out: u32,
    ) -> i32;
    fn lossfn_huber_loss_backward_f64(
        x: u32,
        t: u32,
        a: u32,
        w: u32,
        n: u32,
        p0: f64,
        p1: f64,
        p2: f64,
        g: u32,
        g_scale: f64,
        gx: u32,
        gt: u32,
        ga: u32,
    ) -> i32;
    fn lossfn_cross_entropy_forward_f32(
        x: u32,
        t: u32,
        y: u32,
        w: u32,
        classes: u32,
        rows: u32,
        width: u32,
        y_width: u32,
        ignore_index: i32,
        ignore_on: u32,
        p0: f64,
        p1: f64,
        p2: f64,
        out: u32,
        stats: u32,
        n_stats: u32,
    ) -> i32;
    fn lossfn_multi_margin_loss_backward_f64(
        x: u32,
        t: u32,
        y: u32,
        w: u32,
        classes: u32,
        rows: u32,
        width: u32,
        y_width: u32,
        ignore_index: i32,
        ignore_on: u32,
        p0: f64,
        p1: f64,
        p2: f64,
        g: u32,
        g_scale: f64,
        gx: u32,
        gt: u32,
    ) -> i32;
    fn lossfn_cross_entropy_piece_f64(
        step: i32,
        pass: u32,
        state: u32,
        x: u32,
        t: u32,
        y: u32,
        y_width: u32,
        w: u32,
        classes: u32,
        start: u32,
        len: u32,
        width: u32,
        p0: f64,
        p1: f64,
        p2: f64,
        g: u32,
        g_scale: f64,
        out: u32,
        value_out: u32,
        n_value: u32,
        gx: u32,
        gt: u32,
    ) -> i32;
    fn lossfn_multilabel_margin_loss_piece_f32(
        step: i32,
        pass: u32,
        state: u32,
        x: u32,
        t: u32,
        y: u32,
        y_width: u32,
        w: u32,
        classes: u32,
        start: u32,
        len: u32,
        width: u32,
        p0: f64,
        p1: f64,
        p2: f64,
        g: u32,
        g_scale: f64,
        out: u32,
        value_out: u32,
        n_value: u32,
        gx: u32,
        gt: u32,
    ) -> i32;
}

fn last_error() -> String {
    LAST_ERROR.with(|e| e.borrow().clone())
}

#[test]
fn products_that_overflow_32_bits_are_statuses() {
    assert_eq!(
        product("rows × width", &[65536, 65537]),
        Err(STATUS_BAD_POINTER)
    );
    assert!(
        last_error().contains("overflows a 32-bit length"),
        "{}",
        last_error()
    );
    assert_eq!(product("n", &[65535, 65537]), Ok(65535 * 65537));
    assert_eq!(product("n", &[]), Ok(1));
}

#[test]
fn pointer_checks() {
    // null, misaligned, past the end, and a length whose byte size overflows.
    assert_eq!(check::<f32>("x", 0, 4), Err(STATUS_BAD_POINTER));
    assert_eq!(check::<f64>("x", 12, 1), Err(STATUS_BAD_POINTER));
    assert_eq!(check::<f32>("x", 65536 - 8, 3), Err(STATUS_BAD_POINTER));
    assert_eq!(check::<f32>("x", 16, 0x4000_0001), Err(STATUS_BAD_POINTER));
    assert_eq!(check::<f64>("x", 16, u32::MAX), Err(STATUS_BAD_POINTER));
    assert!(last_error().contains("bad pointer 16"), "{}", last_error());
    assert_eq!(check::<f32>("x", 65536 - 8, 2), Ok(()));
}

#[test]
fn elementwise_exports_refuse_bad_operands_and_parameters() {
    unsafe {
        // The ABI issue's case: n = 0x40000001 float32 elements (4·n wraps in 32 bits).
        assert_eq!(
            lossfn_mse_loss_forward_f32(16, 16, 0, 0, 0x4000_0001, 0.0, 0.0, 0.0, 0, 64),
            STATUS_BAD_POINTER
        );
        assert_eq!(
            lossfn_mse_loss_forward_f32(0, 16, 0, 0, 4, 0.0, 0.0, 0.0, 0, 64),
            STATUS_BAD_POINTER
        );
        assert!(
            last_error().contains("required operand is null"),
            "{}",
            last_error()
        );
        // huber's delta must be > 0: refused before any operand is read.
        assert_eq!(
            lossfn_huber_loss_backward_f64(16, 16, 0, 0, 4, 0.0, 0.0, 0.0, 0, 1.0, 64, 0, 0),
            STATUS_BAD_PARAM
        );
        assert!(
            last_error().starts_with("delta must be > 0"),
            "{}",
            last_error()
        );
    }
}

#[test]
fn row_exports_refuse_bad_shapes_and_parameters() {
    unsafe {
        // rows × classes = 65536 × 65537 wraps in 32 bits: a status, not empty rows.
        let r = lossfn_cross_entropy_forward_f32(
            16, 0, 32, 0, 65537, 65536, 65537, 1, -100, 1, 0.0, 0.0, 0.0, 0, 64, 2,
        );
        assert_eq!(r, STATUS_BAD_POINTER);
        // label smoothing outside [0, 1]
        let r = lossfn_cross_entropy_forward_f32(
            16, 0, 32, 0, 3, 1, 3, 1, -100, 1, 2.0, 0.0, 0.0, 0, 64, 2,
        );
        assert_eq!(r, STATUS_BAD_PARAM);
        assert!(
            last_error().starts_with("label_smoothing must be in [0, 1]"),
            "{}",
            last_error()
        );
        // multi_margin p ∈ {1, 2}
        let r = lossfn_multi_margin_loss_backward_f64(
            16, 0, 32, 0, 3, 1, 3, 1, 0, 0, 3.0, 1.0, 0.0, 0, 1.0, 64, 0,
        );
        assert_eq!(r, STATUS_BAD_PARAM);
        // a null input
        let r = lossfn_cross_entropy_forward_f32(
            0, 0, 32, 0, 3, 1, 3, 1, -100, 1, 0.0, 0.0, 0.0, 0, 64, 2,
        );
        assert_eq!(r, STATUS_BAD_POINTER);
    }
}

#[test]
fn piece_steps_are_checked() {
    unsafe {
        // An unknown step, a piece past the row's end, and a loss that does not stream.
        let piece = |step, start, len, width| {
            lossfn_cross_entropy_piece_f64(
                step, 0, 64, 256, 0, 512, 1, 0, width, start, len, width, 0.0, 0.0, 0.0, 0, 0.0, 0,
                1024, 2, 0, 0,
            )
        };
        assert_eq!(piece(9, 0, 4, 8), STATUS_BAD_PARAM);
        assert!(last_error().contains("bad step 9"), "{}", last_error());
        assert_eq!(piece(1, 6, 4, 8), STATUS_BAD_PARAM);
        assert_eq!(piece(1, u32::MAX, 2, 8), STATUS_BAD_PARAM);
        let r = lossfn_multilabel_margin_loss_piece_f32(
            0, 0, 64, 256, 0, 512, 4, 0, 4, 0, 4, 4, 0.0, 0.0, 0.0, 0, 0.0, 0, 1024, 2, 0, 0,
        );
        assert_eq!(r, STATUS_BAD_PARAM);
        assert!(last_error().contains("whole rows only"), "{}", last_error());
    }
}

#[test]
fn the_abi_version_and_statuses_are_the_documented_ones() {
    assert_eq!(lossfn_abi_version(), ABI_VERSION);
    assert_eq!((STATUS_OK, STATUS_BAD_POINTER, STATUS_BAD_PARAM), (0, 1, 2));
    assert_eq!(lossfn_alloc_align(), 16);
}
