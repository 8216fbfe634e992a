#!/usr/bin/python3
"""Golden-fixture generator for lossfn.

Run from the repository root with the Debian interpreter that has PyTorch:

    /usr/bin/python3 scripts/gen_fixtures.py            # (re)write every test/golden/<stem>.json
    /usr/bin/python3 scripts/gen_fixtures.py mse_loss   # only the named stems

Schema, tolerances and the formulas used for the losses PyTorch does not have
are documented in test/golden/README.md.

Principles
----------
* Inputs of a float32 case are float32-representable (generated, then rounded
  to float32) and stored as doubles.
* Expected values are ALWAYS computed in float64 by PyTorch (autograd for
  gradients).  For float32 cases they are then rounded to float32 (so a float64
  result beyond the float32 range becomes +-inf, as a float32 kernel gives).
* Every file has its own numpy Generator seeded with [SEED, crc32(stem)], so
  cases of one stem do not move when another stem changes.  The output is
  byte-for-byte deterministic for a given set of library versions.
* Tolerances: float32 rtol 1e-5 / atol 1e-30, float64 rtol 1e-10 / atol 1e-300.
  atol is raised (and the case gets a "note") where the result is a small difference
  of large terms, judged by (1) a float32 "simulation" -- the same PyTorch code run in
  float32 on the float32-rounded inputs, against the float64 reference on the same
  inputs (error scaled by 2^-29 for float64 cases) -- and (2) for random cases of
  cancellation-prone losses, the change of the float64 result when one argument moves
  by one ulp of the case dtype.  atol = 10x the larger error, rounded up to a power of
  ten.  See test/golden/README.md.
"""

import json
import math
import os
import platform
import sys
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")

SEED = 1234
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "golden")

NP = {"float32": np.float32, "float64": np.float64}
TD = {"float32": torch.float32, "float64": torch.float64}
BASE_TOL = {"float32": (1e-5, 1e-30), "float64": (1e-10, 1e-300)}
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
F32_MAX = float(np.finfo(np.float32).max)


def _versions():
    v = {"torch": torch.__version__, "numpy": np.__version__,
         "python": platform.python_version()}
    try:
        import torchvision
        v["torchvision"] = torchvision.__version__
    except Exception:  # pragma: no cover
        v["torchvision"] = None
    try:
        import sklearn
        v["sklearn"] = sklearn.__version__
    except Exception:  # pragma: no cover
        v["sklearn"] = None
    return v


VERSIONS = _versions()
DISAGREEMENTS = []   # (stem, case, text): float32 simulation vs reference, printed at the end
TOL_BUMPS = []       # (stem, case, atol)


# --------------------------------------------------------------------------- helpers

def q(x, dtype):
    """Round to `dtype` and return a float64 numpy array (the stored value)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return np.asarray(x, dtype=np.float64).astype(NP[dtype]).astype(np.float64)


def camel(stem):
    parts = stem.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def fmt_shape(shape):
    return "[" + ",".join(str(s) for s in shape) + "]"


def enc(v):
    v = float(v)
    if v != v:
        return "NaN"
    if v == math.inf:
        return "Infinity"
    if v == -math.inf:
        return "-Infinity"
    return v


class A:
    """A tensor argument (or tensor option).  data: numpy array, already representable."""

    def __init__(self, name, data, rg=True, is_int=None):
        self.name = name
        arr = np.asarray(data)
        if is_int is None:
            is_int = arr.dtype.kind in "iub"
        self.is_int = is_int
        self.data = arr.astype(np.int64) if is_int else arr.astype(np.float64)
        self.rg = bool(rg) and not is_int

    def json(self, dtype, with_rg=True):
        d = {"name": self.name} if with_rg else {}
        d["shape"] = list(self.data.shape)
        d["dtype"] = "int64" if self.is_int else dtype
        if self.is_int:
            d["data"] = [int(v) for v in self.data.ravel().tolist()]
        else:
            d["data"] = [enc(v) for v in self.data.ravel().tolist()]
        if with_rg:
            d["requiresGrad"] = self.rg
        return d

    def torch(self, tdt, rg):
        if self.is_int:
            return torch.tensor(self.data, dtype=torch.int64)
        t = torch.tensor(self.data, dtype=tdt)
        if rg and self.rg:
            t.requires_grad_(True)
        return t


def tjson(arr):
    arr = np.asarray(arr, dtype=np.float64)
    return {"shape": list(arr.shape), "data": [enc(v) for v in arr.ravel().tolist()]}


def pow10_ceil(x):
    return 10.0 ** math.ceil(math.log10(x))


def reduce_(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction)


class _StableLogSoftmax(torch.autograd.Function):
    """log_softmax as (x - m) - log1p(r), r = sum_{j != j*} exp(x_j - m), m the max over `dim`
    and j* its first position. PyTorch's (x - m) - log(sum_j exp(x_j - m)) rounds the sum
    1 + r to 1 + fl(r) and loses a confident row's tiny loss entirely (f64 [100, 50, 0] gives
    0 for log1p(e^-50 + e^-100) = 1.9e-22); its backward g - p*sum(g) likewise keeps only the
    digits of p_{j*} in 1 - p_{j*}. Here the backward at j* is g*(1 - p) - p*(sum(g) - g) with
    1 - p_{j*} = r/(1 + r): every gradient keeps its digits (autograd through the forward
    formula would not: the max's two paths cancel to 1 - 1e-22 = 1)."""

    @staticmethod
    def forward(ctx, x, dim):
        m, j = x.max(dim=dim, keepdim=True)
        z = x - m
        others = torch.ones_like(x, dtype=torch.bool).scatter(dim, j, False)
        rest = torch.where(others, z.exp(), torch.zeros_like(z)).sum(dim, keepdim=True)
        lp = z - torch.log1p(rest)
        ctx.save_for_backward(lp, others, rest)
        ctx.dim = dim
        return lp

    @staticmethod
    def backward(ctx, g):
        lp, others, rest = ctx.saved_tensors
        dim = ctx.dim
        p = lp.exp()
        zero = torch.zeros_like(g)
        g_star = torch.where(others, zero, g).sum(dim, keepdim=True)
        g_rest = torch.where(others, g, zero).sum(dim, keepdim=True)
        at_star = g_star * (rest / (1 + rest)) - (1 / (1 + rest)) * g_rest
        grad = torch.where(others, g - p * (g_star + g_rest), at_star)
        return grad, None


def stable_log_softmax(x, dim):
    """See _StableLogSoftmax."""
    return _StableLogSoftmax.apply(x, dim)


def pub(o):
    """Options as keyword arguments: drop the generator's private '_' keys."""
    return {k: v for k, v in o.items() if not k.startswith("_")}


def red_opts(reduction):
    """Options dict for a reduction; None means 'omit (use the default)'."""
    return {} if reduction is None else {"reduction": reduction}


def red_name(reduction):
    return "reduction=(default)" if reduction is None else f"reduction={reduction}"


# --------------------------------------------------------------------------- suite

class Suite:
    def __init__(self, stem, fn=None, cancel_reason=None, coherent=()):
        self.stem = stem
        self.fn = fn or camel(stem)
        self.rng = np.random.default_rng([SEED, zlib.crc32(stem.encode())])
        self.cases = []
        self.names = set()
        self.cancel_reason = cancel_reason
        # args whose difference the loss forms directly (e.g. input - target): they are
        # perturbed by the SAME factor per element, since subtracting nearly equal exact
        # inputs is exact in floating point and must not count as cancellation
        self.coherent = tuple(coherent)

    # random data helpers ---------------------------------------------------
    def randn(self, shape, dtype, scale=1.0, loc=0.0):
        return q(loc + scale * self.rng.standard_normal(shape), dtype)

    def unif(self, shape, dtype, lo, hi):
        return q(self.rng.uniform(lo, hi, size=shape), dtype)

    def randint(self, shape, lo, hi):
        return self.rng.integers(lo, hi, size=shape).astype(np.int64)

    # one case ----------------------------------------------------------------
    def case(self, name, dtype, args, options, ref, note=None, sim=None, check=True,
             gout_scale=1.0, perturb=True, atol_min=None):
        """Add a case.

        args    : list of A (positional tensor args, PyTorch order)
        options : dict of JSON option names -> python values or A (tensor options)
        ref     : ref(T, o) -> output tensor; T = {arg name: tensor}, o = options with
                  tensors for A values.  Called in float64 for the expected values.
        sim     : like ref, run in float32 to judge how accurate an honest float32
                  computation can be (defaults to ref); None-able via check=False.
        perturb : for suites with a cancel_reason, also measure how far the float64 result
                  moves when the (random, non-special) inputs move by one ulp of the case
                  dtype.  Turn off for hand-built cases that sit on kinks/thresholds.
        """
        assert name not in self.names, (self.stem, name)
        self.names.add(name)
        rtol, atol = BASE_TOL[dtype]
        if atol_min is not None:
            atol = max(atol, atol_min)   # hand-derived; the case's note says why
        self._dtype = dtype

        out, grads, T = self._run(args, options, ref, torch.float64, None)
        gout = None
        if out.ndim != 0 and any(a.rg for a in args):
            gout = q(gout_scale * self.rng.standard_normal(tuple(out.shape)), dtype)
            out, grads, T = self._run(args, options, ref, torch.float64, gout)
        exp_out = q(out, dtype)
        exp_grads = {k: q(v, dtype) for k, v in grads.items()}

        # float32 simulation --------------------------------------------------
        notes = [note] if note else []
        if check:
            bump = self._simulate(name, dtype, args, options, ref, sim or ref, gout)
            if perturb and self.cancel_reason:
                pb = self._perturb(name, dtype, args, options, ref, gout, out, grads)
                if pb is not None and (bump is None or pb > bump):
                    bump = pb
            if bump is not None and bump > atol:
                atol = bump
                TOL_BUMPS.append((self.stem, name, atol))
                reason = self.cancel_reason or "result is a small difference of large terms"
                notes.append(f"atol raised: {reason}; rounding at the level of the case dtype "
                             "(inside a float32 computation, or one ulp of the inputs) moves "
                             "the result by more than rtol (atol = 10x that, rounded up to a "
                             "power of ten)")

        c = {"name": name, "fn": self.fn, "dtype": dtype,
             "args": [a.json(dtype) for a in args],
             "options": {k: (v.json(dtype, with_rg=False) if isinstance(v, A) else v)
                         for k, v in options.items()},
             "output": tjson(exp_out)}
        if gout is not None:
            c["gradOutput"] = tjson(gout)
        c["grads"] = {k: tjson(v) for k, v in exp_grads.items()}
        c["rtol"] = rtol
        c["atol"] = atol
        if notes:
            c["note"] = "; ".join(notes)
        self.cases.append(c)
        return c

    def _run(self, args, options, ref, tdt, gout, round_inputs=None):
        T = {}
        for a in args:
            t = a.torch(tdt, True)
            if round_inputs is not None and not a.is_int:
                t = torch.tensor(q(a.data, round_inputs), dtype=tdt, requires_grad=a.rg)
            T[a.name] = t
        o = {}
        for k, v in options.items():
            if isinstance(v, A):
                o[k] = v.torch(tdt, False) if round_inputs is None else \
                    torch.tensor(q(v.data, round_inputs), dtype=tdt)
            else:
                o[k] = v
        o["_dtype"] = self._dtype
        out = ref(T, o)
        grads = {}
        rg = [a for a in args if a.rg]
        if rg:
            if out.dim() == 0:
                out.backward()
            elif gout is not None:
                out.backward(torch.tensor(gout, dtype=tdt))
            for a in rg:
                g = T[a.name].grad
                if g is None:
                    g = torch.zeros_like(T[a.name])
                grads[a.name] = g.detach().numpy().astype(np.float64)
        return out.detach().numpy().astype(np.float64), grads, T

    def _perturb(self, name, dtype, args, options, ref, gout, out, grads):
        """Sensitivity of the float64 result to a one-ulp (case dtype) change of every
        float argument element that is not a 'short' number (0, integers, values with <= 8
        significant bits: the hand-picked special values).  Return the atol needed or None."""
        rtol = BASE_TOL[dtype][0]
        u = 2.0 ** -23 if dtype == "float32" else 2.0 ** -52
        prng = np.random.default_rng([SEED, zlib.crc32((self.stem + "|" + name).encode())])
        worst = 0.0
        floats = [a.name for a in args if not a.is_int]
        groups = [[n for n in floats if n in self.coherent]] + \
                 [[n] for n in floats if n not in self.coherent]
        groups = [g for g in groups if g]
        # one group of arguments at a time (so effects of different args cannot cancel by
        # chance), two random sign patterns each
        for group, _trial in [(g, k) for g in groups for k in range(2)]:
            pargs = []
            shared = {}
            for a in args:
                if a.is_int or a.name not in group:
                    pargs.append(a)
                    continue
                v = a.data
                with np.errstate(invalid="ignore"):
                    m = np.frexp(v)[0] * 256.0
                    short = ~np.isfinite(v) | (v == np.round(v)) | (m == np.round(m))
                f = 1.0 + u * prng.choice([-1.0, 1.0], size=v.shape)
                if a.name in self.coherent:
                    f = shared.setdefault(v.shape, f)
                pargs.append(A(a.name, q(np.where(short, v, v * f), dtype), rg=a.rg))
            p_out, p_grads, _ = self._run(pargs, options, ref, torch.float64, gout)
            pairs = [(p_out, out)] + [(p_grads[k], grads[k]) for k in grads]
            for pv, r in pairs:
                pv = np.asarray(pv, np.float64)
                r = np.asarray(r, np.float64)
                fin = np.isfinite(pv) & np.isfinite(r)
                if dtype == "float32":
                    fin &= np.abs(r) >= 1.1754943508222875e-38
                if not fin.any():
                    continue
                d = np.abs(pv[fin] - r[fin])
                fail = d > rtol * np.abs(r[fin])
                if fail.any():
                    worst = max(worst, float(d[fail].max()))
                    if os.environ.get("GEN_DEBUG"):
                        j = int(np.argmax(np.where(fail, d, -1)))
                        print(f"  [ulp] {self.stem}: {name}: ref={r[fin][j]!r} "
                              f"perturbed={pv[fin][j]!r}")
        return pow10_ceil(10 * worst) if worst > 0 else None

    def _simulate(self, name, dtype, args, options, ref, sim, gout):
        """Estimate the rounding error of an honest implementation: run `sim` in float32 on
        the inputs rounded to float32 and compare with the float64 reference on the SAME
        rounded inputs (so only the computation's own rounding is measured, not a change
        of inputs).  Return the atol a float32 implementation (or, scaled by 2^-29, a
        float64 one) needs, or None.  Non-finite mismatches of float32 cases are logged."""
        if dtype == "float64":
            vals = [a.data for a in args if not a.is_int] + \
                   [v.data for v in options.values() if isinstance(v, A) and not v.is_int]
            if gout is not None:
                vals.append(gout)
            for v in vals:
                av = np.abs(v[np.isfinite(v)])
                if av.size and (av.max() > F32_MAX or ((av > 0) & (av < 1.2e-38)).any()):
                    return None   # not representable in float32: nothing to learn
        g32 = None if gout is None else q(gout, "float32")
        try:
            s_out, s_grads, _ = self._run(args, options, sim, torch.float32, g32,
                                          round_inputs="float32")
            out, grads, _ = self._run(args, options, ref, torch.float64, g32,
                                      round_inputs="float32")
        except Exception as e:  # pragma: no cover
            DISAGREEMENTS.append((self.stem, name, f"float32 simulation failed: {e}"))
            return None
        worst = 0.0
        saturated = False
        pairs = [("output", s_out, out)] + [(f"grad[{k}]", s_grads[k], grads[k]) for k in grads]
        for label, s, r in pairs:
            s = np.asarray(s, np.float64)
            r = np.asarray(r, np.float64)
            if s.shape != r.shape:
                DISAGREEMENTS.append((self.stem, name, f"{label}: shape {s.shape} vs {r.shape}"))
                continue
            r32 = q(r, "float32")
            fin = np.isfinite(s) & np.isfinite(r32)
            # float32-subnormal results say nothing about cancellation: skip them
            tiny = np.abs(r) < 1.1754943508222875e-38
            bad_nf = ~fin & ~((s == r32) | (np.isnan(s) & np.isnan(r32)))
            if dtype == "float32" and bad_nf.any():
                i = np.flatnonzero(bad_nf.ravel())[0]
                DISAGREEMENTS.append((self.stem, name,
                                      f"{label}: float32 PyTorch gives {s.ravel()[i]!r} where the "
                                      f"float64 reference rounds to {r32.ravel()[i]!r} "
                                      f"({int(bad_nf.sum())} element(s))"))
            fin = fin & ~tiny
            if not fin.any():
                continue
            err = np.abs(s[fin] - r[fin])
            ref_abs = np.abs(r[fin])
            if dtype == "float32":
                fail = err > 1e-5 * ref_abs
                err_needed = err
            else:
                e64 = err * 2.0 ** -29
                fail = e64 > 1e-10 * ref_abs
                err_needed = e64
            if fail.any():
                worst = max(worst, float(err_needed[fail].max()))
                saturated |= bool((err[fail] >= 0.5 * ref_abs[fail]).any())
                if os.environ.get("GEN_DEBUG"):
                    j = int(np.argmax(np.where(fail, err_needed, -1)))
                    print(f"  [sim] {self.stem}: {name}: {label}: ref={r[fin][j]!r} "
                          f"f32={s[fin][j]!r} err={err[j]:.3g}")
        if worst > 0:
            atol = pow10_ceil(10 * worst)
            if dtype == "float64" and saturated:
                # float32 lost every digit somewhere, so its error no longer scales with eps:
                # fall back to 10 * eps64 * (largest magnitude among inputs, gradOutput and
                # numeric options) -- the error of a difference of such quantities.
                mags = [1.0] + [float(np.abs(v[np.isfinite(v)]).max()) for v in
                                [a.data for a in args if not a.is_int and a.data.size] +
                                ([gout] if gout is not None and gout.size else [])]
                mags += [abs(float(v)) for v in options.values()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)]
                atol = max(atol, pow10_ceil(10 * np.finfo(np.float64).eps * max(mags)))
            return atol
        return None

    def write(self):
        doc_head = {"generator": "scripts/gen_fixtures.py", **VERSIONS, "seed": SEED,
                    "seedDerivation": "numpy.random.default_rng([seed, zlib.crc32(loss)])",
                    "loss": self.stem}
        head = json.dumps(doc_head, allow_nan=False)[:-1]
        body = ",\n".join(json.dumps(c, allow_nan=False, separators=(",", ":"))
                          for c in self.cases)
        text = head + ', "cases": [\n' + body + "\n]}\n"
        path = os.path.join(OUT_DIR, self.stem + ".json")
        with open(path, "w") as f:
            f.write(text)
        return path, len(self.cases), len(text)


