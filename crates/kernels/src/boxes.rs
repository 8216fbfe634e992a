//! Axis-aligned boxes: the formats, the driver of the per-box losses (IoU family), the
//! pairwise ops (`box_iou` …, torchvision 0.14), `box_area`, `box_convert`, and the vectorised
//! `atan` that CIoU needs.
//!
//! Layout: a box is 4 consecutive elements (a record), `n` boxes are `4n` elements. The
//! kernels run on lanes of boxes: [`Transpose4::load4`] turns `LANES` records into one vector
//! per component, so every formula below is lane-wise, one box per lane.
//!
//! Gradients mirror PyTorch's autograd op by op (the golden tests hold lossfn to torchvision's
//! and mmdetection's results, degenerate boxes included): `torch.max`/`torch.min` of two
//! tensors split the gradient in half at ties ([`max_grad`], [`min_grad`]), `clamp` passes it
//! where the input is inside the bounds *inclusive* and blocks it at NaN, a division
//! `a / b` sends `g / b` to `a` and `−g·((a / b) / b)` to `b`, and so on. NaN in, NaN out.

use crate::driver::{Sum, Upstream, FLUSH_VECTORS};
use crate::simd::transpose::Transpose4;
use crate::simd::{Element, Vector};

#[inline(always)]
pub(crate) fn splat<V: Vector>(c: f64) -> V {
    crate::simd::constant(c)
}

/// The per-precision constant: `c32` in f32 vectors, `c64` in f64 vectors.
#[inline(always)]
fn pick<V: Vector>(c32: f32, c64: f64) -> V {
    splat(if V::Elem::MANTISSA_DIGITS > 24 {
        c64
    } else {
        c32 as f64
    })
}

// ---------------------------------------------------------------------------------------------
// Formats.

/// The box formats of `torchvision.ops.box_convert`, with the ABI's codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoxFormat {
    /// `(x1, y1, x2, y2)`: corners.
    Xyxy = 0,
    /// `(x1, y1, w, h)`: top-left corner and size.
    Xywh = 1,
    /// `(cx, cy, w, h)`: centre and size.
    Cxcywh = 2,
}

impl BoxFormat {
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            0 => Some(Self::Xyxy),
            1 => Some(Self::Xywh),
            2 => Some(Self::Cxcywh),
            _ => None,
        }
    }

    /// The boxes in corner form, as torchvision's `_box_xywh_to_xyxy` (`x2 = x + w`) and
    /// `_box_cxcywh_to_xyxy` (`x1 = cx − 0.5·w`, `x2 = cx + 0.5·w`) compute them.
    #[inline(always)]
    pub fn to_xyxy<V: Vector>(self, [a, b, c, d]: [V; 4]) -> Boxes<V> {
        match self {
            Self::Xyxy => Boxes {
                x1: a,
                y1: b,
                x2: c,
                y2: d,
            },
            Self::Xywh => Boxes {
                x1: a,
                y1: b,
                x2: a + c,
                y2: b + d,
            },
            Self::Cxcywh => {
                let (hw, hh) = (splat::<V>(0.5) * c, splat::<V>(0.5) * d);
                Boxes {
                    x1: a - hw,
                    y1: b - hh,
                    x2: a + hw,
                    y2: b + hh,
                }
            }
        }
    }

    /// Corner boxes in this format, as torchvision's `_box_xyxy_to_xywh` / `_box_xyxy_to_cxcywh`
    /// (`cx = (x1 + x2) / 2`, `w = x2 − x1`).
    #[inline(always)]
    pub fn from_xyxy<V: Vector>(self, b: Boxes<V>) -> [V; 4] {
        match self {
            Self::Xyxy => [b.x1, b.y1, b.x2, b.y2],
            Self::Xywh => [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1],
            Self::Cxcywh => {
                let half = splat::<V>(0.5);
                [
                    (b.x1 + b.x2) * half,
                    (b.y1 + b.y2) * half,
                    b.x2 - b.x1,
                    b.y2 - b.y1,
                ]
            }
        }
    }

    /// The chain rule back through [`BoxFormat::to_xyxy`]: corner gradients → gradients of
    /// this format's components (`∂x = ∂x1 + ∂x2`, `∂w = ∂x2` for xywh; `∂cx = ∂x1 + ∂x2`,
    /// `∂w = 0.5·∂x2 − 0.5·∂x1` for cxcywh).
    #[inline(always)]
    pub fn grad_from_xyxy<V: Vector>(self, g: Boxes<V>) -> [V; 4] {
        match self {
            Self::Xyxy => [g.x1, g.y1, g.x2, g.y2],
            Self::Xywh => [g.x1 + g.x2, g.y1 + g.y2, g.x2, g.y2],
            Self::Cxcywh => {
                let half = splat::<V>(0.5);
                [
                    g.x1 + g.x2,
                    g.y1 + g.y2,
                    g.x2 * half - g.x1 * half,
                    g.y2 * half - g.y1 * half,
                ]
            }
        }
    }
}

/// `LANES` boxes in corner form, one vector per component.
#[derive(Clone, Copy)]
pub struct Boxes<V> {
    pub x1: V,
    pub y1: V,
    pub x2: V,
    pub y2: V,
}

