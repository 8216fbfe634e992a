//! The IoU loss of mmdetection 3.x (`IoULoss`, `iou_loss` in mmdet/models/losses/iou_loss.py)
//! per box pair in corner form, on mmdetection's aligned overlap
//! (`bbox_overlaps(…, is_aligned=True)`, mmdet/structures/bbox/bbox_overlaps.py):
//! `iou = overlap / max(union, 1e-6)` with `overlap = clamp(min x2 − max x1, 0)·clamp(…, 0)`
//! and `union = area_p + area_t − overlap`, then `ic = clamp(iou, min = eps)` and
//! - linear: `1 − ic`; square: `1 − ic²`; log (UnitBox): `−ln ic`.
//!
//! `max(union, 1e-6)` is `torch.max` against a tensor: half the gradient at a tie.

use crate::boxes::{clamp_min_grad, div_grad, max_grad, splat, BoxLoss, Boxes, MmOverlap};
use crate::math::ln;
use crate::simd::Vector;

/// How the clamped IoU becomes a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IouMode {
    Linear,
    Square,
    Log,
}

impl IouMode {
    pub fn from_code(c: f64) -> Option<Self> {
        match c {
            0.0 => Some(Self::Linear),
            1.0 => Some(Self::Square),
            2.0 => Some(Self::Log),
            _ => None,
        }
    }
}

/// `bbox_overlaps`'s own floor on the union (its `eps` argument, left at its default).
const UNION_FLOOR: f64 = 1e-6;

pub struct BoxIouLoss {
    pub mode: IouMode,
    /// The clamp of the IoU (mmdetection's loss `eps`).
    pub eps: f64,
}

impl BoxIouLoss {
    #[inline(always)]
    fn iou<V: Vector>(o: &MmOverlap<V>) -> (V, V, V) {
        let union = (o.area_p + o.area_t) - o.overlap;
        let floored = union.pmax(splat(UNION_FLOOR));
        (union, floored, o.overlap / floored)
    }
}

impl BoxLoss for BoxIouLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V {
        let (_, _, iou) = Self::iou(&MmOverlap::new(p, t));
        let ic = iou.pmax(splat(self.eps));
        let one = splat::<V>(1.0);
        match self.mode {
            IouMode::Linear => one - ic,
            IouMode::Square => one - ic * ic,
            IouMode::Log => -ln(ic),
        }
    }

    #[inline(always)]
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>) {
        let o = MmOverlap::new(p, t);
        let (union, floored, iou) = Self::iou(&o);
        let eps = splat::<V>(self.eps);
        let ic = iou.pmax(eps);
        let g_ic = match self.mode {
            IouMode::Linear => -g,
            IouMode::Square => -(g * (splat::<V>(2.0) * ic)),
            IouMode::Log => -g / ic,
        };
        let g_iou = clamp_min_grad(iou, eps, g_ic);
        let (g_overlap, g_floored) = div_grad(iou, floored, g_iou);
        let (g_union, _) = max_grad(union, splat(UNION_FLOOR), g_floored);
        let (mut gp, mut gt) = (Boxes::zero(), Boxes::zero());
        o.backward(p, t, g_overlap - g_union, g_union, &mut gp, &mut gt);
        (gp, gt)
    }
}
