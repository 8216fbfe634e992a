#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, then runs every test:
#   cargo test (pure kernels on the host, and the wasm shim's checks), the same kernel tests
#   built for wasm32 + simd128, vitest (golden, property, ABI, memory, errors, the kernel tests
#   on the wasm128 lanes, and
#   the built package imported by name in Node 20/22/24, Deno, Bun and headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/setup-chromium.sh
bash scripts/setup-node.sh
. .toolchain/env.sh
echo "== cargo test"
cargo test --quiet --workspace
echo "== the kernel tests, built for wasm32 + simd128 (run by test/wasm_kernels.test.ts)"
bash scripts/build-wasm.sh --kernel-tests
echo "== vitest"
npx vitest run
