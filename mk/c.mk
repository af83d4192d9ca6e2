# ---- C and C++: libofficernd_auth (bindings-c/), examples/c, examples/cpp ----------------------
# The library is installed into a git-ignored prefix under target/ and every C/C++ program is
# built against that prefix, as an integrator would (pkg-config, find_package).
C_PREFIX := $(ROOT)/target/c-prefix
C_TEST_BUILD := $(ROOT)/target/c-tests
C_EXAMPLES := $(ROOT)/target/c-examples

LINT_TARGETS += lint-c
TEST_TARGETS += test-c
DEMO_BUILD_TARGETS += build-c
DEMO_TARGETS += demo-c

.PHONY: lint-c test-c build-c demo-c

# include/officernd_auth.h must be what the pinned cbindgen generates from the sources.
lint-c:
	$(CARGO) test -p officernd-auth-c --test header

# Rust unit tests of the ABI layer (panic boundary, error object), then the C tests (pkg-config;
# plain, valgrind, ASan, static), the C++ tests (find_package) and the examples, through ctest.
test-c: mock
	$(CARGO) test -p officernd-auth-c --lib
	CARGO="$(CARGO)" $(ROOT)/bindings-c/tests/run.sh $(C_PREFIX) $(C_TEST_BUILD) debug

build-c:
	CARGO="$(CARGO)" $(ROOT)/bindings-c/scripts/install.sh $(C_PREFIX) debug
	mkdir -p $(C_EXAMPLES)
	PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig $(MAKE) --no-print-directory -C $(ROOT)/examples/c BUILD_DIR=$(C_EXAMPLES)

demo-c:
	@echo "== C example (examples/c/fetch_token.c against libofficernd_auth from $(C_PREFIX))"
	$(C_EXAMPLES)/fetch_token
