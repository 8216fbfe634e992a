//! One module per loss, named as the `torch.nn.functional` (or Keras) function it matches.
//! Each elementwise loss is a parameter struct implementing [`crate::driver::Elementwise`].

pub mod arc_face_loss;
pub mod balanced_l1_loss;
pub mod binary_cross_entropy;
pub mod binary_cross_entropy_with_logits;
pub mod box_iou_loss;
pub mod categorical_hinge;
pub mod complete_box_iou_loss;
pub mod cos_face_loss;
pub mod cross_entropy;
pub mod ctc_loss;
pub mod distance_box_iou_loss;
pub mod distillation_loss;
pub mod distribution_focal_loss;
pub mod efficient_box_iou_loss;
pub mod gaussian_nll_loss;
pub mod generalized_box_iou_loss;
pub mod hinge;
pub mod huber_loss;
pub mod kl_div;
pub mod l1_loss;
pub mod log_cosh;
pub mod mean_absolute_percentage_error;
pub mod mean_squared_logarithmic_error;
pub mod mse_loss;
pub mod multi_margin_loss;
pub mod multilabel_margin_loss;
pub mod multilabel_soft_margin_loss;
pub mod nll_loss;
pub mod poisson_nll_loss;
pub mod poly_loss;
pub mod quality_focal_loss;
pub mod rnnt_loss;
pub mod scylla_box_iou_loss;
pub mod sigmoid_focal_loss;
pub mod smooth_l1_loss;
pub mod soft_margin_loss;
pub mod softmax_focal_loss;
pub mod sphere_face_loss;
pub mod squared_hinge;
pub mod varifocal_loss;
pub mod zero_one_loss;

pub use gaussian_nll_loss::GaussianNllLoss;
pub use huber_loss::HuberLoss;
pub use l1_loss::L1Loss;
pub use log_cosh::LogCosh;
pub use mean_absolute_percentage_error::MeanAbsolutePercentageError;
pub use mean_squared_logarithmic_error::MeanSquaredLogarithmicError;
pub use mse_loss::MseLoss;
pub use poisson_nll_loss::PoissonNllLoss;
pub use smooth_l1_loss::SmoothL1Loss;

use crate::simd::Vector;

/// `c` in every lane, converted to the vector's element type.
#[inline(always)]
pub(crate) fn splat<V: Vector>(c: f64) -> V {
    crate::simd::constant(c)
}

/// sign(d) as torch.sign: −1, 0 (keeping the zero's sign) or 1; NaN stays NaN.
#[inline(always)]
pub(crate) fn sign<V: Vector>(d: V) -> V {
    let one = splat::<V>(1.0);
    V::select(d.gt(splat(0.0)), one, V::select(d.lt(splat(0.0)), -one, d))
}

/// `g` where `m` holds, else 0: the gradient of a clamp's pass-through branch.
#[inline(always)]
pub(crate) fn pass<V: Vector>(m: V::Mask, g: V) -> V {
    V::select(m, g, splat(0.0))
}
