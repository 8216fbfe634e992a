//! Exports of the losses over a class dimension. Inputs are `rows × classes`, row-major, with
//! the class dimension last (the TS layer moves it there); class-index targets are `i32`.
//!
//! - `lossfn_cross_entropy_forward_<t>(x, rows, classes, target_index, target_prob, weight,
//!   ignore_index, label_smoothing, out, sums_out) -> status`: exactly one of `target_index`
//!   (i32 per row) and `target_prob` (a probability row per row) is non-zero; `weight` is 0
//!   (no class weights) or C weights; writes the per-row loss into `out` when non-zero and
//!   `sums_out[0] = Σ l`, `sums_out[1]` = the 'mean' denominator (Σ w_y over non-ignored rows
//!   for index targets, the row count for probability targets).
//! - `lossfn_cross_entropy_backward_<t>(x, rows, classes, target_index, target_prob, weight,
//!   ignore_index, label_smoothing, g, g_scale, gx, gq) -> status`: `g` per-row upstream (or
//!   0 for `g_scale` everywhere); writes ∂x into `gx`, ∂target_prob into `gq` when non-zero.
//!
//! The other losses over a class dimension. Same conventions as above: `x` is `rows × classes`
//! row-major (class dimension last), class indices are `i32`, `weight` is 0 or C weights,
//! `g` is 0 (then `g_scale` is the upstream gradient everywhere) or one upstream value per
//! output element, times `g_scale`. Every index is checked here too (a bad index is
//! `STATUS_BAD_PARAM`, never a panic), as is every parameter's domain.
//!
//! Losses with class-index targets, ignore_index and class weights; `sums_out[0] = Σ l`,
//! `sums_out[1]` = the 'mean' denominator (Σ w_y over the non-ignored rows):
//! - `lossfn_nll_loss_forward_<t>(picked, rows, classes, target, weight, ignore_index, out,
//!   sums_out)`: `picked[r]` is row r's log-probability at its target class (any value where
//!   the target is ignored): the caller gathers the `rows` values the loss reads rather than
//!   the `rows × classes` input;
//!   `…_backward_<t>(rows, classes, target, weight, ignore_index, g, g_scale, g_picked)`:
//!   `g_picked[r]` receives `∂x` at row r's target class (0 where ignored), every other class's
//!   gradient being 0 (the caller scatters).
//! - `lossfn_softmax_focal_loss_forward_<t>(x, rows, classes, target, weight, ignore_index,
//!   gamma, out, sums_out)`, `…_backward_<t>(x, rows, classes, target, weight, ignore_index,
//!   gamma, g, g_scale, gx)`; `gamma ≥ 0`.
//! - `lossfn_poly_loss_forward_<t>(x, rows, classes, target, weight, ignore_index, epsilon,
//!   out, sums_out)`, `…_backward_<t>(…, epsilon, g, g_scale, gx)`; `epsilon` finite.
//!
//! Losses whose 'mean' denominator the TS layer knows; `*sum_out = Σ l` (one f64):
//! - `lossfn_multi_margin_loss_forward_<t>(x, rows, classes, target, weight, p, margin, out,
//!   sum_out)`, `…_backward_<t>(x, rows, classes, target, weight, p, margin, g, g_scale, gx)`;
//!   `p ∈ {1, 2}`, targets in `0..classes`.
//! - `lossfn_multilabel_margin_loss_forward_<t>(x, rows, classes, target, out, sum_out)`,
//!   `…_backward_<t>(x, rows, classes, target, g, g_scale, gx)`; `target` holds `rows × classes`
//!   i32 entries, each in `-1..classes` (a row's list ends at its first −1).
//! - `lossfn_categorical_hinge_forward_<t>(x, t, rows, classes, out, sum_out)`,
//!   `…_backward_<t>(x, t, rows, classes, g, g_scale, gx, gt)`; `t` is a float row per row.
//! - `lossfn_distillation_loss_forward_<t>(student, teacher, rows, classes, temperature, out,
//!   sum_out)`: `out` (when non-zero) receives the `rows × classes` elementwise terms;
//!   `…_backward_<t>(student, teacher, rows, classes, temperature, g, g_scale, g_student,
//!   g_teacher)`: `g` is 0 or one value per element; `temperature > 0`.
//! - `lossfn_zero_one_loss_forward_<t>(x, rows, classes, target, out, sum_out)`: `out[r]` is
//!   1 where the row's argmax (first maximum) differs from the target, else 0; `*sum_out` is
//!   the number of such rows. Any i32 target is accepted (a target outside `0..classes` is
//!   never predicted). No backward.
//! - `lossfn_arc_face_loss_forward_<t>(x, rows, classes, target, scale, margin, out, sum_out)`,
//!   `…_backward_<t>(x, rows, classes, target, scale, margin, g, g_scale, gx)`; likewise
//!   `cos_face_loss` and `sphere_face_loss` (its `margin` an integer in `1..=1_000_000`);
//!   `x` are cosines, targets in `0..classes`.

