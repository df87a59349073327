#!/usr/bin/env node
// Checks (1) and (2) of the interoperability suite, against a running orgraph:
//
// (1) @api-platform/api-doc-parser 0.16.10 — parseHydraDocumentation(ENTRYPOINT, { headers })
//     with the API key, the call API Platform Admin makes: the organizations resource is found
//     with its fields (ranges, required), its operations (list, show, create, edit, delete) and
//     its filters (getParameters(): name and order[...]); the parser throws and logs nothing.
// (2) jsonld.js 9.0.0 — expands, in safe mode, every document the entrypoint leads to: the
//     entrypoint, the API documentation (its Link header), each collection, the first member of
//     each collection, a 404 problem and a 422 problem. Contexts are fetched from the server
//     with the key (same origin only). The 422 is also read the way Admin reads it
//     (@api-platform/admin lib/hydra/schemaAnalyzer.js getSubmissionErrors): the violation of
//     "name" must come out with its message.
//
// Usage: node hydra.mjs --entrypoint URL [--key KEY] --out DIR
// (the key may come from ORGRAPH_E2E_KEY instead of --key, as run.sh passes it)
// Writes DIR/hydra-report.json; prints PASS/FAIL lines on stderr.
// Exit 0 when every check passed, 1 otherwise.
import { parseHydraDocumentation } from '@api-platform/api-doc-parser';
import jsonld from 'jsonld';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Checks, clip, deadline, errText, pkgVersion, scriptOptions, writeJson } from './lib.mjs';

const HYDRA = 'http://www.w3.org/ns/hydra/core#';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const DOC_REL_RE = /<([^<]+)>; rel="http:\/\/www.w3.org\/ns\/hydra\/core#apiDocumentation"/; // api-doc-parser's own regex

const { opt, timeoutMs } = scriptOptions(process.argv.slice(2));
const entrypointUrl = opt.entrypoint.replace(/\/+$/, '');
const base = new URL(entrypointUrl);
const auth = { Authorization: `Bearer ${opt.key}` };
const checks = new Checks('hydra');
const report = {
  entrypoint: entrypointUrl,
  clients: {
    '@api-platform/api-doc-parser': pkgVersion('@api-platform/api-doc-parser'),
    'jsonld (inside api-doc-parser)': pkgVersion('@api-platform/api-doc-parser/node_modules/jsonld') ?? pkgVersion('jsonld'),
    jsonld: pkgVersion('jsonld'),
    node: process.version,
  },
  parse: null,
  expansion: [],
};
const save = () => {
  const out = { ...report, ...checks.toJSON() };
  let text = JSON.stringify(out, null, 2);
  if (opt.key.length >= 8) text = text.split(opt.key).join('REDACTED');
  writeJson(join(opt.out, 'hydra-report.json'), JSON.parse(text));
};
deadline(120000, () => {
  checks.add('finished within 120 s', false);
  save();
});

// ------------------------------------------------------------------ (1) api-doc-parser
function describeField(f, readable, writable) {
  const refName = (r) => (r && typeof r === 'object' ? r.name : r ?? null);
  return {
    name: f.name,
    id: f.id ?? null,
    range: f.range ?? null,
    type: f.type ?? null,
    required: f.required ?? null,
    readable,
    writable,
    reference: refName(f.reference),
    embedded: refName(f.embedded),
    maxCardinality: f.maxCardinality ?? null,
  };
}

