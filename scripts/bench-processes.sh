#!/usr/bin/env bash
# How many token requests N processes make on an empty cache, per store (issue: shared stores).
# Starts its own mock (and redis-server, if installed) on loopback; prints a Markdown table.
#   scripts/bench-processes.sh            (after: cargo build -p officernd-auth-cli -p officernd-auth-testkit)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="$root/target/debug/officernd-auth"
work="$(mktemp -d)"
redis_pid=""
cleanup() { [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
stores=(memory file)
if command -v redis-server >/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkfifo "$work/redis.out"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no >"$work/redis.out" &
  redis_pid=$!
  exec 4<"$work/redis.out"
  while read -r line <&4; do [[ "$line" == *"Ready to accept connections"* ]] && break; done
  cat <&4 >/dev/null &
  stores+=("redis://127.0.0.1:$port")
fi
# The mock's own rate limit is off: the count shows what the client would have sent.
run() {
  "$root/scripts/with-mock.sh" bash -c '
    set -euo pipefail
    curl -s -XPOST "$OFFICERND_MOCK_URL/_mock/config" -H "content-type: application/json" -d "{\"rate_limit\":null}" >/dev/null
    store="$1"; n="$2"; dir="$3"; cli="$4"
    start=$(date +%s%N)
    for _ in $(seq "$n"); do "$cli" token --store "$store" $([[ $store == file ]] && echo --cache-dir "$dir") >/dev/null & done
    wait
    end=$(date +%s%N)
    reqs=$(curl -s "$OFFICERND_MOCK_URL/_mock/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"token_requests\"])")
    echo "$reqs $(( (end - start) / 1000000 ))"
  ' run "$@"
}
echo "| store | N=1 | N=4 | N=16 | N=64 |"
echo "| --- | --- | --- | --- | --- |"
for store in "${stores[@]}"; do
  row="| ${store%%:*}"
  for n in 1 4 16 64; do
    dir="$work/cache-$n-$RANDOM"
    [[ "$store" == redis* ]] && redis-cli -p "${store##*:}" flushall >/dev/null 2>&1 || true
    read -r reqs ms < <(run "$store" "$n" "$dir" "$cli")
    row+=" | $reqs request(s), ${ms} ms"
  done
  echo "$row |"
done