impl<V: Vector> Boxes<V> {
    pub fn zero() -> Self {
        let z = splat(0.0);
        Boxes {
            x1: z,
            y1: z,
            x2: z,
            y2: z,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gradients of the elementary ops, as PyTorch defines them.

/// `torch.maximum(a, b)`'s gradient `(to a, to b)` for upstream `g`: all of it to the larger
/// operand, half to each at a tie, all of it to *both* where either is NaN (no comparison
/// holds), as ATen's `at::where(a == b, g / 2, g).masked_fill_(a < b, 0)`.
#[inline(always)]
pub fn max_grad<V: Vector>(a: V, b: V, g: V) -> (V, V) {
    let zero = splat::<V>(0.0);
    let tie = a.eq(b);
    let half = g * splat(0.5);
    (
        V::select(tie, half, V::select(a.lt(b), zero, g)),
        V::select(tie, half, V::select(a.gt(b), zero, g)),
    )
}

/// `torch.minimum(a, b)`'s gradient, as [`max_grad`] with the comparisons swapped.
#[inline(always)]
pub fn min_grad<V: Vector>(a: V, b: V, g: V) -> (V, V) {
    let zero = splat::<V>(0.0);
    let tie = a.eq(b);
    let half = g * splat(0.5);
    (
        V::select(tie, half, V::select(a.gt(b), zero, g)),
        V::select(tie, half, V::select(a.lt(b), zero, g)),
    )
}

/// `a / b` and its reverse mode: `(g / b, −g·((a / b) / b))` (ATen's `div` backward).
#[inline(always)]
pub fn div_grad<V: Vector>(q: V, b: V, g: V) -> (V, V) {
    (g / b, -(g * (q / b)))
}

/// `torch.sign` as `abs`'s backward uses it: −1, 0 or 1, and 0 for NaN (PyTorch 1.13's CPU
/// sign is `(0 < x) − (x < 0)`), so `abs` passes no gradient at NaN.
#[inline(always)]
pub fn sign<V: Vector>(d: V) -> V {
    let one = splat::<V>(1.0);
    let zero = splat::<V>(0.0);
    V::select(d.gt(zero), one, V::select(d.lt(zero), -one, zero))
}

/// `clamp(x, min = lo)`'s gradient: `g` where `x ≥ lo` (the bound included), else 0 (NaN too).
#[inline(always)]
pub fn clamp_min_grad<V: Vector>(x: V, lo: V, g: V) -> V {
    V::select(x.ge(lo), g, splat(0.0))
}

/// Adds `g` to `(x1, x2)` of an interval's length `x2 − x1`: `(+g to x2, −g to x1)`.
#[inline(always)]
fn span_grad<V: Vector>(lo: &mut V, hi: &mut V, g: V) {
    *hi = *hi + g;
    *lo = *lo - g;
}

// ---------------------------------------------------------------------------------------------
// Intersections and unions.

/// torchvision's `_loss_inter_union` (ops/_utils.py): the intersection is
/// `(xk2 − xk1)·(yk2 − yk1)` where both are positive (strictly: touching boxes intersect in 0,
/// with no gradient), else 0; the union `area_p + area_t − inter`.
pub struct TvInterUnion<V: Vector> {
    pub xk1: V,
    pub yk1: V,
    pub xk2: V,
    pub yk2: V,
    pub mask: V::Mask,
    pub inter: V,
    pub union: V,
    /// Widths and heights of the two boxes (`x2 − x1`, `y2 − y1`).
    pub wp: V,
    pub hp: V,
    pub wt: V,
    pub ht: V,
}

impl<V: Vector> TvInterUnion<V> {
    #[inline(always)]
    pub fn new(p: &Boxes<V>, t: &Boxes<V>) -> Self {
        // pmax/pmin (one x64 instruction each in V8, where the NaN-propagating max/min take
        // about seven): they may drop a NaN operand here, but a NaN coordinate makes its box's
        // area, so the union and the loss, NaN anyway (see [`enclosing`]).
        let xk1 = p.x1.pmax(t.x1);
        let yk1 = p.y1.pmax(t.y1);
        let xk2 = p.x2.pmin(t.x2);
        let yk2 = p.y2.pmin(t.y2);
        let mask = V::mask_and(yk2.gt(yk1), xk2.gt(xk1));
        let inter = V::select(mask, (xk2 - xk1) * (yk2 - yk1), splat(0.0));
        let (wp, hp) = (p.x2 - p.x1, p.y2 - p.y1);
        let (wt, ht) = (t.x2 - t.x1, t.y2 - t.y1);
        let union = (wp * hp + wt * ht) - inter;
        TvInterUnion {
            xk1,
            yk1,
            xk2,
            yk2,
            mask,
            inter,
            union,
            wp,
            hp,
            wt,
            ht,
        }
    }

    /// Adds the gradients of `g_inter·inter + g_union·union` to `gp`, `gt`.
    #[inline(always)]
    pub fn backward(
        &self,
        p: &Boxes<V>,
        t: &Boxes<V>,
        g_inter: V,
        g_union: V,
        gp: &mut Boxes<V>,
        gt: &mut Boxes<V>,
    ) {
        // union = area_p + area_t − inter.
        areas_grad(self.wp, self.hp, g_union, gp);
        areas_grad(self.wt, self.ht, g_union, gt);
        let gi = g_inter - g_union;
        // inter[mask] = iw·ih: no gradient outside the mask (index_put).
        let zero = splat::<V>(0.0);
        let g_iw = V::select(self.mask, gi * (self.yk2 - self.yk1), zero);
        let g_ih = V::select(self.mask, gi * (self.xk2 - self.xk1), zero);
        corner_grads(p, t, g_iw, g_ih, gp, gt);
    }
}

/// `area = w·h` with `w = x2 − x1`, `h = y2 − y1`: adds `g·∂area` to the box's gradient.
#[inline(always)]
fn areas_grad<V: Vector>(w: V, h: V, g: V, gb: &mut Boxes<V>) {
    let (gw, gh) = (g * h, g * w);
    span_grad(&mut gb.x1, &mut gb.x2, gw);
    span_grad(&mut gb.y1, &mut gb.y2, gh);
}

/// The gradient of an overlap's sides `iw = min(x2, x2g) − max(x1, x1g)` and
/// `ih = min(y2, y2g) − max(y1, y1g)` (upstream `g_iw`, `g_ih`) back to the boxes.
#[inline(always)]
fn corner_grads<V: Vector>(
    p: &Boxes<V>,
    t: &Boxes<V>,
    g_iw: V,
    g_ih: V,
    gp: &mut Boxes<V>,
    gt: &mut Boxes<V>,
) {
    let (a, b) = min_grad(p.x2, t.x2, g_iw);
    gp.x2 = gp.x2 + a;
    gt.x2 = gt.x2 + b;
    let (a, b) = max_grad(p.x1, t.x1, -g_iw);
    gp.x1 = gp.x1 + a;
    gt.x1 = gt.x1 + b;
    let (a, b) = min_grad(p.y2, t.y2, g_ih);
    gp.y2 = gp.y2 + a;
    gt.y2 = gt.y2 + b;
    let (a, b) = max_grad(p.y1, t.y1, -g_ih);
    gp.y1 = gp.y1 + a;
    gt.y1 = gt.y1 + b;
}

/// The smallest enclosing box's sides, `cw = max(x2, x2g) − min(x1, x1g)` and `ch` (not
/// clamped), as torchvision's GIoU/DIoU losses compute them. With `pmax`/`pmin`, which may drop
/// a NaN operand: every loss also takes both boxes' areas `(x2 − x1)·(y2 − y1)`, through which
/// a NaN coordinate makes the result NaN, as torchvision's; the gradients' tie and NaN rules
/// ([`max_grad`]) compare the coordinates themselves.
#[inline(always)]
pub fn enclosing<V: Vector>(p: &Boxes<V>, t: &Boxes<V>) -> (V, V) {
    (
        p.x2.pmax(t.x2) - p.x1.pmin(t.x1),
        p.y2.pmax(t.y2) - p.y1.pmin(t.y1),
    )
}

/// The gradient of [`enclosing`]'s `(cw, ch)` (upstream `g_cw`, `g_ch`) back to the boxes.
#[inline(always)]
pub fn enclosing_grad<V: Vector>(
    p: &Boxes<V>,
    t: &Boxes<V>,
    g_cw: V,
    g_ch: V,
    gp: &mut Boxes<V>,
    gt: &mut Boxes<V>,
) {
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
}

/// mmdetection's aligned overlap (`bbox_overlaps(…, is_aligned=True)` and the losses that
/// inline it): `overlap = clamp(min(x2, x2g) − max(x1, x1g), 0)·clamp(…, 0)` — clamped, so at
/// exactly touching edges the gradient still flows — and the two areas.
pub struct MmOverlap<V> {
    pub dx: V,
    pub dy: V,
    pub w: V,
    pub h: V,
    pub overlap: V,
    pub wp: V,
    pub hp: V,
    pub wt: V,
    pub ht: V,
    pub area_p: V,
    pub area_t: V,
}

impl<V: Vector> MmOverlap<V> {
    #[inline(always)]
    pub fn new(p: &Boxes<V>, t: &Boxes<V>) -> Self {
        let zero = splat::<V>(0.0);
        // pmin/pmax as in [`TvInterUnion::new`]; the clamp `pmax(d, 0)` keeps a NaN `d`.
        let dx = p.x2.pmin(t.x2) - p.x1.pmax(t.x1);
        let dy = p.y2.pmin(t.y2) - p.y1.pmax(t.y1);
        let (w, h) = (dx.pmax(zero), dy.pmax(zero));
        let (wp, hp) = (p.x2 - p.x1, p.y2 - p.y1);
        let (wt, ht) = (t.x2 - t.x1, t.y2 - t.y1);
        MmOverlap {
            dx,
            dy,
            w,
            h,
            overlap: w * h,
            wp,
            hp,
            wt,
            ht,
            area_p: wp * hp,
            area_t: wt * ht,
        }
    }

    /// Adds the gradients of `g_overlap·overlap + g_area·(area_p + area_t)` to `gp`, `gt`.
    #[inline(always)]
    pub fn backward(
        &self,
        p: &Boxes<V>,
        t: &Boxes<V>,
        g_overlap: V,
        g_area: V,
        gp: &mut Boxes<V>,
        gt: &mut Boxes<V>,
    ) {
        areas_grad(self.wp, self.hp, g_area, gp);
        areas_grad(self.wt, self.ht, g_area, gt);
        let zero = splat::<V>(0.0);
        let g_dx = clamp_min_grad(self.dx, zero, g_overlap * self.h);
        let g_dy = clamp_min_grad(self.dy, zero, g_overlap * self.w);
        corner_grads(p, t, g_dx, g_dy, gp, gt);
    }
}

// ---------------------------------------------------------------------------------------------
// The per-box loss driver.

/// A loss of one predicted box against one target box (corner form), lane-wise.
pub trait BoxLoss {
    fn forward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>) -> V;
    /// `(g·∂l/∂p, g·∂l/∂t)` in corner form.
    fn backward<V: Vector>(&self, p: &Boxes<V>, t: &Boxes<V>, g: V) -> (Boxes<V>, Boxes<V>);
}

/// The first `k < LANES` records of `s` (from record `i`), padded with the unit box
/// `(0, 0, 1, 1)` (finite for every loss; padded lanes are never stored or summed).
#[inline(always)]
fn load_tail4<E: Transpose4>(s: &[E], i: usize, k: usize) -> [E::V; 4] {
    let mut buf = [E::default(); 16];
    for r in k..E::V::LANES {
        buf[4 * r + 2] = E::from_f64(1.0);
        buf[4 * r + 3] = E::from_f64(1.0);
    }
    buf[..4 * k].copy_from_slice(&s[4 * i..4 * (i + k)]);
    E::load4(&buf)
}

#[inline(always)]
fn store_tail4<E: Transpose4>(v: [E::V; 4], s: &mut [E], i: usize, k: usize) {
    let mut buf = [E::default(); 16];
    E::store4(v, &mut buf);
    s[4 * i..4 * (i + k)].copy_from_slice(&buf[..4 * k]);
}

/// Boxes per block of the format conversion (on the stack: 2 KiB of f32 per operand).
const BLOCK: usize = 64;

impl BoxFormat {
    /// [`BoxFormat::to_xyxy`] of one record, in the element type (the same arithmetic).
    #[inline(always)]
    fn record_to_xyxy<E: Element>(self, r: &[E]) -> [E; 4] {
        let (a, b, c, d) = (r[0], r[1], r[2], r[3]);
        let half = E::from_f64(0.5);
        match self {
            Self::Xyxy => [a, b, c, d],
            Self::Xywh => [a, b, a + c, b + d],
            Self::Cxcywh => [a - half * c, b - half * d, a + half * c, b + half * d],
        }
    }

    /// [`BoxFormat::grad_from_xyxy`] of one record.
    #[inline(always)]
    fn record_grad<E: Element>(self, g: &[E]) -> [E; 4] {
        let (a, b, c, d) = (g[0], g[1], g[2], g[3]);
        let half = E::from_f64(0.5);
        match self {
            Self::Xyxy => [a, b, c, d],
            Self::Xywh => [a + c, b + d, c, d],
            Self::Cxcywh => [a + c, b + d, c * half - a * half, d * half - b * half],
        }
    }

    /// Converts the records of `src` to corner form into `dst` (out of line: one copy per
    /// element type, not one per loss).
    #[inline(never)]
    fn convert_block<E: Element>(self, src: &[E], dst: &mut [E]) {
        for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
            d.copy_from_slice(&self.record_to_xyxy(s));
        }
    }

    /// [`BoxFormat::record_grad`] of the records of `src` into `dst` (out of line).
    #[inline(never)]
    fn grad_block<E: Element>(self, src: &[E], dst: &mut [E]) {
        for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
            d.copy_from_slice(&self.record_grad(s));
        }
    }
}

