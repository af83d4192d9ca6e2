#!/usr/bin/env bash
# The README's cargo lines against the .crate files `make dist-crates` wrote, exactly as a user runs
# them against crates.io (what `make test-dist-crates` runs):
#   scripts/test-dist-crates.sh DIST_DIR
# 1. A registry replacing crates.io: the crates.io dependencies of the three crates, at the
#    versions of the repository's Cargo.lock, by `cargo vendor` (a directory source, cargo's own
#    format for a registry's packages), plus the three .crate files from DIST_DIR unpacked beside
#    them with the checksums cargo verifies (.cargo-checksum.json, "package" = the .crate's sha256).
# 2. A fresh CARGO_HOME whose config.toml replaces crates-io by that source (no other config, no
#    network: net.offline), and a fresh project outside the repository (mktemp -d):
#      cargo add officernd-auth            -> officernd-auth = "<version>" in Cargo.toml
#      cargo build                         -> the lock file records crates.io and the .crate's checksum
#      a main that fetches a token from the mock identity server (scripts/with-mock.sh)
#      cargo install officernd-auth-testkit -> officernd-mock-identity, which serves the next runs
#      cargo install officernd-auth-cli    -> officernd-auth check / token against that mock
# The builds share target/test-dist/crates-target (wiped when a .crate changes: a registry
# package of the same version is never rebuilt by cargo).
set -euo pipefail
dist="$(cd "${1:?usage: test-dist-crates.sh DIST_DIR}" && pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo="${CARGO:-cargo}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
crates=(officernd-auth officernd-auth-testkit officernd-auth-cli)
work="$root/target/test-dist/crates"
shared_target="$root/target/test-dist/crates-target"
retry="$root/scripts/retry.sh"
fail() { echo "test-dist-crates: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

for c in "${crates[@]}"; do [[ -f "$dist/$c-$version.crate" ]] || fail "no $dist/$c-$version.crate (make dist-crates)"; done
rm -rf "$work" && mkdir -p "$work/resolve/crates"

# ---- 1. the registry ----
# A workspace of the three unpacked crates (their published manifests), patched to each other,
# with the repository's lock file: `cargo vendor` copies every crates.io package they resolve to.
members=() patches=()
for c in "${crates[@]}"; do
  tar -C "$work/resolve/crates" -xzf "$dist/$c-$version.crate"
  members+=("\"crates/$c-$version\"")
  patches+=("$c = { path = \"crates/$c-$version\" }")
done
{
  echo "[workspace]"
  echo "members = [$(IFS=,; echo "${members[*]}")]"
  echo "resolver = \"2\""
  echo "[patch.crates-io]"
  printf '%s\n' "${patches[@]}"
} >"$work/resolve/Cargo.toml"
cp "$root/Cargo.lock" "$work/resolve/Cargo.lock"
(cd "$work/resolve" && "$retry" "$cargo" vendor --quiet --versioned-dirs "$work/registry" >/dev/null)
for c in "${crates[@]}"; do
  [[ ! -e "$work/registry/$c-$version" ]] || fail "cargo vendor took $c from crates.io instead of the patch"
  tar -C "$work/registry" -xzf "$dist/$c-$version.crate"
  python3 - "$work/registry/$c-$version" "$(sha256 "$dist/$c-$version.crate")" <<'EOF'
import hashlib, json, os, sys
top, package = sys.argv[1], sys.argv[2]
files = {}
for d, _, names in os.walk(top):
    for n in names:
        p = os.path.join(d, n)
        with open(p, "rb") as f:
            files[os.path.relpath(p, top)] = hashlib.sha256(f.read()).hexdigest()
with open(os.path.join(top, ".cargo-checksum.json"), "w") as f:
    json.dump({"files": files, "package": package}, f)
EOF
done
echo "test-dist-crates: registry of $(ls "$work/registry" | wc -l) packages ($(du -sh "$work/registry" | cut -f1)): crates.io's at the locked versions + ${crates[*]} from $dist"

# Registry packages are never rebuilt at the same version: a changed .crate wipes the shared target.
stamp="$(for c in "${crates[@]}"; do sha256 "$dist/$c-$version.crate"; done)"
if [[ "$(cat "$shared_target/.crates-sha256" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$shared_target" && mkdir -p "$shared_target" && echo "$stamp" >"$shared_target/.crates-sha256"
fi

# ---- 2. a user's machine ----
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
export CARGO_HOME="$home/cargo-home" CARGO_TARGET_DIR="$shared_target"
mkdir -p "$CARGO_HOME"
cat >"$CARGO_HOME/config.toml" <<EOF
[source.crates-io]
replace-with = "dist"

[source.dist]
directory = "$work/registry"

[net]
offline = true
EOF
cd "$home"
"$cargo" new --quiet --bin app
cd app
echo "\$ cargo add officernd-auth"
"$cargo" add officernd-auth
grep -qx "officernd-auth = \"$version\"" Cargo.toml || fail "cargo add wrote no officernd-auth = \"$version\": $(grep officernd Cargo.toml)"
cat >src/main.rs <<'EOF'
// A user's first program: a token from the environment's settings, then one from the cache.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = officernd_auth::TokenClient::from_env()?;
    let token = client.token()?;
    println!(
        "token {} expires in {} s",
        token.redacted(),
        token.expires_in().as_secs()
    );
    assert!(client.token()? == token, "the second call is served from the cache");
    Ok(())
}
EOF
echo "\$ cargo build"
nice "$cargo" build --quiet
python3 - "$(sha256 "$dist/officernd-auth-$version.crate")" "$version" <<'EOF' || fail "Cargo.lock does not record officernd-auth from crates.io with the .crate's checksum"
import sys, tomllib
want, version = sys.argv[1], sys.argv[2]
lock = tomllib.load(open("Cargo.lock", "rb"))
pkg = [p for p in lock["package"] if p["name"] == "officernd-auth"]
assert len(pkg) == 1 and pkg[0]["version"] == version, pkg
assert pkg[0]["source"] == "registry+https://github.com/rust-lang/crates.io-index", pkg[0]
assert pkg[0]["checksum"] == want, (pkg[0]["checksum"], want)
print(f"test-dist-crates: Cargo.lock: officernd-auth {version} from crates.io, checksum {want[:16]}… = dist's .crate")
EOF
app="$CARGO_TARGET_DIR/debug/app"

echo "\$ cargo install officernd-auth-testkit"
nice "$cargo" install --quiet --root "$home/bin-root" officernd-auth-testkit
mock="$home/bin-root/bin/officernd-mock-identity"
[[ -x "$mock" ]] || fail "cargo install officernd-auth-testkit installed no officernd-mock-identity"
out="$(OFFICERND_MOCK_BIN="$mock" "$root/scripts/with-mock.sh" "$app")" || fail "the app failed against the installed mock"
echo "$out"
grep -Eq '^token .* expires in [0-9]+ s$' <<<"$out" || fail "the app printed no token"
echo "test-dist-crates: the app (cargo add officernd-auth) fetched a token from the mock installed by cargo install officernd-auth-testkit"

if grep -q 'cargo install officernd-auth-cli' "$root/README.md"; then
  echo "\$ cargo install officernd-auth-cli"
  nice "$cargo" install --quiet --root "$home/bin-root" officernd-auth-cli
  cli="$home/bin-root/bin/officernd-auth"
  [[ -x "$cli" ]] || fail "cargo install officernd-auth-cli installed no officernd-auth"
  # shellcheck disable=SC2016 # expanded by the inner shell
  out="$(OFFICERND_MOCK_BIN="$mock" CLI="$cli" "$root/scripts/with-mock.sh" bash -c \
    '"$CLI" --no-cache check && "$CLI" --no-cache token --header')" || fail "officernd-auth check/token failed"
  grep -q '^Authorization: Bearer .' <<<"$out" || fail "officernd-auth token --header printed no header"
  echo "test-dist-crates: officernd-auth (cargo install officernd-auth-cli) checked the configuration and printed a header"
fi
echo "test-dist-crates: cargo add / build / install from dist's .crate files work as from crates.io"
