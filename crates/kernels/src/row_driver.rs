//! The one driver of the row losses: losses over a class (or list) dimension, whose rows the TS
//! layer stages contiguous (the class dimension last).
//!
//! The driver takes the loss as a trait object (`&dyn RowLoss<E>`): its loops exist once per
//! element type, not once per loss, and the per-row virtual calls cost nothing next to a row's
//! work (the loss's own passes are where the time goes).
//!
//! A loss implements [`RowLoss`]: a few passes over a row, each adding to a small per-row
//! state (`[f64; STATE_SLOTS]`: a max, a log-sum, the target's logit…), then the row's value
//! and its share of the 'mean' denominator, and a gradient pass. The driver owns everything
//! else: the row loop, ignored targets, target validation, the per-row (or per-element)
//! output, the upstream gradient, and the call's statistics — `Σ l`, the denominator and the
//! loss's own extra sufficient statistics — accumulated in f64 with compensation, so that
//! chunks, calls and streaming metrics combine them exactly.
//!
//! Passes see a [`Piece`] of the row: the whole row (every call with rows that fit the
//! scratch area), or, for rows wider than that (a 1e7-class vocabulary), consecutive slices
//! of it that the TS layer streams through a bounded scratch area, one export call per pass
//! per piece ([`piece`]); the state carries everything between them. A loss written as
//! passes therefore runs in bounded memory for any class count, and the whole-row hooks
//! ([`RowLoss::forward_row`], [`RowLoss::backward_row`]) let a loss keep a faster in-memory
//! path (cross entropy reuses its exponentials).

use crate::driver::{Sum, Upstream};
pub use crate::rows::BLOCK;
use crate::simd::Element;

/// f64 slots of per-row state a loss may use.
pub const STATE_SLOTS: usize = 16;
/// The per-row state.
pub type State = [f64; STATE_SLOTS];

/// Which side of the loss a pass belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Forward,
    Backward,
}

/// A row, or a piece of one: `x[k]` is class `start + k` of a row `width` wide; `t` is the same
/// range of the row's float operand (probability targets, teacher logits; empty when the loss
/// has none).
#[derive(Clone, Copy)]
pub struct Piece<'a, E> {
    pub start: usize,
    pub width: usize,
    pub x: &'a [E],
    pub t: &'a [E],
}

impl<'a, E: Element> Piece<'a, E> {
    /// The whole row.
    pub fn whole(x: &'a [E], t: &'a [E]) -> Self {
        Piece {
            start: 0,
            width: x.len(),
            x,
            t,
        }
    }

    /// `x` at class `c` when this piece holds it.
    #[inline]
    pub fn at(&self, c: usize) -> Option<f64> {
        c.checked_sub(self.start)
            .and_then(|k| self.x.get(k))
            .map(|v| v.to_f64())
    }

    /// The class range this piece covers.
    pub fn range(&self) -> core::ops::Range<usize> {
        self.start..self.start + self.x.len()
    }
}

/// The upstream gradient of one row: a scalar (a reduced loss, or a per-row output), or one
/// value per element of the piece (per-element outputs), times `scale`.
#[derive(Clone, Copy)]
pub enum RowGrad<'a, E> {
    Scalar(f64),
    Elements(&'a [E], f64),
}

impl<E: Element> RowGrad<'_, E> {
    /// The scalar upstream (0 for a per-element one, whose losses read the elements).
    pub fn scalar(&self) -> f64 {
        match *self {
            RowGrad::Scalar(g) => g,
            RowGrad::Elements(..) => 0.0,
        }
    }
}

