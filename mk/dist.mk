# ---- Release artifacts: make dist, make test-dist (neither in make test: see README, "Install") --
# Cross builds with zig as the linker (ziglang and cargo-zigbuild from PyPI, pinned below, in the
# project venv): Linux gnu artifacts link against glibc 2.17 (manylinux2014), musl ones are static.
#   make dist           every artifact this machine can build, into dist/, each checked:
#     dist-crates       officernd-auth, officernd-auth-testkit, officernd-auth-cli .crate files
#                       (cargo package, verified: each builds from its own tarball)
#     dist-c            officernd-auth-c-<version>-<triple>.tar.gz for x86_64/aarch64 Linux, gnu
#                       (glibc 2.17) and musl (lib, headers, pkg-config, CMake, licences); CPU and
#                       glibc/musl needs checked (bindings-c/scripts/dist-archive.sh)
#     dist-python       manylinux_2_17 and musllinux_1_2 wheels (x86_64, aarch64) and the sdist;
#                       tags and symbol versions checked (auditwheel show; readelf for musl)
#     dist-node         npm tarballs: the main package and linux-{x64,arm64}-{gnu,musl} platform
#                       packages (glibc ones <= 2.17, musl ones need only musl's libc)
#   make test-dist      installs what this machine can run into fresh environments:
#     test-dist-crates  cargo add officernd-auth + cargo build, cargo install officernd-auth-testkit
#                       and officernd-auth-cli in a fresh project against a registry of dist's .crate
#                       files replacing crates.io; a token from the mock
#     test-dist-c       each C archive unpacked into an empty prefix; examples/c (pkg-config) and
#                       examples/cpp (find_package) built from it and run against the mock (x86_64
#                       glibc: system compiler; the others: zig, natively or under qemu-user)
#     test-dist-python  the manylinux_2_17 x86_64 wheel in a fresh venv, fetching a token
#     test-dist-node    the main and linux-x64-gnu tarballs into a fresh project, offline; a token
#                       from CommonJS, ESM and TypeScript; `npm install officernd-auth` against a
#                       loopback registry serving every tarball
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

test-dist: test-dist-crates test-dist-c test-dist-python test-dist-node
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

# The README's `cargo add officernd-auth`, `cargo install officernd-auth-testkit` and `cargo install
# officernd-auth-cli` against the .crate files, through a registry replacing crates.io in a fresh
# CARGO_HOME, from a fresh project outside the repository (scripts/test-dist-crates.sh).
.PHONY: test-dist-crates
test-dist-crates:
	@for c in $(PUBLISHED_CRATES); do [[ -f $(DIST)/$$c-$(DIST_VERSION).crate ]] || { $(MAKE) --no-print-directory dist-crates; break; }; done
	CARGO="$(CARGO)" $(ROOT)/scripts/test-dist-crates.sh $(DIST)

# ---- C archives ----
# One archive per Linux target (bindings-c/scripts/dist-archive.sh: install.sh --zig into a staging
# prefix, licences and docs beside, CPU and glibc/musl needs checked, packed): gnu ones against
# glibc 2.17, musl ones needing only musl's libc.so.
C_DIST_TARGETS := x86_64-unknown-linux-gnu:$(GLIBC_MAX) aarch64-unknown-linux-gnu:$(GLIBC_MAX) \
  x86_64-unknown-linux-musl: aarch64-unknown-linux-musl:
C_DIST_TRIPLE := x86_64-unknown-linux-gnu
C_DIST_NAME := officernd-auth-c-$(DIST_VERSION)-$(C_DIST_TRIPLE)
C_DIST_ARCHIVE := $(DIST)/$(C_DIST_NAME).tar.gz
C_DIST_CROSS := $(filter-out $(C_DIST_TRIPLE),$(foreach spec,$(C_DIST_TARGETS),$(word 1,$(subst :, ,$(spec)))))
C_DIST_ARCHIVES := $(foreach spec,$(C_DIST_TARGETS),$(DIST)/officernd-auth-c-$(DIST_VERSION)-$(word 1,$(subst :, ,$(spec))).tar.gz)

dist-c: dist-tools dist-targets
	rm -f $(DIST)/officernd-auth-c-*.tar.gz
	for spec in $(C_DIST_TARGETS); do \
	  $(DIST_ENV) CARGO="$(CARGO)" $(ROOT)/bindings-c/scripts/dist-archive.sh "$${spec%%:*}" "$${spec#*:}" $(DIST) || exit 1; \
	done

# The host's archive alone (make test-dist-c-host). Not in make test: with the Windows suite under
# Wine, a fresh-clone make test took 25 minutes on 2 cores with this one release build in it, too
# close to CI's 30 (README, "Install"). The C library itself is tested by test-c; the npm main
# package + host platform package install by test-node, the manylinux wheel by test-python.
.PHONY: dist-c-host
dist-c-host: dist-tools
	$(DIST_ENV) CARGO="$(CARGO)" $(ROOT)/bindings-c/scripts/dist-archive.sh $(C_DIST_TRIPLE) $(GLIBC_MAX) $(DIST)

