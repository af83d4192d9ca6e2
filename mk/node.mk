# Node package `officernd-auth` (bindings-node/: napi-rs 3 crate + npm package; examples/node/).
#   make test-node    npm ci, napi build, index.js/index.d.ts drift check, node --test (incl. tsc and
#                     the npm pack tarball install test) against the mock identity server
#   make build-node   debug build of the native module (what the demo needs)
#   make demo-node    examples/node/fetch_token.mjs against the running mock (make demo sets the env)
#   make bench-node   release build + benchmarks -> bindings-node/BENCHMARKS-node.md

NODE_DIR := $(ROOT)/bindings-node
NODE_BIN := $(NODE_DIR)/node_modules/.bin
NODE_DEPS_STAMP := $(NODE_DIR)/node_modules/.package-lock.json
NODE_GENERATED := index.js index.d.ts

TEST_TARGETS += test-node
DEMO_BUILD_TARGETS += build-node
DEMO_TARGETS += demo-node

.PHONY: node-deps build-node test-node demo-node bench-node

# npm ci from the committed package-lock.json (again only when the lock or package.json changes).
node-deps: $(NODE_DEPS_STAMP)
$(NODE_DEPS_STAMP): $(NODE_DIR)/package-lock.json $(NODE_DIR)/package.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

# Builds the native module (officernd-auth.<platform>.node) and regenerates index.js/index.d.ts;
# links the package into examples/node/node_modules so the example imports it by name.
build-node: node-deps
	cd $(NODE_DIR) && $(NODE_BIN)/napi build --platform
	mkdir -p $(ROOT)/examples/node/node_modules
	ln -sfn ../../../bindings-node $(ROOT)/examples/node/node_modules/officernd-auth

# The generated index.js/index.d.ts are checked in: rebuilding must not change them (on a clean
# clone, as in CI, the files before the build are the committed ones; while developing, the
# regenerated files are compared with the working copy, so an uncommitted update passes).
test-node: mock node-deps
	@cd $(NODE_DIR); snap="$$(mktemp -d)"; cp $(NODE_GENERATED) "$$snap/"; \
	$(NODE_BIN)/napi build --platform; \
	drift=0; for f in $(NODE_GENERATED); do diff -u "$$snap/$$f" "$$f" || drift=1; done; rm -rf "$$snap"; \
	if [ $$drift = 1 ]; then echo "bindings-node: generated $(NODE_GENERATED) drifted from the checked-in files: commit the regenerated ones" >&2; exit 1; fi
	cd $(NODE_DIR) && node --test --test-reporter=spec __test__/*.test.js __test__/*.test.mjs

demo-node:
	@echo "== Node example: TokenClient.fromEnv(), two token() calls, fetch with the header"
	node $(ROOT)/examples/node/fetch_token.mjs

bench-node: mock node-deps
	cd $(NODE_DIR) && $(NODE_BIN)/napi build --platform --release
	cd $(NODE_DIR) && node bench/run.mjs
