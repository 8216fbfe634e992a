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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True   # no __pycache__ in the repository

import torch  # noqa: E402

from fixtures.common import DISAGREEMENTS, GENERATORS, OUT_DIR, ROOT, SEED, TOL_BUMPS  # noqa: E402
# One module per family; each registers its stems with register(stem, family, generator).
import fixtures.regression  # noqa: E402,F401
import fixtures.classification  # noqa: E402,F401
import fixtures.sequence  # noqa: E402,F401
import fixtures.localization  # noqa: E402,F401
import fixtures.ranking  # noqa: E402,F401
import fixtures.segmentation  # noqa: E402,F401


def main(argv):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    # Arguments are stems or family names; none means every stem.
    stems = []
    for a in argv or list(GENERATORS):
        fam = [k for k, (f, _) in GENERATORS.items() if f == a]
        stems += fam if fam else [a]
    unknown = [x for x in stems if x not in GENERATORS]
    if unknown:
        sys.exit(f"unknown stem(s): {unknown}; known: {list(GENERATORS)}")
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for stem in stems:
        suite = GENERATORS[stem][1]()
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
