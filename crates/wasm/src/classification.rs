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

use crate::{fail, operand, output, required, STATUS_BAD_PARAM, STATUS_OK};
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
    match (operand::<i32>("target", index, rows)?, operand::<E>("target", prob, rows * classes)?) {
        (Some(ys), None) => {
            if let Some(&bad) = ys.iter().find(|&&y| y != ignore_index && (y < 0 || y as u32 >= classes)) {
                return Err(fail(STATUS_BAD_PARAM, format!("target {bad} is out of bounds")));
            }
            Ok(Target::Index(ys))
        }
        (None, Some(q)) => Ok(Target::Prob(q)),
        _ => Err(fail(STATUS_BAD_PARAM, "exactly one of target_index and target_prob".into())),
    }
}

macro_rules! cross_entropy_exports {
    ($t:ident) => {
        const _: () = {
            /// # Safety
            /// Pointers follow the crate-level call protocol.
            #[export_name = concat!("lossfn_cross_entropy_forward_", stringify!($t))]
            pub unsafe extern "C" fn fwd(
                x: u32, rows: u32, classes: u32, ti: u32, tp: u32, w: u32, ignore_index: i32,
                label_smoothing: f64, out: u32, sums_out: u32,
            ) -> i32 {
                let run = || -> Result<(), i32> {
                    let xs = required("input", operand::<$t>("input", x, rows * classes)?)?;
                    let target = target::<$t>(ti, tp, rows, classes, ignore_index)?;
                    let weight = weights::<$t>(w, classes)?;
                    let out = output::<$t>("out", out, rows)?;
                    let sums = required("sums_out", output::<f64>("sums_out", sums_out, 2)?)?;
                    let ce = CrossEntropy { classes: classes as usize, weight: &weight, ignore_index, label_smoothing };
                    let (sum, denom) = ce.forward(xs, &target, out);
                    sums[0] = sum;
                    sums[1] = denom;
                    Ok(())
                };
                run().err().unwrap_or(STATUS_OK)
            }

            /// # Safety
            /// Pointers follow the crate-level call protocol.
            #[export_name = concat!("lossfn_cross_entropy_backward_", stringify!($t))]
            pub unsafe extern "C" fn bwd(
                x: u32, rows: u32, classes: u32, ti: u32, tp: u32, w: u32, ignore_index: i32,
                label_smoothing: f64, g: u32, g_scale: f64, gx: u32, gq: u32,
            ) -> i32 {
                let run = || -> Result<(), i32> {
                    let xs = required("input", operand::<$t>("input", x, rows * classes)?)?;
                    let target = target::<$t>(ti, tp, rows, classes, ignore_index)?;
                    let weight = weights::<$t>(w, classes)?;
                    let scale = <$t>::from_f64(g_scale);
                    let up = match operand::<$t>("grad_output", g, rows)? {
                        Some(gs) => Upstream::PerElement(gs, scale),
                        None => Upstream::Scalar(scale),
                    };
                    let gx = output::<$t>("grad_input", gx, rows * classes)?;
                    let gq = output::<$t>("grad_target", gq, rows * classes)?;
                    let ce = CrossEntropy { classes: classes as usize, weight: &weight, ignore_index, label_smoothing };
                    ce.backward(xs, &target, &up, gx, gq);
                    Ok(())
                };
                run().err().unwrap_or(STATUS_OK)
            }
        };
    };
}

cross_entropy_exports!(f32);
cross_entropy_exports!(f64);
