# RAGQueue: the two set-up commands are `make sim` and `make test`.
SWIFT ?= swift
VALKEY_SERVER ?= $(CURDIR)/.deps/bin/valkey-server
export VALKEY_SERVER
# hiredis.pc carries -D_FILE_OFFSET_BITS=64, which SwiftPM drops with a warning of its own.
BUILD_FLAGS ?=

.PHONY: all deps build build-release test unit integration sim bench-queue fakes clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests

build-release: deps
	$(SWIFT) build $(BUILD_FLAGS) -c release --product ragsim
	$(SWIFT) build $(BUILD_FLAGS) -c release --product ragserve

test: build
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --filter UnitTests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --filter IntegrationTests

unit: build
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --filter UnitTests

integration: build
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --filter IntegrationTests

sim: build-release
	.build/release/ragsim $(ARGS)

bench-queue: build-release
	.build/release/ragsim bench-queue $(ARGS)

fakes: build-release
	.build/release/ragsim fakes $(ARGS)

clean:
	$(SWIFT) package clean
	rm -rf .deps
