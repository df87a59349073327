// Orgraph explorer: renders the JSON-LD document of the page's own URL and
// offers the operations the Hydra documentation lists for it. Every value is
// written with textContent: nothing from the API is ever parsed as HTML.
'use strict';

const KEY = 'orgraph.apiKey';
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'onclick' || k === 'onsubmit') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// all reads a JSON-LD value as a list: compaction writes a single value
// alone, not in an array (an Entrypoint class's one supportedOperation).
const all = (v) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function apiKey() { return sessionStorage.getItem(KEY) || ''; }

// apiPath returns the path and query of an API URL of this origin in its
// clean form ("/api" or under "/api/"), or null for anything else: the key
// goes with every request, so the explorer never fetches, nor links to, a
// URL that could lead elsewhere ("//evil.test/x", "/api/..//evil.test/x",
// "https://evil.test/api", a path with dot or empty segments, or an
// encoded slash).
function apiPath(iri) {
  if (typeof iri !== 'string') return null;
  let u;
  try { u = new URL(iri, location.origin); } catch (_) { return null; }
  if (u.origin !== location.origin || u.username || u.password) return null;
  const raw = iri.startsWith(location.origin) ? iri.slice(location.origin.length) : iri;
  const path = raw.split(/[?#]/)[0];
  if (!path.startsWith('/') || path !== u.pathname) return null; // the browser had to resolve something
  if (path !== '/api' && !path.startsWith('/api/')) return null;
  if (/\/\/|\/\.\.?(\/|$)|%2f|%5c|%2e|\\/i.test(path)) return null;
  return u.pathname + u.search;
}

async function call(method, url, body, headers) {
  const target = apiPath(url);
  if (target === null) throw new Error('not an API URL of this server: ' + url);
  const h = Object.assign({ Accept: 'application/ld+json', Authorization: 'Bearer ' + apiKey() }, headers || {});
  const res = await fetch(target, { method, headers: h, body, redirect: 'error', credentials: 'omit' });
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch (_) { doc = text; }
  return { res, doc };
}

// --- values -----------------------------------------------------------------

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

// iriLink links an API IRI of this server; anything else is shown as text.
function iriLink(iri) {
  const target = apiPath(iri);
  if (target === null) return el('span', { class: 'string', text: String(iri) });
  return el('a', { href: target, class: 'iri', text: iri });
}

function value(v, key) {
  if (v === null || v === undefined) return el('span', { class: 'null', text: 'null' });
  if (Array.isArray(v)) {
    if (v.length === 0) return el('span', { class: 'null', text: '(none)' });
    if (v.every((x) => x && typeof x === 'object' && apiPath(x['@id']) !== null)) {
      // Embedded resources (an organization's members): one line each,
      // linking to the resource, named by its label and role or status.
      return el('ul', { class: 'refs' }, v.map((x) => {
        const label = LABELS.find((n) => typeof x[n] === 'string');
        const extra = ['role', 'status'].filter((n) => typeof x[n] === 'string').map((n) => x[n]).join(', ');
        return el('li', {}, el('a', { href: apiPath(x['@id']), title: x['@id'] }, label ? x[label] : shortId(x['@id'])), extra ? ' ' + extra : '');
      }));
    }
    return el('ol', { class: 'list' }, v.map((x) => el('li', {}, value(x, key))));
  }
  if (typeof v === 'object') return nested(v);
  if (typeof v === 'string') {
    if (key === '@type') return el('span', { class: 'type', text: v });
    if (v.startsWith('/api/') && !v.includes(' ')) return iriLink(v);
    if (isoDate.test(v)) {
      const d = new Date(v);
      return el('time', { datetime: v, title: v, text: isNaN(d) ? v : d.toLocaleString() });
    }
    return el('span', { class: 'string', text: v });
  }
  return el('span', { class: typeof v, text: String(v) });
}

function properties(obj) {
  const dl = el('dl', { class: 'props' });
  for (const [k, v] of Object.entries(obj)) {
    if (k === '@context') continue;
    dl.append(el('dt', { text: k }), el('dd', { 'data-property': k }, value(v, k)));
  }
  return dl;
}

function nested(obj) {
  const title = obj['@type'] ? [el('span', { class: 'type', text: obj['@type'] }), ' '] : [];
  const head = obj['@id'] ? el('header', {}, title, iriLink(obj['@id'])) : (title.length ? el('header', {}, title) : null);
  const rest = Object.assign({}, obj);
  delete rest['@id'];
  delete rest['@type'];
  return el('section', { class: 'nested' }, head, properties(rest));
}

// --- documents --------------------------------------------------------------

function isProblem(res, doc) {
  return (res.headers.get('Content-Type') || '').startsWith('application/problem+json') && doc && typeof doc === 'object';
}

function problem(doc) {
  const box = el('section', { class: 'problem' },
    el('h2', { text: (doc.status || '') + ' ' + (doc.title || 'Error') }),
    el('p', { text: doc.detail || '' }));
  if (Array.isArray(doc.violations) && doc.violations.length) {
    box.append(el('table', {},
      el('thead', {}, el('tr', {}, el('th', { text: 'property' }), el('th', { text: 'message' }), el('th', { text: 'code' }))),
      el('tbody', {}, doc.violations.map((v) => el('tr', {},
        el('td', { text: v.propertyPath || '' }), el('td', { text: v.message || '' }), el('td', { class: 'code', text: v.code || '' }))))));
  }
  if (doc.request_id) box.append(el('p', { class: 'muted', text: 'request id ' + doc.request_id }));
  return box;
}

// --- collections -------------------------------------------------------------

// LABELS are the properties that name a member, first found first: the
// column a person scans, which links to the member.
const LABELS = ['name', 'email', 'slug', 'domain', 'url', 'type', 'title'];
// PREFERRED are what people look for in a row beside its label.
const PREFERRED = ['email', 'slug', 'role', 'current_user_role'];
const MAX_COLUMNS = 6;

// columnsOf chooses a few columns from the member class's documentation:
// the label, then properties with listed values (status, role, mode), links
// to other resources, counts, the creation date, and embedded documents
// (summarised) while there is room.
function columnsOf(cls, members) {
  const props = all(cls?.supportedProperty).filter((p) => p.readable !== false);
  const present = (name) => members.some((m) => name in m);
  const label = LABELS.find((n) => props.some((p) => p.title === n) && present(n)) || null;
  const rank = (p) => {
    const range = p.property.range;
    if (PREFERRED.includes(p.title)) return 0;
    if (allowedValues(range)) return 1;
    if (p.property['@type'] === 'Link') return 2;
    if (range === 'xsd:integer') return 3;
    if (p.title === 'created_at') return 4;
    if (typeof range === 'string' && range.startsWith('#')) return 5;
    return 9;
  };
  const rest = props.filter((p) => p.title !== label && p.title !== 'id' && rank(p) < 9 && present(p.title))
    .map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p.title);
  return { label, columns: rest.slice(0, MAX_COLUMNS - 1) };
}

// shortId is the last segment of an IRI, cut to its first 8 characters.
function shortId(iri) {
  const last = String(iri || '').split('/').pop();
  return last.length > 12 ? last.slice(0, 8) + '…' : last;
}

// cell is a value as a list shows it: links by their short id, dates as
// dates, lists as counts, embedded documents by their first plain value.
function cell(v) {
  if (v === null || v === undefined || v === '') return el('span', { class: 'null', text: '—' });
  if (Array.isArray(v)) return el('span', { class: 'count', text: String(v.length) });
  if (typeof v === 'object') {
    if (v['@id'] && apiPath(v['@id']) !== null) return el('a', { href: apiPath(v['@id']), class: 'iri', title: v['@id'], text: shortId(v['@id']) });
    const first = Object.entries(v).find(([k, x]) => !k.startsWith('@') && (typeof x === 'string' || typeof x === 'number'));
    return first ? cell(first[1]) : el('span', { class: 'null', text: '—' });
  }
  if (typeof v === 'string') {
    if (v.startsWith('/api/') && apiPath(v) !== null) return el('a', { href: apiPath(v), class: 'iri', title: v, text: shortId(v) });
    if (isoDate.test(v)) {
      const d = new Date(v);
      return el('time', { datetime: v, title: isNaN(d) ? v : d.toLocaleString(), text: isNaN(d) ? v : d.toLocaleDateString() });
    }
  }
  return el('span', { class: typeof v, text: String(v) });
}

// searchOf reads a collection's search template: its filters, and the
// properties it sorts by (order[property]).
function searchOf(doc) {
  const filters = [];
  const sorts = new Set();
  for (const m of all(doc.search?.mapping)) {
    const v = String(m.variable || '');
    const order = /^order\[(.+)\]$/.exec(v);
    if (order) sorts.add(order[1]);
    else if (v && !v.startsWith('order.') && v !== 'page' && v !== 'itemsPerPage' && !v.includes('[')) filters.push(v);
  }
  return { filters, sorts };
}

function withQuery(path, changes) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') u.searchParams.delete(k);
    else u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

function filterForm(path, filters) {
  if (!filters.length) return null;
  const here = new URL(path, location.origin).searchParams;
  const form = el('form', { class: 'filters', role: 'search' },
    filters.map((f) => el('label', {}, f + ' ', el('input', { type: 'text', name: f, value: here.get(f) || '' }))),
    el('button', { type: 'submit', text: 'Filter' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const changes = { page: null };
    for (const f of filters) changes[f] = form.elements[f].value.trim();
    location.assign(withQuery(path, changes));
  });
  return form;
}

function collection(doc, path) {
  const members = all(doc.member);
  const cls = docs?.classes['#' + firstType(members[0] || {})];
  const { label, columns } = columnsOf(cls, members);
  const { filters, sorts } = searchOf(doc);
  const here = new URL(path, location.origin).searchParams;
  const header = (name) => {
    if (!sorts.has(name)) return el('th', { scope: 'col', text: name });
    const current = here.get('order[' + name + ']');
    const next = current === 'asc' || current === 'ASC' ? 'desc' : 'asc';
    const changes = { page: null };
    for (const s of sorts) changes['order[' + s + ']'] = null;
    changes['order[' + name + ']'] = next;
    return el('th', { scope: 'col', 'aria-sort': current ? (next === 'desc' ? 'ascending' : 'descending') : null },
      el('a', { href: withQuery(path, changes), title: 'sort by ' + name + ' (' + next + ')' }, name, current ? (next === 'desc' ? ' ▲' : ' ▼') : ''));
  };
  const names = [label || 'id', ...columns];
  const table = el('table', { class: 'collection' },
    el('thead', {}, el('tr', {}, names.map(header))),
    el('tbody', {}, members.map((m) => el('tr', {},
      el('th', { scope: 'row', 'data-label': names[0] },
        apiPath(m['@id']) !== null ? el('a', { href: apiPath(m['@id']), title: m['@id'] }, label && m[label] ? String(m[label]) : shortId(m['@id'])) : String(m[label] ?? '')),
      columns.map((c) => el('td', { 'data-label': c }, cell(m[c])))))));
  const view = doc.view || {};
  const paged = apiPath(view.next) !== null || apiPath(view.previous) !== null;
  const pager = paged ? el('nav', { class: 'pager', 'aria-label': 'pages' },
    ['first', 'previous', 'next', 'last'].map((rel) => apiPath(view[rel]) !== null ? el('a', { href: apiPath(view[rel]), rel, text: rel }) : el('span', { class: 'muted', text: rel }))) : null;
  const total = doc.totalItems ?? members.length;
  return el('section', {},
    el('h1', {}, el('span', { class: 'type', text: 'Collection' }), ' ', doc['@id'] || ''),
    filterForm(path, filters),
    el('p', { class: 'muted', text: total + (total === 1 ? ' item' : ' items') + (paged ? ' · ' + members.length + ' on this page' : '') }),
    members.length ? el('div', { class: 'scroll' }, table) : el('p', { text: 'Nothing here.' }),
    pager);
}

// firstType is a document's class: its first type (the entrypoint is a
// hydra:Resource too, second).
function firstType(doc) {
  return Array.isArray(doc['@type']) ? doc['@type'][0] : doc['@type'];
}

// collectionLinks lists a document's Hydra collection links (hydra:collection),
// each with what its memberAssertion says of the members.
function collectionLinks(links, self, selfType) {
  return el('nav', { class: 'links', 'aria-label': 'collections' }, el('h2', { text: 'Collections' }),
    el('ul', {}, links.map((l) => {
      const a = l.memberAssertion || {};
      const cls = a.property === 'rdf:type' ? String(a.object || '').replace(/.*#/, '') : String(a.property || '').split('/')[0];
      const name = words(cls, ' ') + 's';
      const says = a.property === 'rdf:type' ? 'every ' + cls
        : a.object === self ? 'of this ' + String(selfType || 'resource').toLowerCase() : 'whose ' + (a.property || '') + ' is ' + (a.object || a.subject || '');
      const target = apiPath(l['@id']);
      return el('li', { 'data-collection': l['@id'] || '' },
        target !== null ? el('a', { href: target, title: l['@id'] }, name) : el('span', { text: name }), ' ', el('small', { text: says }));
    })));
}

function item(doc) {
  const types = Array.isArray(doc['@type']) ? doc['@type'] : [doc['@type'] || ''];
  return el('section', {},
    el('h1', {}, types.map((t) => el('span', { class: 'type', text: t })), ' ', doc['@id'] || ''),
    // Its operations and collection links show as forms, actions and links below.
    properties(Object.fromEntries(Object.entries(doc).filter(([k]) => k !== '@id' && k !== '@type' && k !== 'collection' && k !== 'operation'))),
    Array.isArray(doc.collection) && doc.collection.length ? collectionLinks(doc.collection, doc['@id'], firstType(doc)) : null);
}

function renderDocument(res, doc, path) {
  if (isProblem(res, doc)) return problem(doc);
  if (doc && typeof doc === 'object' && Array.isArray(doc.member)) return collection(doc, path || location.pathname + location.search);
  if (doc && typeof doc === 'object') return item(doc);
  return el('pre', { text: String(doc ?? '') });
}

// --- Hydra documentation and forms --------------------------------------------

let docs = null;

async function loadDocs() {
  if (docs) return docs;
  const { doc: d } = await call('GET', '/api/docs.jsonld');
  const { doc: entry } = await call('GET', '/api');
  const classes = {};
  for (const c of all(d?.supportedClass)) classes[c['@id']] = c;
  docs = { classes, entry: entry || {} };
  return docs;
}

// collectionOperations finds the entrypoint link whose collection is this path.
function collectionOperations(path) {
  for (const [term, iri] of Object.entries(docs.entry)) {
    if (term.startsWith('@') || iri !== path) continue;
    const link = all(docs.classes['#Entrypoint']?.supportedProperty).find((p) => p.property['@id'] === '#Entrypoint/' + term);
    if (link) return all(link.property.supportedOperation);
  }
  return [];
}

// entrypointLink is the entrypoint's documented property whose collection
// holds members of the class (range "#Organization"), or undefined.
function entrypointLink(range) {
  return all(docs.classes['#Entrypoint']?.supportedProperty)
    .find((p) => all(p.property.range).some((r) => r['owl:equivalentClass']?.['owl:allValuesFrom']?.['@id'] === range));
}

function isResourceClass(range) {
  return Object.values(docs.entry).length > 0 && entrypointLink(range) !== undefined;
}

// words spells a class name (WebhookEndpoint) in lower-case words joined
// by sep: "webhook endpoint", "webhook_endpoint".
function words(name, sep) {
  return String(name).replace(/([a-z])([A-Z])/g, '$1' + sep + '$2').toLowerCase();
}

// manyValued reads a class's context (once): which of its terms hold
// several values (@container @set or @list), so that a form offers several.
const contexts = {};
async function manyValued(cls) {
  const name = String(cls?.['@id'] || '').replace(/^#/, '');
  if (!name) return new Set();
  if (!contexts[name]) {
    contexts[name] = call('GET', '/api/contexts/' + encodeURIComponent(name)).then(({ res, doc }) => {
      const many = new Set();
      const terms = (res.ok && doc && doc['@context']) || {};
      for (const [term, def] of Object.entries(terms)) {
        if (def && (def['@container'] === '@set' || def['@container'] === '@list')) many.add(term);
      }
      // A class whose documents list their caller's operations defines the term.
      many.affords = 'operation' in terms;
      return many;
    });
  }
  return contexts[name];
}

// allowedValues are the values the documentation lists for a property
// (a range that is an rdfs:Datatype with owl:oneOf), or null.
function allowedValues(range) {
  for (const r of [].concat(range || [])) if (r && Array.isArray(r.oneOf)) return r.oneOf.map(String);
  return null;
}

function field(prop, current, creating, many) {
  const name = prop.title;
  const range = prop.property.range;
  const required = creating && prop.required;
  const id = 'f-' + name;
  const allowed = allowedValues(range);
  const help = prop.description ? el('small', { id: id + '-help', text: prop.description }) : null;
  const violation = el('span', { class: 'violation', role: 'alert' });
  if (many && allowed) {
    // Several of the listed values: a group of checkboxes, sent as an array.
    const chosen = new Set(Array.isArray(current) ? current.map(String) : []);
    return el('fieldset', { class: 'field choices', 'data-field': name, 'aria-describedby': help ? id + '-help' : null },
      el('legend', {}, name, required ? el('abbr', { title: 'required', text: ' *' }) : null),
      el('div', { class: 'options' }, allowed.map((v, i) => el('label', { for: id + '-' + i },
        el('input', { type: 'checkbox', id: id + '-' + i, name, value: v, checked: chosen.has(v), 'data-many': 'choices' }), ' ' + v))),
      help, violation);
  }
  const nestedObject = range === 'rdf:JSON' || (typeof range === 'string' && range.startsWith('#') && prop.property['@type'] !== 'Link' && !isResourceClass(range));
  const parts = nestedObject && !many ? subFields(range) : null;
  if (parts) {
    // One nested object whose writable properties are plain values (a
    // contact, an address, a status): a group of inputs, not JSON.
    const value = current && typeof current === 'object' ? current : {};
    return el('fieldset', { class: 'field subform', 'data-field': name, 'aria-describedby': help ? id + '-help' : null },
      el('legend', {}, name),
      el('div', { class: 'parts' }, parts.map((p) => {
        const sub = field(p, value[p.title], false, false);
        for (const input of sub.querySelectorAll('input, select, textarea')) {
          input.id = id + '.' + p.title;
          input.name = name + '.' + p.title;
          input.dataset.parent = name;
          input.dataset.part = p.title;
          input.removeAttribute('aria-describedby');
        }
        sub.querySelector('label')?.setAttribute('for', id + '.' + p.title);
        sub.querySelector('small')?.remove();
        sub.querySelector('.violation')?.remove();
        return sub;
      })),
      help, violation);
  }
  let input;
  if (many && !nestedObject) {
    // Several free values: one per line, sent as an array.
    input = el('textarea', { id, name, rows: 3, required, placeholder: 'one value per line', 'data-many': 'lines' });
    if (Array.isArray(current)) input.value = current.join('\n');
  } else if (allowed) {
    input = el('select', { id, name, required },
      required ? null : el('option', { value: '', text: '—' }),
      allowed.map((v) => el('option', { value: v, text: v, selected: current === v })));
  } else if (range === 'xsd:boolean') {
    input = el('input', { type: 'checkbox', id, name, checked: current === true });
  } else if (range === 'xsd:integer') {
    input = el('input', { type: 'number', step: '1', id, name, required, value: current ?? '' });
  } else if (nestedObject) {
    // A nested object, or a JSON literal (metadata): written as JSON.
    input = el('textarea', { id, name, rows: 4, required, placeholder: range === 'rdf:JSON' ? 'JSON object' : many ? 'JSON array of ' + range.slice(1) : 'JSON (' + range.slice(1) + ')' });
    if (current !== undefined && current !== null) input.value = JSON.stringify(current, null, 2);
    input.dataset.json = 'true';
  } else {
    const placeholder = prop.property['@type'] === 'Link' ? 'IRI, e.g. /api/' + String(range).slice(1).toLowerCase() + 's/…' : '';
    input = el('input', { type: 'text', id, name, required, placeholder, value: typeof current === 'string' ? current : '', 'data-link': prop.property['@type'] === 'Link' ? String(range) : null });
  }
  if (typeof range === 'string') input.dataset.kind = range;
  if (help) input.setAttribute('aria-describedby', id + '-help');
  return el('div', { class: 'field', 'data-field': name },
    el('label', { for: id }, name, required ? el('abbr', { title: 'required', text: ' *' }) : null),
    input, help, violation);
}

// subFields are the writable properties of a nested class when each holds
// one plain value (a string, a number, a listed value), else null.
function subFields(range) {
  const cls = docs?.classes[range];
  const props = all(cls?.supportedProperty).filter((p) => p.writeable);
  const plain = (p) => p.property['@type'] !== 'Link' && !all(p.property.range).some((r) => typeof r === 'string' && (r.startsWith('#') || r === 'rdf:JSON'));
  return props.length && props.every(plain) ? props : null;
}

// readForm builds the request body. A list is sent whole (merge patch
// replaces arrays), so unticking every value of a list on an edit sends [].
function readForm(form, creating) {
  const body = {};
  for (const input of form.querySelectorAll('input, textarea, select')) {
    if (!input.name) continue;
    if (input.dataset.parent) {
      // A nested object's part: an edit sends an emptied part as null (the
      // merge patch deletes it); a create leaves it out.
      const raw = input.value.trim();
      if (raw === '' && (creating || input.tagName === 'SELECT')) continue;
      body[input.dataset.parent] = body[input.dataset.parent] || {};
      body[input.dataset.parent][input.dataset.part] = raw === '' ? null : input.type === 'number' ? Number(raw) : raw;
      continue;
    }
    if (input.dataset.many === 'choices') {
      if (!(input.name in body)) body[input.name] = [];
      if (input.checked) body[input.name].push(input.value);
      continue;
    }
    if (input.dataset.many === 'lines') {
      const values = input.value.split('\n').map((v) => v.trim()).filter((v) => v !== '');
      if (values.length || !creating) body[input.name] = values;
      continue;
    }
    if (input.type === 'checkbox') { body[input.name] = input.checked; continue; }
    const raw = input.value;
    if (raw === '' && !input.required) continue;
    if (input.dataset.json) {
      try { body[input.name] = JSON.parse(raw); } catch (e) { throw { field: input.name, message: 'This is not valid JSON: ' + e.message }; }
    } else if (input.type === 'number') {
      body[input.name] = Number(raw);
    } else {
      body[input.name] = raw;
    }
  }
  if (creating) for (const [k, v] of Object.entries(body)) if (Array.isArray(v) && v.length === 0) delete body[k];
  return body;
}

function showViolations(form, doc) {
  for (const span of form.querySelectorAll('.violation')) span.textContent = '';
  for (const v of (doc && doc.violations) || []) {
    const top = String(v.propertyPath || '').split(/[.[]/)[0];
    const span = form.querySelector('[data-field="' + CSS.escape(top) + '"] .violation');
    if (span) span.textContent = (span.textContent ? span.textContent + ' ' : '') + (v.propertyPath !== top ? v.propertyPath + ': ' : '') + v.message;
  }
}

function showResult(method, url, res, doc) {
  const box = $('result');
  box.replaceChildren(el('h2', { text: method + ' ' + url + ' → ' + res.status }));
  const location = res.headers.get('Location');
  if (location) box.append(el('p', {}, 'Created: ', iriLink(location)));
  if (doc !== null && doc !== '') box.append(renderDocument(res, doc));
}

function operationForm(op, url, cls, current, etag, many, label, scope) {
  const creating = op.method === 'POST';
  // An edit form leaves out what only a create writes (createOnly).
  const props = all(cls?.supportedProperty).filter((p) => p.writeable && (creating || !p.createOnly));
  const form = el('form', { class: 'operation', 'data-method': op.method, 'data-operation': op.title || '', novalidate: true },
    el('h2', { text: label || op.method + ' ' + url }),
    op.description ? el('p', { class: 'muted', text: op.description }) : null,
    props.map((p) => field(p, current ? current[p.title] : undefined, creating, many.has(p.title))),
    el('button', { type: 'submit', text: label || (creating ? 'Create' : 'Save changes') }));
  pickers(form, current, scope || (typeof current?.organization === 'string' ? current.organization : null));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let body;
    try { body = readForm(form, creating); } catch (e) { showViolations(form, { violations: [{ propertyPath: e.field, message: e.message }] }); return; }
    const headers = { 'Content-Type': creating ? 'application/ld+json' : 'application/merge-patch+json' };
    if (etag) headers['If-Match'] = etag;
    const { res, doc } = await call(op.method, url, JSON.stringify(body), headers);
    showViolations(form, isProblem(res, doc) ? doc : null);
    showResult(op.method, url, res, doc);
    if (res.ok) await refresh();
  });
  return form;
}

// pickers turn a form's links into selects: a link to a resource is chosen
// among the caller's (the first 100 of its collection, named by their
// label), and a role among its organization's roles, by slug. Without a
// list (more than 100, or no collection) the text input stays. On an
// organization's page (scope) the choices are that organization's.
async function pickers(form, current, scope) {
  for (const input of form.querySelectorAll('input[type=text][data-link]')) {
    const collection = collectionOf(input.dataset.link);
    if (!collection) continue;
    const within = scope && input.dataset.link !== '#Organization' ? '&organization=' + encodeURIComponent(shortOrg(scope)) : '';
    const { res, doc } = await call('GET', collection + '?itemsPerPage=100' + within);
    const members = all(doc?.member);
    if (!res.ok || (doc.totalItems ?? 0) > members.length) continue;
    const label = LABELS.find((n) => members.some((m) => n in m));
    const select = el('select', { id: input.id, name: input.name, required: input.required, 'aria-describedby': input.getAttribute('aria-describedby') },
      input.required ? null : el('option', { value: '', text: '—' }),
      members.map((m) => el('option', { value: m['@id'], selected: m['@id'] === input.value, text: (label ? m[label] + ' · ' : '') + shortId(m['@id']) })));
    if (input.required && !input.value && members.length !== 1) select.prepend(el('option', { value: '', text: 'choose…', selected: true }));
    input.replaceWith(select);
  }
  const role = form.querySelector('[name="role"]');
  if (!role || role.tagName !== 'INPUT') return;
  const roles = el('select', { id: role.id, name: 'role', required: role.required, 'aria-describedby': role.getAttribute('aria-describedby') });
  const fill = async () => {
    const org = form.querySelector('[name="organization"]')?.value || current?.organization;
    const keep = roles.value || role.value || current?.role || '';
    const { res, doc } = org ? await call('GET', '/api/roles?organization=' + encodeURIComponent(shortOrg(org)) + '&itemsPerPage=100') : { res: { ok: false } };
    roles.replaceChildren(role.required ? null : el('option', { value: '', text: '—' }),
      ...(res.ok ? all(doc.member) : []).map((r) => el('option', { value: r.slug, selected: r.slug === keep, text: r.slug + (r.name ? ' (' + r.name + ')' : '') })));
  };
  role.replaceWith(roles);
  await fill();
  form.querySelector('[name="organization"]')?.addEventListener('change', fill);
}

// shortOrg is an organization's id from its IRI, as the roles filter takes it.
function shortOrg(iri) { return String(iri).split('/').pop(); }

// collectionOf is the entrypoint's collection of a class ("#Organization").
function collectionOf(range) {
  const term = entrypointLink(range);
  const iri = term ? docs.entry[String(term.property['@id']).replace('#Entrypoint/', '')] : null;
  return typeof iri === 'string' && apiPath(iri) !== null ? apiPath(iri) : null;
}

function actionButton(op, url, etag) {
  const name = op.title || op.method;
  const verb = op.method === 'DELETE' ? 'delete' : name.replace(/[A-Z].*$/, '');
  const target = op.target || (op.method === 'DELETE' ? url : url + '/' + verb);
  const destructive = op.method === 'DELETE' || /^(revoke|deactivate)/.test(name);
  return el('div', { class: 'action' + (destructive ? ' destructive' : '') },
    el('button', {
      type: 'button', 'data-action': verb, text: verb, class: destructive ? 'danger' : null,
      onclick: async () => {
        if (destructive && !confirm(verb[0].toUpperCase() + verb.slice(1) + ' ' + url + '?')) return;
        const { res, doc } = await call(op.method, target, op.method === 'POST' ? '{}' : undefined,
          Object.assign(op.method === 'POST' ? { 'Content-Type': 'application/ld+json' } : {}, etag ? { 'If-Match': etag } : {}));
        showResult(op.method, target, res, doc);
        if (res.ok) await refresh(op.method === 'DELETE' ? collectionOfItem(url) : null);
      },
    }),
    op.description ? el('small', { text: op.description }) : null);
}

// collectionOfItem is where a deleted item's page goes: its collection.
function collectionOfItem(url) { return url.replace(/\/[^/]+$/, ''); }

// allowedOperations are the item's operations the caller may invoke: the
// document's own operation list (per caller) when it has one, matched to the
// documentation's by title for their descriptions and inputs.
async function allowedOperations(cls, doc) {
  const documented = all(cls?.supportedOperation);
  // Without the list, a document of a class that affords them offers the
  // caller nothing; of another class, whatever the documentation lists.
  if (!('operation' in doc)) return (await manyValued(cls)).affords ? [] : documented.map((op) => ({ op, target: null }));
  return all(doc.operation).map((mine) => {
    const op = documented.find((d) => d.title && d.title === mine.title) || mine;
    return { op: Object.assign({}, op, { target: mine.target || op.target }), target: mine.target || null };
  });
}

async function renderOperations(path, doc, etag) {
  await loadDocs();
  const box = $('operations');
  box.replaceChildren();
  if (Array.isArray(doc.member)) {
    for (const op of collectionOperations(path)) {
      const cls = docs.classes['#' + op.expects];
      if (op.method === 'POST') box.append(operationForm(op, path, cls, null, null, await manyValued(cls)));
    }
    return;
  }
  const cls = docs.classes['#' + firstType(doc)];
  const actions = [];
  for (const { op } of await allowedOperations(cls, doc)) {
    if (op.method === 'PATCH') box.append(operationForm(op, doc['@id'], cls, doc, etag, await manyValued(cls)));
    else if (op.method === 'POST' && op.expects && op.target) {
      const input = docs.classes['#' + op.expects];
      const verb = String(op.title || '').replace(/[A-Z].*$/, '');
      box.append(operationForm(op, op.target, input, null, etag, await manyValued(input), verb, firstType(doc) === 'Organization' ? doc['@id'] : doc.organization));
    } else if (op.method === 'DELETE' || (op.method === 'POST' && !op.expects)) actions.push(actionButton(op, doc['@id'], etag));
  }
  for (const form of await relatedForms(doc)) box.append(form);
  // Destructive actions last, apart from the rest.
  actions.sort((a, b) => a.classList.contains('destructive') - b.classList.contains('destructive'));
  box.append(...actions);
}

// relatedForms offer, on an item's page, to create what belongs to it
// (invite, a workspace, a role, a domain …) with the item filled in: one
// form per collection link that carries a POST operation, which the server
// writes only for a caller who may create there (per-caller operations on
// hydra:collection links, as on items).
async function relatedForms(doc) {
  const links = all(doc.collection).filter((l) => l.memberAssertion?.object === doc['@id'] && apiPath(l['@id']) !== null);
  const forms = [];
  for (const link of links) {
    const post = all(link.operation).find((op) => op.method === 'POST');
    if (!post) continue;
    const base = apiPath(link['@id']).split('?')[0];
    const op = collectionOperations(base).find((o) => o.method === 'POST' && o.title === post.title) || post;
    const cls = docs.classes['#' + op.expects];
    const property = String(link.memberAssertion.property || '').split('/').pop();
    const what = String(op.expects || '');
    const label = what === 'Invitation' ? 'Invite' : 'Add a ' + words(what, ' ');
    forms.push(operationForm(op, base, cls, { [property]: doc['@id'] }, null, await manyValued(cls), label));
  }
  return forms;
}

// --- live lists ----------------------------------------------------------------

// liveList keeps a collection page current: it reads the event stream
// (GET /api/events as text/event-stream, with the key in a header, which
// EventSource cannot send, hence fetch) for the member class's events and
// reads the list again shortly after each. Callers who may not read events
// (403) simply get no live list.
async function liveList(doc) {
  const type = firstType(all(doc.member)[0] || {}) || String(doc['@id'] || '').split('/').pop().replace(/s$/, '');
  if (!type) return;
  const prefix = words(type, '_') + '.*';
  let res;
  try {
    res = await fetch('/api/events?type=' + encodeURIComponent(prefix), {
      headers: { Accept: 'text/event-stream', Authorization: 'Bearer ' + apiKey() }, credentials: 'omit', redirect: 'error',
    });
  } catch (_) { return; }
  if (!res.ok || !res.body) return;
  $('status').dataset.live = 'on';
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let pending = null;
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ done: true }));
    if (done) break;
    buffered += value;
    const frames = buffered.split('\n\n');
    buffered = frames.pop();
    if (frames.some((f) => /^event: /m.test(f))) {
      clearTimeout(pending);
      pending = setTimeout(refreshDocument, 300);
    }
  }
  delete $('status').dataset.live;
}

