#!/usr/bin/env bash
# Runs one test command with its own mock identity server (a fresh port, so a fresh cache key and
# fresh counters), without the mock's 5-per-minute limit (the suites send more requests than that;
# the client's own budget is what they test):
#   OFFICERND_MOCK_BIN=… tests/with-mock.sh COMMAND [ARGS...]
# Exports OFFICERND_MOCK_URL, OFFICERND_TOKEN_URL and the demo app's OFFICERND_CLIENT_ID,
# OFFICERND_CLIENT_SECRET and OFFICERND_SCOPES. Synchronises on the mock's "listening" line.
set -euo pipefail
mock="${OFFICERND_MOCK_BIN:?OFFICERND_MOCK_BIN must name the officernd-mock-identity binary}"
[[ -x "$mock" ]] || { echo "with-mock: $mock not built (make mock)" >&2; exit 1; }
dir="$(mktemp -d)"
mkfifo "$dir/out"
"$mock" --port 0 --no-rate-limit >"$dir/out" 2>"$dir/err" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
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
