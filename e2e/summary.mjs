#!/usr/bin/env node
// Merges the JSON reports of one run (seed, hydra, admin, alcaeus, comunica, rdflib, pyld,
// run.sh's own checks) into ARTIFACTS/summary.json and ARTIFACTS/summary.txt, prints the text,
// and exits 1 when any check failed or a report is missing. Failures listed in known.json are
// known issues, not failures; a check listed there that passes is reported under "Known issues
// that now pass" (and fails the run with E2E_STRICT_KNOWN=1), and an entry that matched no
// check of a suite that ran is a warning (a renamed check leaves a stale entry).
//
// Usage: node summary.mjs ARTIFACTS_DIR
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKnown } from './lib.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node summary.mjs ARTIFACTS_DIR');
  process.exit(64);
}
const read = (name) => {
  const file = join(dir, name);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { suite: name, checks: [{ id: `${name} is valid JSON`, ok: false, detail: e.message }], knownIssues: [], warnings: [] };
  }
};
const run = read('run.json') ?? { steps: {}, checks: [] };
const suites = [];
for (const [name, file, required, stepName] of [
  ['run', null, true],
  ['seed', 'seed.json', true],
  ['hydra', 'hydra-report.json', true],
  ['admin', 'admin-report.json', true],
  ['explorer', 'explorer-report.json', true],
  ['alcaeus', 'alcaeus-report.json', true],
  ['comunica', 'comunica-report.json', true],
  ['rdflib', 'rdflib-report.json', true, 'rdf'],
  ['pyld', 'pyld-report.json', true, 'rdf'],
]) {
  if (name === 'run') {
    suites.push({ suite: 'run', checks: run.checks ?? [], knownIssues: [], knownPassing: [], warnings: [] });
    continue;
  }
  const r = read(file);
  if (r) suites.push({ suite: name, ran: true, checks: r.checks ?? [], knownIssues: r.knownIssues ?? [], knownPassing: r.knownPassing ?? [], warnings: r.warnings ?? [] });
  else if (required) {
    const step = run.steps?.[stepName ?? name];
    suites.push({ suite: name, checks: [{ id: `${file} written`, ok: false, detail: step ? `exit ${step.exit}${step.exit === 124 || step.exit === 137 ? ' (timed out)' : ''}` : 'not run' }], knownIssues: [], knownPassing: [], warnings: [] });
  }
}
const strictKnown = process.env.E2E_STRICT_KNOWN === '1';
const knownPassing = suites.flatMap((s) => s.knownPassing.map((k) => ({ ...k, suite: s.suite })));
if (strictKnown) {
  for (const k of knownPassing) {
    const s = suites.find((x) => x.suite === k.suite);
    s.checks.push({ id: `known.json entry still listed although it passes: ${k.id}`, ok: false, detail: `remove it (${k.reason})` });
  }
}
// known.json entries that matched no check of a suite that ran.
let known = {};
try {
  known = loadKnown();
} catch (e) {
  suites[0].checks.push({ id: 'known.json is valid JSON', ok: false, detail: e.message });
}
const stale = [];
for (const s of suites.filter((x) => x.ran)) {
  const seen = new Set([...s.checks.map((c) => c.id), ...s.knownIssues.map((k) => k.id)]);
  for (const id of Object.keys(known[s.suite] ?? {})) if (!seen.has(id)) stale.push(`[${s.suite}] ${id}`);
}
const all = suites.flatMap((s) => s.checks.map((c) => ({ ...c, suite: s.suite })));
const failed = all.filter((c) => !c.ok);
const lines = [];
lines.push(`Orgraph e2e interoperability suite — ${new Date().toISOString()}`);
if (run.serverVersion || run.clients) lines.push(`server ${run.serverAddr ?? ''}; ${Object.entries(run.clients ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`);
lines.push(`steps: ${Object.entries(run.steps ?? {}).map(([k, v]) => `${k} ${v.seconds}s (exit ${v.exit})`).join(', ')}; total ${run.totalSeconds ?? '?'}s`);
lines.push('');
for (const s of suites) {
  for (const c of s.checks) lines.push(`${c.ok ? 'PASS' : 'FAIL'} [${s.suite}] ${c.id}${c.detail && !c.ok ? `\n       ${c.detail}` : ''}`);
}
const knownIssues = suites.flatMap((s) => s.knownIssues.map((k) => ({ ...k, suite: s.suite })));
if (knownIssues.length) {
  lines.push('');
  lines.push('Known issues (reported, not failing):');
  for (const k of knownIssues) lines.push(`  KNOWN [${k.suite}] ${k.id}: ${k.detail}${k.seen ? `\n         seen: ${String(k.seen).slice(0, 400)}` : ''}`);
}
if (knownPassing.length) {
  lines.push('');
  lines.push(`Known issues that now pass: remove them from e2e/known.json${strictKnown ? ' (E2E_STRICT_KNOWN=1: failing the run)' : ''}:`);
  for (const k of knownPassing) lines.push(`  NOW PASSING [${k.suite}] ${k.id} (was: ${k.reason})`);
}
const warnings = suites.flatMap((s) => s.warnings.map((w) => `[${s.suite}] ${w}`));
for (const id of stale) warnings.push(`e2e/known.json lists ${id}, but no such check ran: renamed or removed?`);
if (warnings.length) {
  lines.push('');
  lines.push('Warnings:');
  for (const w of warnings) lines.push(`  ${w}`);
}
lines.push('');
lines.push(`${failed.length ? 'FAIL' : 'PASS'}: ${all.length - failed.length}/${all.length} checks passed${failed.length ? `; failed: ${failed.map((c) => `[${c.suite}] ${c.id}`).join('; ')}` : ''}; ${knownIssues.length} known issue(s)${knownPassing.length ? `; ${knownPassing.length} known issue(s) now pass: remove them from e2e/known.json` : ''}`);
const text = `${lines.join('\n')}\n`;
writeFileSync(join(dir, 'summary.txt'), text);
writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ ok: failed.length === 0, passed: all.length - failed.length, failed: failed.length, checks: all, knownIssues, knownPassing, warnings, run }, null, 2)}\n`);
process.stdout.write(text);
process.exit(failed.length ? 1 : 0);
