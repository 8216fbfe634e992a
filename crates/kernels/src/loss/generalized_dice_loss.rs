//! MONAI's `GeneralizedDiceLoss` (Sudre et al., 2017): per group (an image, or the whole batch
//! with `batch=True`) `1 − (2·Σ_c w_c·TP_c + smooth_nr)/(Σ_c w_c·(P_c + G_c) + smooth_dr)`,
//! with `w_c` from the class's ground-truth volume `G_c` ([`weights`]).

pub use super::segmentation::{gdl_group, gdl_weight};

/// The weights of one group's classes from their volumes `g`: `gdl_weight(w_type, g)`, with
/// infinite weights (empty classes) replaced by the group's largest finite weight (0 if none
/// is finite), as MONAI's `w[infs] = 0; w = w + infs * max(w)`.
pub fn weights(w_type: u32, g: &[f64], out: &mut [f64]) {
    let mut max = 0.0f64;
    for (o, &v) in out.iter_mut().zip(g) {
        *o = gdl_weight(w_type, v);
        if o.is_finite() && *o > max {
            max = *o;
        }
    }
    for o in out.iter_mut() {
        if o.is_infinite() {
            *o = max;
        }
    }
}
