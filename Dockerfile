# The sidecar as a static binary on a distroless base, for a pod sidecar.
#   docker build -t temporal-sidecar .
#   docker run --rm temporal-sidecar --help
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY gen ./gen
COPY internal ./internal
COPY cmd ./cmd
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sidecar ./cmd/sidecar

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sidecar /sidecar
# The bridge listens on a unix socket in a volume shared with the app
# container; the metrics/health endpoint on 9090 must be reachable by the
# kubelet, so it binds all interfaces here.
ENV SIDECAR_BRIDGE_LISTEN=unix:///var/run/temporal-sidecar/bridge.sock \
    SIDECAR_HTTP_LISTEN=0.0.0.0:9090
VOLUME /var/run/temporal-sidecar
EXPOSE 9090
USER nonroot:nonroot
ENTRYPOINT ["/sidecar"]
