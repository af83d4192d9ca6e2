#!/usr/bin/env bash
# Runs a Windows program under Wine, as cargo's runner for x86_64-pc-windows-gnu
# (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER; mk/windows.mk sets it):
#   scripts/windows/wine-run.sh PROGRAM.exe [ARGS...]
# First, once: creates the Wine prefix (WINEPREFIX, default target/wine-prefix; `wineboot -i`,
# no display, no Mono or Gecko installer) and builds the test-only ProcessPrng shim
# (processprng-shim.c, with mingw) that Rust's std needs under Wine 8; then puts the shim beside
# PROGRAM (and beside the CLI the tests spawn) and runs it. A missing tool fails, naming it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export WINEPREFIX="${WINEPREFIX:-$root/target/wine-prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
shim_dir="$root/target/wine-shim"
shim="$shim_dir/bcryptprimitives.dll"

need() { command -v "$1" >/dev/null || { echo "wine-run.sh: $1 not found (make deps installs it: scripts/apt-packages.txt)" >&2; exit 127; }; }

setup() {
  need wine
  need wineboot
  need x86_64-w64-mingw32-gcc
  mkdir -p "$shim_dir"
  # One set-up at a time (cargo may start this runner for several programs).
  exec 9>"$shim_dir/.setup.lock"
  flock 9
  if [[ ! -s "$shim" || "$here/processprng-shim.c" -nt "$shim" ]]; then
    x86_64-w64-mingw32-gcc -O2 -shared -o "$shim.tmp" "$here/processprng-shim.c" -ladvapi32
    mv -f "$shim.tmp" "$shim"
  fi
  if [[ ! -f "$WINEPREFIX/.officernd-ready" ]]; then
    echo "wine-run.sh: creating the Wine prefix $WINEPREFIX (once)" >&2
    mkdir -p "$WINEPREFIX"
    # No Mono/Gecko download prompts: those DLLs are disabled while the prefix is made.
    WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >/dev/null 2>&1
    wineserver -w
    touch "$WINEPREFIX/.officernd-ready"
  fi
  exec 9>&-
}

if [[ "${1:-}" == --setup ]]; then
  setup
  exit 0
fi
program="${1:?usage: wine-run.sh PROGRAM.exe [ARGS...] | --setup}"
setup
# Beside the program, and beside the binaries in the profile directory its tests may spawn.
for d in "$(dirname "$program")" "$(dirname "$(dirname "$program")")"; do
  if [[ ! -e "$d/bcryptprimitives.dll" || "$shim" -nt "$d/bcryptprimitives.dll" ]]; then
    cp -f "$shim" "$d/bcryptprimitives.dll"
  fi
done
exec wine "$@"
