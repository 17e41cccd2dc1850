# RAGQueue: the two set-up commands are `make sim` and `make test`.
SWIFT ?= swift
VALKEY_SERVER ?= $(CURDIR)/.deps/bin/valkey-server
export VALKEY_SERVER
# hiredis.pc carries -D_FILE_OFFSET_BITS=64, which SwiftPM drops with a warning of its own.
BUILD_FLAGS ?=

.PHONY: all deps build build-release test unit integration sim bench-queue fakes clean python-tests bench-fakes

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
	$(MAKE) python-tests

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

# The official Python clients (openai, qdrant-client), unmodified, against `ragsim fakes` on free
# ports. The fakes run in the background and are stopped by pid whatever pytest does.
RAGSIM ?= .build/debug/ragsim
PYTHON ?= python3
VENV ?= .venv

python-tests: build
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -c "import openai, qdrant_client, pytest" 2>/dev/null || \
		$(VENV)/bin/pip install -q --disable-pip-version-check openai qdrant-client pytest
	@log=$$(mktemp); \
	qdrant_version=$$($(VENV)/bin/python -c "import importlib.metadata as m; print(m.version('qdrant-client'))"); \
	$(RAGSIM) fakes --qdrant-version "$$qdrant_version" > $$log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -f $$log' EXIT INT TERM; \
	for i in $$(seq 1 100); do grep -q '^QDRANT_URL=' $$log && break; kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	grep -q '^QDRANT_URL=' $$log || { echo "ragsim fakes did not start:"; cat $$log; exit 1; }; \
	export $$(grep -E '^(OPENAI_BASE_URL|QDRANT_URL)=' $$log | xargs); \
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/Python

bench-fakes: build-release
	.build/release/ragsim bench-fakes $(ARGS)
