#!/usr/bin/env node
// Check (5) of the interoperability suite: alcaeus 3.0.2, a generic Hydra client (RDF/JS
// environment @zazuko/env 3.0.1 + @zazuko/env-node 3.0.0), used as its README shows, against a
// running orgraph. Issue 18 says what it needs; known.json lists what fails today and why.
//
//   discover     loadResource(/api) with the key in defaultHeaders; the API documentation loads
//   collections  getCollections({object: Organization}) on the entrypoint finds /api/organizations
//                (falls back to the entrypoint's documented link so the rest still runs); the
//                entrypoint is typed hydra:Resource by the server, not by the suite's inference
//   item links   an organization's getCollections(): its members, invitations, workspaces and
//                roles, each followed: 200, exactly the members its memberAssertion states
//   create       the POST operation the docs attach to the entrypoint's organization link
//   search       the collection's search template filled from a model that holds only the
//                Organization/name of the created organization: the URL must carry name alone,
//                and the server must answer it with exactly that organization; filled from a
//                model holding Organization/order/name=desc, it must carry order.name alone and
//                the page must come sorted by name, descending
//   update       the PATCH operation of the Organization class (Content-Type from expectsHeader)
//   delete       the DELETE operation, then GET answers 404
//   error        that 404 read as a Hydra error: root typed hydra:Error, statusCode 404, a title
//   writable     Organization's supported properties read through hydra:writable
//
// Two alcaeus bugs are worked around here (reported in the summary as warnings when they bite):
//   - the JSON-LD context named by a Link rel="http://www.w3.org/ns/json-ld#context" header is
//     fetched with the URL exactly as written (FetchUtil.js): a relative one fails in Node, so the
//     fetch given to alcaeus resolves relative URLs against the entrypoint;
//   - getCollections() reads the `collection` accessor that only resources typed hydra:Resource
//     get, so it returns undefined (or throws, with a filter) on a resource that has
//     hydra:collection links but is typed only Entrypoint or Organization: an inference adds
//     hydra:Resource to subjects of hydra:collection (the property's rdfs:domain in the Hydra
//     vocabulary). The server types the entrypoint hydra:Resource itself (a check holds it);
//     organizations keep their one type, which API Platform clients expect.
//   - MemberAssertion.matches() matches {object} only with rdf:type as the property, so an
//     organization's links ("whose organization is X") are filtered by hand.
//   All to report at https://github.com/hypermedia-app/Alcaeus/issues.
//
// Usage: node alcaeus.mjs --entrypoint URL [--key KEY] --out DIR [--timeout-ms N]
// Writes DIR/alcaeus-report.json; prints PASS/FAIL/KNOWN lines on stderr.
// Exit 0 when every check passed or is known (known.json), 1 otherwise.
import create from 'alcaeus';
import Environment from '@zazuko/env/Environment.js';
import rdf from '@zazuko/env-node';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Checks, clip, deadline, errText, pkgVersion, scriptOptions, writeJson } from './lib.mjs';

const HYDRA = 'http://www.w3.org/ns/hydra/core#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

const { opt, timeoutMs } = scriptOptions(process.argv.slice(2));
const entrypointUrl = opt.entrypoint.replace(/\/+$/, '');
const base = new URL(entrypointUrl);
const checks = new Checks('alcaeus');
const report = {
  entrypoint: entrypointUrl,
  clients: { alcaeus: pkgVersion('alcaeus'), '@rdfine/hydra': pkgVersion('@rdfine/hydra'), '@zazuko/env': pkgVersion('@zazuko/env'), '@zazuko/env-node': pkgVersion('@zazuko/env-node'), node: process.version },
  workarounds: { relativeContextUrls: [], inferredHydraResource: [] },
  requests: [],
};
const save = () => {
  let text = JSON.stringify({ ...report, ...checks.toJSON() }, null, 2);
  if (opt.key.length >= 8) text = text.split(opt.key).join('REDACTED');
  writeJson(join(opt.out, 'alcaeus-report.json'), JSON.parse(text));
};
deadline(60000, () => {
  checks.add('finished within 60 s', false);
  save();
});