# --------------------------------------------------------------------------- shapes

SWEEP_SHAPES = [[1], [7], [13], [37], [130], [3, 4], [5, 7], [2, 3, 5], [4, 1, 3], [0], [0, 3],
                [25, 40]]
BIG_SHAPE = [25, 40]   # 1000 elements


def sweep_combos(shape):
    """(reduction, dtype) pairs for a sweep shape: every pair for small shapes, fewer for
    big ones to keep the files small."""
    n = int(np.prod(shape))
    if n >= 1000:
        return [("mean", "float32")]
    if n >= 100:
        return [("sum", "float32"), ("none", "float64")]
    return [(r, d) for r in REDUCTIONS for d in DTYPES]


def grid_shape(i):
    """A small shape chosen deterministically for option-grid case i."""
    shapes = [[3, 4], [7], [2, 3, 5], [13], [4, 5], [2, 2, 3]]
    return shapes[i % len(shapes)]


# =========================================================================== regression losses

def pair_inputs(s, shape, dtype, scale=2.0, equal_frac=0.1):
    x = s.randn(shape, dtype, scale)
    t = s.randn(shape, dtype, scale)
    if x.size:
        m = s.rng.random(shape) < equal_frac
        t = np.where(m, x, t)
    return x, t


def elementwise_suite(s, ref, make_inputs, grid, extremes, sweep_opts=None):
    """Standard coverage for an elementwise (input, target, ...) -> loss function.

    grid      : list of (label, options-without-reduction)
    make_inputs(shape, dtype, opts) -> list of A
    extremes  : list of (label, dtype -> (args, opts, note))
    """
    sweep_opts = sweep_opts or {}
    # defaults: no options at all (reduction defaults to mean)
    for dtype in DTYPES:
        s.case(f"shape=[3,4] {red_name(None)} defaults {dtype}", dtype,
               make_inputs([3, 4], dtype, {}), {}, ref)
    # option grid x reduction x dtype
    i = 0
    for label, opts in grid:
        for red in REDUCTIONS:
            for dtype in DTYPES:
                shape = grid_shape(i)
                i += 1
                o = dict(red_opts(red), **opts)
                s.case(f"shape={fmt_shape(shape)} {red_name(red)} {label} {dtype}".replace("  ", " "),
                       dtype, make_inputs(shape, dtype, o), o, ref)
    # shape sweep with default options
    for shape in SWEEP_SHAPES:
        for red, dtype in sweep_combos(shape):
            o = dict(red_opts(red), **sweep_opts)
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} sweep {dtype}", dtype,
                   make_inputs(shape, dtype, o), o, ref)
    # extremes
    for label, build in extremes:
        for red in REDUCTIONS:
            for dtype in DTYPES:
                args, o, note = build(dtype)
                o = dict(red_opts(red), **o)
                s.case(f"{label} {red_name(red)} {dtype}", dtype, args, o, ref, note=note, perturb=False)
    return s


def extreme_pairs(dtype):
    """Big, overflowing, tiny/denormal and equal values for difference-based losses."""
    if dtype == "float32":
        x = [1e20, -1e20, 3e38, 1e-40, -1.401298464324817e-45, 0.0, 1.5, 1e-30, 2e19, 7.0]
        t = [-1e20, 1e20, 3e38, 0.0, 0.0, -0.0, 1.5, -1e-30, 0.0, -1e19]
    else:
        x = [1e200, -1e200, 1e308, 1e-310, -5e-324, 0.0, 1.5, 1e-160, 1e154, 7.0]
        t = [-1e200, 1e200, 1e308, 0.0, 0.0, -0.0, 1.5, -1e-160, 0.0, -1e150]
    return q(x, dtype), q(t, dtype)


def gen_l1_mse(stem):
    s = Suite(stem)
    f = getattr(F, stem)

    def ref(T, o):
        return f(T["input"], T["target"], **pub(o))

    def mk(shape, dtype, o):
        x, t = pair_inputs(s, shape, dtype)
        return [A("input", x), A("target", t)]

    def ext(dtype):
        x, t = extreme_pairs(dtype)
        return [A("input", x), A("target", t)], {}, \
            "extreme magnitudes: overflow to inf, denormals, equal pairs (zero gradient for l1)"

    return elementwise_suite(s, ref, mk, [("", {})], [("extreme", ext)])


def threshold_pairs(s, dtype, thr):
    """Differences exactly at, just inside/outside and far from +-thr; plus zero."""
    tt = np.array([0.0, 0.0, 0.25, -0.5, 1.0, 0.0, 0.0, 3.0, -2.0, 0.0, 0.0, 0.0, 0.0])
    d = np.array([thr, -thr, thr, -thr, thr, 0.0, thr * 1.001, -thr * 0.999,
                  thr * 10 + 1.0, -(thr * 10 + 1.0), thr / 2, 1e-3, -1e4])
    x = q(tt + d, dtype)
    t = q(tt, dtype)
    return x, t


def gen_smooth_l1():
    s = Suite("smooth_l1_loss")

    def ref(T, o):
        # Decision (README "Where lossfn deliberately differs"): beta = 0 is exactly l1_loss,
        # gradient included, as PyTorch >= 2.1 dispatches it (pytorch/pytorch#96813). PyTorch
        # 1.13's own smooth_l1 kernel returns a gradient of -1 at x == t for beta = 0.
        if o.get("beta", 1.0) == 0.0:
            return F.l1_loss(T["input"], T["target"], **{k: v for k, v in pub(o).items() if k != "beta"})
        return F.smooth_l1_loss(T["input"], T["target"], **pub(o))

    def mk(shape, dtype, o):
        beta = o.get("beta", 1.0)
        t = s.randn(shape, dtype, 1.5)
        # differences concentrated around +-beta
        n = int(np.prod(shape))
        d = s.rng.choice([-1.0, 1.0], size=n) * max(beta, 0.25) * s.rng.uniform(0.3, 1.7, size=n)
        x = q(t + d.reshape(shape), dtype)
        return [A("input", x), A("target", t)]

    grid = [(f"beta={b}", {"beta": b}) for b in (1.0, 0.5, 2.0, 0.0)]
    ext = []
    for b in (1.0, 0.5, 2.0, 0.0):
        def build(dtype, b=b):
            x, t = threshold_pairs(s, dtype, b if b > 0 else 1.0)
            note = "differences exactly at +-beta, just inside/outside, zero and far away"
            if b == 0.0:
                note += ("; beta=0 is l1_loss (as PyTorch >= 2.1): gradient 0 at x == t "
                         "(element 5), where PyTorch 1.13's smooth_l1 kernel gives -1")
            return [A("input", x), A("target", t)], {"beta": b}, note
        ext.append((f"thresholds beta={b}", build))

    def big_vals(dtype):
        x, t = extreme_pairs(dtype)
        return [A("input", x), A("target", t)], {"beta": 0.5}, "extreme magnitudes"
    ext.append(("extreme beta=0.5", big_vals))
    return elementwise_suite(s, ref, mk, grid, ext)


def gen_huber():
    s = Suite("huber_loss")

    def ref(T, o):
        return F.huber_loss(T["input"], T["target"], **pub(o))

    def mk(shape, dtype, o):
        delta = o.get("delta", 1.0)
        t = s.randn(shape, dtype, 1.5)
        n = int(np.prod(shape))
        d = s.rng.choice([-1.0, 1.0], size=n) * delta * s.rng.uniform(0.3, 1.7, size=n)
        x = q(t + d.reshape(shape), dtype)
        return [A("input", x), A("target", t)]

    grid = [(f"delta={d}", {"delta": d}) for d in (1.0, 0.3, 2.5)]
    ext = []
    for dl in (1.0, 0.3, 2.5):
        def build(dtype, dl=dl):
            x, t = threshold_pairs(s, dtype, dl)
            return [A("input", x), A("target", t)], {"delta": dl}, \
                "differences at +-delta (exact in float64; nearest float32 otherwise), " \
                "inside/outside, zero, far away"
        ext.append((f"thresholds delta={dl}", build))

    def big_vals(dtype):
        x, t = extreme_pairs(dtype)
        return [A("input", x), A("target", t)], {"delta": 2.5}, "extreme magnitudes"
    ext.append(("extreme delta=2.5", big_vals))
    return elementwise_suite(s, ref, mk, grid, ext)


