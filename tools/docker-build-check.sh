#!/usr/bin/env bash
# CI has no Docker daemon, so it checks the image's build without Docker:
# it runs the command the Dockerfile's build stage runs (tools/build.sh,
# cgo on) and then the binary it made, as the image would run it. The
# Dockerfile itself (its Go version, the script it calls, the healthcheck)
# and compose.yaml are checked by cmd/orgraph/container_test.go.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tools/build.sh "$dir/orgraph"
bin=$dir/orgraph

"$bin" version | tee "$dir/version"
# The build passes the revision the toolchain cannot stamp here.
if rev=$(git rev-parse HEAD 2>/dev/null) && ! grep -q "^revision $rev" "$dir/version"; then
	echo "docker-build-check: version does not name the revision $rev" >&2
	exit 1
fi
"$bin" -h >/dev/null
"$bin" serve -h >/dev/null
"$bin" healthcheck -h >/dev/null

# The runtime stage is debian slim: the binary may need the C library and
# nothing else a slim image lacks.
if command -v ldd >/dev/null; then
	extra=$(ldd "$bin" | grep -Ev 'linux-vdso|libc\.so|libm\.so|libpthread\.so|libdl\.so|libresolv\.so|ld-linux' || true)
	if [ -n "$extra" ]; then
		echo "docker-build-check: the binary needs libraries the runtime image lacks: $extra" >&2
		exit 1
	fi
fi
echo "docker-build-check: ok"
