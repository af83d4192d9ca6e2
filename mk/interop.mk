# ---- Interop: the Go module and the .NET library against a real OAuth 2.0 server --------------
# interop/real-server is github.com/go-oauth2/oauth2/v4 (its own go.mod/go.sum, pinned, through the
# Go module proxy) on a free loopback port; interop/run.sh builds a Go program and a C# program in
# temporary directories outside the checkout (the module through a replace to the checkout, the
# assembly from target/dotnet, both over the C library installed in $(C_PREFIX)) and checks that
# the server issued exactly the expected tokens and that its protected resource accepted them.
#   make test-interop   build the server and both programs, run them, check what the server saw
#   make lint-interop   gofmt, go vet, staticcheck of interop/real-server and interop/go-client
INTEROP_DIR := $(ROOT)/interop
INTEROP_OUT := $(ROOT)/target/interop
INTEROP_SERVER := $(INTEROP_OUT)/real-server

LINT_TARGETS += lint-interop
TEST_TARGETS += test-interop

.PHONY: interop-server lint-interop test-interop

interop-server: go-check
	cd $(INTEROP_DIR)/real-server && $(RETRY) $(GO) mod download
	cd $(INTEROP_DIR)/go-client && $(RETRY) $(GO) mod download
	mkdir -p $(INTEROP_OUT)
	cd $(INTEROP_DIR)/real-server && $(GO) build -o $(INTEROP_SERVER) .

lint-interop: interop-server build-c $(STATICCHECK)
	@unformatted="$$(gofmt -l $(INTEROP_DIR))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted" >&2; exit 1; fi
	cd $(INTEROP_DIR)/real-server && $(GO) vet ./... && $(STATICCHECK) ./...
	cd $(INTEROP_DIR)/go-client && $(GO_ENV) $(GO) vet ./... && $(GO_ENV) $(STATICCHECK) ./...

test-interop: interop-server build-c build-dotnet
	INTEROP_C_PREFIX=$(C_PREFIX) INTEROP_SERVER_BIN=$(INTEROP_SERVER) INTEROP_DOTNET_LIB=$(DOTNET_LIB) \
	  INTEROP_MCS_FLAGS="$(MCS_FLAGS)" RETRY=$(RETRY) GO=$(GO) $(INTEROP_DIR)/run.sh