/// Runs `loss` over the `n = p.len() / 4` box pairs of `p` and `t` (records in `fmt`),
/// writing `out[i] = l_i` when `out` is given, and returns `Σ l_i` (blocked, compensated: see
/// [`crate::driver`]).
///
/// The loss body runs on corner boxes only (one copy of it in the module): other formats are
/// converted block by block (64 boxes) into a stack buffer first.
///
/// Panics if `t` (or `out`) is shorter than `p` needs (the wasm shim checks lengths first).
pub fn forward<E: Transpose4, L: BoxLoss>(
    loss: &L,
    fmt: BoxFormat,
    p: &[E],
    t: &[E],
    mut out: Option<&mut [E]>,
) -> f64 {
    let n = p.len() / 4;
    let (p, t) = (&p[..4 * n], &t[..4 * n]);
    let mut total = Sum::default();
    if fmt == BoxFormat::Xyxy {
        forward_xyxy(loss, p, t, out, &mut total);
        return total.value();
    }
    let (mut bp, mut bt) = ([E::default(); 4 * BLOCK], [E::default(); 4 * BLOCK]);
    for b0 in (0..n).step_by(BLOCK) {
        let k = (n - b0).min(BLOCK);
        let range = 4 * b0..4 * (b0 + k);
        fmt.convert_block(&p[range.clone()], &mut bp);
        fmt.convert_block(&t[range], &mut bt);
        let o = out.as_deref_mut().map(|o| &mut o[b0..b0 + k]);
        forward_xyxy(loss, &bp[..4 * k], &bt[..4 * k], o, &mut total);
    }
    total.value()
}

