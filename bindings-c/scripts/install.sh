#!/usr/bin/env bash
# Builds libofficernd_auth and installs it under a prefix, as packagers expect:
#   bindings-c/scripts/install.sh [options] PREFIX [release|debug]
#     --libdir DIR        where libraries go: relative to PREFIX (default: lib) or absolute
#                         (e.g. --libdir lib/x86_64-linux-gnu, --libdir /usr/lib64)
#     --includedir DIR    where headers go (default: include), relative to PREFIX or absolute
#     --target TRIPLE     cross-build for a Rust target; a glibc suffix (x86_64-unknown-linux-gnu.2.17)
#                         needs --zig
#     --zig               build with cargo-zigbuild (zig as the linker: an old glibc, or musl/aarch64
#                         without a cross toolchain)
#     --no-build          install what the last build of that profile/target left in target/
#   DESTDIR=/stage      stages the files under /stage/PREFIX (paths inside them name PREFIX only)
#
# Installed, on Linux (while the version is 0.x the SONAME carries the minor version, because a
# 0.x minor release may break the ABI; from 1.0 it is the major version):
#   LIBDIR/libofficernd_auth.so.X.Y.Z            shared library, SONAME libofficernd_auth.so.0.Y
#   LIBDIR/libofficernd_auth.so.0.Y -> .so.X.Y.Z  the runtime link; libofficernd_auth.so -> .so.0.Y
#   LIBDIR/libofficernd_auth.a                   static library (link flags in Libs.private)
#   INCLUDEDIR/officernd_auth.h, .hpp            C header (generated, checked in), C++17 wrapper
#   LIBDIR/pkgconfig/officernd_auth.pc           pkg-config, relocatable (prefix=${pcfiledir}/…)
#   LIBDIR/cmake/officernd_auth/                 find_package(officernd_auth): officernd_auth::officernd_auth,
#                                                officernd_auth::officernd_auth_static; relocatable
# On macOS: LIBDIR/libofficernd_auth.dylib (install name @rpath/libofficernd_auth.dylib) and .a;
# on Windows: bin/officernd_auth.dll, LIBDIR/officernd_auth.dll.lib (import library) and
# LIBDIR/officernd_auth.lib (static; MSVC) — the names the CMake package looks for.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
usage="usage: install.sh [--libdir DIR] [--includedir DIR] [--target TRIPLE] [--zig] [--no-build] PREFIX [release|debug]"
libdir=lib includedir=include target="" zig=0 build=1 positional=()
while (($#)); do
  case "$1" in
    --libdir) libdir="${2:?$usage}"; shift 2 ;;
    --libdir=*) libdir="${1#*=}"; shift ;;
    --includedir) includedir="${2:?$usage}"; shift 2 ;;
    --includedir=*) includedir="${1#*=}"; shift ;;
    --target) target="${2:?$usage}"; shift 2 ;;
    --target=*) target="${1#*=}"; shift ;;
    --zig) zig=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "install.sh: unknown option $1" >&2; echo "$usage" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
