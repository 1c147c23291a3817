# Operations: the README's configuration reference, generated from the
# option table in internal/config/options.go.
#
#   make docs         rewrite the reference between <!-- config:start --> and <!-- config:end --> in README.md
#   make docs-check   fail if README.md is stale (part of make test)
#
# The Kubernetes manifests (deploy/kubernetes) and the static-binary check
# behind the Dockerfile are Go tests, run by go-test.

GO ?= go

.PHONY: docs docs-check

docs:
	$(GO) run ./internal/config/docgen -readme README.md

docs-check:
	$(GO) run ./internal/config/docgen -readme README.md -check
