# Node package `officernd-auth` (bindings-node/: napi-rs 3 crate + npm package; examples/node/).
#   make test-node    npm ci, napi build, index.js/index.d.ts drift check, node --test (incl. tsc and
#                     the npm pack tarball install test) against the mock identity server
#   make lint-node    eslint over lib/, __test__/, bench/; tsc --noEmit over the .d.ts files and
#                     the typed examples
#   make build-node   debug build of the native module (what the demo needs)
#   make demo-node    examples/node/fetch_token.mjs against the running mock (make demo sets the env)
#   make bench-node   release build + benchmarks -> bindings-node/BENCHMARKS-node.md

NODE_DIR := $(ROOT)/bindings-node
NODE_BIN := $(NODE_DIR)/node_modules/.bin
NODE_DEPS_STAMP := $(NODE_DIR)/node_modules/.package-lock.json
NODE_GENERATED := index.js index.d.ts

TEST_TARGETS += test-node
LINT_TARGETS += lint-node
DEMO_BUILD_TARGETS += build-node
DEMO_TARGETS += demo-node

.PHONY: node-deps build-node test-node lint-node demo-node bench-node

# npm ci from the committed package-lock.json (again only when the lock or package.json changes).
node-deps: $(NODE_DEPS_STAMP)
$(NODE_DEPS_STAMP): $(NODE_DIR)/package-lock.json $(NODE_DIR)/package.json
	cd $(NODE_DIR) && $(RETRY) npm ci --no-audit --no-fund
	touch $@

# Builds the native module (officernd-auth.<platform>.node) and regenerates index.js/index.d.ts;
# links the package into examples/node/node_modules so the example imports it by name.
build-node: node-deps
	cd $(NODE_DIR) && $(NODE_BIN)/napi build --platform
	mkdir -p $(ROOT)/examples/node/node_modules
	ln -sfn ../../../bindings-node $(ROOT)/examples/node/node_modules/officernd-auth

# The generated index.js/index.d.ts are checked in: regenerating them must give the committed
# files (CI runs on a clean clone). `git diff` compares with the index, so while developing,
# `git add` the regenerated files before running this.
test-node: mock node-deps
	cd $(NODE_DIR) && $(NODE_BIN)/napi build --platform
	@cd $(NODE_DIR) && git diff --exit-code -- $(NODE_GENERATED) || { \
	  echo "bindings-node: the regenerated $(NODE_GENERATED) differ from the committed ones: commit them" >&2; exit 1; }
	cd $(NODE_DIR) && $(ROOT)/scripts/with-mock.sh node --test --test-reporter=spec __test__/*.test.js __test__/*.test.mjs

# No build needed: the .d.ts files are checked in.
lint-node: node-deps
	cd $(NODE_DIR) && $(NODE_BIN)/eslint lib __test__ bench eslint.config.mjs
	cd $(NODE_DIR) && $(NODE_BIN)/tsc --noEmit -p tsconfig.json

demo-node:
	@echo "== Node example: TokenClient.fromEnv(), two token() calls, fetch with the header"
	node $(ROOT)/examples/node/fetch_token.mjs

bench-node: mock node-deps
	cd $(NODE_DIR) && $(NODE_BIN)/napi build --platform --release
	cd $(NODE_DIR) && $(ROOT)/scripts/with-mock.sh node bench/run.mjs
