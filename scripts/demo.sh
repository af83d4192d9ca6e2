#!/usr/bin/env bash
# `make demo`: one mock identity server, then each language's demo target against it, then the
# mock's own count of token requests — the proof that the tokens came from cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=("$@")
exec "$root/scripts/with-mock.sh" bash -c '
  set -euo pipefail
  echo "mock identity server: $OFFICERND_MOCK_URL (client $OFFICERND_CLIENT_ID)"
  for t in "$@"; do
    echo; echo "################ $t"
    make --no-print-directory -C "'"$root"'" "$t"
  done
  echo
  echo "################ what the mock identity server saw"
  curl -sS "$OFFICERND_MOCK_URL/_mock/stats"; echo
  echo "(one token request per language process; every other call was served from cache)"
' demo "${targets[@]}"
