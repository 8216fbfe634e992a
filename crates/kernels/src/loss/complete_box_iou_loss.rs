//! `torchvision.ops.complete_box_iou_loss` (0.14), per box pair in corner form:
//! `l = DIoU loss + α·v`, `v = 4/π²·(atan(w_t/h_t) − atan(w_p/h_p))²`,
//! `α = v/(1 − iou + v + eps)` computed without gradient (a constant in the backward pass).
//!
//! As in torchvision 0.14, the DIoU part and the `iou` in α use the DIoU's default
//! `eps = 1e-7` whatever the caller's `eps`, which enters only α's denominator (torchvision
//! calls `_diou_iou_loss(boxes1, boxes2)` without passing it on). A zero height gives
//! `w/h = ±inf` (atan = ±π/2, finite loss) and NaN gradients, as autograd gives.

use super::distance_box_iou_loss::Diou;
use crate::boxes::{atan, div_grad, splat, BoxLoss, Boxes, CIOU_FACTOR};
use crate::simd::Vector;

/// The DIoU eps torchvision 0.14's CIoU uses for its DIoU and IoU terms.
const DIOU_EPS: f64 = 1e-7;

pub struct CompleteBoxIouLoss {
    /// α's eps.
    pub eps: f64,
}

impl BoxLoss for CompleteBoxIouLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V {
        let d = Diou::new(p, t, DIOU_EPS);
        let a = atan(d.iu.wt / d.iu.ht) - atan(d.iu.wp / d.iu.hp);
        let v = splat::<V>(CIOU_FACTOR) * (a * a);
        let alpha = v / (((splat::<V>(1.0) - d.iou) + v) + splat(self.eps));
        d.loss + alpha * v
    }

    #[inline(always)]
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>) {
        let d = Diou::new(p, t, DIOU_EPS);
        let iu = &d.iu;
        let (rt, rp) = (iu.wt / iu.ht, iu.wp / iu.hp);
        let a = atan(rt) - atan(rp);
        let v = splat::<V>(CIOU_FACTOR) * (a * a);
        let alpha = v / (((splat::<V>(1.0) - d.iou) + v) + splat(self.eps));
        let (mut gp, mut gt) = (Boxes::zero(), Boxes::zero());
        d.backward(p, t, g, &mut gp, &mut gt);
        // α·v with α constant; v = c·a²; atan's backward g/(x² + 1).
        let one = splat::<V>(1.0);
        let g_a = ((g * alpha) * splat(CIOU_FACTOR)) * (splat::<V>(2.0) * a);
        let g_rt = g_a / (rt * rt + one);
        let g_rp = -g_a / (rp * rp + one);
        let (g_wt, g_ht) = div_grad(rt, iu.ht, g_rt);
        let (g_wp, g_hp) = div_grad(rp, iu.hp, g_rp);
        gt.x2 = gt.x2 + g_wt;
        gt.x1 = gt.x1 - g_wt;
        gt.y2 = gt.y2 + g_ht;
        gt.y1 = gt.y1 - g_ht;
        gp.x2 = gp.x2 + g_wp;
        gp.x1 = gp.x1 - g_wp;
        gp.y2 = gp.y2 + g_hp;
        gp.y1 = gp.y1 - g_hp;
        (gp, gt)
    }
}