async function runParser() {
  const parse = { ok: false, title: null, resources: [], thrown: null, logged: [] };
  report.parse = parse;
  // The parser reports some problems only through console.error / console.warn: capture them.
  const saved = { error: console.error, warn: console.warn };
  console.error = (...a) => parse.logged.push(a.map(errText).join(' '));
  console.warn = (...a) => parse.logged.push(a.map(errText).join(' '));
  let api;
  try {
    ({ api } = await parseHydraDocumentation(entrypointUrl, { headers: { ...auth }, signal: AbortSignal.timeout(timeoutMs) }));
    parse.ok = true;
    parse.title = api.title ?? null;
    for (const r of api.resources ?? []) {
      const readable = new Set(r.readableFields ?? []);
      const writable = new Set(r.writableFields ?? []);
      const res = {
        name: r.name,
        url: r.url,
        id: r.id ?? null,
        title: r.title ?? null,
        fields: (r.fields ?? []).map((f) => describeField(f, readable.has(f), writable.has(f))),
        operations: (r.operations ?? []).map((o) => ({ name: o.name, type: o.type, method: o.method ?? null, expects: o.expects ?? null, returns: o.returns ?? null })),
        parameters: null,
      };
      try {
        // What Admin's filters and sortable columns use: the collection's search mapping.
        const params = await r.getParameters();
        res.parameters = params.map((p) => ({ variable: p.variable, range: p.range ?? null, required: p.required ?? false }));
      } catch (e) {
        res.parameters = { error: errText(e) };
      }
      parse.resources.push(res);
    }
  } catch (e) {
    // The parser throws an Error or a plain { api, error, response, status } object.
    if (e && typeof e === 'object' && 'error' in e && !(e instanceof Error)) {
      parse.thrown = `${errText(e.error)}${e.response ? ` (last response: HTTP ${e.response.status} ${e.response.url})` : ''}`;
    } else parse.thrown = errText(e);
  } finally {
    console.error = saved.error;
    console.warn = saved.warn;
  }

  checks.add('api-doc-parser: parseHydraDocumentation with the key resolves', parse.ok, parse.thrown ?? `${parse.resources.length} resource(s): ${parse.resources.map((r) => r.name).join(', ')}`);
  checks.add('api-doc-parser: nothing logged (console.error/warn) while parsing', parse.logged.length === 0, parse.logged.join(' | '));
  if (!parse.ok) return;
  const org = parse.resources.find((r) => r.name === 'organizations');
  checks.add('resource "organizations" found at <entrypoint>/organizations', org && org.url === `${entrypointUrl}/organizations`, org ? `url ${org.url}, class ${org.id}` : `resources: ${JSON.stringify(parse.resources.map((r) => [r.name, r.url]))}`);
  if (!org) return;
  const field = (n) => org.fields.find((f) => f.name === n);
  const expectField = (name, range, required, extra = {}) => {
    const f = field(name);
    const ok = !!f && f.range === range && f.required === required && Object.entries(extra).every(([k, v]) => f[k] === v);
    checks.add(
      `field ${name}: range ${range.replace(XSD, 'xsd:')}, required ${required}${Object.keys(extra).length ? `, ${Object.entries(extra).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`,
      ok,
      f ? `seen: range ${f.range}, required ${f.required}, readable ${f.readable}, writable ${f.writable}` : `no field "${name}"; fields: ${org.fields.map((x) => x.name).join(', ')}`,
    );
  };
  expectField('name', `${XSD}string`, true, { readable: true, writable: true });
  expectField('created_at', `${XSD}dateTime`, false, { readable: true });
  expectField('updated_at', `${XSD}dateTime`, false, { readable: true });
  expectField('member_count', `${XSD}integer`, false, { readable: true });
  checks.add('every field has a name and a range', org.fields.length > 0 && org.fields.every((f) => f.name && f.range), org.fields.filter((f) => !f.name || !f.range).map((f) => f.id).join(', '));
  // Fields whose range is a class that is no resource: Admin cannot tell how to show them.
  for (const f of org.fields) {
    if (f.range && !f.range.startsWith(XSD) && !/schema\.org\//.test(f.range) && !f.reference && !f.embedded) {
      checks.warn(`field ${f.name}: range ${f.range} is a class that is not an entrypoint resource (embedded and reference both null); Admin falls back to a text/array guess for it`);
    }
  }
  const types = org.operations.map((o) => o.type);
  for (const t of ['list', 'show', 'create', 'edit', 'delete']) {
    const ops = org.operations.filter((o) => o.type === t);
    checks.add(`operation ${t}`, ops.length > 0, ops.length ? ops.map((o) => `${o.method} "${o.name}" returns ${o.returns}`).join('; ') : `operations seen: ${JSON.stringify(org.operations.map((o) => [o.type, o.method, o.name]))}`);
  }
  const edit = org.operations.find((o) => o.type === 'edit');
  if (edit) checks.add('edit operation is PATCH (Admin sends merge-patch+json for it)', edit.method === 'PATCH', `method ${edit.method}`);
  report.parse.operationTypes = types;
  const params = Array.isArray(org.parameters) ? org.parameters : [];
  checks.add('getParameters() resolves', Array.isArray(org.parameters), Array.isArray(org.parameters) ? org.parameters.map((p) => p.variable).join(', ') : org.parameters?.error);
  checks.add('filter "name" advertised', params.some((p) => p.variable === 'name'), params.map((p) => p.variable).join(', '));
  const orders = params.filter((p) => /^order\[.+\]$/.test(p.variable)).map((p) => p.variable);
  checks.add('order[...] filters advertised (order[id], order[name], order[created_at])', ['order[id]', 'order[name]', 'order[created_at]'].every((v) => orders.includes(v)), orders.join(', ') || 'none');
}

// ------------------------------------------------------------------ (2) jsonld.js
async function fetchSameOrigin(url, init = {}) {
  let current = new URL(url, base);
  for (let hop = 0; hop < 5; hop++) {
    if (current.origin !== base.origin) throw new Error(`refusing to load ${current.href}: not on ${base.origin}`);
    const res = await fetch(current, {
      ...init,
      headers: { Accept: 'application/ld+json', ...auth, ...(init.headers ?? {}) },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      current = new URL(res.headers.get('location'), current);
      continue;
    }
    return { url: current.href, res, text: await res.text() };
  }
  throw new Error(`too many redirects from ${url}`);
}

const contextCache = new Map();
let loaded = [];
async function documentLoader(url) {
  loaded.push(url);
  if (!contextCache.has(url)) {
    const { url: finalUrl, res, text } = await fetchSameOrigin(url);
    if (!res.ok) throw new Error(`context ${finalUrl}: HTTP ${res.status}`);
    const ct = res.headers.get('content-type') ?? '';
    if (!/application\/(ld\+)?json/.test(ct)) throw new Error(`context ${finalUrl}: Content-Type ${ct} is not JSON-LD`);
    contextCache.set(url, { contextUrl: null, documentUrl: finalUrl, document: JSON.parse(text) });
  }
  return contextCache.get(url);
}

// Fetches (or takes) a document, expands it normally and in safe mode; one check per document.
async function expandOne(label, url, { expectStatus = 200, init, accept } = {}) {
  const entry = { label, url: url.replace(base.origin, ''), request: init?.method ? `${init.method} ${url.replace(base.origin, '')}` : `GET ${url.replace(base.origin, '')}`, status: null, contentType: null, contextsLoaded: [], ok: false, error: null, summary: null };
  report.expansion.push(entry);
  let doc;
  try {
    const { res, text } = await fetchSameOrigin(url, { ...(init ?? {}), headers: { ...(init?.headers ?? {}), ...(accept ? { Accept: accept } : {}) } });
    entry.status = res.status;
    entry.contentType = res.headers.get('content-type');
    entry.body = clip(text, 1500);
    if (res.status !== expectStatus) throw new Error(`HTTP ${res.status}, expected ${expectStatus}`);
    doc = JSON.parse(text);
  } catch (e) {
    entry.error = `fetch: ${errText(e)}`;
    checks.add(`jsonld.js expands (safe mode) ${label}`, false, `${entry.request}: ${entry.error}`);
    return null;
  }
  let expanded;
  loaded = [];
  try {
    expanded = await jsonld.expand(doc, { base: url, documentLoader });
  } catch (e) {
    entry.error = `expand: ${errText(e)}`;
  }
  if (expanded) {
    try {
      await jsonld.expand(doc, { base: url, documentLoader, safe: true });
      entry.ok = true;
    } catch (e) {
      entry.error = `safe mode: ${errText(e)}`;
    }
  }
  entry.contextsLoaded = [...new Set(loaded)].map((u) => u.replace(base.origin, ''));
  if (expanded) {
    const node = expanded[0] ?? {};
    entry.summary = { nodes: expanded.length, '@id': node['@id'] ?? null, '@type': node['@type'] ?? null, properties: Object.keys(node).filter((k) => !k.startsWith('@')) };
    if (node[`${HYDRA}member`]) entry.summary.members = node[`${HYDRA}member`].length;
    if (!node['@type']) checks.warn(`${label}: the expanded document has no @type`);
    for (const k of Object.keys(doc)) {
      const local = k.includes(':') ? k.slice(k.lastIndexOf(':') + 1) : k;
      if (!k.startsWith('@') && !entry.summary.properties.some((p) => p === k || p.endsWith(`#${local}`) || p.endsWith(`/${local}`))) {
        checks.warn(`${label}: key "${k}" does not expand to an IRI ending in #${local} or /${local}`);
      }
    }
  }
  checks.add(`jsonld.js expands (safe mode) ${label}`, entry.ok, entry.ok ? `${entry.status} ${entry.contentType}; contexts: ${entry.contextsLoaded.join(', ') || 'none'}` : `${entry.request} → ${entry.status}: ${entry.error}`);
  if (entry.ok) delete entry.body;
  return { doc, expanded };
}

