#!/usr/bin/env bash
# Orgraph interoperability suite: starts the real orgraph binary on loopback with a fresh
# SQLite database and runs real third-party clients against it:
#   seed.mjs   creates 12 organizations through the API (so the lists page)
#   hydra.mjs  (1) @api-platform/api-doc-parser with the key, (2) jsonld.js safe-mode expansion
#   alcaeus.mjs  (5) alcaeus, a generic Hydra client: discover, getCollections, create, fill
#              the search template from a model, update, delete, a 404 as hydra:Error, writable
#   comunica.mjs (6) Comunica: SPARQL COUNT of every organization and every role from the bare
#              collection IRIs (following hydra:next), compared with totalItems
#   rdf.py     (7) Debian's rdflib and pyld: one organization's compacted, expanded, flattened
#              JSON-LD, N-Quads, Turtle and N-Triples must be the same graph
#   admin.mjs  (3) API Platform Admin in headless Chromium: list, page, sort, show, create,
#              violation, edit, delete
#   explorer.mjs (8) the explorer in headless Chromium audited by axe-core (WCAG 2 A/AA: no
#              serious or critical violation on 8 pages) and driven by keyboard
#   ../tools/openapi-lint/run.sh  (4) the served OpenAPI document through Redocly CLI
#              (recommended rules) and Spectral (spectral:oas): no error allowed
# Screenshots and JSON reports go to e2e/artifacts/ (summary.txt / summary.json at the end).
# Checks that fail today for a filed reason are listed in known.json (KNOWN, not failing).
#
# Usage: e2e/run.sh            (from anywhere; needs go, node >= 20.19, npm, /usr/bin/chromium,
#                               python3 with Debian's python3-rdflib and python3-pyld)
# Env:   CHROMIUM=/path/to/chromium   E2E_SKIP_BUILD=1 (reuse e2e/.bin/orgraph)
#        E2E_PYTHON=/path/to/python3 (default /usr/bin/python3, where Debian's packages go)
#        E2E_STRICT_KNOWN=1 (a known.json entry whose check passes fails the run)
# Exit:  0 when every check passed, 1 when one failed, 2 when a prerequisite is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
art="$here/artifacts"
bin="$here/.bin/orgraph"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
python="${E2E_PYTHON:-/usr/bin/python3}"
t_start=$(date +%s)

# Keep what go test left (artifacts/explorer* and artifacts/swagger-ui: the
# browser tests of handlers/explorer_test.go).
find "$art" -mindepth 1 -maxdepth 1 ! -name 'explorer*' ! -name swagger-ui -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$art" "$here/.bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/orgraph-e2e.XXXXXX")
checks_tsv="$work/checks.tsv" # id TAB ok(1/0) TAB detail
steps_tsv="$work/steps.tsv"   # name TAB exit TAB seconds
: >"$checks_tsv"
: >"$steps_tsv"
server_pid=""
server_addr=""

log() { echo "e2e: $*" >&2; }
check() { # check ID OK(1|0) DETAIL
  printf '%s\t%s\t%s\n' "$1" "$2" "$(printf '%s' "${3:-}" | tr '\t\n' '  ')" >>"$checks_tsv"
  if [ "$2" = 1 ]; then echo "PASS run: $1${3:+ — $3}" >&2; else echo "FAIL run: $1${3:+ — $3}" >&2; fi
}
# step NAME SECONDS CMD...: runs CMD with a hard time limit, output to the console and artifacts/NAME.log.
step() {
  local name=$1 limit=$2 s rc
  shift 2
  s=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$art/$name.log"
  rc=${PIPESTATUS[0]}
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(($(date +%s) - s))" >>"$steps_tsv"
  [ "$rc" = 124 ] && check "$name finished within ${limit}s" 0 "killed after ${limit}s"
  return "$rc"
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  local pid=$server_pid i rc
  server_pid=""
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    rc=$?
    check "server still running when the checks end" 0 "it exited early with status $rc; see artifacts/server.log"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check "server stops on SIGTERM within 10 s" 0 "still running after 10 s; killed"
  else
    wait "$pid" 2>/dev/null
    rc=$?
    check "server stops on SIGTERM within 10 s" 1 "exit status $rc"
  fi
}

