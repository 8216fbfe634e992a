#!/usr/bin/env python3
"""PyTorch peer for `npm run bench` (bench/bench.mjs): times the same losses on the same sizes
with torch.set_num_threads(1), using the same method (warm-up, inner loop calibrated to a few
milliseconds per sample, samples until a minimum time and count, median).

Reads a JSON job on stdin:
  {"minTime": s, "minSamples": k, "slowSamples": k, "sampleMs": ms, "warmMs": ms,
   "targetN": n, "targetRounds": k (best of k medians at N = targetN),
   "entries": [{"name", "sizes": [n...], "setup": python, "call": python expression}]}
`setup` runs with `n` and the helpers below in scope and defines the inputs (float32 torch
tensors); `call` is an expression returning a Python float (e.g. `F.mse_loss(x, t).item()`).
Prints one JSON object on stdout: versions, and per entry and size the seconds per call.
"""
import json
import math
import platform
import statistics
import sys
import time
import traceback
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings('ignore')  # e.g. kl_div's note on reduction='mean'
torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

try:
    from torchvision.ops import sigmoid_focal_loss  # noqa: F401
    TORCHVISION = __import__('torchvision').__version__
except Exception:  # torchvision absent: its formula, verbatim
    TORCHVISION = None

    def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction='none'):
        p = torch.sigmoid(inputs)
        ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction='none')
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce_loss * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            loss = alpha_t * loss
        if reduction == 'mean':
            return loss.mean()
        if reduction == 'sum':
            return loss.sum()
        return loss


GEN = torch.Generator().manual_seed(12345)


def U(n, lo, hi):
    """float32 uniform in [lo, hi)."""
    return torch.rand(int(n), generator=GEN, dtype=torch.float32) * (hi - lo) + lo


def bits(n):
    return (torch.rand(int(n), generator=GEN) < 0.5).to(torch.float32)


def counts(n, k):
    return torch.randint(0, int(k), (int(n),), generator=GEN).to(torch.float32)


def classes(n, k):
    return torch.randint(0, int(k), (int(n),), generator=GEN, dtype=torch.int64)


def measure(fn, o, rounds=1):
    t0 = time.perf_counter()
    value = fn()
    calls = 1
    while calls < 2 or (time.perf_counter() - t0) * 1e3 < o['warmMs']:
        fn()
        calls += 1
    per_call_ms = (time.perf_counter() - t0) * 1e3 / calls
    inner = max(1, math.ceil(o['sampleMs'] / per_call_ms))
    slow = per_call_ms >= 100
    min_samples = o['slowSamples'] if slow else o['minSamples']
    medians, best, count = [], float('inf'), 0
    for _ in range(1 if slow else rounds):
        samples = []
        start = time.perf_counter()
        while len(samples) < min_samples or (time.perf_counter() - start < o['minTime'] and len(samples) < 1000):
            s = time.perf_counter()
            for _ in range(inner):
                fn()
            samples.append((time.perf_counter() - s) / inner)
        medians.append(statistics.median(samples))
        best = min(best, min(samples))
        count += len(samples)
    return {'median': min(medians), 'medians': medians, 'min': best, 'samples': count,
            'inner': inner, 'value': float(value)}


def main():
    job = json.load(sys.stdin)
    out = {
        'torch': torch.__version__,
        'torchvision': TORCHVISION,
        'python': platform.python_version(),
        'threads': torch.get_num_threads(),
        'results': {},
        'errors': {},
    }
    for e in job['entries']:
        res = out['results'].setdefault(e['name'], {})
        for n in e['sizes']:
            ns = {'n': n, 'torch': torch, 'F': F, 'math': math, 'U': U, 'bits': bits, 'counts': counts,
                  'classes': classes, 'sigmoid_focal_loss': sigmoid_focal_loss}
            try:
                exec(e['setup'], ns)
                fn = eval('lambda: ' + e['call'], ns)
                with torch.no_grad():
                    res[str(n)] = measure(fn, job, job['targetRounds'] if n == job['targetN'] else 1)
            except Exception as ex:  # report, keep going
                out['errors'][f"{e['name']}@{n}"] = f'{type(ex).__name__}: {ex}'
                traceback.print_exc(file=sys.stderr)
            print(f"  torch {e['name']:<32} N={n:<9} done", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


def serve():
    """`--serve` (bench/vs_torch.mjs): one JSON job per stdin line, one JSON reply per line.
    A job {"name", "n", "setup", "call", "ms"} times `call` for about `ms` milliseconds (after the
    first job for that entry and size, which also runs `setup` and warms up) and replies
    {"median": seconds per call over samples of ~5 ms, "value"}; the driver alternates these
    windows with lossfn's, so both sides of each ratio see the same load."""
    cache = {}
    print(json.dumps({'torch': torch.__version__, 'python': platform.python_version(),
                      'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        key = (job['name'], job['n'])
        if key not in cache:
            ns = {'n': job['n'], 'torch': torch, 'F': F, 'math': math, 'U': U, 'bits': bits,
                  'counts': counts, 'classes': classes, 'sigmoid_focal_loss': sigmoid_focal_loss}
            exec(job['setup'], ns)
            fn = eval('lambda: ' + job['call'], ns)
            t0 = time.perf_counter()
            calls = 0
            while calls < 2 or time.perf_counter() - t0 < 0.2:
                fn()
                calls += 1
            cache[key] = (fn, max(1, math.ceil(0.005 / ((time.perf_counter() - t0) / calls))))
        fn, inner = cache[key]
        samples = []
        value = None
        with torch.no_grad():
            start = time.perf_counter()
            while len(samples) < 3 or time.perf_counter() - start < job['ms'] / 1e3:
                s0 = time.perf_counter()
                for _ in range(inner):
                    value = fn()
                samples.append((time.perf_counter() - s0) / inner)
        print(json.dumps({'median': statistics.median(samples), 'value': float(value)}), flush=True)


if __name__ == '__main__':
    if '--serve' in sys.argv:
        serve()
    else:
        main()
