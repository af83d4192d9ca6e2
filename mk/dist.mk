# ---- Release artifacts: make dist, make test-dist (not part of make test) ----------------------
# Cross builds with zig as the linker (ziglang and cargo-zigbuild from PyPI, pinned below, in the
# project venv): Linux gnu artifacts link against glibc 2.17 (manylinux2014), musl ones are static.
#   make dist           every artifact this machine can build, into dist/, each checked:
#     dist-crates       officernd-auth, officernd-auth-testkit, officernd-auth-cli .crate files
#                       (cargo package, verified: each builds from its own tarball)
#     dist-c            officernd-auth-c-<version>-x86_64-unknown-linux-gnu.tar.gz (lib, headers,
#                       pkg-config, CMake, licences), glibc symbol versions checked <= 2.17
#     dist-python       manylinux_2_17 and musllinux_1_2 wheels (x86_64, aarch64) and the sdist;
#                       tags and symbol versions checked (auditwheel show; readelf for musl)
#   make test-dist      installs what this machine can run into fresh environments:
#     test-dist-c       the C archive unpacked into an empty prefix; examples/c (pkg-config) and
#                       examples/cpp (find_package) built from it and run against the mock
#     test-dist-python  the manylinux_2_17 x86_64 wheel in a fresh venv, fetching a token
# Targets the release workflow builds on their own runners (macOS, Windows MSVC) are not here.
DIST := $(ROOT)/dist
DIST_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(ROOT)/Cargo.toml | head -n 1)
DIST_TOOLS_STAMP := $(VENV)/.officernd-dist-tools
# Pinned: zig is the linker of every cross artifact.
DIST_TOOLS := ziglang==0.17.1 cargo-zigbuild==0.24.1 auditwheel==6.8.2
DIST_ENV := PATH=$(VENV)/bin:$$PATH
RUST_CROSS_TARGETS := x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl
GLIBC_MAX := 2.17
# The SONAME's version (bindings-c/build.rs): 0.<minor> while 0.x.
C_SOVERSION := $(if $(filter 0,$(word 1,$(subst ., ,$(DIST_VERSION)))),0.$(word 2,$(subst ., ,$(DIST_VERSION))),$(word 1,$(subst ., ,$(DIST_VERSION))))
C_DIST_TRIPLE := x86_64-unknown-linux-gnu
C_DIST_NAME := officernd-auth-c-$(DIST_VERSION)-$(C_DIST_TRIPLE)
C_DIST_ARCHIVE := $(DIST)/$(C_DIST_NAME).tar.gz
C_DIST_STAGE := $(ROOT)/target/dist-c/$(C_DIST_NAME)
TEST_DIST_DIR := $(ROOT)/target/test-dist

.PHONY: dist test-dist dist-tools dist-targets dist-crates dist-c test-dist-c dist-python test-dist-python

dist: dist-crates dist-c dist-python
	@echo "make dist: artifacts in dist/"; ls -l $(DIST)

test-dist: test-dist-c test-dist-python
	@echo "make test-dist: every artifact this machine can run works from a fresh install"

dist-tools: $(DIST_TOOLS_STAMP)
$(DIST_TOOLS_STAMP): $(ROOT)/mk/dist.mk | venv
	$(PY) -m pip install --quiet --disable-pip-version-check $(DIST_TOOLS)
	touch $@

dist-targets:
	rustup target add $(RUST_CROSS_TARGETS)

# ---- crates ----
dist-crates:
	$(CARGO) package -p officernd-auth -p officernd-auth-testkit -p officernd-auth-cli
	mkdir -p $(DIST)
	cp $(ROOT)/target/package/officernd-auth-$(DIST_VERSION).crate \
	   $(ROOT)/target/package/officernd-auth-testkit-$(DIST_VERSION).crate \
	   $(ROOT)/target/package/officernd-auth-cli-$(DIST_VERSION).crate $(DIST)/

