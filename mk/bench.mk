# End-to-end benchmark: whole workers side by side on one Temporal dev
# server, interleaved rounds. Contenders: a native Go SDK worker, the
# sidecar + a Go bridge app, the sidecar + the Python client
# (temporal_sidecar), a native Python SDK worker (temporalio), the same
# temporalio worker on the sidecar through temporal_sidecar.sdk (the
# adapter), a native TypeScript SDK worker (@temporalio/worker) and the same
# worker on the sidecar through SidecarWorker (the TypeScript adapter). Workloads:
# a chain of activities, a timer + signal, and (the first version of this
# benchmark) activities only with the workflows in the driver. It rewrites
# the bench:workers and bench:activities sections of BENCHMARKS.md and
# copies its PNG plots to bench/results/.
#
#   make bench                               the full run (6-8 minutes on 2 cores)
#   make bench BENCH_FLAGS="-n 20 -rounds 1 -seq 4 -out '' -results ''"
#                                            a quick smoke run that only prints
#   make bench BENCH_FLAGS="-contenders go-sdk,sidecar"   without the Python contenders
#   make bench BENCH_FLAGS=-server-defaults  the stock dev server configuration
#   make bench BENCH_FLAGS=-perf             plus one perf-profiled chain batch per contender
#   make bench BENCH_FLAGS="-perf -py-spy .venv/bin/py-spy"   ... and py-spy summaries of the Python ones
#   make bench BENCH_FLAGS="-contenders go-sdk,temporalio-py,temporalio-adapter"
#                                            temporalio natively and on the sidecar through its adapter
#   make bench BENCH_FLAGS="-contenders go-sdk,ts-worker,ts-adapter"
#                                            @temporalio/worker natively and through its adapter
#
# The Python contenders need .venv (make venv); the TypeScript ones node and
# clients/typescript/dist (make ts-build, which make bench runs). Binaries are built with
# symbols (no -s -w) so perf can name functions.

BENCH_OUT   := bench/out
BENCH_BIN   := $(BENCH_OUT)/bin
BENCH_FLAGS ?=
# The sidecar's own ceiling (fake frontend), cost curves and their plots:
# the bench:ceiling section of BENCHMARKS.md.
CEILING_FLAGS ?=

# The hidden-cost check of issue 13: one sidecar with N task queues against
# N sidecars with one each (RSS, goroutines, frontend connections, and a
# short workload): the bench:queues section. About 3 minutes on 2 cores.
QUEUES_FLAGS ?=

.PHONY: bench bench-build bench-queues

bench-build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BENCH_BIN)/sidecar ./cmd/sidecar
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BENCH_BIN)/echoapp ./bench/cmd/echoapp
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BENCH_BIN)/goworker ./bench/cmd/goworker
	$(GO) build -o $(BENCH_BIN)/bench ./bench/cmd/bench

bench: bin/temporal bench-build ts-build
	$(BENCH_BIN)/bench -bin $(BENCH_BIN) -logs $(BENCH_OUT)/logs -plots $(BENCH_OUT)/plots -results bench/results -out BENCHMARKS.md $(BENCH_FLAGS)
	$(GO) run ./bench/ceiling -write BENCHMARKS.md $(CEILING_FLAGS)

bench-queues: bin/temporal bench-build
	$(BENCH_BIN)/bench -queue-cost 1,10,50 -bin $(BENCH_BIN) -logs $(BENCH_OUT)/logs -out BENCHMARKS.md $(QUEUES_FLAGS)
