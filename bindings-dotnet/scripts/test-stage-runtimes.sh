#!/usr/bin/env bash
# Tests stage-runtimes.sh (the release workflow's step that fills runtimes/<rid>/native/ from the
# C archives) on archives laid out as bindings-c/scripts/install.sh installs: Linux tarballs with
# the versioned .so and its symlinks, macOS tarballs with the .dylib, the Windows zip with
# bin/officernd_auth.dll. Checks that every file the nuspec lists is staged from the right archive,
# and that a missing archive or member fails the step.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$here/OfficeRnD.Auth.nuspec")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "test-stage-runtimes: FAIL: $*" >&2; exit 1; }

make_archive() { # TRIPLE KIND(tar|zip)
  local triple="$1" kind="$2" name="officernd-auth-c-$version-$1"
  local root="$work/src/$name"
  mkdir -p "$root/lib" "$root/bin" "$root/include"
  echo "header" >"$root/include/officernd_auth.h"
  case "$triple" in
    *-linux-*)
      echo "so:$triple" >"$root/lib/libofficernd_auth.so.$version"
      ln -s "libofficernd_auth.so.$version" "$root/lib/libofficernd_auth.so.0"
      ln -s libofficernd_auth.so.0 "$root/lib/libofficernd_auth.so"
      echo "static:$triple" >"$root/lib/libofficernd_auth.a" ;;
    *-apple-darwin) echo "dylib:$triple" >"$root/lib/libofficernd_auth.dylib" ;;
    *-windows-*)
      echo "dll:$triple" >"$root/bin/officernd_auth.dll"
      echo "implib:$triple" >"$root/lib/officernd_auth.dll.lib" ;;
  esac
  mkdir -p "$work/dist"
  if [[ "$kind" == zip ]]; then
    (cd "$work/src" && zip -q -r -y "$work/dist/$name.zip" "$name")
  else
    tar -C "$work/src" -czf "$work/dist/$name.tar.gz" "$name"
  fi
}

for spec in x86_64-unknown-linux-gnu:tar x86_64-unknown-linux-musl:tar aarch64-unknown-linux-gnu:tar \
            aarch64-unknown-linux-musl:tar aarch64-apple-darwin:tar x86_64-apple-darwin:tar x86_64-pc-windows-msvc:zip; do
  make_archive "${spec%%:*}" "${spec##*:}"
done

"$here/scripts/stage-runtimes.sh" "$work/dist" "$work/stage" >"$work/log"
expect() { # PATH CONTENT
  [[ -f "$work/stage/$1" && ! -L "$work/stage/$1" ]] || fail "$1 is not staged as a regular file"
  [[ "$(cat "$work/stage/$1")" == "$2" ]] || fail "$1 holds '$(cat "$work/stage/$1")', not '$2'"
}
expect runtimes/linux-x64/native/libofficernd_auth.so so:x86_64-unknown-linux-gnu
expect runtimes/linux-musl-x64/native/libofficernd_auth.so so:x86_64-unknown-linux-musl
expect runtimes/linux-arm64/native/libofficernd_auth.so so:aarch64-unknown-linux-gnu
expect runtimes/win-x64/native/officernd_auth.dll dll:x86_64-pc-windows-msvc
expect runtimes/osx-arm64/native/libofficernd_auth.dylib dylib:aarch64-apple-darwin
expect runtimes/osx-x64/native/libofficernd_auth.dylib dylib:x86_64-apple-darwin
# Every native file the nuspec lists is staged, and nothing else.
listed="$(sed -n 's:.*<file src="\(runtimes/[^"]*\)".*:\1:p' "$here/OfficeRnD.Auth.nuspec" | sort)"
staged="$(cd "$work/stage" && find runtimes -type f | sort)"
[[ "$listed" == "$staged" ]] || fail "staged files differ from the nuspec's list:"$'\n'"$listed"$'\n'"---"$'\n'"$staged"

# A missing archive fails the step (no package without one of its runtimes).
rm "$work/dist/officernd-auth-c-$version-x86_64-apple-darwin.tar.gz"
if "$here/scripts/stage-runtimes.sh" "$work/dist" "$work/stage2" >/dev/null 2>"$work/err"; then
  fail "staging succeeded without the osx-x64 archive"
fi
grep -q "no C archive .*x86_64-apple-darwin.* for osx-x64" "$work/err" || fail "unclear error: $(cat "$work/err")"
# An archive without the library fails it too.
make_archive x86_64-apple-darwin tar
tar -C "$work/src" -czf "$work/dist/officernd-auth-c-$version-x86_64-apple-darwin.tar.gz" \
  --exclude='*.dylib' "officernd-auth-c-$version-x86_64-apple-darwin"
if "$here/scripts/stage-runtimes.sh" "$work/dist" "$work/stage3" >/dev/null 2>"$work/err"; then
  fail "staging succeeded from an archive without the dylib"
fi
grep -q "has no officernd-auth-c-$version-x86_64-apple-darwin/lib/libofficernd_auth.dylib" "$work/err" || fail "unclear error: $(cat "$work/err")"
echo "test-stage-runtimes: ok ($(wc -l <"$work/log") runtimes staged from the C archives; a missing archive or library fails)"
