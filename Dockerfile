# syntax=docker/dockerfile:1
#
# summarizer: `docker build -t summarizer .` then `docker run summarizer`
# (`run` is the default command; `summarize`, `replay`, `runpod-emulator` too).
#
# Image size: about 24 MB uncompressed, about 8 MB to pull. Measured on
# linux/amd64 with go1.26.8: the binary built exactly as below is 22.3 MB
# (22,323,362 bytes; 7.3 MB gzipped), plus distroless/static-debian12 at
# about 2 MB (CA certificates, tzdata, /etc/passwd with nonroot; no shell,
# no libc).

# The builder runs on the build machine's platform and cross-compiles for the
# target (pure Go, CGO_ENABLED=0): `docker buildx build --platform
# linux/amd64,linux/arm64 .` needs no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /summarizer ./cmd/summarizer

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /summarizer /summarizer
# nonroot (uid/gid 65532), written as numbers: Kubernetes can only verify
# runAsNonRoot against a numeric USER.
USER 65532:65532
# METRICS_ADDR default: /metrics, /healthz, /readyz.
EXPOSE 9090
# SIGTERM starts the drain (SHUTDOWN_TIMEOUT); the process exits 0 after it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/summarizer"]
CMD ["run"]