write_run_json() {
  SERVER_ADDR="$server_addr" TOTAL=$(($(date +%s) - t_start)) node -e '
    const fs = require("fs");
    const [checksFile, stepsFile, out, here] = process.argv.slice(1);
    const rows = (f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"));
    const version = (n) => { try { return JSON.parse(fs.readFileSync(`${here}/node_modules/${n}/package.json`)).version; } catch { return null; } };
    const clients = {};
    for (const n of ["@api-platform/api-doc-parser", "jsonld", "@api-platform/admin", "playwright-core", "alcaeus", "@zazuko/env", "@zazuko/env-node", "@comunica/query-sparql"]) clients[n] = version(n);
    clients.node = process.version;
    const steps = {};
    for (const [name, exit, seconds] of rows(stepsFile)) steps[name] = { exit: Number(exit), seconds: Number(seconds) };
    const checks = rows(checksFile).map(([id, ok, detail]) => ({ id, ok: ok === "1", detail: detail ?? "" }));
    fs.writeFileSync(out, JSON.stringify({ serverAddr: process.env.SERVER_ADDR, clients, steps, totalSeconds: Number(process.env.TOTAL), checks }, null, 2) + "\n");
  ' "$checks_tsv" "$steps_tsv" "$art/run.json" "$here"
}

finish() {
  local rc=$?
  trap - EXIT
  stop_server
  if [ -n "${ORGRAPH_E2E_KEY:-}" ] && [ -f "$art/server.log" ]; then
    # The key must not end up in the artifacts.
    sed -i "s/${ORGRAPH_E2E_KEY}/REDACTED/g" "$art"/*.log 2>/dev/null
  fi
  if command -v node >/dev/null && [ -f "$here/summary.mjs" ]; then
    write_run_json
    echo
    node "$here/summary.mjs" "$art"
    local summary_rc=$?
    [ "$rc" = 0 ] && rc=$summary_rc
  fi
  rm -rf "$work"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "e2e: node >= 20.19 is required (found $(node --version 2>/dev/null || echo none))" >&2
  trap - EXIT
  exit 2
fi
if [ ! -x "$CHROMIUM" ]; then
  check "chromium present at $CHROMIUM" 0 "install Debian's chromium (apt-get install -y chromium) or set CHROMIUM"
  exit 2
fi
# Debian's rdflib and pyld for rdf.py: installed only when absent (as .ci/run installs
# chromium), which needs root; elsewhere install them by hand or point E2E_PYTHON at a python3
# that has them.
if ! "$python" -c 'import rdflib, pyld' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "apt-get install python3-rdflib python3-pyld"
    step apt-python 300 sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-rdflib python3-pyld'
  fi
  if ! "$python" -c 'import rdflib, pyld' 2>/dev/null; then
    check "rdflib and pyld importable by $python" 0 "install Debian's python3-rdflib and python3-pyld (apt-get install -y python3-rdflib python3-pyld) or set E2E_PYTHON"
    exit 2
  fi
fi

# ---------------------------------------------------------------- build
if [ "${E2E_SKIP_BUILD:-}" != 1 ] || [ ! -x "$bin" ]; then
  log "go build -o e2e/.bin/orgraph ./cmd/orgraph"
  if ! (cd "$root" && step go-build 300 go build -o "$bin" ./cmd/orgraph); then
    check "go build ./cmd/orgraph" 0 "see artifacts/go-build.log"
    exit 1
  fi
fi

cd "$here" || exit 2
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.e2e-lock.sha256 ] || [ "$(cat node_modules/.e2e-lock.sha256)" != "$lock_sum" ]; then
  log "npm ci"
  if ! step npm-ci 300 npm ci --no-audit --no-fund; then
    check "npm ci" 0 "see artifacts/npm-ci.log"
    exit 1
  fi
  echo "$lock_sum" >node_modules/.e2e-lock.sha256
fi
if [ ! -f dist/index.html ] || [ -n "$(find src index.html vite.config.js package-lock.json -newer dist/index.html 2>/dev/null | head -1)" ]; then
  log "vite build"
  if ! step vite-build 180 npx vite build; then
    check "vite build" 0 "see artifacts/vite-build.log"
    exit 1
  fi
fi

# ---------------------------------------------------------------- server
log "starting orgraph serve --addr 127.0.0.1:0 on a fresh SQLite database"
"$bin" serve --addr 127.0.0.1:0 --db "sqlite:$work/orgraph.db" >"$work/server.stdout" 2>"$art/server.log" &
server_pid=$!
key=""
for _ in $(seq 1 200); do # 20 s
  kill -0 "$server_pid" 2>/dev/null || break
  server_addr=$(grep -m1 '"msg":"listening"' "$art/server.log" 2>/dev/null | sed -E 's/.*"addr":"([^"]+)".*/\1/')
  # The key is alone on its line; a line saying where the server listens follows it.
  key=$(grep -m1 -E '^og_(live|test)_[0-9a-f]+$' "$work/server.stdout" 2>/dev/null | tr -d '[:space:]')
  [ -n "$server_addr" ] && [ -n "$key" ] && break
  sleep 0.1
done
if [ -z "$server_addr" ] || [ -z "$key" ] || ! kill -0 "$server_pid" 2>/dev/null; then
  check "server starts, logs its address and prints the bootstrap key" 0 "addr '${server_addr}', key ${key:+found}${key:-missing}; stderr: $(tail -c 600 "$art/server.log")"
  exit 1
fi
export ORGRAPH_E2E_KEY="$key"
entrypoint="http://$server_addr/api"
check "server starts on a fresh database, logs its address and prints the bootstrap key" 1 "$entrypoint, key ${#key} characters"

# ---------------------------------------------------------------- checks
step seed 90 node seed.mjs --entrypoint "$entrypoint" --out "$art"
step hydra 150 node hydra.mjs --entrypoint "$entrypoint" --out "$art"
# The generic linked-data clients of issue 18 (each script has its own deadline below these).
step alcaeus 90 node alcaeus.mjs --entrypoint "$entrypoint" --out "$art"
step comunica 90 node comunica.mjs --entrypoint "$entrypoint" --out "$art"
step rdf 90 "$python" rdf.py --entrypoint "$entrypoint" --out "$art"
step admin 300 node admin.mjs --entrypoint "$entrypoint" --out "$art"
step explorer 150 node explorer.mjs --entrypoint "$entrypoint" --out "$art"
step openapi-lint 300 "$root/tools/openapi-lint/run.sh" "$entrypoint/docs.json" "$art/openapi-lint"
lint_rc=$?
check "OpenAPI document: no error from Redocly (recommended) or Spectral (spectral:oas)" "$([ "$lint_rc" = 0 ] && echo 1 || echo 0)" \
  "$(grep -E '^(redocly|spectral) \(' "$art/openapi-lint.log" | tr '\n' ';')"

stop_server
# Anything the server answered with 5xx or logged as an error during the run.
bad=$(grep -E '"status":5[0-9][0-9]|"level":"ERROR"' "$art/server.log" | head -5)
check "server log: no 5xx answer, no ERROR line" "$([ -z "$bad" ] && echo 1 || echo 0)" "$bad"
exit 0 # finish() prints the summary and exits with its status
