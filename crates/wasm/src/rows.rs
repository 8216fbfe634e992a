//! Exports of the row losses (`crates/kernels/src/row_driver.rs`): one signature for all of
//! them, produced by [`row_exports!`]. Inputs are `rows × width`, row-major (the TS layer
//! moves the class dimension last).
//!
//! - `lossfn_<stem>_forward_<t>(x, t, y, w, classes, rows, width, y_width, ignore_index,
//!   ignore_on, p0, p1, p2, out, stats, n_stats) -> status`:
//!   `x` rows of `width` inputs; `t` the float operand (`rows × width`: probability targets,
//!   teacher logits, label rows) or 0; `y` the integer targets (`rows × y_width` i32; y_width
//!   0, 1 or `width`) or 0; `w` the `classes` class weights or 0; rows whose single target
//!   equals `ignore_index` are ignored when `ignore_on` is 1; `p0..p2` the loss's parameters
//!   (listed at each loss below). Writes the per-row output (per element for distillation)
//!   into `out` when non-zero, and `[Σ l, denominator, extra…]` into `stats` (`n_stats` f64,
//!   2 + the loss's extra statistics).
//! - `lossfn_<stem>_backward_<t>(x, t, y, w, classes, rows, width, y_width, ignore_index,
//!   ignore_on, p0, p1, p2, g, g_scale, gx, gt) -> status`: `g` is 0 (then `g_scale` is the
//!   upstream everywhere) or one upstream value per output element, times `g_scale`; writes
//!   `∂x` into `gx` and `∂t` into `gt` for each non-zero pointer.
//! - `lossfn_<stem>_piece_<t>(step, pass, state, x, t, y, y_width, w, classes, start, len,
//!   width, p0, p1, p2, g, g_scale, out, value_out, n_value, gx, gt) -> status`: one step of
//!   the streamed protocol for one row too wide for the scratch area
//!   ([`lossfn_kernels::row_driver::piece`]): `step` 0 init (writes the forward and backward
//!   pass counts into `value_out[0..2]`), 1 forward pass `pass`, 2 value (`value_out` gets
//!   `[l, d, extra…]`), 3 per-element output, 4 backward pass `pass`, 5 gradient; `state` is
//!   [`STATE_SLOTS`] f64 the caller keeps between calls; `x`, `t`, `g`, `out`, `gx`, `gt` hold
//!   the piece's `len` elements (classes `start..start + len` of the row), `y` the row's
//!   `y_width` targets. Refused for losses whose rows cannot stream.
//!
//! Every index is checked here too (a bad target is `STATUS_BAD_PARAM`, never a panic), as is
//! every parameter's domain and every length product.

use crate::{fail, operand, output, param, product, required, upstream, STATUS_BAD_PARAM};
use lossfn_kernels::class_rows::{IndexRows, MarginLoss};
use lossfn_kernels::loss::arc_face_loss::ArcMargin;
use lossfn_kernels::loss::categorical_hinge::CategoricalHinge;
use lossfn_kernels::loss::cos_face_loss::CosMargin;
use lossfn_kernels::loss::cross_entropy::CrossEntropy;
use lossfn_kernels::loss::distillation_loss::DistillationLoss;
use lossfn_kernels::loss::multi_margin_loss::MultiMarginLoss;
use lossfn_kernels::loss::multilabel_margin_loss::MultilabelMarginLoss;
use lossfn_kernels::loss::poly_loss::Poly1;
use lossfn_kernels::loss::softmax_focal_loss::Focal;
use lossfn_kernels::loss::sphere_face_loss::SphereMargin;
use lossfn_kernels::loss::zero_one_loss::ZeroOneLoss;
use lossfn_kernels::row_driver::{self, Piece, RowGrad, RowLoss, Rows, State, Step, STATE_SLOTS};
use lossfn_kernels::simd::Element;

fn bad_target(v: i32) -> i32 {
    fail(STATUS_BAD_PARAM, format!("target {v} is out of bounds"))
}

