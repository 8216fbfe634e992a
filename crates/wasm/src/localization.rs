//! Exports of the localization family: box losses, pairwise box ops, box utilities, and the
//! detection losses on regression deltas and classification quality. `<t>` is `f32 | f64`;
//! a box is 4 consecutive elements, `n` boxes `4n`; `fmt` is 0 (xyxy), 1 (xywh), 2 (cxcywh).
//!
//! Box losses, `<stem>` ∈ generalized_box_iou_loss, distance_box_iou_loss,
//! complete_box_iou_loss, box_iou_loss, efficient_box_iou_loss, scylla_box_iou_loss:
//! - `lossfn_<stem>_forward_<t>(p, t, n, fmt, p0, p1, out, sum_out) -> status`: `n` box
//!   pairs; writes `out[i] = l_i` when `out != 0`, and `*sum_out = Σ l_i` (f64).
//! - `lossfn_<stem>_backward_<t>(p, t, n, fmt, p0, p1, g, g_scale, gp, gt) -> status`: `g` is 0
//!   (`g_scale` everywhere) or one upstream value per box, times `g_scale`; writes the
//!   gradients of the boxes (in `fmt`) into `gp`, `gt` for each non-zero pointer.
//! - Parameters: `p0 = eps` (finite, ≥ 0) for generalized, distance, complete (α's eps),
//!   efficient and scylla; box_iou: `p0 = mode` (0 linear, 1 square, 2 log), `p1 = eps`;
//!   efficient: `p1 = gamma` (finite, ≥ 0); scylla: `p1 = neg_gamma` (0/1).
//!
//! Pairwise ops (torchvision 0.14), xyxy boxes: `lossfn_<op>_forward_<t>(a, m, b, n, eps, out)`
//! writes the `m × n` matrix row-major; `<op>` ∈ box_iou, generalized_box_iou,
//! distance_box_iou, complete_box_iou (`eps` finite, ≥ 0; used by the last two).
//! `lossfn_box_area_forward_<t>(b, n, out)`: `n` areas of xyxy boxes.
//! `lossfn_box_convert_forward_<t>(b, n, from, to, out)`: `4n` elements from format `from` to
//! `to`. (Forward only: no backward exports.)
//!
//! Elementwise losses, with the protocol of crates/wasm/src/lib.rs (no `a`, no `w`):
//! - `lossfn_balanced_l1_loss_{forward,backward}_<t>`: `p0 = alpha`, `p1 = gamma`,
//!   `p2 = beta`, each finite and > 0.
//! - `lossfn_varifocal_loss_{forward,backward}_<t>`: `p0 = alpha` (finite), `p1 = gamma`
//!   (finite, ≥ 0), `p2 = iou_weighted` (0/1); its target gradient is 0 (the TS layer refuses
//!   targets that require grad).
//!
//! Row losses:
//! - `lossfn_quality_focal_loss_forward_<t>(x, rows, classes, label, score, beta, out,
//!   sum_out)`: `label` i32 per row in `0..=classes` (`classes` = background), `score` one
//!   value per row, `beta` finite ≥ 0; `out` per row. `…_backward_<t>(x, rows, classes, label,
//!   score, beta, g, g_scale, gx)`.
//! - `lossfn_distribution_focal_loss_forward_<t>(x, rows, bins, label, out, sum_out)`:
//!   `label` one float per row in `[0, bins − 1]`; `…_backward_<t>(x, rows, bins, label, g,
//!   g_scale, gx)`.

use crate::{fail, operand, output, product, required, upstream, STATUS_BAD_PARAM};
use lossfn_kernels::boxes::{self, BoxFormat, BoxLoss, Pairwise};
use lossfn_kernels::loss::balanced_l1_loss::BalancedL1Loss;
use lossfn_kernels::loss::box_iou_loss::{BoxIouLoss, IouMode};
use lossfn_kernels::loss::complete_box_iou_loss::CompleteBoxIouLoss;
use lossfn_kernels::loss::distance_box_iou_loss::DistanceBoxIouLoss;
use lossfn_kernels::loss::distribution_focal_loss::DistributionFocalLoss;
use lossfn_kernels::loss::efficient_box_iou_loss::EfficientBoxIouLoss;
use lossfn_kernels::loss::generalized_box_iou_loss::GeneralizedBoxIouLoss;
use lossfn_kernels::loss::quality_focal_loss::QualityFocalLoss;
use lossfn_kernels::loss::scylla_box_iou_loss::ScyllaBoxIouLoss;
use lossfn_kernels::loss::varifocal_loss::VarifocalLoss;
use lossfn_kernels::simd::transpose::Transpose4;

