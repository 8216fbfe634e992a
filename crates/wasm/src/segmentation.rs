//! Exports of the segmentation losses (crates/kernels/src/loss/segmentation/). `<t>` is
//! `f32 | f64`, the type of the logits; sums, coefficients and losses are `f64`.
//!
//! The overlap losses (`<stem>` ∈ dice_loss, jaccard_loss, tversky_loss, mcc_loss,
//! generalized_dice_loss) share the plane pass, on one block of one image: `x` is `classes × s`
//! values (class-major), `act` 0 none / 1 sigmoid / 2 softmax, and the target is either
//! `labels` (`s` i32 class indices, negative: ignored) or `target` (`classes × s` values,
//! ignored where equal to `ignore`, NaN: none), exactly one of them non-null:
//! - `lossfn_<stem>_forward_<t>(x, classes, s, act, labels, target, ignore, sums)`: writes
//!   `sums[5c + k]` = the block's TP, FP, FN, TN, G of class c;
//! - `lossfn_<stem>_backward_<t>(x, classes, s, act, labels, target, ignore, coef, gx)`:
//!   `coef[2c], coef[2c+1]` = `(u_c, v_c)`, `∂loss/∂p = u_c + v_c·g`; writes `∂loss/∂x`.
//!
//! Their losses of the sums (f64):
//! - `lossfn_{dice,jaccard}_loss_finish(sums, classes, smooth, eps, log_loss, out)` and
//!   `lossfn_tversky_loss_finish(sums, classes, alpha, beta, smooth, eps, log_loss, out)`:
//!   `out[4c..4c+4]` = class c's loss and its partials with respect to TP, FP, FN;
//! - `lossfn_mcc_loss_finish(sums, eps, out)`: `out` = loss, ∂TP, ∂FP, ∂FN, ∂TN;
//! - `lossfn_generalized_dice_loss_finish(sums, groups, classes, c0, w_type, smooth_nr,
//!   smooth_dr, out, uv)`: `sums` holds `groups × classes` blocks of 5; classes `c0..` are
//!   scored (`w_type` 0 square, 1 simple, 2 uniform); writes `out[group]` and
//!   `uv[2(group·classes + c)..]` (0 for classes below `c0`).
//!
//! The Lovász losses take the whole group in memory (they sort it):
//! - `lossfn_lovasz_hinge_loss_forward_<t>(x, labels, groups, per, out)`: `groups` groups of
//!   `per` logits, labels 0/1 (negative: ignored); `out[group]` its loss;
//! - `lossfn_lovasz_hinge_loss_backward_<t>(x, labels, groups, per, g, gx, out)`: `g[group]`
//!   the group's upstream gradient; also writes the losses into `out` when non-null (the
//!   forward and the gradient share the sort, so a loss requiring grad makes one call);
//! - `lossfn_lovasz_softmax_loss_forward_<t>(x, labels, groups, images, classes, s, list,
//!   list_len, present, out)`: groups of `images` images `(classes, s)`, labels `(images, s)`;
//!   `list` the classes averaged over (with `present != 0`, those occurring in the group);
//! - `lossfn_lovasz_softmax_loss_backward_<t>(…same…, g, gx, out)`, as the hinge's.

use crate::{fail, operand, output, product, required, STATUS_BAD_PARAM};
use lossfn_kernels::driver::Sum;
use lossfn_kernels::loss::dice_loss::dice;
use lossfn_kernels::loss::generalized_dice_loss::{gdl_group, weights};
use lossfn_kernels::loss::jaccard_loss::jaccard;
use lossfn_kernels::loss::lovasz_softmax_loss::Classes;
use lossfn_kernels::loss::mcc_loss::mcc;
use lossfn_kernels::loss::segmentation::lovasz::Workspace;
use lossfn_kernels::loss::segmentation::planes::{self, Act, Target, SUMS};
use lossfn_kernels::loss::segmentation::Overlap;
use lossfn_kernels::loss::tversky_loss::tversky;
use lossfn_kernels::loss::{lovasz_hinge_loss, lovasz_softmax_loss};
use lossfn_kernels::simd::Element;

fn bad(msg: String) -> i32 {
    fail(STATUS_BAD_PARAM, msg)
}

