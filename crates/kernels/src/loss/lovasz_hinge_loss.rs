//! Berman's binary Lovász hinge (`lovasz_hinge`, as smp's `LovaszLoss` in binary mode): on one
//! group of logits `x` and labels `g ∈ {0, 1}`, errors `1 − x·(2g − 1)`, sorted decreasingly
//! (stably), `Σ relu(e_(k))·ΔJ_k` ([`super::segmentation::lovasz`]). Errors are formed in f64
//! (exact for float32 logits), so the order is the float64 reference's.

use super::segmentation::lovasz::Workspace;
use crate::simd::Element;

/// The loss of one group (labels < 0 are ignored; a group with no valid pixel gives 0). With
/// `gx`, writes `scale·∂loss/∂x` (0 at ignored pixels).
pub fn group<E: Element>(
    ws: &mut Workspace,
    buf: &mut Buffers,
    x: &[E],
    labels: &[i32],
    gx: Option<&mut [E]>,
    scale: f64,
) -> f64 {
    buf.errors.clear();
    buf.fg.clear();
    buf.at.clear();
    for (i, (&v, &l)) in x.iter().zip(labels).enumerate() {
        if l < 0 {
            continue;
        }
        let sign = if l > 0 { 1.0 } else { -1.0 };
        buf.errors.push(1.0 - v.to_f64() * sign);
        buf.fg.push(l > 0);
        buf.at.push(i);
    }
    let want = gx.is_some();
    buf.coef.resize(buf.errors.len(), 0.0);
    let loss = ws.extension(
        &buf.errors,
        &buf.fg,
        true,
        if want { Some(&mut buf.coef) } else { None },
    );
    if let Some(gx) = gx {
        for v in gx.iter_mut() {
            *v = E::from_f64(0.0);
        }
        for (j, &i) in buf.at.iter().enumerate() {
            let sign = if buf.fg[j] { 1.0 } else { -1.0 };
            gx[i] = E::from_f64(-scale * buf.coef[j] * sign);
        }
    }
    loss
}

/// Per-call buffers of [`group`] (valid pixels' errors, labels, positions, coefficients).
#[derive(Default)]
pub struct Buffers {
    errors: Vec<f64>,
    fg: Vec<bool>,
    at: Vec<usize>,
    coef: Vec<f64>,
}