fn bad(msg: String) -> i32 {
    fail(STATUS_BAD_PARAM, msg)
}

fn format(code: i32) -> Result<BoxFormat, i32> {
    BoxFormat::from_code(code).ok_or_else(|| bad(format!("unknown box format {code}")))
}

fn eps(v: f64) -> Result<f64, i32> {
    non_negative("eps", v)
}

fn non_negative(name: &str, v: f64) -> Result<f64, i32> {
    crate::param(name, v, v >= 0.0 && v.is_finite(), "finite and >= 0")
}

fn flag(name: &str, v: f64) -> Result<bool, i32> {
    crate::param(name, v, v == 0.0 || v == 1.0, "0 or 1").map(|v| v == 1.0)
}

/// `4n`, checked.
fn records(n: u32) -> Result<u32, i32> {
    product("boxes × 4", &[n, 4])
}

fn giou(p0: f64, _: f64) -> Result<GeneralizedBoxIouLoss, i32> {
    Ok(GeneralizedBoxIouLoss { eps: eps(p0)? })
}
fn diou(p0: f64, _: f64) -> Result<DistanceBoxIouLoss, i32> {
    Ok(DistanceBoxIouLoss { eps: eps(p0)? })
}
fn ciou(p0: f64, _: f64) -> Result<CompleteBoxIouLoss, i32> {
    Ok(CompleteBoxIouLoss { eps: eps(p0)? })
}
fn iou(p0: f64, p1: f64) -> Result<BoxIouLoss, i32> {
    let code = crate::param(
        "mode",
        p0,
        IouMode::from_code(p0).is_some(),
        "an IoU mode code",
    )?;
    let mode = IouMode::from_code(code).ok_or(STATUS_BAD_PARAM)?;
    Ok(BoxIouLoss {
        mode,
        eps: eps(p1)?,
    })
}
fn eiou(p0: f64, p1: f64) -> Result<EfficientBoxIouLoss, i32> {
    Ok(EfficientBoxIouLoss {
        eps: eps(p0)?,
        gamma: non_negative("gamma", p1)?,
    })
}
fn siou(p0: f64, p1: f64) -> Result<ScyllaBoxIouLoss, i32> {
    Ok(ScyllaBoxIouLoss {
        eps: eps(p0)?,
        neg_gamma: flag("neg_gamma", p1)?,
    })
}

/// # Safety
/// Protocol-checked operands (crate docs).
#[allow(clippy::too_many_arguments)]
unsafe fn box_forward<E: Transpose4, L: BoxLoss>(
    loss: Result<L, i32>,
    p: u32,
    t: u32,
    n: u32,
    fmt: i32,
    out: u32,
    sum_out: u32,
) -> Result<(), i32> {
    let loss = loss?;
    let fmt = format(fmt)?;
    let len = records(n)?;
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        let ps = required("input", operand::<E>("input", p, len)?)?;
        let ts = required("target", operand::<E>("target", t, len)?)?;
        let out = output::<E>("out", out, n)?;
        let sum = required("sum_out", output::<f64>("sum_out", sum_out, 1)?)?;
        sum[0] = boxes::forward(&loss, fmt, ps, ts, out);
    }
    Ok(())
}

/// # Safety
/// Protocol-checked operands (crate docs).
#[allow(clippy::too_many_arguments)]
unsafe fn box_backward<E: Transpose4, L: BoxLoss>(
    loss: Result<L, i32>,
    p: u32,
    t: u32,
    n: u32,
    fmt: i32,
    g: u32,
    g_scale: f64,
    gp: u32,
    gt: u32,
) -> Result<(), i32> {
    let loss = loss?;
    let fmt = format(fmt)?;
    let len = records(n)?;
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        let ps = required("input", operand::<E>("input", p, len)?)?;
        let ts = required("target", operand::<E>("target", t, len)?)?;
        let up = upstream::<E>(g, n, g_scale)?;
        let gp = output::<E>("grad_input", gp, len)?;
        let gt = output::<E>("grad_target", gt, len)?;
        boxes::backward(&loss, fmt, ps, ts, up, gp, gt);
    }
    Ok(())
}

macro_rules! box_loss_exports {
    ($stem:literal, $make:ident, $t:ident) => {
        export!(concat!("lossfn_", $stem, "_forward_", stringify!($t)),
            (p: u32, t: u32, n: u32, fmt: i32, p0: f64, p1: f64, out: u32, sum_out: u32) {
            box_forward::<$t, _>($make(p0, p1), p, t, n, fmt, out, sum_out)
        });
        export!(concat!("lossfn_", $stem, "_backward_", stringify!($t)),
            (
                p: u32, t: u32, n: u32, fmt: i32, p0: f64, p1: f64, g: u32, g_scale: f64,
                gp: u32, gt: u32,
            ) {
            box_backward::<$t, _>($make(p0, p1), p, t, n, fmt, g, g_scale, gp, gt)
        });
    };
}