/// A loss over rows. See the module documentation for the protocol.
pub trait RowLoss<E: Element> {
    /// Passes over the row before [`RowLoss::value`].
    fn forward_passes(&self) -> usize;
    /// Passes over the row before [`RowLoss::grad`].
    fn backward_passes(&self) -> usize;
    /// Whether wide rows may be streamed in pieces ([`piece`]); a loss that needs its whole
    /// row at once (multilabelMarginLoss's target lists) says no, and the TS layer stages its
    /// rows whole.
    fn streams(&self) -> bool {
        true
    }
    /// Whether the forward's output is one value per element of the row (distillation's
    /// 'none'), written by [`RowLoss::output`], rather than one per row; its upstream gradient
    /// is then per element too.
    fn per_element(&self) -> bool {
        false
    }

    /// Sufficient statistics beyond `Σ l` and the denominator (added by [`RowLoss::value`]).
    fn extra_stats(&self) -> usize {
        0
    }

    /// Whether `y` (the row's integer target: one class index, a list, or nothing) is valid
    /// for a row `width` wide. Default: a single index must lie in `0..width`.
    fn target_ok(&self, y: &[i32], width: usize) -> bool {
        match y {
            [c] => *c >= 0 && (*c as usize) < width,
            _ => true,
        }
    }

    /// `Some(n)` when a single class-index target is valid exactly in `0..n` (what
    /// [`RowLoss::target_ok`] then says): [`Rows::bad_target`] checks the batch's targets in
    /// one tight loop instead of a call per row (a tenth of a 10-class row's time). Default:
    /// `None`, the per-row call.
    fn index_range(&self, _width: usize) -> Option<usize> {
        None
    }

    /// The state before the first pass.
    fn init(&self, st: &mut State) {
        *st = [0.0; STATE_SLOTS];
    }

    /// Pass `pass` of `phase` over `piece` (pieces arrive in order, each pass over all of
    /// them before the next pass). `g` is the row's upstream gradient (backward only).
    fn pass(
        &self,
        phase: Phase,
        pass: usize,
        st: &mut State,
        y: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
    );

    /// After the forward passes: the loss of a row `width` wide and its share of the 'mean'
    /// denominator; extra statistics are added to `extra`.
    fn value(&self, st: &State, y: &[i32], width: usize, extra: &mut [Sum]) -> (f64, f64);

    /// Per-element output of a [`RowLoss::per_element`] loss, after the forward passes.
    fn output(&self, _st: &State, _y: &[i32], _piece: Piece<'_, E>, _out: &mut [E]) {}

    /// After the backward passes: writes `∂x` for the piece into `gx` and `∂t` into `gt`
    /// (each when given).
    fn grad(
        &self,
        st: &State,
        y: &[i32],
        piece: Piece<'_, E>,
        g: RowGrad<'_, E>,
        gx: Option<&mut [E]>,
        gt: Option<&mut [E]>,
    );

    /// Whether rows `width` wide go through [`RowLoss::forward_block`], [`BLOCK`] rows at a
    /// time, instead of [`RowLoss::forward_row`]: for rows of a few vectors (a 10-class
    /// classifier), whose per-row fixed costs outweigh their elements'. Default: never.
    fn blocks(&self, _width: usize) -> bool {
        false
    }

    /// The forward of [`BLOCK`] consecutive rows (`x` from the first row's start to the end of
    /// the call's input; `y` their single targets, valid, an ignored row's replaced by 0):
    /// each row's `(l, d)` into `out`, as [`RowLoss::forward_row`] gives them within the
    /// tolerances. False (and `out` unused) sends the block through [`RowLoss::forward_row`]
    /// row by row: rows the narrow path does not handle (non-finite ones), or too few elements
    /// left in `x`.
    fn forward_block(
        &self,
        _x: &[E],
        _width: usize,
        _y: &[i32; BLOCK],
        _out: &mut [(f64, f64); BLOCK],
    ) -> bool {
        false
    }

    /// The whole-row forward: the passes, then the value. A loss may override it with a
    /// faster in-memory path giving the same result.
    fn forward_row(&self, y: &[i32], row: Piece<'_, E>, extra: &mut [Sum]) -> (f64, f64) {
        let mut st = [0.0; STATE_SLOTS];
        self.init(&mut st);
        for p in 0..self.forward_passes() {
            self.pass(Phase::Forward, p, &mut st, y, row, RowGrad::Scalar(0.0));
        }
        self.value(&st, y, row.width, extra)
    }

    /// The whole-row backward: the passes, then the gradient. `scratch` holds one row.
    fn backward_row(
        &self,
        y: &[i32],
        row: Piece<'_, E>,
        g: RowGrad<'_, E>,
        _scratch: &mut [E],
        gx: Option<&mut [E]>,
        gt: Option<&mut [E]>,
    ) {
        let mut st = [0.0; STATE_SLOTS];
        self.init(&mut st);
        for p in 0..self.backward_passes() {
            self.pass(Phase::Backward, p, &mut st, y, row, g);
        }
        self.grad(&st, y, row, g, gx, gt);
    }
}

/// A batch of rows as the export hands it over: `rows` rows of `width` inputs, the float
/// operand `t` (`rows × width`, or empty), `y_width` integer targets per row (0, 1, or
/// `width` for lists), and the ignored target value (rows whose single target equals it
/// contribute nothing: 0 loss, no denominator, 0 gradient).
pub struct Rows<'a, E> {
    pub x: &'a [E],
    pub width: usize,
    pub t: &'a [E],
    pub y: &'a [i32],
    pub y_width: usize,
    pub ignore_index: Option<i32>,
}