/// [`forward`] on corner boxes, adding `Σ l` into `total`: whole vectors in
/// [`forward_vectors`], then the tail (under `LANES` boxes) padded with unit boxes through the
/// same loop, its padding lanes left out of the sum.
fn forward_xyxy<E: Transpose4, L: BoxLoss>(
    loss: &L,
    p: &[E],
    t: &[E],
    out: Option<&mut [E]>,
    total: &mut Sum,
) {
    let lanes = E::V::LANES;
    let n = p.len() / 4;
    let whole = n - n % lanes;
    let (mut dummy, mut tail) = ([E::default(); 8], [E::default(); 8]);
    let (out_ptr, stride, out) = match out {
        Some(o) => (o.as_mut_ptr(), lanes, Some(o)),
        None => (dummy.as_mut_ptr(), 0, None),
    };
    // SAFETY: `whole` boxes of `p` and `t`, and `whole` outputs when `stride` is `lanes`
    // (`out` holds `n` ≥ `whole`); with stride 0 every store goes to `dummy` (one vector).
    unsafe {
        forward_vectors(
            loss,
            &p[..4 * whole],
            &t[..4 * whole],
            out_ptr,
            stride,
            total,
        )
    };
    let k = n - whole;
    if k > 0 {
        let (bp, bt) = (pad_records(p, whole, k), pad_records(t, whole, k));
        let mut ignored = Sum::default();
        // SAFETY: one vector of boxes in `bp`, `bt`, one vector of outputs in `tail`.
        unsafe {
            forward_vectors(
                loss,
                &bp[..4 * lanes],
                &bt[..4 * lanes],
                tail.as_mut_ptr(),
                lanes,
                &mut ignored,
            )
        };
        for &l in &tail[..k] {
            total.add(l.to_f64());
        }
        if let Some(o) = out {
            o[whole..n].copy_from_slice(&tail[..k]);
        }
    }
}

/// The loss body over whole vectors of boxes: `Σ l` into `total`, and each vector of losses
/// stored at `out + i·stride` (stride `LANES`: the output; stride 0: a one-vector dummy, so
/// that storing or not is no branch and the loop is not duplicated for it).
///
/// # Safety
/// `out` is valid for writing `LANES` elements at every `i·stride`, `i < p.len() / (4·LANES)`.
#[inline(never)]
unsafe fn forward_vectors<E: Transpose4, L: BoxLoss>(
    loss: &L,
    p: &[E],
    t: &[E],
    out: *mut E,
    stride: usize,
    total: &mut Sum,
) {
    let lanes = E::V::LANES;
    let zero = E::V::splat(E::default());
    let mut acc = zero;
    let mut count = 0;
    for (i, (pc, tc)) in p
        .chunks_exact(4 * lanes)
        .zip(t.chunks_exact(4 * lanes))
        .enumerate()
    {
        let l = loss.forward(&corners(E::load4(pc)), &corners(E::load4(tc)));
        // SAFETY: per the function's contract.
        unsafe { l.store_ptr(out.add(i * stride)) };
        acc = acc + l;
        count += 1;
        if count == FLUSH_VECTORS {
            total.add(acc.sum_f64());
            (acc, count) = (zero, 0);
        }
    }
    total.add(acc.sum_f64());
}

/// Records `i .. i + k` of `s` (`k < LANES`) followed by unit boxes `(0, 0, 1, 1)` (finite for
/// every loss; their lanes are never stored or summed), one vector's worth.
fn pad_records<E: Transpose4>(s: &[E], i: usize, k: usize) -> [E; 16] {
    let mut buf = [E::default(); 16];
    for r in k..E::V::LANES {
        buf[4 * r + 2] = E::from_f64(1.0);
        buf[4 * r + 3] = E::from_f64(1.0);
    }
    buf[..4 * k].copy_from_slice(&s[4 * i..4 * (i + k)]);
    buf
}

#[inline(always)]
fn corners<V: Vector>([x1, y1, x2, y2]: [V; 4]) -> Boxes<V> {
    Boxes { x1, y1, x2, y2 }
}

#[inline(always)]
fn components<V: Vector>(b: Boxes<V>) -> [V; 4] {
    [b.x1, b.y1, b.x2, b.y2]
}

/// Writes `g_i·∂l_i/∂p_i` into `gp` and `g_i·∂l_i/∂t_i` into `gt` (records in `fmt`, so the
/// chain rule runs back through the conversion) for each output that is given.
///
/// Panics if an operand or output is shorter than `p` (the wasm shim checks lengths first).
pub fn backward<E: Transpose4, L: BoxLoss>(
    loss: &L,
    fmt: BoxFormat,
    p: &[E],
    t: &[E],
    g: Upstream<'_, E>,
    mut gp: Option<&mut [E]>,
    mut gt: Option<&mut [E]>,
) {
    let n = p.len() / 4;
    let (p, t) = (&p[..4 * n], &t[..4 * n]);
    let (gs, scale) = match g {
        Upstream::Scalar(s) => (None, s),
        Upstream::PerElement(s, k) => (Some(&s[..n]), k),
    };
    if fmt == BoxFormat::Xyxy {
        backward_xyxy(loss, p, t, gs, scale, gp, gt);
        return;
    }
    let (mut bp, mut bt) = ([E::default(); 4 * BLOCK], [E::default(); 4 * BLOCK]);
    let (mut dp, mut dt) = ([E::default(); 4 * BLOCK], [E::default(); 4 * BLOCK]);
    for b0 in (0..n).step_by(BLOCK) {
        let k = (n - b0).min(BLOCK);
        let range = 4 * b0..4 * (b0 + k);
        fmt.convert_block(&p[range.clone()], &mut bp);
        fmt.convert_block(&t[range.clone()], &mut bt);
        let gb = gs.map(|s| &s[b0..b0 + k]);
        let want = (gp.is_some(), gt.is_some());
        let dpo = want.0.then_some(&mut dp[..4 * k]);
        let dto = want.1.then_some(&mut dt[..4 * k]);
        backward_xyxy(loss, &bp[..4 * k], &bt[..4 * k], gb, scale, dpo, dto);
        for (d, out) in [(&dp, gp.as_deref_mut()), (&dt, gt.as_deref_mut())] {
            if let Some(o) = out {
                fmt.grad_block(&d[..4 * k], &mut o[range.clone()]);
            }
        }
    }
}

