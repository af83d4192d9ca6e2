#!/usr/bin/env bash
# Runs a download step (pip/npm/apt/go install/rustup) up to 4 times, waiting 5, 15, 30 s between
# tries. Only for steps that fetch packages: a registry connection dropped mid-download (CI saw
# pip give up on a 101 MB wheel at 67.9 MB) should not fail `make test`. Never wrap a test run:
# a test that passes on a second try is hiding a flake.
set -uo pipefail
delays=(5 15 30)
for attempt in 1 2 3 4; do
  "$@" && exit 0
  status=$?
  ((attempt == 4)) && break
  delay=${delays[attempt - 1]}
  echo "retry.sh: '$1 ...' failed (exit $status, try $attempt of 4); trying again in ${delay}s" >&2
  sleep "$delay"
done
echo "retry.sh: '$1 ...' failed 4 times; giving up" >&2
exit "$status"
