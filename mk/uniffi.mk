# ---- UniFFI: Kotlin (JVM), Swift, Python generated from bindings-uniffi/ ------------------
# Bindings are generated from the built library (library mode) into bindings-uniffi/generated/
# (git-ignored). The Kotlin suite and example are Maven projects: everything they need comes
# from Maven Central (versions pinned in their pom.xml); the JDK and mvn are on the machine.

UNIFFI_TARGET := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)/debug
UNIFFI_LIB := $(UNIFFI_TARGET)/libofficernd_auth_uniffi.so
UNIFFI_BINDGEN := $(UNIFFI_TARGET)/uniffi-bindgen
UNIFFI_GEN := $(ROOT)/bindings-uniffi/generated
# -B batch, -ntp no download progress, no colours: plain logs in CI.
UNIFFI_MVN := mvn -B -ntp -Dstyle.color=never -Duniffi.lib.dir=$(UNIFFI_TARGET)

LINT_TARGETS += lint-uniffi
TEST_TARGETS += test-uniffi
DEMO_BUILD_TARGETS += build-uniffi
DEMO_TARGETS += demo-uniffi

.PHONY: uniffi-generate build-uniffi lint-uniffi test-uniffi demo-uniffi

# Builds the cdylib and the crate's own uniffi-bindgen, then generates Kotlin, Swift and Python.
uniffi-generate:
	$(CARGO) build -p officernd-auth-uniffi --features cli --bin uniffi-bindgen
	$(CARGO) build -p officernd-auth-uniffi --lib
	rm -rf $(UNIFFI_GEN)
	for lang in kotlin swift python; do \
	  $(UNIFFI_BINDGEN) generate --no-format --library $(UNIFFI_LIB) --language $$lang --out-dir $(UNIFFI_GEN)/$$lang; \
	done
	cp $(UNIFFI_LIB) $(UNIFFI_GEN)/python/
	@if command -v swiftc >/dev/null; then \
	  echo "== swiftc: type-checking the generated Swift"; \
	  swiftc -typecheck -I $(UNIFFI_GEN)/swift -Xcc -fmodule-map-file=$(UNIFFI_GEN)/swift/OfficeRnDAuthFFI.modulemap $(UNIFFI_GEN)/swift/OfficeRnDAuth.swift; \
	else \
	  echo "== Swift bindings generated in $(UNIFFI_GEN)/swift (no swiftc here to compile them)"; \
	fi

# ktlint (pinned in bindings-uniffi/kotlin/pom.xml, from Maven Central) over the hand-written
# Kotlin: bindings-uniffi/kotlin/src and examples/kotlin/src, not the generated bindings. No build
# needed. To fix what it can: mvn -f bindings-uniffi/kotlin/pom.xml antrun:run@ktlint -Dktlint.flag=--format
lint-uniffi:
	$(UNIFFI_MVN) -f bindings-uniffi/kotlin/pom.xml antrun:run@ktlint

build-uniffi: uniffi-generate
	$(UNIFFI_MVN) -q -f examples/kotlin/pom.xml compile

test-uniffi: mock uniffi-generate
	@echo "== Kotlin example (examples/kotlin) against the mock"
	scripts/with-mock.sh $(UNIFFI_MVN) -q -f examples/kotlin/pom.xml compile exec:java
	@echo "== Kotlin tests (bindings-uniffi/kotlin, JUnit 5) against the mock"
	scripts/with-mock.sh $(UNIFFI_MVN) -f bindings-uniffi/kotlin/pom.xml test
	@echo "== Python smoke test of the uniffi-generated module"
	UNIFFI_PYTHON_DIR=$(UNIFFI_GEN)/python scripts/with-mock.sh --no-rate-limit -- \
	  python3 -m unittest -v bindings-uniffi/python/test_uniffi_smoke.py

demo-uniffi:
	@echo "== Kotlin (UniFFI) example: TokenClient.fromEnv(), two calls, HttpClient to the API"
	$(UNIFFI_MVN) -q -f examples/kotlin/pom.xml exec:java
