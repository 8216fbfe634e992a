#!/usr/bin/env bash
# Builds crates/wasm for wasm32-unknown-unknown + simd128 and writes (scripts/gen-abi.mjs)
#   dist/lossfn.wasm          the module (for users who load it by URL)
#   ts/wasm/bytes.ts          the same bytes, base64, inlined by default (see ts/wasm/runtime.ts)
#   ts/wasm/exports.ts        the ABI's constants and every export's TS signature
# Uses the toolchain chosen by scripts/setup-rust.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ -f .toolchain/env.sh ] || bash scripts/setup-rust.sh
. .toolchain/env.sh

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
# --kernel-tests: build crates/kernel-tests instead (the kernel crate's tests as wasm exports).
package=lossfn-wasm
[ "${1:-}" = --kernel-tests ] && package=lossfn-kernel-tests
args=(build --release --target wasm32-unknown-unknown -p "$package")
if [ "${LOSSFN_TOOLCHAIN:-}" = debian-rustc-web ]; then
  # No prebuilt wasm32 std in Debian's rustc-web: build it, offline, from the vendored sources.
  args+=(--offline -Zbuild-std=std,panic_abort
    --config 'source.crates-io.replace-with="vendored-std"'
    --config "source.vendored-std.directory=\"$ROOT/.toolchain/root/usr/src/rust/library/vendor\"")
fi
cargo "${args[@]}"
[ "$package" = lossfn-wasm ] || exit 0

# The TS side of the ABI (ts/wasm/exports.ts), the shipped module without custom sections
# (dist/lossfn.wasm) and its inlined copy (ts/wasm/bytes.ts), all from the built module.
node scripts/gen-abi.mjs target/wasm32-unknown-unknown/release/lossfn_wasm.wasm
