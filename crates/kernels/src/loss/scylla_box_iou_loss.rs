//! SIoU (SCYLLA-IoU, Gevorgyan 2022) with mmdetection 3.x's `siou_loss` semantics
//! (mmdet/models/losses/iou_loss.py, adapted there from YOLOv6), per box pair in corner form:
//! - `iou = overlap/(union + eps)` on mmdetection's clamped overlap;
//! - `cw, ch = clamp(enclosing sides, min = eps)`; `h = y2 − y1 + eps` for both boxes;
//! - `s_cw = (x1t + x2t − x1p − x2p)/2 + eps` (likewise `s_ch`), `σ = √(s_cw² + s_ch²)`,
//!   `sin α = |s_cw|/σ`, or `|s_ch|/σ` where that one exceeds √2/2;
//! - angle cost `Λ = cos(2·asin(sin α) − π/2)`, computed as `2·s·√(1 − s²)` (the same
//!   function; `s ≤ √2/2` here, far from asin's singularity);
//! - distance cost `Δ = 2 − e^{γρx} − e^{γρy}`, `ρx = (s_cw/cw)²`, `γ = 2 − Λ` (YOLOv6's code,
//!   the default) or `Λ − 2` (`neg_gamma`, the paper's sign);
//! - shape cost `Ω = (1 − e^{−ωw})⁴ + (1 − e^{−ωh})⁴`, `ωw = |w_p − w_t|/max(w_p, w_t)`;
//! - `l = 1 − clamp(iou − (Δ + Ω)/2, −1, 1)`.
//!
//! Two boxes of zero width both give `ωw = 0/0`: NaN, as mmdetection.

use crate::boxes::{div_grad, max_grad, min_grad, sign, splat, BoxLoss, Boxes, MmOverlap};
use crate::math::exp;
use crate::simd::Vector;

pub struct ScyllaBoxIouLoss {
    pub eps: f64,
    /// The paper's sign of γ (`Λ − 2`) instead of YOLOv6's (`2 − Λ`).
    pub neg_gamma: bool,
}

/// `√2/2`: Python's `pow(2, 0.5) / 2` is this double.
const THRESHOLD: f64 = core::f64::consts::FRAC_1_SQRT_2;

struct Terms<V: Vector> {
    o: MmOverlap<V>,
    union: V,
    iou: V,
    cw_raw: V,
    ch_raw: V,
    cw: V,
    ch: V,
    s_cw: V,
    s_ch: V,
    sigma: V,
    pick_h: V::Mask,
    s: V,
    root: V,
    gamma: V,
    rx: V,
    ry: V,
    ex: V,
    ey: V,
    ow: V,
    oh: V,
    mw: V,
    mh: V,
    dw: V,
    dh: V,
    uw: V,
    uh: V,
    ew: V,
    eh: V,
    siou: V,
}

