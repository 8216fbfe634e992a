//! Exports of the ranking, embedding and contrastive losses and the distance ops (issue 12).
//! Conventions as crates/wasm/src/classification.rs: pointers are byte offsets (0 = absent for
//! optional operands), lengths element counts, `<t>` is `f32 | f64`; `g` is 0 (then `g_scale`
//! is the upstream gradient everywhere) or one upstream value per output element, times
//! `g_scale`; every parameter's domain is re-checked here (`STATUS_BAD_PARAM`).
//!
//! Elementwise, with the elementwise protocol of crates/wasm/src/lib.rs:
//! - `lossfn_margin_ranking_loss_{forward,backward}_<t>`: `x` = input1, `t` = input2, `a` =
//!   target (required), `w` must be 0; `p0` = margin (finite).
//! - `lossfn_hinge_embedding_loss_{forward,backward}_<t>`: `x` = input, `t` = target; `p0` =
//!   margin (finite).
//!
//! Rows of `dim` values (`rows × dim`, row-major), `*sum_out = Σ l` (one f64):
//! - `lossfn_cosine_embedding_loss_forward_<t>(x1, x2, y, rows, dim, margin, out, sum_out)`,
//!   `…_backward_<t>(x1, x2, y, rows, dim, margin, g, g_scale, g1, g2)`; `y` one target per row.
//! - `lossfn_triplet_margin_loss_forward_<t>(a, p, n, rows, dim, margin, norm, eps, swap, out,
//!   sum_out)`, `…_backward_<t>(a, p, n, rows, dim, margin, norm, eps, swap, g, g_scale, ga, gp,
//!   gn)`; `norm` (PyTorch's `p`) finite and ≥ 1, `eps` finite, `swap` 0 or 1.
//! - `lossfn_triplet_margin_with_distance_loss_forward_<t>(a, p, n, rows, dim, distance,
//!   margin, swap, out, sum_out)`, `…_backward_<t>(…, swap, g, g_scale, ga, gp, gn)`;
//!   `distance` 0 (euclidean) or 1 (cosine), `margin` finite and > 0.
//!
//! Distance ops (no reduction; `out` one value per row / position, `g` required):
//! - `lossfn_pairwise_distance_forward_<t>(x, y, rows, dim, norm, eps, out)`,
//!   `…_backward_<t>(x, y, rows, dim, norm, eps, g, g_scale, gx, gy)`.
//! - `lossfn_cosine_similarity_forward_<t>(x, y, outer, d, inner, eps, out)` (inputs laid out
//!   `(outer, d, inner)`, `out` `outer × inner`), `…_backward_<t>(x, y, outer, d, inner, eps, g,
//!   g_scale, gx, gy)`; `eps` finite.
//!
//! Contrastive (`stats` holds `3·anchors` f64 written by the forward pass and read back by the
//! backward pass; `out` one loss per anchor):
//! - `lossfn_nt_xent_loss_forward_<t>(z1, z2, pairs, dim, temperature, out, stats, sum_out, g1,
//!   g2, g_scale)`, `…_backward_<t>(z1, z2, pairs, dim, temperature, stats, g, g_scale, g1, g2)`;
//!   anchors `2·pairs`, temperature finite and > 0. The forward's `g1`, `g2` (0 = not wanted)
//!   receive `∂(g_scale·Σ l)/∂z` computed in the same call (the reduced loss's gradient for the
//!   upstream the caller expects, so that it needs no scaling pass).
//! - `lossfn_sup_con_loss_forward_<t>(f, labels, batch, views, dim, temperature,
//!   base_temperature, one, out, stats, sum_out, gf)` (`gf` as NT-Xent's forward `g1`, unscaled:
//!   an upstream of 1 per anchor), `…_backward_<t>(f, labels, batch, views, dim,
//!   temperature, base_temperature, one, stats, g, g_scale, gf)`; `f` is `batch × views × dim`,
//!   `labels` 0 or `batch` i32 class ids in `0..batch`; anchors `batch` (`one` = 1) or
//!   `batch·views`; temperatures finite and > 0.
//!
//! Learning to rank, `lists × len` scores `s` and relevances `y` (−1 = padding):
//! - `lossfn_rank_net_loss_forward_<t>(s, y, lists, len, weight, out, sums_out, gs)`: `weight`
//!   0 (none), 1 (by difference), 2 (by difference of squares); `sums_out[0] = Σ l`,
//!   `sums_out[1]` = the pair count (the `'mean'` denominator); `…_backward_<t>(s, y, lists,
//!   len, weight, g, g_scale, gs)`.
//! - `lossfn_list_net_loss_*`, `lossfn_list_mle_loss_*` (`param` = eps, finite and > 0),
//!   `lossfn_approx_ndcg_loss_*` (`param` = alpha, finite and > 0):
//!   `…_forward_<t>(s, y, lists, len, param, out, sum_out, gs, g_scale)`, `…_backward_<t>(s, y,
//!   lists, len, param, g, g_scale, gs)`.
//! - The forwards' `gs` (0 = not wanted) receives the gradient computed in the same call:
//!   RankNet's `∂(Σ l)/∂s` (an upstream of 1 per list: its mean's denominator, the pair count,
//!   is only known after the call, so the caller scales it), the others' `∂(g_scale·Σ l)/∂s`
//!   (`g_scale`: the upstream the caller expects, so that it needs no scaling pass).

