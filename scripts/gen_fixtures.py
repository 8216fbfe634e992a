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
  Each case is also recomputed by a float32 "simulation" (the same PyTorch
  code run in float32); where even that honest float32 computation cannot meet
  the relative tolerance because the result is a small difference of large
  quantities, atol is raised (10x the observed float32 error, rounded up to a
  power of ten; for float64 cases the float32 error scaled by 2^-29) and the
  case gets a "note" saying why.
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
    def __init__(self, stem, fn=None, cancel_reason=None):
        self.stem = stem
        self.fn = fn or camel(stem)
        self.rng = np.random.default_rng([SEED, zlib.crc32(stem.encode())])
        self.cases = []
        self.names = set()
        self.cancel_reason = cancel_reason

    # random data helpers ---------------------------------------------------
    def randn(self, shape, dtype, scale=1.0, loc=0.0):
        return q(loc + scale * self.rng.standard_normal(shape), dtype)

    def unif(self, shape, dtype, lo, hi):
        return q(self.rng.uniform(lo, hi, size=shape), dtype)

    def randint(self, shape, lo, hi):
        return self.rng.integers(lo, hi, size=shape).astype(np.int64)

    # one case ----------------------------------------------------------------
    def case(self, name, dtype, args, options, ref, note=None, sim=None, check=True,
             gout_scale=1.0):
        """Add a case.

        args    : list of A (positional tensor args, PyTorch order)
        options : dict of JSON option names -> python values or A (tensor options)
        ref     : ref(T, o) -> output tensor; T = {arg name: tensor}, o = options with
                  tensors for A values.  Called in float64 for the expected values.
        sim     : like ref, run in float32 to judge how accurate an honest float32
                  computation can be (defaults to ref); None-able via check=False.
        """
        assert name not in self.names, (self.stem, name)
        self.names.add(name)
        rtol, atol = BASE_TOL[dtype]
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
            bump = self._simulate(name, dtype, args, options, sim or ref, gout,
                                  out, grads, rtol)
            if bump is not None and bump > atol:
                atol = bump
                TOL_BUMPS.append((self.stem, name, atol))
                reason = self.cancel_reason or "result is a small difference of large terms"
                notes.append(f"atol raised: {reason}; an honest float32 computation of this "
                             f"case is off by more than rtol (atol = 10x that error"
                             + (", scaled by 2^-29 for float64" if dtype == "float64" else "")
                             + ", rounded up to a power of ten)")

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

    def _simulate(self, name, dtype, args, options, sim, gout, out, grads, rtol):
        """Run the computation in float32; return the atol a float32 (or, scaled,
        float64) implementation needs, or None.  Non-finite mismatches are logged."""
        vals = [a.data for a in args if not a.is_int] + \
               [v.data for v in options.values() if isinstance(v, A) and not v.is_int]
        if gout is not None:
            vals.append(gout)
        for v in vals:
            av = np.abs(v[np.isfinite(v)])
            if av.size and (av.max() > F32_MAX or ((av > 0) & (av < 1.2e-38)).any()):
                return None   # float64 case not representable in float32: nothing to learn
        try:
            with torch.no_grad():
                pass
            s_out, s_grads, _ = self._run(args, options, sim, torch.float32,
                                          None if gout is None else q(gout, "float32"),
                                          round_inputs="float32")
        except Exception as e:  # pragma: no cover
            DISAGREEMENTS.append((self.stem, name, f"float32 simulation failed: {e}"))
            return None
        worst = 0.0
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
                if os.environ.get("GEN_DEBUG"):
                    j = int(np.argmax(np.where(fail, err_needed, -1)))
                    print(f"  [sim] {self.stem}: {name}: {label}: ref={r[fin][j]!r} "
                          f"f32={s[fin][j]!r} err={err[j]:.3g}")
        if worst > 0:
            return pow10_ceil(10 * worst)
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
                s.case(f"{label} {red_name(red)} {dtype}", dtype, args, o, ref, note=note)
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
            return [A("input", x), A("target", t)], {"beta": b}, \
                "differences exactly at +-beta, just inside/outside, zero and far away"
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
                        + POISSON_T0_NOTE)
            x = q([0.0, 1e-30, 1e-9, 1e30 if d == "float32" else 1e300, 3.0, 0.0], d)
            t = q([5.0, 2.0, 0.0, 3.0, 1e6, 0.0], d)
            for eps in (1e-8, 0.1):
                o = {"reduction": red, "logInput": False, "full": False, "eps": eps}
                s.case(f"extreme logInput=False eps={eps} {red_name(red)} {d}", d,
                       [A("input", x), A("target", t)], o, ref,
                       note="zero / tiny / huge rate inputs")
    return s


def gen_gaussian():
    s = Suite("gaussian_nll_loss",
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
                       note="huge residuals (overflow for float32), var at / below eps, huge var")
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
    s = Suite("mean_absolute_percentage_error",
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
        x = q([1.0, -1.0, 0.0, 1e-7, 0.0, 1.0, 2e-7, 1.0, 0.0, big, 5.0, 1e30 if dtype == "float32"
               else 1e300], dtype)
        return [A("input", x), A("target", t)], {}, \
            "targets 0, +-1e-7 (the clamp threshold: clamp passes the gradient at equality), " \
            "below it (clamped, no gradient through |t|), huge values, x == t"
    return elementwise_suite(s, mape_ref, mk, [("", {})], [("extreme", ext)])


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