impl ScyllaBoxIouLoss {
    #[inline(always)]
    fn terms<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> Terms<V> {
        let eps = splat::<V>(self.eps);
        let one = splat::<V>(1.0);
        let two = splat::<V>(2.0);
        let half = splat::<V>(0.5);
        let o = MmOverlap::new(p, t);
        let union = ((o.area_p + o.area_t) - o.overlap) + eps;
        let iou = o.overlap / union;
        // pmax/pmin: see crate::boxes::enclosing (NaN reaches the loss through the areas).
        let cw_raw = p.x2.pmax(t.x2) - p.x1.pmin(t.x1);
        let ch_raw = p.y2.pmax(t.y2) - p.y1.pmin(t.y1);
        let (cw, ch) = (cw_raw.pmax(eps), ch_raw.pmax(eps));
        let s_cw = (((t.x1 + t.x2) - p.x1) - p.x2) * half + eps;
        let s_ch = (((t.y1 + t.y2) - p.y1) - p.y2) * half + eps;
        let sigma = (s_cw * s_cw + s_ch * s_ch).sqrt();
        let (sa1, sa2) = (s_cw.abs() / sigma, s_ch.abs() / sigma);
        let pick_h = sa1.gt(splat(THRESHOLD));
        let s = V::select(pick_h, sa2, sa1);
        let root = (one - s * s).sqrt();
        let angle = two * s * root;
        let gamma = if self.neg_gamma {
            angle - two
        } else {
            two - angle
        };
        let (rx, ry) = (s_cw / cw, s_ch / ch);
        let ex = exp(gamma * (rx * rx));
        let ey = exp(gamma * (ry * ry));
        let distance = (two - ex) - ey;
        // Widths; heights carry +eps.
        let (wp, wt) = (o.wp, o.wt);
        let (hp, ht) = (o.hp + eps, o.ht + eps);
        let (dw, dh) = (wp - wt, hp - ht);
        let (mw, mh) = (wp.pmax(wt), hp.pmax(ht));
        let (ow, oh) = (dw.abs() / mw, dh.abs() / mh);
        let (ew, eh) = (exp(-ow), exp(-oh));
        let (uw, uh) = (one - ew, one - eh);
        let shape = (uw * uw) * (uw * uw) + (uh * uh) * (uh * uh);
        let siou = iou - half * (distance + shape);
        Terms {
            o,
            union,
            iou,
            cw_raw,
            ch_raw,
            cw,
            ch,
            s_cw,
            s_ch,
            sigma,
            pick_h,
            s,
            root,
            gamma,
            rx,
            ry,
            ex,
            ey,
            ow,
            oh,
            mw,
            mh,
            dw,
            dh,
            uw,
            uh,
            ew,
            eh,
            siou,
        }
    }
}

impl BoxLoss for ScyllaBoxIouLoss {
    #[inline(always)]
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V {
        let k = self.terms(p, t);
        let one = splat::<V>(1.0);
        // clamp(−1, 1); pmax/pmin keep a NaN `siou`.
        one - k.siou.pmax(-one).pmin(one)
    }