POISSON_T0_NOTE = ("PyTorch autograd gives NaN for d/dtarget where target == 0 with full=True "
                   "(backward of the masked Stirling term target*log(target) computes 0*log(0)); "
                   "stored as PyTorch computes it")


def gen_poisson():
    s = Suite("poisson_nll_loss",
              cancel_reason="the loss exp(x) - t*x (or x - t*log(x+eps)), its gradient and "
                            "mixed-sign sums cancel")

    def ref(T, o):
        kw = {"log_input": o.get("logInput", True), "full": o.get("full", False),
              "eps": o.get("eps", 1e-8), "reduction": o.get("reduction", "mean")}
        return F.poisson_nll_loss(T["input"], T["target"], **kw)

    def targets(shape, dtype):
        n = int(np.prod(shape))
        pool = np.concatenate([[0.0, 1.0, 0.5, 2.5, 3.0, 7.0, 0.25, 1.5, 12.0],
                               s.rng.uniform(0, 5, size=max(n, 1))])
        t = s.rng.choice(pool, size=n)
        if n >= 4:
            t[:4] = [0.0, 1.0, 0.5, 2.5]   # always: zero, one, fractional, > 1
            s.rng.shuffle(t)
        return q(t.reshape(shape), dtype)

    def mk(shape, dtype, o):
        t = targets(shape, dtype)
        if o.get("logInput", True):
            x = s.randn(shape, dtype, 1.5)
        else:
            x = s.unif(shape, dtype, 0.05, 5.0)
            n = x.size
            if n:
                m = s.rng.random(shape) < 0.15
                if n >= 3:
                    m.ravel()[0] = True
                x = np.where(m, 0.0, x)
        return [A("input", x), A("target", t)]

    def note_for(o, t):
        return POISSON_T0_NOTE if o.get("full") and (t == 0).any() else None

    i = 0
    for d in DTYPES:
        args = mk([3, 4], d, {})
        s.case(f"shape=[3,4] {red_name(None)} defaults {d}", d, args, {}, ref)
    for li in (True, False):
        for full in (True, False):
            for eps in (1e-8, 0.1):
                for red in REDUCTIONS:
                    for d in DTYPES:
                        shape = grid_shape(i)
                        i += 1
                        o = {"reduction": red, "logInput": li, "full": full, "eps": eps}
                        args = mk(shape, d, o)
                        s.case(f"shape={fmt_shape(shape)} {red_name(red)} logInput={li} "
                               f"full={full} eps={eps} {d}", d, args, o, ref,
                               note=note_for(o, args[1].data))
    for shape in SWEEP_SHAPES:
        for red, d in sweep_combos(shape):
                o = {"reduction": red, "full": True}
                args = mk(shape, d, o)
                s.case(f"shape={fmt_shape(shape)} {red_name(red)} full=True sweep {d}", d,
                       args, o, ref, note=note_for(o, args[1].data))

    # extremes: exp overflow, very negative log-input, tiny / zero inputs, big targets
    for red in REDUCTIONS:
        for d in DTYPES:
            big = 88.0 if d == "float32" else 709.0     # exp() finite
            over = 95.0 if d == "float32" else 710.0    # exp() overflows, even divided by 7
            x = q([big, over, -1e4, -50.0, 0.0, 30.0, 1e-6], d)
            t = q([1.0, 2.0, 3.0, 0.0, 0.0, 40.0, 1e6], d)
            o = {"reduction": red, "logInput": True, "full": True}
            s.case(f"extreme logInput=True {red_name(red)} {d}", d,
                   [A("input", x), A("target", t)], o, ref,
                   note="exp(input) near/over the " + d + " overflow threshold, huge target; "
                        + POISSON_T0_NOTE, perturb=False)
            x = q([0.0, 1e-30, 1e-9, 1e30 if d == "float32" else 1e300, 3.0, 0.0], d)
            t = q([5.0, 2.0, 0.0, 3.0, 1e6, 0.0], d)
            for eps in (1e-8, 0.1):
                o = {"reduction": red, "logInput": False, "full": False, "eps": eps}
                s.case(f"extreme logInput=False eps={eps} {red_name(red)} {d}", d,
                       [A("input", x), A("target", t)], o, ref,
                       note="zero / tiny / huge rate inputs", perturb=False)
    return s


def gen_gaussian():
    s = Suite("gaussian_nll_loss", coherent=("input", "target"),
              cancel_reason="0.5*(log(var) + (x-t)^2/var) and its var-gradient "
                            "0.5*(1/var - (x-t)^2/var^2) cancel; sums mix signs")

    def ref(T, o):
        kw = {"full": o.get("full", False), "eps": o.get("eps", 1e-6),
              "reduction": o.get("reduction", "mean")}
        return F.gaussian_nll_loss(T["input"], T["target"], T["var"], **kw)

    def variances(shape, dtype, clamp_vals=True):
        v = s.unif(shape, dtype, 0.05, 3.0)
        n = v.size
        if clamp_vals and n >= 2:
            flat = v.ravel()
            flat[0] = 0.0
            flat[1] = q(1e-9, dtype)
            if n >= 4:
                flat[2] = q(0.3, dtype)   # below eps=0.5 only
            s.rng.shuffle(flat)
        return v

    def mk(shape, dtype, vshape):
        x = s.randn(shape, dtype, 1.5)
        t = s.randn(shape, dtype, 1.5)
        return [A("input", x), A("target", t), A("var", variances(vshape, dtype))]

    VNOTE = ("var contains 0 and 1e-9 (< eps): PyTorch clamps var in-place under no_grad, "
             "so the var gradient is that of the clamped value passed straight through "
             "(not zeroed)")
    for d in DTYPES:
        s.case(f"shape=[4,3] var=[4,3] {red_name(None)} defaults {d}", d,
               mk([4, 3], d, [4, 3]), {}, ref, note=VNOTE)
    vshapes = [("same", [4, 3], [4, 3]), ("lastdim1", [4, 3], [4, 1]), ("onefewer", [4, 3], [4]),
               ("same3d", [2, 3, 2], [2, 3, 2]), ("lastdim1-3d", [2, 3, 2], [2, 3, 1]),
               ("onefewer-3d", [2, 3, 2], [2, 3])]
    i = 0
    for full in (True, False):
        for eps in (1e-6, 0.5):
            for red in REDUCTIONS:
                for d in DTYPES:
                    for vlabel, shape, vshape in vshapes:
                        if vlabel.endswith("3d") and (i % 2):
                            continue
                        i += 1
                        o = {"reduction": red, "full": full, "eps": eps}
                        s.case(f"shape={fmt_shape(shape)} var={fmt_shape(vshape)} ({vlabel}) "
                               f"{red_name(red)} full={full} eps={eps} {d}", d,
                               mk(shape, d, vshape), o, ref, note=VNOTE)
    sweep = [([1], [1]), ([7], [7]), ([7], [1]), ([7], []), ([13], [13]), ([37], [37]),
             ([130], [130]), ([5, 7], [5, 7]), ([25, 40], [25, 40]), ([2, 3, 5], [2, 3, 1]), ([0], [0]),
             ([0, 3], [0, 3]), ([0, 3], [0, 1]), ([0, 3], [0])]
    for shape, vshape in sweep:
        for red, d in sweep_combos(shape):
                o = {"reduction": red}
                s.case(f"shape={fmt_shape(shape)} var={fmt_shape(vshape)} {red_name(red)} sweep {d}",
                       d, mk(shape, d, vshape), o, ref, note=VNOTE if vshape and
                       int(np.prod(vshape)) >= 2 else None)
    # extremes: huge residuals, tiny var (clamped), big var
    for red in REDUCTIONS:
        for d in DTYPES:
            big = 1e18 if d == "float32" else 1e150
            x = q([big, -big, 0.0, 1.0, 3.0, 3e-3], d)
            t = q([0.0, big, 0.0, 1.0, -3.0, 0.0], d)
            v = q([1.0, 1e-9, 0.0, 1e30 if d == "float32" else 1e300, 1e-6, 1e-7], d)
            for eps in (1e-6, 0.5):
                o = {"reduction": red, "eps": eps, "full": True}
                s.case(f"extreme eps={eps} {red_name(red)} {d}", d,
                       [A("input", x), A("target", t), A("var", v)], o, ref,
                       note="huge residuals (overflow for float32), var at / below eps, huge var", perturb=False)
    return s


# ---- Keras-origin regression losses (no PyTorch function): reference built from torch ops.

KERAS_EPS = 1e-7   # Keras backend.epsilon(); held in the case dtype (float32(1e-7) for float32)


def keras_eps(o):
    return float(q(KERAS_EPS, o.get("_dtype", "float64")))


def mape_ref(T, o):
    # elementwise  100 * |t - x| / max(|t|, 1e-7)     (Keras mean_absolute_percentage_error)
    # max(|t|, eps) is torch.clamp(min=eps): gradient flows only through |t| where |t| >= eps.
    x, t = T["input"], T["target"]
    e = 100.0 * (t - x).abs() / torch.clamp(t.abs(), min=keras_eps(o))
    return reduce_(e, o.get("reduction", "mean"))


def msle_ref(T, o):
    # elementwise  (log(max(x,1e-7) + 1) - log(max(t,1e-7) + 1))^2   (Keras
    # mean_squared_logarithmic_error); log(1 + y) is evaluated as log1p(y) for accuracy.
    x, t = T["input"], T["target"]
    eps = keras_eps(o)
    e = (torch.log1p(torch.clamp(x, min=eps)) - torch.log1p(torch.clamp(t, min=eps))) ** 2
    return reduce_(e, o.get("reduction", "mean"))


LN2 = math.log(2.0)


class LogCoshFn(torch.autograd.Function):
    """logcosh(e), accurate to ~1 ulp-ish everywhere, and its derivative tanh(e).

    |e| < 1 : log1p(u^2 / (2 (1 + u))),  u = expm1(|e|)   [cosh(a) - 1 = u^2 / (2 e^a)]
    |e| >= 1: |e| + log1p(exp(-2|e|)) - log(2)             [never overflows]
    """

    @staticmethod
    def forward(ctx, e):
        ctx.save_for_backward(e)
        a = e.abs()
        u = torch.expm1(torch.clamp(a, max=1.0))
        small = torch.log1p(u * u / (2.0 * (1.0 + u)))
        large = a + torch.log1p(torch.exp(-2.0 * a)) - LN2
        return torch.where(a < 1.0, small, large)

    @staticmethod
    def backward(ctx, g):
        (e,) = ctx.saved_tensors
        return g * torch.tanh(e)


def logcosh_ref(T, o):
    # elementwise  logcosh(x - t)   (Keras log_cosh); d/dx = tanh(x - t), d/dt = -tanh(x - t)
    e = T["input"] - T["target"]
    return reduce_(LogCoshFn.apply(e), o.get("reduction", "mean"))


def check_logcosh():
    """Self-check of the log-cosh reference against mpmath (50 digits) and an
    independent formula; raises if the relative error exceeds 1e-14."""
    import mpmath
    mpmath.mp.dps = 50
    pts = [0.0, 1e-300, 1e-30, 1e-8, 1e-4, 0.1, 0.5, 0.9, 0.999999, 1.0, 1.000001, 1.5, 3.0,
           10.0, 19.0, 30.0, 300.0, 354.0, 400.0, 709.0, 800.0, 1e4]
    pts += list(np.random.default_rng(SEED).uniform(0, 5, 200))
    e = torch.tensor(pts + [-p for p in pts], dtype=torch.float64)
    got = LogCoshFn.apply(e).numpy()
    # independent: logaddexp(e, -e) - log 2, fine for |e| >= 1
    alt = (torch.logaddexp(e, -e) - LN2).numpy()
    worst = 0.0
    for p, g, al in zip(e.tolist(), got.tolist(), alt.tolist()):
        mp = mpmath.mpf(p)
        exact = float(mpmath.log1p(2 * mpmath.sinh(mp / 2) ** 2))   # cosh - 1 = 2 sinh^2(e/2)
        if exact == 0.0:
            assert g == 0.0, (p, g)
            continue
        rel = abs(g - exact) / exact
        worst = max(worst, rel)
        assert rel < 1e-14, ("logcosh reference inaccurate", p, g, exact)
        if abs(p) >= 1:
            assert abs(al - exact) / exact < 1e-14, ("logaddexp formula disagrees", p, al, exact)
    return worst


