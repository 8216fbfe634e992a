//! Shared machinery of the segmentation losses.
//!
//! - [`planes`]: the one pass over `(C, S)` planes (activation fused) that gives the per-class
//!   sums TP, FP, FN, TN, G every overlap loss is a function of, and its gradient given
//!   `∂loss/∂sums`;
//! - [`Overlap`]: the Tversky-type score `(k·TP + smooth)/max(k·TP + a·FP + b·FN + smooth, eps)`
//!   that Dice (k = 2, a = b = 1), Jaccard (k = a = b = 1) and Tversky (k = 1, a = α, b = β)
//!   are, with its loss and partial derivatives (cheap scalar work on f64 sums);
//! - [`sort`]: the stable LSD radix sort the Lovász losses sort their errors with;
//! - [`lovasz`]: the Lovász extension of the Jaccard loss on sorted errors, and its gradient.

pub mod lovasz;
pub mod planes;
pub mod sort;

/// A Tversky-type overlap score and the loss made of it, per class.
///
/// With `num = k·TP + smooth` and `den = max(k·TP + a·FP + b·FN + smooth, eps)` the score is
/// `num/den`; the loss is `1 − score`, or `−ln(max(score, eps))` with `log_loss`. Since
/// `k·TP + a·FP + b·FN + smooth − num = a·FP + b·FN`, the loss is computed as
/// `(a·FP + b·FN)/den` when `den` is not clamped: no cancellation for a nearly perfect
/// prediction (its digits come from FP and FN, which the plane pass sums directly). For the
/// products forms of smp ≤ 0.3: Dice's cardinality `Σ(p + g) = 2·TP + FP + FN`, Jaccard's
/// union `Σ(p + g) − TP = TP + FP + FN`.
#[derive(Clone, Copy, Debug)]
pub struct Overlap {
    pub k: f64,
    pub a: f64,
    pub b: f64,
    pub smooth: f64,
    pub eps: f64,
    pub log_loss: bool,
}

/// One class's loss and its partial derivatives with respect to `[TP, FP, FN]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClassLoss {
    pub loss: f64,
    pub d_tp: f64,
    pub d_fp: f64,
    pub d_fn: f64,
}

impl Overlap {
    /// The loss of one class from its sums; a class with no positive target (`g_sum ≤ 0`)
    /// gives 0 with zero derivatives (smp: "Dice loss is undefined for non-empty classes").
    pub fn class(&self, tp: f64, fp: f64, fn_: f64, g_sum: f64) -> ClassLoss {
        if g_sum.partial_cmp(&0.0) != Some(core::cmp::Ordering::Greater) {
            return ClassLoss::default();
        }
        let num = self.k * tp + self.smooth;
        let off = self.a * fp + self.b * fn_;
        let raw = self.k * tp + off + self.smooth;
        let clamped = raw < self.eps;
        let den = if clamped { self.eps } else { raw };
        let score = num / den;
        // 1 − score, and ∂score/∂(TP, FP, FN).
        let (one_minus, ds) = if clamped {
            (1.0 - score, [self.k / den, 0.0, 0.0])
        } else {
            let d2 = den * den;
            (
                off / den,
                [self.k * off / d2, -num * self.a / d2, -num * self.b / d2],
            )
        };
        let (loss, dl_ds) = if self.log_loss {
            if score < self.eps {
                // clamp_min's gradient is 0 below the bound.
                (-self.eps.ln(), 0.0)
            } else if one_minus < 0.5 {
                (-(-one_minus).ln_1p(), -1.0 / score)
            } else {
                (-score.ln(), -1.0 / score)
            }
        } else {
            (one_minus, -1.0)
        };
        ClassLoss {
            loss,
            d_tp: dl_ds * ds[0],
            d_fp: dl_ds * ds[1],
            d_fn: dl_ds * ds[2],
        }
    }
}

/// smp's MCCLoss on the summed counts: `1 − (tp·tn − fp·fn)/√((tp+fp)(tp+fn)(tn+fp)(tn+fn))`
/// with `eps` added to each count. Returns the loss and its partials with respect to
/// `[TP, FP, FN, TN]` (the raw sums).
pub fn mcc(tp: f64, fp: f64, fn_: f64, tn: f64, eps: f64) -> (f64, [f64; 4]) {
    let (tp, fp, fn_, tn) = (tp + eps, fp + eps, fn_ + eps, tn + eps);
    let (a, b, c, d) = (tp + fp, tp + fn_, tn + fp, tn + fn_);
    let num = tp * tn - fp * fn_;
    let den = (a * b * c * d).sqrt();
    let m = num / den;
    // ∂den/∂x = den/2·Σ 1/(factor containing x).
    let h = 0.5 * den;
    let dden = [
        h * (1.0 / a + 1.0 / b),
        h * (1.0 / a + 1.0 / c),
        h * (1.0 / b + 1.0 / d),
        h * (1.0 / c + 1.0 / d),
    ];
    let dnum = [tn, -fn_, -fp, tp];
    let mut g = [0.0; 4];
    for i in 0..4 {
        g[i] = -(dnum[i] / den - num * dden[i] / (den * den));
    }
    (1.0 - m, g)
}

/// The class weights of MONAI's GeneralizedDiceLoss for a ground-truth volume `g`:
/// 'simple' `1/g`, 'square' `1/g²`, 'uniform' 1 (infinite for `g = 0` but 'uniform').
pub fn gdl_weight(w_type: u32, g: f64) -> f64 {
    match w_type {
        0 => 1.0 / (g * g),
        1 => 1.0 / g,
        _ => 1.0,
    }
}

