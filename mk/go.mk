# ---- Go: module bindings-go/ (cgo over libofficernd_auth), examples/go --------------------------
# Built against the C library installed into $(C_PREFIX) by build-c, found through pkg-config, as
# an integrator would; the rpath lets the test binaries find the shared library there.
#   make test-go    go test -race against the mock, then a static build of examples/go run
#                   against the mock (libofficernd_auth.a linked in: only libc left)
#   make lint-go    gofmt, go vet, staticcheck (pinned, installed into $(GO_TOOLS))
#   make demo-go    examples/go against the running mock (make demo sets the env)
GO ?= go
GO_DIR := $(ROOT)/bindings-go
GO_EXAMPLE := $(ROOT)/examples/go
GO_OUT := $(ROOT)/target/go
GO_TOOLS := $(ROOT)/target/go-tools
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(GO_TOOLS)/staticcheck
GO_PKG_CONFIG_PATH := $(C_PREFIX)/lib/pkgconfig
GO_ENV := CGO_ENABLED=1 PKG_CONFIG_PATH=$(GO_PKG_CONFIG_PATH) CGO_LDFLAGS="-Wl,-rpath,$(C_PREFIX)/lib"
# Static: no pkg-config (-tags officernd_static); the archive and the system libraries it needs
# (the .pc's Libs.private) given by hand. libgcc's unwinder linked in too (-static-libgcc).
GO_STATIC_ENV := CGO_ENABLED=1 CGO_CFLAGS="-I$(C_PREFIX)/include" \
  CGO_LDFLAGS="$(C_PREFIX)/lib/libofficernd_auth.a $$(PKG_CONFIG_PATH=$(GO_PKG_CONFIG_PATH) pkg-config --libs-only-l --static officernd_auth | sed -e 's/-lofficernd_auth//' -e 's/-lgcc_s//') -static-libgcc"

LINT_TARGETS += lint-go
TEST_TARGETS += test-go
DEMO_BUILD_TARGETS += build-go
DEMO_TARGETS += demo-go

.PHONY: go-check build-go lint-go test-go test-go-static demo-go

go-check:
	@command -v $(GO) >/dev/null || { echo "make: the Go toolchain ($(GO)) is not installed: https://go.dev/dl/" >&2; exit 1; }
	@command -v pkg-config >/dev/null || { echo "make: pkg-config is not installed (the Go module links through it)" >&2; exit 1; }
	cd $(GO_DIR) && $(RETRY) $(GO) mod download
	cd $(GO_EXAMPLE) && $(RETRY) $(GO) mod download

build-go: go-check build-c
	mkdir -p $(GO_OUT)
	cd $(GO_EXAMPLE) && $(GO_ENV) $(GO) build -o $(GO_OUT)/fetch_token .

$(STATICCHECK): $(ROOT)/mk/go.mk
	@command -v $(GO) >/dev/null || { echo "make: the Go toolchain ($(GO)) is not installed" >&2; exit 1; }
	GOBIN=$(GO_TOOLS) $(RETRY) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	touch $@

lint-go: go-check build-c $(STATICCHECK)
	@unformatted="$$(gofmt -l $(GO_DIR) $(GO_EXAMPLE))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted" >&2; exit 1; fi
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_DIR) && $(GO_ENV) $(STATICCHECK) ./...
	cd $(GO_EXAMPLE) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_EXAMPLE) && $(GO_ENV) $(STATICCHECK) ./...

# -p 1: the packages' tests share one mock (counts of token requests are per test, in sequence).
test-go: go-check mock build-c
	cd $(GO_DIR) && $(GO_ENV) $(ROOT)/scripts/with-mock.sh --no-rate-limit -- $(GO) test -race -count=1 -p 1 ./...
	$(MAKE) --no-print-directory test-go-static

test-go-static: go-check mock build-c
	mkdir -p $(GO_OUT)
	cd $(GO_EXAMPLE) && $(GO_STATIC_ENV) $(GO) build -tags officernd_static -o $(GO_OUT)/fetch_token_static .
	@needed="$$(readelf -d $(GO_OUT)/fetch_token_static | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"; \
	echo "static example needs only: $$needed"; \
	for lib in $$needed; do case "$$lib" in libc.so.*|libm.so.*|ld-linux*) ;; \
	  *) echo "test-go-static: $$lib is still a shared dependency" >&2; exit 1;; esac; done
	$(ROOT)/scripts/with-mock.sh $(GO_OUT)/fetch_token_static

demo-go:
	@echo "== Go example: officernd.FromEnv(), two Token(ctx) calls, http.Client with client.Transport"
	$(GO_OUT)/fetch_token