/// The operands of a forward or backward call, checked.
///
/// # Safety
/// Protocol-checked operands (crate docs).
// One copy per element type, not per loss: every export of this module calls it.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn rows_of<'a, E: Element>(
    x: u32,
    t: u32,
    y: u32,
    rows: u32,
    width: u32,
    y_width: u32,
    ignore_index: i32,
    ignore_on: u32,
) -> Result<Rows<'a, E>, i32> {
    let n = product("rows × width", &[rows, width])?;
    let ny = product("rows × y_width", &[rows, y_width])?;
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        Ok(Rows {
            x: required("input", operand::<E>("input", x, n)?)?,
            width: width as usize,
            t: operand::<E>("target", t, n)?.unwrap_or(&[]),
            y: operand::<i32>("target", y, ny)?.unwrap_or(&[]),
            y_width: y_width as usize,
            ignore_index: (ignore_on != 0).then_some(ignore_index),
        })
    }
}

/// Runs a row loss's forward (see the module docs).
///
/// # Safety
/// Protocol-checked operands.
// One copy per element type, not per loss: every export of this module calls it.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn forward<E: Element>(
    loss: &dyn RowLoss<E>,
    rows: &Rows<'_, E>,
    count: u32,
    out: u32,
    stats: u32,
    n_stats: u32,
) -> Result<(), i32> {
    if let Some(bad) = rows.bad_target(loss) {
        return Err(bad_target(bad));
    }
    if n_stats as usize != 2 + loss.extra_stats() {
        return Err(fail(
            STATUS_BAD_PARAM,
            format!("n_stats {n_stats}, the loss has {}", 2 + loss.extra_stats()),
        ));
    }
    let n_out = if loss.per_element() {
        product("rows × width", &[count, rows.width as u32])?
    } else {
        count
    };
    // SAFETY: forwarded to the caller's contract.
    let (out, stats) = unsafe {
        (
            output::<E>("out", out, n_out)?,
            required("stats", output::<f64>("stats", stats, n_stats)?)?,
        )
    };
    row_driver::forward(loss, rows, out, stats);
    Ok(())
}

/// Runs a row loss's backward (see the module docs).
///
/// # Safety
/// Protocol-checked operands.
// One copy per element type, not per loss: every export of this module calls it.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn backward<E: Element>(
    loss: &dyn RowLoss<E>,
    rows: &Rows<'_, E>,
    count: u32,
    g: u32,
    g_scale: f64,
    gx: u32,
    gt: u32,
) -> Result<(), i32> {
    if let Some(bad) = rows.bad_target(loss) {
        return Err(bad_target(bad));
    }
    let n = product("rows × width", &[count, rows.width as u32])?;
    let n_g = if loss.per_element() { n } else { count };
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        let up = upstream::<E>(g, n_g, g_scale)?;
        let gx = output::<E>("grad_input", gx, n)?;
        let gt = output::<E>("grad_target", gt, n)?;
        row_driver::backward(loss, rows, &up, gx, gt);
    }
    Ok(())
}

