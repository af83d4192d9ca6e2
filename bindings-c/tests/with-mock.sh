#!/usr/bin/env bash
# Runs one test command with its own mock identity server (a fresh port, so a fresh cache key and
# fresh counters), without the mock's 5-per-minute limit (the suites send more requests than that;
# the client's own budget is what they test). See scripts/with-mock.sh for what it exports.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
OFFICERND_MOCK_ARGS="--no-rate-limit ${OFFICERND_MOCK_ARGS:-}" exec "$root/scripts/with-mock.sh" "$@"
