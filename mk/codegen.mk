# Protobuf code generation and checks for sidecar.bridge.v1.
#
# Included by the top-level Makefile; run make from the repository root
# (buf.gen.yaml's local plugin paths are relative to the working directory).
#
#   make tools          pinned tooling: .venv (Python), npm ci (TypeScript), Go tools (buf, protoc-gen-go{,-grpc,-vtproto})
#   make generate       regenerate Go, Python and TypeScript stubs from proto/ (cleans outputs first),
#                       and the Go stubs of sdk-core's messages from third_party/coresdk (buf.gen.coresdk.yaml)
#   make coresdk-descriptors  re-extract third_party/coresdk/coresdk.binpb from the temporalio in .venv
#   make proto-check    buf lint + buf format check + generated-code drift + buf breaking vs proto/BREAKING_BASELINE
#   make codegen-test   compile/test the generated code (go build ./gen/..., pytest, tsc + node --test)
#
# Everything comes from package registries at pinned versions:
#   Go tools:   tools/go.mod (go tool -modfile=tools/go.mod ...)
#   Python:     clients/python/requirements-dev.txt -> .venv
#   TypeScript: clients/typescript/package-lock.json -> clients/typescript/node_modules

GO             ?= go
GO_TOOLS_MOD   ?= tools/go.mod
BUF            ?= $(GO) tool -modfile=$(GO_TOOLS_MOD) buf
# Interpreter used only to create .venv (any Python >= 3.10).
PYTHON         ?= python3
VENV           ?= .venv
PY             ?= $(VENV)/bin/python
NPM            ?= npm

PY_CLIENT_DIR  := clients/python
TS_CLIENT_DIR  := clients/typescript
PY_REQUIREMENTS := $(PY_CLIENT_DIR)/requirements-dev.txt

# Output directories of buf.gen.yaml (keep in sync with its `out:` entries).
GEN_GO_DIR     := gen/go
GEN_PY_DIR     := $(PY_CLIENT_DIR)/src/temporal_sidecar/proto
GEN_TS_DIR     := $(TS_CLIENT_DIR)/src/gen
GEN_DIRS       := $(GEN_GO_DIR) $(GEN_PY_DIR) $(GEN_TS_DIR)

BREAKING_BASELINE_FILE := proto/BREAKING_BASELINE

# sdk-core's descriptors (coresdk.*), extracted from the pinned temporalio
# wheel (requirements-dev.txt) and committed, so Go generation stays offline.
CORESDK_BINPB  := third_party/coresdk/coresdk.binpb

# Stamp files: re-run an install only when its pin file changes.
VENV_STAMP     := $(VENV)/.codegen-installed
NODE_STAMP     := $(TS_CLIENT_DIR)/node_modules/.package-lock.json

.PHONY: tools venv ts-deps go-tools generate proto-lint proto-format proto-format-check \
        proto-drift proto-breaking proto-check codegen-test coresdk-descriptors coresdk-drift py-test py-typecheck ts-test go-gen-build

## ---------------------------------------------------------------- tools

tools: venv ts-deps go-tools

venv: $(VENV_STAMP)

$(VENV_STAMP): $(PY_REQUIREMENTS) $(PY_CLIENT_DIR)/pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --require-virtualenv --no-input -q -r $(PY_REQUIREMENTS)
	$(PY) -m pip install --disable-pip-version-check --require-virtualenv --no-input -q --no-deps --no-build-isolation -e $(PY_CLIENT_DIR)
	$(PY) -m pip check
	touch $@

ts-deps: $(NODE_STAMP)

