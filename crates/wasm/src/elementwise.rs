//! Exports of the elementwise losses: `lossfn_<stem>_{forward,backward}_{f32,f64}` (the
//! protocol is in the crate docs).

use crate::{fail, operand, positive, required, STATUS_BAD_PARAM};
use lossfn_kernels::loss::*;

/// The four operands of an elementwise call: input and target (required), aux and weight.
type Operands<'a, E> = (&'a [E], &'a [E], Option<&'a [E]>, Option<&'a [E]>);

/// Which operands besides input and target a loss reads: the regression and classification
/// losses an optional aux and per-element weights (`Any`), the localization losses and hinge
/// embedding neither (`None`), margin ranking a required aux and no weights (`Aux`).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Extra {
    Any,
    None,
    Aux,
}

/// # Safety
/// See [`crate::operand`].
pub(crate) unsafe fn operands<'a, E>(
    x: u32,
    t: u32,
    a: u32,
    w: u32,
    n: u32,
    extra: Extra,
) -> Result<Operands<'a, E>, i32> {
    // SAFETY: forwarded to the caller's contract.
    let ops: Operands<'a, E> = unsafe {
        (
            required("input", operand::<E>("input", x, n)?)?,
            required("target", operand::<E>("target", t, n)?)?,
            operand::<E>("aux", a, n)?,
            operand::<E>("weight", w, n)?,
        )
    };
    let ok = match extra {
        Extra::Any => true,
        Extra::None => ops.2.is_none() && ops.3.is_none(),
        Extra::Aux => ops.2.is_some() && ops.3.is_none(),
    };
    if !ok {
        return Err(fail(
            STATUS_BAD_PARAM,
            "bad aux or weight operand for this loss".into(),
        ));
    }
    Ok(ops)
}

/// Exports `lossfn_<stem>_{forward,backward}_{f32,f64}` for an elementwise loss built from
/// `(p0, p1, p2)` by `$make`, which returns `Err(status)` for parameters out of domain; `$extra`
/// ([`Extra`], default `Any`) says which further operands it reads. Used by every family's
/// elementwise losses (this module, localization, ranking).
macro_rules! elementwise_exports {
    ($stem:ident, $make:expr) => {
        elementwise_exports!($stem, $make, $crate::elementwise::Extra::Any);
    };
    ($stem:ident, $make:expr, $extra:expr) => {
        elementwise_exports!(@t $stem, $make, $extra, f32);
        elementwise_exports!(@t $stem, $make, $extra, f64);
    };
    (@t $stem:ident, $make:expr, $extra:expr, $t:ident) => {
        export!(concat!("lossfn_", stringify!($stem), "_forward_", stringify!($t)),
            (x: u32, t: u32, a: u32, w: u32, n: u32, p0: f64, p1: f64, p2: f64, out: u32, sum_out: u32) {
            let loss = $make(p0, p1, p2)?;
            let (xs, ts, aux, ws) = $crate::elementwise::operands::<$t>(x, t, a, w, n, $extra)?;
            let out = $crate::output::<$t>("out", out, n)?;
            let sum_out = $crate::required("sum_out", $crate::output::<f64>("sum_out", sum_out, 1)?)?;
            sum_out[0] = lossfn_kernels::driver::forward_weighted(&loss, xs, ts, aux, ws, out);
            Ok(())
        });
        export!(concat!("lossfn_", stringify!($stem), "_backward_", stringify!($t)),
            (
                x: u32, t: u32, a: u32, w: u32, n: u32, p0: f64, p1: f64, p2: f64, g: u32,
                g_scale: f64, gx: u32, gt: u32, ga: u32,
            ) {
            let loss = $make(p0, p1, p2)?;
            let (xs, ts, aux, ws) = $crate::elementwise::operands::<$t>(x, t, a, w, n, $extra)?;
            if $extra != $crate::elementwise::Extra::Any && aux.is_none() && ga != 0 {
                return Err($crate::fail($crate::STATUS_BAD_PARAM, "grad_aux without an aux operand".into()));
            }
            let up = $crate::upstream::<$t>(g, n, g_scale)?;
            let (gx, gt, ga) = (
                $crate::output::<$t>("grad_input", gx, n)?,
                $crate::output::<$t>("grad_target", gt, n)?,
                $crate::output::<$t>("grad_aux", ga, n)?,
            );
            lossfn_kernels::driver::backward(&loss, xs, ts, aux, ws, up, gx, gt, ga);
            Ok(())
        });
    };
}

