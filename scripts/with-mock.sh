#!/usr/bin/env bash
# Runs a command with the mock identity server up on a free loopback port:
#   scripts/with-mock.sh COMMAND [ARGS...]
# Exports OFFICERND_MOCK_URL, OFFICERND_TOKEN_URL and the demo app's OFFICERND_CLIENT_ID,
# OFFICERND_CLIENT_SECRET and OFFICERND_SCOPES for the command, and stops the server after it.
# Extra flags for the mock go in OFFICERND_MOCK_ARGS (e.g. "--no-rate-limit").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mock="${OFFICERND_MOCK_BIN:-$root/target/debug/officernd-mock-identity}"
[[ -x "$mock" ]] || { echo "with-mock: $mock not built (run: cargo build -p officernd-auth-testkit)" >&2; exit 1; }
dir="$(mktemp -d)"
mkfifo "$dir/out"
# shellcheck disable=SC2086 # OFFICERND_MOCK_ARGS is a list of flags
"$mock" --port 0 ${OFFICERND_MOCK_ARGS:-} >"$dir/out" 2>"$dir/err" &
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
