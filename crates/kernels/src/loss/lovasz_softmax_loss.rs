//! Berman's multiclass Lovász-softmax (`lovasz_softmax`, as smp's `LovaszLoss` in multiclass
//! mode, on the softmax of the logits): per group (an image with `per_image`, else the whole
//! batch) and per selected class c, errors `|[y = c] − p_c|` over the group's valid pixels,
//! sorted decreasingly (stably), dotted with ΔJ ([`super::segmentation::lovasz`]); the
//! group's loss is the mean over the classes counted (with `present`, the classes that occur
//! among its valid pixels; 0 when none is counted or no pixel is valid).
//!
//! The softmax is computed in f64 per pixel, centred on the pixel's first maximal logit, and
//! the error of the true class is `1 − p = r/(1 + r)` (`r` the sum of the other classes'
//! `e^(x − max)`), so a confident pixel's error keeps its digits. Its backward is centred the
//! same way as the overlap losses' (crates/kernels/src/loss/segmentation/planes.rs).

use super::segmentation::lovasz::Workspace;
use crate::simd::Element;

/// Buffers of [`group`], reused across groups.
#[derive(Default)]
pub struct Buffers {
    /// Valid pixels' probabilities and their complements, class-major (`c·v + j`).
    p: Vec<f64>,
    q: Vec<f64>,
    /// The valid pixels' labels, argmax and position in the group.
    y: Vec<usize>,
    am: Vec<usize>,
    at: Vec<usize>,
    errors: Vec<f64>,
    fg: Vec<bool>,
    coef: Vec<f64>,
    /// ∂loss/∂p, class-major.
    dp: Vec<f64>,
    e: Vec<f64>,
}

/// The classes a group averages over.
#[derive(Clone, Copy)]
pub enum Classes<'a> {
    /// Those among `list` that occur in the group's valid labels.
    Present(&'a [i32]),
    /// Every class in `list` (repeats count again).
    All(&'a [i32]),
}

/// The loss of one group of `images` images of `c` classes × `s` pixels (`x` laid out
/// `(images, c, s)`, `labels` `(images, s)`, negative: ignored). With `gx`, writes
/// `scale·∂loss/∂x` there (same layout; 0 at ignored pixels).
#[allow(clippy::too_many_arguments)]
pub fn group<E: Element>(
    ws: &mut Workspace,
    b: &mut Buffers,
    x: &[E],
    labels: &[i32],
    images: usize,
    c: usize,
    s: usize,
    classes: Classes,
    gx: Option<&mut [E]>,
    scale: f64,
) -> f64 {
    b.y.clear();
    b.am.clear();
    b.at.clear();
    for n in 0..images {
        for i in 0..s {
            let l = labels[n * s + i];
            if l >= 0 {
                b.y.push(l as usize);
                b.at.push(n * s + i);
            }
        }
    }
    let v = b.y.len();
    b.p.resize(c * v, 0.0);
    b.q.resize(c * v, 0.0);
    b.e.resize(c, 0.0);
    for j in 0..v {
        let at = b.at[j];
        let (n, i) = (at / s, at % s);
        let base = n * c * s + i;
        let mut m = x[base].to_f64();
        let mut am = 0;
        for k in 1..c {
            let xv = x[base + k * s].to_f64();
            if xv > m {
                m = xv;
                am = k;
            }
        }
        let mut r = 0.0;
        for k in 0..c {
            let e = if k == am {
                0.0
            } else {
                (x[base + k * s].to_f64() - m).exp()
            };
            b.e[k] = e;
            r += e;
        }
        let inv = 1.0 / (1.0 + r);
        for k in 0..c {
            let (p, q) = if k == am {
                (inv, r * inv)
            } else {
                let p = b.e[k] * inv;
                (p, 1.0 - p)
            };
            b.p[k * v + j] = p;
            b.q[k * v + j] = q;
        }
        b.am.push(am);
    }
    let want = gx.is_some();
    if want {
        b.dp.clear();
        b.dp.resize(c * v, 0.0);
    }
    let (list, present) = match classes {
        Classes::Present(l) => (l, true),
        Classes::All(l) => (l, false),
    };
    let mut losses = crate::driver::Sum::default();
    let selected: Vec<usize> = list
        .iter()
        .map(|&k| k as usize)
        .filter(|&k| !present || b.y.contains(&k))
        .collect();
    let counted = selected.len();
    if v == 0 || counted == 0 {
        if let Some(gx) = gx {
            gx.iter_mut().for_each(|g| *g = E::from_f64(0.0));
        }
        return 0.0;
    }
    let per = scale / counted as f64;
    for &k in &selected {
        b.errors.clear();
        b.fg.clear();
        for j in 0..v {
            let fg = b.y[j] == k;
            b.errors
                .push(if fg { b.q[k * v + j] } else { b.p[k * v + j] });
            b.fg.push(fg);
        }
        b.coef.resize(v, 0.0);
        losses.add(ws.extension(
            &b.errors,
            &b.fg,
            false,
            if want { Some(&mut b.coef) } else { None },
        ));
        if want {
            for j in 0..v {
                // |fg − p|' = sign(p − fg), 0 at 0 (PyTorch's abs).
                let sgn = if b.errors[j] == 0.0 {
                    0.0
                } else if b.fg[j] {
                    -1.0
                } else {
                    1.0
                };
                b.dp[k * v + j] += per * b.coef[j] * sgn;
            }
        }
    }
    if let Some(gx) = gx {
        gx.iter_mut().for_each(|g| *g = E::from_f64(0.0));
        for j in 0..v {
            let at = b.at[j];
            let (n, i) = (at / s, at % s);
            let base = n * c * s + i;
            let dm = b.dp[b.am[j] * v + j];
            let mut t = 0.0;
            for k in 0..c {
                t += b.p[k * v + j] * (b.dp[k * v + j] - dm);
            }
            for k in 0..c {
                gx[base + k * s] = E::from_f64(b.p[k * v + j] * ((b.dp[k * v + j] - dm) - t));
            }
        }
    }
    losses.value() / counted as f64
}
