#!/usr/bin/env bash
# The interop check (make test-interop): the Go module and the .NET library, each used by a
# program OUTSIDE the repository as an integrator would, against a REAL OAuth 2.0 server on
# loopback (interop/real-server: github.com/go-oauth2/oauth2/v4, not the project's mock).
#   interop/run.sh
# From make (mk/interop.mk), in the environment:
#   INTEROP_C_PREFIX     where bindings-c/scripts/install.sh installed libofficernd_auth
#   INTEROP_SERVER_BIN   the built real-server
#   INTEROP_DOTNET_LIB   the built OfficeRnD.Auth.dll
#   INTEROP_MCS_FLAGS    mcs flags (reference assemblies) the library is built with
#   RETRY                scripts/retry.sh, for the one download step (go mod tidy)
# Runs, in order, each program in a fresh temporary directory (mktemp -d, outside the checkout):
#   0. Go with a wrong secret: the server's invalid_client answer is an oauth error -> 1 request
#   1. Go, memory store: a token, the cached token, GET /api/me through client.Transport -> 1 request
#   2. C#, memory store: GET /api/me through HttpClient + OfficeRnDAuthHandler; the server revokes
#      every token; GET again: the handler's 401 rule fetches one new token -> 2 requests
#   3. Go then C#, one file store: Go fetches (1 request), C# reads the token from the store (0)
# and then checks what the server saw: exactly 5 token requests, 4 tokens issued, each token
# request's User-Agent naming its binding (go, go, dotnet, dotnet, go), 5 resource calls accepted
# and the 1 refused (the revoked token). The client secret is random per run and never printed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${INTEROP_C_PREFIX:?}" "${INTEROP_SERVER_BIN:?}" "${INTEROP_DOTNET_LIB:?}" "${INTEROP_MCS_FLAGS:?}"
retry="${RETRY:-$root/scripts/retry.sh}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"

work="$(mktemp -d)"
case "$work/" in "$root"/*) echo "interop: $work is inside the checkout" >&2; exit 1 ;; esac
server_pid=""
cleanup() {
  [[ -z "$server_pid" ]] || { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the real server, on a free loopback port -------------------------------------------------
OFFICERND_CLIENT_ID="interop-client"
OFFICERND_CLIENT_SECRET="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export OFFICERND_CLIENT_ID OFFICERND_CLIENT_SECRET
export OFFICERND_SCOPES="officernd.api.read officernd.api.write"
mkfifo "$work/server.out"
INTEROP_CLIENT_SECRET="$OFFICERND_CLIENT_SECRET" "$INTEROP_SERVER_BIN" -client-id "$OFFICERND_CLIENT_ID" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
# The server prints "real-server listening on http://127.0.0.1:PORT" once it accepts
# connections: reading that line is the synchronisation (no polling, no sleep).
exec 3<"$work/server.out"
line=""
read -r -t 30 line <&3 || true
[[ "$line" == "real-server listening on http://"* ]] || { echo "interop: the server did not start: $line" >&2; cat "$work/server.err" >&2; exit 1; }
url="${line##* }"
export OFFICERND_TOKEN_URL="$url/oauth/token"
unset OFFICERND_STORE OFFICERND_STORE_PATH
echo "interop: real OAuth 2.0 server (go-oauth2/oauth2 v4) at $url"

# ---- the Go program: its own module outside the repository ------------------------------------
mkdir "$work/go-client"
cp "$root/interop/go-client/main.go" "$work/go-client/"
cat >"$work/go-client/go.mod" <<GOMOD
module interop.example/go-client

go 1.24.0

require github.com/officernd-auth/officernd-auth/bindings-go v0.0.0

replace github.com/officernd-auth/officernd-auth/bindings-go => $root/bindings-go
GOMOD
(cd "$work/go-client" && "$retry" "${GO:-go}" mod tidy)
(cd "$work/go-client" && CGO_ENABLED=1 PKG_CONFIG_PATH="$INTEROP_C_PREFIX/lib/pkgconfig" \
  CGO_LDFLAGS="-Wl,-rpath,$INTEROP_C_PREFIX/lib" "${GO:-go}" build -o "$work/go-client/go-client" .)

# ---- the C# program: compiled outside the repository against the built assembly --------------
mkdir "$work/dotnet-client"
cp "$root/interop/dotnet-client/Program.cs" "$INTEROP_DOTNET_LIB" "$work/dotnet-client/"
# shellcheck disable=SC2086 # INTEROP_MCS_FLAGS is a list of flags
mcs -target:exe $INTEROP_MCS_FLAGS -r:"$work/dotnet-client/OfficeRnD.Auth.dll" \
  -out:"$work/dotnet-client/DotnetClient.exe" "$work/dotnet-client/Program.cs"
dotnet_client() {
  LD_LIBRARY_PATH="$INTEROP_C_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    mono --debug "$work/dotnet-client/DotnetClient.exe" "$@"
}

# ---- the runs ----------------------------------------------------------------------------------
resource="$url/api/me"
echo "== 0. Go with a wrong secret: the server's own error answer"
OFFICERND_CLIENT_SECRET="wrong-$OFFICERND_CLIENT_SECRET" "$work/go-client/go-client" -expect-oauth-error invalid_client
echo "== 1. Go (memory store)"
"$work/go-client/go-client" -resource "$resource" -expect-requests 1
echo "== 2. C# (memory store), HttpClient + OfficeRnDAuthHandler, the server revokes its tokens midway"
dotnet_client "$resource" 2 --revoke "$url/_interop/revoke"
echo "== 3. Go then C#, one file store: the C# process uses the token the Go process stored"
mkdir -m 700 "$work/store"
OFFICERND_STORE=file OFFICERND_STORE_PATH="$work/store" "$work/go-client/go-client" -resource "$resource" -expect-requests 1
OFFICERND_STORE=file OFFICERND_STORE_PATH="$work/store" dotnet_client "$resource" 0

# ---- what the server saw ------------------------------------------------------------------------
stats="$(curl -sS --fail "$url/_interop/stats")"
echo "interop: the server saw $stats"
python3 - "$stats" "$version" <<'PY'
import json, sys
seen, version = json.loads(sys.argv[1]), sys.argv[2]
want = {
    "token_requests": 5,
    "tokens_issued": 4,
    "user_agents": [f"officernd-auth/{version} ({b})" for b in ("go", "go", "dotnet", "dotnet", "go")],
    "resource_accepted": 5,
    "resource_refused": 1,
}
bad = {k: (seen.get(k), v) for k, v in want.items() if seen.get(k) != v}
if bad:
    sys.exit("interop: unexpected " + ", ".join(f"{k} {got!r} (want {w!r})" for k, (got, w) in bad.items()))
PY
echo "interop: Go and C# got tokens from a real OAuth 2.0 server that its protected resource accepts; 5 token requests (1 refused), as expected"