use crate::{fail, operand, output, required, upstream, STATUS_BAD_PARAM, STATUS_OK};
use lossfn_kernels::driver::Upstream;
use lossfn_kernels::loss::cross_entropy::{CrossEntropy, Target};
use lossfn_kernels::simd::Element;
use std::borrow::Cow;

/// Class weights, or a row of ones.
fn weights<'a, E: Element>(ptr: u32, classes: u32) -> Result<Cow<'a, [E]>, i32> {
    // SAFETY: protocol-checked operand.
    match unsafe { operand::<E>("weight", ptr, classes)? } {
        Some(w) => Ok(Cow::Borrowed(w)),
        None => Ok(Cow::Owned(vec![E::from_f64(1.0); classes as usize])),
    }
}

/// Reads the target operand and checks every index is `ignore_index` or in `0..classes`.
///
/// # Safety
/// Protocol-checked operands.
unsafe fn target<'a, E: Element>(
    index: u32,
    prob: u32,
    rows: u32,
    classes: u32,
    ignore_index: i32,
) -> Result<Target<'a, E>, i32> {
    match (
        operand::<i32>("target", index, rows)?,
        operand::<E>("target", prob, area(rows, classes)?)?,
    ) {
        (Some(ys), None) => {
            if let Some(&bad) = ys
                .iter()
                .find(|&&y| y != ignore_index && (y < 0 || y as u32 >= classes))
            {
                return Err(fail(
                    STATUS_BAD_PARAM,
                    format!("target {bad} is out of bounds"),
                ));
            }
            Ok(Target::Index(ys))
        }
        (None, Some(q)) => Ok(Target::Prob(q)),
        _ => Err(fail(
            STATUS_BAD_PARAM,
            "exactly one of target_index and target_prob".into(),
        )),
    }
}

macro_rules! cross_entropy_exports {
    ($t:ident) => {
        export!(concat!("lossfn_cross_entropy_forward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, tp: u32, w: u32, ignore_index: i32,
                label_smoothing: f64, out: u32, sums_out: u32,
            ) {
            let xs = required("input", operand::<$t>("input", x, area(rows, classes)?)?)?;
            let target = target::<$t>(ti, tp, rows, classes, ignore_index)?;
            let weight = weights::<$t>(w, classes)?;
            let out = output::<$t>("out", out, rows)?;
            let sums = required("sums_out", output::<f64>("sums_out", sums_out, 2)?)?;
            let ce = CrossEntropy {
                classes: classes as usize,
                weight: &weight,
                ignore_index,
                label_smoothing,
            };
            let (sum, denom) = ce.forward(xs, &target, out);
            sums[0] = sum;
            sums[1] = denom;
            Ok(())
        });

        export!(concat!("lossfn_cross_entropy_backward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, tp: u32, w: u32, ignore_index: i32,
                label_smoothing: f64, g: u32, g_scale: f64, gx: u32, gq: u32,
            ) {
            let xs = required("input", operand::<$t>("input", x, area(rows, classes)?)?)?;
            let target = target::<$t>(ti, tp, rows, classes, ignore_index)?;
            let weight = weights::<$t>(w, classes)?;
            let scale = <$t>::from_f64(g_scale);
            let up = match operand::<$t>("grad_output", g, rows)? {
                Some(gs) => Upstream::PerElement(gs, scale),
                None => Upstream::Scalar(scale),
            };
            let gx = output::<$t>("grad_input", gx, area(rows, classes)?)?;
            let gq = output::<$t>("grad_target", gq, area(rows, classes)?)?;
            let ce = CrossEntropy {
                classes: classes as usize,
                weight: &weight,
                ignore_index,
                label_smoothing,
            };
            ce.backward(xs, &target, &up, gx, gq);
            Ok(())
        });
    };
}

