#!/usr/bin/env bash
# `make demo`: one mock identity server, then each language's demo target against it, then the
# mock's own count of token requests. Every language's process shares one token through the file
# store (OFFICERND_STORE=file), so the whole demo makes a single token request — the point of the
# project, with OfficeRnD allowing 5 per minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
store="$(mktemp -d)/officernd-auth"
trap 'rm -rf "$(dirname "$store")"' EXIT
export OFFICERND_STORE=file OFFICERND_STORE_PATH="$store"
"$root/scripts/with-mock.sh" bash -c '
  set -euo pipefail
  echo "mock identity server: $OFFICERND_MOCK_URL (client $OFFICERND_CLIENT_ID)"
  echo "token store shared by every process below: $OFFICERND_STORE_PATH"
  for t in "$@"; do
    echo; echo "################ $t"
    make --no-print-directory -C "'"$root"'" "$t"
  done
  echo
  echo "################ what the mock identity server saw"
  curl -sS "$OFFICERND_MOCK_URL/_mock/stats"; echo
  echo "(one token request for every language and process above: the first fetched it, the others"
  echo " read it from the shared file store; calls within a process were served from memory)"
' demo "$@"
