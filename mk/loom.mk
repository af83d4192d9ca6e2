# ---- loom: model check of the single-flight state machine (core/src/single_flight.rs) ---------
# `make test-loom` runs the `loom_tests` models: loom executes each one (2–3 threads calling
# SingleFlight::get / invalidate) under every interleaving of the flight's mutex, condition
# variable and cache slot (exhaustively for two threads, up to 3 preemptions for three; more
# with LOOM_MAX_PREEMPTIONS=n). That proves, for those executions: one fetch per flight and never
# two at once, waiters get the leader's token or error (also when the fetch panics), no lost
# wake-up (a waiter left waiting is a deadlock loom reports), a stale token is served without
# waiting while exactly one caller refreshes (and only one refresh is tried when it fails), and
# an invalidation racing a refresh never leaves the old token cached nor drops the new one.
#
# The models need the crate built with `--cfg loom` (sync.rs and fork.rs swap in loom's
# primitives; loom itself is a cfg(loom) dev-dependency), but not its dependencies: tokio reads
# the same cfg and drops tokio::net, which breaks axum (the testkit's mock server), so
# RUSTFLAGS="--cfg loom" does not build. The flag is added by a RUSTC_WORKSPACE_WRAPPER instead,
# which cargo applies to workspace members only (and to its cfg probe, so the cfg(loom)
# dev-dependency is resolved). Release: the models run much faster optimised. A separate target
# dir: the flag (and the wrapper) would otherwise invalidate the normal build cache every time.
LOOM_TARGET_DIR := $(ROOT)/target/loom
LOOM_RUSTC_WRAPPER := $(LOOM_TARGET_DIR)/rustc-cfg-loom

TEST_TARGETS += test-loom

.PHONY: test-loom

test-loom: $(LOOM_RUSTC_WRAPPER)
	RUSTC_WORKSPACE_WRAPPER=$(LOOM_RUSTC_WRAPPER) CARGO_TARGET_DIR=$(LOOM_TARGET_DIR) \
	  $(CARGO) test -p officernd-auth --lib --release loom_tests

# Called as `<wrapper> <rustc> <args…>`: runs rustc with `--cfg loom` appended.
$(LOOM_RUSTC_WRAPPER): $(ROOT)/mk/loom.mk
	mkdir -p $(@D)
	printf '#!/bin/sh\nexec "$$@" --cfg loom\n' > $@
	chmod +x $@