/// Runs one step of the streamed protocol (see the module docs).
///
/// # Safety
/// Protocol-checked operands.
// One copy per element type, not per loss: every export of this module calls it.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn piece<E: Element>(
    loss: &dyn RowLoss<E>,
    step: i32,
    pass: u32,
    state: u32,
    x: u32,
    t: u32,
    y: u32,
    y_width: u32,
    start: u32,
    len: u32,
    width: u32,
    g: u32,
    g_scale: f64,
    out: u32,
    value_out: u32,
    n_value: u32,
    gx: u32,
    gt: u32,
) -> Result<(), i32> {
    if !loss.streams() {
        return Err(fail(
            STATUS_BAD_PARAM,
            "this loss processes whole rows only".into(),
        ));
    }
    let step = Step::decode(step, pass)
        .ok_or_else(|| fail(STATUS_BAD_PARAM, format!("bad step {step}")))?;
    let in_row = start.checked_add(len).is_some_and(|end| end <= width);
    if !in_row || n_value < 2 {
        return Err(fail(
            STATUS_BAD_PARAM,
            format!("piece {start}+{len} of {width}, n_value {n_value}"),
        ));
    }
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        let st = required("state", output::<f64>("state", state, STATE_SLOTS as u32)?)?;
        let st: &mut State = st
            .try_into()
            .map_err(|_| fail(STATUS_BAD_PARAM, "state".into()))?;
        let ys = operand::<i32>("target", y, y_width)?.unwrap_or(&[]);
        if step == Step::Init && !loss.target_ok(ys, width as usize) {
            return Err(bad_target(ys.first().copied().unwrap_or(-1)));
        }
        let xs = required("input", operand::<E>("input", x, len)?)?;
        let ts = operand::<E>("target", t, len)?.unwrap_or(&[]);
        let piece = Piece {
            start: start as usize,
            width: width as usize,
            x: xs,
            t: ts,
        };
        let g = match operand::<E>("grad_output", g, len)? {
            Some(gs) => RowGrad::Elements(gs, g_scale),
            None => RowGrad::Scalar(g_scale),
        };
        let value_out = required("value_out", output::<f64>("value_out", value_out, n_value)?)?;
        row_driver::piece(
            loss,
            step,
            st,
            ys,
            piece,
            g,
            output::<E>("out", out, len)?,
            value_out,
            output::<E>("grad_input", gx, len)?,
            output::<E>("grad_target", gt, len)?,
        );
    }
    Ok(())
}

/// Exports `lossfn_<stem>_{forward,backward,piece}_{f32,f64}` for the row loss that `$make`
/// builds from `(weight, classes, p0, p1, p2)` (or refuses with a status).
macro_rules! row_exports {
    ($stem:ident, $make:expr) => {
        row_exports!(@t $stem, $make, f32);
        row_exports!(@t $stem, $make, f64);
    };
    (@t $stem:ident, $make:expr, $t:ident) => {
        export!(concat!("lossfn_", stringify!($stem), "_forward_", stringify!($t)),
            (
                x: u32, t: u32, y: u32, w: u32, classes: u32, rows: u32, width: u32, y_width: u32,
                ignore_index: i32, ignore_on: u32, p0: f64, p1: f64, p2: f64, out: u32, stats: u32,
                n_stats: u32,
            ) {
            let weight = operand::<$t>("weight", w, classes)?;
            let loss = $make(weight, classes as usize, p0, p1, p2)?;
            let rows_ = rows_of::<$t>(x, t, y, rows, width, y_width, ignore_index, ignore_on)?;
            forward::<$t>(&loss, &rows_, rows, out, stats, n_stats)
        });
        export!(concat!("lossfn_", stringify!($stem), "_backward_", stringify!($t)),
            (
                x: u32, t: u32, y: u32, w: u32, classes: u32, rows: u32, width: u32, y_width: u32,
                ignore_index: i32, ignore_on: u32, p0: f64, p1: f64, p2: f64, g: u32, g_scale: f64,
                gx: u32, gt: u32,
            ) {
            let weight = operand::<$t>("weight", w, classes)?;
            let loss = $make(weight, classes as usize, p0, p1, p2)?;
            let rows_ = rows_of::<$t>(x, t, y, rows, width, y_width, ignore_index, ignore_on)?;
            backward::<$t>(&loss, &rows_, rows, g, g_scale, gx, gt)
        });
        export!(concat!("lossfn_", stringify!($stem), "_piece_", stringify!($t)),
            (
                step: i32, pass: u32, state: u32, x: u32, t: u32, y: u32, y_width: u32, w: u32,
                classes: u32, start: u32, len: u32, width: u32, p0: f64, p1: f64, p2: f64, g: u32,
                g_scale: f64, out: u32, value_out: u32, n_value: u32, gx: u32, gt: u32,
            ) {
            let weight = operand::<$t>("weight", w, classes)?;
            let loss = $make(weight, classes as usize, p0, p1, p2)?;
            piece::<$t>(&loss, step, pass, state, x, t, y, y_width, start, len, width, g, g_scale, out,
                value_out, n_value, gx, gt)
        });
    };
}