// The fetch alcaeus gets: same origin only, a time limit, every request logged, and relative
// URLs resolved against the entrypoint (alcaeus passes the Link context URL through as written).
async function suiteFetch(input, init = {}) {
  const raw = typeof input === 'string' ? input : input.url ?? String(input);
  let url;
  try {
    url = new URL(raw);
  } catch {
    url = new URL(raw, base);
    report.workarounds.relativeContextUrls.push(raw);
  }
  if (url.origin !== base.origin) throw new Error(`refusing to fetch ${url.href}: not on ${base.origin}`);
  const entry = { method: (init.method ?? 'GET').toUpperCase(), url: url.href.replace(base.origin, ''), status: null };
  report.requests.push(entry);
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  entry.status = res.status;
  entry.contentType = res.headers.get('content-type');
  return res;
}

const env = new Environment(create({ fetch: suiteFetch }), { parent: rdf });
env.hydra.defaultHeaders = { Authorization: `Bearer ${opt.key}` };
const hydraResource = env.namedNode(`${HYDRA}Resource`);
env.hydra.resources.inferences = [
  ...env.hydra.resources.inferences,
  function* collectionSubjectsAreHydraResources(dataset, e) {
    for (const q of dataset.match(null, e.namedNode(`${HYDRA}collection`))) {
      if (dataset.match(q.subject, e.namedNode(RDF_TYPE), hydraResource).size === 0) {
        if (!report.workarounds.inferredHydraResource.includes(q.subject.value)) report.workarounds.inferredHydraResource.push(q.subject.value);
        yield e.quad(q.subject, e.namedNode(RDF_TYPE), hydraResource);
      }
    }
  },
];

const short = (iri) => String(iri ?? '').replace(base.origin, '');
const types = (r) => [...(r?.types ?? [])].map((t) => t.id.value);
const status = (r) => r?.response?.xhr?.status ?? null;

// Runs one check: fn returns [ok, detail]; a throw is a failure with the error as detail.
async function check(id, fn) {
  let ok = false;
  let detail;
  try {
    [ok, detail] = await fn();
  } catch (e) {
    detail = `threw ${errText(e)}`;
  }
  checks.add(id, ok, detail);
  return ok;
}