/// [`backward`] on corner boxes: whole vectors in [`backward_vectors`], then the padded tail.
fn backward_xyxy<E: Transpose4, L: BoxLoss>(
    loss: &L,
    p: &[E],
    t: &[E],
    gs: Option<&[E]>,
    scale: E,
    mut gp: Option<&mut [E]>,
    mut gt: Option<&mut [E]>,
) {
    let lanes = E::V::LANES;
    let n = p.len() / 4;
    let whole = n - n % lanes;
    let (mut dp, mut dt) = ([E::default(); 16], [E::default(); 16]);
    let (gp_ptr, sp) = match gp.as_deref_mut() {
        Some(o) => (o.as_mut_ptr(), 4 * lanes),
        None => (dp.as_mut_ptr(), 0),
    };
    let (gt_ptr, st) = match gt.as_deref_mut() {
        Some(o) => (o.as_mut_ptr(), 4 * lanes),
        None => (dt.as_mut_ptr(), 0),
    };
    let gw = gs.map(|g| &g[..whole]);
    // SAFETY: `whole` boxes of each operand, `whole` upstream values; the gradient pointers
    // come from the outputs (`4n` elements, written through no other reference meanwhile) or
    // point at a one-vector dummy with stride 0.
    unsafe {
        backward_vectors(
            loss,
            &p[..4 * whole],
            &t[..4 * whole],
            gw,
            scale,
            gp_ptr,
            sp,
            gt_ptr,
            st,
        )
    };
    let k = n - whole;
    if k > 0 {
        let (bp, bt) = (pad_records(p, whole, k), pad_records(t, whole, k));
        let mut bg = [E::default(); 8];
        if let Some(g) = gs {
            bg[..k].copy_from_slice(&g[whole..n]);
        }
        // SAFETY: one vector of boxes and upstream values, one vector of records in dp, dt.
        unsafe {
            backward_vectors(
                loss,
                &bp[..4 * lanes],
                &bt[..4 * lanes],
                gs.map(|_| &bg[..lanes]),
                scale,
                dp.as_mut_ptr(),
                4 * lanes,
                dt.as_mut_ptr(),
                4 * lanes,
            )
        };
        for (d, out) in [(&dp, gp), (&dt, gt)] {
            if let Some(o) = out {
                o[4 * whole..4 * n].copy_from_slice(&d[..4 * k]);
            }
        }
    }
}

