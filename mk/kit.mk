# The client kit and the C++ example (docs/PROTOCOL.md).
#
#   make kit-check      sidecar-kit check against the Go test app and the Python client (part of make test)
#   make examples-cpp   build the C++ activity worker (examples/cpp) with CMake; installs Debian's gRPC C++ packages if missing
#   make cpp-check      the kit against the C++ worker, and the polyglot test (Python workflow, C++ activities) (part of make test)

GO ?= go
PY ?= .venv/bin/python

.PHONY: kit-bins kit-check

kit-bins:
	$(GO) build -o bin/sidecar-kit ./cmd/sidecar-kit
	$(GO) build -o bin/kitapp ./internal/bridgetest/kitapp

kit-check: build kit-bins venv bin/temporal
	bin/sidecar-kit check -- bin/kitapp
	bin/sidecar-kit check -- $(PY) clients/python/examples/kit/kit_app.py

## ---------------------------------------------------------------- C++ example

# Debian's packages for the C++ worker; installed once (apt-get, as root or
# through sudo), skipped when present. Part of make tools.
CPP_DEB_PACKAGES := g++ cmake make pkg-config libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
CPP_BUILD_DIR    := build/examples-cpp
CPP_WORKER       := $(CPP_BUILD_DIR)/activity_worker

.PHONY: cpp-deps examples-cpp cpp-check

tools: cpp-deps

cpp-deps:
	@missing="$$(for p in $(CPP_DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q 'install ok installed' || echo "$$p"; done)"; \
	if [ -z "$$missing" ]; then echo "cpp-deps: Debian packages present"; exit 0; fi; \
	echo "cpp-deps: installing" $$missing; \
	sudo=""; if [ "$$(id -u)" != 0 ]; then sudo=sudo; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

# CMake generates the stubs from proto/ (protoc + grpc_cpp_plugin) and
# rebuilds only what changed.
examples-cpp: cpp-deps
	cmake -S examples/cpp -B $(CPP_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(CPP_BUILD_DIR) -j2

cpp-check: examples-cpp build kit-bins venv bin/temporal
	bin/sidecar-kit check -- $(CPP_WORKER)
	$(PY) examples/cpp/polyglot/polyglot_test.py --temporal bin/temporal --sidecar bin/sidecar --worker $(CPP_WORKER)