use crate::{fail, operand, output, product, required, upstream, STATUS_BAD_PARAM};
use lossfn_kernels::loss::approx_ndcg_loss::ApproxNdcgLoss;
use lossfn_kernels::loss::cosine_embedding_loss::CosineEmbeddingLoss;
use lossfn_kernels::loss::hinge_embedding_loss::HingeEmbeddingLoss;
use lossfn_kernels::loss::list_mle_loss::ListMleLoss;
use lossfn_kernels::loss::list_net_loss::ListNetLoss;
use lossfn_kernels::loss::margin_ranking_loss::MarginRankingLoss;
use lossfn_kernels::loss::nt_xent_loss::NtXentLoss;
use lossfn_kernels::loss::rank_net_loss::{RankNetLoss, Weight};
use lossfn_kernels::loss::sup_con_loss::SupConLoss;
use lossfn_kernels::loss::triplet_margin_loss::{Distance, TripletMarginLoss};
use lossfn_kernels::loss::triplet_margin_with_distance_loss;
use lossfn_kernels::ranking::distance::{self, CosineSimilarity, PNorm};

fn param(name: &str, v: f64, ok: bool, domain: &str) -> Result<f64, i32> {
    if ok {
        Ok(v)
    } else {
        Err(fail(
            STATUS_BAD_PARAM,
            format!("{name} must be {domain}, got {v}"),
        ))
    }
}

fn finite(name: &str, v: f64) -> Result<f64, i32> {
    param(name, v, v.is_finite(), "finite")
}

fn positive(name: &str, v: f64) -> Result<f64, i32> {
    param(name, v, v.is_finite() && v > 0.0, "finite and > 0")
}

fn flag(name: &str, v: i32) -> Result<bool, i32> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(fail(
            STATUS_BAD_PARAM,
            format!("{name} must be 0 or 1, got {v}"),
        )),
    }
}

fn norm(p: f64, eps: f64) -> Result<PNorm, i32> {
    Ok(PNorm {
        p: param("p", p, p.is_finite() && p >= 1.0, "finite and >= 1")?,
        eps: finite("eps", eps)?,
    })
}

/// Writes the sum into `*sum_out`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn write_sum(ptr: u32, sum: f64) -> Result<(), i32> {
    required("sum_out", output::<f64>("sum_out", ptr, 1)?)?[0] = sum;
    Ok(())
}

/// `rows × dim`, or a status when it overflows.
fn area(rows: u32, dim: u32) -> Result<u32, i32> {
    product("rows × dim", &[rows, dim])
}

// ---------------------------------------------------------------------------------------------
// Elementwise.