// p0 = label_smoothing ∈ [0, 1], p1 = probability targets (0/1; `t` holds them, else `y`).
row_exports!(cross_entropy, |w, _, eps: f64, prob: f64, _| {
    let eps = param(
        "label_smoothing",
        eps,
        (0.0..=1.0).contains(&eps),
        "in [0, 1]",
    )?;
    Ok::<_, i32>(CrossEntropy::new(w, eps, prob != 0.0))
});
// p0 = gamma ≥ 0, finite.
row_exports!(softmax_focal_loss, |w, _, gamma: f64, _, _| {
    let gamma = param(
        "gamma",
        gamma,
        gamma >= 0.0 && gamma.is_finite(),
        "finite and >= 0",
    )?;
    Ok::<_, i32>(IndexRows {
        weight: w,
        loss: Focal { gamma },
    })
});
// p0 = epsilon, finite.
row_exports!(poly_loss, |w, _, epsilon: f64, _, _| {
    let epsilon = param("epsilon", epsilon, epsilon.is_finite(), "finite")?;
    Ok::<_, i32>(IndexRows {
        weight: w,
        loss: Poly1 { epsilon },
    })
});
// p0 = p ∈ {1, 2}, p1 = margin, finite.
row_exports!(multi_margin_loss, |w, _, p: f64, margin: f64, _| {
    let p = param("p", p, p == 1.0 || p == 2.0, "1 or 2")?;
    let margin = param("margin", margin, margin.is_finite(), "finite")?;
    Ok::<_, i32>(MultiMarginLoss {
        weight: w,
        p: p as u32,
        margin,
    })
});
// y_width = width: each row's target list, up to its first −1.
row_exports!(multilabel_margin_loss, |_: Option<&[_]>, _, _, _, _| Ok::<
    _,
    i32,
>(
    MultilabelMarginLoss
));
// `t` holds the target rows.
row_exports!(
    categorical_hinge,
    |_: Option<&[_]>, _, _, _, _| Ok::<_, i32>(CategoricalHinge)
);
// `x` the student's logits, `t` the teacher's; p0 = temperature > 0, finite.
row_exports!(distillation_loss, |_: Option<&[_]>, _, temp: f64, _, _| {
    let temperature = param(
        "temperature",
        temp,
        temp > 0.0 && temp.is_finite(),
        "finite and > 0",
    )?;
    Ok::<_, i32>(DistillationLoss { temperature })
});
// Any i32 target (one outside 0..C is never predicted). No gradient (backward writes nothing).
row_exports!(zero_one_loss, |_: Option<&[_]>, _, _, _, _| Ok::<_, i32>(
    ZeroOneLoss
));
// `x` are cosines; p0 = scale, p1 = margin (finite; SphereFace: an integer in 1..=1e6).
row_exports!(arc_face_loss, |_: Option<&[_]>,
                             _,
                             scale: f64,
                             margin: f64,
                             _| {
    let scale = param("scale", scale, scale.is_finite(), "finite")?;
    let margin = param("margin", margin, margin.is_finite(), "finite")?;
    Ok::<_, i32>(MarginLoss {
        scale,
        margin: ArcMargin { margin },
    })
});
row_exports!(cos_face_loss, |_: Option<&[_]>,
                             _,
                             scale: f64,
                             margin: f64,
                             _| {
    let scale = param("scale", scale, scale.is_finite(), "finite")?;
    let margin = param("margin", margin, margin.is_finite(), "finite")?;
    Ok::<_, i32>(MarginLoss {
        scale,
        margin: CosMargin { margin },
    })
});
row_exports!(sphere_face_loss, |_: Option<&[_]>,
                                _,
                                scale: f64,
                                margin: f64,
                                _| {
    let scale = param("scale", scale, scale.is_finite(), "finite")?;
    let ok = margin.fract() == 0.0 && (1.0..=1_000_000.0).contains(&margin);
    let margin = param("margin", margin, ok, "an integer in 1..=1000000")?;
    Ok::<_, i32>(MarginLoss {
        scale,
        margin: SphereMargin {
            margin: margin as u32,
        },
    })
});