macro_rules! box_losses {
    ($t:ident) => {
        box_loss_exports!("generalized_box_iou_loss", giou, $t);
        box_loss_exports!("distance_box_iou_loss", diou, $t);
        box_loss_exports!("complete_box_iou_loss", ciou, $t);
        box_loss_exports!("box_iou_loss", iou, $t);
        box_loss_exports!("efficient_box_iou_loss", eiou, $t);
        box_loss_exports!("scylla_box_iou_loss", siou, $t);
    };
}
box_losses!(f32);
box_losses!(f64);

// ---- pairwise ops, area, convert.

/// # Safety
/// Protocol-checked operands (crate docs).
#[allow(clippy::too_many_arguments)]
unsafe fn pairwise<E: Transpose4>(
    kind: Pairwise,
    a: u32,
    m: u32,
    b: u32,
    n: u32,
    eps_: f64,
    out: u32,
) -> Result<(), i32> {
    let eps_ = eps(eps_)?;
    let cells = product("rows × columns", &[m, n])?;
    // SAFETY: forwarded to the caller's contract.
    unsafe {
        let xa = required("boxes1", operand::<E>("boxes1", a, records(m)?)?)?;
        let xb = required("boxes2", operand::<E>("boxes2", b, records(n)?)?)?;
        let out = required("out", output::<E>("out", out, cells)?)?;
        boxes::pairwise(kind, xa, xb, eps_, out);
    }
    Ok(())
}

macro_rules! pairwise_exports {
    ($t:ident) => {
        export!(concat!("lossfn_box_iou_forward_", stringify!($t)),
            (a: u32, m: u32, b: u32, n: u32, eps: f64, out: u32) {
            pairwise::<$t>(Pairwise::Iou, a, m, b, n, eps, out)
        });
        export!(concat!("lossfn_generalized_box_iou_forward_", stringify!($t)),
            (a: u32, m: u32, b: u32, n: u32, eps: f64, out: u32) {
            pairwise::<$t>(Pairwise::Giou, a, m, b, n, eps, out)
        });
        export!(concat!("lossfn_distance_box_iou_forward_", stringify!($t)),
            (a: u32, m: u32, b: u32, n: u32, eps: f64, out: u32) {
            pairwise::<$t>(Pairwise::Diou, a, m, b, n, eps, out)
        });
        export!(concat!("lossfn_complete_box_iou_forward_", stringify!($t)),
            (a: u32, m: u32, b: u32, n: u32, eps: f64, out: u32) {
            pairwise::<$t>(Pairwise::Ciou, a, m, b, n, eps, out)
        });
        export!(concat!("lossfn_box_area_forward_", stringify!($t)), (b: u32, n: u32, out: u32) {
            let xb = required("boxes", operand::<$t>("boxes", b, records(n)?)?)?;
            let out = required("out", output::<$t>("out", out, n)?)?;
            boxes::box_area(xb, out);
            Ok(())
        });
        export!(concat!("lossfn_box_convert_forward_", stringify!($t)),
            (b: u32, n: u32, from: i32, to: i32, out: u32) {
            let (from, to) = (format(from)?, format(to)?);
            let len = records(n)?;
            let xb = required("boxes", operand::<$t>("boxes", b, len)?)?;
            let out = required("out", output::<$t>("out", out, len)?)?;
            boxes::box_convert(xb, from, to, out);
            Ok(())
        });
    };
}
pairwise_exports!(f32);
pairwise_exports!(f64);

// ---- elementwise: balanced L1, varifocal (the elementwise protocol of lib.rs).

fn balanced_l1(alpha: f64, gamma: f64, beta: f64) -> Result<BalancedL1Loss, i32> {
    for (name, v) in [("alpha", alpha), ("gamma", gamma), ("beta", beta)] {
        crate::param(name, v, v > 0.0 && v.is_finite(), "finite and > 0")?;
    }
    Ok(BalancedL1Loss::new(alpha, gamma, beta))
}

fn varifocal(alpha: f64, gamma: f64, iou_weighted: f64) -> Result<VarifocalLoss, i32> {
    crate::param("alpha", alpha, alpha.is_finite(), "finite")?;
    Ok(VarifocalLoss {
        alpha,
        gamma: non_negative("gamma", gamma)?,
        iou_weighted: flag("iou_weighted", iou_weighted)?,
    })
}