fn margin_ranking(margin: f64) -> Result<MarginRankingLoss, i32> {
    Ok(MarginRankingLoss {
        margin: finite("margin", margin)?,
    })
}
fn hinge_embedding(margin: f64) -> Result<HingeEmbeddingLoss, i32> {
    Ok(HingeEmbeddingLoss {
        margin: finite("margin", margin)?,
    })
}
// p0 = margin; margin ranking reads the ±1 target as its aux operand.
elementwise_exports!(
    margin_ranking_loss,
    |m, _, _| margin_ranking(m),
    crate::elementwise::Extra::Aux
);
elementwise_exports!(
    hinge_embedding_loss,
    |m, _, _| hinge_embedding(m),
    crate::elementwise::Extra::None
);

// ---------------------------------------------------------------------------------------------
// Rows of `dim`.

macro_rules! row_exports {
    ($t:ident) => {
        export!(concat!("lossfn_cosine_embedding_loss_forward_", stringify!($t)),
            (x1: u32, x2: u32, y: u32, rows: u32, dim: u32, margin: f64, out: u32, sum_out: u32) {
            let n = area(rows, dim)?;
            let a = required("input1", operand::<$t>("input1", x1, n)?)?;
            let b = required("input2", operand::<$t>("input2", x2, n)?)?;
            let ys = required("target", operand::<$t>("target", y, rows)?)?;
            let out = output::<$t>("out", out, rows)?;
            let k = CosineEmbeddingLoss { rows: rows as usize, dim: dim as usize, margin: finite("margin", margin)? };
            write_sum(sum_out, k.forward(a, b, ys, out))
        });
        export!(concat!("lossfn_cosine_embedding_loss_backward_", stringify!($t)),
            (
                x1: u32, x2: u32, y: u32, rows: u32, dim: u32, margin: f64, g: u32, g_scale: f64,
                g1: u32, g2: u32,
            ) {
            let n = area(rows, dim)?;
            let a = required("input1", operand::<$t>("input1", x1, n)?)?;
            let b = required("input2", operand::<$t>("input2", x2, n)?)?;
            let ys = required("target", operand::<$t>("target", y, rows)?)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let (g1, g2) = (output::<$t>("grad_input1", g1, n)?, output::<$t>("grad_input2", g2, n)?);
            let k = CosineEmbeddingLoss { rows: rows as usize, dim: dim as usize, margin: finite("margin", margin)? };
            k.backward(a, b, ys, &up, g1, g2);
            Ok(())
        });

        export!(concat!("lossfn_triplet_margin_loss_forward_", stringify!($t)),
            (
                a: u32, p: u32, ng: u32, rows: u32, dim: u32, margin: f64, pw: f64, eps: f64,
                swap: i32, out: u32, sum_out: u32,
            ) {
            let n = area(rows, dim)?;
            let (a, p, ng) = triplet_operands::<$t>(a, p, ng, n)?;
            let out = output::<$t>("out", out, rows)?;
            let k = triplet(rows, dim, margin, Distance::PNorm(norm(pw, eps)?), swap)?;
            write_sum(sum_out, k.forward(a, p, ng, out))
        });
        export!(concat!("lossfn_triplet_margin_loss_backward_", stringify!($t)),
            (
                a: u32, p: u32, ng: u32, rows: u32, dim: u32, margin: f64, pw: f64, eps: f64,
                swap: i32, g: u32, g_scale: f64, ga: u32, gp: u32, gn: u32,
            ) {
            let n = area(rows, dim)?;
            let (a, p, ng) = triplet_operands::<$t>(a, p, ng, n)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let k = triplet(rows, dim, margin, Distance::PNorm(norm(pw, eps)?), swap)?;
            let (ga, gp, gn) = triplet_grads::<$t>(ga, gp, gn, n)?;
            k.backward(a, p, ng, &up, ga, gp, gn);
            Ok(())
        });

        export!(concat!("lossfn_triplet_margin_with_distance_loss_forward_", stringify!($t)),
            (
                a: u32, p: u32, ng: u32, rows: u32, dim: u32, which: i32, margin: f64, swap: i32,
                out: u32, sum_out: u32,
            ) {
            let n = area(rows, dim)?;
            let (a, p, ng) = triplet_operands::<$t>(a, p, ng, n)?;
            let out = output::<$t>("out", out, rows)?;
            let k = triplet(rows, dim, positive("margin", margin)?, distance_of(which)?, swap)?;
            write_sum(sum_out, k.forward(a, p, ng, out))
        });
        export!(concat!("lossfn_triplet_margin_with_distance_loss_backward_", stringify!($t)),
            (
                a: u32, p: u32, ng: u32, rows: u32, dim: u32, which: i32, margin: f64, swap: i32,
                g: u32, g_scale: f64, ga: u32, gp: u32, gn: u32,
            ) {
            let n = area(rows, dim)?;
            let (a, p, ng) = triplet_operands::<$t>(a, p, ng, n)?;
            let up = upstream::<$t>(g, rows, g_scale)?;
            let k = triplet(rows, dim, positive("margin", margin)?, distance_of(which)?, swap)?;
            let (ga, gp, gn) = triplet_grads::<$t>(ga, gp, gn, n)?;
            k.backward(a, p, ng, &up, ga, gp, gn);
            Ok(())
        });

        export!(concat!("lossfn_pairwise_distance_forward_", stringify!($t)),
            (x: u32, y: u32, rows: u32, dim: u32, pw: f64, eps: f64, out: u32) {
            let n = area(rows, dim)?;
            let xs = required("x1", operand::<$t>("x1", x, n)?)?;
            let ys = required("x2", operand::<$t>("x2", y, n)?)?;
            let out = required("out", output::<$t>("out", out, rows)?)?;
            distance::pairwise_forward(norm(pw, eps)?, dim as usize, xs, ys, out);
            Ok(())
        });
        export!(concat!("lossfn_pairwise_distance_backward_", stringify!($t)),
            (
                x: u32, y: u32, rows: u32, dim: u32, pw: f64, eps: f64, g: u32, g_scale: f64,
                gx: u32, gy: u32,
            ) {
            let n = area(rows, dim)?;
            let xs = required("x1", operand::<$t>("x1", x, n)?)?;
            let ys = required("x2", operand::<$t>("x2", y, n)?)?;
            let gs = required("grad_output", operand::<$t>("grad_output", g, rows)?)?;
            let (gx, gy) = (output::<$t>("grad_x1", gx, n)?, output::<$t>("grad_x2", gy, n)?);
            distance::pairwise_backward(norm(pw, eps)?, dim as usize, xs, ys, gs, g_scale, gx, gy);
            Ok(())
        });

        export!(concat!("lossfn_cosine_similarity_forward_", stringify!($t)),
            (x: u32, y: u32, outer: u32, d: u32, inner: u32, eps: f64, out: u32) {
            let n = product("outer × d × inner", &[outer, d, inner])?;
            let xs = required("x1", operand::<$t>("x1", x, n)?)?;
            let ys = required("x2", operand::<$t>("x2", y, n)?)?;
            let out = required("out", output::<$t>("out", out, product("outer × inner", &[outer, inner])?)?)?;
            cosine_similarity(outer, d, inner, eps)?.forward(xs, ys, out);
            Ok(())
        });
        export!(concat!("lossfn_cosine_similarity_backward_", stringify!($t)),
            (
                x: u32, y: u32, outer: u32, d: u32, inner: u32, eps: f64, g: u32, g_scale: f64,
                gx: u32, gy: u32,
            ) {
            let n = product("outer × d × inner", &[outer, d, inner])?;
            let xs = required("x1", operand::<$t>("x1", x, n)?)?;
            let ys = required("x2", operand::<$t>("x2", y, n)?)?;
            let m = product("outer × inner", &[outer, inner])?;
            let gs = required("grad_output", operand::<$t>("grad_output", g, m)?)?;
            let (gx, gy) = (output::<$t>("grad_x1", gx, n)?, output::<$t>("grad_x2", gy, n)?);
            cosine_similarity(outer, d, inner, eps)?.backward(xs, ys, gs, g_scale, gx, gy);
            Ok(())
        });
    };
}