impl<'a, E: Element> Rows<'a, E> {
    /// Number of rows (0 for zero-width rows with no elements: the caller passes the count).
    fn count(&self) -> usize {
        match (self.width, self.y_width) {
            (0, 0) => 0,
            (0, yw) => self.y.len() / yw,
            (w, _) => self.x.len() / w,
        }
    }

    fn y_of(&self, r: usize) -> &'a [i32] {
        &self.y[r * self.y_width..(r + 1) * self.y_width]
    }

    fn row(&self, r: usize) -> Piece<'a, E> {
        let range = r * self.width..(r + 1) * self.width;
        let t = if self.t.is_empty() {
            &[][..]
        } else {
            &self.t[range.clone()]
        };
        Piece::whole(&self.x[range], t)
    }

    fn ignored(&self, y: &[i32]) -> bool {
        matches!((y, self.ignore_index), ([c], Some(i)) if *c == i)
    }

    /// The first target that is neither ignored nor valid for the loss.
    pub fn bad_target(&self, loss: &dyn RowLoss<E>) -> Option<i32> {
        if let (1, Some(n)) = (self.y_width, loss.index_range(self.width)) {
            let ok = |c: i32| (c as u32 as usize) < n || Some(c) == self.ignore_index;
            return self.y.iter().copied().find(|&c| !ok(c));
        }
        (0..self.count()).find_map(|r| {
            let y = self.y_of(r);
            if self.ignored(y) || loss.target_ok(y, self.width) {
                None
            } else {
                Some(
                    y.iter()
                        .copied()
                        .find(|&c| c < -1 || c as usize >= self.width)
                        .unwrap_or(y[0]),
                )
            }
        })
    }
}

