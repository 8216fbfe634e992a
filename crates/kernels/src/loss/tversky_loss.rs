//! smp's `TverskyLoss` (≤ 0.3): per class `score = (TP + smooth)/max(TP + α·FP + β·FN +
//! smooth, eps)`; the focal exponent γ is applied by the caller to the mean over classes
//! (`'mean'`) or to each class's loss (`'none'`). α = β = ½ is Dice, α = β = 1 Jaccard.

use super::segmentation::Overlap;

/// The Tversky score as an [`Overlap`] (k = 1, a = α on false positives, b = β on false
/// negatives).
pub fn tversky(alpha: f64, beta: f64, smooth: f64, eps: f64, log_loss: bool) -> Overlap {
    Overlap {
        k: 1.0,
        a: alpha,
        b: beta,
        smooth,
        eps,
        log_loss,
    }
}
