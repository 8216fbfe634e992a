//! Exports of the sequence losses (CTC, RNN-T). Lengths and labels are `i32`, per-sample and
//! per-row parameters `f64`; `<t>` is `f32 | f64`, the type of the log-probabilities/logits.
//!
//! CTC (crates/kernels/src/loss/ctc_loss.rs), on a batch of `n` samples whose gathered
//! log-probabilities are concatenated: sample `b` holds `t_lens[b] × (l_lens[b] + 1)` values
//! (per frame: the blank's, then each target label's), its labels `l_lens[b]` entries of
//! `labels`; `lp_len` and `labels_len` are the totals (checked):
//! - `lossfn_ctc_loss_forward_<t>(lp, lp_len, labels, labels_len, t_lens, l_lens, n,
//!   nll_out)`: `nll_out[b]` (f64) = the sample's negative log-likelihood (+inf: infeasible).
//! - `lossfn_ctc_loss_backward_<t>(lp, lp_len, labels, labels_len, t_lens, l_lens, n, g,
//!   zero_infinity, corr)`: `g[b]` (f64) the sample's upstream gradient; writes into `corr`
//!   (laid out as `lp`) `g·(e^lp − posterior)` per gathered entry (NaN for an infeasible
//!   sample, 0 with `zero_infinity != 0`).
//! - `lossfn_ctc_loss_dense_<t>(x, rows, classes, scale, out)`: `out = scale[r]·e^x` over
//!   rows of `classes` log-probabilities (`scale` f64 per row).
//!
//! RNN-T (crates/kernels/src/loss/rnnt_loss.rs):
//! - `lossfn_rnnt_loss_prepare_<t>(x, rows, classes, blank, y, fused, skip, emit)`: per row of
//!   `classes` logits, `y[r]` its label (−1: none), writes the f64 `skip[r]`, `emit[r]`.
//! - `lossfn_rnnt_loss_lattice(skip, emit, rows, t_lens, u_lens, n, cost_out, coef)`: the `n`
//!   lattices concatenated (sample `b` has `t_lens[b] ≥ 1` × `(u_lens[b] + 1)` rows, `rows`
//!   in total); writes `cost_out[b]` and, when `coef != 0`, `[occ, cb, cl]` per row.
//! - `lossfn_rnnt_loss_backward_<t>(x, rows, classes, blank, y, fused, clamp, par, out)`: per
//!   row `par[4r..4r+4] = [occ, cb, cl, g]`, `y[r]` (−1: no label, −2: outside the lattice,
//!   written 0).

use crate::{fail, operand, output, product, required, STATUS_BAD_PARAM};
use lossfn_kernels::loss::ctc_loss::{dense_grad, CtcSample, Workspace};
use lossfn_kernels::loss::rnnt_loss::{grad_rows, prepare, RnntSample};

fn bad(msg: String) -> i32 {
    fail(STATUS_BAD_PARAM, msg)
}

/// Non-negative `i32` lengths as `usize`, and their total of `per(len)` (checked).
fn lengths(name: &str, v: &[i32]) -> Result<Vec<usize>, i32> {
    v.iter()
        .map(|&x| usize::try_from(x).map_err(|_| bad(format!("{name}: negative length {x}"))))
        .collect()
}

fn total(what: &str, parts: impl Iterator<Item = Result<u32, i32>>) -> Result<u32, i32> {
    let mut s = 0u32;
    for p in parts {
        s = s
            .checked_add(p?)
            .ok_or_else(|| bad(format!("{what}: total overflows a 32-bit length")))?;
    }
    Ok(s)
}