# ---- C archive ----
# install.sh into a staging prefix (relocatable .pc and CMake package), licences and docs beside.
dist-c: dist-tools dist-targets
	rm -rf $(C_DIST_STAGE)
	$(DIST_ENV) CARGO="$(CARGO)" $(ROOT)/bindings-c/scripts/install.sh --zig --target $(C_DIST_TRIPLE).$(GLIBC_MAX) \
	  $(C_DIST_STAGE) release
	install -d $(C_DIST_STAGE)/share/doc/officernd-auth
	install -m 0644 $(ROOT)/LICENSE-MIT $(ROOT)/LICENSE-APACHE $(ROOT)/README.md $(ROOT)/CHANGELOG.md \
	  $(ROOT)/SECURITY.md $(C_DIST_STAGE)/share/doc/officernd-auth/
	$(ROOT)/scripts/check-glibc.sh $(GLIBC_MAX) $(C_DIST_STAGE)/lib/libofficernd_auth.so.$(DIST_VERSION)
	@grep -q '^prefix=$${pcfiledir}/' $(C_DIST_STAGE)/lib/pkgconfig/officernd_auth.pc || \
	  { echo "dist-c: the .pc file is not relocatable" >&2; exit 1; }
	@! grep -rq "$(C_DIST_STAGE)" $(C_DIST_STAGE)/lib/pkgconfig $(C_DIST_STAGE)/lib/cmake || \
	  { echo "dist-c: an absolute staging path is left in the .pc or CMake files" >&2; exit 1; }
	mkdir -p $(DIST)
	tar -C $(dir $(C_DIST_STAGE)) --owner=0 --group=0 --numeric-owner -czf $(C_DIST_ARCHIVE) $(C_DIST_NAME)
	@tar -tzf $(C_DIST_ARCHIVE)

# Unpacked into an empty prefix somewhere else: what a user of the archive does.
test-dist-c: mock
	@[[ -f $(C_DIST_ARCHIVE) ]] || $(MAKE) --no-print-directory dist-c
	rm -rf $(TEST_DIST_DIR)/c && mkdir -p $(TEST_DIST_DIR)/c/prefix $(TEST_DIST_DIR)/c/build-c
	tar -C $(TEST_DIST_DIR)/c/prefix --strip-components=1 -xzf $(C_DIST_ARCHIVE)
	PKG_CONFIG_PATH=$(TEST_DIST_DIR)/c/prefix/lib/pkgconfig pkg-config --modversion officernd_auth | grep -qx $(DIST_VERSION)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PKG_CONFIG_PATH=$(TEST_DIST_DIR)/c/prefix/lib/pkgconfig \
	  $(MAKE) --no-print-directory -C $(ROOT)/examples/c BUILD_DIR=$(TEST_DIST_DIR)/c/build-c
	cmake -S $(ROOT)/examples/cpp -B $(TEST_DIST_DIR)/c/build-cpp -DCMAKE_PREFIX_PATH=$(TEST_DIST_DIR)/c/prefix >/dev/null
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL cmake --build $(TEST_DIST_DIR)/c/build-cpp
	@readelf -d $(TEST_DIST_DIR)/c/build-c/fetch_token | grep -qF "[libofficernd_auth.so.$(C_SOVERSION)]" || \
	  { echo "test-dist-c: the example does not record the SONAME libofficernd_auth.so.$(C_SOVERSION)" >&2; exit 1; }
	$(ROOT)/scripts/with-mock.sh $(TEST_DIST_DIR)/c/build-c/fetch_token
	$(ROOT)/scripts/with-mock.sh $(TEST_DIST_DIR)/c/build-cpp/fetch_token_cpp
	@echo "test-dist-c: $(notdir $(C_DIST_ARCHIVE)) unpacked into an empty prefix: C and C++ examples built and run"
	@echo "== a packager's staged install (DESTDIR, --libdir lib/x86_64-linux-gnu, PREFIX /usr) of the same build"
	rm -rf $(TEST_DIST_DIR)/c/stage
	DESTDIR=$(TEST_DIST_DIR)/c/stage $(ROOT)/bindings-c/scripts/install.sh --no-build --target $(C_DIST_TRIPLE) \
	  --libdir lib/x86_64-linux-gnu /usr release
	@pc=$(TEST_DIST_DIR)/c/stage/usr/lib/x86_64-linux-gnu/pkgconfig; \
	[[ "$$(PKG_CONFIG_PATH=$$pc pkg-config --variable=libdir officernd_auth)" == "$$pc/../../../lib/x86_64-linux-gnu" ]] || \
	  { echo "test-dist-c: the staged .pc does not resolve libdir inside the stage" >&2; exit 1; }; \
	[[ "$$(readlink $(TEST_DIST_DIR)/c/stage/usr/lib/x86_64-linux-gnu/libofficernd_auth.so)" == libofficernd_auth.so.$(C_SOVERSION) ]] || \
	  { echo "test-dist-c: libofficernd_auth.so does not point at the SONAME link" >&2; exit 1; }; \
	! grep -rq "$(TEST_DIST_DIR)" $(TEST_DIST_DIR)/c/stage || { echo "test-dist-c: DESTDIR leaked into an installed file" >&2; exit 1; }
	@echo "test-dist-c: staged install relocatable, DESTDIR not recorded"

