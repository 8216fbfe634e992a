#!/usr/bin/env bash
# `npm run bench`: builds (quietly; the log is shown if the build fails), then runs
# bench/bench.mjs: lossfn vs a naive JS loop, TF.js (cpu, wasm) and PyTorch (when installed).
# Results: stdout (markdown), .bench/results.json, .bench/results.md. Knobs: see bench/bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench
if ! bash scripts/build.sh >.bench/build.log 2>&1; then
  cat .bench/build.log >&2
  echo "bench: build failed" >&2
  exit 1
fi
node bench/bench.mjs "$@"
# The CLI end to end (lossfn eval vs PyTorch memmap); BENCH_NO_CLI=1 skips it.
[ -n "${BENCH_NO_CLI:-}" ] || node bench/cli.mjs
