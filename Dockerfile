# The sidecar as a static binary on a distroless base, for a pod sidecar.
#   docker build -t temporal-sidecar .
#   docker run --rm temporal-sidecar --help
#
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 .
# The binary is cross-compiled on the build host (pure Go, CGO_ENABLED=0),
# so no emulation is needed. cmd/sidecar/image_test.go checks the binary is
# static and that this file copies every directory the build needs.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY gen ./gen
COPY internal ./internal
COPY cmd ./cmd
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sidecar ./cmd/sidecar

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sidecar /sidecar
# The bridge listens on a unix socket in a volume shared with the app
# container; the metrics/health endpoint on 9090 must be reachable by the
# kubelet, so it binds all interfaces here.
ENV SIDECAR_BRIDGE_LISTEN=unix:///var/run/temporal-sidecar/bridge.sock \
    SIDECAR_HTTP_LISTEN=0.0.0.0:9090
VOLUME /var/run/temporal-sidecar
EXPOSE 9090
# Numeric, so Kubernetes can verify runAsNonRoot (65532 is distroless's
# "nonroot"). The bridge socket is mode 0600: the app must run as this uid
# too (deploy/kubernetes sets it for the whole pod).
USER 65532:65532
# No HEALTHCHECK: distroless has no shell or curl to run one, and the
# orchestrator probes HTTP itself. Kubernetes: liveness GET /healthz,
# readiness GET /readyz, startup GET /healthz, all on 9090 (see
# deploy/kubernetes/deployment.yaml).
ENTRYPOINT ["/sidecar"]
