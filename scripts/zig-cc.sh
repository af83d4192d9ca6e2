#!/bin/sh
# zig as a C compiler for a cross target, for cc-rs (ring's build script) where no C toolchain
# for that target exists here (macOS: make lint-macos):
#   scripts/zig-cc.sh ZIG_TARGET [compiler args...]      e.g. aarch64-macos, x86_64-macos
# zig comes from the project venv (ziglang, pinned in mk/dist.mk). cc-rs's own --target=…
# (an LLVM triple zig does not take) is dropped: ZIG_TARGET says it.
set -eu
zig_target="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${ZIG_PYTHON:-$root/.venv/bin/python}"
for arg in "$@"; do
  shift
  case "$arg" in
    --target=*) ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec "$python" -m ziglang cc -target "$zig_target" "$@"
