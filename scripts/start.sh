#!/usr/bin/env bash
# `npm start`: builds if needed, then evaluates every loss on the built-in sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
node scripts/main.mjs "$@"
