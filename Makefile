# The Temporal worker sidecar. Run make from the repository root.
#
#   make demo    dev server + sidecar + example apps (Python, temporalio, and a Python + TypeScript polyglot pod)
#   make test    every test in every language, against a real Temporal dev server
#   make tools   install every pinned tool (Go tools, Temporal CLI, Python venv, npm packages)
#   make build   build bin/sidecar
#   make chaos   the fault suite (see mk/chaos.mk)
#   make kit-check   the client kit against the Go test app and the Python client (see mk/kit.mk)
#   make examples-cpp   build the C++ activity worker (examples/cpp); make cpp-check runs the kit and the polyglot test on it
#   make generate / make proto-check   see mk/codegen.mk

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO ?= go
TEMPORAL_CLI_VERSION := v1.5.1
# Tests and the demo find the CLI through this variable (internal/devserver).
export TEMPORAL_CLI := $(abspath bin/temporal)
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

include mk/codegen.mk
include mk/bench.mk
include mk/ops.mk
include mk/upstream.mk
include mk/chaos.mk
include mk/kit.mk

.PHONY: help build temporal-cli test go-test go-vet demo ts-build clean

help:
	@sed -n 's/^#   //p' Makefile

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/sidecar ./cmd/sidecar

# The pinned CLI carries Temporal server 1.29.1 (later CLI versions cannot be
# go-installed). Built once into bin/.
temporal-cli: bin/temporal
bin/temporal:
	GOBIN=$(abspath bin) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

tools: temporal-cli

go-vet:
	$(GO) vet ./...

# Integration tests start their own dev servers on free ports; packages run
# two at a time to fit the 2-core machine.
go-test: bin/temporal
	$(GO) test -count=1 -p 2 -timeout 15m ./...

test: tools proto-check go-vet go-test codegen-test docs-check kit-check cpp-check chaos-short

# The demo's TypeScript app (the polyglot pod) runs from clients/typescript/dist.
demo: tools build ts-build
	go run ./examples/demo

# tsc -> clients/typescript/dist (the adapter, its examples and the bench worker).
ts-build: ts-deps
	cd $(TS_CLIENT_DIR) && $(NPM) run build

clean:
	rm -rf bin