prefix="${positional[0]:?$usage}"
profile="${positional[1]:-release}"
cargo="${CARGO:-cargo}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
destdir="${DESTDIR:-}"
# PREFIX as the installed files will know it: absolute, without DESTDIR.
case "$prefix" in
  /*) ;;
  *) [[ -z "$destdir" ]] || { echo "install.sh: with DESTDIR, PREFIX must be absolute" >&2; exit 2; }
     mkdir -p "$prefix"; prefix="$(cd "$prefix" && pwd)" ;;
esac
prefix="${prefix%/}"
[[ -n "$prefix" ]] || prefix=/
abs() { case "$1" in /*) echo "$1" ;; *) echo "${prefix%/}/$1" ;; esac; }
libdir_abs="$(abs "$libdir")"
includedir_abs="$(abs "$includedir")"

version="$(sed -n 's/^#define OFFICERND_AUTH_VERSION "\(.*\)"$/\1/p' "$here/include/officernd_auth.h")"
[[ -n "$version" ]] || { echo "install.sh: no version in include/officernd_auth.h" >&2; exit 1; }
major="${version%%.*}"
minor="${version#*.}"; minor="${minor%%.*}"
# Must match build.rs (the SONAME the linker writes into the library).
if [[ "$major" == 0 ]]; then soversion="0.$minor"; else soversion="$major"; fi

triple="${target%%.2.*}"   # x86_64-unknown-linux-gnu.2.17 -> x86_64-unknown-linux-gnu
host="$(rustc -vV | sed -n 's/^host: //p')"
case "${triple:-$host}" in
  *-apple-*) os=macos ;;
  *-windows-msvc) os=windows-msvc ;;
  *-windows-gnu*) os=windows-gnu ;;
  *) os=unix ;;
esac

out="$target_dir/${triple:+$triple/}$profile"
cache="$out/officernd_auth.native-static-libs"
if ((build)); then
  # One build that also prints the system libraries a static link needs.
  flags=(--lib -p officernd-auth-c)
  [[ "$profile" == release ]] && flags+=(--release)
  [[ -n "$target" ]] && flags+=(--target "$target")
  if ((zig)); then build_cmd=(cargo-zigbuild rustc); else build_cmd=("$cargo" rustc); fi
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
  (cd "$root" && "${build_cmd[@]}" "${flags[@]}" -- --print native-static-libs) 2> >(tee "$log" >&2)
  static_libs="$(sed -n 's/.*native-static-libs: //p' "$log" | tail -n 1)"
  # Cargo does not rerun rustc when nothing changed; the list it printed last time is kept here.
  if [[ -n "$static_libs" ]]; then echo "$static_libs" >"$cache"; fi
fi
if [[ -s "$cache" ]]; then
  static_libs="$(cat "$cache")"
else
  static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
fi

stage_lib="$destdir$libdir_abs"
stage_inc="$destdir$includedir_abs"
install -d "$stage_lib/pkgconfig" "$stage_lib/cmake/officernd_auth" "$stage_inc"
case "$os" in
  unix)
    install -m 0755 "$out/libofficernd_auth_c.so" "$stage_lib/libofficernd_auth.so.$version"
    ln -sfn "libofficernd_auth.so.$version" "$stage_lib/libofficernd_auth.so.$soversion"
    ln -sfn "libofficernd_auth.so.$soversion" "$stage_lib/libofficernd_auth.so"
    install -m 0644 "$out/libofficernd_auth_c.a" "$stage_lib/libofficernd_auth.a" ;;
  macos)
    install -m 0755 "$out/libofficernd_auth_c.dylib" "$stage_lib/libofficernd_auth.dylib"
    install -m 0644 "$out/libofficernd_auth_c.a" "$stage_lib/libofficernd_auth.a" ;;
  windows-msvc)
    install -d "$destdir$(abs bin)"
    install -m 0755 "$out/officernd_auth_c.dll" "$destdir$(abs bin)/officernd_auth.dll"
    install -m 0644 "$out/officernd_auth_c.dll.lib" "$stage_lib/officernd_auth.dll.lib"
    install -m 0644 "$out/officernd_auth_c.lib" "$stage_lib/officernd_auth.lib" ;;
  windows-gnu)
    install -d "$destdir$(abs bin)"
    install -m 0755 "$out/officernd_auth_c.dll" "$destdir$(abs bin)/officernd_auth.dll"
    # The import library cargo writes makes programs load officernd_auth_c.dll (the name it
    # built); one that names the installed officernd_auth.dll is made from the DLL's exports.
    objdump="${OBJDUMP:-x86_64-w64-mingw32-objdump}" dlltool="${DLLTOOL:-x86_64-w64-mingw32-dlltool}"
    for tool in "$objdump" "$dlltool"; do
      command -v "$tool" >/dev/null || { echo "install.sh: $tool not found (Debian: binutils-mingw-w64-x86-64)" >&2; exit 1; }
    done
    def="$(mktemp)"
    { echo "LIBRARY officernd_auth.dll"; echo "EXPORTS"
      "$objdump" -p "$out/officernd_auth_c.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/s/^[[:space:]]*\[[[:space:]]*[0-9]*\] //p'
    } >"$def"
    grep -qx officernd_client_token "$def" || { echo "install.sh: no exports found in officernd_auth_c.dll" >&2; rm -f "$def"; exit 1; }
    "$dlltool" -d "$def" -D officernd_auth.dll -l "$stage_lib/libofficernd_auth.dll.a"
    rm -f "$def"
    install -m 0644 "$out/libofficernd_auth_c.a" "$stage_lib/libofficernd_auth.a" ;;
esac
install -m 0644 "$here/include/officernd_auth.h" "$here/include/officernd_auth.hpp" "$stage_inc/"

# Relative paths keep the installed tree relocatable (an unpacked archive, a moved prefix).
py="$(command -v python3 || command -v python || true)"
[[ -n "$py" ]] || { echo "install.sh: python3 (or python) is needed to compute relative paths" >&2; exit 1; }
relpath() { "$py" -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]).replace(os.sep, "/"))' "$1" "$2"; }
under_prefix() { [[ "$1" == "$prefix" || "$1" == "${prefix%/}/"* ]]; }
pc_dir="$libdir_abs/pkgconfig"
cmake_dir="$libdir_abs/cmake/officernd_auth"
if under_prefix "$libdir_abs" && under_prefix "$includedir_abs"; then
  pc_prefix="\${pcfiledir}/$(relpath "$prefix" "$pc_dir")"
  pc_libdir="\${prefix}/$(relpath "$libdir_abs" "$prefix")"
  pc_includedir="\${prefix}/$(relpath "$includedir_abs" "$prefix")"
  cmake_prefix="\${CMAKE_CURRENT_LIST_DIR}/$(relpath "$prefix" "$cmake_dir")"
  cmake_libdir="\${_officernd_auth_prefix}/$(relpath "$libdir_abs" "$prefix")"
  cmake_includedir="\${_officernd_auth_prefix}/$(relpath "$includedir_abs" "$prefix")"
else
  pc_prefix="$prefix" pc_libdir="$libdir_abs" pc_includedir="$includedir_abs"
  cmake_prefix="$prefix" cmake_libdir="$libdir_abs" cmake_includedir="$includedir_abs"
fi
pc_libdir="${pc_libdir%/.}" pc_includedir="${pc_includedir%/.}"
cmake_libdir="${cmake_libdir%/.}" cmake_includedir="${cmake_includedir%/.}"

subst() {
  sed -e "s|@PC_PREFIX@|$pc_prefix|g" -e "s|@PC_LIBDIR@|$pc_libdir|g" -e "s|@PC_INCLUDEDIR@|$pc_includedir|g" \
      -e "s|@CMAKE_PREFIX@|$cmake_prefix|g" -e "s|@CMAKE_LIBDIR@|$cmake_libdir|g" \
      -e "s|@CMAKE_INCLUDEDIR@|$cmake_includedir|g" \
      -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" -e "s|@SOVERSION@|$soversion|g" \
      -e "s|@STATIC_LIBS@|$static_libs|g" -e "s|@STATIC_LIBS_CMAKE@|${static_libs// /;}|g" "$1" >"$2"
}
subst "$here/pkgconfig/officernd_auth.pc.in" "$stage_lib/pkgconfig/officernd_auth.pc"
subst "$here/cmake/officernd_authConfig.cmake.in" "$stage_lib/cmake/officernd_auth/officernd_authConfig.cmake"
subst "$here/cmake/officernd_authConfigVersion.cmake.in" "$stage_lib/cmake/officernd_auth/officernd_authConfigVersion.cmake"
echo "installed libofficernd_auth $version ($profile${target:+, $target}) under $destdir$prefix (libdir $libdir_abs)"
