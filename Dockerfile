# syntax=docker/dockerfile:1
# Orgraph's container image: docs/operations.md, "Containers".
#
#   docker build --build-arg ORGRAPH_REVISION="$(git rev-parse HEAD)" -t orgraph .
#   docker run -p 8080:8080 -v orgraph-data:/data orgraph
#
# CI has no Docker daemon: tools/docker-build-check.sh runs this build's
# command (tools/build.sh) and the binary it makes, and cmd/orgraph's
# container_test.go checks this file against go.mod and the binary.

# The Go minor of go.mod, on the Debian release of the runtime stage: the
# binary links the C library dynamically (cgo, for go-sqlite3).
ARG GO_VERSION=1.26
ARG DEBIAN_RELEASE=trixie

FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Modules first: this layer is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# .git is not in the context: the revision comes in as a build argument.
ARG ORGRAPH_REVISION=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	ORGRAPH_REVISION="$ORGRAPH_REVISION" tools/build.sh /out/orgraph

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: TLS to PostgreSQL, Redis and OIDC issuers.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/*
# A fixed, unprivileged uid, so that a volume's owner can be set from the host.
RUN groupadd --system --gid 10001 orgraph \
	&& useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin orgraph \
	&& mkdir /data && chown orgraph:orgraph /data
COPY --from=build /out/orgraph /usr/local/bin/orgraph
USER 10001:10001
WORKDIR /data
# The SQLite file (the default database) lives on this volume.
VOLUME /data
# In a container the server must listen beyond loopback; `orgraph
# healthcheck` reads the same ORGRAPH_ADDR and asks 127.0.0.1.
ENV ORGRAPH_ADDR=0.0.0.0:8080 \
	ORGRAPH_DB=sqlite:/data/orgraph.db
EXPOSE 8080
# Liveness only (/healthz): /readyz follows the database and belongs to a
# load balancer, not to a restart policy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
	CMD ["orgraph", "healthcheck", "--timeout", "4s"]
ENTRYPOINT ["orgraph"]
CMD ["serve"]