    #[inline(always)]
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>) {
        let k = self.terms(p, t);
        let eps = splat::<V>(self.eps);
        let zero = splat::<V>(0.0);
        let one = splat::<V>(1.0);
        let two = splat::<V>(2.0);
        let half = splat::<V>(0.5);
        let (mut gp, mut gt) = (Boxes::zero(), Boxes::zero());
        // l = 1 − clamp(siou, −1, 1): the gradient passes inside the bounds, inclusive.
        let inside = V::mask_and(k.siou.ge(-one), k.siou.le(one));
        let g_siou = V::select(inside, -g, zero);
        // siou = iou − 0.5·(Δ + Ω).
        let g_cost = -(g_siou * half);
        // Ω: (1 − e^{−ω})⁴, pow's backward g·(4·u³).
        let g_uw = g_cost * (splat::<V>(4.0) * (k.uw * k.uw * k.uw));
        let g_uh = g_cost * (splat::<V>(4.0) * (k.uh * k.uh * k.uh));
        let g_ow = -(-g_uw * k.ew);
        let g_oh = -(-g_uh * k.eh);
        let (g_aw, g_mw) = div_grad(k.ow, k.mw, g_ow);
        let (g_ah, g_mh) = div_grad(k.oh, k.mh, g_oh);
        let g_dw = g_aw * sign(k.dw);
        let g_dh = g_ah * sign(k.dh);
        let (g_wp_m, g_wt_m) = max_grad(k.o.wp, k.o.wt, g_mw);
        let (g_hp_m, g_ht_m) = max_grad(k.o.hp + eps, k.o.ht + eps, g_mh);
        let (g_wp, g_wt) = (g_dw + g_wp_m, g_wt_m - g_dw);
        let (g_hp, g_ht) = (g_dh + g_hp_m, g_ht_m - g_dh);
        gp.x2 = gp.x2 + g_wp;
        gp.x1 = gp.x1 - g_wp;
        gt.x2 = gt.x2 + g_wt;
        gt.x1 = gt.x1 - g_wt;
        gp.y2 = gp.y2 + g_hp;
        gp.y1 = gp.y1 - g_hp;
        gt.y2 = gt.y2 + g_ht;
        gt.y1 = gt.y1 - g_ht;
        // Δ = 2 − e^{γρx} − e^{γρy}.
        let g_argx = -g_cost * k.ex;
        let g_argy = -g_cost * k.ey;
        let (rx2, ry2) = (k.rx * k.rx, k.ry * k.ry);
        let g_gamma = g_argx * rx2 + g_argy * ry2;
        let g_rx = (g_argx * k.gamma) * (two * k.rx);
        let g_ry = (g_argy * k.gamma) * (two * k.ry);
        let (mut g_scw, g_cw) = div_grad(k.rx, k.cw, g_rx);
        let (mut g_sch, g_ch) = div_grad(k.ry, k.ch, g_ry);
        // cw = clamp(enclosing width, min = eps).
        let g_cw = V::select(k.cw_raw.ge(eps), g_cw, zero);
        let g_ch = V::select(k.ch_raw.ge(eps), g_ch, zero);
        let (a, b) = max_grad(p.x2, t.x2, g_cw);
        gp.x2 = gp.x2 + a;
        gt.x2 = gt.x2 + b;
        let (a, b) = min_grad(p.x1, t.x1, -g_cw);
        gp.x1 = gp.x1 + a;
        gt.x1 = gt.x1 + b;
        let (a, b) = max_grad(p.y2, t.y2, g_ch);
        gp.y2 = gp.y2 + a;
        gt.y2 = gt.y2 + b;
        let (a, b) = min_grad(p.y1, t.y1, -g_ch);
        gp.y1 = gp.y1 + a;
        gt.y1 = gt.y1 + b;
        // γ = ±(2 − Λ), Λ = 2·s·√(1 − s²): dΛ/ds = 2·(1 − 2s²)/√(1 − s²).
        let g_angle = if self.neg_gamma { g_gamma } else { -g_gamma };
        let g_s = g_angle * ((two * (one - two * (k.s * k.s))) / k.root);
        let g_sa1 = V::select(k.pick_h, zero, g_s);
        let g_sa2 = V::select(k.pick_h, g_s, zero);
        let (sa1, sa2) = (k.s_cw.abs() / k.sigma, k.s_ch.abs() / k.sigma);
        let (g_abs1, g_sig1) = div_grad(sa1, k.sigma, g_sa1);
        let (g_abs2, g_sig2) = div_grad(sa2, k.sigma, g_sa2);
        let g_sigma = g_sig1 + g_sig2;
        // σ = (s_cw² + s_ch²)^0.5: pow's backward g·(0.5·x^−0.5).
        let g_sq = g_sigma * (half / k.sigma);
        g_scw = g_scw + g_abs1 * sign(k.s_cw) + g_sq * (two * k.s_cw);
        g_sch = g_sch + g_abs2 * sign(k.s_ch) + g_sq * (two * k.s_ch);
        // s_cw = (x1t + x2t − x1p − x2p)·0.5 + eps.
        let (hx, hy) = (g_scw * half, g_sch * half);
        gt.x1 = gt.x1 + hx;
        gt.x2 = gt.x2 + hx;
        gp.x1 = gp.x1 - hx;
        gp.x2 = gp.x2 - hx;
        gt.y1 = gt.y1 + hy;
        gt.y2 = gt.y2 + hy;
        gp.y1 = gp.y1 - hy;
        gp.y2 = gp.y2 - hy;
        // iou = overlap/(area_p + area_t − overlap + eps).
        let (g_overlap, g_union) = div_grad(k.iou, k.union, g_siou);
        k.o.backward(p, t, g_overlap - g_union, g_union, &mut gp, &mut gt);
        (gp, gt)
    }
}