# ---- Python wheels and sdist ----
# One abi3 wheel per platform (CPython >= 3.9). manylinux2014 = manylinux_2_17 (glibc 2.17, zig
# links against it); musllinux_1_2 (static musl target). maturin checks the tag it writes
# (auditwheel's rules); check_wheels.py checks it again from the outside.
PY_DIST_WHEELS := x86_64-unknown-linux-gnu:manylinux2014 aarch64-unknown-linux-gnu:manylinux2014 \
  x86_64-unknown-linux-musl:musllinux_1_2 aarch64-unknown-linux-musl:musllinux_1_2
MATURIN := $(VENV)/bin/maturin

dist-python: python-deps dist-tools dist-targets
	mkdir -p $(DIST)
	rm -f $(DIST)/officernd_auth-*.whl $(DIST)/officernd_auth-*.tar.gz
	for spec in $(PY_DIST_WHEELS); do \
	  cd $(PY_DIR) && $(DIST_ENV) $(MATURIN) build --release --zig --target $${spec%%:*} \
	    --compatibility $${spec##*:} --out $(DIST) || exit 1; \
	done
	cd $(PY_DIR) && $(DIST_ENV) $(MATURIN) sdist --out $(DIST)
	$(DIST_ENV) $(PY) $(PY_DIR)/scripts/check_wheels.py $(DIST) $(DIST_VERSION)

# The wheel a user on x86_64 Linux gets, in a fresh venv: import, version, a token from the mock.
test-dist-python: mock
	@ls $(DIST)/officernd_auth-$(DIST_VERSION)-cp39-abi3-*manylinux_2_17_x86_64.whl >/dev/null 2>&1 || \
	  $(MAKE) --no-print-directory dist-python
	rm -rf $(TEST_DIST_DIR)/python && python3 -m venv $(TEST_DIST_DIR)/python
	$(TEST_DIST_DIR)/python/bin/pip install --quiet --disable-pip-version-check --no-index --find-links $(DIST) officernd-auth
	@files="$$($(TEST_DIST_DIR)/python/bin/pip show -f officernd-auth)"; grep -q 'licenses/LICENSE-MIT' <<<"$$files" || \
	  { echo "test-dist-python: the installed wheel has no licence file" >&2; exit 1; }
	@tag="$$(sed -n 's/^Tag: //p' $(TEST_DIST_DIR)/python/lib/python*/site-packages/officernd_auth-$(DIST_VERSION).dist-info/WHEEL | tr '\n' ' ')"; \
	echo "test-dist-python: pip chose the wheel tagged $$tag"; [[ "$$tag" == *manylinux_2_17_x86_64* ]] || exit 1
	$(ROOT)/scripts/with-mock.sh $(TEST_DIST_DIR)/python/bin/python $(ROOT)/examples/python/fetch_token.py
	@echo "test-dist-python: the manylinux_2_17 x86_64 wheel installed from dist/ with --no-index and fetched a token"

