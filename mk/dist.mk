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
#     dist-node         npm tarballs: the main package and linux-{x64,arm64}-{gnu,musl} platform
#                       packages (glibc ones <= 2.17, musl ones need only musl's libc)
#   make test-dist      installs what this machine can run into fresh environments:
#     test-dist-c       the C archive unpacked into an empty prefix; examples/c (pkg-config) and
#                       examples/cpp (find_package) built from it and run against the mock
#     test-dist-python  the manylinux_2_17 x86_64 wheel in a fresh venv, fetching a token
#     test-dist-node    the main and linux-x64-gnu tarballs into a fresh project, offline; a token
#                       from CommonJS, ESM and TypeScript
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

# The release workflow (.github/workflows/release.yml) cannot run here: make lint checks it with
# actionlint (a Go module, pinned, built into target/go-tools like staticcheck).
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(ROOT)/target/go-tools/actionlint
LINT_TARGETS += lint-workflows

.PHONY: lint-workflows
lint-workflows: $(ACTIONLINT)
	$(ACTIONLINT) $(ROOT)/.github/workflows/*.yml
$(ACTIONLINT): $(ROOT)/mk/dist.mk
	@command -v go >/dev/null || { echo "make: the Go toolchain is not installed (actionlint is built with it)" >&2; exit 1; }
	GOBIN=$(dir $@) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	touch $@

.PHONY: dist test-dist dist-tools dist-targets dist-crates dist-c test-dist-c dist-python test-dist-python

dist: dist-crates dist-c dist-python dist-node
	@echo "make dist: artifacts in dist/"; ls -l $(DIST)

test-dist: test-dist-c test-dist-python test-dist-node
	@echo "make test-dist: every artifact this machine can run works from a fresh install"

dist-tools: $(DIST_TOOLS_STAMP)
$(DIST_TOOLS_STAMP): $(ROOT)/mk/dist.mk | venv
	$(RETRY) $(PY) -m pip install --quiet --disable-pip-version-check $(DIST_TOOLS)
	touch $@

dist-targets:
	$(RETRY) rustup target add $(RUST_CROSS_TARGETS)

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

# ---- npm: the napi-rs per-platform layout ----
# bindings-node/npm/<platform>/package.json (os, cpu, libc; from `napi create-npm-dirs`) for the
# seven targets of package.json's napi.targets; the four Linux ones are built here with
# cargo-zigbuild (glibc ones against 2.17: `napi build -x` passes no glibc version, and zig then
# links against a newer one), the macOS and Windows ones only by the release workflow. On Linux a
# napi module is the crate's cdylib renamed (index.js and index.d.ts are generated by `make
# test-node` and checked in). bindings-node/scripts/stage-npm.mjs stages the main package (the
# loader, no binary, optionalDependencies at this exact version, as `napi prepublish` writes them)
# and each built platform package (README, licences); `npm pack` writes the tarballs into dist/.
NODE_DIST_TARGETS := x86_64-unknown-linux-gnu:linux-x64-gnu:.$(GLIBC_MAX) aarch64-unknown-linux-gnu:linux-arm64-gnu:.$(GLIBC_MAX) \
  x86_64-unknown-linux-musl:linux-x64-musl: aarch64-unknown-linux-musl:linux-arm64-musl:
NODE_DIST_ARTIFACTS := $(ROOT)/target/npm-artifacts
NODE_DIST_STAGE := $(ROOT)/target/npm-stage

.PHONY: dist-node test-dist-node

# musl: the cdylib needs crt-static off (Rust's musl default is static, which makes no cdylib).
dist-node: node-deps dist-tools dist-targets
	rm -rf $(NODE_DIST_ARTIFACTS) && mkdir -p $(NODE_DIST_ARTIFACTS) $(DIST)
	for spec in $(NODE_DIST_TARGETS); do \
	  IFS=: read -r triple platform glibc <<<"$$spec"; \
	  flags=""; [[ $$triple == *musl ]] && flags="-C target-feature=-crt-static"; \
	  (cd $(ROOT) && $(DIST_ENV) RUSTFLAGS="$$flags" cargo-zigbuild zigbuild -p officernd-auth-node --release \
	    --target $$triple$$glibc) || exit 1; \
	  cp $(ROOT)/target/$$triple/release/libofficernd_auth_node.so $(NODE_DIST_ARTIFACTS)/officernd-auth.$$platform.node; \
	done
	$(ROOT)/scripts/check-glibc.sh $(GLIBC_MAX) $(NODE_DIST_ARTIFACTS)/officernd-auth.linux-*-gnu.node
	@for f in $(NODE_DIST_ARTIFACTS)/officernd-auth.linux-*-musl.node; do \
	  needed="$$(readelf -d $$f | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"; \
	  [[ "$$needed" == "libc.so " ]] || { echo "dist-node: $$f needs $$needed (only musl's libc.so allowed)" >&2; exit 1; }; \
	  echo "dist-node: $$(basename $$f) needs only musl's libc.so"; done
	node $(NODE_DIR)/scripts/stage-npm.mjs $(NODE_DIST_ARTIFACTS) $(NODE_DIST_STAGE)
	rm -f $(DIST)/officernd-auth-*.tgz
	for d in $(NODE_DIST_STAGE)/*/; do (cd $$d && npm pack --silent --pack-destination $(DIST)) || exit 1; done
	@for t in $(DIST)/officernd-auth-*.tgz; do list="$$(tar -tzf $$t)"; \
	  for f in package/README.md package/LICENSE-MIT package/LICENSE-APACHE package/package.json; do \
	    grep -qx $$f <<<"$$list" || { echo "dist-node: $$t has no $$f" >&2; exit 1; }; done; done
	@echo "dist-node: every tarball carries README, LICENSE-MIT, LICENSE-APACHE"

# The main package and this machine's platform package, from the tarballs, into a fresh project
# with npm offline (nothing from the registry: the other platforms' optional packages are skipped);
# a token from CommonJS, ESM and TypeScript (tsc with the package's own types) against the mock.
NODE_HOST_PLATFORM := linux-x64-gnu
test-dist-node: mock node-deps
	@ls $(DIST)/officernd-auth-$(NODE_HOST_PLATFORM)-$(DIST_VERSION).tgz >/dev/null 2>&1 || $(MAKE) --no-print-directory dist-node
	rm -rf $(TEST_DIST_DIR)/node && mkdir -p $(TEST_DIST_DIR)/node
	cp $(ROOT)/bindings-node/scripts/test-dist/* $(TEST_DIST_DIR)/node/
	cd $(TEST_DIST_DIR)/node && npm install --offline --no-audit --no-fund \
	  $(DIST)/officernd-auth-$(DIST_VERSION).tgz $(DIST)/officernd-auth-$(NODE_HOST_PLATFORM)-$(DIST_VERSION).tgz
	@[[ ! -e $(TEST_DIST_DIR)/node/node_modules/officernd-auth/officernd-auth.$(NODE_HOST_PLATFORM).node ]] || \
	  { echo "test-dist-node: the main package carries a binary" >&2; exit 1; }
	cd $(TEST_DIST_DIR)/node && $(ROOT)/scripts/with-mock.sh node app.cjs
	cd $(TEST_DIST_DIR)/node && $(ROOT)/scripts/with-mock.sh node app.mjs
	cd $(TEST_DIST_DIR)/node && node $(NODE_DIR)/node_modules/typescript/bin/tsc -p tsconfig.json && \
	  $(ROOT)/scripts/with-mock.sh node app-ts.js
	@echo "test-dist-node: installed from the tarballs offline; CommonJS, ESM and TypeScript fetched a token"
