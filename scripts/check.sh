#!/usr/bin/env bash
# `npm run check`: everything a change must keep clean — strict TypeScript, rustfmt, clippy
# (warnings are errors), then the full test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
npx tsc -p . --noEmit
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
bash scripts/test.sh
