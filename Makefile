# officernd-auth — the two set-up commands on a fresh machine:
#   make demo   build, start the mock identity server on loopback, fetch and cache a token from
#               every language, call the mock's protected resource, show the request count, stop.
#   make test   every linter and test suite there is (what CI runs, through .ci/run).
#
# Each language adds its own targets in mk/<language>.mk by appending to the lists below.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
ROOT := $(abspath .)
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

# The mock identity server binary: scripts/with-mock.sh starts it for every suite and the demo.
MOCK_BIN := $(ROOT)/target/debug/officernd-mock-identity
CLI_BIN := $(ROOT)/target/debug/officernd-auth
export OFFICERND_MOCK_BIN := $(MOCK_BIN)

# One virtualenv for every Python tool the Makefile needs (created on first use).
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
# Wraps steps that only download packages (a dropped registry connection retried, not a test).
RETRY := $(ROOT)/scripts/retry.sh
# The machine's python3 (for small JSON checks that need no package).
PY_SYS := python3

LINT_TARGETS := lint-rust lint-crates
TEST_TARGETS := test-rust
DEMO_BUILD_TARGETS := build-rust
DEMO_TARGETS := demo-rust

-include $(sort $(wildcard mk/*.mk))

.PHONY: help test demo lint deps mock build-rust lint-rust lint-crates test-rust demo-rust bench venv

help:
	@echo "make demo    run the demo: mock identity server + a cached token from every language"
	@echo "make test    run every linter and test suite (what CI runs)"
	@echo "make bench   run the benchmarks (numbers go in BENCHMARKS.md)"

deps:
	@scripts/install-deps.sh

venv: $(PY)
$(PY):
	python3 -m venv $(VENV)
	$(RETRY) $(VENV)/bin/pip install --quiet --upgrade pip

test: deps
	$(MAKE) lint
	$(MAKE) $(TEST_TARGETS)
	@echo "make test: every suite passed"

lint: $(LINT_TARGETS)

demo: deps
	$(MAKE) $(DEMO_BUILD_TARGETS)
	scripts/demo.sh $(DEMO_TARGETS)

# The mock identity server binary (other languages' suites depend on this target).
mock:
	$(CARGO) build -p officernd-auth-testkit --bin officernd-mock-identity

# ---- Rust: core, testkit, CLI -------------------------------------------------------------
build-rust:
	$(CARGO) build -p officernd-auth-testkit -p officernd-auth-cli --examples --bins
	$(CARGO) build -p officernd-auth --examples
	$(CARGO) build -p officernd-auth --features reqwest-middleware --example rust_async

lint-rust:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p officernd-auth --all-features --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p officernd-auth --all-features --no-deps

# The published crates: each one's file list carries its readme and both licence texts (cheap: no
# build; `make dist-crates` packages and verifies them), and the core's docs build without a
# warning (docs.rs builds them with every feature).
PUBLISHED_CRATES := officernd-auth officernd-auth-testkit officernd-auth-cli
lint-crates:
	@for crate in $(PUBLISHED_CRATES); do \
	  files="$$($(CARGO) package -p $$crate --allow-dirty --no-verify --list 2>/dev/null)"; \
	  for f in README.md LICENSE-MIT LICENSE-APACHE Cargo.toml; do \
	    grep -qx "$$f" <<<"$$files" || { echo "lint-crates: $$crate's package has no $$f" >&2; exit 1; }; \
	  done; \
	  meta="$$($(CARGO) metadata --no-deps --format-version 1 | $(PY_SYS) -c 'import json,sys; p=[p for p in json.load(sys.stdin)["packages"] if p["name"]==sys.argv[1]][0]; print(" ".join(k for k in ("description","license","repository","readme","keywords","categories") if not p.get(k)))' $$crate)"; \
	  [ -z "$$meta" ] || { echo "lint-crates: $$crate has no $$meta in Cargo.toml" >&2; exit 1; }; \
	  echo "lint-crates: $$crate packages README.md, LICENSE-MIT, LICENSE-APACHE; metadata complete"; \
	done
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p officernd-auth --all-features

test-rust:
	$(CARGO) test -p officernd-auth --features redis,async,reqwest-middleware -p officernd-auth-testkit -p officernd-auth-cli

demo-rust:
	@echo "== CLI: officernd-auth check (validates the configuration, never prints the token)"
	$(CLI_BIN) check
	@echo "== CLI: curl -H \"Authorization: Bearer \$$(officernd-auth token)\" $$OFFICERND_MOCK_URL/api/v2/me"
	curl -sS --fail-with-body -H "Authorization: Bearer $$($(CLI_BIN) token)" "$$OFFICERND_MOCK_URL/api/v2/me"; echo
	@echo "== Rust example: TokenClient::from_env(), two token() calls, an authorised call"
	$(ROOT)/target/debug/examples/fetch_token
	@echo "== Rust async example: an axum app calling the API through reqwest + AuthMiddleware (token from the store)"
	$(ROOT)/target/debug/examples/rust_async

bench:
	$(CARGO) bench -p officernd-auth --features redis,async --bench token
