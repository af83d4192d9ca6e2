#!/usr/bin/env bash
# Stages the NuGet package's native libraries from the release's C archives: for every
# runtimes/<rid>/native/<file> that OfficeRnD.Auth.nuspec lists, the shared library is taken out of
# DIST/officernd-auth-c-<version>-<triple>.{tar.gz,zip} (what `make dist` and the release
# workflow's native job write) and put at STAGE/runtimes/<rid>/native/<file>:
#   bindings-dotnet/scripts/stage-runtimes.sh DIST STAGE
# The rid → Rust target table is here and only here; a rid the nuspec lists without a row, or a
# row without its archive, is an error (the package never ships with a runtime missing).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dist="${1:?usage: stage-runtimes.sh DIST STAGE}"
stage="${2:?usage: stage-runtimes.sh DIST STAGE}"
fail() { echo "stage-runtimes: $*" >&2; exit 1; }

triple_of() {
  case "$1" in
    linux-x64) echo x86_64-unknown-linux-gnu ;;
    linux-musl-x64) echo x86_64-unknown-linux-musl ;;
    linux-arm64) echo aarch64-unknown-linux-gnu ;;
    win-x64) echo x86_64-pc-windows-msvc ;;
    osx-arm64) echo aarch64-apple-darwin ;;
    osx-x64) echo x86_64-apple-darwin ;;
    *) return 1 ;;
  esac
}

# The path of the shared library inside an archive named NAME (bindings-c/scripts/install.sh's
# layout): the versioned .so on Linux (the unversioned name is a symlink), the .dylib on macOS,
# the DLL under bin/ on Windows.
member_of() {
  local name="$1" triple="$2" version="$3"
  case "$triple" in
    *-linux-*) echo "$name/lib/libofficernd_auth.so.$version" ;;
    *-apple-darwin) echo "$name/lib/libofficernd_auth.dylib" ;;
    *-windows-*) echo "$name/bin/officernd_auth.dll" ;;
  esac
}

# runtimes/<rid>/native/<file> as the nuspec's <files> list has them.
mapfile -t wanted < <(sed -n 's:.*<file src="\(runtimes/[^/]*/native/[^"]*\)".*:\1:p' "$here/OfficeRnD.Auth.nuspec")
[[ ${#wanted[@]} -gt 0 ]] || fail "the nuspec lists no runtimes/<rid>/native files"
version="$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$here/OfficeRnD.Auth.nuspec")"

for path in "${wanted[@]}"; do
  rid="$(cut -d/ -f2 <<<"$path")"
  triple="$(triple_of "$rid")" || fail "no Rust target known for the nuspec's runtime $rid"
  name="officernd-auth-c-$version-$triple"
  member="$(member_of "$name" "$triple" "$version")"
  dest="$stage/$path"
  install -d "$(dirname "$dest")"
  if [[ -f "$dist/$name.tar.gz" ]]; then
    tar -xzOf "$dist/$name.tar.gz" "$member" >"$dest" || fail "$name.tar.gz has no $member"
  elif [[ -f "$dist/$name.zip" ]]; then
    unzip -p "$dist/$name.zip" "$member" >"$dest" || fail "$name.zip has no $member"
  else
    fail "no C archive $name.tar.gz or .zip in $dist for $rid"
  fi
  [[ -s "$dest" ]] || fail "$member in $name is empty"
  chmod 0755 "$dest"
  echo "stage-runtimes: $rid <- $name ($member)"
done
