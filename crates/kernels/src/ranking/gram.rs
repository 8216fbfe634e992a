//! The similarity-matrix core of the contrastive losses (NT-Xent, SupCon).
//!
//! `M` embeddings `z_j` (rows of `D`); the first `A ≤ M` rows are the anchors. Each anchor `i`
//! scores every other row, `S_ij = z_i·z_j / τ` (`j ≠ i`), and its positives are the rows with
//! its class id, `P(i) = {j ≠ i : id_j = id_i}`, `n_i = |P(i)|`. With
//! `lse_i = log Σ_{j≠i} e^{S_ij}`:
//!
//! `l_i = coef · Σ_{p∈P(i)} (lse_i − S_ip) / max(n_i, 1)` (0 for an anchor without positives),
//!
//! i.e. SupCon's `−coef·mean_{p} log softmax_p` (SupContrast after the fix for anchors without
//! positives) and, with one positive per anchor and `coef = 1`, NT-Xent's cross entropy.
//!
//! Gradient, for upstream `g_i`: `∂l_i/∂S_ij = a_i·(n_i·P_ij − [j ∈ P(i)])` with
//! `a_i = coef·g_i / max(n_i, 1)` and `P_ij = e^{S_ij − lse_i}`; then
//! `∂z_i += Σ_j G_ij z_j / τ` (as anchor) and `∂z_j += G_ij z_i / τ` (as a contrast row).
//!
//! Method: `S` is never stored. It is computed in `T × T` tiles by a register-blocked SIMD
//! micro-kernel (4 rows × 2 vectors of columns, the columns read from a transposed copy of
//! the rows packed per tile), twice: once for the per-anchor statistics (an online
//! log-sum-exp, positives' sum and count), once for the gradient, whose two products
//! `G Z` and `Gᵀ Z` run through the same micro-kernel. When every row is an anchor the
//! matrix is symmetric and only the tiles on and above the diagonal are computed: each
//! serves the anchors of its rows and, transposed, those of its columns. Memory is `O(M·D)`.
//!
//! Exponentials: when one shift `c` bounds every score with each anchor's largest score within
//! reach of it (bounded norms at usual temperatures: the common case), every stored score
//! becomes `E_ij = e^{S_ij − c}` once, shared by the anchors of its row and of its column, and
//! the gradient's probabilities are `E_ij·e^{c − lse_i}`: one exponential per tile entry over
//! both passes instead of four (see `shared_stats_pass`). Otherwise the general passes keep a
//! running shift per anchor and direction.
//!
//! Numerics: each anchor's log-sum-exp is kept as `shift + log1p(rest)`, `shift` its largest
//! score (an element, exact) and `rest` the other terms' sum `Σ e^{S_ij − shift}` in f64, the
//! largest term's own `e^0 = 1` left out (it is found per tile where the maximum grows): a
//! confident anchor's small loss keeps its digits, as `crate::rows::log_sum_exp`. The
//! gradient's positive entries `a_i·(n_i·P_ip − 1)` are recomputed as
//! `a_i·expm1(ln n_i − (lse_i − S_ip))`, exact where `n_i·P_ip` is near 1.

use super::{row_sums, splat};
use crate::driver::Sum;
use crate::math::exp_ftz_nonpos;
use crate::simd::{Element, Vector};

/// Rows per micro-kernel block.
const MR: usize = 4;

/// Rows and columns of a score tile (at most 64: a tile's rows are flagged in a `u64`).
const TILE: usize = 64;

/// Score tiles a fused forward-and-gradient call keeps between its passes, at most (bytes): the
/// upper triangle of a 4096 × 4096 float32 matrix, a little more than the benchmark's
/// 2048 × 2048. Beyond it the tiles are recomputed, so memory stays `O(M·D)`.
pub const KEEP_BYTES: usize = 32 << 20;

/// The embeddings, zero-padded to whole tiles (rows) and whole micro-kernel column blocks
/// (`D`), with the transposed copy the score tiles read their columns from.
pub struct Gram<E> {
    /// Tile size (rows and columns of a score tile).
    t: usize,
    /// Valid rows `M`.
    rows: usize,
    /// Padded rows (a multiple of `t`).
    mp: usize,
    dim: usize,
    /// Padded row length (a multiple of 2 vectors).
    dp: usize,
    /// `mp × dp`, row-major.
    z: Vec<E>,
    /// Per column tile `jt`: `dim × t`, `panel[k][c] = z[jt·t + c][k]`.
    panels: Vec<E>,
    /// The largest squared row norm `max_r ‖z_r‖²` of the stored rows (NaN if one is not
    /// finite): with `1/τ` it bounds every score (see [`Contrast::common_shift`]).
    max_sq: f64,
}

impl<E: Element> Gram<E> {
    /// `rows × dim` embeddings; `fill(r, row)` writes row `r` (`dim` values).
    pub fn new(rows: usize, dim: usize, mut fill: impl FnMut(usize, &mut [E])) -> Self {
        let t = TILE;
        let mp = rows.div_ceil(t) * t;
        let block = 2 * E::V::LANES;
        let dp = dim.div_ceil(block).max(1) * block;
        let mut z = vec![E::default(); mp * dp];
        let mut max_sq = 0.0f64;
        for r in 0..rows {
            let row = &mut z[r * dp..r * dp + dim];
            fill(r, row);
            let [sq] = row_sums([&*row, &*row, &*row], dim, |[a, _, _]| [a * a]);
            if !sq.is_finite() || max_sq.is_nan() {
                max_sq = f64::NAN;
            } else if sq > max_sq {
                max_sq = sq;
            }
        }
        let tiles = mp / t;
        let mut panels = vec![E::default(); tiles * dim * t];
        for jt in 0..tiles {
            let panel = &mut panels[jt * dim * t..(jt + 1) * dim * t];
            for c in 0..t {
                let row = &z[(jt * t + c) * dp..(jt * t + c) * dp + dim];
                for (k, &v) in row.iter().enumerate() {
                    panel[k * t + c] = v;
                }
            }
        }
        Gram {
            t,
            rows,
            mp,
            dim,
            dp,
            z,
            panels,
            max_sq,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `r` (`dim` values).
    pub fn row(&self, r: usize) -> &[E] {
        &self.z[r * self.dp..r * self.dp + self.dim]
    }

    /// A zeroed gradient buffer of this layout (`mp × dp`); row `r` of the result is
    /// [`Gram::grad_row`].
    pub fn grad_buffer(&self) -> Vec<E> {
        vec![E::default(); self.mp * self.dp]
    }

    /// Row `r` of a gradient buffer.
    pub fn grad_row<'b>(&self, g: &'b [E], r: usize) -> &'b [E] {
        &g[r * self.dp..r * self.dp + self.dim]
    }

