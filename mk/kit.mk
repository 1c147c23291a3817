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