// refreshDocument reads the page's document again and shows it, leaving
// the forms (and what is typed in them) alone.
async function refreshDocument() {
  const url = apiPath(location.pathname + location.search);
  const { res, doc } = await call('GET', url);
  if (res.ok) $('document').replaceChildren(renderDocument(res, doc, url));
}

// refresh reads the page's document again after a write, so that what the
// write changed shows (the new member of a list, the accepted invitation),
// or goes to another page (a deleted item's collection).
async function refresh(to) {
  if (to && apiPath(to) !== null) { location.assign(apiPath(to)); return; }
  const url = apiPath(location.pathname + location.search);
  const { res, doc } = await call('GET', url);
  $('document').replaceChildren(renderDocument(res, doc, url));
  if (res.ok && doc && typeof doc === 'object' && !isProblem(res, doc)) await renderOperations(location.pathname, doc, res.headers.get('ETag'));
}

// --- page ---------------------------------------------------------------------

async function renderNav() {
  await loadDocs();
  const nav = $('collections');
  nav.replaceChildren(...Object.entries(docs.entry).filter(([k, v]) => !k.startsWith('@') && typeof v === 'string')
    .map(([term, iri]) => apiPath(iri) !== null ? el('a', { href: apiPath(iri), text: term }) : el('span', { text: term })));
}