    /// `c[r][0..2L] (+)= Σ_k a[r·lda + k·sa] · b[k·ldb .. +2L]` for `r < 4`, scaled by `scale`
    /// when overwriting: the one micro-kernel (4 rows × 2 vectors, the 8 accumulators and the
    /// three operands in registers).
    ///
    /// # Safety
    /// Every address read or written lies inside the buffers the pointers come from.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn micro(
        a: *const E,
        lda: usize,
        sa: usize,
        b: *const E,
        ldb: usize,
        kdim: usize,
        c: *mut E,
        ldc: usize,
        add: bool,
        scale: E,
    ) {
        let l = E::V::LANES;
        let zero = E::V::splat(E::default());
        // SAFETY (whole body): per the contract, every offset below is in bounds.
        unsafe {
            let mut acc = [[zero; 2]; MR];
            if add {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let p = c.add(r * ldc);
                    *acc = [E::V::load_ptr(p), E::V::load_ptr(p.add(l))];
                }
            }
            let rows: [*const E; MR] = core::array::from_fn(|r| a.add(r * lda));
            for k in 0..kdim {
                let bp = b.add(k * ldb);
                let (b0, b1) = (E::V::load_ptr(bp), E::V::load_ptr(bp.add(l)));
                for r in 0..MR {
                    let av = E::V::splat(*rows[r].add(k * sa));
                    acc[r][0] = acc[r][0] + av * b0;
                    acc[r][1] = acc[r][1] + av * b1;
                }
            }
            let s = E::V::splat(scale);
            for (r, acc) in acc.iter().enumerate() {
                let p = c.add(r * ldc);
                let (x0, x1) = if add {
                    (acc[0], acc[1])
                } else {
                    (acc[0] * s, acc[1] * s)
                };
                x0.store_ptr(p);
                x1.store_ptr(p.add(l));
            }
        }
    }

    /// The score tile `s[i][j] = inv_t · z_{i0+i}·z_{j0+j}` (`t × t`), for the row blocks
    /// that hold a valid row (the others keep stale values: callers mask rows ≥ `M`).
    fn scores(&self, it: usize, jt: usize, inv_t: f64, s: &mut [E]) {
        let t = self.t;
        let (i0, l2) = (it * t, 2 * E::V::LANES);
        let panel = &self.panels[jt * self.dim * t..(jt + 1) * self.dim * t];
        assert!(s.len() >= t * t && self.z.len() >= (i0 + t) * self.dp);
        let scale = E::from_f64(inv_t);
        let live = self.rows.saturating_sub(i0).min(t);
        for i in (0..live).step_by(MR) {
            for j in (0..t).step_by(l2) {
                // SAFETY: rows i0+i .. i0+i+4 ≤ mp of z (dim ≤ dp values each), panel
                // columns j .. j+2L ≤ t for k < dim, tile entries (i+4)·t ≤ t² (asserted).
                unsafe {
                    Self::micro(
                        self.z.as_ptr().add((i0 + i) * self.dp),
                        self.dp,
                        1,
                        panel.as_ptr().add(j),
                        t,
                        self.dim,
                        s.as_mut_ptr().add(i * t + j),
                        t,
                        false,
                        scale,
                    );
                }
            }
        }
    }

    /// `dz[row_u + r] += Σ_q m(r, q) · z[row_v + q]` over a tile: `m(r, q) = m[r·t + q]`, or
    /// `m[q·t + r]` when `transpose` (the tile's `Gᵀ Z`). Rows of `dz` beyond `M` receive
    /// garbage-free zeros only if `m` is zero there (callers zero invalid entries).
    fn accumulate(&self, m: &[E], transpose: bool, ut: usize, vt: usize, dz: &mut [E]) {
        let t = self.t;
        let (u0, v0, l2) = (ut * t, vt * t, 2 * E::V::LANES);
        assert!(
            m.len() >= t * t
                && dz.len() >= (u0 + t) * self.dp
                && self.z.len() >= (v0 + t) * self.dp
        );
        let (lda, sa) = if transpose { (1, t) } else { (t, 1) };
        let live_u = self.rows.saturating_sub(u0).min(t);
        let live_v = self.rows.saturating_sub(v0).min(t);
        for r in (0..live_u).step_by(MR) {
            for k in (0..self.dp).step_by(l2) {
                // SAFETY: m entries r·lda + q·sa < t² for r < t, q < live_v ≤ t; z rows
                // v0 .. v0+live_v and dz rows u0+r .. u0+r+4 ≤ mp, columns k+2L ≤ dp.
                unsafe {
                    Self::micro(
                        m.as_ptr().add(r * lda),
                        lda,
                        sa,
                        self.z.as_ptr().add(v0 * self.dp + k),
                        self.dp,
                        live_v,
                        dz.as_mut_ptr().add((u0 + r) * self.dp + k),
                        self.dp,
                        true,
                        E::default(),
                    );
                }
            }
        }
    }
}

/// A contrastive objective over a [`Gram`] (see the module documentation).
pub struct Contrast<'a, E> {
    pub gram: &'a Gram<E>,
    /// Rows `0..anchors` are the anchors (`anchors == rows`: every row, symmetric tiles).
    pub anchors: usize,
    /// One class id per row (small non-negative integers, exact in `E`), `mp` long or longer
    /// (padding rows are never read as positives).
    pub ids: &'a [E],
    pub inv_t: f64,
    pub coef: f64,
}

/// Per-anchor results of the forward pass; the backward pass needs them again.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// `lse_i = shift_i + log_sum_i` with `shift_i` the anchor's largest score.
    pub shift: Vec<f64>,
    pub log_sum: Vec<f64>,
    /// Positives `n_i`.
    pub count: Vec<f64>,
    /// `l_i`.
    pub loss: Vec<f64>,
}

impl Stats {
    fn with_capacity(a: usize) -> Self {
        Stats {
            shift: Vec::with_capacity(a),
            log_sum: Vec::with_capacity(a),
            count: Vec::with_capacity(a),
            loss: Vec::with_capacity(a),
        }
    }
}

/// Running per-row state of the forward pass.
struct Running {
    shift: Vec<f64>,
    rest: Vec<f64>,
    pos: Vec<Sum>,
    cnt: Vec<f64>,
}

/// Lane indices `0, 1, …` as a vector.
#[inline(always)]
fn iota<V: Vector>() -> V {
    let mut b = [V::Elem::default(); 8];
    for (k, v) in b.iter_mut().enumerate() {
        *v = V::Elem::from_f64(k as f64);
    }
    V::load(&b)
}

/// Horizontal maximum (pseudo-max: NaN lanes are skipped; the sums carry NaN).
#[inline(always)]
fn hmax<V: Vector>(v: V) -> f64 {
    let mut b = [V::Elem::default(); 8];
    v.store(&mut b);
    b[..V::LANES].iter().fold(f64::NEG_INFINITY, |m, x| {
        if x.to_f64() > m {
            x.to_f64()
        } else {
            m
        }
    })
}

