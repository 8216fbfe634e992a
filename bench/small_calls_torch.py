# PyTorch's side of bench/small_calls.mjs: the same three calls on the same data (one thread,
# float32, int64 targets as PyTorch wants them), `F.<loss>(x, y).item()` per call, in
# nanoseconds per call: the median of 9 rounds of process CPU time (the machine is shared;
# wall time is printed beside it). Prints one JSON object.
# Usage: /usr/bin/python3 bench/small_calls_torch.py   (PyTorch 1.13 from Debian's python3-torch)
import json
import math
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def wave(n, k):
    return torch.tensor([math.sin(i * 0.731 + k) for i in range(n)], dtype=torch.float32)


x100, t100 = wave(100, 1), wave(100, 2)
x10 = wave(100, 3).reshape(10, 10)
y10 = torch.tensor([(i * 3) % 10 for i in range(10)], dtype=torch.int64)
lp = wave(1_000_000, 4).reshape(1000, 1000)  # log-probabilities need not be normalised
y1000 = torch.tensor([(i * 7) % 1000 for i in range(1000)], dtype=torch.int64)

cases = [
    ('mseLoss, 100 elements', lambda: F.mse_loss(x100, t100).item()),
    ('crossEntropy (10, 10)', lambda: F.cross_entropy(x10, y10).item()),
    ('nllLoss (1000, 1000)', lambda: F.nll_loss(lp, y1000).item()),
]
out = {'torch': torch.__version__, 'ns': {}}
for name, f in cases:
    for _ in range(20000):
        f()
    cpu, wall = [], []
    for _ in range(9):
        c, w = time.process_time(), time.perf_counter()
        for _ in range(20000):
            f()
        cpu.append((time.process_time() - c) / 20000 * 1e9)
        wall.append((time.perf_counter() - w) / 20000 * 1e9)
    out['ns'][name] = {'cpu': sorted(cpu)[4], 'wall': sorted(wall)[4]}
print(json.dumps(out))
