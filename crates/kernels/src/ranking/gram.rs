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
//! Numerics: each anchor's log-sum-exp is kept as `shift + log1p(rest)`, `shift` its largest
//! score (an element, exact) and `rest` the other terms' sum `Σ e^{S_ij − shift}` in f64, the
//! largest term's own `e^0 = 1` left out (it is found per tile where the maximum grows): a
//! confident anchor's small loss keeps its digits, as `crate::rows::log_sum_exp`. The
//! gradient's positive entries `a_i·(n_i·P_ip − 1)` are recomputed as
//! `a_i·expm1(ln n_i − (lse_i − S_ip))`, exact where `n_i·P_ip` is near 1.

use super::splat;
use crate::driver::Sum;
use crate::math::exp_ftz_nonpos;
use crate::simd::{Element, Vector};

/// Rows per micro-kernel block.
const MR: usize = 4;

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
}

impl<E: Element> Gram<E> {
    /// `rows × dim` embeddings; `fill(r, row)` writes row `r` (`dim` values).
    pub fn new(rows: usize, dim: usize, mut fill: impl FnMut(usize, &mut [E])) -> Self {
        let t = 64;
        let mp = rows.div_ceil(t) * t;
        let block = 2 * E::V::LANES;
        let dp = dim.div_ceil(block).max(1) * block;
        let mut z = vec![E::default(); mp * dp];
        for r in 0..rows {
            fill(r, &mut z[r * dp..r * dp + dim]);
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
        self.stats_pass(None)
    }

    /// [`Contrast::forward`] and, in the same call, `∂(Σ_i l_i)/∂z` into `dz` (a
    /// [`Gram::grad_buffer`]): the reduced losses' gradient for an upstream of 1 per anchor,
    /// which the caller scales. The score tiles of the first pass are kept for the second when
    /// they fit in `keep_bytes` (else recomputed), so the gradient costs two matrix products
    /// instead of three.
    pub fn forward_with_grad(&self, keep_bytes: usize, dz: &mut [E]) -> Stats {
        let tile = self.tile() * self.tile();
        let count = self.pairs().count();
        let mut kept = (count * tile * core::mem::size_of::<E>() <= keep_bytes)
            .then(|| vec![E::default(); count * tile]);
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
        let mut out = Stats {
            shift: Vec::with_capacity(a),
            log_sum: Vec::with_capacity(a),
            count: Vec::with_capacity(a),
            loss: Vec::with_capacity(a),
        };
        for i in 0..a {
            let (shift, n) = (st.shift[i], st.cnt[i]);
            let log_sum = if m > 1 {
                st.rest[i].ln_1p()
            } else {
                f64::NEG_INFINITY
            };
            let loss = if n > 0.0 {
                // Σ_p (lse − S_p) / n = (n·shift − Σ_p S_p)/n + log1p(rest).
                self.coef * ((n * shift - st.pos[i].value()) / n + log_sum)
            } else {
                0.0
            };
            out.shift.push(shift);
            out.log_sum.push(log_sum);
            out.count.push(n);
            out.loss.push(loss);
        }
        out
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

    fn check(m: usize, d: usize, anchors: usize, classes: usize) {
        let z: Vec<Vec<f64>> = (0..m)
            .map(|r| {
                (0..d)
                    .map(|k| ((r * 31 + k * 17) % 29) as f64 / 14.0 - 1.0)
                    .collect()
            })
            .collect();
        let ids: Vec<usize> = (0..m).map(|r| (r * 7) % classes).collect();
        let g: Vec<f64> = (0..anchors).map(|i| 0.5 + (i % 3) as f64).collect();
        let (inv_t, coef) = (1.0 / 0.7, 1.3);
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
            check(m, d, m, classes);
            check(m, d, m.div_ceil(2), classes);
        }
    }
}
