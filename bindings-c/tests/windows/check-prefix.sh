#!/usr/bin/env bash
# Checks a Windows (MinGW) install of libofficernd_auth made by bindings-c/scripts/install.sh
# --target x86_64-pc-windows-gnu, the way an integrator uses it:
#   bindings-c/tests/windows/check-prefix.sh PREFIX BUILD_DIR
# 1. the installed files (DLL, import library, static library, headers, pkg-config, CMake);
# 2. the DLL exports the C API and names no Rust-internal DLL;
# 3. fetch_token_windows.c built with mingw through find_package(officernd_auth) (this
#    directory's CMakeLists.txt checks the imported targets' IMPORTED_LOCATION /
#    IMPORTED_IMPLIB), linked to the DLL and statically; both run under Wine against the mock
#    identity server (native, on loopback: scripts/with-mock.sh), sharing one file store in
#    the Wine prefix: the mock counts one token request for the two programs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
prefix="${1:?usage: check-prefix.sh PREFIX BUILD_DIR}"
build="${2:?usage: check-prefix.sh PREFIX BUILD_DIR}"
prefix="$(cd "$prefix" && pwd)"
mkdir -p "$build" && build="$(cd "$build" && pwd)"
for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump cmake wine; do
  command -v "$tool" >/dev/null || { echo "check-prefix.sh: $tool not found (make deps installs it)" >&2; exit 1; }
done

for f in bin/officernd_auth.dll lib/libofficernd_auth.dll.a lib/libofficernd_auth.a \
         include/officernd_auth.h include/officernd_auth.hpp lib/pkgconfig/officernd_auth.pc \
         lib/cmake/officernd_auth/officernd_authConfig.cmake lib/cmake/officernd_auth/officernd_authConfigVersion.cmake; do
  [[ -s "$prefix/$f" ]] || { echo "check-prefix.sh: $prefix/$f is missing" >&2; exit 1; }
done
echo "check-prefix.sh: DLL, import library, static library, headers, pkg-config and CMake files installed"

exports="$(x86_64-w64-mingw32-objdump -p "$prefix/bin/officernd_auth.dll")"
for sym in officernd_client_from_env officernd_client_token officernd_client_free officernd_version; do
  grep -qw "$sym" <<<"$exports" || { echo "check-prefix.sh: the DLL does not export $sym" >&2; exit 1; }
done
# Only system DLLs: a DLL of the toolchain (libgcc_s, libwinpthread) would have to ship beside it.
imports="$(sed -n 's/^\s*DLL Name: //p' <<<"$exports" | tr 'A-Z' 'a-z' | sort -u)"
echo "check-prefix.sh: the DLL imports: $(tr '\n' ' ' <<<"$imports")"
if grep -E '^(libgcc|libwinpthread|libstdc)' <<<"$imports"; then
  echo "check-prefix.sh: the DLL needs a MinGW runtime DLL" >&2; exit 1
fi

rm -rf "$build"
cmake -S "$here" -B "$build" -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_C_COMPILER=x86_64-w64-mingw32-gcc \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug >"$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }
grep 'officernd_auth ' "$build.log"
cmake --build "$build" >>"$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }

store='C:\users\Public\officernd-auth-c-test'
rm -rf "${WINEPREFIX:-$root/target/wine-prefix}/drive_c/users/Public/officernd-auth-c-test"
OFFICERND_STORE=file OFFICERND_STORE_PATH="$store" "$root/scripts/with-mock.sh" bash -c '
  set -euo pipefail
  for exe in fetch_token fetch_token_static; do
    echo "== $exe.exe under Wine, against the mock (file store $OFFICERND_STORE_PATH)"
    "$1/scripts/windows/wine-run.sh" "$2/$exe.exe"
  done
  stats="$(curl -sS --fail "$OFFICERND_MOCK_URL/_mock/stats")"
  echo "mock: $stats"
  python3 -c "import json,sys; n=json.loads(sys.argv[1])[\"token_requests\"]; sys.exit(0 if n == 1 else \"two programs on one file store sent %d token requests, not 1\" % n)" "$stats"
' with-mock "$root" "$build"
echo "check-prefix.sh: the Windows C library works from its installed prefix"
