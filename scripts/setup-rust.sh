#!/usr/bin/env bash
# Makes a Rust compiler that can target wasm32-unknown-unknown available to scripts/build-wasm.sh,
# and writes .toolchain/env.sh, which the build sources.
#
# Order of preference (../shared/reference/TOOLCHAIN.md has the measurements):
#  1. a rustup toolchain that already has the wasm32-unknown-unknown target (a contributor's
#     usual machine): nothing to install;
#  2. a project-local Debian rustc-web already unpacked in .toolchain/ by an earlier run;
#  3. Debian's rustc-web + rust-web-src + the lld of its LLVM, unpacked into .toolchain/ with
#     `apt-get download` + `dpkg -x` (no root changes to the system, no crates.io): std is
#     built offline with -Zbuild-std from the sources Debian vendors.
#
# No version is written here. The minimum Rust is the workspace's `rust-version`
# (Cargo.toml); the package set is derived from what apt offers: rustc-web's candidate, the
# libstd-rust-web-<version> it depends on, the libllvm<N> that depends on, lld-<N>, and the
# libraries of those not already installed. When apt offers no rustc-web, one older than
# `rust-version`, or files the mirror no longer has (stale lists), the lists are refreshed once
# and the set derived again. If that still fails, one message says what is missing and what
# to install, before anything is unpacked.
#
#   bash scripts/setup-rust.sh           set up (or reuse) the toolchain
#   bash scripts/setup-rust.sh --check   resolve the Debian package set (refreshing the lists if
#                                        needed) and check the mirror has every file; download
#                                        nothing. Used by test/setup.test.ts with APT_CONFIG
#                                        pointing at private, stale lists.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
T="$ROOT/.toolchain"
APT_WHO=setup-rust
. "$ROOT/scripts/lib/apt.sh"

CHECK=0
[ "${1:-}" = --check ] && CHECK=1

NEED=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -1)
[ -n "$NEED" ] || { echo "setup-rust: no rust-version in Cargo.toml" >&2; exit 1; }

die() {
  cat >&2 <<MSG
setup-rust: cannot get a Rust compiler for wasm32: $1
  Install one of:
  - rustup with the target: rustup toolchain install stable && rustup target add wasm32-unknown-unknown
    (Rust >= $NEED), then re-run;
  - on Debian 12, as root: apt-get update, so that apt offers rustc-web >= $NEED
    (bookworm-security); this script then unpacks it into .toolchain/ by itself.
MSG
  exit 1
}

# The version of a rustc binary ("1.96.0"), or nothing.
rustc_version() { "$@" -V 2>/dev/null | awk '{print $2}'; }

write_env_debian() {
  local llvm=$1
  cat > "$T/env.sh" <<ENV
# Debian rustc-web, project-local (scripts/setup-rust.sh).
export LOSSFN_TOOLCHAIN=debian-rustc-web
export PATH="$T/root/usr/bin:\$PATH"
export LD_LIBRARY_PATH="$T/root/usr/lib/x86_64-linux-gnu:$T/root/usr/lib/$llvm/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export RUSTC_BOOTSTRAP=1
ENV
}

if [ "$CHECK" = 0 ]; then
  mkdir -p "$T"
  # 1. rustup with the wasm32 target.
  if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
    && v=$(rustc_version rustc) && [ -n "$v" ] && version_ge "$v" "$NEED"; then
    printf '# rustup toolchain with the wasm32 target: no build-std needed.\nexport LOSSFN_TOOLCHAIN=rustup\n' > "$T/env.sh"
    echo "setup-rust: using rustup's $(rustc -V) (wasm32-unknown-unknown installed)"
    exit 0
  fi
  # 2. An earlier run's unpacked toolchain, if complete and new enough.
  if [ -x "$T/root/usr/bin/rustc" ] && [ -d "$T/root/usr/src/rust/library/vendor" ] && [ -e "$T/root/usr/bin/rust-lld" ]; then
    llvm=$(cd "$T/root/usr/lib" && ls -d llvm-* 2>/dev/null | head -1)
    write_env_debian "$llvm"
    v=$( . "$T/env.sh" && rustc_version rustc )
    if [ -n "$v" ] && version_ge "$v" "$NEED"; then
      echo "setup-rust: using project-local rustc $v"
      exit 0
    fi
  fi
fi

command -v apt-get >/dev/null 2>&1 || die "no rustup toolchain with wasm32-unknown-unknown, and no apt-get"