function renderKeyState() {
  const state = $('keystate');
  state.replaceChildren();
  if (!apiKey()) return;
  state.append('key ' + apiKey().slice(0, 12) + '… ', el('button', {
    type: 'button', text: 'forget', onclick: () => { sessionStorage.removeItem(KEY); location.reload(); },
  }));
}

async function main() {
  $('key').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const k = $('keyinput').value.trim();
    if (k) { sessionStorage.setItem(KEY, k); location.reload(); }
  });
  renderKeyState();
  if (!apiKey()) { $('keyform').hidden = false; return; }
  const url = apiPath(location.pathname + location.search);
  if (url === null) {
    $('status').textContent = 'The explorer shows this server\'s API URLs only (/api…).';
    await renderNav();
    return;
  }
  $('status').textContent = 'GET ' + url + ' …';
  const { res, doc } = await call('GET', url);
  $('status').textContent = 'GET ' + url + ' → ' + res.status;
  if (res.status === 401) {
    $('keyform').hidden = false;
  }
  if (res.ok) await loadDocs();
  $('document').replaceChildren(renderDocument(res, doc, url));
  if (res.ok && doc && typeof doc === 'object' && !isProblem(res, doc)) {
    document.title = (firstType(doc) || 'Orgraph') + ' ' + (doc['@id'] || '') + ' · Orgraph explorer';
    await renderOperations(location.pathname, doc, res.headers.get('ETag'));
    if (Array.isArray(doc.member)) liveList(doc);
  }
  await renderNav();
}

// The page says when it is done (data-state on <body>), for people and for the browser tests.
main().then(() => { document.body.dataset.state = 'ready'; }, (e) => {
  $('status').textContent = 'The explorer failed: ' + e;
  document.body.dataset.state = 'failed';
});
