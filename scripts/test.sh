#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, then runs every test:
#   cargo test (pure kernels on the host), vitest (golden, property, ABI, memory, errors, and
#   the built package imported by name in Node, Deno, Bun and headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/setup-chromium.sh
. .toolchain/env.sh
echo "== cargo test"
cargo test --quiet --workspace
echo "== vitest"
npx vitest run
