#!/usr/bin/env bash
# Full build: Rust toolchain (scripts/setup-rust.sh), wasm module, TypeScript → dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/setup-rust.sh
bash scripts/build-wasm.sh
rm -rf dist/*.js dist/*.d.ts dist/functional dist/nn dist/wasm
npx tsc -p .
node scripts/build-cli.mjs
node scripts/build-report.mjs
