//! smp's `JaccardLoss` (≤ 0.3): per class `score = (TP + smooth)/max(Σ(p + g) − TP + smooth,
//! eps)`, the union being `TP + FP + FN`; loss `1 − score` or `−ln(max(score, eps))`.

use super::segmentation::Overlap;

/// The Jaccard (IoU) score as an [`Overlap`] (k = a = b = 1).
pub fn jaccard(smooth: f64, eps: f64, log_loss: bool) -> Overlap {
    Overlap {
        k: 1.0,
        a: 1.0,
        b: 1.0,
        smooth,
        eps,
        log_loss,
    }
}