// No parameters.
elementwise_exports!(l1_loss, |_, _, _| Ok::<_, i32>(L1Loss));
elementwise_exports!(mse_loss, |_, _, _| Ok::<_, i32>(MseLoss));
elementwise_exports!(mean_absolute_percentage_error, |_, _, _| Ok::<_, i32>(
    MeanAbsolutePercentageError
));
elementwise_exports!(mean_squared_logarithmic_error, |_, _, _| Ok::<_, i32>(
    MeanSquaredLogarithmicError
));
elementwise_exports!(log_cosh, |_, _, _| Ok::<_, i32>(LogCosh));
// `x` = each row's log-probability at its target, `t` = the row's class weight (0 for an
// ignored row): both gathered by the TS layer (crates/kernels/src/loss/nll_loss.rs).
elementwise_exports!(nll_loss, |_, _, _| Ok::<_, i32>(NllLoss));
// p0 = beta (> 0; β = 0 is dispatched to l1_loss by the TS layer, as PyTorch does).
elementwise_exports!(smooth_l1_loss, |beta, _, _| positive("beta", beta)
    .map(|beta| SmoothL1Loss { beta }));
// p0 = delta (> 0).
elementwise_exports!(huber_loss, |delta, _, _| positive("delta", delta)
    .map(|delta| HuberLoss { delta }));
// p0 = log_input (0/1), p1 = full (0/1), p2 = eps.
elementwise_exports!(poisson_nll_loss, |log_input: f64, full: f64, eps| Ok::<
    _,
    i32,
>(
    PoissonNllLoss {
        log_input: log_input != 0.0,
        full: full != 0.0,
        eps
    }
));
// a = var (broadcast by the caller), p0 = full (0/1), p1 = eps.
elementwise_exports!(gaussian_nll_loss, |full: f64, eps, _| Ok::<_, i32>(
    GaussianNllLoss {
        full: full != 0.0,
        eps
    }
));
// No parameters (weight via `w`).
elementwise_exports!(binary_cross_entropy, |_, _, _| Ok::<_, i32>(
    binary_cross_entropy::BinaryCrossEntropy
));
// a = pos_weight (broadcast by the caller) when p0 = 1; p0 = has pos_weight (0/1).
elementwise_exports!(
    binary_cross_entropy_with_logits,
    |pos_weight: f64, _, _| Ok::<_, i32>(
        binary_cross_entropy_with_logits::BinaryCrossEntropyWithLogits {
            pos_weight: pos_weight != 0.0
        }
    )
);
// No parameters.
elementwise_exports!(soft_margin_loss, |_, _, _| Ok::<_, i32>(
    soft_margin_loss::SoftMarginLoss
));
// No parameters; per-element values before PyTorch's 1/C and per-sample sums (done in TS).
elementwise_exports!(multilabel_soft_margin_loss, |_, _, _| Ok::<_, i32>(
    multilabel_soft_margin_loss::MultilabelSoftMarginLoss
));
// p0 = convert {0, 1} labels to {−1, 1} (0/1; TS sets it when every target is 0 or 1).
elementwise_exports!(hinge, |convert: f64, _, _| Ok::<_, i32>(hinge::Hinge {
    convert: convert != 0.0
}));
// p0 = convert, as hinge.
elementwise_exports!(squared_hinge, |convert: f64, _, _| Ok::<_, i32>(
    squared_hinge::SquaredHinge {
        convert: convert != 0.0
    }
));
// p0 = log_target (0/1).
elementwise_exports!(kl_div, |log_target: f64, _, _| Ok::<_, i32>(
    kl_div::KlDiv {
        log_target: log_target != 0.0
    }
));
// p0 = alpha (< 0 disables the α weighting), p1 = gamma (≥ 0, finite).
elementwise_exports!(sigmoid_focal_loss, |alpha: f64, gamma: f64, _| {
    let gamma = crate::param(
        "gamma",
        gamma,
        gamma >= 0.0 && gamma.is_finite(),
        "finite and >= 0",
    )?;
    let alpha = crate::param("alpha", alpha, !alpha.is_nan(), "a number")?;
    Ok::<_, i32>(sigmoid_focal_loss::SigmoidFocalLoss { alpha, gamma })
});
