#!/usr/bin/env bash
# Debian's chromium for the browser tests (playwright-core drives it; no browser download).
#
# Installs it when missing (as root, with apt), refreshing apt's package lists once when they
# are missing or stale (apt cannot find the package, or the mirror no longer has the version
# the lists name). Without root or apt the browser tests are skipped, and say so.
#
#   bash scripts/setup-chromium.sh           install if missing
#   bash scripts/setup-chromium.sh --check   resolve chromium's install (refreshing the lists if
#                                            needed) and check the mirror has its file; install
#                                            nothing (test/setup.test.ts, with private lists)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APT_WHO=setup-chromium
. "$ROOT/scripts/lib/apt.sh"

CHECK=0
[ "${1:-}" = --check ] && CHECK=1

if [ "$CHECK" = 0 ] && command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: no chromium, and no root apt-get to install it; the browser tests will be skipped" >&2
  exit 0
fi

REASON=""
attempt() {
  local log
  if [ "$CHECK" = 1 ]; then
    [ -n "$(apt_candidate chromium)" ] || { REASON="apt offers no chromium"; return 1; }
    log=$(apt-get install -s -y chromium 2>&1) || { REASON=$(printf '%s\n' "$log" | grep '^E:' | head -2 | tr '\n' ' '); return 1; }
    local uri; uri=$(apt-get download --print-uris chromium 2>/dev/null | awk '{print $1}' | tr -d "'")
    if command -v curl >/dev/null 2>&1 && ! curl -fsIL --max-time 30 "$uri" >/dev/null; then
      REASON="the mirror no longer has $uri"; return 1
    fi
    echo "setup-chromium: apt would install chromium $(apt_candidate chromium)"
    return 0
  fi
  echo "setup-chromium: installing Debian's chromium"
  log=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium 2>&1) \
    || { REASON=$(printf '%s\n' "$log" | grep '^E:' | head -2 | tr '\n' ' '); return 1; }
}

if ! attempt; then
  echo "setup-chromium: ${REASON:-apt-get install chromium failed}" >&2
  apt_refresh && attempt || {
    echo "setup-chromium: cannot install chromium: ${REASON}; install it (apt-get install chromium) for the browser tests" >&2
    exit 1
  }
fi