/// The three operand rows of a triplet call.
///
/// # Safety
/// Protocol-checked operands.
#[allow(clippy::type_complexity)]
unsafe fn triplet_operands<'a, E>(
    a: u32,
    p: u32,
    n: u32,
    len: u32,
) -> Result<(&'a [E], &'a [E], &'a [E]), i32> {
    Ok((
        required("anchor", operand::<E>("anchor", a, len)?)?,
        required("positive", operand::<E>("positive", p, len)?)?,
        required("negative", operand::<E>("negative", n, len)?)?,
    ))
}

/// The three optional gradient outputs of a triplet call.
///
/// # Safety
/// Protocol-checked operands.
#[allow(clippy::type_complexity)]
unsafe fn triplet_grads<'a, E>(
    a: u32,
    p: u32,
    n: u32,
    len: u32,
) -> Result<
    (
        Option<&'a mut [E]>,
        Option<&'a mut [E]>,
        Option<&'a mut [E]>,
    ),
    i32,
> {
    Ok((
        output::<E>("grad_anchor", a, len)?,
        output::<E>("grad_positive", p, len)?,
        output::<E>("grad_negative", n, len)?,
    ))
}

fn triplet(
    rows: u32,
    dim: u32,
    margin: f64,
    distance: Distance,
    swap: i32,
) -> Result<TripletMarginLoss, i32> {
    Ok(TripletMarginLoss {
        rows: rows as usize,
        dim: dim as usize,
        margin: finite("margin", margin)?,
        swap: flag("swap", swap)?,
        distance,
    })
}

