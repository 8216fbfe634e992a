#!/usr/bin/env python3
"""PyTorch peer of bench/cli.mjs: end to end (process start to result, as the CLI is timed)
cross entropy over a (N, C) float32 .npy and its int64 labels, read with numpy memmap and
scored with F.cross_entropy(reduction='sum') in batches, then divided by N (the mean of the
whole file). usage: cli_peer.py <logits.npy> <labels.npy> <threads> <batch> <repeat>
Prints {"seconds": best wall time of `repeat` runs, "value": the mean, "torch": version}.
"""
import json
import subprocess
import sys
import time

if len(sys.argv) == 7 and sys.argv[6] == '--once':
    import numpy as np
    import torch
    import torch.nn.functional as F
    x_path, y_path, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    x = np.load(x_path, mmap_mode='r')
    y = np.load(y_path, mmap_mode='r')
    total = 0.0
    with torch.no_grad():
        for a in range(0, x.shape[0], batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[a:a + batch]))
            yb = torch.from_numpy(np.ascontiguousarray(y[a:a + batch]))
            total += F.cross_entropy(xb, yb, reduction='sum').item()
    print(json.dumps({'value': total / x.shape[0], 'torch': torch.__version__}))
    sys.exit(0)

best = float('inf')
out = None
for _ in range(int(sys.argv[5])):
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, *sys.argv[1:5], '0', '--once'], capture_output=True, text=True, check=True)
    best = min(best, time.perf_counter() - t0)
    out = json.loads(r.stdout)
out['seconds'] = best
print(json.dumps(out))
