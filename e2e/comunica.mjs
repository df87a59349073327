#!/usr/bin/env node
// Check (6) of the interoperability suite: Comunica (@comunica/query-sparql 5.4.1), SPARQL over
// linked data that follows Hydra paging (hydra:next of the page it fetched), against a running
// orgraph. It counts every organization and every role starting from the bare collection IRIs
// (/api/organizations, /api/roles) and compares with the totalItems the API reports. Issue 18
// says what it needs; known.json lists what fails today and why.
//
// Each count runs twice: with Comunica's own Accept (it prefers N-Quads, which Orgraph serves)
// and with Accept: application/ld+json only (relative IRIs and contexts resolved by Comunica).
// A control count starts from /api/roles?page=1, which pages today, so a failure of the bare
// count points at the server's paging, not at the engine. Precondition: more than 30 roles
// (seed.mjs makes 12 organizations, 4 roles each), so /api/roles has a second page.
//
// Node 20: @comunica/actor-http-fetch 5.4 wants undici 8 (Node >= 22.19); package.json's
// "overrides" pins undici 7.30.2 (Node >= 20.18.1) under @comunica/query-sparql only.
//
// Usage: node comunica.mjs --entrypoint URL [--key KEY] --out DIR [--timeout-ms N]
// Writes DIR/comunica-report.json; prints PASS/FAIL/KNOWN lines on stderr.
// Exit 0 when every check passed or is known (known.json), 1 otherwise.
import { QueryEngine } from '@comunica/query-sparql';
import { join } from 'node:path';
import { Checks, clip, deadline, errText, pkgVersion, scriptOptions, writeJson } from './lib.mjs';

const { opt, timeoutMs } = scriptOptions(process.argv.slice(2));
const entrypointUrl = opt.entrypoint.replace(/\/+$/, '');
const base = new URL(entrypointUrl);
const vocab = `${base.origin}/api/docs.jsonld#`;
const checks = new Checks('comunica');
const report = {
  entrypoint: entrypointUrl,
  clients: { '@comunica/query-sparql': pkgVersion('@comunica/query-sparql'), undici: pkgVersion('@comunica/actor-http-fetch/node_modules/undici') ?? pkgVersion('undici'), node: process.version },
  totals: {},
  queries: [],
};
const save = () => {
  let text = JSON.stringify({ ...report, ...checks.toJSON() }, null, 2);
  if (opt.key.length >= 8) text = text.split(opt.key).join('REDACTED');
  writeJson(join(opt.out, 'comunica-report.json'), JSON.parse(text));
};
deadline(75000, () => {
  checks.add('finished within 75 s', false);
  save();
});

const short = (u) => String(u).replace(base.origin, '');

// totalItems as the API reports it (compacted JSON-LD): the count alone
// (itemsPerPage=0), since a cursor page states it only when it is the
// whole collection.
async function totalItems(path) {
  const res = await fetch(`${base.origin}${path}${path.includes('?') ? '&' : '?'}itemsPerPage=0`, { headers: { Accept: 'application/ld+json', Authorization: `Bearer ${opt.key}` }, signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  const body = await res.json();
  report.totals[path] = body.totalItems;
  return body.totalItems;
}

// SELECT (COUNT(DISTINCT ?x)) of one class over one source; every request logged.
async function count(cls, source, accept) {
  const q = { class: cls, source: short(source), accept: accept ?? "Comunica's own", requests: [], count: null, error: null, ms: null };
  report.queries.push(q);
  const fetchAuth = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${opt.key}`);
    if (accept) headers.set('Accept', accept);
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    if (new URL(url).origin !== base.origin) throw new Error(`refusing to fetch ${url}: not on ${base.origin}`);
    const entry = { url: short(url), status: null };
    q.requests.push(entry);
    return fetch(url, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) }).then((res) => {
      entry.status = res.status;
      entry.contentType = res.headers.get('content-type');
      return res;
    });
  };
  const t = Date.now();
  try {
    // A fresh engine per count: no HTTP cache or source state carried between the runs.
    const stream = await new QueryEngine().queryBindings(`SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a <${vocab}${cls}> }`, { sources: [source], fetch: fetchAuth, lenient: false });
    const rows = await stream.toArray();
    q.count = Number(rows[0]?.get('n')?.value ?? NaN);
  } catch (e) {
    q.error = e instanceof Error ? errText(e) : `${e?.constructor?.name ?? 'thrown'} ${clip(JSON.stringify(e?.options ?? e), 400)}`;
  }
  q.ms = Date.now() - t;
  return q;
}

async function countCheck(id, cls, path, accept) {
  let total;
  try {
    total = await totalItems(path.split('?')[0]);
  } catch (e) {
    checks.add(id, false, `totalItems: ${errText(e)}`);
    return;
  }
  const q = await count(cls, `${base.origin}${path}`, accept);
  const pages = q.requests.map((r) => `${r.url} ${r.status}`).join(', ');
  checks.add(id, q.count === total, `${q.error ? `query failed: ${q.error}` : `COUNT ${q.count}`}, totalItems ${total}; fetched ${pages || 'nothing'} (${q.ms} ms)`);
}

try {
  const roles = await totalItems('/api/roles');
  checks.add('precondition: more than 30 roles, so /api/roles has a next page', roles > 30, `totalItems ${roles}`);
  await countCheck('counts every organization from the bare /api/organizations (N-Quads)', 'Organization', '/api/organizations');
  await countCheck('counts every organization from the bare /api/organizations (JSON-LD)', 'Organization', '/api/organizations', 'application/ld+json');
  await countCheck('counts every role from the bare /api/roles (N-Quads)', 'Role', '/api/roles');
  await countCheck('counts every role from the bare /api/roles (JSON-LD)', 'Role', '/api/roles', 'application/ld+json');
  await countCheck('control: counts every role from /api/roles?page=1 (N-Quads)', 'Role', '/api/roles?page=1');
} catch (e) {
  checks.add('driver', false, errText(e));
}
save();
process.exit(checks.failed.length ? 1 : 0);