elementwise_exports!(
    balanced_l1_loss,
    balanced_l1,
    crate::elementwise::Extra::None
);
elementwise_exports!(varifocal_loss, varifocal, crate::elementwise::Extra::None);

// ---- QFL, DFL.

/// `rows` labels, each in `0..=classes`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn qfl_labels<'a>(ptr: u32, rows: u32, classes: u32) -> Result<&'a [i32], i32> {
    // SAFETY: forwarded to the caller's contract.
    let ys = required("label", unsafe { operand::<i32>("label", ptr, rows)? })?;
    if let Some(&y) = ys.iter().find(|&&y| y < 0 || y as u32 > classes) {
        return Err(bad(format!("label {y} is out of bounds")));
    }
    Ok(ys)
}

fn qfl(classes: u32, beta: f64) -> Result<QualityFocalLoss, i32> {
    if classes == 0 {
        return Err(bad("quality_focal_loss needs at least one class".into()));
    }
    Ok(QualityFocalLoss {
        classes: classes as usize,
        beta: non_negative("beta", beta)?,
    })
}

/// `rows` labels, each in `[0, bins − 1]`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn dfl_labels<'a, E: lossfn_kernels::simd::Element>(
    ptr: u32,
    rows: u32,
    bins: u32,
) -> Result<&'a [E], i32> {
    // SAFETY: forwarded to the caller's contract.
    let ys = required("label", unsafe { operand::<E>("label", ptr, rows)? })?;
    let top = bins as f64 - 1.0;
    if let Some(y) = ys
        .iter()
        .map(|y| y.to_f64())
        .find(|&y| !(y >= 0.0 && y <= top))
    {
        // (The value itself would need float formatting, ~15 KB of module for a message only a
        // bug in the TS layer's validation can produce.)
        let _ = y;
        return Err(bad(format!("a label is outside [0, {}]", bins - 1)));
    }
    Ok(ys)
}

fn dfl(bins: u32) -> Result<DistributionFocalLoss, i32> {
    if bins == 0 {
        return Err(bad("distribution_focal_loss needs at least one bin".into()));
    }
    Ok(DistributionFocalLoss {
        bins: bins as usize,
    })
}

macro_rules! row_exports {
    ($t:ident) => {
        export!(concat!("lossfn_quality_focal_loss_forward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, label: u32, score: u32, beta: f64, out: u32,
                sum_out: u32,
            ) {
            let k = qfl(classes, beta)?;
            let xs = required("input", operand::<$t>("input", x, product("rows × classes", &[rows, classes])?)?)?;
            let ys = qfl_labels(label, rows, classes)?;
            let ss = required("score", operand::<$t>("score", score, rows)?)?;
            let out = output::<$t>("out", out, rows)?;
            required("sum_out", output::<f64>("sum_out", sum_out, 1)?)?[0] = k.forward(xs, ys, ss, out);
            Ok(())
        });
        export!(concat!("lossfn_quality_focal_loss_backward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, label: u32, score: u32, beta: f64, g: u32,
                g_scale: f64, gx: u32,
            ) {
            let k = qfl(classes, beta)?;
            let n = product("rows × classes", &[rows, classes])?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ys = qfl_labels(label, rows, classes)?;
            let ss = required("score", operand::<$t>("score", score, rows)?)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = required("grad_input", output::<$t>("grad_input", gx, n)?)?;
            k.backward(xs, ys, ss, &up, gx);
            Ok(())
        });
        export!(concat!("lossfn_distribution_focal_loss_forward_", stringify!($t)),
            (x: u32, rows: u32, bins: u32, label: u32, out: u32, sum_out: u32) {
            let k = dfl(bins)?;
            let xs = required("input", operand::<$t>("input", x, product("rows × bins", &[rows, bins])?)?)?;
            let ys = dfl_labels::<$t>(label, rows, bins)?;
            let out = output::<$t>("out", out, rows)?;
            required("sum_out", output::<f64>("sum_out", sum_out, 1)?)?[0] = k.forward(xs, ys, out);
            Ok(())
        });
        export!(concat!("lossfn_distribution_focal_loss_backward_", stringify!($t)),
            (x: u32, rows: u32, bins: u32, label: u32, g: u32, g_scale: f64, gx: u32) {
            let k = dfl(bins)?;
            let n = product("rows × bins", &[rows, bins])?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ys = dfl_labels::<$t>(label, rows, bins)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = required("grad_input", output::<$t>("grad_input", gx, n)?)?;
            k.backward(xs, ys, &up, gx);
            Ok(())
        });
    };
}
row_exports!(f32);
row_exports!(f64);