impl<E: Element> Contrast<'_, E> {
    fn tile(&self) -> usize {
        self.gram.t
    }

    fn symmetric(&self) -> bool {
        self.anchors == self.gram.rows
    }

    /// The tile pairs to visit: `(I, J)` with `I` over the anchors' tiles and `J` over every
    /// row tile (`J ≥ I` when symmetric).
    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let t = self.tile();
        let (ta, tm) = (self.anchors.div_ceil(t), self.gram.mp / t);
        let sym = self.symmetric();
        (0..ta).flat_map(move |i| (if sym { i } else { 0 }..tm).map(move |j| (i, j)))
    }

    /// Anchor statistics and losses.
    pub fn forward(&self) -> Stats {
        if let Some(c) = self.common_shift() {
            if let Some(st) = self.shared_stats_pass(c, None, &mut []) {
                return st;
            }
        }
        self.stats_pass(None)
    }

    /// [`Contrast::forward`] and, in the same call, `∂(Σ_i l_i)/∂z` into `dz` (a
    /// [`Gram::grad_buffer`]): the reduced losses' gradient for an upstream of 1 per anchor,
    /// which the caller scales. The tiles of the first pass are kept for the second when they
    /// fit in `keep_bytes` (else recomputed), so the gradient costs two matrix products
    /// instead of three; with the common shift they are kept as exponentials, so the gradient
    /// pass computes none.
    pub fn forward_with_grad(&self, keep_bytes: usize, dz: &mut [E]) -> Stats {
        let tile = self.tile() * self.tile();
        let count = self.pairs().count();
        let mut kept = (count * tile * core::mem::size_of::<E>() <= keep_bytes)
            .then(|| vec![E::default(); count * tile]);
        if let Some(c) = self.common_shift() {
            let mut flags = vec![0u64; if kept.is_some() { count } else { 0 }];
            if let Some(st) = self.shared_stats_pass(c, kept.as_deref_mut(), &mut flags) {
                let tiles = kept.as_deref().map(|k| (k, &flags[..]));
                if !self.shared_grad_pass(&st, |_| 1.0, dz, tiles, c) {
                    // The kept tiles hold exponentials now: the general pass recomputes.
                    self.grad_pass(&st, |_| 1.0, dz, None);
                }
                return st;
            }
        }
        let st = self.stats_pass(kept.as_deref_mut());
        self.grad_pass(&st, |_| 1.0, dz, kept.as_deref());
        st
    }

    /// The statistics pass; with `keep`, each score tile is computed into its slot there.
    fn stats_pass(&self, mut keep: Option<&mut [E]>) -> Stats {
        let (t, m, a) = (self.tile(), self.gram.rows, self.anchors);
        let mut st = Running {
            shift: vec![f64::NEG_INFINITY; self.gram.mp],
            rest: vec![0.0; self.gram.mp],
            pos: vec![Sum::default(); self.gram.mp],
            cnt: vec![0.0; self.gram.mp],
        };
        let mut buf = vec![E::default(); if keep.is_some() { 0 } else { t * t }];
        let mut scratch = vec![E::default(); 3 * t];
        for (k, (it, jt)) in self.pairs().enumerate() {
            let s: &mut [E] = match keep.as_deref_mut() {
                Some(kept) => &mut kept[k * t * t..(k + 1) * t * t],
                None => &mut buf,
            };
            self.gram.scores(it, jt, self.inv_t, s);
            let s: &[E] = s;
            let (i0, j0) = (it * t, jt * t);
            for i in 0..t.min(a.saturating_sub(i0)) {
                self.row_stats(&mut st, i0 + i, &s[i * t..(i + 1) * t], j0);
            }
            if self.symmetric() && it != jt {
                self.column_stats(&mut st, s, i0, j0, &mut scratch);
            }
        }
        let mut out = Stats::with_capacity(a);
        for i in 0..a {
            let log_sum = if m > 1 {
                st.rest[i].ln_1p()
            } else {
                f64::NEG_INFINITY
            };
            self.push_anchor(&mut out, st.shift[i], log_sum, st.cnt[i], st.pos[i].value());
        }
        out
    }

    /// Appends an anchor's statistics and loss to `out`: with `n` positives whose scores sum to
    /// `pos`, `Σ_p (lse − S_p) / n = (n·shift − pos)/n + log_sum` (0 without positives).
    fn push_anchor(&self, out: &mut Stats, shift: f64, log_sum: f64, n: f64, pos: f64) {
        let loss = if n > 0.0 {
            self.coef * ((n * shift - pos) / n + log_sum)
        } else {
            0.0
        };
        out.shift.push(shift);
        out.log_sum.push(log_sum);
        out.count.push(n);
        out.loss.push(loss);
    }

    /// Folds one tile row (anchor `gi`, columns `j0..j0+t`) into the anchor's running state.
    fn row_stats(&self, st: &mut Running, gi: usize, s: &[E], j0: usize) {
        let (t, lanes) = (self.tile(), E::V::LANES);
        let lim = self.gram.rows.saturating_sub(j0).min(t);
        // The anchor's own column (excluded), or an index no lane has.
        let own = if (j0..j0 + lim).contains(&gi) {
            gi - j0
        } else {
            t + 1
        };
        let (lim_v, own_v) = (splat::<E::V>(lim as f64), splat::<E::V>(own as f64));
        let id = E::V::splat(self.ids[gi]);
        let ninf = splat::<E::V>(f64::NEG_INFINITY);
        let (zero, one) = (splat::<E::V>(0.0), splat::<E::V>(1.0));
        let lane = iota::<E::V>();
        let valid = |c: usize| {
            let j = lane + splat(c as f64);
            E::V::mask_and(j.lt(lim_v), E::V::mask_not(j.eq(own_v)))
        };
        // An interior tile row (every column valid, none the anchor's own): no masks.
        let full = lim == t && own > t;
        let (mut vmax, mut vpos, mut vcnt) = (ninf, zero, zero);
        for c in (0..t).step_by(lanes) {
            let x = E::V::load(&s[c..]);
            let same = E::V::load(&self.ids[j0 + c..]).eq(id);
            let (x, pm) = if full {
                (x, same)
            } else {
                let ok = valid(c);
                (E::V::select(ok, x, ninf), E::V::mask_and(ok, same))
            };
            vmax = vmax.pmax(x);
            vpos = vpos + E::V::select(pm, x, zero);
            vcnt = vcnt + E::V::select(pm, one, zero);
        }
        st.pos[gi].add(vpos.sum_f64());
        st.cnt[gi] += vcnt.sum_f64();
        let tm = hmax(vmax);
        // The tile's maximum becomes the shift if it is larger; its own term e^0 = 1 is then
        // left out of the sum (and the old shift's 1 joins the rest, rescaled).
        let mut star = t + 1;
        if tm > st.shift[gi] {
            star = (0..lim)
                .find(|&j| j != own && s[j].to_f64() == tm)
                .unwrap_or(t + 1);
            st.rest[gi] = (1.0 + st.rest[gi]) * (st.shift[gi] - tm).exp();
            if st.shift[gi] == f64::NEG_INFINITY {
                st.rest[gi] = 0.0;
            }
            st.shift[gi] = tm;
        }
        if st.shift[gi] == f64::NEG_INFINITY {
            return;
        }
        let (sh, star_v) = (splat::<E::V>(st.shift[gi]), splat::<E::V>(star as f64));
        let mut acc = zero;
        if full && star > t {
            // Every term is e^{x − shift} with x ≤ shift.
            for c in (0..t).step_by(lanes) {
                acc = acc + exp_ftz_nonpos(E::V::load(&s[c..]) - sh);
            }
        } else {
            for c in (0..t).step_by(lanes) {
                let x = E::V::load(&s[c..]);
                let j = lane + splat(c as f64);
                let ok = E::V::mask_and(valid(c), E::V::mask_not(j.eq(star_v)));
                acc = acc + E::V::select(ok, exp_ftz_nonpos(E::V::select(ok, x - sh, ninf)), zero);
            }
        }
        st.rest[gi] += acc.sum_f64();
    }

    /// Folds a tile, transposed, into the running state of its column rows `j0..j0+t`
    /// (symmetric pairs above the diagonal: rows `i0..i0+t` are the columns' contrast rows).
    fn column_stats(&self, st: &mut Running, s: &[E], i0: usize, j0: usize, scratch: &mut [E]) {
        let (t, lanes, m) = (self.tile(), E::V::LANES, self.gram.rows);
        let ilim = m.saturating_sub(i0).min(t);
        let jlim = m.saturating_sub(j0).min(t);
        if ilim == 0 || jlim == 0 {
            return;
        }
        let ninf = splat::<E::V>(f64::NEG_INFINITY);
        let (zero, one) = (splat::<E::V>(0.0), splat::<E::V>(1.0));
        let (colmax, rest) = scratch.split_at_mut(t);
        let (shift, star) = rest.split_at_mut(t);
        let mut lanes_buf = [E::default(); 8];
        for c in (0..t).step_by(lanes) {
            let idv = E::V::load(&self.ids[j0 + c..]);
            let (mut cm, mut vpos, mut vcnt) = (ninf, zero, zero);
            for i in 0..ilim {
                let x = E::V::load(&s[i * t + c..]);
                cm = cm.pmax(x);
                let pm = idv.eq(E::V::splat(self.ids[i0 + i]));
                vpos = vpos + E::V::select(pm, x, zero);
                vcnt = vcnt + E::V::select(pm, one, zero);
            }
            cm.store(&mut colmax[c..]);
            vpos.store(&mut lanes_buf);
            let cnt = {
                let mut b = [E::default(); 8];
                vcnt.store(&mut b);
                b
            };
            for q in 0..lanes.min(jlim.saturating_sub(c)) {
                st.pos[j0 + c + q].add(lanes_buf[q].to_f64());
                st.cnt[j0 + c + q] += cnt[q].to_f64();
            }
        }
        for j in 0..jlim {
            let gj = j0 + j;
            let cm = colmax[j].to_f64();
            star[j] = E::from_f64(-1.0);
            if cm > st.shift[gj] {
                let i = (0..ilim)
                    .find(|&i| s[i * t + j].to_f64() == cm)
                    .unwrap_or(t + 1);
                star[j] = E::from_f64(i as f64);
                st.rest[gj] = if st.shift[gj] == f64::NEG_INFINITY {
                    0.0
                } else {
                    (1.0 + st.rest[gj]) * (st.shift[gj] - cm).exp()
                };
                st.shift[gj] = cm;
            }
            shift[j] = E::from_f64(st.shift[gj]);
        }
        for j in jlim..t {
            shift[j] = E::from_f64(0.0);
            star[j] = E::from_f64(-1.0);
        }
        for c in (0..t).step_by(lanes) {
            let (sh, sv) = (E::V::load(&shift[c..]), E::V::load(&star[c..]));
            let mut acc = zero;
            for i in 0..ilim {
                let x = E::V::load(&s[i * t + c..]);
                let keep = E::V::mask_not(sv.eq(splat(i as f64)));
                acc = acc
                    + E::V::select(keep, exp_ftz_nonpos(E::V::select(keep, x - sh, ninf)), zero);
            }
            acc.store(&mut lanes_buf);
            for (q, v) in lanes_buf
                .iter()
                .enumerate()
                .take(lanes.min(jlim.saturating_sub(c)))
            {
                if st.shift[j0 + c + q] != f64::NEG_INFINITY {
                    st.rest[j0 + c + q] += v.to_f64();
                }
            }
        }
    }

    /// Adds `Σ_i ∂(g_i·l_i)/∂z` into `dz` (a [`Gram::grad_buffer`]); `g(i)` is anchor `i`'s
    /// upstream gradient.
    pub fn backward(&self, stats: &Stats, g: impl Fn(usize) -> f64, dz: &mut [E]) {
        if let Some(c) = self.common_shift() {
            if self.shared_grad_pass(stats, &g, dz, None, c) {
                return;
            }
        }
        self.grad_pass(stats, g, dz, None)
    }

    /// The gradient pass, over score tiles recomputed or `kept` by the statistics pass.
    fn grad_pass(&self, stats: &Stats, g: impl Fn(usize) -> f64, dz: &mut [E], kept: Option<&[E]>) {
        let (t, a) = (self.tile(), self.anchors);
        let mp = self.gram.mp;
        // Per-row coefficients in E: shift, log_sum, a·n, a (a = coef·g·inv_t / max(n, 1)).
        let mut co = vec![E::default(); 4 * mp];
        let mut a64 = vec![0.0f64; mp];
        for i in 0..a {
            let n = stats.count[i];
            let ai = self.coef * g(i) * self.inv_t / n.max(1.0);
            a64[i] = ai;
            co[i] = E::from_f64(stats.shift[i]);
            co[mp + i] = E::from_f64(stats.log_sum[i]);
            co[2 * mp + i] = E::from_f64(ai * n);
            co[3 * mp + i] = E::from_f64(ai);
        }
        let mut buf = vec![E::default(); if kept.is_some() { 0 } else { t * t }];
        let mut mrow = vec![E::default(); t * t];
        let mut mcol = vec![E::default(); t * t];
        for (k, (it, jt)) in self.pairs().enumerate() {
            let s: &[E] = match kept {
                Some(kept) => &kept[k * t * t..(k + 1) * t * t],
                None => {
                    self.gram.scores(it, jt, self.inv_t, &mut buf);
                    &buf
                }
            };
            let (i0, j0) = (it * t, jt * t);
            self.row_grads(stats, &co, &a64, s, i0, j0, &mut mrow);
            if self.symmetric() && it != jt {
                self.column_grads(stats, &co, &a64, s, i0, j0, &mut mcol);
                for (r, c) in mrow.iter_mut().zip(&mcol) {
                    *r = *r + *c;
                }
            }
            self.gram.accumulate(&mrow, false, it, jt, dz);
            self.gram.accumulate(&mrow, true, jt, it, dz);
        }
    }

    /// `m[i][j] = G_ij` for the tile's anchor rows (0 where invalid).
    #[allow(clippy::too_many_arguments)]
    fn row_grads(
        &self,
        st: &Stats,
        co: &[E],
        a64: &[f64],
        s: &[E],
        i0: usize,
        j0: usize,
        m: &mut [E],
    ) {
        let (t, lanes, mp) = (self.tile(), E::V::LANES, self.gram.mp);
        let lim = self.gram.rows.saturating_sub(j0).min(t);
        let zero = splat::<E::V>(0.0);
        let ninf = splat::<E::V>(f64::NEG_INFINITY);
        let lane = iota::<E::V>();
        let lim_v = splat::<E::V>(lim as f64);
        let live = self.anchors.saturating_sub(i0).min(t);
        for i in 0..t {
            let row = &mut m[i * t..(i + 1) * t];
            let gi = i0 + i;
            if i >= live || a64[gi] == 0.0 {
                row.fill(E::default());
                continue;
            }
            let own = if (j0..j0 + lim).contains(&gi) {
                gi - j0
            } else {
                t + 1
            };
            let own_v = splat::<E::V>(own as f64);
            let id = E::V::splat(self.ids[gi]);
            let (sh, ls) = (E::V::splat(co[gi]), E::V::splat(co[mp + gi]));
            let (an, av) = (E::V::splat(co[2 * mp + gi]), E::V::splat(co[3 * mp + gi]));
            let srow = &s[i * t..(i + 1) * t];
            if lim == t && own > t {
                // An interior tile row: no masks (the arguments are ≤ 0).
                for c in (0..t).step_by(lanes) {
                    let x = E::V::load(&srow[c..]);
                    let p = exp_ftz_nonpos((x - sh) - ls);
                    let pm = E::V::load(&self.ids[j0 + c..]).eq(id);
                    (an * p - E::V::select(pm, av, zero)).store(&mut row[c..]);
                }
            } else {
                for c in (0..t).step_by(lanes) {
                    let x = E::V::load(&srow[c..]);
                    let j = lane + splat(c as f64);
                    let ok = E::V::mask_and(j.lt(lim_v), E::V::mask_not(j.eq(own_v)));
                    let p = exp_ftz_nonpos(E::V::select(ok, (x - sh) - ls, ninf));
                    let pm = E::V::mask_and(ok, E::V::load(&self.ids[j0 + c..]).eq(id));
                    let gv = an * p - E::V::select(pm, av, zero);
                    E::V::select(ok, gv, zero).store(&mut row[c..]);
                }
            }
            // Positive entries without cancellation: a·(n·e^{−gap} − 1) = a·expm1(ln n − gap).
            let n = st.count[gi];
            if n > 0.0 {
                let ln_n = n.ln();
                for j in 0..lim {
                    if j != own && self.ids[j0 + j] == self.ids[gi] {
                        let gap = (st.shift[gi] - srow[j].to_f64()) + st.log_sum[gi];
                        row[j] = E::from_f64(a64[gi] * (ln_n - gap).exp_m1());
                    }
                }
            }
        }
    }

    /// `m[i][j] = G_ji`: the tile's column rows as anchors (symmetric pairs above the
    /// diagonal), 0 where invalid.
    #[allow(clippy::too_many_arguments)]
    fn column_grads(
        &self,
        st: &Stats,
        co: &[E],
        a64: &[f64],
        s: &[E],
        i0: usize,
        j0: usize,
        m: &mut [E],
    ) {
        let (t, lanes, mp, rows) = (self.tile(), E::V::LANES, self.gram.mp, self.gram.rows);
        let ilim = rows.saturating_sub(i0).min(t);
        let jlim = rows.saturating_sub(j0).min(t);
        let zero = splat::<E::V>(0.0);
        let ninf = splat::<E::V>(f64::NEG_INFINITY);
        let lane = iota::<E::V>();
        let jlim_v = splat::<E::V>(jlim as f64);
        for c in (0..t).step_by(lanes) {
            let j = lane + splat(c as f64);
            let ok = j.lt(jlim_v);
            let (sh, ls) = (E::V::load(&co[j0 + c..]), E::V::load(&co[mp + j0 + c..]));
            let (an, av) = (
                E::V::load(&co[2 * mp + j0 + c..]),
                E::V::load(&co[3 * mp + j0 + c..]),
            );
            let idv = E::V::load(&self.ids[j0 + c..]);
            for i in 0..t {
                let out = &mut m[i * t + c..];
                if i >= ilim {
                    zero.store(out);
                    continue;
                }
                let x = E::V::load(&s[i * t + c..]);
                let p = exp_ftz_nonpos(E::V::select(ok, (x - sh) - ls, ninf));
                let pm = E::V::mask_and(ok, idv.eq(E::V::splat(self.ids[i0 + i])));
                let gv = an * p - E::V::select(pm, av, zero);
                E::V::select(ok, gv, zero).store(out);
            }
        }
        for j in 0..jlim {
            let gj = j0 + j;
            let n = st.count[gj];
            if n > 0.0 && a64[gj] != 0.0 {
                let ln_n = n.ln();
                for i in 0..ilim {
                    if self.ids[i0 + i] == self.ids[gj] {
                        let gap = (st.shift[gj] - s[i * t + j].to_f64()) + st.log_sum[gj];
                        m[i * t + j] = E::from_f64(a64[gj] * (ln_n - gap).exp_m1());
                    }
                }
            }
        }
    }
}