/// The loss's backward over whole vectors of boxes, each vector of gradient records stored
/// at `gp + i·sp` and `gt + i·st` (stride `4·LANES` into an output, or 0 into a dummy).
///
/// # Safety
/// `gp`, `gt` are valid for writing `4·LANES` elements at every `i·stride`,
/// `i < p.len() / (4·LANES)`, and alias nothing else in use.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
unsafe fn backward_vectors<E: Transpose4, L: BoxLoss>(
    loss: &L,
    p: &[E],
    t: &[E],
    gs: Option<&[E]>,
    scale: E,
    gp: *mut E,
    sp: usize,
    gt: *mut E,
    st: usize,
) {
    let lanes = E::V::LANES;
    let scale_v = E::V::splat(scale);
    // The upstream gradient: per box (stride LANES), or the scalar times ones (stride 0), so
    // that the loop has one body and no branch.
    let ones = [E::from_f64(1.0); 8];
    let (g, gstride) = match gs {
        Some(g) => (g, lanes),
        None => (&ones[..lanes], 0),
    };
    for (i, (pc, tc)) in p
        .chunks_exact(4 * lanes)
        .zip(t.chunks_exact(4 * lanes))
        .enumerate()
    {
        let gv = E::V::load(&g[i * gstride..]) * scale_v;
        let (dp, dt) = loss.backward(&corners(E::load4(pc)), &corners(E::load4(tc)), gv);
        // SAFETY: per the function's contract.
        unsafe {
            E::store4(
                components(dp),
                core::slice::from_raw_parts_mut(gp.add(i * sp), 4 * lanes),
            );
            E::store4(
                components(dt),
                core::slice::from_raw_parts_mut(gt.add(i * st), 4 * lanes),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// atan.

/// `tan(π/16)` and `tan(3π/16)`, rounded: where [`atan`] switches reduction centre.
const ATAN_SPLIT_F32: (f32, f32) = (0.198_912_37, 0.668_178_6);
const ATAN_SPLIT_F64: (f64, f64) = (0.198_912_367_379_658, 0.668_178_637_919_298_9);
/// `tan(π/8)` rounded to the precision: the middle reduction centre.
const ATAN_T1_F32: f32 = 0.414_213_57;
const ATAN_T1_F64: f64 = 0.414_213_562_373_095_03;
/// `atan(t)` (and `π/2 − atan(t)`) for the three centres `t ∈ {0, t1, 1}` as hi + lo pairs,
/// `[k][inverted] = (hi, lo)`: exact to twice the precision for the rounded `t1` (mpmath).
const ATAN_BASE_F32: [[(f32, f32); 2]; 3] = [
    [(0.0, 0.0), (core::f32::consts::FRAC_PI_2, -4.371_139e-8)],
    [
        (core::f32::consts::FRAC_PI_8, -6.148_727e-9),
        (1.178_097_2, -7.760_341e-9),
    ],
    [
        (core::f32::consts::FRAC_PI_4, -2.185_569_4e-8),
        (core::f32::consts::FRAC_PI_4, -2.185_569_4e-8),
    ],
];
const ATAN_BASE_F64: [[(f64, f64); 2]; 3] = [
    [
        (0.0, 0.0),
        (core::f64::consts::FRAC_PI_2, 6.123_233_995_736_766e-17),
    ],
    [
        (core::f64::consts::FRAC_PI_8, 3.060_132_146_563_891e-18),
        (1.178_097_245_096_172_4, 5.817_220_781_080_377e-17),
    ],
    [
        (core::f64::consts::FRAC_PI_4, 3.061_616_997_868_383e-17),
        (core::f64::consts::FRAC_PI_4, 3.061_616_997_868_383e-17),
    ],
];
/// `atan(w) = w + w·z·P(z)`, `z = w²`, `|w| ≤ tan(π/16)`: coefficients of `P`, lowest first.
/// Minimax for the relative error of atan (Remez exchange in mpmath at 60 digits,
/// scripts/fit_atan.py): 2^-27.9 (f32, degree 2), 2^-62.5 (f64, degree 7), far below the
/// rounding error of the evaluation.
const ATAN_P_F32: [f32; 3] = [-0.333_332_12, 0.199_805_23, -0.134_449_15];
const ATAN_P_F64: [f64; 8] = [
    -0.333_333_333_333_333_2,
    0.199_999_999_999_856_76,
    -0.142_857_142_811_082_3,
    0.111_111_104_384_940_72,
    -0.090_908_564_667_215_06,
    0.076_899_480_644_973_03,
    -0.066_056_593_862_752_92,
    0.050_276_877_812_922_546,
];

/// Horner's rule in `z` over `c` (lowest first).
#[inline(always)]
fn horner<V: Vector, T: Copy + Into<f64>>(z: V, c: &[T]) -> V {
    let mut acc = splat::<V>(c[c.len() - 1].into());
    for &k in c[..c.len() - 1].iter().rev() {
        acc = acc * z + splat::<V>(k.into());
    }
    acc
}

/// atan(x), lane-wise.
///
/// Method: `u = |x|`, or `1/|x|` above 1 (then `atan = π/2 − atan(u)`); `u` is reduced to
/// `w = (u − t)/(1 + t·u)`, `|w| ≤ tan(π/16)`, around the nearest of `t ∈ {0, tan(π/8), 1}`
/// (`u − t` is exact there); `atan(w) = w + w·z·P(z)` with a minimax `P`; the result is
/// `base + (±atan(w) + base_lo)` with `base = atan(t)` or `π/2 − atan(t)` as a hi + lo pair,
/// so the large term is exact. Sign restored with copysign (−0 → −0); ±inf → ±π/2, NaN → NaN.
///
/// Measured max error (the test below: dense grids around the reduction boundaries and 200k
/// random magnitudes over e^±20): f32 1.89 ulp against f64's atan (just above tan(π/16),
/// where the result ≈ π/8 + atan(w) ≈ |w| inherits w's rounding), f64 2.00 ulp against
/// std's. Asserted: f32 ≤ 2, f64 ≤ 2.5.
#[inline]
pub fn atan<V: Vector>(x: V) -> V {
    let wide = V::Elem::MANTISSA_DIGITS > 24;
    let one = splat::<V>(1.0);
    let a = x.abs();
    let inv = a.gt(one);
    let u = V::select(inv, one / a, a);
    let (s1, s2) = (
        pick::<V>(ATAN_SPLIT_F32.0, ATAN_SPLIT_F64.0),
        pick::<V>(ATAN_SPLIT_F32.1, ATAN_SPLIT_F64.1),
    );
    let (k1, k2) = (u.gt(s1), u.gt(s2));
    let t = V::select(
        k2,
        one,
        V::select(k1, pick(ATAN_T1_F32, ATAN_T1_F64), splat(0.0)),
    );
    let w = (u - t) / (one + t * u);
    let z = w * w;
    let p = if wide {
        horner(z, &ATAN_P_F64)
    } else {
        horner(z, &ATAN_P_F32)
    };
    let at = w + (w * z) * p;
    // The base for centre k (and inversion), hi or lo part, selected per lane.
    let c = |k: usize, inverted: usize, lo: bool| -> V {
        let (h32, l32) = ATAN_BASE_F32[k][inverted];
        let (h64, l64) = ATAN_BASE_F64[k][inverted];
        if lo {
            pick(l32, l64)
        } else {
            pick(h32, h64)
        }
    };
    let by_k = |inverted: usize, lo: bool| {
        V::select(
            k2,
            c(2, inverted, lo),
            V::select(k1, c(1, inverted, lo), c(0, inverted, lo)),
        )
    };
    let hi = V::select(inv, by_k(1, false), by_k(0, false));
    let lo = V::select(inv, by_k(1, true), by_k(0, true));
    let r = hi + (V::select(inv, -at, at) + lo);
    r.copysign(x)
}

// ---------------------------------------------------------------------------------------------
// Pairwise ops (torchvision 0.14 `box_iou`, `generalized_box_iou`, `distance_box_iou`,
// `complete_box_iou`), `box_area`, `box_convert`.

/// Which pairwise matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairwise {
    Iou,
    Giou,
    Diou,
    Ciou,
}

/// `4/π²`, CIoU's aspect-ratio factor.
pub const CIOU_FACTOR: f64 = 4.0 / (core::f64::consts::PI * core::f64::consts::PI);

/// Per-box quantities of one side of a pairwise op, components in separate arrays (lanes).
struct Soa<E> {
    x1: Vec<E>,
    y1: Vec<E>,
    x2: Vec<E>,
    y2: Vec<E>,
    area: Vec<E>,
    cx: Vec<E>,
    cy: Vec<E>,
    /// `atan(w / h)` (CIoU only).
    ratio: Vec<E>,
}

impl<E: Transpose4> Soa<E> {
    /// The records of `b` (xyxy), padded with unit boxes to a whole number of vectors.
    fn new(b: &[E], with_ratio: bool) -> Self {
        let lanes = E::V::LANES;
        let n = b.len() / 4;
        let np = n.div_ceil(lanes) * lanes;
        let col = || vec![E::default(); np];
        let mut s = Soa {
            x1: col(),
            y1: col(),
            x2: col(),
            y2: col(),
            area: col(),
            cx: col(),
            cy: col(),
            ratio: if with_ratio { col() } else { Vec::new() },
        };
        let half = splat::<E::V>(0.5);
        let mut i = 0;
        while i < n {
            let k = (n - i).min(lanes);
            let [x1, y1, x2, y2] = if k == lanes {
                E::load4(&b[4 * i..])
            } else {
                load_tail4(b, i, k)
            };
            let (w, h) = (x2 - x1, y2 - y1);
            x1.store(&mut s.x1[i..]);
            y1.store(&mut s.y1[i..]);
            x2.store(&mut s.x2[i..]);
            y2.store(&mut s.y2[i..]);
            (w * h).store(&mut s.area[i..]);
            // (x1 + x2) / 2, as torchvision's `(boxes[:, 0] + boxes[:, 2]) / 2`.
            ((x1 + x2) * half).store(&mut s.cx[i..]);
            ((y1 + y2) * half).store(&mut s.cy[i..]);
            if with_ratio {
                atan(w / h).store(&mut s.ratio[i..]);
            }
            i += k;
        }
        s
    }
}

/// The `(m, n)` matrix of `kind` between the `m` boxes of `a` and the `n` boxes of `b`
/// (records, xyxy), written row-major into `out[..m·n]`; `eps` is DIoU's/CIoU's.
///
/// Each entry is torchvision 0.14's formula in the element type: `inter = clamp(min(x2) −
/// max(x1), 0)·clamp(…, 0)`, `union = (area_a + area_b) − inter`, `iou = inter / union`
/// (NaN for two empty boxes, as torchvision); GIoU `iou − (C − union) / C` with the clamped
/// enclosing area `C`; DIoU `iou − ρ² / (cw² + ch² + eps)`; CIoU `DIoU − α·v`,
/// `v = 4/π²·(atan(w_a/h_a) − atan(w_b/h_b))²`, `α = v / (1 − iou + v + eps)`.
///
/// Panics if `out` is shorter than `m·n` (the wasm shim checks lengths first).
pub fn pairwise<E: Transpose4>(kind: Pairwise, a: &[E], b: &[E], eps: f64, out: &mut [E]) {
    let lanes = E::V::LANES;
    let (m, n) = (a.len() / 4, b.len() / 4);
    let out = &mut out[..m * n];
    if m == 0 || n == 0 {
        return;
    }
    let ciou = kind == Pairwise::Ciou;
    let sa = Soa::new(a, ciou);
    let sb = Soa::new(b, ciou);
    let zero = splat::<E::V>(0.0);
    let one = splat::<E::V>(1.0);
    let eps_v = splat::<E::V>(eps);
    let factor = splat::<E::V>(CIOU_FACTOR);
    let np = sb.x1.len();
    let mut row_buf = vec![E::default(); np];
    for i in 0..m {
        let s = |c: &Vec<E>| E::V::splat(c[i]);
        let (ax1, ay1, ax2, ay2) = (s(&sa.x1), s(&sa.y1), s(&sa.x2), s(&sa.y2));
        let (aa, acx, acy) = (s(&sa.area), s(&sa.cx), s(&sa.cy));
        let ar = if ciou { s(&sa.ratio) } else { zero };
        let mut j = 0;
        while j < np {
            let l = |c: &Vec<E>| E::V::load(&c[j..]);
            let (bx1, by1, bx2, by2) = (l(&sb.x1), l(&sb.y1), l(&sb.x2), l(&sb.y2));
            // pmin/pmax: a NaN coordinate reaches the result through the areas anyway.
            let w = (ax2.pmin(bx2) - ax1.pmax(bx1)).pmax(zero);
            let h = (ay2.pmin(by2) - ay1.pmax(by1)).pmax(zero);
            let inter = w * h;
            let union = (aa + l(&sb.area)) - inter;
            let iou = inter / union;
            let v = match kind {
                Pairwise::Iou => iou,
                _ => {
                    let wi = (ax2.pmax(bx2) - ax1.pmin(bx1)).pmax(zero);
                    let hi = (ay2.pmax(by2) - ay1.pmin(by1)).pmax(zero);
                    if kind == Pairwise::Giou {
                        let area = wi * hi;
                        iou - (area - union) / area
                    } else {
                        let diag = (wi * wi + hi * hi) + eps_v;
                        let (dx, dy) = (acx - l(&sb.cx), acy - l(&sb.cy));
                        let diou = iou - (dx * dx + dy * dy) / diag;
                        if kind == Pairwise::Diou {
                            diou
                        } else {
                            let d = ar - l(&sb.ratio);
                            let v = factor * (d * d);
                            let alpha = v / (((one - iou) + v) + eps_v);
                            diou - alpha * v
                        }
                    }
                }
            };
            v.store(&mut row_buf[j..]);
            j += lanes;
        }
        out[i * n..(i + 1) * n].copy_from_slice(&row_buf[..n]);
    }
}

/// `(x2 − x1)·(y2 − y1)` of each record of `b` (xyxy) into `out[..n]`.
pub fn box_area<E: Transpose4>(b: &[E], out: &mut [E]) {
    let lanes = E::V::LANES;
    let n = b.len() / 4;
    let mut i = 0;
    while i < n {
        let k = (n - i).min(lanes);
        let [x1, y1, x2, y2] = if k == lanes {
            E::load4(&b[4 * i..])
        } else {
            load_tail4(b, i, k)
        };
        let area = (x2 - x1) * (y2 - y1);
        let mut buf = [E::default(); 8];
        area.store(&mut buf);
        out[i..i + k].copy_from_slice(&buf[..k]);
        i += k;
    }
}

/// `torchvision.ops.box_convert`: the records of `b` from `from` to `to` into `out` (same
/// length). The identity when the formats are equal (a copy, as torchvision's `clone`), else
/// through corner form, as torchvision.
pub fn box_convert<E: Transpose4>(b: &[E], from: BoxFormat, to: BoxFormat, out: &mut [E]) {
    let lanes = E::V::LANES;
    let n = b.len() / 4;
    if from == to {
        out[..4 * n].copy_from_slice(&b[..4 * n]);
        return;
    }
    let mut i = 0;
    while i < n {
        let k = (n - i).min(lanes);
        let raw = if k == lanes {
            E::load4(&b[4 * i..])
        } else {
            load_tail4(b, i, k)
        };
        let v = to.from_xyxy(from.to_xyxy(raw));
        if k == lanes {
            E::store4(v, &mut out[4 * i..]);
        } else {
            store_tail4(v, out, i, k);
        }
        i += k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{F32x4, F64x2};

    fn ulp_f32(y: f32, exact: f64) -> f64 {
        if y as f64 == exact {
            return 0.0;
        }
        let e = exact as f32;
        let u = (f32::from_bits(e.abs().to_bits() + 1) - e.abs()) as f64;
        ((y as f64) - exact).abs() / u
    }

    fn ulp_f64(y: f64, r: f64) -> f64 {
        if y == r {
            return 0.0;
        }
        let u = f64::from_bits(r.abs().to_bits() + 1) - r.abs();
        (y - r).abs() / u
    }

    fn inputs() -> Vec<f64> {
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-30,
            1e30,
            f64::INFINITY,
            -f64::INFINITY,
        ];
        for t in [0.198912367379658, 0.6681786379192989, 0.41421356237309503] {
            for d in -40..=40 {
                xs.push(t * (1.0 + d as f64 * 1e-7));
                xs.push(1.0 / (t * (1.0 + d as f64 * 1e-7)));
            }
        }
        let mut s = 0x1234_5678_u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            xs.push((u * 40.0 - 20.0).exp() * if s & 1 == 0 { 1.0 } else { -1.0 });
        }
        xs
    }

    #[test]
    fn atan_is_accurate() {
        let (mut w32, mut w64) = (0.0f64, 0.0f64);
        for x in inputs() {
            let x32 = x as f32;
            let mut o32 = [0.0f32; 4];
            atan(F32x4::splat(x32)).store(&mut o32);
            let mut o64 = [0.0f64; 2];
            atan(F64x2::splat(x)).store(&mut o64);
            w32 = w32.max(ulp_f32(o32[0], (x32 as f64).atan()));
            w64 = w64.max(ulp_f64(o64[0], x.atan()));
            assert_eq!(o32[0].is_sign_negative(), x32.is_sign_negative(), "{x32}");
        }
        eprintln!("atan: f32 {w32:.2} ulp, f64 {w64:.2} ulp");
        assert!(w32 <= 2.0, "f32 atan: {w32} ulp");
        assert!(w64 <= 2.5, "f64 atan: {w64} ulp");
        let mut o = [0.0f32; 4];
        atan(F32x4::splat(f32::NAN)).store(&mut o);
        assert!(o[0].is_nan());
    }

    #[test]
    fn max_and_min_split_ties_and_pass_nan_to_both() {
        let a = F64x2::load(&[1.0, f64::NAN]);
        let b = F64x2::load(&[1.0, 2.0]);
        let (ga, gb) = max_grad(a, b, F64x2::splat(2.0));
        let (mut x, mut y) = ([0.0; 2], [0.0; 2]);
        ga.store(&mut x);
        gb.store(&mut y);
        assert_eq!((x, y), ([1.0, 2.0], [1.0, 2.0]));
        let a = F64x2::load(&[3.0, 0.0]);
        let (ga, gb) = min_grad(a, b, F64x2::splat(2.0));
        ga.store(&mut x);
        gb.store(&mut y);
        assert_eq!((x, y), ([0.0, 2.0], [2.0, 0.0]));
    }

    use crate::loss::box_iou_loss::{BoxIouLoss, IouMode};
    use crate::loss::complete_box_iou_loss::CompleteBoxIouLoss;
    use crate::loss::distance_box_iou_loss::DistanceBoxIouLoss;
    use crate::loss::efficient_box_iou_loss::EfficientBoxIouLoss;
    use crate::loss::generalized_box_iou_loss::GeneralizedBoxIouLoss;
    use crate::loss::scylla_box_iou_loss::ScyllaBoxIouLoss;

    /// Random overlapping or disjoint boxes with positive sides, away from every kink (no
    /// ties between coordinates: they are drawn from a continuous distribution).
    fn random_boxes(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed | 1;
        let mut r = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut b = Vec::new();
        for _ in 0..n {
            let (x, y) = (r() * 10.0, r() * 10.0);
            b.extend([x, y, x + 0.5 + r() * 6.0, y + 0.5 + r() * 6.0]);
        }
        b
    }

    /// Analytic gradients (per-box upstream, every format) against central differences.
    fn check_grads<L: BoxLoss>(loss: &L, name: &str) {
        let n = 7;
        let p = random_boxes(n, 0x9e37_79b9);
        let t = random_boxes(n, 0x7f4a_7c15);
        let g: Vec<f64> = (0..n).map(|i| 0.5 + i as f64 * 0.25).collect();
        for fmt in [BoxFormat::Xyxy, BoxFormat::Xywh, BoxFormat::Cxcywh] {
            let (mut pr, mut tr) = (vec![0.0; 4 * n], vec![0.0; 4 * n]);
            box_convert(&p, BoxFormat::Xyxy, fmt, &mut pr);
            box_convert(&t, BoxFormat::Xyxy, fmt, &mut tr);
            let (mut gp, mut gt) = (vec![0.0; 4 * n], vec![0.0; 4 * n]);
            let up = Upstream::PerElement(&g, 1.0);
            backward(loss, fmt, &pr, &tr, up, Some(&mut gp), Some(&mut gt));
            let total = |pp: &[f64], tt: &[f64]| {
                let mut out = vec![0.0; n];
                forward(loss, fmt, pp, tt, Some(&mut out));
                out.iter().zip(&g).map(|(l, g)| l * g).sum::<f64>()
            };
            for (which, grad) in [(0, &gp), (1, &gt)] {
                for k in 0..4 * n {
                    let (mut a, mut b) = (pr.clone(), tr.clone());
                    let h = 1e-6;
                    let bump = |v: &mut Vec<f64>, d: f64| v[k] += d;
                    let (plus, minus) = if which == 0 {
                        bump(&mut a, h);
                        let plus = total(&a, &b);
                        bump(&mut a, -2.0 * h);
                        (plus, total(&a, &b))
                    } else {
                        bump(&mut b, h);
                        let plus = total(&a, &b);
                        bump(&mut b, -2.0 * h);
                        (plus, total(&a, &b))
                    };
                    let fd = (plus - minus) / (2.0 * h);
                    assert!(
                        (fd - grad[k]).abs() <= 1e-6 * fd.abs().max(1.0),
                        "{name} {fmt:?} arg {which} [{k}]: analytic {}, central difference {fd}",
                        grad[k]
                    );
                }
            }
        }
    }

    /// The losses without a detached factor (CIoU's α and Focal-EIoU's iou^γ are constants in
    /// the backward pass, so their gradients are not the derivative: the golden tests check
    /// them against torch's autograd).
    #[test]
    fn box_loss_gradients_match_central_differences() {
        check_grads(&GeneralizedBoxIouLoss { eps: 1e-7 }, "giou");
        check_grads(&DistanceBoxIouLoss { eps: 1e-7 }, "diou");
        for mode in [IouMode::Linear, IouMode::Square, IouMode::Log] {
            check_grads(&BoxIouLoss { mode, eps: 1e-6 }, "iou");
        }
        check_grads(
            &EfficientBoxIouLoss {
                eps: 1e-7,
                gamma: 0.0,
            },
            "eiou",
        );
        for neg_gamma in [false, true] {
            check_grads(
                &ScyllaBoxIouLoss {
                    eps: 1e-6,
                    neg_gamma,
                },
                "siou",
            );
        }
    }

    /// Whole vectors, the padded tail and the fused sum agree with the loss of each box alone
    /// (bit for bit: the lanes never mix), for every length up to a few vectors.
    #[test]
    fn driver_tails_match_single_boxes() {
        fn run<E: Transpose4>() {
            let loss = CompleteBoxIouLoss { eps: 1e-7 };
            for n in 0..=13 {
                let p: Vec<E> = random_boxes(n, 5).iter().map(|&v| E::from_f64(v)).collect();
                let t: Vec<E> = random_boxes(n, 9).iter().map(|&v| E::from_f64(v)).collect();
                let mut out = vec![E::default(); n];
                let sum = forward(&loss, BoxFormat::Cxcywh, &p, &t, Some(&mut out));
                let mut check = Sum::default();
                for i in 0..n {
                    let mut one = [E::default(); 1];
                    let s = &p[4 * i..4 * i + 4];
                    let u = &t[4 * i..4 * i + 4];
                    forward(&loss, BoxFormat::Cxcywh, s, u, Some(&mut one));
                    assert_eq!(one[0].to_f64(), out[i].to_f64(), "n={n} i={i}");
                    check.add(one[0].to_f64());
                }
                let want = check.value();
                assert!(
                    (sum - want).abs() <= 1e-6 * want.abs(),
                    "n={n}: {sum} vs {want}"
                );
            }
        }
        run::<f32>();
        run::<f64>();
    }

    #[test]
    fn convert_round_trips_and_keeps_identity_exact() {
        let b: Vec<f64> = (0..7 * 4).map(|k| (k as f64 * 0.37).sin() * 10.0).collect();
        for from in [BoxFormat::Xyxy, BoxFormat::Xywh, BoxFormat::Cxcywh] {
            let mut same = vec![0.0; b.len()];
            box_convert(&b, from, from, &mut same);
            assert_eq!(same, b);
            for to in [BoxFormat::Xyxy, BoxFormat::Xywh, BoxFormat::Cxcywh] {
                let (mut there, mut back) = (vec![0.0; b.len()], vec![0.0; b.len()]);
                box_convert(&b, from, to, &mut there);
                box_convert(&there, to, from, &mut back);
                for (x, y) in b.iter().zip(&back) {
                    assert!((x - y).abs() <= 1e-13, "{from:?}→{to:?}: {x} vs {y}");
                }
            }
        }
    }
}
