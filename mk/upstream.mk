# temporalio's own test suites with their workers on the sidecar (issue 12).
# The upstream tests are fetched by hand and never committed; CI does not run this.
#
#   make upstream-python SDK_PYTHON=/path/to/sdk-python   sdk-python's tests/worker and tests/test_workflow.py,
#                                                         every Worker on the sidecar; writes docs/upstream-python.md
#       UPSTREAM_MODE=native|native-proxy                 the baseline: temporalio's own workers (direct, or through the proxy)
#       UPSTREAM_TESTS='tests/worker/test_activity.py -k heartbeat'   a subset (paths relative to SDK_PYTHON)
#   make upstream-python-report SDK_PYTHON=...            rewrite docs/upstream-python.md from the last runs' XML
#
#   make upstream-typescript SDK_TYPESCRIPT=/path/to/sdk-typescript   sdk-typescript's packages/test workflow and activity
#                                                         integration tests (v1.22.0), every Worker on the sidecar through
#                                                         the adapter; writes docs/upstream-typescript.md
#       UPSTREAM_MODE=native                              the baseline: @temporalio/worker's own sdk-core workers
#       UPSTREAM_TESTS='test-integration-update.js --match "*unknown*"'   a subset (files of packages/test/lib)
#   make upstream-typescript-report SDK_TYPESCRIPT=...    rewrite docs/upstream-typescript.md from the last runs' TAP

UPSTREAM_MODE  ?= sidecar
UPSTREAM_TESTS ?=

.PHONY: upstream-python upstream-python-report upstream-typescript upstream-typescript-report

upstream-python: build bin/temporal
	@test -n "$(SDK_PYTHON)" || { echo "usage: make upstream-python SDK_PYTHON=/path/to/sdk-python (a checkout at tag 1.31.0)"; exit 2; }
	scripts/upstream-python "$(SDK_PYTHON)" --mode $(UPSTREAM_MODE) $(UPSTREAM_TESTS)

upstream-python-report:
	@test -n "$(SDK_PYTHON)" || { echo "usage: make upstream-python-report SDK_PYTHON=/path/to/sdk-python"; exit 2; }
	scripts/upstream-python "$(SDK_PYTHON)" --report-only

upstream-typescript: build bin/temporal
	@test -n "$(SDK_TYPESCRIPT)" || { echo "usage: make upstream-typescript SDK_TYPESCRIPT=/path/to/sdk-typescript (git archive v1.22.0)"; exit 2; }
	scripts/upstream-typescript "$(SDK_TYPESCRIPT)" --mode $(if $(filter native,$(UPSTREAM_MODE)),native,sidecar) $(UPSTREAM_TESTS)

upstream-typescript-report:
	@test -n "$(SDK_TYPESCRIPT)" || { echo "usage: make upstream-typescript-report SDK_TYPESCRIPT=/path/to/sdk-typescript"; exit 2; }
	scripts/upstream-typescript "$(SDK_TYPESCRIPT)" --report-only
