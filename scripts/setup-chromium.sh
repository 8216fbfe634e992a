#!/usr/bin/env bash
# Debian's chromium for the browser test (playwright-core drives it; no browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "setup-chromium: no chromium and cannot apt-get install it; the browser test will be skipped" >&2
fi