fn act_of(code: u32) -> Result<Act, i32> {
    Act::from_code(code).ok_or_else(|| bad(format!("segmentation: unknown activation {code}")))
}

/// The block's target: labels (checked against `classes`) or dense values.
///
/// # Safety
/// Protocol-checked operands.
unsafe fn target_of<'a, E: Element>(
    labels: u32,
    target: u32,
    classes: u32,
    s: u32,
    ignore: f64,
) -> Result<Target<'a, E>, i32> {
    match (labels, target) {
        (0, 0) | (1.., 1..) => Err(bad(
            "segmentation: exactly one of labels and target must be given".into(),
        )),
        (_, 0) => {
            let l = required("labels", operand::<i32>("labels", labels, s)?)?;
            if let Some(&v) = l.iter().find(|&&v| v >= 0 && v as u32 >= classes) {
                return Err(bad(format!(
                    "segmentation: label {v} out of range for {classes} classes"
                )));
            }
            Ok(Target::Labels(l))
        }
        (0, _) => {
            let n = product("classes × s", &[classes, s])?;
            Ok(Target::Dense(
                required("target", operand::<E>("target", target, n)?)?,
                ignore,
            ))
        }
    }
}

macro_rules! plane_exports {
    ($stem:literal, $t:ident) => {
        export!(concat!("lossfn_", $stem, "_forward_", stringify!($t)),
            (x: u32, classes: u32, s: u32, act: u32, labels: u32, target: u32, ignore: f64, sums: u32) {
            let n = product("classes × s", &[classes, s])?;
            let act = act_of(act)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let tg = target_of::<$t>(labels, target, classes, s, ignore)?;
            let out = required("sums", output::<f64>("sums", sums, product("classes × 5", &[classes, SUMS as u32])?)?)?;
            let mut acc = vec![Sum::default(); out.len()];
            planes::sums(xs, classes as usize, s as usize, act, tg, &mut acc);
            for (o, a) in out.iter_mut().zip(&acc) {
                *o = a.value();
            }
            Ok(())
        });

        export!(concat!("lossfn_", $stem, "_backward_", stringify!($t)),
            (x: u32, classes: u32, s: u32, act: u32, labels: u32, target: u32, ignore: f64, coef: u32, gx: u32) {
            let n = product("classes × s", &[classes, s])?;
            let act = act_of(act)?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let tg = target_of::<$t>(labels, target, classes, s, ignore)?;
            let coef = required("coef", operand::<f64>("coef", coef, product("classes × 2", &[classes, 2])?)?)?;
            let gx = required("gx", output::<$t>("gx", gx, n)?)?;
            planes::backward(xs, classes as usize, s as usize, act, tg, coef, gx);
            Ok(())
        });
    };
}
plane_exports!("dice_loss", f32);
plane_exports!("dice_loss", f64);
plane_exports!("jaccard_loss", f32);
plane_exports!("jaccard_loss", f64);
plane_exports!("tversky_loss", f32);
plane_exports!("tversky_loss", f64);
plane_exports!("mcc_loss", f32);
plane_exports!("mcc_loss", f64);
plane_exports!("generalized_dice_loss", f32);
plane_exports!("generalized_dice_loss", f64);

/// Each class's loss and partials from its sums.
///
/// # Safety
/// Protocol-checked operands.
unsafe fn overlap_finish(o: Overlap, sums: u32, classes: u32, out: u32) -> Result<(), i32> {
    let sums = required(
        "sums",
        operand::<f64>(
            "sums",
            sums,
            product("classes × 5", &[classes, SUMS as u32])?,
        )?,
    )?;
    let out = required(
        "out",
        output::<f64>("out", out, product("classes × 4", &[classes, 4])?)?,
    )?;
    for c in 0..classes as usize {
        let s = &sums[SUMS * c..SUMS * c + SUMS];
        let l = o.class(s[planes::TP], s[planes::FP], s[planes::FN], s[planes::G]);
        out[4 * c..4 * c + 4].copy_from_slice(&[l.loss, l.d_tp, l.d_fp, l.d_fn]);
    }
    Ok(())
}

fn nonneg(name: &str, v: f64) -> Result<f64, i32> {
    crate::param(name, v, v >= 0.0, ">= 0")
}

