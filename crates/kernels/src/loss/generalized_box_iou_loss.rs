//! `torchvision.ops.generalized_box_iou_loss` (0.14), per box pair in corner form:
//! `l = 1 − (iou − (C − U)/(C + eps))`, `iou = I/(U + eps)`, with torchvision's intersection
//! `I` (0 unless the boxes overlap with positive width and height), union
//! `U = area_p + area_t − I` and enclosing area `C = (max x2 − min x1)·(max y2 − min y1)`
//! (not clamped). Symmetric in its two arguments; gradients to both, op by op as autograd.

use crate::boxes::{div_grad, enclosing, enclosing_grad, splat, BoxLoss, Boxes, TvInterUnion};
use crate::simd::Vector;

pub struct GeneralizedBoxIouLoss {
    pub eps: f64,
}

impl BoxLoss for GeneralizedBoxIouLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V {
        let eps = splat::<V>(self.eps);
        let iu = TvInterUnion::new(p, t);
        let iou = iu.inter / (iu.union + eps);
        let (cw, ch) = enclosing(p, t);
        let area_c = cw * ch;
        splat::<V>(1.0) - (iou - (area_c - iu.union) / (area_c + eps))
    }

    #[inline(always)]
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>) {
        let eps = splat::<V>(self.eps);
        let iu = TvInterUnion::new(p, t);
        let den_u = iu.union + eps;
        let iou = iu.inter / den_u;
        let (cw, ch) = enclosing(p, t);
        let area_c = cw * ch;
        let den_c = area_c + eps;
        let q = (area_c - iu.union) / den_c;
        // l = 1 − (iou − q): ∂iou = −g, ∂q = g.
        let (g_num, g_den_c) = div_grad(q, den_c, g);
        let g_area_c = g_num + g_den_c;
        let (g_inter, g_den_u) = div_grad(iou, den_u, -g);
        let g_union = g_den_u - g_num;
        let (mut gp, mut gt) = (Boxes::zero(), Boxes::zero());
        enclosing_grad(p, t, g_area_c * ch, g_area_c * cw, &mut gp, &mut gt);
        iu.backward(p, t, g_inter, g_union, &mut gp, &mut gt);
        (gp, gt)
    }
}