async function runExpansion() {
  // The entrypoint, and the API documentation its Link header points to.
  const head = await fetchSameOrigin(entrypointUrl).catch((e) => ({ error: errText(e) }));
  const link = head.res?.headers.get('link') ?? null;
  const docsUrl = link ? DOC_REL_RE.exec(link)?.[1] : null;
  checks.add('entrypoint Link header names an absolute apiDocumentation URL', !!docsUrl && /^https?:\/\//.test(docsUrl), `Link: ${link ?? head.error ?? '(none)'}`);
  const ep = await expandOne('entrypoint', entrypointUrl);
  if (docsUrl) await expandOne(`API documentation ${docsUrl.replace(base.origin, '')}`, docsUrl);

  // Every collection the entrypoint links to, then the first member of each.
  const collections = [];
  for (const [k, v] of Object.entries(ep?.expanded?.[0] ?? {})) {
    if (k.startsWith('@') || !Array.isArray(v)) continue;
    for (const x of v) if (x && typeof x['@id'] === 'string' && !collections.includes(x['@id'])) collections.push(x['@id']);
  }
  checks.add('entrypoint links to at least one collection', collections.length > 0, collections.map((c) => c.replace(base.origin, '')).join(', '));
  for (const url of collections.slice(0, 30)) {
    const col = await expandOne(`collection ${url.replace(base.origin, '')}`, url);
    const first = col?.expanded?.[0]?.[`${HYDRA}member`]?.[0];
    if (first?.['@id'] && !first['@id'].startsWith('_:')) await expandOne(`first member ${first['@id'].replace(base.origin, '')}`, first['@id']);
    else if (col) checks.warn(`collection ${url.replace(base.origin, '')} is empty: no member to expand`);
  }

  // A 404 problem: an id that does not exist.
  await expandOne('404 problem (GET unknown organization)', `${entrypointUrl}/organizations/${randomUUID()}`, { expectStatus: 404 });

  // A 422 problem: a blank name, as Admin would send it; then read it the way Admin does.
  const r422 = await expandOne('422 problem (POST name " ")', `${entrypointUrl}/organizations`, {
    expectStatus: 422,
    init: { method: 'POST', headers: { 'Content-Type': 'application/ld+json' }, body: JSON.stringify({ name: ' ' }) },
  });
  if (r422?.expanded) {
    // Same logic as getSubmissionErrors in @api-platform/admin 4.0.9 lib/hydra/schemaAnalyzer.js (lines 56-78).
    const content = r422.expanded[0] ?? {};
    const violationKey = Object.keys(content).find((key) => key.includes('violations'));
    let mapped = null;
    if (violationKey) {
      const b = violationKey.substring(0, violationKey.indexOf('#'));
      mapped = {};
      for (const v of content[violationKey]) {
        const msg = v[`${b}#message`] ?? v[`${b}#ConstraintViolation/message`];
        if (v[`${b}#propertyPath`] && msg) mapped[v[`${b}#propertyPath`][0]?.['@value']] = msg[0]?.['@value'];
      }
    }
    checks.add(
      '422: Admin\'s getSubmissionErrors reads {name: "This value should not be blank."} from the expanded violation',
      mapped?.name === 'This value should not be blank.',
      `violations key: ${violationKey ?? '(none)'}; mapped: ${JSON.stringify(mapped)}; compact body violations: ${JSON.stringify(r422.doc.violations ?? null)}`,
    );
  }
}

// ------------------------------------------------------------------ main
try {
  await runParser();
  await runExpansion();
} catch (e) {
  checks.add('driver', false, errText(e));
}
save();
process.exit(checks.failed.length ? 1 : 0);