/// Per-sample input lengths, target lengths, and the concatenated labels.
type CtcBatch = (Vec<usize>, Vec<usize>, &'static [i32]);

/// The batch layout of a CTC call: per-sample input and target lengths, checked against
/// the concatenated operands' lengths.
///
/// # Safety
/// Protocol-checked operands.
unsafe fn ctc_batch(
    lp_len: u32,
    labels: u32,
    labels_len: u32,
    t_lens: u32,
    l_lens: u32,
    n: u32,
) -> Result<CtcBatch, i32> {
    let ts = lengths(
        "t_lens",
        required("t_lens", operand::<i32>("t_lens", t_lens, n)?)?,
    )?;
    let ls = lengths(
        "l_lens",
        required("l_lens", operand::<i32>("l_lens", l_lens, n)?)?,
    )?;
    let lp_total = total(
        "lp",
        ts.iter()
            .zip(&ls)
            .map(|(&t, &l)| product("t × (l + 1)", &[t as u32, (l as u32).saturating_add(1)])),
    )?;
    let l_total = total("labels", ls.iter().map(|&l| Ok(l as u32)))?;
    if lp_total != lp_len || l_total != labels_len {
        return Err(bad(format!(
            "ctc: lp_len {lp_len} / labels_len {labels_len} do not match the lengths ({lp_total} / {l_total})"
        )));
    }
    let labels = required("labels", operand::<i32>("labels", labels, labels_len)?)?;
    Ok((ts, ls, labels))
}

macro_rules! ctc_exports {
    ($t:ident) => {
        export!(concat!("lossfn_ctc_loss_forward_", stringify!($t)),
            (
                lp: u32, lp_len: u32, labels: u32, labels_len: u32, t_lens: u32, l_lens: u32,
                n: u32, nll_out: u32,
            ) {
            let (ts, ls, labels) = ctc_batch(lp_len, labels, labels_len, t_lens, l_lens, n)?;
            let lps = required("lp", operand::<$t>("lp", lp, lp_len)?)?;
            let out = required("nll_out", output::<f64>("nll_out", nll_out, n)?)?;
            let mut ws = Workspace::default();
            let (mut at, mut lat) = (0, 0);
            for b in 0..n as usize {
                let size = ts[b] * (ls[b] + 1);
                let s = CtcSample {
                    lp: &lps[at..at + size],
                    labels: &labels[lat..lat + ls[b]],
                    t_len: ts[b],
                };
                out[b] = s.forward(&mut ws);
                at += size;
                lat += ls[b];
            }
            Ok(())
        });

        export!(concat!("lossfn_ctc_loss_backward_", stringify!($t)),
            (
                lp: u32, lp_len: u32, labels: u32, labels_len: u32, t_lens: u32, l_lens: u32,
                n: u32, g: u32, zero_infinity: i32, corr: u32,
            ) {
            let (ts, ls, labels) = ctc_batch(lp_len, labels, labels_len, t_lens, l_lens, n)?;
            let lps = required("lp", operand::<$t>("lp", lp, lp_len)?)?;
            let gs = required("g", operand::<f64>("g", g, n)?)?;
            let corr = required("corr", output::<$t>("corr", corr, lp_len)?)?;
            let mut ws = Workspace::default();
            let (mut at, mut lat) = (0, 0);
            for b in 0..n as usize {
                let size = ts[b] * (ls[b] + 1);
                let s = CtcSample {
                    lp: &lps[at..at + size],
                    labels: &labels[lat..lat + ls[b]],
                    t_len: ts[b],
                };
                s.backward(&mut ws, gs[b], zero_infinity != 0, &mut corr[at..at + size]);
                at += size;
                lat += ls[b];
            }
            Ok(())
        });

        export!(concat!("lossfn_ctc_loss_dense_", stringify!($t)),
            (x: u32, rows: u32, classes: u32, scale: u32, out: u32) {
            let len = product("rows × classes", &[rows, classes])?;
            let xs = required("input", operand::<$t>("input", x, len)?)?;
            let sc = required("scale", operand::<f64>("scale", scale, rows)?)?;
            let out = required("out", output::<$t>("out", out, len)?)?;
            dense_grad(xs, classes as usize, sc, out);
            Ok(())
        });
    };
}
ctc_exports!(f32);
ctc_exports!(f64);

/// Row labels: −2 (outside), −1 (none) or a class in `0..classes`.
fn row_labels<'a>(y: u32, rows: u32, classes: u32) -> Result<&'a [i32], i32> {
    // SAFETY: protocol-checked operand.
    let ys = required("y", unsafe { operand::<i32>("y", y, rows)? })?;
    if let Some(&v) = ys
        .iter()
        .find(|&&v| v < -2 || (v >= 0 && v as u32 >= classes))
    {
        return Err(bad(format!("rnnt: row label {v} out of range")));
    }
    Ok(ys)
}

fn blank_of(blank: i32, classes: u32) -> Result<usize, i32> {
    if blank < 0 || blank as u32 >= classes {
        return Err(bad(format!(
            "rnnt: blank {blank} out of range for {classes} classes"
        )));
    }
    Ok(blank as usize)
}

macro_rules! rnnt_exports {
    ($t:ident) => {
        export!(concat!("lossfn_rnnt_loss_prepare_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, blank: i32, y: u32, fused: i32, skip: u32,
                emit: u32,
            ) {
            let len = product("rows × classes", &[rows, classes])?;
            let blank = blank_of(blank, classes)?;
            let xs = required("logits", operand::<$t>("logits", x, len)?)?;
            let ys = row_labels(y, rows, classes)?;
            let skip = required("skip", output::<f64>("skip", skip, rows)?)?;
            let emit = required("emit", output::<f64>("emit", emit, rows)?)?;
            prepare(xs, classes as usize, blank, ys, fused != 0, skip, emit);
            Ok(())
        });

        export!(concat!("lossfn_rnnt_loss_backward_", stringify!($t)),
            (
                x: u32, rows: u32, classes: u32, blank: i32, y: u32, fused: i32, clamp: f64,
                par: u32, out: u32,
            ) {
            let len = product("rows × classes", &[rows, classes])?;
            let blank = blank_of(blank, classes)?;
            let xs = required("logits", operand::<$t>("logits", x, len)?)?;
            let ys = row_labels(y, rows, classes)?;
            let par = required("par", operand::<f64>("par", par, product("rows × 4", &[rows, 4])?)?)?;
            let out = required("out", output::<$t>("out", out, len)?)?;
            grad_rows(xs, classes as usize, blank, ys, fused != 0, clamp, par, out);
            Ok(())
        });
    };
}
rnnt_exports!(f32);
rnnt_exports!(f64);

export!("lossfn_rnnt_loss_lattice",
    (skip: u32, emit: u32, rows: u32, t_lens: u32, u_lens: u32, n: u32, cost_out: u32, coef: u32) {
    let ts = lengths("t_lens", required("t_lens", operand::<i32>("t_lens", t_lens, n)?)?)?;
    let us = lengths("u_lens", required("u_lens", operand::<i32>("u_lens", u_lens, n)?)?)?;
    if ts.contains(&0) {
        return Err(bad("rnnt: every logit length must be at least 1".into()));
    }
    let all = total(
        "rows",
        ts.iter()
            .zip(&us)
            .map(|(&t, &u)| product("t × (u + 1)", &[t as u32, (u as u32).saturating_add(1)])),
    )?;
    if all != rows {
        return Err(bad(format!("rnnt: rows {rows} do not match the lengths ({all})")));
    }
    let skip = required("skip", operand::<f64>("skip", skip, rows)?)?;
    let emit = required("emit", operand::<f64>("emit", emit, rows)?)?;
    let cost = required("cost_out", output::<f64>("cost_out", cost_out, n)?)?;
    let mut coef = output::<f64>("coef", coef, product("rows × 3", &[rows, 3])?)?;
    let mut at = 0;
    for b in 0..n as usize {
        let size = ts[b] * (us[b] + 1);
        let s = RnntSample {
            skip: &skip[at..at + size],
            emit: &emit[at..at + size],
            t_len: ts[b],
            u_len: us[b],
        };
        cost[b] = s.run(coef.as_deref_mut().map(|c| &mut c[3 * at..3 * (at + size)]));
        at += size;
    }
    Ok(())
});
