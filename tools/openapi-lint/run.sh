#!/usr/bin/env bash
# Lints the OpenAPI document Orgraph serves with Redocly CLI (its recommended
# rules) and Spectral (spectral:oas), the versions package-lock.json pins.
# Prints every problem and a count per linter; exits 1 when either reports an
# error (warnings are listed, not failing), 2 when the document cannot be read.
#
# Usage: tools/openapi-lint/run.sh URL|FILE [OUT_DIR]
#   URL     a running server's document, e.g. http://127.0.0.1:8080/api/docs.json
#   OUT_DIR where openapi.json and openapi-lint.json (the counts) are written
# npm ci runs only when package-lock.json changed since the last install; the
# linters then run offline (telemetry and update checks off).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: run.sh URL|FILE [OUT_DIR]}
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/openapi-lint.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $src in
http://* | https://*) ;;
*) src=$(cd "$(dirname "$src")" && pwd)/$(basename "$src") ;;
esac
cd "$here" || exit 2

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.lint-lock.sha256 ] || [ "$(cat node_modules/.lint-lock.sha256)" != "$lock_sum" ]; then
  echo "openapi-lint: npm ci" >&2
  npm ci --no-audit --no-fund >&2 || exit 2
  echo "$lock_sum" >node_modules/.lint-lock.sha256
fi

doc="$out/openapi.json"
case $src in
http://* | https://*)
  node -e '
    const [url, file] = process.argv.slice(1);
    fetch(url, { headers: { accept: "application/vnd.openapi+json" } }).then(async (r) => {
      if (!r.ok) { console.error(`openapi-lint: GET ${url}: ${r.status}`); process.exit(2); }
      require("fs").writeFileSync(file, await r.text());
    }, (e) => { console.error(`openapi-lint: GET ${url}: ${e.message}`); process.exit(2); });
  ' "$src" "$doc" || exit 2
  ;;
*) cp "$src" "$doc" || exit 2 ;;
esac

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
npx --no-install redocly lint --config redocly.yaml --format=json "$doc" >"$out/redocly.json" 2>"$out/redocly.log"
npx --no-install spectral lint --ruleset .spectral.yaml --format=json --output "$out/spectral.json" --fail-severity=hint "$doc" >"$out/spectral.log" 2>&1
node -e '
  const fs = require("fs");
  const [out] = process.argv.slice(1);
  const read = (f) => { try { return JSON.parse(fs.readFileSync(`${out}/${f}`, "utf8")); } catch (e) { return null; } };
  const redocly = read("redocly.json"), spectral = read("spectral.json");
  const counts = {};
  if (!redocly) { console.error("openapi-lint: Redocly wrote no report:\n" + fs.readFileSync(`${out}/redocly.log`, "utf8")); process.exit(2); }
  if (!spectral) { console.error("openapi-lint: Spectral wrote no report:\n" + fs.readFileSync(`${out}/spectral.log`, "utf8")); process.exit(2); }
  counts.redocly = { errors: redocly.totals.errors, warnings: redocly.totals.warnings };
  for (const p of redocly.problems) {
    const where = (p.location ?? []).map((l) => l.pointer).join(", ");
    console.log(`redocly  ${p.severity.padEnd(7)} ${p.ruleId}: ${p.message} (${where})`);
  }
  const severities = ["error", "warning", "info", "hint"];
  counts.spectral = { errors: 0, warnings: 0, infos: 0, hints: 0 };
  for (const p of spectral) {
    const s = severities[p.severity];
    counts.spectral[s === "info" ? "infos" : s + "s"]++;
    console.log(`spectral ${s.padEnd(7)} ${p.code}: ${p.message} (#/${p.path.join("/")})`);
  }
  fs.writeFileSync(`${out}/openapi-lint.json`, JSON.stringify(counts, null, 2) + "\n");
  console.log(`redocly (recommended): ${counts.redocly.errors} errors, ${counts.redocly.warnings} warnings`);
  console.log(`spectral (spectral:oas): ${counts.spectral.errors} errors, ${counts.spectral.warnings} warnings, ${counts.spectral.infos} infos, ${counts.spectral.hints} hints`);
  process.exit(counts.redocly.errors + counts.spectral.errors > 0 ? 1 : 0);
' "$out"
