#!/usr/bin/env bash
# Fails when a shared object or executable needs a glibc symbol version newer than MAX:
#   scripts/check-glibc.sh MAX FILE...        (MAX like 2.17; what manylinux2014 / RHEL 7 ship)
# Reads the version needs with readelf -V (binutils), prints the newest GLIBC_x.y each file needs.
set -euo pipefail
max="${1:?usage: check-glibc.sh MAX FILE...}"
shift
status=0
for f in "$@"; do
  newest="$(readelf -V --wide "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
  if [[ -z "$newest" ]]; then
    echo "check-glibc: $f needs no versioned glibc symbol (static or musl)"
  elif [[ "$(printf '%s\n%s\n' "$newest" "$max" | sort -V | tail -n 1)" != "$max" ]]; then
    echo "check-glibc: $f needs GLIBC_$newest, newer than $max" >&2
    status=1
  else
    echo "check-glibc: $f needs at most GLIBC_$newest (limit $max)"
  fi
done
exit "$status"