PKGS=() REASON="" RUSTC_DEB="" LLVM=""
# Derives PKGS from what apt offers now; on failure sets REASON and returns 1.
resolve() {
  PKGS=()
  RUSTC_DEB=$(apt_candidate rustc-web)
  [ -n "$RUSTC_DEB" ] || { REASON="apt offers no rustc-web"; return 1; }
  local up; up=$(apt_upstream "$RUSTC_DEB")
  version_ge "$up" "$NEED" || { REASON="apt offers rustc-web $up, older than the $NEED this project needs"; return 1; }
  local pkg
  for pkg in cargo-web rust-web-src libstd-rust-web-dev; do
    [ "$(apt_candidate "$pkg")" = "$RUSTC_DEB" ] || { REASON="apt offers rustc-web $RUSTC_DEB but $pkg ${pkg:+$(apt_candidate "$pkg")}"; return 1; }
  done
  local std; std=$(apt_depends libstd-rust-web-dev | grep -m1 '^libstd-rust-web-[0-9]' || true)
  [ -n "$std" ] || { REASON="cannot tell which libstd-rust-web-<version> libstd-rust-web-dev $RUSTC_DEB needs"; return 1; }
  local libllvm; libllvm=$(apt_depends "$std" | grep -m1 -E '^libllvm[0-9]+$' || true)
  [ -n "$libllvm" ] || { REASON="cannot tell which LLVM $std is built against"; return 1; }
  LLVM=llvm-${libllvm#libllvm}
  local lld=lld-${libllvm#libllvm}
  [ -n "$(apt_candidate "$lld")" ] || { REASON="apt offers no $lld (the linker for $LLVM)"; return 1; }
  # The roots, then every library they need that this machine lacks (breadth first). Only
  # libraries are followed: rustc-web's gcc/binutils/libc-dev are for host linking, not wasm.
  local -A seen=()
  local queue=(rustc-web cargo-web rust-web-src libstd-rust-web-dev "$std" "$libllvm" "$lld")
  # clippy for `npm run check`, when apt has it for this rustc-web (it is not needed to build).
  [ "$(apt_candidate rust-web-clippy)" = "$RUSTC_DEB" ] && queue+=(rust-web-clippy)
  for pkg in "${queue[@]}"; do seen[$pkg]=1; done
  local i=0 dep
  while [ $i -lt ${#queue[@]} ]; do
    pkg=${queue[$i]}; i=$((i + 1))
    PKGS+=("$pkg")
    while read -r dep; do
      [ -n "$dep" ] && [ -z "${seen[$dep]:-}" ] || continue
      seen[$dep]=1
      case $dep in lib*|lld-*|llvm-*) ;; *) continue ;; esac
      apt_installed "$dep" && continue
      [ -n "$(apt_candidate "$dep")" ] || continue   # virtual, provided by something installed
      queue+=("$dep")
    done < <(apt_depends "$pkg")
  done
}

# Checks (--check) or downloads (into $T/debs) every file of PKGS.
fetch() {
  if [ "$CHECK" = 1 ]; then
    # --print-uris answers from the lists alone; ask the mirror for each file's headers too,
    # since stale lists name files it has since dropped.
    local uris; uris=$(apt-get download --print-uris "${PKGS[@]}" 2>/dev/null | awk '{print $1}' | tr -d "'") || true
    [ "$(printf '%s\n' "$uris" | grep -c .)" = "${#PKGS[@]}" ] || { REASON="apt cannot locate every package"; return 1; }
    local u
    for u in $uris; do
      command -v curl >/dev/null 2>&1 || break
      curl -fsIL --max-time 30 "$u" >/dev/null || { REASON="the mirror no longer has $u"; return 1; }
    done
    return 0
  fi
  rm -rf "$T/debs" && mkdir -p "$T/debs"
  local log
  if ! log=$(cd "$T/debs" && apt-get download -q "${PKGS[@]}" 2>&1); then
    REASON="apt-get download failed: $(printf '%s\n' "$log" | grep -E '^(E|W):' | grep -v unsandboxed | head -3 | tr '\n' ' ')"
    return 1
  fi
}

attempt() { resolve && fetch; }
if ! attempt; then
  echo "setup-rust: $REASON" >&2
  apt_refresh || die "$REASON"
  attempt || die "$REASON"
fi
echo "setup-rust: Debian rustc-web $RUSTC_DEB with $LLVM: ${PKGS[*]}"
[ "$CHECK" = 1 ] && exit 0

rm -rf "$T/root" && mkdir -p "$T/root"
for f in "$T/debs"/*.deb; do dpkg -x "$f" "$T/root"; done
rm -rf "$T/debs"
src=$(cd "$T/root/usr/src" 2>/dev/null && ls -d rustc-* 2>/dev/null | head -1) || true
[ -n "$src" ] && [ -d "$T/root/usr/src/$src/library/vendor" ] || die "rust-web-src $RUSTC_DEB has no usr/src/rustc-*/library/vendor"
# A version-free path for build-wasm.sh's vendored-source directory; the compiler sources are
# not needed for build-std (only library/ is).
ln -sfn "$src" "$T/root/usr/src/rust"
rm -rf "$T/root/usr/src/rust/src" "$T/root/usr/src/rust/compiler"
# rustc links wasm with `rust-lld`; Debian ships that name in rust-web-llvm, which would pull in
# all of LLVM's tools: point it at the lld we unpacked instead.
[ -e "$T/root/usr/bin/rust-lld" ] || ln -sfn "lld-${LLVM#llvm-}" "$T/root/usr/bin/rust-lld"
write_env_debian "$LLVM"
v=$( . "$T/env.sh" && rustc_version rustc )
[ -n "$v" ] || die "the unpacked rustc does not run: $( . "$T/env.sh" && rustc -V 2>&1 | head -2)"
( . "$T/env.sh" && rust-lld -flavor wasm --version >/dev/null 2>&1 ) || die "the unpacked rust-lld (lld-${LLVM#llvm-}) does not run"
echo "setup-rust: using project-local rustc $v"
