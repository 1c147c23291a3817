# The fault suite (chaos/): a real workload — Python apps on
# temporal_sidecar, workflows started by an independent temporalio client —
# on a dev server with a database file, under faults: apps SIGKILLed, the
# sidecar SIGKILLed and SIGTERMed, the server restarted, hung apps,
# hostile and oversize bridge messages, a soak. Every case must end with
# zero workflows lost or stuck.
#
#   make chaos         the full form (about 20 minutes), written to RELIABILITY.md
#   make chaos-short   the short form (a few minutes), part of make test
#   make chaos CHAOS_FLAGS="-cases hostile,soak -logs /tmp/chaos"   some cases, keeping logs

CHAOS_FLAGS ?=

.PHONY: chaos chaos-short

chaos: build bin/temporal $(VENV_STAMP)
	$(GO) run ./chaos -out RELIABILITY.md $(CHAOS_FLAGS)

chaos-short: build bin/temporal $(VENV_STAMP)
	$(GO) run ./chaos -short $(CHAOS_FLAGS)
