# temporalio's own test suites with their workers on the sidecar (issue 12).
# The upstream tests are fetched by hand and never committed; CI does not run this.
#
#   make upstream-python SDK_PYTHON=/path/to/sdk-python   sdk-python's tests/worker and tests/test_workflow.py,
#                                                         every Worker on the sidecar; writes docs/upstream-python.md
#       UPSTREAM_MODE=native|native-proxy                 the baseline: temporalio's own workers (direct, or through the proxy)
#       UPSTREAM_TESTS='tests/worker/test_activity.py -k heartbeat'   a subset (paths relative to SDK_PYTHON)
#   make upstream-python-report SDK_PYTHON=...            rewrite docs/upstream-python.md from the last runs' XML

UPSTREAM_MODE  ?= sidecar
UPSTREAM_TESTS ?=

.PHONY: upstream-python upstream-python-report

upstream-python: build bin/temporal
	@test -n "$(SDK_PYTHON)" || { echo "usage: make upstream-python SDK_PYTHON=/path/to/sdk-python (a checkout at tag 1.31.0)"; exit 2; }
	scripts/upstream-python "$(SDK_PYTHON)" --mode $(UPSTREAM_MODE) $(UPSTREAM_TESTS)

upstream-python-report:
	@test -n "$(SDK_PYTHON)" || { echo "usage: make upstream-python-report SDK_PYTHON=/path/to/sdk-python"; exit 2; }
	scripts/upstream-python "$(SDK_PYTHON)" --report-only