/// Runs the forward over every row: the per-row (or per-element, [`RowLoss::per_element`])
/// output into `out` when given, and the call's statistics into `stats`: `[Σ l, denominator,
/// extra…]` (`stats.len() == 2 + loss.extra_stats()`). Targets must have been checked
/// ([`Rows::bad_target`]).
pub fn forward<E: Element>(
    loss: &dyn RowLoss<E>,
    rows: &Rows<'_, E>,
    mut out: Option<&mut [E]>,
    stats: &mut [f64],
) {
    let mut sums = vec![Sum::default(); stats.len()];
    let (head, extra) = sums.split_at_mut(2);
    let w = rows.width;
    // Narrow rows a block at a time (the loss's choice, single class-index targets only); a
    // block the loss declines, and the rows after the last whole block, go row by row.
    let blocks = !loss.per_element() && rows.y_width == 1 && w > 0 && loss.blocks(w);
    let count = rows.count();
    let mut r = 0;
    while r < count {
        if blocks && r + BLOCK <= count {
            let mut ys = [0i32; BLOCK];
            let mut ignored = [false; BLOCK];
            for k in 0..BLOCK {
                let y = rows.y_of(r + k);
                ignored[k] = rows.ignored(y);
                ys[k] = if ignored[k] { 0 } else { y[0] };
            }
            let mut vals = [(0.0, 0.0); BLOCK];
            if loss.forward_block(&rows.x[r * w..], w, &ys, &mut vals) {
                for (v, &ig) in vals.iter_mut().zip(&ignored) {
                    if ig {
                        *v = (0.0, 0.0);
                    }
                }
                if let Some(o) = out.as_deref_mut() {
                    for (o, v) in o[r..r + BLOCK].iter_mut().zip(&vals) {
                        *o = E::from_f64(v.0);
                    }
                }
                // The block's four terms summed plainly, then once into the compensated sums:
                // a few ulps of the block's sum (non-negative terms: nothing cancels), and a
                // quarter of the per-row cost of the compensated adds.
                let (l, d) = vals.iter().fold((0.0, 0.0), |(l, d), v| (l + v.0, d + v.1));
                head[0].add(l);
                head[1].add(d);
                r += BLOCK;
                continue;
            }
            for k in r..r + BLOCK {
                forward_one(loss, rows, k, out.as_deref_mut(), head, extra);
            }
            r += BLOCK;
            continue;
        }
        forward_one(loss, rows, r, out.as_deref_mut(), head, extra);
        r += 1;
    }
    for (s, v) in stats.iter_mut().zip(&sums) {
        *s = v.value();
    }
}

/// [`forward`] of row `r` alone.
fn forward_one<E: Element>(
    loss: &dyn RowLoss<E>,
    rows: &Rows<'_, E>,
    r: usize,
    mut out: Option<&mut [E]>,
    head: &mut [Sum],
    extra: &mut [Sum],
) {
    let y = rows.y_of(r);
    let row = rows.row(r);
    let (l, d) = if rows.ignored(y) {
        if loss.per_element() {
            if let Some(o) = out.as_deref_mut() {
                o[r * rows.width..(r + 1) * rows.width].fill(E::default());
            }
        }
        (0.0, 0.0)
    } else if loss.per_element() {
        let mut st = [0.0; STATE_SLOTS];
        loss.init(&mut st);
        for p in 0..loss.forward_passes() {
            loss.pass(Phase::Forward, p, &mut st, y, row, RowGrad::Scalar(0.0));
        }
        if let Some(o) = out.as_deref_mut() {
            loss.output(&st, y, row, &mut o[r * rows.width..(r + 1) * rows.width]);
        }
        loss.value(&st, y, rows.width, extra)
    } else {
        loss.forward_row(y, row, extra)
    };
    if !loss.per_element() {
        if let Some(o) = out {
            o[r] = E::from_f64(l);
        }
    }
    head[0].add(l);
    head[1].add(d);
}

/// Runs the backward over every row: `∂x` into `gx`, `∂t` into `gt` (each when given) for
/// upstream `g` (one scalar, or one value per row — per element for a
/// [`RowLoss::per_element`] loss — times its scale).
pub fn backward<E: Element>(
    loss: &dyn RowLoss<E>,
    rows: &Rows<'_, E>,
    g: &Upstream<'_, E>,
    mut gx: Option<&mut [E]>,
    mut gt: Option<&mut [E]>,
) {
    let w = rows.width;
    let mut scratch = vec![E::default(); w];
    for r in 0..rows.count() {
        let y = rows.y_of(r);
        let range = r * w..(r + 1) * w;
        let gxr = gx.as_deref_mut().map(|s| &mut s[range.clone()]);
        let gtr = gt.as_deref_mut().map(|s| &mut s[range.clone()]);
        if rows.ignored(y) {
            for s in [gxr, gtr].into_iter().flatten() {
                s.fill(E::default());
            }
            continue;
        }
        let gr = match g {
            Upstream::Scalar(s) => RowGrad::Scalar(s.to_f64()),
            Upstream::PerElement(gs, k) if loss.per_element() => {
                RowGrad::Elements(&gs[range], k.to_f64())
            }
            Upstream::PerElement(gs, k) => RowGrad::Scalar(gs[r].to_f64() * k.to_f64()),
        };
        loss.backward_row(y, rows.row(r), gr, &mut scratch, gxr, gtr);
    }
}