cross_entropy_exports!(f32);
cross_entropy_exports!(f64);

// -------------------------------------------------------------------------------------------
// The other losses over a class dimension (protocol in the module documentation).

use lossfn_kernels::class_rows::{IndexRows, LogProbRows};
use lossfn_kernels::loss::arc_face_loss::{ArcFaceLoss, ArcMargin};
use lossfn_kernels::loss::categorical_hinge::CategoricalHinge;
use lossfn_kernels::loss::cos_face_loss::{CosFaceLoss, CosMargin};
use lossfn_kernels::loss::distillation_loss::DistillationLoss;
use lossfn_kernels::loss::multi_margin_loss::MultiMarginLoss;
use lossfn_kernels::loss::multilabel_margin_loss::MultilabelMarginLoss;
use lossfn_kernels::loss::nll_loss::NllLoss;
use lossfn_kernels::loss::poly_loss::Poly1;
use lossfn_kernels::loss::softmax_focal_loss::Focal;
use lossfn_kernels::loss::sphere_face_loss::{SphereFaceLoss, SphereMargin};
use lossfn_kernels::loss::zero_one_loss::ZeroOneLoss;

/// `rows × classes`, or a status when it overflows.
fn area(rows: u32, classes: u32) -> Result<u32, i32> {
    crate::product("rows × classes", &[rows, classes])
}

/// `n` class indices, each `ignore` (when given) or in `lo..classes`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn indices<'a>(
    ptr: u32,
    n: u32,
    classes: u32,
    lo: i32,
    ignore: Option<i32>,
) -> Result<&'a [i32], i32> {
    let ys = required("target", operand::<i32>("target", ptr, n)?)?;
    let ok = |y: i32| Some(y) == ignore || (y >= lo && (y < 0 || (y as u32) < classes));
    if let Some(&bad) = ys.iter().find(|&&y| !ok(y)) {
        return Err(fail(
            STATUS_BAD_PARAM,
            format!("target {bad} is out of bounds"),
        ));
    }
    Ok(ys)
}

/// Optional class weights (C of them).
///
/// # Safety
/// Protocol-checked operand.
unsafe fn class_weight<'a, E>(ptr: u32, classes: u32) -> Result<Option<&'a [E]>, i32> {
    operand::<E>("weight", ptr, classes)
}

fn param(name: &str, v: f64, ok: bool, domain: &str) -> Result<f64, i32> {
    if ok {
        Ok(v)
    } else {
        Err(fail(
            STATUS_BAD_PARAM,
            format!("{name} must be {domain}, got {v}"),
        ))
    }
}

/// Writes `(sum, denominator)` into `sums_out[0..2]`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn write_sums(ptr: u32, sums: (f64, f64)) -> Result<(), i32> {
    let out = required("sums_out", output::<f64>("sums_out", ptr, 2)?)?;
    out[0] = sums.0;
    out[1] = sums.1;
    Ok(())
}

/// Writes the sum into `*sum_out`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn write_sum(ptr: u32, sum: f64) -> Result<(), i32> {
    required("sum_out", output::<f64>("sum_out", ptr, 1)?)?[0] = sum;
    Ok(())
}