export!("lossfn_dice_loss_finish",
    (sums: u32, classes: u32, smooth: f64, eps: f64, log_loss: i32, out: u32) {
    let o = dice(nonneg("smooth", smooth)?, nonneg("eps", eps)?, log_loss != 0);
    overlap_finish(o, sums, classes, out)
});

export!("lossfn_jaccard_loss_finish",
    (sums: u32, classes: u32, smooth: f64, eps: f64, log_loss: i32, out: u32) {
    let o = jaccard(nonneg("smooth", smooth)?, nonneg("eps", eps)?, log_loss != 0);
    overlap_finish(o, sums, classes, out)
});

export!("lossfn_tversky_loss_finish",
    (sums: u32, classes: u32, alpha: f64, beta: f64, smooth: f64, eps: f64, log_loss: i32, out: u32) {
    let o = tversky(nonneg("alpha", alpha)?, nonneg("beta", beta)?, nonneg("smooth", smooth)?, nonneg("eps", eps)?, log_loss != 0);
    overlap_finish(o, sums, classes, out)
});

export!("lossfn_mcc_loss_finish", (sums: u32, eps: f64, out: u32) {
    let s = required("sums", operand::<f64>("sums", sums, SUMS as u32)?)?;
    let out = required("out", output::<f64>("out", out, 5)?)?;
    let (l, g) = mcc(s[planes::TP], s[planes::FP], s[planes::FN], s[planes::TN], nonneg("eps", eps)?);
    out[0] = l;
    out[1..].copy_from_slice(&g);
    Ok(())
});

export!("lossfn_generalized_dice_loss_finish",
    (sums: u32, groups: u32, classes: u32, c0: u32, w_type: u32, smooth_nr: f64, smooth_dr: f64, out: u32, uv: u32) {
    let len = product("groups × classes", &[groups, classes])?;
    let sums = required("sums", operand::<f64>("sums", sums, product("groups × classes × 5", &[len, SUMS as u32])?)?)?;
    let out = required("out", output::<f64>("out", out, groups)?)?;
    let uv = required("uv", output::<f64>("uv", uv, product("groups × classes × 2", &[len, 2])?)?)?;
    if c0 > classes || w_type > 2 {
        return Err(bad(format!("generalized dice: c0 {c0} / w_type {w_type} out of range")));
    }
    let (c, c0) = (classes as usize, c0 as usize);
    let k = c - c0;
    let mut col = vec![[0.0f64; 4]; k];
    let mut w = vec![0.0; k];
    for g in 0..groups as usize {
        for j in 0..k {
            let s = &sums[SUMS * (g * c + c0 + j)..][..SUMS];
            col[j] = [s[planes::TP], s[planes::FP], s[planes::FN], s[planes::G]];
        }
        let gs: Vec<f64> = col.iter().map(|v| v[3]).collect();
        weights(w_type, &gs, &mut w);
        let tp: Vec<f64> = col.iter().map(|v| v[0]).collect();
        let fp: Vec<f64> = col.iter().map(|v| v[1]).collect();
        let fnn: Vec<f64> = col.iter().map(|v| v[2]).collect();
        let row = &mut uv[2 * g * c..2 * (g + 1) * c];
        row.iter_mut().for_each(|v| *v = 0.0);
        out[g] = gdl_group(&tp, &fp, &fnn, &w, smooth_nr, smooth_dr, &mut row[2 * c0..]);
    }
    Ok(())
});

/// Lovász-softmax's class list.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn class_list<'a>(list: u32, len: u32, classes: u32) -> Result<&'a [i32], i32> {
    let l = required("list", operand::<i32>("list", list, len)?)?;
    if let Some(&v) = l.iter().find(|&&v| v < 0 || v as u32 >= classes) {
        return Err(bad(format!(
            "lovasz_softmax: class {v} out of range for {classes} classes"
        )));
    }
    Ok(l)
}