/// Whether an anchor's largest score `top` lies close enough below the common shift `c` for
/// the one-exponential passes: within 60 (f32) / 650 (f64), its terms `e^{S − c}` stay far
/// above exp's flush to zero (e^−86.5 / e^−707.7), so every term that counts against the
/// largest is kept. False for NaN.
fn within_room<E: Element>(top: f64, c: E) -> bool {
    let room = if E::MANTISSA_DIGITS > 24 { 650.0 } else { 60.0 };
    top - c.to_f64() >= -room
}

/// `e^{x − c}` for `x ≤ c`, with the difference's rounding error compensated: `x − c = d + r`
/// exactly (TwoSum), and the result is `e^d·(1 + r)`. The common shift can sit far above an
/// anchor's scores (up to `2·max‖z‖²/τ`: ~30 at SupCon's default temperature on unit vectors,
/// hundreds on unnormalised features), and an uncompensated `d` would cost `|d|·2^-24`
/// relative in every term (an unnormalised SupCon golden gradient then missed 1e-5). −inf
/// lanes give NaN (callers mask them), NaN lanes NaN.
#[inline(always)]
fn shifted_exp<V: Vector>(x: V, neg_c: V) -> V {
    let d = x + neg_c;
    let back = d - x;
    let r = (x - (d - back)) + (neg_c - back);
    let e = exp_ftz_nonpos(d);
    e + e * r
}