fn distance_of(which: i32) -> Result<Distance, i32> {
    u32::try_from(which)
        .ok()
        .and_then(triplet_margin_with_distance_loss::distance)
        .ok_or_else(|| {
            fail(
                STATUS_BAD_PARAM,
                format!("distance must be 0 or 1, got {which}"),
            )
        })
}

fn cosine_similarity(outer: u32, d: u32, inner: u32, eps: f64) -> Result<CosineSimilarity, i32> {
    Ok(CosineSimilarity {
        outer: outer as usize,
        eps: finite("eps", eps)?,
        d: d as usize,
        inner: inner as usize,
    })
}

row_exports!(f32);
row_exports!(f64);

// ---------------------------------------------------------------------------------------------
// Contrastive.

macro_rules! contrastive_exports {
    ($t:ident) => {
        export!(concat!("lossfn_nt_xent_loss_forward_", stringify!($t)),
            (
                z1: u32, z2: u32, pairs: u32, dim: u32, temperature: f64, out: u32, stats: u32,
                sum_out: u32, g1: u32, g2: u32, g_scale: f64,
            ) {
            let n = area(pairs, dim)?;
            let a = required("z1", operand::<$t>("z1", z1, n)?)?;
            let b = required("z2", operand::<$t>("z2", z2, n)?)?;
            let anchors = product("anchors", &[2, pairs])?;
            let out = output::<$t>("out", out, anchors)?;
            let st = required("stats", output::<f64>("stats", stats, product("stats", &[3, anchors])?)?)?;
            let grads = [output::<$t>("grad_z1", g1, n)?, output::<$t>("grad_z2", g2, n)?];
            let k = nt_xent(pairs, dim, temperature)?;
            write_sum(sum_out, k.forward(a, b, out, st, grads, g_scale))
        });
        export!(concat!("lossfn_nt_xent_loss_backward_", stringify!($t)),
            (
                z1: u32, z2: u32, pairs: u32, dim: u32, temperature: f64, stats: u32, g: u32,
                g_scale: f64, g1: u32, g2: u32,
            ) {
            let n = area(pairs, dim)?;
            let a = required("z1", operand::<$t>("z1", z1, n)?)?;
            let b = required("z2", operand::<$t>("z2", z2, n)?)?;
            let anchors = product("anchors", &[2, pairs])?;
            let st = required("stats", operand::<f64>("stats", stats, product("stats", &[3, anchors])?)?)?;
            let up = upstream::<$t>(g, anchors, g_scale)?;
            let grads = [output::<$t>("grad_z1", g1, n)?, output::<$t>("grad_z2", g2, n)?];
            nt_xent(pairs, dim, temperature)?.backward(a, b, st, &up, grads);
            Ok(())
        });

        export!(concat!("lossfn_sup_con_loss_forward_", stringify!($t)),
            (
                f: u32, labels: u32, batch: u32, views: u32, dim: u32, temperature: f64,
                base_temperature: f64, one: i32, out: u32, stats: u32, sum_out: u32, gf: u32,
            ) {
            let k = sup_con(batch, views, dim, temperature, base_temperature, one)?;
            let n = product("batch × views × dim", &[batch, views, dim])?;
            let fs = required("features", operand::<$t>("features", f, n)?)?;
            let ls = class_ids(labels, batch)?;
            let anchors = k.anchors() as u32;
            let out = output::<$t>("out", out, anchors)?;
            let st = required("stats", output::<f64>("stats", stats, product("stats", &[3, anchors])?)?)?;
            let gf = output::<$t>("grad_features", gf, n)?;
            write_sum(sum_out, k.forward(fs, ls, out, st, gf))
        });
        export!(concat!("lossfn_sup_con_loss_backward_", stringify!($t)),
            (
                f: u32, labels: u32, batch: u32, views: u32, dim: u32, temperature: f64,
                base_temperature: f64, one: i32, stats: u32, g: u32, g_scale: f64, gf: u32,
            ) {
            let k = sup_con(batch, views, dim, temperature, base_temperature, one)?;
            let n = product("batch × views × dim", &[batch, views, dim])?;
            let fs = required("features", operand::<$t>("features", f, n)?)?;
            let ls = class_ids(labels, batch)?;
            let anchors = k.anchors() as u32;
            let st = required("stats", operand::<f64>("stats", stats, product("stats", &[3, anchors])?)?)?;
            let up = upstream::<$t>(g, anchors, g_scale)?;
            let gf = required("grad_features", output::<$t>("grad_features", gf, n)?)?;
            k.backward(fs, ls, st, &up, gf);
            Ok(())
        });
    };
}