macro_rules! lovasz_exports {
    ($t:ident) => {
        export!(concat!("lossfn_lovasz_hinge_loss_forward_", stringify!($t)),
            (x: u32, labels: u32, groups: u32, per: u32, out: u32) {
            let n = product("groups × per", &[groups, per])?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ls = required("labels", operand::<i32>("labels", labels, n)?)?;
            let out = required("out", output::<f64>("out", out, groups)?)?;
            let (mut ws, mut b) = (Workspace::default(), lovasz_hinge_loss::Buffers::default());
            let per = per as usize;
            for g in 0..groups as usize {
                out[g] = lovasz_hinge_loss::group(&mut ws, &mut b, &xs[g * per..][..per], &ls[g * per..][..per], None, 0.0);
            }
            Ok(())
        });

        export!(concat!("lossfn_lovasz_hinge_loss_backward_", stringify!($t)),
            (x: u32, labels: u32, groups: u32, per: u32, g: u32, gx: u32, out: u32) {
            let n = product("groups × per", &[groups, per])?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ls = required("labels", operand::<i32>("labels", labels, n)?)?;
            let gs = required("g", operand::<f64>("g", g, groups)?)?;
            let gx = required("gx", output::<$t>("gx", gx, n)?)?;
            let mut out = output::<f64>("out", out, groups)?;
            let (mut ws, mut b) = (Workspace::default(), lovasz_hinge_loss::Buffers::default());
            let per = per as usize;
            for k in 0..groups as usize {
                let l = lovasz_hinge_loss::group(&mut ws, &mut b, &xs[k * per..][..per], &ls[k * per..][..per], Some(&mut gx[k * per..][..per]), gs[k]);
                if let Some(o) = out.as_deref_mut() {
                    o[k] = l;
                }
            }
            Ok(())
        });

        export!(concat!("lossfn_lovasz_softmax_loss_forward_", stringify!($t)),
            (x: u32, labels: u32, groups: u32, images: u32, classes: u32, s: u32, list: u32, list_len: u32, present: i32, out: u32) {
            let px = product("groups × images × s", &[groups, images, s])?;
            let n = product("pixels × classes", &[px, classes])?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ls = required("labels", operand::<i32>("labels", labels, px)?)?;
            let list = class_list(list, list_len, classes)?;
            let out = required("out", output::<f64>("out", out, groups)?)?;
            let sel = if present != 0 { Classes::Present(list) } else { Classes::All(list) };
            let (mut ws, mut b) = (Workspace::default(), lovasz_softmax_loss::Buffers::default());
            let (im, c, s) = (images as usize, classes as usize, s as usize);
            for g in 0..groups as usize {
                out[g] = lovasz_softmax_loss::group(&mut ws, &mut b, &xs[g * im * c * s..][..im * c * s], &ls[g * im * s..][..im * s], im, c, s, sel, None, 0.0);
            }
            Ok(())
        });

        export!(concat!("lossfn_lovasz_softmax_loss_backward_", stringify!($t)),
            (x: u32, labels: u32, groups: u32, images: u32, classes: u32, s: u32, list: u32, list_len: u32, present: i32, g: u32, gx: u32, out: u32) {
            let px = product("groups × images × s", &[groups, images, s])?;
            let n = product("pixels × classes", &[px, classes])?;
            let xs = required("input", operand::<$t>("input", x, n)?)?;
            let ls = required("labels", operand::<i32>("labels", labels, px)?)?;
            let list = class_list(list, list_len, classes)?;
            let gs = required("g", operand::<f64>("g", g, groups)?)?;
            let gx = required("gx", output::<$t>("gx", gx, n)?)?;
            let mut out = output::<f64>("out", out, groups)?;
            let sel = if present != 0 { Classes::Present(list) } else { Classes::All(list) };
            let (mut ws, mut b) = (Workspace::default(), lovasz_softmax_loss::Buffers::default());
            let (im, c, s) = (images as usize, classes as usize, s as usize);
            for k in 0..groups as usize {
                let span = im * c * s;
                let l = lovasz_softmax_loss::group(&mut ws, &mut b, &xs[k * span..][..span], &ls[k * im * s..][..im * s], im, c, s, sel, Some(&mut gx[k * span..][..span]), gs[k]);
                if let Some(o) = out.as_deref_mut() {
                    o[k] = l;
                }
            }
            Ok(())
        });
    };
}
lovasz_exports!(f32);
lovasz_exports!(f64);
