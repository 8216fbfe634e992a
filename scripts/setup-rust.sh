#!/usr/bin/env bash
# Makes a Rust compiler that can target wasm32-unknown-unknown available to scripts/build-wasm.mjs.
#
# Order of preference (see ../shared/reference/TOOLCHAIN.md for the measurements):
#  1. a rustup toolchain that already has the wasm32-unknown-unknown target (a contributor's
#     usual machine): nothing to install;
#  2. Debian's rustc-web (1.96) + lld-22 + rust-web-src, unpacked into .toolchain/ with
#     `apt-get download` + `dpkg -x` (no root changes, no crates.io): std is built offline with
#     -Zbuild-std from the sources Debian vendors.
# Writes .toolchain/env.sh, which the build sources; prints the compiler it chose.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T="$ROOT/.toolchain"
mkdir -p "$T"

if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  cat > "$T/env.sh" <<ENV
# rustup toolchain with the wasm32 target: no build-std needed.
export LOSSFN_TOOLCHAIN=rustup
ENV
  echo "setup-rust: using rustup's $(rustc -V) (wasm32-unknown-unknown installed)"
  exit 0
fi

if [ ! -x "$T/root/usr/bin/rustc" ]; then
  command -v apt-get >/dev/null || { echo "setup-rust: no rustup wasm32 target and no apt-get; install the wasm32-unknown-unknown target" >&2; exit 1; }
  rm -rf "$T/root" "$T/debs"; mkdir -p "$T/debs" "$T/root"
  (
    cd "$T/debs"
    # The package lists may be missing on a fresh machine.
    apt-get download rustc-web >/dev/null 2>&1 || apt-get update -qq
    apt-get download -qq rustc-web cargo-web libstd-rust-web-1.96 libstd-rust-web-dev rust-web-src rust-web-llvm \
      lld-22 libllvm22 libz3-4 libgit2-1.5 libhttp-parser2.9 libmbedtls14 libmbedx509-1 libmbedcrypto7 2>&1 \
      | grep -v 'unsandboxed as root' || true
    for f in *.deb; do dpkg -x "$f" "$T/root"; done
  )
  rm -rf "$T/debs"
  # Version-free path for .cargo/config.toml's vendored-source directory.
  ln -sfn "$(cd "$T/root/usr/src" && ls -d rustc-* | head -1)" "$T/root/usr/src/rust"
  # The compiler sources are not needed for build-std; only library/ is.
  rm -rf "$T/root/usr/src/rust/src" "$T/root/usr/src/rust/compiler"
fi

cat > "$T/env.sh" <<ENV
# Debian rustc-web, project-local (scripts/setup-rust.sh).
export LOSSFN_TOOLCHAIN=debian-rustc-web
export PATH="$T/root/usr/bin:\$PATH"
export LD_LIBRARY_PATH="$T/root/usr/lib/x86_64-linux-gnu:$T/root/usr/lib/llvm-22/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export RUSTC_BOOTSTRAP=1
ENV
. "$T/env.sh"
echo "setup-rust: using project-local $(rustc -V)"
