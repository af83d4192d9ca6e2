#!/usr/bin/env bash
# The one way a test suite, an example or the demo gets the mock identity server: runs a command
# with the mock (testkit's officernd-mock-identity) up on a free loopback port, and stops it after.
#   scripts/with-mock.sh COMMAND [ARGS...]
#   scripts/with-mock.sh MOCK-FLAGS... -- COMMAND [ARGS...]     e.g. --no-rate-limit -- ctest
# Mock flags (see testkit/README.md) go before `--`, or in OFFICERND_MOCK_ARGS (e.g. "--no-rate-limit").
# Exports OFFICERND_MOCK_URL, OFFICERND_TOKEN_URL and the demo app's OFFICERND_CLIENT_ID,
# OFFICERND_CLIENT_SECRET and OFFICERND_SCOPES for the command.
# A suite whose tests each need a mock of their own (fresh counters, a fresh token URL) asks this
# one for them over HTTP: POST $OFFICERND_MOCK_URL/_mock/servers {"args": [FLAGS]} answers
# {"url", "port"}; DELETE $OFFICERND_MOCK_URL/_mock/servers/PORT stops it. No suite starts the
# binary or reads its output itself.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mock="${OFFICERND_MOCK_BIN:-$root/target/debug/officernd-mock-identity}"
[[ -x "$mock" ]] || { echo "with-mock: $mock not built (run: make mock)" >&2; exit 1; }
# shellcheck disable=SC2206 # OFFICERND_MOCK_ARGS is a list of flags
flags=(${OFFICERND_MOCK_ARGS:-})
if [[ "${1:-}" == -* ]]; then
  while (($#)) && [[ "$1" != "--" ]]; do flags+=("$1"); shift; done
  (($#)) || { echo "with-mock: mock flags must end with -- before the command" >&2; exit 2; }
  shift
fi
(($#)) || { echo "usage: with-mock.sh [MOCK-FLAGS... --] COMMAND [ARGS...]" >&2; exit 2; }
dir="$(mktemp -d)"
mkfifo "$dir/out"
"$mock" --port 0 "${flags[@]}" >"$dir/out" 2>"$dir/err" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
# The server prints "... listening on http://127.0.0.1:PORT" once it accepts connections:
# waiting for that line is the synchronisation (no polling, no sleep).
exec 3<"$dir/out"
line=""
read -r -t 30 line <&3 || true
[[ "$line" == *"listening on http"* ]] || { echo "with-mock: server did not start: $line" >&2; cat "$dir/err" >&2; exit 1; }
url="${line##* }"
export OFFICERND_MOCK_URL="$url"
export OFFICERND_TOKEN_URL="$url/oauth/token"
export OFFICERND_CLIENT_ID="demo-client-id"
export OFFICERND_CLIENT_SECRET="demo-client-secret-s3cr3t"
export OFFICERND_SCOPES="officernd.api.read officernd.api.write"
"$@"