/// Running per-row state of the one-exponential statistics pass (f64): the largest score
/// `top`, its term `e_top = e^{top − c}`, and the sum of the row's other terms.
struct SharedRunning {
    top: Vec<f64>,
    e_top: Vec<f64>,
    rest: Vec<f64>,
    pos: Vec<Sum>,
    cnt: Vec<f64>,
}

impl SharedRunning {
    /// Folds a part of row `r` (a tile row or column): its largest score `m`, that score's
    /// term `e_m`, and the sum of its other terms.
    fn fold(&mut self, r: usize, m: f64, e_m: f64, others: f64) {
        if m > self.top[r] {
            // The old largest term joins the rest (0 when there was none).
            self.rest[r] += self.e_top[r] + others;
            self.top[r] = m;
            self.e_top[r] = e_m;
        } else {
            self.rest[r] += others + e_m;
        }
    }
}

/// Per-tile column accumulators of the one-exponential statistics pass (`t` each).
struct ColumnParts<E> {
    top: Vec<E>,
    rest: Vec<E>,
    ties: Vec<E>,
    pos: Vec<E>,
    cnt: Vec<E>,
}

/// Where score tile `(it, jt)` holds valid entries, for the one-exponential passes.
struct TileSpan<V> {
    i0: usize,
    j0: usize,
    /// Rows that are anchors.
    rlim: usize,
    /// Columns that are rows (the rest is padding).
    jlim: usize,
    diagonal: bool,
    /// Whether some entry of an anchor row is invalid (padding columns, the anchor's own).
    masked: bool,
    lane: V,
    jlim_v: V,
}

/// A one-exponential tile's term for score `x`: [`shifted_exp`], +0 at an invalid entry (−inf,
/// only in `masked` tiles). The tile stores it everywhere but at positives, which keep `x`.
#[inline(always)]
fn entry_exp<V: Vector>(x: V, neg_c: V, masked: bool) -> V {
    let e = shifted_exp(x, neg_c);
    if masked {
        V::select(x.eq(splat(f64::NEG_INFINITY)), splat(0.0), e)
    } else {
        e
    }
}

