#!/usr/bin/env bash
# Builds crates/wasm for wasm32-unknown-unknown twice and writes (scripts/gen-abi.mjs)
#   dist/lossfn.wasm          the baseline module, simd128 (for users who load it by URL)
#   dist/lossfn-relaxed.wasm  the same kernels with +relaxed-simd (fused multiply-adds in the
#                             polynomial steps; Node 22+, Deno, Bun, Chromium; not Node 20)
#   ts/wasm/bytes.ts          the baseline bytes, base64, inlined by default (ts/wasm/runtime.ts)
#   ts/wasm/bytes_relaxed.ts  the relaxed bytes, base64 (init() imports only the one it uses)
#   ts/wasm/exports.ts        the ABI's constants and every export's TS signature (both modules
#                             must have the same: gen-abi checks)
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
build_std=()
if [ "${LOSSFN_TOOLCHAIN:-}" = debian-rustc-web ]; then
  # No prebuilt wasm32 std in Debian's rustc-web: build it, offline, from the vendored sources.
  build_std=(--offline -Zbuild-std=std,panic_abort
    --config 'source.crates-io.replace-with="vendored-std"'
    --config "source.vendored-std.directory=\"$ROOT/.toolchain/root/usr/src/rust/library/vendor\"")
fi
cargo "${args[@]}" "${build_std[@]}"
# Both modules, baseline and relaxed SIMD (below), for the kernel tests too.
relaxed() {
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
    CARGO_TARGET_DIR="$ROOT/target/relaxed" cargo "${args[@]}" "${build_std[@]}"
}
if [ "$package" != lossfn-wasm ]; then
  relaxed
  exit 0
fi

# The TS side of the ABI (ts/wasm/exports.ts), the shipped module without custom sections
# (dist/lossfn.wasm) and its inlined copy (ts/wasm/bytes.ts), all from the built module.
node scripts/gen-abi.mjs target/wasm32-unknown-unknown/release/lossfn_wasm.wasm

# The relaxed-SIMD module: its own target dir (other flags; building std for them once).
relaxed
node scripts/gen-abi.mjs --relaxed target/relaxed/wasm32-unknown-unknown/release/lossfn_wasm.wasm