macro_rules! nll_exports {
    ($t:ident) => {
        export!(concat!("lossfn_nll_loss_forward_", stringify!($t)),
            (
                picked: u32, rows: u32, classes: u32, ti: u32, w: u32, ignore_index: i32, out: u32,
                sums_out: u32,
            ) {
            let xs = required("input", operand::<$t>("input", picked, rows)?)?;
            let ys = indices(ti, rows, classes, 0, Some(ignore_index))?;
            let weight = class_weight::<$t>(w, classes)?;
            let out = output::<$t>("out", out, rows)?;
            let k = NllLoss {
                weight,
                ignore_index,
            };
            write_sums(sums_out, k.forward(xs, ys, out))
        });

        export!(concat!("lossfn_nll_loss_backward_", stringify!($t)),
            (
                rows: u32, classes: u32, ti: u32, w: u32, ignore_index: i32, g: u32, g_scale: f64,
                g_picked: u32,
            ) {
            let ys = indices(ti, rows, classes, 0, Some(ignore_index))?;
            let weight = class_weight::<$t>(w, classes)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gp = required("grad_input", output::<$t>("grad_input", g_picked, rows)?)?;
            NllLoss {
                weight,
                ignore_index,
            }
            .backward(ys, &up, gp);
            Ok(())
        });
    };
}
nll_exports!(f32);
nll_exports!(f64);

/// Exports of a softmax row loss with index targets, weights, ignore_index and one parameter:
/// `$make(classes, weight, ignore_index, param) -> Result<kernel, status>`.
macro_rules! log_prob_exports {
    ($stem:ident, $t:ident, $make:expr) => {
        export!(concat!("lossfn_", stringify!($stem), "_forward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, w: u32, ignore_index: i32, param: f64,
                out: u32, sums_out: u32,
            ) {
            let xs = required("input", operand::<$t>("input", x, area(rows, classes)?)?)?;
            let ys = indices(ti, rows, classes, 0, Some(ignore_index))?;
            let weight = class_weight::<$t>(w, classes)?;
            let out = output::<$t>("out", out, rows)?;
            let k = $make(classes as usize, weight, ignore_index, param)?;
            write_sums(sums_out, k.forward(xs, ys, out))
        });

        export!(concat!("lossfn_", stringify!($stem), "_backward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, w: u32, ignore_index: i32, param: f64,
                g: u32, g_scale: f64, gx: u32,
            ) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ys = indices(ti, rows, classes, 0, Some(ignore_index))?;
            let weight = class_weight::<$t>(w, classes)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = required("grad_input", output::<$t>("grad_input", gx, n)?)?;
            $make(classes as usize, weight, ignore_index, param)?.backward(xs, ys, &up, gx);
            Ok(())
        });
    };
}

fn focal<E: Element>(
    classes: usize,
    weight: Option<&[E]>,
    ignore_index: i32,
    gamma: f64,
) -> Result<LogProbRows<'_, E, Focal>, i32> {
    let gamma = param(
        "gamma",
        gamma,
        gamma >= 0.0 && gamma.is_finite(),
        "finite and >= 0",
    )?;
    Ok(LogProbRows {
        rows: IndexRows {
            classes,
            weight,
            ignore_index,
        },
        loss: Focal { gamma },
    })
}
fn poly<E: Element>(
    classes: usize,
    weight: Option<&[E]>,
    ignore_index: i32,
    epsilon: f64,
) -> Result<LogProbRows<'_, E, Poly1>, i32> {
    let epsilon = param("epsilon", epsilon, epsilon.is_finite(), "finite")?;
    Ok(LogProbRows {
        rows: IndexRows {
            classes,
            weight,
            ignore_index,
        },
        loss: Poly1 { epsilon },
    })
}
log_prob_exports!(softmax_focal_loss, f32, focal::<f32>);
log_prob_exports!(softmax_focal_loss, f64, focal::<f64>);
log_prob_exports!(poly_loss, f32, poly::<f32>);
log_prob_exports!(poly_loss, f64, poly::<f64>);

fn multi_margin<E: Element>(
    classes: usize,
    weight: Option<&[E]>,
    p: f64,
    margin: f64,
) -> Result<MultiMarginLoss<'_, E>, i32> {
    let p = param(
        "p",
        p,
        p == 1.0 || p == 2.0,
        "1 or 2 (only p == 1 and p == 2 supported)",
    )?;
    let margin = param("margin", margin, margin.is_finite(), "finite")?;
    Ok(MultiMarginLoss {
        classes,
        weight,
        p: p as u32,
        margin,
    })
}