$(NODE_STAMP): $(TS_CLIENT_DIR)/package.json $(TS_CLIENT_DIR)/package-lock.json
	cd $(TS_CLIENT_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

# `go tool` builds and caches each tool on first use; this warms the cache.
go-tools:
	$(GO) mod download -modfile=$(GO_TOOLS_MOD)
	$(BUF) --version
	$(GO) tool -modfile=$(GO_TOOLS_MOD) protoc-gen-go --version
	$(GO) tool -modfile=$(GO_TOOLS_MOD) protoc-gen-go-grpc --version
	$(GO) build -modfile=$(GO_TOOLS_MOD) -o /dev/null github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto

## ---------------------------------------------------------------- generate

# buf.gen.yaml also has `clean: true`; the rm makes removal of stale files
# explicit even for directories buf would not touch.
generate: $(VENV_STAMP) $(NODE_STAMP)
	rm -rf $(GEN_DIRS)
	$(BUF) generate
	$(BUF) generate --template buf.gen.coresdk.yaml

# Needs the wheel (make venv), not the network; commit the result with
# `make generate`'s output.
coresdk-descriptors: $(VENV_STAMP)
	$(PY) scripts/coresdk-descriptors -o $(CORESDK_BINPB)

## ---------------------------------------------------------------- checks

proto-lint:
	$(BUF) lint

proto-format:
	$(BUF) format -w

proto-format-check:
	$(BUF) format -d --exit-code

# Regenerates in place, then fails if the generated code differs from what is
# committed (modified, deleted or untracked files under the generated dirs).
proto-drift: generate
	@changes="$$(git status --porcelain --untracked-files=all -- $(GEN_DIRS))"; \
	if [ -n "$$changes" ]; then \
	  echo "proto-drift: generated code is out of date with proto/ (run 'make generate' and commit):" >&2; \
	  echo "$$changes" >&2; \
	  exit 1; \
	fi; \
	echo "proto-drift: generated code is up to date"

# Fails when the committed descriptors are not the pinned temporalio's
# (someone bumped temporalio without re-extracting, or edited the file).
coresdk-drift: $(VENV_STAMP)
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	$(PY) scripts/coresdk-descriptors -o "$$tmp/coresdk.binpb" && \
	if ! cmp -s "$$tmp/coresdk.binpb" $(CORESDK_BINPB) || ! cmp -s "$$tmp/VERSION" $(dir $(CORESDK_BINPB))VERSION; then \
	  echo "coresdk-drift: $(CORESDK_BINPB) is not what the temporalio in $(VENV) ships ($$(head -1 "$$tmp/VERSION")); run 'make coresdk-descriptors generate' and commit" >&2; \
	  exit 1; \
	fi; \
	echo "coresdk-drift: $(CORESDK_BINPB) matches $$(head -1 "$$tmp/VERSION")"

# Compares proto/ against the commit named in proto/BREAKING_BASELINE (the last
# landed main). Skipped when the file is missing/empty or that commit has no
# .proto files under proto/ yet.
proto-breaking:
	@base="$$(if [ -f $(BREAKING_BASELINE_FILE) ]; then tr -d ' \t\r\n' < $(BREAKING_BASELINE_FILE); fi)"; \
	if [ -z "$$base" ]; then \
	  echo "proto-breaking: $(BREAKING_BASELINE_FILE) missing or empty; skipping buf breaking"; exit 0; \
	fi; \
	if ! git cat-file -e "$$base^{commit}" 2>/dev/null; then \
	  echo "proto-breaking: baseline commit $$base (from $(BREAKING_BASELINE_FILE)) is not in this clone" >&2; exit 1; \
	fi; \
	if ! git ls-tree -r --name-only "$$base" -- proto/ | grep -q '\.proto$$'; then \
	  echo "proto-breaking: baseline $$base has no .proto files under proto/; skipping buf breaking"; exit 0; \
	fi; \
	echo "proto-breaking: buf breaking against $$base"; \
	$(BUF) breaking --against ".git#ref=$$base,subdir=proto"

proto-check: proto-lint proto-format-check coresdk-drift proto-drift proto-breaking

## ---------------------------------------------------------------- generated-code tests

go-gen-build:
	$(GO) build ./$(GEN_GO_DIR)/...

py-test: $(VENV_STAMP)
	$(PY) -m pytest $(PY_CLIENT_DIR)/tests

# mypy --strict over the package and its tests (config in clients/python/pyproject.toml).
py-typecheck: $(VENV_STAMP)
	cd $(PY_CLIENT_DIR) && $(abspath $(PY)) -m mypy

# `npm test` builds first (pretest: tsc), then runs node --test on dist/test.
ts-test: $(NODE_STAMP)
	cd $(TS_CLIENT_DIR) && $(NPM) test

codegen-test: go-gen-build py-test py-typecheck ts-test