fn nt_xent(pairs: u32, dim: u32, temperature: f64) -> Result<NtXentLoss, i32> {
    Ok(NtXentLoss {
        pairs: pairs as usize,
        dim: dim as usize,
        temperature: positive("temperature", temperature)?,
    })
}

fn sup_con(
    batch: u32,
    views: u32,
    dim: u32,
    temperature: f64,
    base: f64,
    one: i32,
) -> Result<SupConLoss, i32> {
    product("batch × views × dim", &[batch, views, dim])?;
    Ok(SupConLoss {
        batch: batch as usize,
        views: views as usize,
        dim: dim as usize,
        temperature: positive("temperature", temperature)?,
        base_temperature: positive("base_temperature", base)?,
        one: flag("one", one)?,
    })
}

/// Optional class ids, each in `0..batch`.
///
/// # Safety
/// Protocol-checked operand.
unsafe fn class_ids<'a>(ptr: u32, batch: u32) -> Result<Option<&'a [i32]>, i32> {
    let ids = operand::<i32>("labels", ptr, batch)?;
    if let Some(&bad) = ids.and_then(|l| l.iter().find(|&&v| v < 0 || v as u32 >= batch.max(1))) {
        return Err(fail(
            STATUS_BAD_PARAM,
            format!("label id {bad} is out of range"),
        ));
    }
    Ok(ids)
}

contrastive_exports!(f32);
contrastive_exports!(f64);

// ---------------------------------------------------------------------------------------------
// Learning to rank.

/// The scores and relevances of `lists × len`.
///
/// # Safety
/// Protocol-checked operands.
unsafe fn list_operands<'a, E>(
    s: u32,
    y: u32,
    lists: u32,
    len: u32,
) -> Result<(&'a [E], &'a [E]), i32> {
    let n = product("lists × len", &[lists, len])?;
    Ok((
        required("scores", operand::<E>("scores", s, n)?)?,
        required("relevance", operand::<E>("relevance", y, n)?)?,
    ))
}

