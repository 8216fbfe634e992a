"""Reference rank correlations for test/report/stats.test.ts, from SciPy.

Writes test/report/fixtures/stats.json: pairs of vectors (random, heavy ties, reversed, a loss-like
transform, a constant one) with scipy.stats.spearmanr and scipy.stats.kendalltau (variant 'b',
the default) of each pair. Deterministic (numpy seed 15). Run with /usr/bin/python3:

    /usr/bin/python3 scripts/gen_report_fixtures.py
"""
import json
import math
import os

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(15)
cases = []


def add(name, a, b):
    a = [float(v) for v in a]
    b = [float(v) for v in b]
    rho = stats.spearmanr(a, b).correlation
    tau = stats.kendalltau(a, b, variant="b").correlation
    enc = lambda v: "NaN" if math.isnan(v) else float(v)
    cases.append({"name": name, "a": a, "b": b, "spearman": enc(rho), "kendall": enc(tau)})


x = rng.normal(size=1000)
add("random independent n=1000", x, rng.normal(size=1000))
add("noisy monotone n=1000", x, np.exp(x) + 0.5 * rng.normal(size=1000))
add("heavy ties both n=300", rng.integers(0, 6, size=300), rng.integers(0, 4, size=300))
t = rng.integers(0, 10, size=400)
add("ties in a, continuous b n=400", t, t + rng.normal(size=400))
add("reversed n=50", np.arange(50), -np.arange(50.0))
add("huber vs mse style n=500", np.minimum(np.abs(x[:500]), 1.0), x[:500] ** 2)
add("small n=3", [1.0, 2.0, 3.0], [3.0, 1.0, 2.0])
add("constant b n=20", rng.normal(size=20), np.ones(20))

out = os.path.join(os.path.dirname(__file__), "..", "test", "report", "fixtures", "stats.json")
with open(out, "w") as f:
    json.dump({"generator": "scripts/gen_report_fixtures.py", "scipy": scipy.__version__, "numpy": np.__version__, "seed": 15, "cases": cases}, f)
    f.write("\n")
print(f"wrote {out}: {len(cases)} cases (scipy {scipy.__version__})")
