//! smp's `DiceLoss` (≤ 0.3, Milletari's product form): per class
//! `score = (2·TP + smooth)/max(Σ(p + g) + smooth, eps)` with `Σ(p + g) = 2·TP + FP + FN`,
//! loss `1 − score` or `−ln(max(score, eps))`. The sums come from
//! [`super::segmentation::planes`]; the class losses' mean, `classes` and the reduction are
//! applied by the caller.

use super::segmentation::Overlap;

/// The Dice score as an [`Overlap`] (k = 2, a = b = 1).
pub fn dice(smooth: f64, eps: f64, log_loss: bool) -> Overlap {
    Overlap {
        k: 2.0,
        a: 1.0,
        b: 1.0,
        smooth,
        eps,
        log_loss,
    }
}