/// One step of the streamed (piece-by-piece) protocol for one row too wide for the scratch
/// area. The TS layer calls [`Step::Init`] (which resets `st` and writes the forward and
/// backward pass counts into `value_out[0..2]`), then for each pass, each piece in order:
/// the forward passes, then [`Step::Value`] once (any piece: `value_out` gets
/// `[l, d, extra…]`), then [`Step::Output`] per piece for per-element outputs; for the
/// gradient, [`Step::Init`], the backward passes, then [`Step::Grad`] per piece. `st`
/// persists between the calls (the TS keeps it in wasm memory).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    Init,
    Pass(Phase, usize),
    Value,
    Output,
    Grad,
}

impl Step {
    /// Decodes the export's `(step, pass)` integers: 0 init, 1 forward pass, 2 value, 3
    /// output, 4 backward pass, 5 grad.
    pub fn decode(step: i32, pass: u32) -> Option<Step> {
        Some(match step {
            0 => Step::Init,
            1 => Step::Pass(Phase::Forward, pass as usize),
            2 => Step::Value,
            3 => Step::Output,
            4 => Step::Pass(Phase::Backward, pass as usize),
            5 => Step::Grad,
            _ => return None,
        })
    }
}

/// Runs one [`Step`] of the streamed protocol on `piece` of one row with target `y`.
#[allow(clippy::too_many_arguments)]
pub fn piece<E: Element>(
    loss: &dyn RowLoss<E>,
    step: Step,
    st: &mut State,
    y: &[i32],
    piece: Piece<'_, E>,
    g: RowGrad<'_, E>,
    out: Option<&mut [E]>,
    value_out: &mut [f64],
    gx: Option<&mut [E]>,
    gt: Option<&mut [E]>,
) {
    match step {
        Step::Init => {
            // The pass counts, for the caller's loop.
            loss.init(st);
            value_out[0] = loss.forward_passes() as f64;
            value_out[1] = loss.backward_passes() as f64;
        }
        Step::Pass(phase, p) => loss.pass(phase, p, st, y, piece, g),
        Step::Value => {
            let mut extra = vec![Sum::default(); loss.extra_stats()];
            let (l, d) = loss.value(st, y, piece.width, &mut extra);
            value_out[0] = l;
            value_out[1] = d;
            for (o, e) in value_out[2..].iter_mut().zip(&extra) {
                *o = e.value();
            }
        }
        Step::Output => {
            if let Some(o) = out {
                loss.output(st, y, piece, o);
            }
        }
        Step::Grad => loss.grad(st, y, piece, g, gx, gt),
    }
}

/// Helpers for state slots that hold a compensated sum (two slots).
pub fn sum_at(st: &State, i: usize) -> Sum {
    Sum::from_parts(st[i], st[i + 1])
}

pub fn add_at(st: &mut State, i: usize, v: f64) {
    let mut s = sum_at(st, i);
    s.add(v);
    (st[i], st[i + 1]) = s.parts();
}

/// The NaN-propagating running max of a state slot (initialised to −∞ by the loss).
pub fn max_at(st: &mut State, i: usize, v: f64) {
    st[i] = if v.is_nan() || st[i].is_nan() {
        f64::NAN
    } else {
        st[i].max(v)
    };
}