async function run() {
  // ---------------------------------------------------------------- discover
  let entry;
  let vocab;
  const discovered = await check('discovers the entrypoint from /api with the key (Entrypoint, API documentation loaded)', async () => {
    const r = await env.hydra.loadResource(entrypointUrl);
    entry = r.representation?.root;
    const docs = env.hydra.apiDocumentations[0]?.root;
    if (docs) vocab = `${docs.id.value}#`;
    const ok = status(r) === 200 && !!entry && types(entry).some((t) => t.endsWith('#Entrypoint')) && !!docs && (docs.supportedClass ?? []).length > 0;
    return [ok, `HTTP ${status(r)}, root ${short(entry?.id.value)} typed ${types(entry).map(short).join(', ')}; API documentation ${short(docs?.id.value)} with ${(docs?.supportedClass ?? []).length} classes`];
  });
  if (!discovered) return;
  const orgClass = env.namedNode(`${vocab}Organization`);
  const orgName = env.namedNode(`${vocab}Organization/name`);
  const nameOf = (r) => r?.pointer.out(orgName).value ?? null;

  // ---------------------------------------------------------------- collections
  let orgs;
  await check('getCollections() on the entrypoint finds /api/organizations (memberAssertion rdf:type Organization)', async () => {
    const all = entry.getCollections() ?? [];
    const found = entry.getCollections({ object: orgClass }) ?? [];
    orgs = found.find((c) => c.id.value === `${entrypointUrl}/organizations`);
    return [!!orgs && found.length === 1, `getCollections(): ${all.map((c) => short(c.id.value)).join(', ') || 'none'}; with {object: Organization}: ${found.map((c) => short(c.id.value)).join(', ') || 'none'}`];
  });
  await check('the entrypoint is typed hydra:Resource by the server (getCollections() needs no workaround there)', async () => {
    const inferred = report.workarounds.inferredHydraResource.includes(entry.id.value);
    return [types(entry).includes(`${HYDRA}Resource`) && !inferred, `typed ${types(entry).map(short).join(', ')}; hydra:Resource inferred by the suite: ${inferred}`];
  });
  // The documented link (Entrypoint/organization, a hydra:Link): the way in without hydra:collection.
  const link = entry.getLinks().find((l) => l.supportedProperty.property?.id.value === `${vocab}Entrypoint/organization`);
  const linked = link?.resources[0];
  orgs ??= linked;
  if (!orgs) {
    checks.add('the entrypoint links to the organizations collection', false, `links: ${entry.getLinks().map((l) => short(l.supportedProperty.property?.id.value)).join(', ')}`);
    return;
  }

  let collection;
  await check('loads the organizations collection (hydra:Collection with totalItems and members)', async () => {
    const r = await env.hydra.loadResource(orgs.id);
    collection = r.representation?.root;
    const ok = status(r) === 200 && types(collection).includes(`${HYDRA}Collection`) && typeof collection.totalItems === 'number' && collection.member.length > 0;
    return [ok, `HTTP ${status(r)}, typed ${types(collection).map(short).join(', ')}, totalItems ${collection?.totalItems}, ${collection?.member?.length ?? 0} members on the page`];
  });

  // ---------------------------------------------------------------- create
  const name = `alcaeus-e2e-${randomUUID().slice(0, 8)}`;
  let created;
  await check('creates an organization through the documented POST operation (201, Location, the name sent)', async () => {
    const post = (linked ?? orgs).operations.find((o) => o.method === 'POST');
    if (!post) return [false, `no POST among the operations of ${short(orgs.id.value)}: ${(linked ?? orgs).operations.map((o) => o.method).join(', ')}`];
    const r = await post.invoke(JSON.stringify({ name }), { 'Content-Type': 'application/ld+json' });
    created = r.representation?.root;
    const location = r.response?.xhr.headers.get('location');
    return [status(r) === 201 && !!location && !!created && nameOf(created) === name, `${post.method} ${short(post.target.id.value)} (expects ${(post.expects ?? []).map((x) => short(x.id?.value)).join(', ')}) → HTTP ${status(r)}, Location ${location}, root ${short(created?.id.value)} named ${JSON.stringify(nameOf(created))}`];
  });

  // ---------------------------------------------------------------- search
  if (collection?.search) {
    let url;
    await check('search template fills name only', async () => {
      const model = env.clownface().blankNode().addOut(orgName, name);
      url = collection.search.expand(model);
      const keys = [...new URL(url, base).searchParams.keys()];
      return [keys.length === 1 && keys[0] === 'name', `template ${collection.search.template} filled from {Organization/name: ${JSON.stringify(name)}} → ${short(url)}`];
    });
    if (url) {
      await check('search URL from the template is accepted and filters by name (200, only the created organization)', async () => {
        const r = await env.hydra.loadResource(new URL(url, base).href);
        const root = r.representation?.root;
        const members = root?.member ?? [];
        const ok = status(r) === 200 && members.length === 1 && members[0].id.value === created?.id.value;
        return [ok, `GET ${short(url)} → HTTP ${status(r)}${root && status(r) !== 200 ? ` (${clip(root.description ?? root.title ?? '', 200)})` : ''}, ${members.length} member(s): ${members.map((m) => nameOf(m)).join(', ')}`];
      });
    }
    // Sorting through the template: the model holds only the sort term of Organization/name
    // (its own property, so that it never collides with the name filter), the URL carries the
    // template's order.name alone and the server sorts by name, descending (SQLite: code points).
    await check('search template sorts: a model holding Organization/order/name=desc fills order.name alone, and the page is sorted by name descending', async () => {
      const model = env.clownface().blankNode().addOut(env.namedNode(`${vocab}Organization/order/name`), 'desc');
      const sorted = collection.search.expand(model);
      const keys = [...new URL(sorted, base).searchParams.keys()];
      // hydra:member is a set: alcaeus hands members back in graph order, so the page's order
      // is read from the same URL as plain JSON.
      const res = await suiteFetch(new URL(sorted, base), { headers: { Accept: 'application/json', Authorization: `Bearer ${opt.key}` } });
      const body = res.ok ? await res.json() : [];
      const names = (Array.isArray(body) ? body : []).map((m) => m.name);
      const descending = names.length > 1 && names.every((n, i) => i === 0 || names[i - 1] >= n);
      return [keys.length === 1 && keys[0] === 'order.name' && res.status === 200 && descending, `${short(sorted)} → HTTP ${res.status}, names ${names.slice(0, 4).map((n) => JSON.stringify(n)).join(', ')}…`];
    });
  } else checks.add('the organizations collection has a hydra:search template', false, `collection ${short(collection?.id.value)} has no search`);

  // ---------------------------------------------------------------- an item's collection links
  // getCollections() on an organization (typed Organization only, so the suite's inference adds
  // hydra:Resource), then the assertions read by hand: alcaeus 3.0.2's MemberAssertion.matches()
  // only matches {object} when the property is rdf:type, so a filter {predicate, object} never
  // matches a "whose organization is X" assertion.
  if (created) {
    await check('follows an organization\'s hydra:collection links: members, invitations, workspaces, roles, domains, events, webhook endpoints, each 200 with exactly the members its memberAssertion (<Class>/organization = the organization) states', async () => {
      const r = await env.hydra.loadResource(created.id);
      const org = r.representation?.root;
      const links = org?.getCollections() ?? [];
      const memberCount = Number(org?.pointer.out(env.namedNode(`${vocab}Organization/member_count`)).value);
      let ok = status(r) === 200 && links.length === 7;
      const seen = [];
      for (const link of links) {
        const a = [...(link.memberAssertion ?? [])][0];
        const prop = a?.property?.id.value;
        const object = a?.object?.id.value;
        const page = await env.hydra.loadResource(link.id);
        const root = page.representation?.root;
        const members = root?.member ?? [];
        const strays = members.filter((m) => m.pointer.out(env.namedNode(prop ?? '')).value !== created.id.value);
        const right = status(page) === 200 && !!prop?.startsWith(vocab) && prop.endsWith('/organization') && object === created.id.value &&
          root.totalItems === members.length && strays.length === 0 && (!prop.endsWith('#Member/organization') || members.length === memberCount);
        ok &&= right;
        seen.push(`${short(link.id.value)} [${short(prop).replace(/.*#/, '')} = ${short(object)}] → HTTP ${status(page)}, ${members.length}/${root?.totalItems} members${strays.length ? `, ${strays.length} of another organization` : ''}${right ? '' : ' ✗'}`);
      }
      return [ok, `HTTP ${status(r)}, ${links.length} links (member_count ${memberCount}): ${seen.join('; ')}`];
    });
  }

  // ---------------------------------------------------------------- update, delete, error
  if (created) {
    const ops = created.operations;
    await check('updates it through the documented PATCH operation (Content-Type from expectsHeader)', async () => {
      const patch = ops.find((o) => o.method === 'PATCH');
      if (!patch) return [false, `operations: ${ops.map((o) => o.method).join(', ')}`];
      const spec = patch.pointer.out(env.namedNode(`${HYDRA}expectsHeader`)).has(env.namedNode(`${HYDRA}headerName`), 'Content-Type');
      const contentType = spec.out(env.namedNode(`${HYDRA}possibleValue`)).values[0] ?? 'application/merge-patch+json';
      const r = await patch.invoke(JSON.stringify({ name: `${name}-renamed` }), { 'Content-Type': contentType });
      return [status(r) === 200 && nameOf(r.representation?.root) === `${name}-renamed`, `PATCH ${short(patch.target.id.value)} as ${contentType} → HTTP ${status(r)}, name ${JSON.stringify(nameOf(r.representation?.root))}`];
    });
    let gone;
    await check('deletes it through the documented DELETE operation (then GET answers 404)', async () => {
      const del = ops.find((o) => o.method === 'DELETE');
      if (!del) return [false, `operations: ${ops.map((o) => o.method).join(', ')}`];
      const r = await del.invoke();
      gone = await env.hydra.loadResource(created.id);
      return [status(r) === 204 && status(gone) === 404, `DELETE → HTTP ${status(r)}; GET → HTTP ${status(gone)}`];
    });
    await check('reads a 404 as a Hydra error (hydra:Error root, statusCode 404, title)', async () => {
      gone ??= await env.hydra.loadResource(`${entrypointUrl}/organizations/${randomUUID()}`);
      const root = gone.representation?.root;
      const ct = gone.response?.xhr.headers.get('content-type');
      const link = gone.response?.xhr.headers.get('link');
      if (!gone.representation) return [false, `HTTP ${status(gone)} ${ct}: alcaeus made no representation (Link: ${link})`];
      const ok = status(gone) === 404 && types(root).includes(`${HYDRA}Error`) && root.statusCode === 404 && typeof root.title === 'string' && root.title.length > 0;
      return [ok, `HTTP ${status(gone)} ${ct}; root ${short(root?.id.value)} typed ${types(root).map(short).join(', ') || 'nothing'}, statusCode ${root?.statusCode}, title ${JSON.stringify(root?.title ?? null)}`];
    });
  }

  // ---------------------------------------------------------------- writable
  await check('reads writability from hydra:writable (Organization: name writable, created_at not)', async () => {
    const docs = env.hydra.apiDocumentations[0]?.root;
    const cls = (docs?.supportedClass ?? []).find((c) => c.id.value === orgClass.value);
    const sps = cls?.supportedProperty ?? [];
    const of = (local) => sps.find((sp) => sp.property?.id.value === `${vocab}Organization/${local}`);
    const unknown = sps.filter((sp) => typeof sp.writable !== 'boolean').map((sp) => short(sp.property?.id.value).replace(/.*#/, ''));
    const ok = sps.length > 0 && unknown.length === 0 && of('name')?.writable === true && of('created_at')?.writable === false;
    return [ok, `${sps.length} supported properties; name.writable ${of('name')?.writable}, created_at.writable ${of('created_at')?.writable}; writability unknown for ${unknown.length}: ${unknown.slice(0, 6).join(', ')}${unknown.length > 6 ? ', …' : ''}`];
  });
}

try {
  await run();
} catch (e) {
  checks.add('driver', false, errText(e));
}
if (report.workarounds.inferredHydraResource.length) {
  checks.warn(`alcaeus bug worked around: getCollections() needs the resource typed hydra:Resource; the suite inferred it for ${report.workarounds.inferredHydraResource.map(short).join(', ')} (report to https://github.com/hypermedia-app/Alcaeus/issues)`);
}
if (report.workarounds.relativeContextUrls.length) {
  checks.warn(`alcaeus bug worked around: it fetched the Link header's JSON-LD context as written (${[...new Set(report.workarounds.relativeContextUrls)].join(', ')}), which Node's fetch cannot do for a relative URL; the suite's fetch resolved it against the entrypoint (report to https://github.com/hypermedia-app/Alcaeus/issues)`);
}
save();
process.exit(checks.failed.length ? 1 : 0);
