//! `torchvision.ops.distance_box_iou_loss` (0.14), per box pair in corner form:
//! `l = 1 − iou + ρ²/(cw² + ch² + eps)`, `iou = I/(U + eps)` (torchvision's intersection and
//! union, see [`super::generalized_box_iou_loss`]), `ρ²` the squared distance of the centres
//! `((x1 + x2)/2, (y1 + y2)/2)`, `cw`, `ch` the enclosing box's sides (not clamped). Also the
//! first part of [`super::complete_box_iou_loss`].

use crate::boxes::{div_grad, enclosing, enclosing_grad, splat, BoxLoss, Boxes, TvInterUnion};
use crate::simd::Vector;

pub struct DistanceBoxIouLoss {
    pub eps: f64,
}

/// The DIoU terms of a box pair, kept for the backward pass.
pub(crate) struct Diou<V: Vector> {
    pub iu: TvInterUnion<V>,
    pub den_u: V,
    pub iou: V,
    pub cw: V,
    pub ch: V,
    pub diag: V,
    pub dx: V,
    pub dy: V,
    pub dist: V,
    pub loss: V,
}

impl<V: Vector> Diou<V> {
    #[inline(always)]
    pub fn new(p: &Boxes<V>, t: &Boxes<V>, eps: f64) -> Self {
        let eps = splat::<V>(eps);
        let half = splat::<V>(0.5);
        let iu = TvInterUnion::new(p, t);
        let den_u = iu.union + eps;
        let iou = iu.inter / den_u;
        let (cw, ch) = enclosing(p, t);
        let diag = (cw * cw + ch * ch) + eps;
        // (x2 + x1)/2 − (x1g + x2g)/2, as torchvision (halving is exact).
        let dx = (p.x2 + p.x1) * half - (t.x1 + t.x2) * half;
        let dy = (p.y2 + p.y1) * half - (t.y1 + t.y2) * half;
        let dist = dx * dx + dy * dy;
        let loss = (splat::<V>(1.0) - iou) + dist / diag;
        Diou {
            iu,
            den_u,
            iou,
            cw,
            ch,
            diag,
            dx,
            dy,
            dist,
            loss,
        }
    }

    /// Adds `g·∂loss` to `gp`, `gt`.
    #[inline(always)]
    pub fn backward(&self, p: &Boxes<V>, t: &Boxes<V>, g: V, gp: &mut Boxes<V>, gt: &mut Boxes<V>) {
        let two = splat::<V>(2.0);
        let half = splat::<V>(0.5);
        let (g_dist, g_diag) = div_grad(self.dist / self.diag, self.diag, g);
        // ρ² = dx² + dy²: pow's backward g·(2·dx); the halvings pass g/2 to each coordinate.
        let g_dx = (g_dist * (two * self.dx)) * half;
        let g_dy = (g_dist * (two * self.dy)) * half;
        gp.x1 = gp.x1 + g_dx;
        gp.x2 = gp.x2 + g_dx;
        gt.x1 = gt.x1 - g_dx;
        gt.x2 = gt.x2 - g_dx;
        gp.y1 = gp.y1 + g_dy;
        gp.y2 = gp.y2 + g_dy;
        gt.y1 = gt.y1 - g_dy;
        gt.y2 = gt.y2 - g_dy;
        let g_cw = g_diag * (two * self.cw);
        let g_ch = g_diag * (two * self.ch);
        enclosing_grad(p, t, g_cw, g_ch, gp, gt);
        let (g_inter, g_union) = div_grad(self.iou, self.den_u, -g);
        self.iu.backward(p, t, g_inter, g_union, gp, gt);
    }
}

impl BoxLoss for DistanceBoxIouLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V {
        Diou::new(p, t, self.eps).loss
    }

    #[inline(always)]
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>) {
        let (mut gp, mut gt) = (Boxes::zero(), Boxes::zero());
        Diou::new(p, t, self.eps).backward(p, t, g, &mut gp, &mut gt);
        (gp, gt)
    }
}
