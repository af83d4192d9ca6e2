#!/usr/bin/env bash
# Tests a prebuilt C archive of a target this machine does not build natively for (what
# `make test-dist-c` runs for every archive but the x86_64 glibc one, which it tests with the
# system compiler):
#   bindings-c/scripts/test-cross-archive.sh ARCHIVE TRIPLE
# The archive is unpacked into an empty prefix; examples/c (pkg-config) and examples/cpp
# (find_package) are cross-compiled from it with `zig cc` / `zig c++ -target ...` (ZIG names the
# zig command, e.g. "python -m ziglang"), and each executable runs against the mock identity
# server on loopback (scripts/with-mock.sh) and must fetch a token:
#   x86_64-unknown-linux-musl   shared and static, run natively (the shared C example through
#                               Debian's musl loader /lib/ld-musl-x86_64.so.1; C++ only static: zig's
#                               libc++ needs musl 1.2.5's statx, Debian 12's loader is 1.2.3)
#   aarch64-unknown-linux-gnu   shared and static (glibc 2.17 symbols), run under qemu-aarch64-static
#                               with Debian's arm64 cross glibc (libc6-arm64-cross) as the loader's root
#   aarch64-unknown-linux-musl  static, under qemu-aarch64-static (no aarch64 musl loader here: the
#                               shared library is checked by dist-archive.sh, not run)
# Needs: qemu-user-static, libc6-arm64-cross, libgcc-s1-arm64-cross, musl (scripts/apt-packages.txt).
set -euo pipefail
archive="${1:?usage: test-cross-archive.sh ARCHIVE TRIPLE}"
triple="${2:?usage: test-cross-archive.sh ARCHIVE TRIPLE}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
major="${version%%.*}" minor="${version#*.}"; minor="${minor%%.*}"
if [[ "$major" == 0 ]]; then soversion="0.$minor"; else soversion="$major"; fi   # as install.sh
zig="${ZIG:-zig}"
work="${CARGO_TARGET_DIR:-$root/target}/test-dist/c-$triple"
fail() { echo "test-cross-archive: $triple: $*" >&2; exit 1; }

aarch64_glibc_root=/usr/aarch64-linux-gnu
case "$triple" in
  x86_64-unknown-linux-musl)
    zig_target=x86_64-linux-musl machine="Advanced Micro Devices X86-64" links=(shared static) run=()
    [[ -x /lib/ld-musl-x86_64.so.1 ]] || fail "no musl loader /lib/ld-musl-x86_64.so.1 (Debian package musl)" ;;
  aarch64-unknown-linux-gnu)
    zig_target=aarch64-linux-gnu.2.17 machine=AArch64 links=(shared static)
    run=(qemu-aarch64-static -L "$aarch64_glibc_root")
    [[ -e "$aarch64_glibc_root/lib/ld-linux-aarch64.so.1" ]] || fail "no $aarch64_glibc_root/lib/ld-linux-aarch64.so.1 (Debian package libc6-arm64-cross)"
    [[ -e "$aarch64_glibc_root/lib/libgcc_s.so.1" ]] || fail "no $aarch64_glibc_root/lib/libgcc_s.so.1 (Debian package libgcc-s1-arm64-cross)" ;;
  aarch64-unknown-linux-musl)
    zig_target=aarch64-linux-musl machine=AArch64 links=(static) run=(qemu-aarch64-static) ;;
  *) fail "not a cross target this script knows" ;;
esac
if ((${#run[@]})); then
  command -v "${run[0]}" >/dev/null || fail "${run[0]} is not installed (Debian package qemu-user-static)"
fi

rm -rf "$work" && mkdir -p "$work/prefix" "$work/bin"
tar -C "$work/prefix" --strip-components=1 -xzf "$archive"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
[[ "$(pkg-config --modversion officernd_auth)" == "$version" ]] || fail "pkg-config does not report version $version"
# One-word compilers for make and CMake.
for tool in cc c++; do
  printf '#!/bin/sh\nexec %s %s -target %s "$@"\n' "$zig" "$tool" "$zig_target" >"$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done

# Runs an example against the mock; it must be TRIPLE's code, exit 0 and print the token line.
check_run() {
  local exe="$1" got log
  got="$(readelf -h "$exe" | sed -n 's/^ *Machine: *//p')"
  [[ "$got" == "$machine" ]] || fail "$(basename "$exe") is for '$got', not $machine"
  log="$exe.log"
  "$root/scripts/with-mock.sh" ${run[@]+"${run[@]}"} "$exe" >"$log" 2>&1 || { cat "$log" >&2; fail "$exe failed"; }
  cat "$log"
  grep -Eq '^token .*expires in [0-9]+ s' "$log" || fail "$exe printed no token line"
  echo "test-cross-archive: $triple: $(basename "$(dirname "$exe")")/$(basename "$exe") fetched a token${run[0]:+ (under ${run[0]})}"
}

libdir="$(pkg-config --variable=libdir officernd_auth)"
for link in "${links[@]}"; do
  mkdir -p "$work/c-$link"
  if [[ "$link" == shared ]]; then
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$root/examples/c" \
      CC="$work/bin/cc" BUILD_DIR="$work/c-$link"
    readelf -d "$work/c-$link/fetch_token" | grep -qF "[libofficernd_auth.so.$soversion]" ||
      fail "the C example does not record the SONAME libofficernd_auth.so.$soversion"
  else
    # As the README's static line: the archive's .a and pkg-config's private libraries; musl
    # executables are fully static (nothing to load at run time).
    static=(); [[ "$triple" == *-musl ]] && static=(-static)
    "$work/bin/cc" -std=c11 -O2 -Wall -Wextra -Werror -pedantic "${static[@]}" $(pkg-config --cflags officernd_auth) \
      "$root/examples/c/fetch_token.c" -o "$work/c-$link/fetch_token" "$libdir/libofficernd_auth.a" \
      $(pkg-config --libs-only-l --static officernd_auth | sed 's/-lofficernd_auth//')
    ! readelf -d "$work/c-$link/fetch_token" 2>/dev/null | grep -q 'libofficernd_auth' ||
      fail "the static C example still needs libofficernd_auth.so"
  fi
  check_run "$work/c-$link/fetch_token"

  # zig's libc++ (linked into the C++ executable) is built against zig's musl 1.2.5 and calls
  # statx, which Debian 12's musl loader (1.2.3) lacks: on musl the C++ example links statically.
  if [[ "$link" == shared && "$triple" == *-musl ]]; then
    echo "test-cross-archive: $triple: C++ example only linked statically (zig's libc++ needs musl >= 1.2.5, this loader is older)"
    continue
  fi
  cmake_static=OFF ldflags=""
  [[ "$link" == static ]] && cmake_static=ON
  [[ "$link" == static && "$triple" == *-musl ]] && ldflags=-static
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL cmake -S "$root/examples/cpp" -B "$work/cpp-$link" \
    -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="${triple%%-*}" \
    -DCMAKE_CXX_COMPILER="$work/bin/c++" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DOFFICERND_AUTH_STATIC="$cmake_static" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >/dev/null
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL cmake --build "$work/cpp-$link" >/dev/null
  check_run "$work/cpp-$link/fetch_token_cpp"
done
echo "test-cross-archive: $(basename "$archive") unpacked into an empty prefix: C and C++ examples (${links[*]}) built with zig and fetched a token"