/// [`forward`] for callers with plain slices (tests, benchmarks): `(Σ l, denominator)`.
#[allow(clippy::too_many_arguments)]
pub fn run_forward<E: Element>(
    loss: &dyn RowLoss<E>,
    x: &[E],
    width: usize,
    t: &[E],
    y: &[i32],
    y_width: usize,
    ignore_index: Option<i32>,
    out: Option<&mut [E]>,
) -> (f64, f64) {
    let rows = Rows {
        x,
        width,
        t,
        y,
        y_width,
        ignore_index,
    };
    let mut stats = vec![0.0; 2 + loss.extra_stats()];
    forward(loss, &rows, out, &mut stats);
    (stats[0], stats[1])
}

/// [`backward`] for callers with plain slices (tests, benchmarks).
#[allow(clippy::too_many_arguments)]
pub fn run_backward<E: Element>(
    loss: &dyn RowLoss<E>,
    x: &[E],
    width: usize,
    t: &[E],
    y: &[i32],
    y_width: usize,
    ignore_index: Option<i32>,
    g: &Upstream<'_, E>,
    gx: Option<&mut [E]>,
    gt: Option<&mut [E]>,
) {
    let rows = Rows {
        x,
        width,
        t,
        y,
        y_width,
        ignore_index,
    };
    backward(loss, &rows, g, gx, gt);
}

/// A row loss's class weights, as its export received them: all `C` of them (rows staged
/// whole), or, for a row streamed in pieces, the piece's own (the TS layer stages the weights
/// piece by piece with the row, so that no call holds more than a piece of them). Which it is
/// shows against the row's width.
#[derive(Clone, Copy)]
pub struct ClassWeights<'a, E> {
    w: Option<&'a [E]>,
    /// Σ of the given weights, once per call.
    sum: f64,
}

impl<'a, E: Element> ClassWeights<'a, E> {
    pub fn new(w: Option<&'a [E]>) -> Self {
        ClassWeights {
            w,
            sum: w.map_or(0.0, crate::driver::sum),
        }
    }

    /// Whether these are all of a `width`-wide row's weights (else one piece's).
    fn whole(w: &[E], width: usize) -> bool {
        w.len() == width
    }

    /// The weights over the piece's classes (`None`: all ones).
    pub fn over(&self, piece: &Piece<'_, E>) -> Option<&'a [E]> {
        self.w.map(|w| {
            if Self::whole(w, piece.width) {
                &w[piece.range()]
            } else {
                w
            }
        })
    }

    /// The weight of class `c` when it is known from this piece (1 without weights).
    pub fn at(&self, piece: &Piece<'_, E>, c: usize) -> Option<f64> {
        match self.w {
            None => Some(1.0),
            Some(w) if Self::whole(w, piece.width) => w.get(c).map(|v| v.to_f64()),
            Some(w) => c
                .checked_sub(piece.start)
                .and_then(|k| w.get(k))
                .map(|v| v.to_f64()),
        }
    }

    /// The weight of class `c`, all weights at hand (rows staged whole).
    pub fn of(&self, c: usize) -> f64 {
        self.w.map_or(1.0, |w| w[c].to_f64())
    }

    /// `Σ_c w_c` of a `width`-wide row when all its weights are here (`None` for a piece's:
    /// a streamed row sums [`ClassWeights::piece_sum`] over its pieces).
    pub fn total(&self, width: usize) -> Option<f64> {
        match self.w {
            None => Some(width as f64),
            Some(w) if Self::whole(w, width) => Some(self.sum),
            Some(_) => None,
        }
    }

    /// `Σ` of the weights over this piece.
    pub fn piece_sum(&self, piece: &Piece<'_, E>) -> f64 {
        match self.w {
            None => piece.x.len() as f64,
            Some(w) if !Self::whole(w, piece.width) => self.sum,
            Some(w) => crate::driver::sum(&w[piece.range()]),
        }
    }
}