/// Generalized Dice (MONAI) of one group of classes (one image, or the batch with
/// `batch=True`): `tp`, `fp`, `fn_`, `g` per class, `w` their weights (infinite ones already
/// replaced). `f = 1 − (2·Σ w·TP + smooth_nr)/(Σ w·(P + G) + smooth_dr)`, computed as
/// `(Σ w·(FP + FN) + smooth_dr − smooth_nr)/den`. Returns `f` and per class `(u, v)`: the
/// derivative with respect to `p` of an element with target `g` is `u + v·g`.
pub fn gdl_group(
    tp: &[f64],
    fp: &[f64],
    fn_: &[f64],
    w: &[f64],
    smooth_nr: f64,
    smooth_dr: f64,
    uv: &mut [f64],
) -> f64 {
    let (mut num, mut den, mut off) = (0.0, 0.0, 0.0);
    for c in 0..tp.len() {
        num += w[c] * tp[c];
        den += w[c] * (2.0 * tp[c] + fp[c] + fn_[c]);
        off += w[c] * (fp[c] + fn_[c]);
    }
    let num = 2.0 * num + smooth_nr;
    let den = den + smooth_dr;
    let f = (off + smooth_dr - smooth_nr) / den;
    // ∂f/∂TP_c = −2w(den − num)/den², ∂f/∂FP_c = ∂f/∂FN_c = w·num/den²:
    // u = ∂FP = w·num/den², v = ∂TP − ∂FP − ∂FN = −2w/den.
    for c in 0..tp.len() {
        uv[2 * c] = w[c] * num / (den * den);
        uv[2 * c + 1] = -2.0 * w[c] / den;
    }
    f
}

#[cfg(any(test, feature = "wasm-tests"))]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[lossfn_test_macro::kernel_test]
    fn tversky_half_is_dice_and_one_is_jaccard() {
        let (tp, fp, fn_) = (3.25, 1.5, 0.75);
        let dice = Overlap {
            k: 2.0,
            a: 1.0,
            b: 1.0,
            smooth: 0.0,
            eps: 1e-7,
            log_loss: false,
        }
        .class(tp, fp, fn_, 4.0);
        let tv = Overlap {
            k: 1.0,
            a: 0.5,
            b: 0.5,
            smooth: 0.0,
            eps: 1e-7,
            log_loss: false,
        }
        .class(tp, fp, fn_, 4.0);
        assert!(close(dice.loss, tv.loss, 1e-15));
        let jac = Overlap {
            k: 1.0,
            a: 1.0,
            b: 1.0,
            smooth: 0.0,
            eps: 1e-7,
            log_loss: false,
        }
        .class(tp, fp, fn_, 4.0);
        assert!(close(jac.loss, (fp + fn_) / (tp + fp + fn_), 1e-15));
    }

    #[lossfn_test_macro::kernel_test]
    fn overlap_partials_match_differences() {
        for log_loss in [false, true] {
            let o = Overlap {
                k: 2.0,
                a: 0.3,
                b: 0.7,
                smooth: 0.5,
                eps: 1e-7,
                log_loss,
            };
            let (tp, fp, fn_) = (2.0, 1.25, 0.5);
            let c = o.class(tp, fp, fn_, 1.0);
            let h = 1e-6;
            let num = |d: [f64; 3]| {
                (o.class(tp + d[0], fp + d[1], fn_ + d[2], 1.0).loss
                    - o.class(tp - d[0], fp - d[1], fn_ - d[2], 1.0).loss)
                    / (2.0 * h)
            };
            assert!(close(c.d_tp, num([h, 0.0, 0.0]), 1e-7));
            assert!(close(c.d_fp, num([0.0, h, 0.0]), 1e-7));
            assert!(close(c.d_fn, num([0.0, 0.0, h]), 1e-7));
        }
    }

    #[lossfn_test_macro::kernel_test]
    fn nearly_perfect_prediction_keeps_its_digits() {
        // FP = FN = 1e-20 against TP = 100: 1 − score = 2e-20/200 exactly, not 0.
        let c = Overlap {
            k: 2.0,
            a: 1.0,
            b: 1.0,
            smooth: 0.0,
            eps: 1e-7,
            log_loss: false,
        }
        .class(100.0, 1e-20, 1e-20, 100.0);
        assert!(close(c.loss, 1e-22, 1e-15));
        let l = Overlap {
            k: 2.0,
            a: 1.0,
            b: 1.0,
            smooth: 0.0,
            eps: 1e-7,
            log_loss: true,
        }
        .class(100.0, 1e-20, 1e-20, 100.0);
        assert!(close(l.loss, 1e-22, 1e-15));
    }

    #[lossfn_test_macro::kernel_test]
    fn empty_class_is_zero() {
        let c = Overlap {
            k: 1.0,
            a: 1.0,
            b: 1.0,
            smooth: 0.0,
            eps: 1e-7,
            log_loss: false,
        }
        .class(0.0, 5.0, 0.0, 0.0);
        assert_eq!(c, ClassLoss::default());
    }

    #[lossfn_test_macro::kernel_test]
    fn mcc_partials_match_differences() {
        let (l, g) = mcc(5.0, 2.0, 1.5, 9.0, 1e-5);
        let m = |d: [f64; 4]| mcc(5.0 + d[0], 2.0 + d[1], 1.5 + d[2], 9.0 + d[3], 1e-5).0;
        let h = 1e-6;
        for i in 0..4 {
            let mut e = [0.0; 4];
            e[i] = h;
            let mut f = [0.0; 4];
            f[i] = -h;
            assert!(close(g[i], (m(e) - m(f)) / (2.0 * h), 1e-6), "{i}");
        }
        // Perfect: TP = 5, TN = 9 → mcc ≈ 1.
        assert!(mcc(5.0, 0.0, 0.0, 9.0, 0.0).0.abs() < 1e-15);
        assert!(l > 0.0 && l < 1.0);
    }
}