macro_rules! multi_margin_exports {
    ($t:ident) => {
        export!(concat!("lossfn_multi_margin_loss_forward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, w: u32, p: f64, margin: f64, out: u32,
                sum_out: u32,
            ) {
            let xs = required("input", operand::<$t>("input", x, area(rows, classes)?)?)?;
            let ys = indices(ti, rows, classes, 0, None)?;
            let weight = class_weight::<$t>(w, classes)?;
            let out = output::<$t>("out", out, rows)?;
            write_sum(
                sum_out,
                multi_margin(classes as usize, weight, p, margin)?.forward(xs, ys, out),
            )
        });

        export!(concat!("lossfn_multi_margin_loss_backward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, w: u32, p: f64, margin: f64, g: u32,
                g_scale: f64, gx: u32,
            ) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ys = indices(ti, rows, classes, 0, None)?;
            let weight = class_weight::<$t>(w, classes)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = required("grad_input", output::<$t>("grad_input", gx, n)?)?;
            multi_margin(classes as usize, weight, p, margin)?.backward(xs, ys, &up, gx);
            Ok(())
        });
    };
}
multi_margin_exports!(f32);
multi_margin_exports!(f64);

macro_rules! multilabel_margin_exports {
    ($t:ident) => {
        export!(concat!("lossfn_multilabel_margin_loss_forward_", stringify!($t)),
            (x: u32, rows: u32, classes: u32, ti: u32, out: u32, sum_out: u32) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ts = indices(ti, n, classes, -1, None)?;
            let out = output::<$t>("out", out, rows)?;
            write_sum(
                sum_out,
                MultilabelMarginLoss {
                    classes: classes as usize,
                }
                .forward(xs, ts, out),
            )
        });

        export!(concat!("lossfn_multilabel_margin_loss_backward_", stringify!($t)),
            (x: u32, rows: u32, classes: u32, ti: u32, g: u32, g_scale: f64, gx: u32) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ts = indices(ti, n, classes, -1, None)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = required("grad_input", output::<$t>("grad_input", gx, n)?)?;
            MultilabelMarginLoss {
                classes: classes as usize,
            }
            .backward(xs, ts, &up, gx);
            Ok(())
        });
    };
}
multilabel_margin_exports!(f32);
multilabel_margin_exports!(f64);

macro_rules! categorical_hinge_exports {
    ($t:ident) => {
        export!(concat!("lossfn_categorical_hinge_forward_", stringify!($t)),
            (x: u32, t: u32, rows: u32, classes: u32, out: u32, sum_out: u32) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ts = required("target", operand::<$t>("target", t, n)?)?;
            let out = output::<$t>("out", out, rows)?;
            write_sum(
                sum_out,
                CategoricalHinge {
                    classes: classes as usize,
                }
                .forward(xs, ts, out),
            )
        });

        export!(concat!("lossfn_categorical_hinge_backward_", stringify!($t)),
            (x: u32, t: u32, rows: u32, classes: u32, g: u32, g_scale: f64, gx: u32, gt: u32) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ts = required("target", operand::<$t>("target", t, n)?)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = output::<$t>("grad_input", gx, n)?;
            let gt = output::<$t>("grad_target", gt, n)?;
            CategoricalHinge {
                classes: classes as usize,
            }
            .backward(xs, ts, &up, gx, gt);
            Ok(())
        });
    };
}
categorical_hinge_exports!(f32);
categorical_hinge_exports!(f64);

fn distillation(classes: u32, temperature: f64) -> Result<DistillationLoss, i32> {
    let temperature = param(
        "temperature",
        temperature,
        temperature > 0.0 && temperature.is_finite(),
        "finite and > 0",
    )?;
    Ok(DistillationLoss {
        classes: classes as usize,
        temperature,
    })
}

