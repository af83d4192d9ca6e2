# ---- .NET: library OfficeRnD.Auth (bindings-dotnet/), examples/dotnet -------------------------
# P/Invoke over libofficernd_auth (installed into $(C_PREFIX) by bindings-c/scripts/install.sh).
# Built here with Mono's mcs against the .NET Framework 4.6.1 reference assemblies (the oldest
# framework that implements netstandard2.0) and Mono's own assemblies only: no NuGet at build
# time; every type the assembly references is checked to be in netstandard2.0
# (bindings-dotnet/tools/CheckNetStandard.cs over `monodis --typeref`). The .csproj and .nuspec
# (bindings-dotnet/src/OfficeRnD.Auth/OfficeRnD.Auth.csproj, bindings-dotnet/OfficeRnD.Auth.nuspec)
# are built and packed with the .NET SDK by the release workflow (jobs dotnet-pack, dotnet-test), from
# the C archives of every platform (bindings-dotnet/scripts/stage-runtimes.sh, tested here).
#   make test-dotnet   build, pack target/OfficeRnD.Auth.<version>.nupkg (linux-x64), run the suite
#                      against the mock (its last line: "N passed, N failed")
#   make build-dotnet  the assembly and examples/dotnet (what the demo needs)
DOTNET_DIR := $(ROOT)/bindings-dotnet
DOTNET_OUT := $(ROOT)/target/dotnet
DOTNET_LIB := $(DOTNET_OUT)/lib/OfficeRnD.Auth.dll
DOTNET_VERSION := $(shell sed -n 's:.*<version>\(.*\)</version>.*:\1:p' $(DOTNET_DIR)/OfficeRnD.Auth.nuspec)
DOTNET_NUPKG := $(ROOT)/target/OfficeRnD.Auth.$(DOTNET_VERSION).nupkg
MONO_API := /usr/lib/mono/4.6.1-api
MCS_FLAGS := -langversion:7 -nostdlib -noconfig -warnaserror+ -debug \
  -r:$(MONO_API)/mscorlib.dll -r:$(MONO_API)/System.dll -r:$(MONO_API)/System.Core.dll \
  -r:$(MONO_API)/System.Net.Http.dll
# The runtime finds libofficernd_auth.so in the prefix (a NuGet consumer gets it from runtimes/<rid>/native/).
DOTNET_RUN := env LD_LIBRARY_PATH=$(C_PREFIX)/lib$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH} mono --debug

TEST_TARGETS += test-dotnet
DEMO_BUILD_TARGETS += build-dotnet
DEMO_TARGETS += demo-dotnet

.PHONY: dotnet-tools dotnet-native build-dotnet pack-dotnet test-dotnet demo-dotnet

dotnet-tools:
	@command -v mcs >/dev/null || { echo "mcs not found: install the Debian package mono-devel (make deps)" >&2; exit 1; }
	@command -v mono >/dev/null || { echo "mono not found: install the Debian package mono-runtime (make deps)" >&2; exit 1; }
	@[[ -f $(MONO_API)/System.Net.Http.dll ]] || { echo "$(MONO_API) missing: install the Debian package mono-devel (make deps)" >&2; exit 1; }
	@[[ -f /usr/lib/mono/4.5/System.Net.Http.dll ]] || { echo "System.Net.Http missing: install the Debian package libmono-system-net-http4.0-cil (make deps)" >&2; exit 1; }
	@[[ -f /usr/lib/mono/4.5/System.IO.Compression.dll ]] || { echo "System.IO.Compression missing: install the Debian package libmono-system-io-compression4.0-cil (make deps)" >&2; exit 1; }
	@command -v monodis >/dev/null || { echo "monodis not found: install the Debian package mono-utils (make deps)" >&2; exit 1; }
	@command -v zip >/dev/null || { echo "zip not found: install the Debian package zip (make deps)" >&2; exit 1; }
	@command -v unzip >/dev/null || { echo "unzip not found: install the Debian package unzip (make deps)" >&2; exit 1; }

dotnet-native:
	CARGO="$(CARGO)" $(ROOT)/bindings-c/scripts/install.sh $(C_PREFIX) debug

build-dotnet: dotnet-tools dotnet-native
	mkdir -p $(DOTNET_OUT)/lib $(DOTNET_OUT)/example
	mcs -target:library $(MCS_FLAGS) -doc:$(DOTNET_OUT)/lib/OfficeRnD.Auth.xml -out:$(DOTNET_LIB) \
	  $(DOTNET_DIR)/src/OfficeRnD.Auth/*.cs
	mcs -target:exe -out:$(DOTNET_OUT)/CheckNetStandard.exe $(DOTNET_DIR)/tools/CheckNetStandard.cs
	monodis --typeref $(DOTNET_LIB) | mono $(DOTNET_OUT)/CheckNetStandard.exe
	cp $(DOTNET_LIB) $(DOTNET_OUT)/example/
	mcs -target:exe $(MCS_FLAGS) -r:$(DOTNET_LIB) -out:$(DOTNET_OUT)/example/FetchToken.exe $(ROOT)/examples/dotnet/*.cs

pack-dotnet: build-dotnet
	$(DOTNET_DIR)/scripts/pack.sh $(DOTNET_NUPKG) $(DOTNET_OUT)/lib $(C_PREFIX)/lib/libofficernd_auth.so linux-x64

test-dotnet: mock pack-dotnet
	mkdir -p $(DOTNET_OUT)/tests
	cp $(DOTNET_LIB) $(DOTNET_OUT)/tests/
	mcs -target:exe $(MCS_FLAGS) -r:$(DOTNET_LIB) -r:$(MONO_API)/System.IO.Compression.dll -r:$(MONO_API)/System.Xml.dll \
	  -out:$(DOTNET_OUT)/tests/OfficeRnD.Auth.Tests.exe $(DOTNET_DIR)/tests/*.cs
	$(DOTNET_DIR)/scripts/test-stage-runtimes.sh
	OFFICERND_DOTNET_NUPKG=$(DOTNET_NUPKG) OFFICERND_DOTNET_DIR=$(DOTNET_DIR) \
	  $(ROOT)/scripts/with-mock.sh --no-rate-limit -- $(DOTNET_RUN) $(DOTNET_OUT)/tests/OfficeRnD.Auth.Tests.exe

demo-dotnet:
	@echo "== .NET example: TokenClient.FromEnvironment(), GetTokenAsync twice, HttpClient + OfficeRnDAuthHandler"
	$(DOTNET_RUN) $(DOTNET_OUT)/example/FetchToken.exe