def gen_mape():
    s = Suite("mean_absolute_percentage_error", coherent=("input", "target"),
              cancel_reason="d/dt = 100*(sign(t-x)/|t| - |t-x|*sign(t)/t^2) cancels when x is "
                            "small against t")

    def mk(shape, dtype, o):
        x = s.randn(shape, dtype, 2.0)
        t = s.randn(shape, dtype, 2.0)
        n = t.size
        if n >= 3:
            flat = t.ravel()
            flat[0] = 0.0
            flat[1] = q(1e-9, dtype)
            flat[2] = q(-3e-8, dtype)
            s.rng.shuffle(flat)
        return [A("input", x), A("target", t)]

    def ext(dtype):
        tiny = 1e-40 if dtype == "float32" else 1e-310
        big = 1e30 if dtype == "float32" else 1e300
        t = q([0.0, -0.0, 1e-7, -1e-7, 1e-9, tiny, 2e-7, 1.0, big, -big, 5.0, 1e-7], dtype)
        # (no x = 0 against an unclamped t here: see the zero-gradient cases below)
        x = q([1.0, -1.0, 3e-7, 1e-7, 0.0, 1.0, 2e-7, 1.0, -big, big, 5.0, 1e25 if dtype == "float32"
               else 1e300], dtype)
        return [A("input", x), A("target", t)], {}, \
            "targets 0, +-1e-7 (the clamp threshold: clamp passes the gradient at equality), " \
            "below it (clamped, no gradient through |t|), huge values (t^2 overflows: compute " \
            "|t-x|/t^2 as (|t-x|/|t|)/|t|), x == t"
    elementwise_suite(s, mape_ref, mk, [("", {})], [("extreme", ext)])
    # x = 0 (or x << t) against an unclamped t: 100*|t - x|/|t| is constant (100), its exact
    # t-gradient is 100*x/t^2 (0 for x = 0), but autograd forms 100*(1/|t| - |t - x|/t^2):
    # rounding noise of size eps*100/|t|.  atol = 10 * eps * max(100*|gradOutput|/|t|) (/n).
    for red in REDUCTIONS:
        for d in DTYPES:
            big = 1e30 if d == "float32" else 1e300
            t = q([0.5, 3.0, -2.5, big, 1e-3, -7.0], d)
            x = q([0.0, 0.0, 0.0, 0.0, 1e-12, -1e-9], d)
            n = t.size
            g = 1.0 if red != "none" else 3.0   # |gradOutput| bound used for 'none' (checked)
            scale = 100.0 * g / np.abs(t).min() / (n if red == "mean" else 1)
            eps = float(np.finfo(NP[d]).eps)
            c = s.case(f"zero-gradient x=0 {red_name(red)} {d}", d,
                       [A("input", x), A("target", t)], {"reduction": red}, mape_ref,
                       perturb=False, check=False, atol_min=pow10_ceil(10 * eps * scale),
                       note="x = 0 or x << t with |t| >= eps: the exact d/dt is 100*x/t^2 (0 at x = 0) "
                            "but PyTorch autograd evaluates 100*(1/|t| - |t-x|/t^2), leaving "
                            "rounding noise of size eps*100/|t|; atol = 10*eps*100*|gradOutput|/min|t| "
                            "(/n for 'mean'), rounded up to a power of ten")
            if "gradOutput" in c:
                assert max(abs(v) for v in c["gradOutput"]["data"]) <= g, c["gradOutput"]
    return s


def gen_msle():
    s = Suite("mean_squared_logarithmic_error",
              cancel_reason="the gradients 2*(log1p(x) - log1p(t))/(1+x) are differences of "
                            "nearly equal logarithms")

    def mk(shape, dtype, o):
        x = s.unif(shape, dtype, -1.0, 6.0)
        t = s.unif(shape, dtype, 0.0, 6.0)
        if x.size >= 3:
            flat = x.ravel()
            flat[0] = 0.0
            flat[1] = -2.5
            s.rng.shuffle(flat)
        return [A("input", x), A("target", t)]

    def ext(dtype):
        big = 1e30 if dtype == "float32" else 1e300
        x = q([0.0, -1.0, 1e-7, 1e-8, 2e-7, big, 1e-3, -big, 3.0, 1e-7], dtype)
        t = q([0.0, 0.5, 0.0, 1e-7, 1e-7, 0.0, 1e-3, 2.0, big, -5.0], dtype)
        return [A("input", x), A("target", t)], {}, \
            "negatives and zero (clamped to 1e-7: no gradient), values at the 1e-7 threshold " \
            "(clamp passes the gradient at equality), tiny and huge values"
    return elementwise_suite(s, msle_ref, mk, [("", {})], [("extreme", ext)])


def gen_logcosh():
    s = Suite("log_cosh")

    def mk(shape, dtype, o):
        x = s.randn(shape, dtype, 2.0)
        t = s.randn(shape, dtype, 2.0)
        if x.size >= 2:
            flat = x.ravel()
            tf = t.ravel()
            flat[0] = tf[0]
        return [A("input", x), A("target", t)]

    def ext(dtype):
        x = q([1e4, -1e4, 500.0, -89.0, 20.0, 1e-20, -1e-30, 0.0, 1e-4, 0.999, 1.0, 5e3], dtype)
        t = q([0.0, 0.0, -500.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -5e3], dtype)
        return [A("input", x), A("target", t)], {}, \
            "|x - t| up to 1e4 (cosh overflows, logcosh does not), tiny differences, exactly 1"
    return elementwise_suite(s, logcosh_ref, mk, [("", {})], [("extreme", ext)])


# =========================================================================== classification losses

def weights(s, C, dtype):
    return s.unif([C], dtype, 0.2, 2.0)


