//! One module per loss, named as the `torch.nn.functional` (or Keras) function it matches.
//! Each elementwise loss is a parameter struct implementing [`crate::driver::Elementwise`].

pub mod approx_ndcg_loss;
pub mod arc_face_loss;
pub mod balanced_l1_loss;
pub mod binary_cross_entropy;
pub mod binary_cross_entropy_with_logits;
pub mod box_iou_loss;
pub mod categorical_hinge;
pub mod complete_box_iou_loss;
pub mod cos_face_loss;
pub mod cosine_embedding_loss;
pub mod cross_entropy;
pub mod ctc_loss;
pub mod dice_loss;
pub mod distance_box_iou_loss;
pub mod distillation_loss;
pub mod distribution_focal_loss;
pub mod efficient_box_iou_loss;
pub mod gaussian_nll_loss;
pub mod generalized_box_iou_loss;
pub mod generalized_dice_loss;
pub mod hinge;
pub mod hinge_embedding_loss;
pub mod huber_loss;
pub mod jaccard_loss;
pub mod kl_div;
pub mod l1_loss;
pub mod list_mle_loss;
pub mod list_net_loss;
pub mod log_cosh;
pub mod lovasz_hinge_loss;
pub mod lovasz_softmax_loss;
pub mod margin_ranking_loss;
pub mod mcc_loss;
pub mod mean_absolute_percentage_error;
pub mod mean_squared_logarithmic_error;
pub mod mse_loss;
pub mod multi_margin_loss;
pub mod multilabel_margin_loss;
pub mod multilabel_soft_margin_loss;
pub mod nll_loss;
pub mod nt_xent_loss;
pub mod poisson_nll_loss;
pub mod poly_loss;
pub mod quality_focal_loss;
pub mod rank_net_loss;
pub mod rnnt_loss;
pub mod scylla_box_iou_loss;
pub mod segmentation;
pub mod sigmoid_focal_loss;
pub mod smooth_l1_loss;
pub mod soft_margin_loss;
pub mod softmax_focal_loss;
pub mod sphere_face_loss;
pub mod squared_hinge;
pub mod sup_con_loss;
pub mod triplet_margin_loss;
pub mod triplet_margin_with_distance_loss;
pub mod tversky_loss;
pub mod varifocal_loss;
pub mod zero_one_loss;

pub use gaussian_nll_loss::GaussianNllLoss;
pub use huber_loss::HuberLoss;
pub use l1_loss::L1Loss;
pub use log_cosh::LogCosh;
pub use mean_absolute_percentage_error::MeanAbsolutePercentageError;
pub use mean_squared_logarithmic_error::MeanSquaredLogarithmicError;
pub use mse_loss::MseLoss;
pub use nll_loss::NllLoss;
pub use poisson_nll_loss::PoissonNllLoss;
pub use smooth_l1_loss::SmoothL1Loss;

use crate::simd::Vector;

/// `c` in every lane, converted to the vector's element type.
#[inline(always)]
pub(crate) fn splat<V: Vector>(c: f64) -> V {
    crate::simd::constant(c)
}

/// sign(d) as torch.sign: −1, 0 (keeping the zero's sign) or 1; NaN gives 0, as torch.sign
/// (`(0 < d) − (d < 0)`), so l1Loss's gradient at a NaN input is 0 as PyTorch's.
#[inline(always)]
pub(crate) fn sign<V: Vector>(d: V) -> V {
    let one = splat::<V>(1.0);
    let zero = splat::<V>(0.0);
    V::select(
        d.gt(zero),
        one,
        V::select(d.lt(zero), -one, V::select(d.eq(d), d, zero)),
    )
}

/// NaN where `x` is −∞, else ±0: added to a value whose formula PyTorch evaluates with
/// `max(−x, 0) = +∞` on both sides of a sum (BCE with logits at x = −∞ gives NaN there).
#[inline(always)]
pub(crate) fn nan_at_neg_inf<V: Vector>(x: V) -> V {
    let zero = splat::<V>(0.0);
    x.pmin(zero) * zero
}

/// NaN where `z` is +∞, else ±0: PyTorch's gradient of log(1 + exp(z)) is
/// exp(z)/(1 + exp(z)) = ∞/∞ there.
#[inline(always)]
pub(crate) fn nan_at_pos_inf<V: Vector>(z: V) -> V {
    let zero = splat::<V>(0.0);
    z.pmax(zero) * zero
}

/// `g` where `m` holds, else 0: the gradient of a clamp's pass-through branch.
#[inline(always)]
pub(crate) fn pass<V: Vector>(m: V::Mask, g: V) -> V {
    V::select(m, g, splat(0.0))
}
