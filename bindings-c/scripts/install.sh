#!/usr/bin/env bash
# Builds libofficernd_auth and installs it under a prefix:
#   bindings-c/scripts/install.sh PREFIX [release|debug]
# PREFIX/lib/libofficernd_auth.so{,.0,.X.Y.Z}  shared library (SONAME libofficernd_auth.so.0)
# PREFIX/lib/libofficernd_auth.a               static library (link flags in Libs.private)
# PREFIX/include/officernd_auth.h, .hpp        C header (generated, checked in), C++17 wrapper
# PREFIX/lib/pkgconfig/officernd_auth.pc       pkg-config
# PREFIX/lib/cmake/officernd_auth/             find_package(officernd_auth): officernd_auth::officernd_auth
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
prefix="${1:?usage: install.sh PREFIX [release|debug]}"
profile="${2:-release}"
cargo="${CARGO:-cargo}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"

version="$(sed -n 's/^#define OFFICERND_AUTH_VERSION "\(.*\)"$/\1/p' "$here/include/officernd_auth.h")"
major="${version%%.*}"
[[ -n "$version" ]] || { echo "install.sh: no version in include/officernd_auth.h" >&2; exit 1; }

# One build that also prints the system libraries a static link needs.
flags=(--lib -p officernd-auth-c)
[[ "$profile" == release ]] && flags+=(--release)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
(cd "$root" && "$cargo" rustc "${flags[@]}" -- --print native-static-libs) 2> >(tee "$log" >&2)
static_libs="$(sed -n 's/.*native-static-libs: //p' "$log" | tail -n 1)"
# Cargo does not rerun rustc when nothing changed; the list it printed last time is kept here.
cache="$target_dir/$profile/officernd_auth.native-static-libs"
if [[ -n "$static_libs" ]]; then
  echo "$static_libs" >"$cache"
elif [[ -s "$cache" ]]; then
  static_libs="$(cat "$cache")"
else
  static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
fi

out="$target_dir/$profile"
lib="$prefix/lib"
install -d "$lib/pkgconfig" "$lib/cmake/officernd_auth" "$prefix/include"
install -m 0755 "$out/libofficernd_auth_c.so" "$lib/libofficernd_auth.so.$version"
ln -sf "libofficernd_auth.so.$version" "$lib/libofficernd_auth.so.$major"
ln -sf "libofficernd_auth.so.$major" "$lib/libofficernd_auth.so"
install -m 0644 "$out/libofficernd_auth_c.a" "$lib/libofficernd_auth.a"
install -m 0644 "$here/include/officernd_auth.h" "$here/include/officernd_auth.hpp" "$prefix/include/"

subst() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" \
      -e "s|@STATIC_LIBS@|$static_libs|g" -e "s|@STATIC_LIBS_CMAKE@|${static_libs// /;}|g" "$1" >"$2"
}
subst "$here/pkgconfig/officernd_auth.pc.in" "$lib/pkgconfig/officernd_auth.pc"
subst "$here/cmake/officernd_authConfig.cmake.in" "$lib/cmake/officernd_auth/officernd_authConfig.cmake"
subst "$here/cmake/officernd_authConfigVersion.cmake.in" "$lib/cmake/officernd_auth/officernd_authConfigVersion.cmake"
echo "installed libofficernd_auth $version ($profile) under $prefix"
