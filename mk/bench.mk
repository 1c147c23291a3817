# End-to-end activity benchmark: the sidecar + a Go bridge app against a
# native Go SDK activity worker, side by side on one Temporal dev server.
# It rewrites the "End to end: activities" section of BENCHMARKS.md.
#
#   make bench                               the full run (a few minutes on 2 cores)
#   make bench BENCH_FLAGS="-n 50 -rounds 1" a quick smoke run (still rewrites BENCHMARKS.md;
#                                            add -out "" to only print)
#   make bench BENCH_FLAGS=-perf             plus one perf-profiled round per contender
#
# Binaries are built with symbols (no -s -w) so perf can name functions.

BENCH_OUT   := bench/out
BENCH_BIN   := $(BENCH_OUT)/bin
BENCH_FLAGS ?=

.PHONY: bench bench-build

bench-build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BENCH_BIN)/sidecar ./cmd/sidecar
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BENCH_BIN)/echoapp ./bench/cmd/echoapp
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BENCH_BIN)/goworker ./bench/cmd/goworker
	$(GO) build -o $(BENCH_BIN)/bench ./bench/cmd/bench

bench: bin/temporal bench-build
	$(BENCH_BIN)/bench -bin $(BENCH_BIN) -logs $(BENCH_OUT)/logs -out BENCHMARKS.md $(BENCH_FLAGS)