def idx_targets(s, shape, C, ignore=None):
    """Class indices in [0, C); with `ignore`, put it at ~1/4 of the positions (at least one,
    never all when there are >= 2 positions)."""
    t = s.randint(shape, 0, C)
    n = t.size
    if ignore is not None and n >= 1:
        flat = t.ravel()
        if n >= 2:
            k = max(1, n // 4)
            pos = s.rng.choice(n, size=k, replace=False)
            flat[pos] = ignore
            if (flat == ignore).all():
                flat[0] = (ignore + 1) % C if 0 <= ignore < C else 0
            if 0 <= ignore < C and (flat == ignore).all():
                flat[0] = (ignore + 1) % C
    return t


def softmax_np(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


CE_SHAPES = [("C", [5], []), ("NC", [4, 5], [4]), ("NCd", [2, 4, 3], [2, 3]),
             ("NCdd", [2, 3, 2, 2], [2, 2, 2])]


def gen_cross_entropy():
    s = Suite("cross_entropy",
              cancel_reason="confident predictions: the loss logsumexp(x) - x_y (and 1 - p_y in "
                            "the gradient) is a small difference of large logits")

    def ref(T, o):
        kw = {"reduction": o.get("reduction", "mean"),
              "label_smoothing": o.get("labelSmoothing", 0.0),
              "ignore_index": o.get("ignoreIndex", -100)}
        if "weight" in o:
            kw["weight"] = o["weight"]
        return F.cross_entropy(T["input"], T["target"], **kw)

    def ref_exact(T, o):
        # Index targets through stable_log_softmax: (1 - eps)*NLL + eps/C * sum_c w_c(-log p_c)
        # per position (0 where ignored), 'mean' over the weight sum of the non-ignored
        # targets (LOSS-SEMANTICS §2). Equal to ref() wherever PyTorch keeps its digits
        # (checked below on random logits for every option).
        x, y = T["input"], T["target"]
        red = o.get("reduction", "mean")
        eps = o.get("labelSmoothing", 0.0)
        ii = o.get("ignoreIndex", -100)
        cdim = 1 if x.dim() > 1 else 0
        C = x.shape[cdim]
        logp = stable_log_softmax(x, cdim)
        w = o.get("weight")
        nll = F.nll_loss(logp, y, weight=w, ignore_index=ii, reduction=red)
        if eps == 0:
            return nll
        wc = w if w is not None else torch.ones(C, dtype=x.dtype)
        shape = [1] * x.dim()
        shape[cdim] = C
        keep = y != ii
        smooth = torch.where(keep, -(logp * wc.view(shape)).sum(cdim), torch.zeros((), dtype=x.dtype))
        if red == "none":
            sm = smooth
        elif red == "sum":
            sm = smooth.sum()
        else:
            sm = smooth.sum() / torch.where(keep, wc[torch.where(keep, y, 0)], 0).sum()
        return (1 - eps) * nll + eps / C * sm

    def check_ref_exact():
        g = np.random.default_rng(7)
        x = torch.tensor(g.standard_normal([6, 5]) * 2.0)
        y = torch.tensor([0, 1, -100, 3, 4, 2])
        for o in ({}, {"labelSmoothing": 0.1}, {"weight": torch.tensor([0.5, 2.0, 1.0, 1.5, 0.25],
                  dtype=torch.float64), "labelSmoothing": 0.1}):
            for red in ("none", "sum", "mean"):
                oo = dict(o, reduction=red)
                a, b = ref_exact({"input": x, "target": y}, oo), ref({"input": x, "target": y}, oo)
                assert torch.allclose(a, b, rtol=1e-13, atol=0), (oo, a, b)

    check_ref_exact()

    def logits(shape, d):
        return s.randn(shape, d, 2.0)

    def prob_target(shape, d):
        cls_axis = 0 if len(shape) == 1 else 1
        p = softmax_np(1.5 * s.rng.standard_normal(shape), cls_axis) if int(np.prod(shape)) else \
            np.zeros(shape)
        return q(p, d)

    for d in DTYPES:
        s.case(f"NC shape=[4,5] index {red_name(None)} defaults {d}", d,
               [A("input", logits([4, 5], d)), A("target", idx_targets(s, [4], 5))], {}, ref)
        s.case(f"NC shape=[4,5] prob {red_name(None)} defaults {d}", d,
               [A("input", logits([4, 5], d)), A("target", prob_target([4, 5], d), rg=False)],
               {}, ref)
    # index targets: weight x ignoreIndex x labelSmoothing x reduction x dtype
    i = 0
    for use_w in (False, True):
        for ii in (None, 1):
            for ls in (0.0, 0.1, 1.0):
                for red in REDUCTIONS:
                    for d in DTYPES:
                        lab, shape, tshape = CE_SHAPES[i % len(CE_SHAPES)]
                        i += 1
                        C = shape[0] if lab == "C" else shape[1]
                        o = {"reduction": red, "labelSmoothing": ls}
                        if use_w:
                            o["weight"] = A("weight", weights(s, C, d), rg=False)
                        if ii is not None:
                            o["ignoreIndex"] = ii
                        # the default ignore index -100 also appears in batched targets
                        ign = (ii if ii is not None else -100) if lab != "C" else None
                        t = idx_targets(s, tshape, C, ign)
                        s.case(f"{lab} shape={fmt_shape(shape)} index {red_name(red)} "
                               f"weight={use_w} ignoreIndex={ii if ii is not None else '(default)'} "
                               f"labelSmoothing={ls} {d}", d,
                               [A("input", logits(shape, d)), A("target", t)], o, ref)
    # probability targets: weight x labelSmoothing x reduction x dtype
    PNOTE = ("probability targets: 'mean' divides by the number of positions N*d1*..., "
             "not by a weight sum, even with weight")
    for use_w in (False, True):
        for ls in (0.0, 0.1, 1.0):
            for red in REDUCTIONS:
                for d in DTYPES:
                    lab, shape, _ = CE_SHAPES[i % len(CE_SHAPES)]
                    i += 1
                    C = shape[0] if lab == "C" else shape[1]
                    o = {"reduction": red, "labelSmoothing": ls}
                    if use_w:
                        o["weight"] = A("weight", weights(s, C, d), rg=False)
                    s.case(f"{lab} shape={fmt_shape(shape)} prob {red_name(red)} weight={use_w} "
                           f"labelSmoothing={ls} {d}", d,
                           [A("input", logits(shape, d)),
                            A("target", prob_target(shape, d), rg=False)], o, ref,
                           note=PNOTE if use_w and red == "mean" else None)
    # every target ignored
    for ii, use_w, ls in ((None, True, 0.1), (1, False, 0.0), (1, True, 1.0)):
        for red in REDUCTIONS:
            for d in DTYPES:
                o = {"reduction": red, "labelSmoothing": ls}
                if ii is not None:
                    o["ignoreIndex"] = ii
                if use_w:
                    o["weight"] = A("weight", weights(s, 5, d), rg=False)
                t = np.full([3], -100 if ii is None else ii, dtype=np.int64)
                s.case(f"NC shape=[3,5] all-ignored {red_name(red)} weight={use_w} "
                       f"ignoreIndex={ii if ii is not None else '(default)'} labelSmoothing={ls} {d}",
                       d, [A("input", logits([3, 5], d)), A("target", t)], o, ref,
                       note="every target ignored: 'mean' is 0/0 = NaN, 'sum' 0, gradients 0")
    # empty batch
    for red in REDUCTIONS:
        for d in DTYPES:
            s.case(f"NC shape=[0,5] index empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 5])), A("target", np.zeros([0], np.int64))],
                   {"reduction": red}, ref)
            s.case(f"NC shape=[0,5] prob empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 5])), A("target", np.zeros([0, 5]), rg=False)],
                   {"reduction": red}, ref,
                   note="PyTorch returns -0.0 for 'sum'" if red == "sum" else None)
    # extreme logits
    X = [[100.0, -100.0, 0.0, 50.0, -100.0],
         [100.0, -100.0, 0.0, 50.0, -100.0],
         [1e4, -1e4, 0.0, 9999.0, 1.0],
         [-1e4, -1e4, -1e4, -1e4, -1e4],
         [1e4, 1e4, -1e4, 0.0, 3.0],
         [100.0, 99.0, 100.0, -1e4, 0.0]]
    Y = [0, 1, 3, 2, 1, 2]
    for variant, extra in (("plain", {}), ("weight+labelSmoothing=0.1", None)):
        for red in REDUCTIONS:
            for d in DTYPES:
                o = {"reduction": red}
                if extra is None:
                    o["weight"] = A("weight", q([0.5, 2.0, 1.0, 1.5, 0.25], d), rg=False)
                    o["labelSmoothing"] = 0.1
                s.case(f"NC shape=[6,5] index extreme-logits {variant} {red_name(red)} {d}", d,
                       [A("input", q(X, d)), A("target", np.array(Y, np.int64))], o, ref_exact,
                       note="logits +-100 and 1e4 mixtures: log-softmax must be computed stably; "
                            "reference through stable_log_softmax (PyTorch's own gives 0 for "
                            "the 1.9e-22 loss of row 0)", perturb=False)
        for red in REDUCTIONS:
            for d in DTYPES:
                o = {"reduction": red}
                if extra is None:
                    o["weight"] = A("weight", q([0.5, 2.0, 1.0, 1.5, 0.25], d), rg=False)
                    o["labelSmoothing"] = 0.1
                pt = np.zeros([6, 5])
                pt[np.arange(6), Y] = 0.75
                pt[np.arange(6), (np.array(Y) + 1) % 5] = 0.25
                s.case(f"NC shape=[6,5] prob extreme-logits {variant} {red_name(red)} {d}", d,
                       [A("input", q(X, d)), A("target", q(pt, d), rg=False)], o, ref,
                       note="logits +-100 and 1e4 mixtures: log-softmax must be computed stably", perturb=False)
    # sweep over sizes
    for shape in ([1, 1], [1, 7], [7, 13], [3, 37], [2, 130], [8, 125]):
        for red, d in sweep_combos(shape):
            s.case(f"NC shape={fmt_shape(shape)} index {red_name(red)} sweep {d}", d,
                   [A("input", logits(shape, d)), A("target", idx_targets(s, shape[:1], shape[1]))],
                   {"reduction": red}, ref)
    return s


NLL_SHAPES = [("C", [5], []), ("NC", [4, 5], [4]), ("NCHW", [2, 3, 2, 3], [2, 2, 3]),
              ("NCd1d2d3", [2, 3, 2, 2, 2], [2, 2, 2, 2])]


def gen_nll():
    s = Suite("nll_loss")

    def ref(T, o):
        kw = {"reduction": o.get("reduction", "mean"), "ignore_index": o.get("ignoreIndex", -100)}
        if "weight" in o:
            kw["weight"] = o["weight"]
        return F.nll_loss(T["input"], T["target"], **kw)

    def logp(shape, d):
        if int(np.prod(shape)) == 0:
            return np.zeros(shape)
        z = 2.0 * s.rng.standard_normal(shape)
        ax = 0 if len(shape) == 1 else 1
        return q(np.log(softmax_np(z, ax)), d)

    for d in DTYPES:
        s.case(f"NC shape=[4,5] {red_name(None)} defaults {d}", d,
               [A("input", logp([4, 5], d)), A("target", idx_targets(s, [4], 5))], {}, ref)
    for lab, shape, tshape in NLL_SHAPES:
        C = shape[0] if lab == "C" else shape[1]
        for use_w in (False, True):
            for ii in (None, 1):
                for red in REDUCTIONS:
                    for d in DTYPES:
                        o = {"reduction": red}
                        if use_w:
                            o["weight"] = A("weight", weights(s, C, d), rg=False)
                        if ii is not None:
                            o["ignoreIndex"] = ii
                        ign = (ii if ii is not None else -100) if lab != "C" else None
                        s.case(f"{lab} shape={fmt_shape(shape)} {red_name(red)} weight={use_w} "
                               f"ignoreIndex={ii if ii is not None else '(default)'} {d}", d,
                               [A("input", logp(shape, d)), A("target", idx_targets(s, tshape, C, ign))],
                               o, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            o = {"reduction": red, "weight": A("weight", weights(s, 5, d), rg=False)}
            s.case(f"NC shape=[3,5] all-ignored {red_name(red)} weight=True {d}", d,
                   [A("input", logp([3, 5], d)), A("target", np.full([3], -100, np.int64))], o, ref,
                   note="every target ignored: 'mean' is 0/0 = NaN")
            s.case(f"NC shape=[0,5] empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 5])), A("target", np.zeros([0], np.int64))],
                   {"reduction": red}, ref)
            s.case(f"NCHW shape=[0,3,2,2] empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 3, 2, 2])), A("target", np.zeros([0, 2, 2], np.int64))],
                   {"reduction": red}, ref)
    for shape in ([1, 1], [7, 13], [3, 37], [2, 130], [8, 125]):
        for red, d in sweep_combos(shape):
            s.case(f"NC shape={fmt_shape(shape)} {red_name(red)} sweep {d}", d,
                   [A("input", logp(shape, d)), A("target", idx_targets(s, shape[:1], shape[1]))],
                   {"reduction": red}, ref)
    return s


BCE_NOTE = ("PyTorch clamps log(x) and log(1-x) at -100 in the value, and computes the input "
            "gradient as (x - t) / max(x*(1-x), 1e-12), so x in {0, 1} gives +-1e12-sized "
            "gradients")


def gen_bce():
    s = Suite("binary_cross_entropy",
              cancel_reason="the gradient (x - t)/(x(1-x)) and the target gradient "
                            "log(1-x) - log(x) cancel when x is close to t / to 1/2")

    def ref(T, o):
        kw = {"reduction": o.get("reduction", "mean")}
        if "weight" in o:
            kw["weight"] = o["weight"]
        return F.binary_cross_entropy(T["input"], T["target"], **kw)

    def mk(shape, d):
        x = s.unif(shape, d, 0.02, 0.98)
        t = s.unif(shape, d, 0.0, 1.0)
        n = t.size
        if n:
            m = s.rng.random(shape)
            t = np.where(m < 0.3, 0.0, np.where(m > 0.7, 1.0, t))
        return [A("input", x), A("target", q(t, d))]

    for d in DTYPES:
        s.case(f"shape=[3,4] {red_name(None)} defaults {d}", d, mk([3, 4], d), {}, ref)
    shapes = [[3, 4], [7], [2, 3, 4]]
    for wl in ("none", "same", "C"):
        for shape in shapes:
            if wl == "C" and len(shape) < 2:
                continue
            for red in REDUCTIONS:
                for d in DTYPES:
                    o = {"reduction": red}
                    if wl == "same":
                        o["weight"] = A("weight", s.unif(shape, d, 0.2, 2.0), rg=False)
                    elif wl == "C":
                        o["weight"] = A("weight", s.unif(shape[-1:], d, 0.2, 2.0), rg=False)
                    s.case(f"shape={fmt_shape(shape)} weight={wl} {red_name(red)} {d}", d,
                           mk(shape, d), o, ref)
    for shape in SWEEP_SHAPES:
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} sweep {d}", d, mk(shape, d),
                   {"reduction": red}, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            den = 1.401298464324817e-45 if d == "float32" else 5e-324
            near1 = 1 - 2.0 ** -24 if d == "float32" else 1 - 2.0 ** -53
            x = q([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1e-30, den, near1, 0.5, 1e-13, 1 - 1e-7], d)
            t = q([0.0, 1.0, 0.5, 1.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 0.0], d)
            for wl in ("none", "same"):
                o = {"reduction": red}
                if wl == "same":
                    o["weight"] = A("weight", s.unif([12], d, 0.2, 2.0), rg=False)
                s.case(f"extreme inputs 0/1/tiny weight={wl} {red_name(red)} {d}", d,
                       [A("input", x), A("target", t, rg=False)], o, ref, note=BCE_NOTE, perturb=False)
    return s


def gen_bce_logits():
    s = Suite("binary_cross_entropy_with_logits",
              cancel_reason="the target gradient -(x) (scaled by posWeight terms) and the input "
                            "gradient sigmoid(x) - t cancel; sums mix signs")

    def softplus_exact(z):
        # log(1 + e^z) without PyTorch's log(1 + s) rounding (1.13 returns 0 for z = -88 in
        # float64, the true value is 6.05e-39) and without F.softplus's threshold (z > 20 → z,
        # 1e-10 relative off). Each branch only sees arguments it is exact for, so autograd
        # through torch.where produces no 0·inf: gradient sigmoid(z), 0.5 at z = 0.
        zp, zn = torch.clamp(z, min=0), torch.clamp(z, max=0)
        return torch.where(z > 0, zp + torch.log1p(torch.exp(-zp)), torch.log1p(torch.exp(zn)))

    def ref(T, o):
        # l = w·[p·t·softplus(−x) + (1 − t)·softplus(x)], the same function as PyTorch's
        # w·[(1 − t)·x + (1 + (p − 1)·t)·softplus(−x)] without its cancellation (x = −88, t = 0:
        # −88 + softplus(88) rounds to 0, the value is 6.05e-39); F.binary_cross_entropy_with_logits
        # itself (checked equal to 1e-12 for moderate logits) loses confident predictions,
        # |x| ≳ 37, even in float64.
        x, t = T["input"], T["target"]
        p = o["posWeight"] if "posWeight" in o else torch.ones((), dtype=x.dtype)
        loss = p * t * softplus_exact(-x) + (1 - t) * softplus_exact(x)
        if "weight" in o:
            loss = loss * o["weight"]
        kw = {"reduction": o.get("reduction", "mean")}
        if "weight" in o:
            kw["weight"] = o["weight"]
        if "posWeight" in o:
            kw["pos_weight"] = o["posWeight"]
        with torch.no_grad():
            lib = F.binary_cross_entropy_with_logits(x, t, **kw)
            mine = reduce_(loss, kw["reduction"])
            moderate = bool((x.abs() < 30).all()) if x.numel() else True
            if moderate and x.dtype == torch.float64:
                assert torch.allclose(lib, mine, rtol=1e-12, atol=1e-300, equal_nan=True), (lib, mine)
        return reduce_(loss, kw["reduction"])

    def mk(shape, d, big=False):
        x = s.randn(shape, d, 3.0)
        n = x.size
        if big and n >= 4:
            flat = x.ravel()
            flat[:4] = [350.0, -420.0, 120.0, -95.0]
            s.rng.shuffle(flat)
        t = s.unif(shape, d, 0.0, 1.0)
        if n:
            m = s.rng.random(shape)
            t = q(np.where(m < 0.25, 0.0, np.where(m > 0.75, 1.0, t)), d)
        return [A("input", x), A("target", t)]

    for d in DTYPES:
        s.case(f"shape=[3,4] {red_name(None)} defaults {d}", d, mk([3, 4], d), {}, ref)
    i = 0
    for wl in ("none", "same", "C"):
        for pw in (False, True):
            for red in REDUCTIONS:
                for d in DTYPES:
                    shape = [[4, 3], [2, 5], [3, 2, 4]][i % 3]
                    i += 1
                    o = {"reduction": red}
                    if wl == "same":
                        o["weight"] = A("weight", s.unif(shape, d, 0.2, 2.0), rg=False)
                    elif wl == "C":
                        o["weight"] = A("weight", s.unif(shape[-1:], d, 0.2, 2.0), rg=False)
                    if pw:
                        o["posWeight"] = A("posWeight", s.unif(shape[-1:], d, 0.1, 4.0), rg=False)
                    s.case(f"shape={fmt_shape(shape)} weight={wl} posWeight={pw} {red_name(red)} {d}",
                           d, mk(shape, d, big=(i % 2 == 0)), o, ref)
    for shape in SWEEP_SHAPES:
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} sweep {d}", d, mk(shape, d),
                   {"reduction": red}, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([[500.0, -500.0, 300.0, -300.0], [88.0, -88.0, 1e4, -1e4],
                   [20.0, -20.0, 0.0, 1e-8]], d)
            t = q([[0.0, 1.0, 0.3, 0.7], [1.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.5, 1.0]], d)
            for pw in (False, True):
                o = {"reduction": red}
                if pw:
                    o["posWeight"] = A("posWeight", q([0.5, 3.0, 1.0, 10.0], d), rg=False)
                s.case(f"extreme logits posWeight={pw} {red_name(red)} {d}", d,
                       [A("input", x), A("target", t)], o, ref,
                       note="|x| up to 1e4: needs the stable form max(x,0) - x*t + log1p(exp(-|x|))", perturb=False)
    return s


KL_ZERO_NOTE = ("target contains exact zeros: the term is 0 there (xlogy); d/dtarget is not "
                "defined at 0 (PyTorch gives NaN), so only the input gradient is given")


def gen_kl_div():
    s = Suite("kl_div",
              cancel_reason="t*(log t - x) terms have both signs; the reduced sum cancels")

    def ref(T, o):
        return F.kl_div(T["input"], T["target"], reduction=o.get("reduction", "mean"),
                        log_target=o.get("logTarget", False))

    shapes = [[3, 5], [6], [2, 3, 4]]

    def logp(shape, d):
        ax = 0 if len(shape) == 1 else 1
        return q(np.log(softmax_np(1.5 * s.rng.standard_normal(shape), ax)), d)

    def probs(shape, d, zeros):
        ax = 0 if len(shape) == 1 else 1
        p = softmax_np(1.5 * s.rng.standard_normal(shape), ax)
        if zeros:
            m = s.rng.random(shape) < 0.25
            m.ravel()[0] = True
            p = np.where(m, 0.0, p)
        return q(p, d)

    for d in DTYPES:
        s.case(f"shape=[3,5] {red_name(None)} defaults {d}", d,
               [A("input", logp([3, 5], d)), A("target", probs([3, 5], d, False))], {}, ref,
               note="default reduction 'mean' averages over all elements (PyTorch warns)")
    for variant in ("prob-with-zeros", "prob-positive", "logTarget"):
        for shape in shapes:
            for red in REDUCTIONS + ("batchmean",):
                for d in DTYPES:
                    lt = variant == "logTarget"
                    o = {"reduction": red, "logTarget": lt}
                    if lt:
                        t = logp(shape, d)
                    else:
                        t = probs(shape, d, variant == "prob-with-zeros")
                    note = KL_ZERO_NOTE if variant == "prob-with-zeros" else None
                    if red == "batchmean" and len(shape) == 1:
                        note = ((note + "; ") if note else "") + \
                            "batchmean divides by input.size(0), which for 1-D input is C"
                    s.case(f"shape={fmt_shape(shape)} {variant} {red_name(red)} logTarget={lt} {d}",
                           d, [A("input", logp(shape, d)),
                               A("target", t, rg=variant != "prob-with-zeros")], o, ref, note=note)
    for red in REDUCTIONS + ("batchmean",):
        for d in DTYPES:
            s.case(f"shape=[0,4] empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 4])), A("target", np.zeros([0, 4]))],
                   {"reduction": red}, ref,
                   note="batchmean on an empty batch is 0/0 = NaN" if red == "batchmean" else None)
            lt = q([[-np.inf, math.log(0.25), math.log(0.75)], [math.log(0.5), math.log(0.5), -np.inf]], d)
            s.case(f"shape=[2,3] logTarget=-inf {red_name(red)} {d}", d,
                   [A("input", logp([2, 3], d)), A("target", lt, rg=False)],
                   {"reduction": red, "logTarget": True}, ref,
                   note="log-target -inf (probability 0): PyTorch computes exp(t)*(t - x) = "
                        "0*(-inf) = NaN, so the reduced value (or that element) is NaN although "
                        "the limit is 0; the input gradient there is -exp(t) = -0", perturb=False)
    return s


class SoftplusFn(torch.autograd.Function):
    """softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)); derivative sigmoid(z)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.clamp(z, min=0) + torch.log1p(torch.exp(-z.abs()))

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * torch.sigmoid(z)


def soft_margin_ref(T, o):
    # elementwise  log(1 + exp(-y*x)) = softplus(-y*x), evaluated stably (PyTorch's literal
    # log(1 + exp(-y*x)) overflows in float32 for -y*x > 88.7)
    return reduce_(SoftplusFn.apply(-T["target"] * T["input"]), o.get("reduction", "mean"))


def gen_soft_margin():
    s = Suite("soft_margin_loss")

    def mk(shape, d):
        x = s.randn(shape, d, 2.0)
        y = q(s.rng.choice([-1.0, 1.0], size=shape), d)
        return [A("input", x), A("target", y, rg=False)]

    for d in DTYPES:
        s.case(f"shape=[3,4] {red_name(None)} defaults {d}", d, mk([3, 4], d), {}, soft_margin_ref)
    for shape in SWEEP_SHAPES:
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} {d}", d, mk(shape, d),
                   {"reduction": red}, soft_margin_ref)
    note = ("-y*x up to 200: reference is softplus(-y*x) computed stably in float64; PyTorch's "
            "literal log(1+exp(-y*x)) gives inf (value) and NaN (gradient) in float32 beyond 88.7")
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([200.0, -200.0, 100.0, -100.0, 88.8, -88.8, 50.0, 0.0, 1e-8, 20.0], d)
            y = q([-1.0, 1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0], d)
            s.case(f"extreme -y*x up to 200 {red_name(red)} {d}", d,
                   [A("input", x), A("target", y, rg=False)], {"reduction": red}, soft_margin_ref,
                   note=note, perturb=False)
    return s


def gen_multilabel_soft_margin():
    s = Suite("multilabel_soft_margin_loss")

    def ref(T, o):
        kw = {"reduction": o.get("reduction", "mean")}
        if "weight" in o:
            kw["weight"] = o["weight"]
        return F.multilabel_soft_margin_loss(T["input"], T["target"], **kw)

    def mk(shape, d, soft=False):
        x = s.randn(shape, d, 2.0)
        t = s.rng.integers(0, 2, size=shape).astype(np.float64)
        if soft:
            t = np.where(s.rng.random(shape) < 0.5, s.rng.random(shape), t)
        return [A("input", x), A("target", q(t, d), rg=False)]

    for d in DTYPES:
        s.case(f"shape=[4,5] {red_name(None)} defaults {d}", d, mk([4, 5], d), {}, ref)
    for shape in ([4, 5], [1, 7], [6], [3, 13]):
        for use_w in (False, True):
            for red in REDUCTIONS:
                for d in DTYPES:
                    o = {"reduction": red}
                    if use_w:
                        o["weight"] = A("weight", weights(s, shape[-1], d), rg=False)
                    s.case(f"shape={fmt_shape(shape)} weight={use_w} {red_name(red)} {d}", d,
                           mk(shape, d, soft=use_w), o, ref,
                           note="1-D input: one sample, 'none' gives a 0-d result"
                           if len(shape) == 1 else None)
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([[300.0, -300.0, 40.0, -40.0], [0.0, 1e4, -1e4, 5.0]], d)
            t = q([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.5]], d)
            s.case(f"extreme logits {red_name(red)} {d}", d,
                   [A("input", x), A("target", t, rg=False)], {"reduction": red}, ref,
                   note="|x| up to 1e4: logsigmoid must be stable", perturb=False)
            s.case(f"shape=[0,4] empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 4])), A("target", np.zeros([0, 4]), rg=False)],
                   {"reduction": red}, ref)
    return s


def gen_multi_margin():
    s = Suite("multi_margin_loss")

    def ref(T, o):
        kw = {"reduction": o.get("reduction", "mean"), "p": o.get("p", 1),
              "margin": o.get("margin", 1.0)}
        if "weight" in o:
            kw["weight"] = o["weight"]
        return F.multi_margin_loss(T["input"], T["target"], **kw)

    shapes = [([4, 5], [4]), ([3, 7], [3]), ([5], [])]
    for d in DTYPES:
        s.case(f"shape=[4,5] {red_name(None)} defaults {d}", d,
               [A("input", s.randn([4, 5], d)), A("target", idx_targets(s, [4], 5))], {}, ref)
    i = 0
    for p in (1, 2):
        for margin in (1.0, 0.5):
            for use_w in (False, True):
                for red in REDUCTIONS:
                    for d in DTYPES:
                        shape, tshape = shapes[i % 3]
                        i += 1
                        C = shape[-1]
                        o = {"reduction": red, "p": p, "margin": margin}
                        if use_w:
                            o["weight"] = A("weight", weights(s, C, d), rg=False)
                        s.case(f"shape={fmt_shape(shape)} p={p} margin={margin} weight={use_w} "
                               f"{red_name(red)} {d}", d,
                               [A("input", s.randn(shape, d)), A("target", idx_targets(s, tshape, C))],
                               o, ref, note="1-D input with 0-d target: one sample"
                               if len(shape) == 1 else None)
    for shape in ([1, 1], [7, 13], [3, 37]):
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} sweep {d}", d,
                   [A("input", s.randn(shape, d)),
                    A("target", idx_targets(s, shape[:1], shape[1]))], {"reduction": red}, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            # margin - x_y + x_i exactly 0 (PyTorch: no gradient, strict '> 0'), and 1e4 logits
            x = q([[1.0, 0.0, 0.5, -1.0], [2.0, 1.0, 1.5, 2.0], [1e4, -1e4, 0.0, 3.0]], d)
            y = np.array([0, 1, 2], np.int64)
            for p in (1, 2):
                s.case(f"thresholds p={p} margin=1 {red_name(red)} {d}", d,
                       [A("input", x), A("target", y)], {"reduction": red, "p": p, "margin": 1.0},
                       ref, note="some margin - x_y + x_i are exactly 0: the hinge is inactive "
                                 "there (no gradient, PyTorch tests '> 0')", perturb=False)
    return s


def gen_multilabel_margin():
    s = Suite("multilabel_margin_loss")

    def ref(T, o):
        return F.multilabel_margin_loss(T["input"], T["target"], reduction=o.get("reduction", "mean"))

    note = ("targets are read up to the first -1 (later entries ignored); a duplicated target "
            "class counts twice; an empty target set (leading -1) gives 0")
    T2 = np.array([[3, 0, -1, 1, 2],       # {3, 0}; 1, 2 after -1 ignored
                   [1, 1, 4, -1, 0],       # duplicate 1
                   [-1, 2, 3, 0, 1],       # empty set
                   [0, 1, 2, 3, 4],        # every class a target: loss 0
                   [4, -1, -1, -1, -1]], np.int64)
    T1 = np.array([2, 0, 2, -1, 1, 3], np.int64)
    for d in DTYPES:
        s.case(f"shape=[5,5] {red_name(None)} defaults {d}", d,
               [A("input", s.randn([5, 5], d)), A("target", T2)], {}, ref, note=note)
    for red in REDUCTIONS:
        for d in DTYPES:
            s.case(f"shape=[5,5] {red_name(red)} {d}", d,
                   [A("input", s.randn([5, 5], d)), A("target", T2)], {"reduction": red}, ref,
                   note=note)
            s.case(f"shape=[6] 1-D {red_name(red)} {d}", d,
                   [A("input", s.randn([6], d)), A("target", T1)], {"reduction": red}, ref,
                   note=note + "; 1-D input: one sample, 'none' gives a 0-d result")
            n, C = 7, 13
            t = np.full([n, C], -1, np.int64)
            for r in range(n):
                k = int(s.rng.integers(0, 5))
                t[r, :k] = s.rng.choice(C, size=k, replace=False)
            s.case(f"shape=[7,13] random {red_name(red)} {d}", d,
                   [A("input", s.randn([n, C], d)), A("target", t)], {"reduction": red}, ref)
            # exact hinge boundaries: 1 - (x_y - x_i) == 0
            x = q([[1.0, 0.0, 2.0, 0.5], [0.0, -1.0, 3.0, 1.0]], d)
            t = np.array([[0, -1, 0, 0], [1, 3, -1, 2]], np.int64)
            s.case(f"thresholds {red_name(red)} {d}", d, [A("input", x), A("target", t)],
                   {"reduction": red}, ref,
                   note="some 1 - (x_y - x_i) are exactly 0: no gradient there (PyTorch tests '> 0')", perturb=False)
    return s


# ---- Keras hinge family (no PyTorch function): reference built from torch ops.

def keras_labels(t):
    # Keras _maybe_convert_labels: {0,1} -> {-1,1} only when EVERY target is 0 or 1
    if t.numel() and bool(((t == 0) | (t == 1)).all()):
        return 2.0 * t - 1.0
    return t


def hinge_ref(T, o):
    # elementwise  max(1 - t*x, 0)   (clamp(min=0): the gradient -t flows where 1 - t*x >= 0)
    e = torch.clamp(1.0 - keras_labels(T["target"]) * T["input"], min=0.0)
    return reduce_(e, o.get("reduction", "mean"))


def squared_hinge_ref(T, o):
    # elementwise  max(1 - t*x, 0)^2
    e = torch.clamp(1.0 - keras_labels(T["target"]) * T["input"], min=0.0) ** 2
    return reduce_(e, o.get("reduction", "mean"))


def categorical_hinge_ref(T, o):
    # per sample over the last dim:  max(max_j (1 - t_j)*x_j - sum_j t_j*x_j + 1, 0)
    # (max_j via torch.amax: ties share the gradient equally, like TF's reduce_max)
    x, t = T["input"], T["target"]
    pos = (t * x).sum(-1)
    neg = ((1.0 - t) * x).amax(-1)
    return reduce_(torch.clamp(neg - pos + 1.0, min=0.0), o.get("reduction", "mean"))


def gen_hinge(stem, ref):
    s = Suite(stem)
    conv_note = "all targets are 0/1, so they are converted to -1/+1 first"
    mixed_note = "targets include values other than 0/1 (e.g. -1 with 0): no conversion"

    def mk(shape, d, kind):
        x = s.randn(shape, d, 1.5)
        if kind == "pm1":
            t = s.rng.choice([-1.0, 1.0], size=shape)
        elif kind == "01":
            t = s.rng.choice([0.0, 1.0], size=shape)
        else:
            t = s.rng.choice([-1.0, 0.0, 1.0, 0.5], size=shape)
            if t.size:
                t.ravel()[0] = -1.0
        return [A("input", x), A("target", q(t, d), rg=False)]

    for d in DTYPES:
        s.case(f"shape=[4,3] targets=+-1 {red_name(None)} defaults {d}", d, mk([4, 3], d, "pm1"), {}, ref)
    for kind in ("pm1", "01", "mixed"):
        for shape in ([4, 3], [7], [2, 3, 2]):
            for red in REDUCTIONS:
                for d in DTYPES:
                    s.case(f"shape={fmt_shape(shape)} targets={kind} {red_name(red)} {d}", d,
                           mk(shape, d, kind), {"reduction": red}, ref,
                           note={"01": conv_note, "mixed": mixed_note}.get(kind))
    for shape in ([1], [13], [37], [0], [0, 3], [5, 26]):
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} targets=pm1 {red_name(red)} sweep {d}", d,
                   mk(shape, d, "pm1"), {"reduction": red}, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([1.0, -1.0, 0.5, 2.0, -1e4, 1e4, 0.0, 1.0 + 2 ** -20], d)
            t = q([1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0], d)
            s.case(f"thresholds t*x=1 {red_name(red)} {d}", d,
                   [A("input", x), A("target", t, rg=False)], {"reduction": red}, ref,
                   note="t*x exactly 1: clamp(min=0) passes the gradient -t at the kink", perturb=False)
    return s


def gen_categorical_hinge():
    s = Suite("categorical_hinge")
    ref = categorical_hinge_ref

    def mk(shape, d):
        x = s.randn(shape, d, 1.5)
        C = shape[-1]
        y = s.rng.integers(0, C, size=shape[:-1])
        t = np.zeros(shape)
        np.put_along_axis(t, y[..., None], 1.0, axis=-1)
        return [A("input", x), A("target", q(t, d), rg=False)]

    for d in DTYPES:
        s.case(f"shape=[4,5] {red_name(None)} defaults {d}", d, mk([4, 5], d), {}, ref)
    for shape in ([4, 5], [7, 3], [6], [1, 13], [2, 3, 4]):
        for red in REDUCTIONS:
            for d in DTYPES:
                note = "1-D input: one sample, 'none' gives a 0-d result" if len(shape) == 1 else \
                    ("3-D input: the loss is over the last dim, 'none' gives shape [2,3], 'mean' "
                     "averages over those 6" if len(shape) == 3 else None)
                s.case(f"shape={fmt_shape(shape)} {red_name(red)} {d}", d, mk(shape, d),
                       {"reduction": red}, ref, note=note)
    for shape in ([0, 4], [37, 7]):
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} sweep {d}", d, mk(shape, d),
                   {"reduction": red}, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([[2.0, 1.0, 0.5, -1.0],     # margin exactly 0: neg - pos + 1 = 0 (kink)
                   [-1.0, -2.0, -3.0, -0.5],  # all non-target logits < 0: the max is the 0 of the target
                   [1.0, 3.0, 3.0, 0.0],      # tie for the max: gradient split equally
                   [1e4, -1e4, 5.0, 0.0]], d)
            t = q([[1, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], d)
            s.case(f"edge cases {red_name(red)} {d}", d, [A("input", x), A("target", t, rg=False)],
                   {"reduction": red}, ref,
                   note="row 0: neg - pos + 1 == 0 (clamp passes the gradient); row 1: every "
                        "(1-t)*x is negative so max is the target's 0 (no gradient to x); row 2: "
                        "tie for the max, amax splits the gradient 1/2 each (as TF's reduce_max)", perturb=False)
    return s


def zero_one_ref(T, o):
    # sklearn.metrics.zero_one_loss(target, pred, normalize=...): pred = argmax over dim 1
    # (numpy argmax: first maximum wins) for (N, C) scores, or the given labels for (N,) int64.
    from sklearn.metrics import zero_one_loss
    x = T["input"].detach().numpy()
    y = T["target"].numpy()
    pred = np.argmax(x, axis=1) if x.ndim == 2 else x.astype(np.int64)
    red = o.get("reduction", "mean")
    dt = T["input"].dtype if T["input"].is_floating_point() else torch.float64
    if red == "none":
        return torch.tensor((pred != y).astype(np.float64), dtype=dt)
    if y.size == 0:
        return torch.tensor(math.nan if red == "mean" else 0.0, dtype=dt)
    v = zero_one_loss(y, pred, normalize=(red == "mean"))
    return torch.tensor(float(v), dtype=dt)


def gen_zero_one():
    s = Suite("zero_one_loss")
    for d in DTYPES:
        x = s.randn([6, 4], d)
        s.case(f"scores shape=[6,4] {red_name(None)} defaults {d}", d,
               [A("input", x, rg=False), A("target", idx_targets(s, [6], 4))], {}, zero_one_ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            for n, C in ((1, 3), (7, 5), (13, 3), (37, 5)):
                x = s.randn([n, C], d)
                y = idx_targets(s, [n], C)
                # make roughly half the predictions right
                right = s.rng.random(n) < 0.5
                y = np.where(right, np.argmax(x, 1), y).astype(np.int64)
                s.case(f"scores shape=[{n},{C}] {red_name(red)} {d}", d,
                       [A("input", x, rg=False), A("target", y)], {"reduction": red}, zero_one_ref)
            x = q([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, -1.0, 0.0, -1.0],
                   [5.0, 1.0, 5.0, 5.0], [-1.0, -1.0, 0.0, 0.0]], d)
            y = np.array([2, 0, 0, 3, 3], np.int64)
            s.case(f"scores ties {red_name(red)} {d}", d,
                   [A("input", x, rg=False), A("target", y)], {"reduction": red}, zero_one_ref,
                   note="ties: the first maximum wins (predictions 1, 0, 0, 0, 2)")
            p = np.array([0, 2, 1, 1, 4, 3, 2], np.int64)
            y = np.array([0, 2, 2, 1, 3, 3, 0], np.int64)
            o = {"reduction": red}
            if d == "float64":
                o["dtype"] = "float64"
            s.case(f"labels shape=[7] {red_name(red)} {d}", d,
                   [A("input", p), A("target", y)], o, zero_one_ref,
                   note="input given as predicted labels (int64): the output is float32 unless "
                        "option dtype says otherwise")
            s.case(f"scores shape=[0,3] empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 3]), rg=False), A("target", np.zeros([0], np.int64))],
                   {"reduction": red}, zero_one_ref,
                   note="empty batch: by PyTorch convention 'mean' is NaN, 'sum' 0 "
                        "(sklearn itself does not accept it)")
    return s


def gen_sigmoid_focal():
    from torchvision.ops import sigmoid_focal_loss
    s = Suite("sigmoid_focal_loss",
              cancel_reason="alpha_t*(1-p_t)^gamma*ce gradients cancel between their terms")

    def ref(T, o):
        return sigmoid_focal_loss(T["input"], T["target"], alpha=o.get("alpha", 0.25),
                                  gamma=o.get("gamma", 2.0), reduction=o.get("reduction", "none"))

    def mk(shape, d, soft=False):
        x = s.randn(shape, d, 2.5)
        t = s.rng.integers(0, 2, size=shape).astype(np.float64)
        if soft:
            t = np.where(s.rng.random(shape) < 0.4, s.rng.random(shape), t)
        return [A("input", x), A("target", q(t, d))]

    for d in DTYPES:
        s.case(f"shape=[4,3] reduction=(default: none) defaults {d}", d, mk([4, 3], d), {}, ref,
               note="torchvision's default reduction is 'none'")
        s.case(f"shape=[7] reduction=(default: none) alpha=0.75 gamma=1.5 {d}", d, mk([7], d),
               {"alpha": 0.75, "gamma": 1.5}, ref, note="torchvision's default reduction is 'none'")
    i = 0
    for alpha in (0.25, -1.0, 0.75):
        for gamma in (2.0, 0.0, 1.5):
            for red in REDUCTIONS:
                for d in DTYPES:
                    shape = [[4, 3], [7], [2, 3, 2]][i % 3]
                    i += 1
                    s.case(f"shape={fmt_shape(shape)} alpha={alpha} gamma={gamma} {red_name(red)} {d}",
                           d, mk(shape, d, soft=(i % 4 == 0)),
                           {"reduction": red, "alpha": alpha, "gamma": gamma}, ref,
                           note="alpha < 0 disables the alpha weighting" if alpha < 0 else None)
    for shape in ([1], [13], [37], [0], [0, 3], [5, 26]):
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {red_name(red)} sweep {d}", d, mk(shape, d),
                   {"reduction": red}, ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([12.0, -12.0, 12.0, -12.0, 0.0, 30.0, -30.0], d)
            t = q([1.0, 0.0, 0.0, 1.0, 0.5, 1.0, 0.0], d)
            s.case(f"large logits gamma=2 {red_name(red)} {d}", d,
                   [A("input", x), A("target", t)], {"reduction": red, "gamma": 2.0}, ref,
                   note="confident right and wrong predictions; at |x| = 30 torchvision's "
                        "1 - p_t (computed as 1 - sigmoid) has lost its digits", perturb=False)
    return s


def softmax_focal_ref(T, o):
    # per position n (and d1, ...):  -w_y * (1 - p_y)^gamma * log p_y,  p = softmax over dim 1,
    # 0 where target == ignoreIndex; 'mean' = sum / sum of w_y over non-ignored positions.
    # 1 - p_y is evaluated as -expm1(log p_y) for accuracy.
    x, y = T["input"], T["target"]
    gamma = o.get("gamma", 2.0)
    ii = o.get("ignoreIndex", -100)
    logp = stable_log_softmax(x, 1 if x.dim() > 1 else 0)
    keep = y != ii
    ys = torch.where(keep, y, torch.zeros_like(y))
    if x.dim() == 1:
        logp_y = logp[ys]
    else:
        logp_y = logp.gather(1, ys.unsqueeze(1)).squeeze(1)
    one_minus = -torch.expm1(logp_y)
    w = o["weight"][ys] if "weight" in o else torch.ones_like(logp_y)
    w = torch.where(keep, w, torch.zeros_like(w))
    # (1 - p_y)^gamma with its true derivative at p_y = 1 (logits so confident that log p_y
    # rounds to 0): the limit is 0, where autograd's gamma·u^(gamma-1)·0 is inf·0 = NaN for
    # gamma < 1. The clamp keeps the unselected branch finite.
    tiny = torch.finfo(one_minus.dtype).tiny
    focus = torch.where(one_minus > 0, torch.clamp(one_minus, min=tiny) ** gamma,
                        torch.zeros_like(one_minus) if gamma > 0 else torch.ones_like(one_minus))
    loss = -w * focus * logp_y
    red = o.get("reduction", "mean")
    if red == "mean":
        den = w.sum()
        if den == 0:
            # Every target ignored: the value is 0/0 = NaN as cross entropy's, and the gradient
            # 0 as cross entropy's (autograd of sum/den would give 0·(1/0) = NaN).
            return loss.sum() + torch.tensor(math.nan, dtype=loss.dtype)
        return loss.sum() / den
    return reduce_(loss, red)


def gen_softmax_focal():
    s = Suite("softmax_focal_loss",
              cancel_reason="confident predictions: log p_y is a small difference of large logits")
    ref = softmax_focal_ref
    shapes = [("NC", [4, 5], [4]), ("NCd", [2, 4, 3], [2, 3]), ("NCdd", [2, 3, 2, 2], [2, 2, 2])]

    def check_gamma0(T, o):
        # gamma = 0 must equal cross entropy
        kw = {"reduction": o.get("reduction", "mean"), "ignore_index": o.get("ignoreIndex", -100)}
        if "weight" in o:
            kw["weight"] = o["weight"]
        a = softmax_focal_ref(T, o).detach()
        b = F.cross_entropy(T["input"].detach(), T["target"], **kw)
        if a.dtype == torch.float64:
            assert torch.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True), (a, b)
        return softmax_focal_ref(T, o)

    for d in DTYPES:
        s.case(f"NC shape=[4,5] gamma=2 {red_name(None)} {d}", d,
               [A("input", s.randn([4, 5], d, 2.0)), A("target", idx_targets(s, [4], 5))],
               {"gamma": 2.0}, ref)
    i = 0
    for gamma in (2.0, 0.0, 0.5):
        for use_w in (False, True):
            for ii in (None, 1):
                for red in REDUCTIONS:
                    for d in DTYPES:
                        lab, shape, tshape = shapes[i % 3]
                        i += 1
                        C = shape[1]
                        o = {"reduction": red, "gamma": gamma}
                        if use_w:
                            o["weight"] = A("weight", weights(s, C, d), rg=False)
                        if ii is not None:
                            o["ignoreIndex"] = ii
                        t = idx_targets(s, tshape, C, ii if ii is not None else -100)
                        s.case(f"{lab} shape={fmt_shape(shape)} gamma={gamma} weight={use_w} "
                               f"ignoreIndex={ii if ii is not None else '(default)'} {red_name(red)} {d}",
                               d, [A("input", s.randn(shape, d, 2.0)), A("target", t)], o,
                               check_gamma0 if gamma == 0.0 else ref,
                               note="gamma = 0: equals crossEntropy" if gamma == 0.0 else None)
    for red in REDUCTIONS:
        for d in DTYPES:
            o = {"reduction": red, "gamma": 2.0}
            s.case(f"NC shape=[3,5] all-ignored {red_name(red)} {d}", d,
                   [A("input", s.randn([3, 5], d)), A("target", np.full([3], -100, np.int64))], o, ref,
                   note="every target ignored: 'mean' is 0/0 = NaN")
            s.case(f"NC shape=[0,5] empty {red_name(red)} {d}", d,
                   [A("input", np.zeros([0, 5])), A("target", np.zeros([0], np.int64))], o, ref)
            x = q([[100.0, -100.0, 0.0, 50.0], [1e4, -1e4, 0.0, 9990.0], [-50.0, 50.0, 0.0, 49.0]], d)
            for gamma in (2.0, 0.5):
                s.case(f"NC extreme logits gamma={gamma} {red_name(red)} {d}", d,
                       [A("input", x), A("target", np.array([0, 3, 2], np.int64))],
                       {"reduction": red, "gamma": gamma}, ref,
                       note="logits +-100, 1e4: stable log-softmax; 1 - p_y must be computed as "
                            "-expm1(log p_y) to keep (1 - p_y)^gamma accurate", perturb=False)
    for shape in ([7, 13], [2, 130]):
        for red, d in sweep_combos(shape):
            s.case(f"NC shape={fmt_shape(shape)} gamma=2 {red_name(red)} sweep {d}", d,
                   [A("input", s.randn(shape, d, 2.0)), A("target", idx_targets(s, shape[:1], shape[1]))],
                   {"reduction": red, "gamma": 2.0}, ref)
    return s


def poly_ref(T, o):
    # per sample:  CE(x, y) + epsilon * (1 - p_y),  CE = -log softmax(x)_y,  1 - p_y = -expm1(-CE)
    x, y = T["input"], T["target"]
    ce = -stable_log_softmax(x, 1).gather(1, y.unsqueeze(1)).squeeze(1)
    loss = ce + o.get("epsilon", 1.0) * (-torch.expm1(-ce))
    return reduce_(loss, o.get("reduction", "mean"))


def gen_poly():
    s = Suite("poly_loss", cancel_reason="confident predictions: CE and 1 - p_y are tiny "
                                         "differences of large logits")
    shapes = [[4, 5], [7, 3], [1, 6]]
    i = 0
    for eps in (1.0, 2.0, -1.0):
        for red in REDUCTIONS:
            for d in DTYPES:
                shape = shapes[i % 3]
                i += 1
                s.case(f"shape={fmt_shape(shape)} epsilon={eps} {red_name(red)} {d}", d,
                       [A("input", s.randn(shape, d, 2.0)), A("target", idx_targets(s, shape[:1], shape[1]))],
                       {"reduction": red, "epsilon": eps}, poly_ref)
    for d in DTYPES:
        s.case(f"shape=[4,5] epsilon=1 {red_name(None)} {d}", d,
               [A("input", s.randn([4, 5], d, 2.0)), A("target", idx_targets(s, [4], 5))],
               {"epsilon": 1.0}, poly_ref)
    for shape in ([13, 7], [3, 37], [0, 4]):
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} epsilon=1 {red_name(red)} sweep {d}", d,
                   [A("input", s.randn(shape, d, 2.0)), A("target", idx_targets(s, shape[:1], shape[1]))],
                   {"reduction": red, "epsilon": 1.0}, poly_ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            x = q([[100.0, -100.0, 0.0], [30.0, 0.0, -30.0], [1e4, 0.0, 9999.0], [0.0, 0.0, 0.0]], d)
            s.case(f"extreme logits epsilon=2 {red_name(red)} {d}", d,
                   [A("input", x), A("target", np.array([0, 0, 2, 1], np.int64))],
                   {"reduction": red, "epsilon": 2.0}, poly_ref,
                   note="confident logits: 1 - p_y must be computed as -expm1(log p_y)", perturb=False)
    return s


def distill_ref(T, o):
    # elementwise (N, C):  T^2 * p_t * (log p_t - log p_s),
    #   p_t = softmax(teacher / T), log p_s = log_softmax(student / T)   (over dim 1)
    # 'batchmean' (default) = sum / N, 'sum', 'mean' = sum / numel, 'none' elementwise.
    temp = o.get("temperature", 1.0)
    lpt = F.log_softmax(T["teacher"] / temp, dim=1)
    lps = F.log_softmax(T["student"] / temp, dim=1)
    e = torch.exp(lpt) * (lpt - lps) * temp * temp
    red = o.get("reduction", "batchmean")
    if red == "batchmean":
        return e.sum() / e.shape[0]
    return reduce_(e, red)


def gen_distillation():
    s = Suite("distillation_loss",
              cancel_reason="KL terms p_t*(log p_t - log p_s) have both signs and cancel when the "
                            "student is close to the teacher")
    shapes = [[4, 5], [3, 7], [1, 3]]
    for d in DTYPES:
        s.case(f"shape=[4,5] temperature=2 reduction=(default: batchmean) {d}", d,
               [A("student", s.randn([4, 5], d, 2.0)), A("teacher", s.randn([4, 5], d, 2.0))],
               {"temperature": 2.0}, distill_ref)
    i = 0
    for temp in (1.0, 2.0, 4.0):
        for red in ("batchmean", "sum", "mean", "none"):
            for d in DTYPES:
                shape = shapes[i % 3]
                i += 1
                s.case(f"shape={fmt_shape(shape)} temperature={temp} {red_name(red)} {d}", d,
                       [A("student", s.randn(shape, d, 2.0)), A("teacher", s.randn(shape, d, 2.0))],
                       {"temperature": temp, "reduction": red}, distill_ref)
    for shape in ([13, 7], [2, 130]):
        for red, d in (("batchmean", "float32"), ("none", "float64")):
            s.case(f"shape={fmt_shape(shape)} temperature=2 {red_name(red)} sweep {d}", d,
                   [A("student", s.randn(shape, d, 2.0)), A("teacher", s.randn(shape, d, 2.0))],
                   {"temperature": 2.0, "reduction": red}, distill_ref)
    for red in ("batchmean", "sum", "mean", "none"):
        for d in DTYPES:
            st = q([[100.0, -100.0, 0.0], [1.0, 2.0, 3.0], [-1e4, 0.0, 1e4]], d)
            te = q([[-3000.0, 0.0, 3000.0], [1.0, 2.0, 3.0], [0.0, -1e4, 1e4]], d)
            s.case(f"extreme logits temperature=4 {red_name(red)} {d}", d,
                   [A("student", st), A("teacher", te)], {"temperature": 4.0, "reduction": red},
                   distill_ref, note="teacher probabilities that underflow to exactly 0 contribute 0; "
                                     "identical rows give exactly 0", perturb=False)
    return s


# ---- margin-based face-recognition losses (cosine logits c in (-1, 1), index targets)

def margin_clamp(o):
    b = float(q(1.0 - 1e-7, o.get("_dtype", "float64")))
    return -b, b


def margin_logits_ce(c, y, target_logit, scale, o):
    onehot = F.one_hot(y, c.shape[1]).to(torch.bool)
    logits = torch.where(onehot, target_logit.unsqueeze(1).expand_as(c), c)
    return F.nll_loss(stable_log_softmax(scale * logits, 1), y, reduction=o.get("reduction", "mean"))


def arcface_ref(T, o):
    # target logit cos(acos(clamp(c_y, -1+1e-7, 1-1e-7)) + m); logits = scale * c with it
    # substituted; then cross entropy ('mean' over the batch). Defaults scale 64, margin 0.5.
    c, y = T["input"], T["target"]
    lo, hi = margin_clamp(o)
    cy = c.gather(1, y.unsqueeze(1)).squeeze(1)
    tl = torch.cos(torch.acos(torch.clamp(cy, lo, hi)) + o.get("margin", 0.5))
    return margin_logits_ce(c, y, tl, o.get("scale", 64.0), o)


def cosface_ref(T, o):
    # target logit c_y - m; logits = scale * ...; cross entropy. Defaults scale 64, margin 0.35.
    c, y = T["input"], T["target"]
    cy = c.gather(1, y.unsqueeze(1)).squeeze(1)
    return margin_logits_ce(c, y, cy - o.get("margin", 0.35), o.get("scale", 64.0), o)


def sphereface_ref(T, o):
    # theta = acos(clamp(c_y, -1+1e-7, 1-1e-7)), k = floor(m*theta/pi),
    # target logit psi = (-1)^k cos(m*theta) - 2k (k: no gradient); logits = scale * ...;
    # cross entropy. Defaults margin m = 4 (integer), scale 1.
    c, y = T["input"], T["target"]
    m = o.get("margin", 4)
    lo, hi = margin_clamp(o)
    cy = c.gather(1, y.unsqueeze(1)).squeeze(1)
    theta = torch.acos(torch.clamp(cy, lo, hi))
    k = torch.floor(m * theta / math.pi).detach()
    sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
    psi = sign * torch.cos(m * theta) - 2.0 * k
    return margin_logits_ce(c, y, psi, o.get("scale", 1.0), o)


def gen_margin_face(stem, ref, param_sets, default_label):
    s = Suite(stem, cancel_reason="acos near +-1 and confident (scaled) logits: the gradient "
                                  "through acos (1/sqrt(1-c^2)) and the CE of large logits are "
                                  "ill-conditioned")

    def cos_logits(shape, d, edge=False):
        c = s.unif(shape, d, -0.95, 0.95)
        return c

    def targets(n, C):
        return idx_targets(s, [n], C)

    for d in DTYPES:
        s.case(f"shape=[4,5] defaults ({default_label}) {red_name(None)} {d}", d,
               [A("input", cos_logits([4, 5], d)), A("target", targets(4, 5))], {}, ref)
    i = 0
    for label, params in param_sets:
        for red in REDUCTIONS:
            for d in DTYPES:
                shape = [[4, 5], [7, 3], [1, 6]][i % 3]
                i += 1
                o = dict(params, reduction=red)
                s.case(f"shape={fmt_shape(shape)} {label} {red_name(red)} {d}", d,
                       [A("input", cos_logits(shape, d)), A("target", targets(shape[0], shape[1]))],
                       o, ref)
    for shape in ([13, 7], [0, 4]):
        for red, d in sweep_combos(shape):
            s.case(f"shape={fmt_shape(shape)} {param_sets[0][0]} {red_name(red)} sweep {d}", d,
                   [A("input", cos_logits(shape, d)), A("target", targets(shape[0], shape[1]))],
                   dict(param_sets[0][1], reduction=red), ref)
    for red in REDUCTIONS:
        for d in DTYPES:
            b = float(q(1.0 - 1e-7, d))
            above = float(np.nextafter(np.float32(b), np.float32(1))) if d == "float32" else 1 - 1e-8
            edges = [
                ("clamped", [[above, 0.1, -0.2], [-above, 0.3, 0.0], [0.2, above, 0.5]], [0, 0, 1],
                 "target cosines beyond +-(1 - 1e-7) (the bound rounded to the case dtype) are "
                 "clamped: no gradient to them; a non-target cosine is never clamped"),
                ("at-bound", [[b, -0.5, 0.5], [-b, 0.9, -0.9]], [0, 0],
                 "target cosine exactly at the clamp bound: the gradient passes (clamp semantics), "
                 "d acos/dc = -1/sqrt(1 - c^2) is ~1e3-1e4 here; compute 1 - c^2 as (1-c)(1+c)"),
                ("misc", [[0.0, 0.7071067811865476, 0.2], [0.5, -0.3, 0.999], [-0.7, 0.0, 0.0]],
                 [1, 2, 0], "cos(pi/4) (k boundary of SphereFace with m = 4), 0.999, 0 and a "
                            "negative target cosine"),
            ]
            for elabel, rows, ys, note in edges:
                c = q(rows, d)
                y = np.array(ys, np.int64)
                for label, params in param_sets:
                    s.case(f"edge {elabel} {label} {red_name(red)} {d}", d,
                           [A("input", c), A("target", y)], dict(params, reduction=red), ref,
                           note=note, perturb=False)
    return s


# =========================================================================== driver

GENERATORS = {}


def register(stem, fn):
    GENERATORS[stem] = fn


register("l1_loss", lambda: gen_l1_mse("l1_loss"))
register("mse_loss", lambda: gen_l1_mse("mse_loss"))
register("smooth_l1_loss", gen_smooth_l1)
register("huber_loss", gen_huber)
register("poisson_nll_loss", gen_poisson)
register("gaussian_nll_loss", gen_gaussian)
register("mean_absolute_percentage_error", gen_mape)
register("mean_squared_logarithmic_error", gen_msle)
register("log_cosh", gen_logcosh)
REGRESSION = list(GENERATORS)
register("cross_entropy", gen_cross_entropy)
register("nll_loss", gen_nll)
register("binary_cross_entropy", gen_bce)
register("binary_cross_entropy_with_logits", gen_bce_logits)
register("kl_div", gen_kl_div)
register("soft_margin_loss", gen_soft_margin)
register("multilabel_soft_margin_loss", gen_multilabel_soft_margin)
register("multi_margin_loss", gen_multi_margin)
register("multilabel_margin_loss", gen_multilabel_margin)
register("hinge", lambda: gen_hinge("hinge", hinge_ref))
register("squared_hinge", lambda: gen_hinge("squared_hinge", squared_hinge_ref))
register("categorical_hinge", gen_categorical_hinge)
register("zero_one_loss", gen_zero_one)
register("sigmoid_focal_loss", gen_sigmoid_focal)
register("softmax_focal_loss", gen_softmax_focal)
register("poly_loss", gen_poly)
register("distillation_loss", gen_distillation)
register("arc_face_loss", lambda: gen_margin_face(
    "arc_face_loss", arcface_ref,
    [("scale=64 margin=0.5", {"scale": 64.0, "margin": 0.5}),
     ("scale=30 margin=0.3", {"scale": 30.0, "margin": 0.3})], "scale=64 margin=0.5"))
register("cos_face_loss", lambda: gen_margin_face(
    "cos_face_loss", cosface_ref,
    [("scale=64 margin=0.35", {"scale": 64.0, "margin": 0.35}),
     ("scale=30 margin=0.2", {"scale": 30.0, "margin": 0.2})], "scale=64 margin=0.35"))
register("sphere_face_loss", lambda: gen_margin_face(
    "sphere_face_loss", sphereface_ref,
    [("margin=4 scale=1", {"margin": 4, "scale": 1.0}),
     ("margin=2 scale=1", {"margin": 2, "scale": 1.0}),
     ("margin=4 scale=16", {"margin": 4, "scale": 16.0})], "margin=4 scale=1"))
CLASSIFICATION = [k for k in GENERATORS if k not in REGRESSION]


def main(argv):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    stems = argv or list(GENERATORS)
    unknown = [x for x in stems if x not in GENERATORS]
    if unknown:
        sys.exit(f"unknown stem(s): {unknown}; known: {list(GENERATORS)}")
    os.makedirs(OUT_DIR, exist_ok=True)
    if "log_cosh" in stems:
        try:
            w = check_logcosh()
            print(f"log_cosh reference self-check vs mpmath: worst relative error {w:.2e}")
        except ImportError:
            print("mpmath not available: log_cosh self-check skipped")
    total = 0
    for stem in stems:
        suite = GENERATORS[stem]()
        path, n, size = suite.write()
        total += size
        print(f"{os.path.relpath(path, ROOT)}: {n} cases, {size / 1024:.0f} KiB")
    print(f"total {total / 1024:.0f} KiB")
    sel = set(stems)
    bumps = [b for b in TOL_BUMPS if b[0] in sel]
    if bumps:
        print(f"\n{len(bumps)} case(s) with raised atol:")
        for st, name, atol in bumps:
            print(f"  {st}: {name}: atol={atol:g}")
    if DISAGREEMENTS:
        print(f"\n{len(DISAGREEMENTS)} float32-PyTorch vs reference non-finite disagreements "
              "(informational):")
        for st, name, text in DISAGREEMENTS:
            print(f"  {st}: {name}: {text}")


if __name__ == "__main__":
    main(sys.argv[1:])
