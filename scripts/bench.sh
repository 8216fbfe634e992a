#!/usr/bin/env bash
# `npm run bench`: builds (quietly; the log is shown if the build fails), then runs
# bench/bench.mjs on Node 24 (the current LTS; scripts/setup-node.sh unpacks it from the npm
# registry): lossfn vs a naive JS loop, TF.js (cpu, wasm) and PyTorch (when installed), then the
# CLI end to end (bench/cli.mjs; BENCH_NO_CLI=1 skips it).
# Results: stdout (markdown), .bench/results.json, .bench/results.md. Knobs: see bench/bench.mjs.
#
# Other runtimes, on request: `npm run bench -- --runtimes=node24,node20,deno,bun,chromium`
# (or BENCH_RUNTIMES=…; `all` = node24 node22 node20 deno bun chromium; `:baseline`/`:relaxed`
# force lossfn's module, e.g. node24:baseline,node24:relaxed) runs bench/runtimes.mjs instead:
# the same entries on every runtime, timed in interleaved windows, with ratios to the first.
# BENCH_NODE=/path/to/node runs bench/bench.mjs on another Node.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench
runtimes="${BENCH_RUNTIMES:-}"
for a in "$@"; do
  case "$a" in
    --runtimes=*) runtimes="${a#--runtimes=}" ;;
    *) echo "bench: unknown argument $a (see scripts/bench.sh)" >&2; exit 2 ;;
  esac
done
if ! { bash scripts/build.sh && bash scripts/setup-node.sh; } >.bench/build.log 2>&1; then
  cat .bench/build.log >&2
  echo "bench: build failed" >&2
  exit 1
fi
if [ -n "$runtimes" ]; then
  [[ "$runtimes" != *chromium* ]] || bash scripts/setup-chromium.sh >>.bench/build.log 2>&1
  exec node bench/runtimes.mjs ${runtimes//,/ }
fi
node="${BENCH_NODE:-.toolchain/node-24/bin/node}"
if [ ! -x "$node" ]; then
  echo "bench: $node is missing (scripts/setup-node.sh); running on $(node -v)" >&2
  node=node
fi
"$node" bench/bench.mjs
[ -n "${BENCH_NO_CLI:-}" ] || "$node" bench/cli.mjs
