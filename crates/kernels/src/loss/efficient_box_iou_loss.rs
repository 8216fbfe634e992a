//! Efficient-IoU (Zhang et al. 2021, "Focal and Efficient IOU Loss for Accurate Bounding Box
//! Regression"), per box pair in corner form, on torchvision's DIoU terms (see
//! [`super::distance_box_iou_loss`]):
//! `l = 1 − iou + ρ²/(cw² + ch² + eps) + (w_p − w_t)²/(cw² + eps) + (h_p − h_t)²/(ch² + eps)`,
//! and Focal-EIoU `l·iou^γ` with the factor `iou^γ` held constant in the backward pass
//! (γ = 0: the factor is 1). Not mmdetection's `EIoULoss`, which is Extended-IoU.

use crate::boxes::{div_grad, enclosing, enclosing_grad, splat, BoxLoss, Boxes, TvInterUnion};
use crate::math::{exp, ln};
use crate::simd::Vector;

pub struct EfficientBoxIouLoss {
    pub eps: f64,
    /// Focal-EIoU's exponent (≥ 0).
    pub gamma: f64,
}

struct Terms<V: Vector> {
    iu: TvInterUnion<V>,
    den_u: V,
    iou: V,
    cw: V,
    ch: V,
    cw2e: V,
    ch2e: V,
    diag: V,
    dx: V,
    dy: V,
    dw: V,
    dh: V,
    loss: V,
}

impl EfficientBoxIouLoss {
    #[inline(always)]
    fn terms<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> Terms<V> {
        let eps = splat::<V>(self.eps);
        let half = splat::<V>(0.5);
        let iu = TvInterUnion::new(p, t);
        let den_u = iu.union + eps;
        let iou = iu.inter / den_u;
        let (cw, ch) = enclosing(p, t);
        let (cw2, ch2) = (cw * cw, ch * ch);
        let diag = (cw2 + ch2) + eps;
        let dx = (p.x2 + p.x1) * half - (t.x1 + t.x2) * half;
        let dy = (p.y2 + p.y1) * half - (t.y1 + t.y2) * half;
        let (dw, dh) = (iu.wp - iu.wt, iu.hp - iu.ht);
        let (cw2e, ch2e) = (cw2 + eps, ch2 + eps);
        let loss = (((splat::<V>(1.0) - iou) + (dx * dx + dy * dy) / diag) + (dw * dw) / cw2e)
            + (dh * dh) / ch2e;
        Terms {
            iu,
            den_u,
            iou,
            cw,
            ch,
            cw2e,
            ch2e,
            diag,
            dx,
            dy,
            dw,
            dh,
            loss,
        }
    }

    /// `iou^γ` (1 for γ = 0, including at iou = 0 or NaN, as `torch.pow(x, 0)`).
    #[inline(always)]
    fn focal<V: Vector>(&self, iou: V) -> Option<V> {
        match self.gamma {
            0.0 => None,
            1.0 => Some(iou),
            2.0 => Some(iou * iou),
            // ln 0 = −inf, e^−inf = 0: 0^γ = 0 for γ > 0.
            gamma => Some(exp(splat::<V>(gamma) * ln(iou))),
        }
    }
}

impl BoxLoss for EfficientBoxIouLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V {
        let k = self.terms(p, t);
        match self.focal(k.iou) {
            Some(f) => k.loss * f,
            None => k.loss,
        }
    }

    #[inline(always)]
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>) {
        let k = self.terms(p, t);
        let g = match self.focal(k.iou) {
            Some(f) => g * f,
            None => g,
        };
        let two = splat::<V>(2.0);
        let half = splat::<V>(0.5);
        let rho = k.dx * k.dx + k.dy * k.dy;
        let (g_rho, g_diag) = div_grad(rho / k.diag, k.diag, g);
        let (g_dw2, g_cw2e) = div_grad((k.dw * k.dw) / k.cw2e, k.cw2e, g);
        let (g_dh2, g_ch2e) = div_grad((k.dh * k.dh) / k.ch2e, k.ch2e, g);
        let (mut gp, mut gt) = (Boxes::zero(), Boxes::zero());
        // Centres, as DIoU.
        let g_dx = (g_rho * (two * k.dx)) * half;
        let g_dy = (g_rho * (two * k.dy)) * half;
        gp.x1 = gp.x1 + g_dx;
        gp.x2 = gp.x2 + g_dx;
        gt.x1 = gt.x1 - g_dx;
        gt.x2 = gt.x2 - g_dx;
        gp.y1 = gp.y1 + g_dy;
        gp.y2 = gp.y2 + g_dy;
        gt.y1 = gt.y1 - g_dy;
        gt.y2 = gt.y2 - g_dy;
        // (w_p − w_t)², (h_p − h_t)².
        let g_dw = g_dw2 * (two * k.dw);
        let g_dh = g_dh2 * (two * k.dh);
        gp.x2 = gp.x2 + g_dw;
        gp.x1 = gp.x1 - g_dw;
        gt.x2 = gt.x2 - g_dw;
        gt.x1 = gt.x1 + g_dw;
        gp.y2 = gp.y2 + g_dh;
        gp.y1 = gp.y1 - g_dh;
        gt.y2 = gt.y2 - g_dh;
        gt.y1 = gt.y1 + g_dh;
        // cw² feeds the diagonal and its own denominator.
        let g_cw = (g_diag + g_cw2e) * (two * k.cw);
        let g_ch = (g_diag + g_ch2e) * (two * k.ch);
        enclosing_grad(p, t, g_cw, g_ch, &mut gp, &mut gt);
        let (g_inter, g_union) = div_grad(k.iou, k.den_u, -g);
        k.iu.backward(p, t, g_inter, g_union, &mut gp, &mut gt);
        (gp, gt)
    }
}
