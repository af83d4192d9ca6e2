#!/usr/bin/env bash
# Builds and checks the prebuilt C archive of one Linux target (what `make dist-c` runs per target):
#   bindings-c/scripts/dist-archive.sh TRIPLE GLIBC OUT_DIR
# TRIPLE is a Rust target (x86_64-unknown-linux-gnu, aarch64-unknown-linux-musl, ...); GLIBC the
# glibc a -gnu target links against (2.17: manylinux2014 / RHEL 7), empty for musl. Built with
# cargo-zigbuild (zig is the linker: an old glibc, musl and aarch64 need no other toolchain), so
# cargo-zigbuild and python -m ziglang must be on PATH (the project venv: make dist-tools).
# Writes OUT_DIR/officernd-auth-c-<version>-<TRIPLE>.tar.gz: lib/ (shared + static library,
# pkg-config, CMake package), include/, share/doc/officernd-auth/ (licences, README, CHANGELOG,
# SECURITY). Checked before packing: the library is for TRIPLE's CPU, needs glibc <= GLIBC (gnu) or
# only musl's libc.so (musl), and the .pc and CMake files name no staging path.
set -euo pipefail
triple="${1:?usage: dist-archive.sh TRIPLE GLIBC OUT_DIR}"
glibc="${2?usage: dist-archive.sh TRIPLE GLIBC OUT_DIR}"
out="${3:?usage: dist-archive.sh TRIPLE GLIBC OUT_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
name="officernd-auth-c-$version-$triple"
stage="${CARGO_TARGET_DIR:-$root/target}/dist-c/$name"
fail() { echo "dist-archive: $triple: $*" >&2; exit 1; }

case "$triple" in
  x86_64-*) machine="Advanced Micro Devices X86-64" ;;
  aarch64-*) machine="AArch64" ;;
  *) fail "no CPU known for this triple" ;;
esac
case "$triple" in
  *-linux-gnu) [[ -n "$glibc" ]] || fail "a -gnu archive needs a glibc version (e.g. 2.17)"; target="$triple.$glibc" ;;
  # A cdylib needs crt-static off (Rust's musl default is a static binary, which makes no cdylib);
  # the static library is the same code either way.
  *-linux-musl) target="$triple"; export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=-crt-static" ;;
  *) fail "only Linux gnu and musl targets are built here (macOS and Windows: the release workflow)" ;;
esac

rm -rf "$stage"
"$root/bindings-c/scripts/install.sh" --zig --target "$target" "$stage" release
install -d "$stage/share/doc/officernd-auth"
install -m 0644 "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$root/README.md" "$root/CHANGELOG.md" \
  "$root/SECURITY.md" "$stage/share/doc/officernd-auth/"

so="$stage/lib/libofficernd_auth.so.$version"
for lib in "$so" "$stage/lib/libofficernd_auth.a"; do
  got="$(readelf -h "$lib" | sed -n 's/^ *Machine: *//p' | sort -u)"
  [[ "$got" == "$machine" ]] || fail "$(basename "$lib") is for '$got', not $machine"
done
echo "dist-archive: $triple: shared and static library are $machine code"
if [[ "$triple" == *-gnu ]]; then
  "$root/scripts/check-glibc.sh" "$glibc" "$so"
else
  ! readelf -V --wide "$so" | grep -q 'GLIBC_' || fail "the musl library asks for glibc symbol versions"
  needed="$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  [[ "$needed" == "libc.so " ]] || fail "the shared library needs $needed(only musl's libc.so allowed)"
  echo "dist-archive: $triple: the shared library needs only musl's libc.so"
fi
grep -q '^prefix=${pcfiledir}/' "$stage/lib/pkgconfig/officernd_auth.pc" || fail "the .pc file is not relocatable"
! grep -rq "$stage" "$stage/lib/pkgconfig" "$stage/lib/cmake" || fail "an absolute staging path is left in the .pc or CMake files"

mkdir -p "$out"
tar -C "$(dirname "$stage")" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
list="$(tar -tzf "$out/$name.tar.gz")"
for f in lib/libofficernd_auth.so.$version lib/libofficernd_auth.a include/officernd_auth.h include/officernd_auth.hpp \
         lib/pkgconfig/officernd_auth.pc lib/cmake/officernd_auth/officernd_authConfig.cmake \
         share/doc/officernd-auth/LICENSE-MIT share/doc/officernd-auth/LICENSE-APACHE; do
  grep -qx "$name/$f" <<<"$list" || fail "the archive has no $f"
done
echo "dist-archive: $out/$name.tar.gz ($(du -k "$out/$name.tar.gz" | cut -f1) KiB)"
