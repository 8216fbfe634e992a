#!/usr/bin/env bash
# Installs the npm devDependencies when node_modules is missing or older than the lock file.
# `npm install`, not `npm ci`: deno's optional per-platform packages are not all in the lock
# (the registry resolves only this platform's), which `npm ci` rejects as out of sync.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