/// The one-exponential passes: one shift `c` for every score, so `E_ij = e^{S_ij − c}` serves
/// both anchors of a symmetric tile entry, and the gradient's probabilities are
/// `P_ij = E_ij · e^{c − lse_i}`: one exponential per stored score over both passes, where the
/// general passes ([`Contrast::stats_pass`], [`Contrast::grad_pass`]) take four (a running
/// shift per anchor and per direction). The statistics are the general passes' (`shift` the
/// largest score, `log_sum = log1p(rest)` with the largest term left out of `rest`), so a
/// confident anchor keeps its digits the same way. Used when `c` bounds every score with the
/// anchors' largest scores [`within_room`] of it (embeddings of bounded norm at usual
/// temperatures); otherwise the general passes run.
impl<E: Element> Contrast<'_, E> {
    /// `c ≥ S_ij` for every computed score: `|z_i·z_j| ≤ max_r ‖z_r‖²`, plus the rounding of
    /// the `D`-term dot product and of the scaling (`(D + 2)·u` relative, `u` half an ulp; the
    /// margin is `(D + 8)·2u`). `None` when a norm is not finite or there is a single row.
    fn common_shift(&self) -> Option<E> {
        let g = self.gram;
        if g.rows < 2 || !g.max_sq.is_finite() || !self.inv_t.is_finite() {
            return None;
        }
        let eps = 2f64.powi(1 - E::MANTISSA_DIGITS as i32);
        let c = E::from_f64(self.inv_t * g.max_sq * (1.0 + (g.dim as f64 + 8.0) * eps));
        c.to_f64().is_finite().then_some(c)
    }

    fn span(&self, it: usize, jt: usize) -> TileSpan<E::V> {
        let t = self.tile();
        let (i0, j0) = (it * t, jt * t);
        let jlim = self.gram.rows.saturating_sub(j0).min(t);
        TileSpan {
            i0,
            j0,
            rlim: self.anchors.saturating_sub(i0).min(t),
            jlim,
            diagonal: it == jt,
            masked: jlim < t || it == jt,
            lane: iota(),
            jlim_v: splat(jlim as f64),
        }
    }

    /// Row `i`'s scores at columns `c0..c0 + LANES`, invalid entries (padding columns, the
    /// anchor's own) set to −inf, and where they hold a positive (a valid entry whose row has
    /// the anchor's id `id`).
    #[inline(always)]
    fn valid_scores(
        &self,
        sp: &TileSpan<E::V>,
        i: usize,
        c0: usize,
        x: E::V,
        id: E::V,
    ) -> (E::V, <E::V as Vector>::Mask) {
        let same = E::V::load(&self.ids[sp.j0 + c0..]).eq(id);
        if !sp.masked {
            return (x, same);
        }
        let j = sp.lane + splat(c0 as f64);
        let own = splat(if sp.diagonal { i as f64 } else { -1.0 });
        let ok = E::V::mask_and(j.lt(sp.jlim_v), E::V::mask_not(j.eq(own)));
        (
            E::V::select(ok, x, splat(f64::NEG_INFINITY)),
            E::V::mask_and(same, ok),
        )
    }

    /// The statistics pass with the common shift `c`; with `keep`, each tile is left in its
    /// slot there as [`Contrast::exp_tile`] writes it, and `flags[k]` marks tile `k`'s rows
    /// that hold a positive. `None` (nothing usable written) when an anchor's largest score
    /// is not [`within_room`] of `c`.
    fn shared_stats_pass(
        &self,
        c: E,
        mut keep: Option<&mut [E]>,
        flags: &mut [u64],
    ) -> Option<Stats> {
        let (t, a) = (self.tile(), self.anchors);
        let mp = self.gram.mp;
        let mut st = SharedRunning {
            top: vec![f64::NEG_INFINITY; mp],
            e_top: vec![0.0; mp],
            rest: vec![0.0; mp],
            pos: vec![Sum::default(); mp],
            cnt: vec![0.0; mp],
        };
        let mut buf = vec![E::default(); if keep.is_some() { 0 } else { t * t }];
        let mut cols = ColumnParts {
            top: vec![E::default(); t],
            rest: vec![E::default(); t],
            ties: vec![E::default(); t],
            pos: vec![E::default(); t],
            cnt: vec![E::default(); t],
        };
        let mut row_top = vec![E::default(); t];
        for (k, (it, jt)) in self.pairs().enumerate() {
            let s: &mut [E] = match keep.as_deref_mut() {
                Some(kept) => &mut kept[k * t * t..(k + 1) * t * t],
                None => &mut buf,
            };
            self.gram.scores(it, jt, self.inv_t, s);
            let f = self.shared_tile(&mut st, s, it, jt, c, &mut cols, &mut row_top);
            if let Some(f0) = flags.get_mut(k) {
                *f0 = f;
            }
        }
        let mut out = Stats::with_capacity(a);
        for i in 0..a {
            let top = st.top[i];
            if !within_room(top, c) {
                return None;
            }
            let log_sum = (st.rest[i] / st.e_top[i]).ln_1p();
            self.push_anchor(&mut out, top, log_sum, st.cnt[i], st.pos[i].value());
        }
        Some(out)
    }

    /// One score tile of [`Contrast::shared_stats_pass`]: folds it into the anchors of its
    /// rows and (symmetric pairs above the diagonal) of its columns, and leaves it as
    /// [`Contrast::exp_tile`] does. Returns the rows that hold a positive.
    ///
    /// Two passes over the tile: the maxima (per row and per column) and the rows holding a
    /// positive; then the exponentials, each summed for its row and its column with that
    /// part's largest score left out (ties counted, so exactly one instance is left out).
    #[allow(clippy::too_many_arguments)]
    fn shared_tile(
        &self,
        st: &mut SharedRunning,
        s: &mut [E],
        it: usize,
        jt: usize,
        c: E,
        cols: &mut ColumnParts<E>,
        row_top: &mut [E],
    ) -> u64 {
        let (t, lanes) = (self.tile(), E::V::LANES);
        let sp = self.span(it, jt);
        let (i0, j0, rlim, jlim, masked) = (sp.i0, sp.j0, sp.rlim, sp.jlim, sp.masked);
        let by_col = self.symmetric() && !sp.diagonal;
        let ninf = splat::<E::V>(f64::NEG_INFINITY);
        let (zero, one) = (splat::<E::V>(0.0), splat::<E::V>(1.0));
        if by_col {
            cols.top.fill(E::from_f64(f64::NEG_INFINITY));
            for v in [&mut cols.rest, &mut cols.ties, &mut cols.pos, &mut cols.cnt] {
                v.fill(E::default());
            }
        }
        let mut flags = 0u64;
        let mut parts = [(0.0f64, 0.0f64); TILE];
        // Pass 1: invalid entries (padding columns, the anchor's own) set to −inf, maxima, and
        // the rows with a positive, whose sums are taken at once.
        for i in 0..rlim {
            let row = &mut s[i * t..(i + 1) * t];
            let id = E::V::splat(self.ids[i0 + i]);
            let (mut m, mut anyp) = (ninf, E::V::mask_first(0));
            for c0 in (0..t).step_by(lanes) {
                let (x, same) = self.valid_scores(&sp, i, c0, E::V::load(&row[c0..]), id);
                if masked {
                    x.store(&mut row[c0..]);
                }
                m = m.pmax(x);
                if by_col {
                    E::V::load(&cols.top[c0..])
                        .pmax(x)
                        .store(&mut cols.top[c0..]);
                }
                anyp = E::V::mask_or(anyp, same);
            }
            row_top[i] = E::from_f64(hmax(m));
            if !E::V::any(anyp) {
                continue;
            }
            flags |= 1 << i;
            let (mut vp, mut vc) = (zero, zero);
            for c0 in (0..t).step_by(lanes) {
                let x = E::V::load(&row[c0..]);
                // Invalid entries hold −inf (every valid score is finite: `c` is).
                let same = E::V::mask_and(E::V::load(&self.ids[j0 + c0..]).eq(id), x.gt(ninf));
                let (px, pc) = (E::V::select(same, x, zero), E::V::select(same, one, zero));
                (vp, vc) = (vp + px, vc + pc);
                if by_col {
                    (E::V::load(&cols.pos[c0..]) + px).store(&mut cols.pos[c0..]);
                    (E::V::load(&cols.cnt[c0..]) + pc).store(&mut cols.cnt[c0..]);
                }
            }
            st.pos[i0 + i].add(vp.sum_f64());
            st.cnt[i0 + i] += vc.sum_f64();
        }
        // Pass 2: the exponentials, stored (a positive keeps its score: the gradient's
        // positive entries are recomputed from it).
        let neg_c = -E::V::splat(c);
        for i in 0..rlim {
            let row = &mut s[i * t..(i + 1) * t];
            let mv = E::V::splat(row_top[i]);
            let id = E::V::splat(self.ids[i0 + i]);
            let pos = flags >> i & 1 == 1;
            let (mut acc, mut ties) = (zero, zero);
            for c0 in (0..t).step_by(lanes) {
                let x = E::V::load(&row[c0..]);
                let e = entry_exp(x, neg_c, masked);
                let top = x.eq(mv);
                acc = acc + E::V::select(top, zero, e);
                ties = ties + E::V::select(top, one, zero);
                if by_col {
                    let ctop = x.eq(E::V::load(&cols.top[c0..]));
                    (E::V::load(&cols.rest[c0..]) + E::V::select(ctop, zero, e))
                        .store(&mut cols.rest[c0..]);
                    (E::V::load(&cols.ties[c0..]) + E::V::select(ctop, one, zero))
                        .store(&mut cols.ties[c0..]);
                }
                let out = if pos {
                    let same = E::V::mask_and(E::V::load(&self.ids[j0 + c0..]).eq(id), x.gt(ninf));
                    E::V::select(same, x, e)
                } else {
                    e
                };
                out.store(&mut row[c0..]);
            }
            parts[i] = (acc.sum_f64(), ties.sum_f64());
        }
        // The largest scores' own terms, a vector at a time (rows past `rlim` are unused).
        row_top[rlim..].fill(E::from_f64(f64::NEG_INFINITY));
        let mut e_top = [E::default(); TILE];
        let tops = |top: &[E], e_top: &mut [E]| {
            for c0 in (0..t).step_by(lanes) {
                let m = E::V::load(&top[c0..]);
                entry_exp(m, neg_c, true).store(&mut e_top[c0..]);
            }
        };
        tops(row_top, &mut e_top);
        for i in 0..rlim {
            let e_m = e_top[i].to_f64();
            // Every tie of the largest score but one is an ordinary term.
            let (acc, ties) = parts[i];
            st.fold(i0 + i, row_top[i].to_f64(), e_m, acc + (ties - 1.0) * e_m);
        }
        s[rlim * t..t * t].fill(E::default());
        if by_col {
            tops(&cols.top, &mut e_top);
            // `j` indexes five parallel column arrays and names global row `j0 + j`.
            #[allow(clippy::needless_range_loop)]
            for j in 0..jlim {
                let m = cols.top[j];
                let e_m = e_top[j].to_f64();
                let others = cols.rest[j].to_f64() + (cols.ties[j].to_f64() - 1.0) * e_m;
                st.fold(j0 + j, m.to_f64(), e_m, others);
                if flags != 0 {
                    st.pos[j0 + j].add(cols.pos[j].to_f64());
                    st.cnt[j0 + j] += cols.cnt[j].to_f64();
                }
            }
        }
        flags
    }

    /// Score tile `(it, jt)` (computed into `s`) as the one-exponential gradient pass reads
    /// it: `e^{S_ij − c}` at ordinary entries, the score itself at positives, 0 at invalid
    /// entries and rows that are not anchors. Returns the rows that hold a positive.
    fn exp_tile(&self, it: usize, jt: usize, c: E, s: &mut [E]) -> u64 {
        let (t, lanes) = (self.tile(), E::V::LANES);
        let sp = self.span(it, jt);
        let neg_c = -E::V::splat(c);
        let mut flags = 0u64;
        for i in 0..sp.rlim {
            let row = &mut s[i * t..(i + 1) * t];
            let id = E::V::splat(self.ids[sp.i0 + i]);
            let mut anyp = E::V::mask_first(0);
            for c0 in (0..t).step_by(lanes) {
                let (x, same) = self.valid_scores(&sp, i, c0, E::V::load(&row[c0..]), id);
                anyp = E::V::mask_or(anyp, same);
                E::V::select(same, x, entry_exp(x, neg_c, sp.masked)).store(&mut row[c0..]);
            }
            if E::V::any(anyp) {
                flags |= 1 << i;
            }
        }
        s[sp.rlim * t..t * t].fill(E::default());
        flags
    }

    /// The gradient pass with the common shift `c`, over the tiles the statistics pass kept
    /// (with their positive-row flags) or recomputed. Each tile's `G` (both anchors' parts
    /// for a symmetric pair above the diagonal) is `E_ij·(α_i + α_j)`,
    /// `α_i = a_i·n_i·e^{c − lse_i}`, with the positive entries recomputed without
    /// cancellation as in [`Contrast::grad_pass`]. Returns false, having written nothing, when
    /// an anchor's shift is not [`within_room`] of `c` or an `α` is not finite in
    /// `E` (the general pass then runs).
    fn shared_grad_pass(
        &self,
        stats: &Stats,
        g: impl Fn(usize) -> f64,
        dz: &mut [E],
        kept: Option<(&[E], &[u64])>,
        c: E,
    ) -> bool {
        let (t, a, lanes) = (self.tile(), self.anchors, E::V::LANES);
        let mp = self.gram.mp;
        let mut alpha = vec![E::default(); mp];
        let mut a64 = vec![0.0f64; mp];
        for i in 0..a {
            let n = stats.count[i];
            let ai = self.coef * g(i) * self.inv_t / n.max(1.0);
            let lse = stats.shift[i] + stats.log_sum[i];
            if !within_room(stats.shift[i], c) {
                return false;
            }
            let al = E::from_f64(ai * n * (c.to_f64() - lse).exp());
            if !al.to_f64().is_finite() && (ai * n).is_finite() && lse.is_finite() {
                return false;
            }
            a64[i] = ai;
            alpha[i] = al;
        }
        let mut buf = vec![E::default(); if kept.is_some() { 0 } else { t * t }];
        let mut m = vec![E::default(); t * t];
        for (k, (it, jt)) in self.pairs().enumerate() {
            let (s, flags): (&[E], u64) = match kept {
                Some((tiles, flags)) => (&tiles[k * t * t..(k + 1) * t * t], flags[k]),
                None => {
                    self.gram.scores(it, jt, self.inv_t, &mut buf);
                    let f = self.exp_tile(it, jt, c, &mut buf);
                    (&buf, f)
                }
            };
            let (i0, j0) = (it * t, jt * t);
            let by_col = self.symmetric() && it != jt;
            for i in 0..t {
                let (srow, out) = (&s[i * t..(i + 1) * t], &mut m[i * t..(i + 1) * t]);
                let ai = E::V::splat(alpha[i0 + i]);
                if by_col {
                    for c0 in (0..t).step_by(lanes) {
                        let aj = E::V::load(&alpha[j0 + c0..]);
                        (E::V::load(&srow[c0..]) * (ai + aj)).store(&mut out[c0..]);
                    }
                } else {
                    for c0 in (0..t).step_by(lanes) {
                        (E::V::load(&srow[c0..]) * ai).store(&mut out[c0..]);
                    }
                }
                if flags >> i & 1 == 1 {
                    self.positive_grads(stats, &a64, srow, out, i0 + i, j0, it == jt, by_col);
                }
            }
            self.gram.accumulate(&m, false, it, jt, dz);
            self.gram.accumulate(&m, true, jt, it, dz);
        }
        true
    }

    /// The positive entries of anchor `gi`'s tile row (scores in `srow`): `G_ij` and, with
    /// `by_col`, column anchor `j`'s `G_ji`, each `a·expm1(ln n − gap)`, exact where `n·P`
    /// is near 1.
    #[allow(clippy::too_many_arguments)]
    fn positive_grads(
        &self,
        st: &Stats,
        a64: &[f64],
        srow: &[E],
        out: &mut [E],
        gi: usize,
        j0: usize,
        diagonal: bool,
        by_col: bool,
    ) {
        let lim = self.gram.rows.saturating_sub(j0).min(self.tile());
        let part = |r: usize, x: f64| {
            let n = st.count[r];
            if n > 0.0 && a64[r] != 0.0 {
                let gap = (st.shift[r] - x) + st.log_sum[r];
                E::from_f64(a64[r] * (n.ln() - gap).exp_m1())
            } else {
                E::default()
            }
        };
        for j in 0..lim {
            if (diagonal && j0 + j == gi) || self.ids[j0 + j] != self.ids[gi] {
                continue;
            }
            let x = srow[j].to_f64();
            out[j] = if by_col {
                part(gi, x) + part(j0 + j, x)
            } else {
                part(gi, x)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain f64 reference of the losses and of ∂(Σ g_i l_i)/∂z.
    fn reference(
        z: &[Vec<f64>],
        anchors: usize,
        ids: &[usize],
        inv_t: f64,
        coef: f64,
        g: &[f64],
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        let m = z.len();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut loss = vec![0.0; anchors];
        let mut dz = vec![vec![0.0; z[0].len()]; m];
        for i in 0..anchors {
            let s: Vec<f64> = (0..m).map(|j| inv_t * dot(&z[i], &z[j])).collect();
            let mx = (0..m)
                .filter(|&j| j != i)
                .map(|j| s[j])
                .fold(f64::NEG_INFINITY, f64::max);
            let lse = mx
                + (0..m)
                    .filter(|&j| j != i)
                    .map(|j| (s[j] - mx).exp())
                    .sum::<f64>()
                    .ln();
            let pos: Vec<usize> = (0..m).filter(|&j| j != i && ids[j] == ids[i]).collect();
            let n = pos.len() as f64;
            if pos.is_empty() {
                continue;
            }
            loss[i] = coef * pos.iter().map(|&p| lse - s[p]).sum::<f64>() / n;
            let a = coef * g[i] / n;
            for j in 0..m {
                if j == i {
                    continue;
                }
                let gij = a * (n * (s[j] - lse).exp() - if ids[j] == ids[i] { 1.0 } else { 0.0 });
                for k in 0..z[0].len() {
                    dz[i][k] += gij * inv_t * z[j][k];
                    dz[j][k] += gij * inv_t * z[i][k];
                }
            }
        }
        (loss, dz)
    }

    fn check(m: usize, d: usize, anchors: usize, classes: usize, inv_t: f64) {
        let z: Vec<Vec<f64>> = (0..m)
            .map(|r| {
                (0..d)
                    .map(|k| ((r * 31 + k * 17) % 29) as f64 / 14.0 - 1.0)
                    .collect()
            })
            .collect();
        let ids: Vec<usize> = (0..m).map(|r| (r * 7) % classes).collect();
        let g: Vec<f64> = (0..anchors).map(|i| 0.5 + (i % 3) as f64).collect();
        let coef = 1.3;
        let gram = Gram::<f64>::new(m, d, |r, row| row.copy_from_slice(&z[r]));
        let mut idv = vec![-1.0; gram.mp];
        for (r, &c) in ids.iter().enumerate() {
            idv[r] = c as f64;
        }
        let c = Contrast {
            gram: &gram,
            anchors,
            ids: &idv,
            inv_t,
            coef,
        };
        let st = c.forward();
        let mut dz = gram.grad_buffer();
        c.backward(&st, |i| g[i], &mut dz);
        let (loss, want) = reference(&z, anchors, &ids, inv_t, coef, &g);
        for (i, (got, want)) in st.loss.iter().zip(&loss).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "m={m} loss {i}: {got} vs {want}"
            );
        }
        for (r, want) in want.iter().enumerate() {
            for (k, (got, want)) in gram.grad_row(&dz, r).iter().zip(want).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-11,
                    "m={m} d={d} a={anchors} dz[{r}][{k}]: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn fused_forward_gradient_equals_the_two_passes() {
        for (m, keep) in [(70usize, usize::MAX), (70, 0), (130, usize::MAX)] {
            let z: Vec<Vec<f64>> = (0..m)
                .map(|r| {
                    (0..5)
                        .map(|k| ((r * 13 + k * 7) % 11) as f64 / 5.0 - 1.0)
                        .collect()
                })
                .collect();
            let gram = Gram::<f64>::new(m, 5, |r, row| row.copy_from_slice(&z[r]));
            let ids: Vec<f64> = (0..gram.mp)
                .map(|r| if r < m { (r % 9) as f64 } else { -1.0 })
                .collect();
            for anchors in [m, m / 2] {
                let c = Contrast {
                    gram: &gram,
                    anchors,
                    ids: &ids,
                    inv_t: 2.0,
                    coef: 0.5,
                };
                let st = c.forward();
                let mut want = gram.grad_buffer();
                c.backward(&st, |_| 1.0, &mut want);
                let mut got = gram.grad_buffer();
                let st2 = c.forward_with_grad(keep, &mut got);
                assert_eq!(st.loss, st2.loss);
                assert_eq!(got, want, "m={m} keep={keep} anchors={anchors}");
            }
        }
    }

    #[test]
    fn matches_the_dense_reference() {
        for (m, d, classes) in [
            (1, 3, 1),
            (2, 5, 1),
            (7, 3, 3),
            (64, 8, 5),
            (70, 9, 4),
            (130, 5, 65),
            (200, 3, 7),
        ] {
            // 1/0.7: the common shift's passes; 60: anchors' largest scores far below the
            // shift bound, so the general passes run.
            for inv_t in [1.0 / 0.7, 60.0] {
                check(m, d, m, classes, inv_t);
                check(m, d, m.div_ceil(2), classes, inv_t);
            }
        }
    }

    /// Rows with a few exact duplicates (ties in the largest scores), of norms up to ~2.
    fn rows_with_ties(m: usize, d: usize) -> Vec<Vec<f64>> {
        (0..m)
            .map(|r| {
                let q = if r % 5 == 4 { r - 1 } else { r };
                (0..d)
                    .map(|k| ((q * 37 + k * 11) % 23) as f64 / 11.0 - 1.0)
                    .collect()
            })
            .collect()
    }

    /// The one-exponential passes against the general ones on the same tiles.
    fn shared_vs_general<E: Element + core::fmt::Debug>(
        m: usize,
        d: usize,
        anchors: usize,
        classes: usize,
        tol: f64,
    ) {
        let z = rows_with_ties(m, d);
        let gram = Gram::<E>::new(m, d, |r, row| {
            for (o, &v) in row.iter_mut().zip(&z[r]) {
                *o = E::from_f64(v);
            }
        });
        let ids: Vec<E> = (0..gram.mp)
            .map(|r| {
                E::from_f64(if r < m {
                    ((r * 3) % classes) as f64
                } else {
                    -1.0
                })
            })
            .collect();
        let c = Contrast {
            gram: &gram,
            anchors,
            ids: &ids,
            inv_t: 1.0 / 0.3,
            coef: 0.8,
        };
        let g = |i: usize| 1.0 + (i % 4) as f64 * 0.25;
        let shift = c.common_shift().expect("bounded norms");
        let want = c.stats_pass(None);
        let got = c
            .shared_stats_pass(shift, None, &mut [])
            .expect("within the room");
        let close = |a: f64, b: f64| (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0);
        for i in 0..anchors {
            assert_eq!(got.shift[i], want.shift[i], "m={m} shift {i}");
            assert_eq!(got.count[i], want.count[i], "m={m} count {i}");
            assert!(
                close(got.log_sum[i], want.log_sum[i]),
                "m={m} log_sum {i}: {} vs {}",
                got.log_sum[i],
                want.log_sum[i]
            );
            assert!(
                close(got.loss[i], want.loss[i]),
                "m={m} loss {i}: {} vs {}",
                got.loss[i],
                want.loss[i]
            );
        }
        let mut dz_want = gram.grad_buffer();
        c.grad_pass(&want, g, &mut dz_want, None);
        let mut dz_got = gram.grad_buffer();
        assert!(c.shared_grad_pass(&want, g, &mut dz_got, None, shift));
        let scale = dz_want.iter().fold(0.0f64, |s, v| s.max(v.to_f64().abs()));
        for (k, (a, b)) in dz_got.iter().zip(&dz_want).enumerate() {
            assert!(
                (a.to_f64() - b.to_f64()).abs() <= tol * scale,
                "m={m} a={anchors} dz[{k}]: {a:?} vs {b:?}"
            );
        }
        // The fused call keeps the exponential tiles and gives the same bits as the two passes.
        let mut fused = gram.grad_buffer();
        let st = c.forward_with_grad(usize::MAX, &mut fused);
        let mut two = gram.grad_buffer();
        c.backward(&st, |_| 1.0, &mut two);
        assert_eq!(st.loss, c.forward().loss);
        assert_eq!(fused, two, "m={m} a={anchors}");
    }

    #[test]
    fn one_exponential_passes_match_the_general_ones() {
        for (m, d, classes) in [
            (2usize, 3, 1),
            (9, 4, 3),
            (64, 5, 32),
            (70, 6, 35),
            (150, 7, 4),
        ] {
            for anchors in [m, m.div_ceil(2)] {
                shared_vs_general::<f64>(m, d, anchors, classes, 1e-12);
                shared_vs_general::<f32>(m, d, anchors, classes, 2e-5);
            }
        }
    }

    #[test]
    fn common_shift_bounds_every_score_and_falls_back() {
        // Largest scores far below the bound (one row of norm 10 among rows of norm ~1):
        // the shared statistics pass declines, and forward() gives the general pass's result.
        let m = 40;
        let z: Vec<Vec<f64>> = (0..m)
            .map(|r| {
                let s = if r == 0 { 10.0 } else { 1.0 };
                vec![
                    s * ((r % 7) as f64 - 3.0) / 3.0,
                    s * ((r % 5) as f64 - 2.0) / 2.0,
                ]
            })
            .collect();
        let gram = Gram::<f32>::new(m, 2, |r, row| {
            row[0] = z[r][0] as f32;
            row[1] = z[r][1] as f32;
        });
        let ids: Vec<f32> = (0..gram.mp)
            .map(|r| if r < m { (r % 20) as f32 } else { -1.0 })
            .collect();
        let c = Contrast {
            gram: &gram,
            anchors: m,
            ids: &ids,
            inv_t: 2.0,
            coef: 1.0,
        };
        let shift = c.common_shift().unwrap();
        assert!(c.shared_stats_pass(shift, None, &mut []).is_none());
        assert_eq!(c.forward().loss, c.stats_pass(None).loss);
        // Non-finite rows: no common shift at all.
        let bad = Gram::<f32>::new(3, 2, |r, row| row[0] = if r == 1 { f32::NAN } else { 1.0 });
        let c = Contrast {
            gram: &bad,
            anchors: 3,
            ids: &ids,
            inv_t: 2.0,
            coef: 1.0,
        };
        assert!(c.common_shift().is_none());
    }
}