# Each archive unpacked into an empty prefix somewhere else: what a user of the archive does. The
# host's (x86_64 glibc) with the system compiler, CMake and pkg-config, plus a packager's staged
# install; the others cross-compiled with zig and run natively (x86_64 musl) or under qemu-user
# (aarch64): bindings-c/scripts/test-cross-archive.sh.
.PHONY: test-dist-c-host test-dist-c-cross deps-dist
deps-dist:
	@$(ROOT)/scripts/install-deps.sh $(ROOT)/scripts/apt-packages-dist.txt
test-dist-c: test-dist-c-host test-dist-c-cross

test-dist-c-cross: mock dist-tools deps-dist
	@for a in $(C_DIST_ARCHIVES); do [[ -f $$a ]] || { $(MAKE) --no-print-directory dist-c; break; }; done
	for triple in $(C_DIST_CROSS); do \
	  ZIG="$(PY) -m ziglang" $(ROOT)/bindings-c/scripts/test-cross-archive.sh \
	    $(DIST)/officernd-auth-c-$(DIST_VERSION)-$$triple.tar.gz $$triple || exit 1; \
	done

test-dist-c-host: mock dist-c-host
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
# test-node` and checked in). As `napi artifacts` + `napi pre-publish`: each binary goes into its
# npm/<platform>/ and is packed there; the main package is bindings-node/ itself, packed as it is
# in a clone (the loader, no binary; its prepack script, scripts/prepack.mjs, adds optionalDependencies
# on every platform package at exactly this version for the pack, postpack removes them; it also
# copies the licences into each package).
NODE_DIST_TARGETS := x86_64-unknown-linux-gnu:linux-x64-gnu:.$(GLIBC_MAX) aarch64-unknown-linux-gnu:linux-arm64-gnu:.$(GLIBC_MAX) \
  x86_64-unknown-linux-musl:linux-x64-musl: aarch64-unknown-linux-musl:linux-arm64-musl:
NODE_DIST_ARTIFACTS := $(ROOT)/target/npm-artifacts

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
	rm -f $(DIST)/officernd-auth-*.tgz $(NODE_DIR)/npm/*/*.node
	for spec in $(NODE_DIST_TARGETS); do \
	  IFS=: read -r triple platform glibc <<<"$$spec"; \
	  cp $(NODE_DIST_ARTIFACTS)/officernd-auth.$$platform.node $(NODE_DIR)/npm/$$platform/ && \
	  node $(NODE_DIR)/scripts/prepack.mjs $(NODE_DIR)/npm/$$platform && \
	  (cd $(NODE_DIR)/npm/$$platform && npm pack --silent --pack-destination $(DIST)) || exit 1; \
	done
	cd $(NODE_DIR) && npm pack --silent --pack-destination $(DIST)
	@for t in $(DIST)/officernd-auth-*.tgz; do list="$$(tar -tzf $$t)"; \
	  for f in package/README.md package/LICENSE-MIT package/LICENSE-APACHE package/package.json; do \
	    grep -qx $$f <<<"$$list" || { echo "dist-node: $$t has no $$f" >&2; exit 1; }; done; \
	  case $$t in */officernd-auth-[0-9]*) ! grep -q '\.node$$' <<<"$$list" || { echo "dist-node: $$t carries a binary" >&2; exit 1; } ;; \
	    *) [[ $$(grep -c '\.node$$' <<<"$$list") == 1 ]] || { echo "dist-node: $$t has no binary" >&2; exit 1; } ;; esac; done
	@echo "dist-node: every tarball carries README, LICENSE-MIT, LICENSE-APACHE; the main one no binary, each platform one its binary"

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
	@echo "== the README's line, npm install officernd-auth, against a loopback registry serving dist's tarballs"
	rm -rf $(TEST_DIST_DIR)/node-registry && mkdir -p $(TEST_DIST_DIR)/node-registry
	cp $(ROOT)/bindings-node/scripts/test-dist/* $(TEST_DIST_DIR)/node-registry/
	cd $(TEST_DIST_DIR)/node-registry && node $(NODE_DIR)/scripts/registry.mjs $(DIST)/officernd-auth-*.tgz -- \
	  npm install officernd-auth 2>registry.log || { cat registry.log >&2; exit 1; }
	@cd $(TEST_DIST_DIR)/node-registry && installed="$$(ls -d node_modules/officernd-auth* | tr '\n' ' ')"; \
	echo "test-dist-node: npm installed $$installed"; \
	[[ "$$installed" == "node_modules/officernd-auth node_modules/officernd-auth-$(NODE_HOST_PLATFORM) " ]] || \
	  { echo "test-dist-node: npm install officernd-auth should install the main package and officernd-auth-$(NODE_HOST_PLATFORM) only (the other Linux packages are served too: os/cpu/libc must rule them out)" >&2; exit 1; }; \
	grep -q '"officernd-auth": "^$(DIST_VERSION)"' package.json || { echo "test-dist-node: package.json does not depend on officernd-auth ^$(DIST_VERSION)" >&2; exit 1; }
	cd $(TEST_DIST_DIR)/node-registry && $(ROOT)/scripts/with-mock.sh node app.cjs
	@echo "test-dist-node: npm install officernd-auth picked this platform's package from the registry and fetched a token"
