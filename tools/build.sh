#!/bin/sh
# Builds the orgraph binary the way the container image does: the
# Dockerfile's build stage runs this script, and CI runs it through
# tools/docker-build-check.sh, so the two builds cannot drift apart.
#
#   tools/build.sh [OUTPUT]        (default: ./orgraph)
#
# cgo is on because go-sqlite3 is C. The Go toolchain stamps the VCS
# revision into the binary only when it finds a .git directory: not in a
# git worktree (.git is a file there) nor in a Docker build context (the
# .dockerignore leaves .git out). The revision, commit time and modified
# flag are then passed to `orgraph version` with -ldflags -X: from git
# when it answers, else from ORGRAPH_REVISION (the image's build argument).
# No -trimpath: it would change every package's build cache key, and CI
# would recompile go-sqlite3's C for a minute instead of linking from the
# cache the tests filled.
set -eu

out=${1:-orgraph}
case $out in
/*) ;;
*) out="$PWD/$out" ;;
esac
cd "$(dirname "$0")/.."

rev=${ORGRAPH_REVISION:-}
when=
modified=
if [ -z "$rev" ] && command -v git >/dev/null 2>&1 && git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	rev=$(git rev-parse HEAD)
	when=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
	modified=false
	if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
		modified=true
	fi
fi

CGO_ENABLED=1 go build \
	-ldflags "-s -w -X main.vcsRevision=$rev -X main.vcsTime=$when -X main.vcsModified=$modified" \
	-o "$out" ./cmd/orgraph
