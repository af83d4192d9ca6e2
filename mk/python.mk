# ---- Python: pyo3 + maturin package officernd-auth (bindings-python/) -------------------------
# One release build of the abi3 wheel (how users get it), pip-installed into $(VENV) for the
# suite, the demo and the benchmarks; the suite also installs it into a fresh venv (test_wheel.py).
# On a Linux glibc host it is the wheel users get from PyPI: manylinux_2_17, linked by zig against
# glibc 2.17 (ziglang from PyPI, pinned in mk/dist.mk), its tag and symbol versions checked. The
# rest of the wheel set (aarch64, musllinux, the sdist) is `make dist-python`.
PY_HOST_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
PY_MANYLINUX := $(filter %-unknown-linux-gnu,$(PY_HOST_TRIPLE))
PY_WHEEL_FLAGS := $(if $(PY_MANYLINUX),--zig --target $(PY_MANYLINUX) --compatibility manylinux2014)
PY_DIR := $(ROOT)/bindings-python
PY_WHEEL_DIR := $(ROOT)/target/wheels-python
PY_DEPS_STAMP := $(VENV)/.officernd-python-deps

LINT_TARGETS += lint-python
TEST_TARGETS += test-python
DEMO_BUILD_TARGETS += build-python
DEMO_TARGETS += demo-python

.PHONY: python-deps build-python lint-python test-python demo-python bench-python check-python-freethreaded

python-deps: $(PY_DEPS_STAMP)
$(PY_DEPS_STAMP): $(PY_DIR)/requirements-dev.txt | venv
	$(RETRY) $(PY) -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

build-python: python-deps $(if $(PY_MANYLINUX),dist-tools)
	rm -rf $(PY_WHEEL_DIR)
	cd $(PY_DIR) && PATH=$(VENV)/bin:$$PATH $(VENV)/bin/maturin build --release $(PY_WHEEL_FLAGS) --out $(PY_WHEEL_DIR)
ifneq ($(PY_MANYLINUX),)
	@ls $(PY_WHEEL_DIR)/officernd_auth-*-cp39-abi3-*manylinux_2_17_$(firstword $(subst -, ,$(PY_MANYLINUX)))*.whl >/dev/null || \
	  { echo "build-python: no manylinux_2_17 wheel in $(PY_WHEEL_DIR)" >&2; exit 1; }
	rm -rf $(PY_WHEEL_DIR)/check && mkdir $(PY_WHEEL_DIR)/check
	cd $(PY_WHEEL_DIR)/check && $(PY) -m zipfile -e ../officernd_auth-*.whl .
	$(ROOT)/scripts/check-glibc.sh 2.17 $(PY_WHEEL_DIR)/check/officernd_auth/_native*.so
	rm -rf $(PY_WHEEL_DIR)/check
endif
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEEL_DIR)/officernd_auth-*.whl

# Static checks (tool settings in bindings-python/pyproject.toml): the README examples extracted
# into tests/typecheck/ are up to date; ruff check + ruff format --check of the Python sources;
# mypy --strict and pyright (strict) on the package, the README examples and examples/python;
# mypy.stubtest of the stubs against the built extension (hence build-python: the wheel installed).
lint-python: build-python
	cd $(PY_DIR) && $(PY) tests/typecheck/generate.py --check
	cd $(PY_DIR) && $(VENV)/bin/ruff check python tests bench
	cd $(PY_DIR) && $(VENV)/bin/ruff format --check python tests bench
	cd $(PY_DIR) && $(VENV)/bin/mypy
	cd $(PY_DIR) && $(VENV)/bin/pyright --pythonpath $(PY)
	cd $(PY_DIR) && $(PY) -m mypy.stubtest officernd_auth

test-python: mock build-python
	cd $(PY_DIR) && OFFICERND_PY_WHEEL=$(PY_WHEEL_DIR) $(ROOT)/scripts/with-mock.sh $(PY) -m pytest

demo-python:
	@echo "== Python example: TokenClient.from_env(), two token() calls, urllib + httpx adapter"
	$(PY) $(ROOT)/examples/python/fetch_token.py

# Benchmarks (not part of `make test`): writes bindings-python/BENCHMARKS-python.md.
bench-python: mock build-python
	$(ROOT)/scripts/with-mock.sh --no-rate-limit -- $(PY) $(PY_DIR)/bench/bench.py --out $(PY_DIR)/BENCHMARKS-python.md

# Not part of `make test`: that the extension compiles for a free-threaded CPython 3.14 (no GIL,
# no stable ABI: PyO3 ignores the abi3 feature there), described by a PyO3 config file instead of
# an interpreter, which no package here provides. Its own target dir: the cfg differs.
PY_FT_CONFIG := $(ROOT)/target/pyo3-freethreaded-3.14.cfg
check-python-freethreaded:
	mkdir -p $(dir $(PY_FT_CONFIG))
	printf 'implementation=CPython\nversion=3.14\nshared=true\nbuild_flags=Py_GIL_DISABLED\nsuppress_build_script_link_lines=true\n' > $(PY_FT_CONFIG)
	PYO3_CONFIG_FILE=$(PY_FT_CONFIG) $(CARGO) check -p officernd-auth-python --features abi3 --target-dir $(ROOT)/target/freethreaded