fn rank_net(len: u32, weight: i32) -> Result<RankNetLoss, i32> {
    let weight = match weight {
        0 => Weight::One,
        1 => Weight::Diff,
        2 => Weight::DiffPowed,
        _ => {
            return Err(fail(
                STATUS_BAD_PARAM,
                format!("weight must be 0, 1 or 2, got {weight}"),
            ))
        }
    };
    Ok(RankNetLoss {
        len: len as usize,
        weight,
    })
}
fn list_net(len: u32, eps: f64) -> Result<ListNetLoss, i32> {
    Ok(ListNetLoss {
        len: len as usize,
        eps: positive("eps", eps)?,
    })
}
fn list_mle(len: u32, eps: f64) -> Result<ListMleLoss, i32> {
    Ok(ListMleLoss {
        len: len as usize,
        eps: positive("eps", eps)?,
    })
}
fn approx_ndcg(len: u32, alpha: f64) -> Result<ApproxNdcgLoss, i32> {
    Ok(ApproxNdcgLoss {
        len: len as usize,
        alpha: positive("alpha", alpha)?,
    })
}

macro_rules! list_exports {
    ($t:ident) => {
        export!(concat!("lossfn_rank_net_loss_forward_", stringify!($t)),
            (s: u32, y: u32, lists: u32, len: u32, weight: i32, out: u32, sums_out: u32, gs: u32) {
            let (s, y) = list_operands::<$t>(s, y, lists, len)?;
            let out = output::<$t>("out", out, lists)?;
            let gs = output::<$t>("grad_scores", gs, product("lists × len", &[lists, len])?)?;
            let (sum, count) = rank_net(len, weight)?.forward(s, y, out, gs);
            let sums = required("sums_out", output::<f64>("sums_out", sums_out, 2)?)?;
            sums[0] = sum;
            sums[1] = count;
            Ok(())
        });
        export!(concat!("lossfn_rank_net_loss_backward_", stringify!($t)),
            (s: u32, y: u32, lists: u32, len: u32, weight: i32, g: u32, g_scale: f64, gs: u32) {
            let (s, y) = list_operands::<$t>(s, y, lists, len)?;
            let up = upstream::<$t>(g, lists, g_scale)?;
            let gs = required("grad_scores", output::<$t>("grad_scores", gs, product("lists × len", &[lists, len])?)?)?;
            rank_net(len, weight)?.backward(s, y, &up, gs);
            Ok(())
        });
        list_exports!($t, list_net_loss, list_net);
        list_exports!($t, list_mle_loss, list_mle);
        list_exports!($t, approx_ndcg_loss, approx_ndcg);
    };
    ($t:ident, $stem:ident, $make:ident) => {
        export!(concat!("lossfn_", stringify!($stem), "_forward_", stringify!($t)),
            (s: u32, y: u32, lists: u32, len: u32, param: f64, out: u32, sum_out: u32, gs: u32,
                g_scale: f64) {
            let (s, y) = list_operands::<$t>(s, y, lists, len)?;
            let out = output::<$t>("out", out, lists)?;
            let gs = output::<$t>("grad_scores", gs, product("lists × len", &[lists, len])?)?;
            write_sum(sum_out, $make(len, param)?.forward(s, y, out, gs.map(|o| (o, g_scale))))
        });
        export!(concat!("lossfn_", stringify!($stem), "_backward_", stringify!($t)),
            (s: u32, y: u32, lists: u32, len: u32, param: f64, g: u32, g_scale: f64, gs: u32) {
            let (s, y) = list_operands::<$t>(s, y, lists, len)?;
            let up = upstream::<$t>(g, lists, g_scale)?;
            let gs = required("grad_scores", output::<$t>("grad_scores", gs, product("lists × len", &[lists, len])?)?)?;
            $make(len, param)?.backward(s, y, &up, gs);
            Ok(())
        });
    };
}

list_exports!(f32);
list_exports!(f64);