macro_rules! distillation_exports {
    ($t:ident) => {
        export!(concat!("lossfn_distillation_loss_forward_", stringify!($t)),
            (s: u32, t: u32, rows: u32, classes: u32, temperature: f64, out: u32, sum_out: u32) {
            let n = area(rows, classes)?;
            let ss = required("student", operand::<$t>("student", s, n)?)?;
            let ts = required("teacher", operand::<$t>("teacher", t, n)?)?;
            let out = output::<$t>("out", out, n)?;
            write_sum(
                sum_out,
                distillation(classes, temperature)?.forward(ss, ts, out),
            )
        });

        export!(concat!("lossfn_distillation_loss_backward_", stringify!($t)),
            (
                s: u32, t: u32, rows: u32, classes: u32, temperature: f64, g: u32, g_scale: f64,
                gs: u32, gt: u32,
            ) {
            let n = area(rows, classes)?;
            let ss = required("student", operand::<$t>("student", s, n)?)?;
            let ts = required("teacher", operand::<$t>("teacher", t, n)?)?;
            let up = upstream::<$t>(g, n, g_scale)?;
            let gs = output::<$t>("grad_student", gs, n)?;
            let gt = output::<$t>("grad_teacher", gt, n)?;
            distillation(classes, temperature)?.backward(ss, ts, &up, gs, gt);
            Ok(())
        });
    };
}
distillation_exports!(f32);
distillation_exports!(f64);

macro_rules! zero_one_exports {
    ($t:ident) => {
        export!(concat!("lossfn_zero_one_loss_forward_", stringify!($t)),
            (x: u32, rows: u32, classes: u32, ti: u32, out: u32, sum_out: u32) {
            let xs = required("input", operand::<$t>("input", x, area(rows, classes)?)?)?;
            let ys = required("target", operand::<i32>("target", ti, rows)?)?;
            let out = output::<$t>("out", out, rows)?;
            write_sum(
                sum_out,
                ZeroOneLoss {
                    classes: classes as usize,
                }
                .forward(xs, ys, out),
            )
        });
    };
}
zero_one_exports!(f32);
zero_one_exports!(f64);

fn finite(name: &str, v: f64) -> Result<f64, i32> {
    param(name, v, v.is_finite(), "finite")
}
fn arc_face(classes: u32, scale: f64, margin: f64) -> Result<ArcFaceLoss, i32> {
    Ok(ArcFaceLoss {
        classes: classes as usize,
        scale: finite("scale", scale)?,
        margin: ArcMargin {
            margin: finite("margin", margin)?,
        },
    })
}
fn cos_face(classes: u32, scale: f64, margin: f64) -> Result<CosFaceLoss, i32> {
    Ok(CosFaceLoss {
        classes: classes as usize,
        scale: finite("scale", scale)?,
        margin: CosMargin {
            margin: finite("margin", margin)?,
        },
    })
}
fn sphere_face(classes: u32, scale: f64, margin: f64) -> Result<SphereFaceLoss, i32> {
    let ok = margin.fract() == 0.0 && (1.0..=1e6).contains(&margin);
    let margin = param("margin", margin, ok, "an integer in 1..=1000000")? as u32;
    Ok(SphereFaceLoss {
        classes: classes as usize,
        scale: finite("scale", scale)?,
        margin: SphereMargin { margin },
    })
}

/// Exports of a large-margin softmax: `$make(classes, scale, margin) -> Result<kernel, status>`.
macro_rules! margin_exports {
    ($stem:ident, $t:ident, $make:expr) => {
        export!(concat!("lossfn_", stringify!($stem), "_forward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, scale: f64, margin: f64, out: u32,
                sum_out: u32,
            ) {
            let xs = required("input", operand::<$t>("input", x, area(rows, classes)?)?)?;
            let ys = indices(ti, rows, classes, 0, None)?;
            let out = output::<$t>("out", out, rows)?;
            write_sum(sum_out, $make(classes, scale, margin)?.forward(xs, ys, out))
        });

        export!(concat!("lossfn_", stringify!($stem), "_backward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, ti: u32, scale: f64, margin: f64, g: u32,
                g_scale: f64, gx: u32,
            ) {
            let n = area(rows, classes)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ys = indices(ti, rows, classes, 0, None)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let gx = required("grad_input", output::<$t>("grad_input", gx, n)?)?;
            $make(classes, scale, margin)?.backward(xs, ys, &up, gx);
            Ok(())
        });
    };
}
margin_exports!(arc_face_loss, f32, arc_face);
margin_exports!(arc_face_loss, f64, arc_face);
margin_exports!(cos_face_loss, f32, cos_face);
margin_exports!(cos_face_loss, f64, cos_face);
margin_exports!(sphere_face_loss, f32, sphere_face);
margin_exports!(sphere_face_loss, f64, sphere_face);
