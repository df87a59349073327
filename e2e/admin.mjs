#!/usr/bin/env node
// Check (3) of the interoperability suite: API Platform Admin 4.0.9 (built from src/main.jsx
// with Vite, key wired through api-doc-parser headers + hydraDataProvider's httpClient) in
// Debian's headless Chromium, driven by playwright-core, against a running orgraph.
// Adapted from /work/shared/judges/admin/drive.mjs.
//
// Steps (each saves screenshots DIR/admin-NN-*.png):
//   home       the Admin introspects the API and lists "organizations" in its menu
//   list       the list renders; scalar columns read like the API's values (no "[object Object]",
//              "Invalid Date", "undefined", "NaN"); nested columns are reported as known issues
//   page       "next page" sends page=2&itemsPerPage=10 and shows the rest
//   sort       clicking the Id header sends order[id]=DESC&page=1&itemsPerPage=10, rows in the
//              API's order; clicking Name sends order[name]=ASC
//   show       SHOW on a row opens the record; scalar fields readable, nested ones reported
//   create     Create → fill name → Save: POST 2xx, the record appears
//   violation  a single-space name → 422; the server's message appears under the name input
//   edit       edit the created record: PATCH 2xx, the new value appears
//   delete     Delete → Confirm: DELETE 2xx, the record is gone, GET answers 404
//   live       Admin with its Mercure option (hub = Orgraph's /.well-known/mercure) on a show page:
//              another client renames the record; the new name shows without a reload or a refetch
//   edit-nested  edit a seeded record that has contact/address: the nested objects survive
//
// Usage: node admin.mjs --entrypoint URL [--key KEY] --out DIR [--timeout-ms N]
// (the key may come from ORGRAPH_E2E_KEY instead of --key, as run.sh passes it)
// Writes DIR/admin-report.json; prints PASS/FAIL/KNOWN lines on stderr.
// Exit 0 when every check passed, 1 otherwise, 64 on a usage error.

import http from 'node:http';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { parseHydraDocumentation } from '@api-platform/api-doc-parser';
import { Checks, clip, deadline, errText, scriptOptions, writeJson } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { opt, timeoutMs } = scriptOptions(process.argv.slice(2));
const RESOURCE = 'organizations';
const FIELD = 'name';
const BLANK_MESSAGE = 'This value should not be blank.';
const PROBLEM_RE = /\[object Object\]|Invalid Date|\bundefined\b|\bNaN\b/;
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const entrypoint = opt.entrypoint.replace(/\/+$/, '');
const apiOrigin = new URL(entrypoint).origin;
const dist = join(here, 'dist');
if (!existsSync(join(dist, 'index.html'))) {
  console.error('admin: dist/index.html missing; run "npx vite build" (run.sh does it)');
  process.exit(64);
}
mkdirSync(opt.out, { recursive: true });
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const checks = new Checks('admin');
const report = {
  entrypoint,
  adminUrl: null,
  browser: null,
  clients: {},
  fields: null,
  steps: [],
  apiRequests: [],
  requestsWithoutKey: [],
  blockedRequests: [],
};
const redact = (v) => {
  let text = JSON.stringify(v, null, 2);
  for (const form of new Set([encodeURIComponent(opt.key), opt.key])) text = text.split(`key=${form}`).join('key=REDACTED');
  if (opt.key.length >= 8) text = text.split(opt.key).join('REDACTED');
  return JSON.parse(text);
};
const save = () => writeJson(join(opt.out, 'admin-report.json'), redact({ ...report, ...checks.toJSON() }));
let cleanup = () => {};
deadline(240000, () => {
  checks.add('finished within 240 s', false);
  save();
  cleanup();
});
for (const name of ['@api-platform/admin', '@api-platform/api-doc-parser', 'react-admin', 'react', 'playwright-core', 'vite']) {
  try {
    report.clients[name] = JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'))).version;
  } catch {
    report.clients[name] = null;
  }
}

// ------------------------------------------------------------------ the API, from node
async function api(path, init = {}) {
  const res = await fetch(new URL(path, apiOrigin), {
    ...init,
    headers: { Accept: 'application/ld+json', Authorization: `Bearer ${opt.key}`, ...(init.headers ?? {}) },
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}
const listQuery = (q) => `${entrypoint}/${RESOURCE}?${new URLSearchParams(q)}`;

// Which fields are scalars (an xsd range) and which are nested objects: from the docs, as Admin sees them.
let fieldInfo = {};
try {
  const { api: parsed } = await parseHydraDocumentation(entrypoint, { headers: { Authorization: `Bearer ${opt.key}` }, signal: AbortSignal.timeout(timeoutMs) });
  const r = parsed.resources.find((x) => x.name === RESOURCE);
  for (const f of r?.fields ?? []) fieldInfo[f.name] = { range: f.range, scalar: typeof f.range === 'string' && f.range.startsWith(XSD), embedded: f.embedded?.name ?? null, reference: f.reference?.name ?? null };
} catch (e) {
  checks.warn(`api-doc-parser (node) failed, every column is treated as a scalar: ${errText(e.error ?? e)}`);
}
report.fields = fieldInfo;
const isScalar = (source) => fieldInfo[source]?.scalar ?? true;

// ------------------------------------------------------------------ static server for dist/
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2' };
const staticServer = http.createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = normalize(join(dist, path));
  if (!file.startsWith(dist)) {
    res.writeHead(403).end();
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  createReadStream(file).pipe(res);
});
await new Promise((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
const adminOrigin = `http://127.0.0.1:${staticServer.address().port}`;

// ------------------------------------------------------------------ browser
const profile = mkdtempSync(join(tmpdir(), 'orgraph-e2e-chromium-'));
let context;
cleanup = () => {
  try {
    context?.browser()?.process()?.kill('SIGKILL');
  } catch {
    /* best effort */
  }
  staticServer.close();
  rmSync(profile, { recursive: true, force: true });
};
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    timeout: 30000,
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1600, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
} catch (e) {
  checks.add(`start Chromium at ${executablePath}`, false, e.message.split('\n')[0]);
  save();
  cleanup();
  process.exit(1);
}
report.browser = `${executablePath} ${context.browser()?.version() ?? ''}`.trim();
context.setDefaultTimeout(timeoutMs);
context.setDefaultNavigationTimeout(timeoutMs);

const isLoopback = (u) => {
  try {
    const { protocol, hostname } = new URL(u);
    if (['data:', 'blob:', 'about:'].includes(protocol)) return true;
    return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname);
  } catch {
    return false;
  }
};
await context.route('**/*', (route) => {
  const u = route.request().url();
  if (isLoopback(u)) return route.continue();
  report.blockedRequests.push(u);
  return route.abort('blockedbyclient');
});
// Every snackbar text react-admin shows, with its time, so each step can find its own.
await context.addInitScript(() => {
  window.__e2eNotes = [];
  const last = new WeakMap();
  const scan = () => {
    for (const el of document.querySelectorAll('.MuiSnackbarContent-message')) {
      const text = el.innerText.trim();
      if (text && last.get(el) !== text) {
        last.set(el, text);
        window.__e2eNotes.push({ t: Date.now(), text });
      }
    }
  };
  document.addEventListener('DOMContentLoaded', () => new MutationObserver(scan).observe(document.body, { childList: true, subtree: true, characterData: true }));
});
const page = context.pages()[0] ?? (await context.newPage());
const HUB_PATH = '/.well-known/mercure';
const isHub = (u) => u.startsWith(apiOrigin + HUB_PATH);
const isApi = (u) => u.startsWith(apiOrigin);
// The hub's URL carries the key (authorization=): never into the report.
const short = (u) => decodeURIComponent(u.replace(apiOrigin, '')).replace(/authorization=[^&]*/, 'authorization=REDACTED');

let currentStep = null;
const events = () => currentStep?.events ?? (report.outsideSteps ??= { consoleErrors: [], consoleWarnings: [], pageErrors: [], failedRequests: [], httpErrors: [] });
page.on('console', (m) => {
  const entry = `${m.text()}${m.location()?.url ? ` (${m.location().url.replace(adminOrigin, '')})` : ''}`.slice(0, 1500);
  if (m.type() === 'error') events().consoleErrors.push(entry);
  else if (m.type() === 'warning') events().consoleWarnings.push(entry);
});
page.on('pageerror', (e) => events().pageErrors.push(`${e.name}: ${e.message}`.slice(0, 1500)));
page.on('requestfailed', (r) => {
  if (!report.blockedRequests.includes(r.url())) events().failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
});
page.on('response', async (r) => {
  const u = r.url();
  const req = r.request();
  const step = currentStep;
  if (r.status() >= 400) events().httpErrors.push(`${req.method()} ${short(u)} -> ${r.status()}`);
  if (!isApi(u)) return;
  const line = `${req.method()} ${short(u)} -> ${r.status()}`;
  report.apiRequests.push(`${line}${step ? ` [${step.step}]` : ''}`);
  if (step) step.apiRequests.push(line);
  if (isHub(u)) report.hubRequests = (report.hubRequests ?? 0) + 1; // the key rides in its query, as Mercure allows
  else if (req.method() !== 'OPTIONS') {
    const headers = await req.allHeaders().catch(() => ({}));
    if (headers.authorization !== `Bearer ${opt.key}`) report.requestsWithoutKey.push(`${req.method()} ${short(u)}`);
  }
});

const adminUrl = `${adminOrigin}/?${new URLSearchParams({ entrypoint, key: opt.key })}`;
report.adminUrl = `${adminOrigin}/?${new URLSearchParams({ entrypoint, key: 'REDACTED' })}`;
const gotoRoute = (route) => page.goto(`${adminUrl}#${route}`, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
// The list sorted newest first, so records created during the run are on its first page.
const NEWEST_FIRST = `/${RESOURCE}?${new URLSearchParams({ sort: 'id', order: 'DESC', page: '1', perPage: '10', filter: '{}' })}`;

// ------------------------------------------------------------------ helpers
let shotNo = 0;
async function shot(step, name) {
  shotNo += 1;
  const file = join(opt.out, `admin-${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 10000 }).catch(() => {});
  step.screenshots.push(file.replace(`${opt.out}/`, ''));
}
function newStep(name) {
  const step = { step: name, ok: false, reasons: [], screenshots: [], apiRequests: [], events: { consoleErrors: [], consoleWarnings: [], pageErrors: [], failedRequests: [], httpErrors: [] } };
  report.steps.push(step);
  return step;
}
const isOk = (s) => s >= 200 && s < 300;
const itemUrl = (id) => new URL(id, entrypoint).href;
const parseJson = (text) => {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return undefined;
  }
};

const gridHeader = () => page.locator('table thead th');
const emptyState = () => page.locator('.RaEmpty-message, .RaList-noResults').or(page.getByText(/^No .* yet\.?$/));
const failureText = () => page.getByText(/Unable to retrieve API documentation|Unable to introspect|Cannot find|Error!|Something went wrong/);
async function waitForList(timeout = timeoutMs) {
  try {
    await Promise.race([gridHeader().first().waitFor({ timeout }), emptyState().first().waitFor({ timeout }), failureText().first().waitFor({ timeout })]);
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    await page.waitForTimeout(300);
    return true;
  } catch {
    return false;
  }
}
// Waits until react-admin is no longer loading (the progress bar in the app bar disappears).
async function settle() {
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
  await page.locator('header .MuiLinearProgress-root, header [role="progressbar"]').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(300);
}

// The datagrid as data: per column its source (from react-admin's "column-<source>" class),
// per row the cell texts by source.
async function readGrid() {
  return page.evaluate(() => {
    const src = (el) => [...el.classList].find((c) => c.startsWith('column-'))?.slice(7) ?? null;
    const columns = [...document.querySelectorAll('table thead th')].map((th) => ({ source: src(th), label: th.innerText.trim() })).filter((c) => c.source && c.source !== 'undefined');
    const rows = [...document.querySelectorAll('table tbody tr')].map((tr) => {
      const cells = {};
      for (const td of tr.querySelectorAll('td')) {
        const s = src(td);
        if (s && s !== 'undefined') cells[s] = td.innerText.trim().replace(/\s+/g, ' ');
      }
      return cells;
    });
    const pagination = document.querySelector('.MuiTablePagination-displayedRows')?.textContent ?? null;
    return { columns, rows, pagination };
  });
}

// What DateField would print for a value (same browser, same locale).
const localDate = (v) => page.evaluate((x) => [new Date(x).toLocaleDateString(), new Date(x).toLocaleString()], v);

// Compares what Admin shows for a scalar field with the API's value; returns a problem or null.
async function scalarProblem(source, text, record) {
  if (PROBLEM_RE.test(text ?? '')) return `shows "${clip(text, 80)}"`;
  const value = source === 'id' ? record['@id'] : record[source];
  if (value === undefined || value === null) return text ? `shows "${clip(text, 80)}" for a value the API omits` : null;
  const range = fieldInfo[source]?.range ?? '';
  if (range === `${XSD}dateTime` || range === `${XSD}date`) {
    const accepted = await localDate(value);
    return accepted.includes(text) ? null : `shows "${text}" for ${value} (expected ${accepted.map((a) => `"${a}"`).join(' or ')})`;
  }
  if (typeof value === 'number') return text.replace(/[,\s\u202f]/g, '') === String(value) ? null : `shows "${text}" for ${value}`;
  if (typeof value === 'boolean') return null; // BooleanField draws an icon
  if (typeof value === 'string') return text === value || (source === 'id' && text === record.id) ? null : `shows "${clip(text, 80)}" for "${clip(value, 80)}"`;
  return `shows "${clip(text, 80)}" for a ${typeof value}`;
}

// Checks the grid against the API's page for the same query: scalar columns strictly, nested ones recorded.
async function judgeGrid(step, grid, apiMembers, where) {
  const scalarProblems = [];
  const nested = {};
  for (const [i, row] of grid.rows.entries()) {
    const record = apiMembers.find((m) => m['@id'] === row.id) ?? apiMembers[i];
    if (!record) {
      scalarProblems.push(`row ${i + 1}: no matching API record (Id cell "${row.id}")`);
      continue;
    }
    for (const { source } of grid.columns) {
      const text = row[source] ?? '';
      if (isScalar(source)) {
        const p = await scalarProblem(source, text, record);
        if (p) scalarProblems.push(`row ${i + 1} (${record.name ?? record['@id']}), column ${source}: ${p}`);
      } else {
        (nested[source] ??= new Set()).add(text);
      }
    }
  }
  step.scalarProblems = scalarProblems;
  step.nestedRendering = Object.fromEntries(Object.entries(nested).map(([k, v]) => [k, [...v].slice(0, 5)]));
  return { scalarProblems, nested: step.nestedRendering, where };
}

function reportNested(where, nested) {
  for (const [source, renders] of Object.entries(nested)) {
    const bad = renders.filter((t) => PROBLEM_RE.test(t));
    const info = fieldInfo[source];
    const desc = `range ${info?.range ?? '?'}, embedded ${info?.embedded ?? 'null'}, reference ${info?.reference ?? 'null'}`;
    if (bad.length) checks.known(`${where}: nested field "${source}" is unreadable`, `renders as ${bad.map((b) => JSON.stringify(clip(b, 120))).join(', ')} (${desc})`);
    else checks.warn(`${where}: nested field "${source}" renders as ${renders.map((b) => JSON.stringify(clip(b, 120))).join(', ')} (${desc})`);
  }
}

function nextApiRequest(test, timeout = timeoutMs) {
  return page.waitForRequest((r) => isApi(r.url()) && r.method() !== 'OPTIONS' && test(r), { timeout }).catch(() => null);
}
function nextApiResponse(methods, urlTest, timeout = timeoutMs) {
  return page.waitForResponse((r) => isApi(r.url()) && methods.includes(r.request().method()) && (!urlTest || urlTest(r.url())), { timeout }).catch(() => null);
}
const listRequest = (r) => r.method() === 'GET' && new URL(r.url()).pathname === `/api/${RESOURCE}` && new URL(r.url()).searchParams.has('page');
const queryOf = (u) => Object.fromEntries(new URL(u).searchParams);

// What went over the wire for one request: method, content type, body, status, answer.
async function exchange(r) {
  const req = r.request();
  const headers = await req.allHeaders().catch(() => ({}));
  const text = await r.text().catch(() => null);
  const json = parseJson(text);
  const reqText = req.postData();
  const reqJson = parseJson(reqText);
  return {
    method: req.method(),
    url: short(r.url()),
    requestContentType: headers['content-type'] ?? null,
    requestAccept: headers.accept ?? null,
    authorization: headers.authorization ? (headers.authorization === `Bearer ${opt.key}` ? 'Bearer <key>' : 'other value') : null,
    requestBody: reqJson === undefined ? clip(reqText) : reqJson,
    status: r.status(),
    responseContentType: r.headers()['content-type'] ?? null,
    location: r.headers().location ?? null,
    responseBody: json === undefined || JSON.stringify(json ?? '').length > 4000 ? clip(text) : json,
    json,
  };
}
const withoutJson = ({ json, ...rest }) => rest;

async function notifications(since, waitMs = 4000) {
  const deadlineAt = Date.now() + waitMs;
  for (;;) {
    const notes = await page.evaluate((t) => (window.__e2eNotes ?? []).filter((n) => n.t >= t).map((n) => n.text), since).catch(() => []);
    if (notes.length || Date.now() > deadlineAt) return notes.length ? [...new Set(notes)].join(' | ') : null;
    await page.waitForTimeout(200);
  }
}
async function notificationGone(cap = 12000) {
  const deadlineAt = Date.now() + cap;
  while (Date.now() < deadlineAt && (await page.locator('.MuiSnackbarContent-message').count()) > 0) await page.waitForTimeout(250);
}
function helperText(name) {
  return page.evaluate((n) => {
    const el = document.querySelector(`form [name="${n}"]`);
    if (!el) return { text: null, invalid: null, found: false };
    const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    let texts = ids.map((id) => document.getElementById(id)?.innerText ?? '');
    if (!texts.some((t) => t.replace(/[\s\u200b]/g, ''))) texts = [el.closest('.MuiFormControl-root')?.querySelector('.MuiFormHelperText-root')?.innerText ?? ''];
    const text = texts.map((t) => t.replace(/\u200b/g, '').trim()).filter(Boolean).join(' | ');
    return { text: text || null, invalid: el.getAttribute('aria-invalid') === 'true', found: true };
  }, name);
}
async function formInputs() {
  return page
    .locator('form', { has: page.locator(`[name="${FIELD}"]`) })
    .first()
    .evaluate((form) =>
      [...form.querySelectorAll('input, textarea, select')]
        .filter((el) => el.type !== 'hidden' && el.name && !el.closest('[aria-hidden="true"]'))
        .map((el) => {
          const label = el.id ? form.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
          const text = (label?.textContent ?? '').trim();
          return { name: el.name, tag: el.tagName.toLowerCase(), type: el.type, label: text.replace(/[\s\u2009]*\*$/, ''), required: /\*$/.test(text) || el.required, value: el.value };
        }),
    )
    .catch(() => []);
}
const fieldSel = `form [name="${FIELD}"]`;
const saveButton = () => page.locator('form button[type="submit"]').first();
const saveEnabled = async () => {
  await page.waitForFunction(() => document.querySelector('form button[type="submit"]')?.disabled === false, null, { timeout: 2000 }).catch(() => {});
  await page.waitForTimeout(500);
};
async function openForm(route, step, navigate = true) {
  if (navigate) await gotoRoute(route);
  const ok = await page.locator(fieldSel).first().waitFor({ timeout: timeoutMs }).then(() => true).catch(() => false);
  if (!ok) {
    const body = (await page.locator('body').innerText().catch(() => '')).trim().replace(/\s+/g, ' ');
    step.reasons.push(`no "${FIELD}" input on ${route} within ${timeoutMs} ms; page says: ${body.slice(0, 300) || '(blank)'}`);
  }
  return ok;
}
async function listShows(text, want, timeout = 6000) {
  const deadlineAt = Date.now() + timeout;
  for (;;) {
    const count = await page.locator('table tbody td').evaluateAll((tds, t) => tds.filter((td) => td.innerText.trim() === t).length, text).catch(() => 0);
    if (count > 0 === want || Date.now() > deadlineAt) return count > 0;
    await page.waitForTimeout(250);
  }
}
async function checkList(text, want, step, shotName) {
  await gotoRoute(NEWEST_FIRST);
  const rendered = await waitForList();
  const shown = rendered ? await listShows(text, want) : false;
  const rows = await page.locator('table tbody tr').count().catch(() => 0);
  const pagination = (await page.locator('.MuiTablePagination-displayedRows').first().textContent({ timeout: 500 }).catch(() => null)) ?? null;
  if (shotName) await shot(step, shotName);
  return { rendered, shown, rows, pagination };
}
// The show page as data: each react-admin "ra-field-<source>" with its label and text.
async function readShow() {
  return page.evaluate(() =>
    [...document.querySelectorAll('.ra-field')].map((el) => {
      const source = [...el.classList].find((c) => c.startsWith('ra-field-'))?.slice(9) ?? null;
      const label = el.querySelector('.RaLabeled-label, label, p')?.innerText.trim() ?? null;
      const full = el.innerText.trim();
      const text = (label && full.startsWith(label) ? full.slice(label.length) : full).trim().replace(/\s+/g, ' ');
      return { source, label, text };
    }),
  );
}
async function checkShow(id, text, step, shotName, resource = RESOURCE) {
  await gotoRoute(`/${resource}/${encodeURIComponent(id)}/show`);
  const shown = await page.getByText(text, { exact: true }).first().waitFor({ timeout: 8000 }).then(() => true).catch(() => false);
  if (shotName) await shot(step, shotName);
  return shown;
}
function serverViolations(json) {
  if (!json || typeof json !== 'object') return { all: [], forField: [] };
  const list = json.violations ?? json['hydra:violations'] ?? [];
  const all = Array.isArray(list) ? list.map((v) => ({ propertyPath: v?.propertyPath ?? null, message: v?.message ?? null, code: v?.code ?? null })) : [];
  return { all, forField: all.filter((v) => v.propertyPath === FIELD && v.message).map((v) => v.message) };
}
const eventSummary = (step) => {
  const e = step.events;
  return [e.pageErrors.length && `page errors: ${e.pageErrors.join(' | ')}`, e.consoleErrors.length && `console errors: ${e.consoleErrors.slice(0, 3).join(' | ')}`, e.failedRequests.length && `failed requests: ${e.failedRequests.join(' | ')}`]
    .filter(Boolean)
    .join('; ');
};

// ------------------------------------------------------------------ steps
async function stepHome(step) {
  const t0 = Date.now();
  await page.goto(adminUrl, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  const menu = page.locator('.RaSidebar-fixed a[href^="#/"], .RaMenu-open a[href^="#/"], .MuiDrawer-root a[href^="#/"]');
  await Promise.race([menu.first().waitFor({ timeout: timeoutMs }), page.waitForEvent('pageerror', { timeout: timeoutMs })]).catch(() => {});
  step.introspectionMs = Date.now() - t0;
  const hrefs = await menu.evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() }))).catch(() => []);
  step.menu = [...new Map(hrefs.map(({ href, text }) => [href.replace(/^#\//, '').split(/[/?]/)[0], text])).entries()].map(([name, label]) => ({ name, label }));
  await shot(step, 'home');
  if (!step.menu.length) step.reasons.push(`no resource in the menu; page says: ${((await page.locator('body').innerText().catch(() => '')).trim().slice(0, 300)) || '(blank page)'}`);
  step.ok = step.menu.some((m) => m.name === RESOURCE) && !step.events.pageErrors.length;
  checks.add(`home: Admin introspects the API with the key and lists "${RESOURCE}" in its menu`, step.ok, `${step.menu.map((m) => m.name).join(', ') || 'empty menu'} in ${step.introspectionMs} ms${step.reasons.length ? `; ${step.reasons.join('; ')}` : ''}${eventSummary(step) ? `; ${eventSummary(step)}` : ''}`);
  return step.ok;
}

async function stepList(step) {
  // The home page already redirected to this list: reload so the first-page request is seen afresh.
  const req = nextApiRequest(listRequest);
  await gotoRoute(`/${RESOURCE}`);
  await page.reload({ waitUntil: 'domcontentloaded', timeout: timeoutMs });
  const rendered = await waitForList();
  const r = await req;
  step.request = r ? short(r.url()) : null;
  const grid = await readGrid();
  step.columns = grid.columns;
  step.rowCount = grid.rows.length;
  step.pagination = grid.pagination;
  step.firstRows = grid.rows.slice(0, 3);
  await shot(step, 'list');
  const q = r ? queryOf(r.url()) : {};
  const apiPage = r ? await api(r.url()) : null;
  const total = apiPage?.json?.totalItems ?? null;
  step.apiTotalItems = total;
  checks.add('list: Admin requests the first page (page=1&itemsPerPage=10, with an order[...])', !!r && q.page === '1' && q.itemsPerPage === '10' && Object.keys(q).some((k) => /^order\[/.test(k)), step.request ?? 'no list request seen');
  checks.add('list: the datagrid renders the rows of the first page', rendered && grid.columns.length > 0 && total !== null && grid.rows.length === Math.min(10, total) && grid.pagination === `1-${Math.min(10, total)} of ${total}`, `columns: ${grid.columns.map((c) => c.label).join(', ')}; ${grid.rows.length} rows; pagination "${grid.pagination}"; API totalItems ${total}`);
  const { scalarProblems, nested } = await judgeGrid(step, grid, apiPage?.json?.member ?? [], 'list');
  const scalarCols = grid.columns.filter((c) => isScalar(c.source)).map((c) => c.source);
  checks.add(`list: scalar columns readable and equal to the API's values (${scalarCols.join(', ')})`, grid.rows.length > 0 && scalarProblems.length === 0, scalarProblems.slice(0, 8).join('; ') || `${grid.rows.length} rows checked`);
  reportNested('list', nested);
  checks.add('list: no page error, console error or failed request', !eventSummary(step), eventSummary(step));
  step.ok = rendered && scalarProblems.length === 0;
  return { total };
}

async function stepPage(step, total) {
  const next = page.locator('button[aria-label="Go to next page"], button[aria-label="Go to page 2"]').first();
  if (!(await next.count()) || total <= 10) {
    checks.add('page: "next page" sends page=2&itemsPerPage=10', false, total <= 10 ? `only ${total} records (seed more than 10)` : 'no next-page button');
    await shot(step, 'list-page-2');
    return;
  }
  const req = nextApiRequest((r) => listRequest(r) && queryOf(r.url()).page === '2');
  await next.click();
  const r = await req;
  await settle();
  const grid = await readGrid();
  step.request = r ? short(r.url()) : null;
  step.rowCount = grid.rows.length;
  step.pagination = grid.pagination;
  await shot(step, 'list-page-2');
  const q = r ? queryOf(r.url()) : {};
  const expectRows = Math.min(10, total - 10);
  const apiPage = r ? await api(r.url()) : null;
  const { scalarProblems } = await judgeGrid(step, grid, apiPage?.json?.member ?? [], 'page 2');
  step.ok = !!r && q.itemsPerPage === '10' && grid.rows.length === expectRows && grid.pagination === `11-${10 + expectRows} of ${total}` && !scalarProblems.length;
  checks.add('page: "next page" sends page=2&itemsPerPage=10 and shows the rest', step.ok, `${step.request ?? 'no page=2 request'}; ${grid.rows.length} rows (expected ${expectRows}); pagination "${grid.pagination}"${scalarProblems.length ? `; ${scalarProblems.slice(0, 3).join('; ')}` : ''}`);
}

// Clicks a column header and checks the request and the row order against the API's.
async function sortBy(step, source, expectOrder, shotName) {
  const header = page.locator(`table thead th.column-${source} [role="button"], table thead th.column-${source} .MuiTableSortLabel-root`).first();
  if (!(await header.count())) {
    checks.add(`sort: clicking the ${source} header sends order[${source}]=${expectOrder}`, false, `no sortable header for ${source}`);
    return false;
  }
  const req = nextApiRequest((r) => listRequest(r) && queryOf(r.url())[`order[${source}]`] === expectOrder);
  await header.click();
  const r = await req;
  await settle();
  const grid = await readGrid();
  await shot(step, shotName);
  const q = r ? queryOf(r.url()) : {};
  const apiPage = r ? await api(r.url()) : null;
  const apiOrder = (apiPage?.json?.member ?? []).map((m) => m['@id']);
  const shownOrder = grid.rows.map((row) => row.id);
  const sameOrder = apiOrder.length > 0 && JSON.stringify(apiOrder) === JSON.stringify(shownOrder);
  const { scalarProblems } = await judgeGrid(step, grid, apiPage?.json?.member ?? [], `sorted by ${source}`);
  const ok = !!r && q.page === '1' && q.itemsPerPage === '10' && sameOrder && !scalarProblems.length;
  (step.sorts ??= []).push({ source, expectOrder, request: r ? short(r.url()) : null, shownOrder: grid.rows.map((row) => row[source]), apiOrder: (apiPage?.json?.member ?? []).map((m) => m[source] ?? m['@id']) });
  checks.add(
    `sort: clicking the ${source} header sends order[${source}]=${expectOrder}&page=1&itemsPerPage=10; rows in the API's order`,
    ok,
    `${r ? short(r.url()) : 'no such request'}; first rows shown: ${grid.rows.slice(0, 3).map((row) => row.name).join(', ')}${sameOrder ? '' : `; API order: ${(apiPage?.json?.member ?? []).slice(0, 3).map((m) => m.name).join(', ')}`}${scalarProblems.length ? `; ${scalarProblems.slice(0, 3).join('; ')}` : ''}`,
  );
  return ok;
}

async function stepSort(step) {
  // The list is sorted by id ASC (Admin's default): one click on Id makes it DESC.
  const a = await sortBy(step, 'id', 'DESC', 'list-sorted-id-desc');
  const b = await sortBy(step, 'name', 'ASC', 'list-sorted-name-asc');
  step.ok = a && b;
}

async function stepShow(step) {
  await gotoRoute(NEWEST_FIRST);
  await waitForList();
  const row = page.locator('table tbody tr').first();
  const id = await row.locator('td.column-id').innerText().catch(() => null);
  const link = row.locator('a[href$="/show"]').first();
  if (await link.count()) await link.click();
  else if (id) await gotoRoute(`/${RESOURCE}/${encodeURIComponent(id.trim())}/show`);
  const appeared = await page.locator('.ra-field').first().waitFor({ timeout: timeoutMs }).then(() => true).catch(() => false);
  await settle();
  // The record's IRI, from the show page's route (#/organizations/<encoded @id>/show).
  const fromHash = /^#\/[^/]+\/(.+)\/show$/.exec(new URL(page.url()).hash)?.[1];
  step.recordId = fromHash ? decodeURIComponent(fromHash) : id?.trim() ?? null;
  if (id && step.recordId !== id.trim()) step.reasons.push(`the show page is for ${step.recordId}, the row was ${id.trim()}`);
  const fields = appeared ? await readShow() : [];
  step.fields = fields;
  await shot(step, 'show');
  const record = step.recordId ? (await api(step.recordId)).json ?? {} : {};
  const problems = [];
  const nested = {};
  for (const f of fields) {
    if (!f.source) continue;
    if (isScalar(f.source)) {
      const p = await scalarProblem(f.source, f.text, record);
      if (p) problems.push(`${f.source}: ${p}`);
    } else nested[f.source] = [f.text];
  }
  step.scalarProblems = problems;
  step.nestedRendering = nested;
  step.ok = appeared && !!record['@id'] && problems.length === 0 && !step.reasons.length && fields.some((f) => f.source === 'name' && f.text === record.name);
  checks.add('show: SHOW on a row opens the record; scalar fields readable and equal to the API\'s values', step.ok, `${step.recordId ?? 'no record'}: ${step.reasons.length ? `${step.reasons.join('; ')}; ` : ''}${fields.filter((f) => isScalar(f.source)).map((f) => `${f.source}="${clip(f.text, 40)}"`).join(', ')}${problems.length ? `; problems: ${problems.join('; ')}` : ''}${eventSummary(step) ? `; ${eventSummary(step)}` : ''}`);
  reportNested('show', nested);
}

const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const state = { id: null, name: null };

async function stepCreate(step) {
  await gotoRoute(NEWEST_FIRST);
  await waitForList();
  const createLink = page.locator(`a[href="#/${RESOURCE}/create"]`).first();
  step.createButtonOnList = (await createLink.count()) > 0;
  if (step.createButtonOnList) await createLink.click();
  if (!(await openForm(`/${RESOURCE}/create`, step, !step.createButtonOnList))) {
    await shot(step, 'create-form');
    return;
  }
  step.formInputs = await formInputs();
  const value = `e2e-created-${stamp}`;
  await page.locator(fieldSel).first().fill(value);
  step.filled = { [FIELD]: value };
  await saveEnabled();
  await shot(step, 'create-form');
  const pending = nextApiResponse(['POST']);
  const clicked = Date.now();
  await saveButton().click({ timeout: 5000 }).catch((e) => step.reasons.push(`cannot click Save: ${e.message.split('\n')[0]}`));
  const r = await pending;
  if (!r) {
    step.reasons.push(`no POST request within ${timeoutMs} ms of clicking Save`);
    step.helperText = await helperText(FIELD);
    await shot(step, 'create-result');
    return;
  }
  const x = await exchange(r);
  step.request = withoutJson(x);
  step.notification = await notifications(clicked);
  if (!isOk(x.status)) {
    step.reasons.push(`POST answered ${x.status}: ${clip(JSON.stringify(x.responseBody), 500)}`);
    await shot(step, 'create-result');
    return;
  }
  const id = x.json?.['@id'] ?? null;
  if (!id) step.reasons.push('the 2xx body has no @id (Admin needs it to key the record)');
  state.id = id;
  state.name = value;
  await page.waitForURL((u) => !u.hash.includes('/create'), { timeout: 5000 }).catch(() => {});
  step.redirectedTo = new URL(page.url()).hash;
  step.list = await checkList(value, true, step, 'create-list');
  step.show = id ? await checkShow(id, value, step, 'create-show') : false;
  if (!step.list.shown) step.reasons.push(`"${value}" is not in the list (sorted newest first)`);
  if (!step.show) step.reasons.push(`"${value}" is not on the show page`);
  step.ok = step.reasons.length === 0;
}

async function stepViolation(step) {
  await notificationGone();
  if (!(await openForm(`/${RESOURCE}/create`, step))) return;
  const input = page.locator(fieldSel).first();
  // 1. Empty: react-admin's required() (from hydra:required) blocks it client-side.
  await input.fill('x');
  await input.fill('');
  let pending = nextApiResponse(['POST'], null, 2500);
  const emptyDisabled = await saveButton().isDisabled().catch(() => null);
  let clicked = Date.now();
  if (!emptyDisabled) await saveButton().click({ timeout: 5000 }).catch(() => {});
  let r = await pending;
  step.emptySubmit = { saveDisabled: emptyDisabled, requestSent: !!r, helperText: (await helperText(FIELD)).text };
  if (!r) {
    await shot(step, 'violation-empty');
    // 2. A single space passes required() (it does not trim): the server must refuse it.
    await input.fill(' ');
    step.submitted = ' ';
    pending = nextApiResponse(['POST']);
    const disabled = await saveButton().isDisabled().catch(() => null);
    clicked = Date.now();
    if (disabled) step.reasons.push('Save stayed disabled with a single space in the field');
    else await saveButton().click({ timeout: 5000 }).catch((e) => step.reasons.push(`cannot click Save: ${e.message.split('\n')[0]}`));
    r = await pending;
  } else step.submitted = '';
  if (!r) {
    step.reasons.push('no POST request was sent for a blank name');
    await shot(step, 'violation');
    return;
  }
  const x = await exchange(r);
  step.request = withoutJson(x);
  if (isOk(x.status)) {
    step.reasons.push(`the server accepted a blank ${FIELD} (${x.status}); it should answer 422 with a violation`);
    if (x.json?.['@id']) await api(x.json['@id'], { method: 'DELETE' }).catch(() => {});
  } else if (x.status !== 422) step.reasons.push(`expected 422, got ${x.status}`);
  const sv = serverViolations(x.json);
  step.serverViolations = sv.all;
  if (!isOk(x.status) && !sv.forField.length) step.reasons.push(`the ${x.status} body has no violation with propertyPath "${FIELD}" and a message`);
  const stopAt = Date.now() + 6000;
  let h = await helperText(FIELD);
  let notedAt = null;
  while (!h.text && Date.now() < stopAt && !(notedAt && Date.now() - notedAt > 1000)) {
    await page.waitForTimeout(200);
    h = await helperText(FIELD);
    if (!notedAt && (await notifications(clicked, 0))) notedAt = Date.now();
  }
  step.underInput = h.text;
  step.inputInvalid = h.invalid;
  await shot(step, 'violation');
  step.notification = await notifications(clicked, 1500);
  if ((h.text ?? '') !== BLANK_MESSAGE && !(h.text ?? '').includes(BLANK_MESSAGE)) {
    step.reasons.push(h.text ? `under the input: "${h.text}", not "${BLANK_MESSAGE}"` : `"${BLANK_MESSAGE}" does not appear under the input (Admin maps violations only when "violations", "propertyPath" and "message" expand under one namespace)`);
  }
  step.ok = x.status === 422 && step.reasons.length === 0;
}

async function stepEdit(step) {
  if (!state.id) {
    step.reasons.push('skipped: no record was created');
    return;
  }
  await notificationGone();
  if (!(await openForm(`/${RESOURCE}/${encodeURIComponent(state.id)}`, step))) {
    await shot(step, 'edit-form');
    return;
  }
  const loaded = await page
    .waitForFunction(([sel, v]) => document.querySelector(sel)?.value === v, [fieldSel, state.name], { timeout: timeoutMs })
    .then(() => true)
    .catch(() => false);
  step.loadedValue = await page.locator(fieldSel).first().inputValue().catch(() => null);
  if (!loaded) step.reasons.push(`the edit form shows "${step.loadedValue}", not "${state.name}"`);
  const value = `${state.name}-edited`;
  await page.locator(fieldSel).first().fill(value);
  step.newValue = value;
  await saveEnabled();
  await shot(step, 'edit-form');
  const target = itemUrl(state.id);
  const pending = nextApiResponse(['PATCH', 'PUT', 'POST'], (u) => u === target);
  const clicked = Date.now();
  await saveButton().click({ timeout: 5000 }).catch((e) => step.reasons.push(`cannot click Save: ${e.message.split('\n')[0]}`));
  const r = await pending;
  if (!r) {
    step.reasons.push(`no PATCH/PUT request to ${short(target)} within ${timeoutMs} ms of clicking Save`);
    await shot(step, 'edit-result');
    return;
  }
  const x = await exchange(r);
  step.request = withoutJson(x);
  step.method = x.method;
  step.contentType = x.requestContentType;
  step.fieldsSent = x.requestBody && typeof x.requestBody === 'object' ? Object.keys(x.requestBody) : null;
  step.notification = await notifications(clicked);
  if (x.method !== 'PATCH') step.reasons.push(`the update was a ${x.method}, not PATCH`);
  if (!isOk(x.status)) {
    step.reasons.push(`${x.method} (Content-Type ${x.requestContentType}) answered ${x.status}: ${clip(JSON.stringify(x.responseBody), 500)}`);
    await shot(step, 'edit-result');
    return;
  }
  state.name = value;
  await page.waitForURL((u) => !u.hash.includes(encodeURIComponent(state.id)), { timeout: 5000 }).catch(() => {});
  step.list = await checkList(value, true, step, 'edit-list');
  step.show = await checkShow(state.id, value, step, 'edit-show');
  if (!step.list.shown) step.reasons.push(`"${value}" is not in the list`);
  if (!step.show) step.reasons.push(`"${value}" is not on the show page`);
  step.ok = step.reasons.length === 0;
}

async function stepDelete(step) {
  if (!state.id) {
    step.reasons.push('skipped: no record was created');
    return;
  }
  await notificationGone();
  if (!(await openForm(`/${RESOURCE}/${encodeURIComponent(state.id)}`, step))) {
    await shot(step, 'delete-result');
    return;
  }
  await page.waitForFunction((sel) => !!document.querySelector(sel)?.value, fieldSel, { timeout: timeoutMs }).catch(() => {});
  const target = itemUrl(state.id);
  const pending = nextApiResponse(['DELETE'], (u) => u === target, timeoutMs + 8000);
  const del = page.getByRole('button', { name: /^delete$/i }).first();
  if (!(await del.count())) {
    step.reasons.push('no Delete button on the edit page');
    await shot(step, 'delete-result');
    return;
  }
  const clicked = Date.now();
  await del.click({ timeout: 5000 });
  const confirm = page.locator('.MuiDialog-root').getByRole('button', { name: /^confirm$/i });
  step.confirmDialog = await confirm.waitFor({ timeout: 3000 }).then(() => true).catch(() => false);
  if (step.confirmDialog) {
    await page.waitForTimeout(400);
    await shot(step, 'delete-confirm');
    await confirm.click();
  }
  const r = await pending;
  if (!r) {
    step.reasons.push(`no DELETE request to ${short(target)}`);
    await shot(step, 'delete-result');
    return;
  }
  const x = await exchange(r);
  step.request = withoutJson(x);
  step.notification = await notifications(clicked);
  if (!isOk(x.status)) {
    step.reasons.push(`DELETE answered ${x.status}: ${clip(JSON.stringify(x.responseBody), 500)}`);
    await shot(step, 'delete-result');
    return;
  }
  await page.waitForURL((u) => !u.hash.includes(encodeURIComponent(state.id)), { timeout: 5000 }).catch(() => {});
  step.list = await checkList(state.name, false, step, 'delete-list');
  if (step.list.shown) step.reasons.push(`"${state.name}" is still in the list`);
  const after = await api(state.id).catch((e) => ({ status: `error: ${e.message}` }));
  step.itemStatusAfterDelete = after.status;
  if (after.status !== 404) step.reasons.push(`GET ${state.id} after the delete answered ${after.status}, not 404`);
  step.ok = step.reasons.length === 0;
}

// Edits a seeded record whose contact and address are set: Admin shows them as text inputs
// (their range is a class it does not know); saving a name change must not damage them.
async function stepEditNested(step) {
  const found = await api(`/api/${RESOURCE}?${new URLSearchParams({ name: 'e2e-org-01' })}`);
  const before = found.json?.member?.find((m) => m.name?.startsWith('e2e-org-01')) ?? null;
  if (!before?.contact || !before?.address) {
    step.reasons.push(`no seeded record with contact and address (GET ?name=e2e-org-01 → ${found.status})`);
    return;
  }
  const id = before['@id'];
  step.recordId = id;
  await notificationGone();
  if (!(await openForm(`/${RESOURCE}/${encodeURIComponent(id)}`, step))) return;
  await page.waitForFunction(([sel, v]) => document.querySelector(sel)?.value === v, [fieldSel, before.name], { timeout: timeoutMs }).catch(() => {});
  step.formInputs = await formInputs();
  for (const input of step.formInputs) {
    if (PROBLEM_RE.test(input.value ?? '')) checks.known(`edit form: input "${input.name}" is unreadable`, `a text input whose value reads ${JSON.stringify(input.value)} (range ${fieldInfo[input.name]?.range ?? '?'}); the record's value is ${JSON.stringify(before[input.name])}`);
  }
  const value = `${before.name}-edited`;
  await page.locator(fieldSel).first().fill(value);
  await saveEnabled();
  await shot(step, 'edit-nested-form');
  const pending = nextApiResponse(['PATCH', 'PUT'], (u) => u === itemUrl(id));
  await saveButton().click({ timeout: 5000 }).catch((e) => step.reasons.push(`cannot click Save: ${e.message.split('\n')[0]}`));
  const r = await pending;
  if (!r) {
    step.reasons.push('no PATCH request');
    await shot(step, 'edit-nested-result');
    return;
  }
  const x = await exchange(r);
  step.request = withoutJson(x);
  step.sent = { contact: x.requestBody?.contact, address: x.requestBody?.address, status: x.requestBody?.status };
  if (!isOk(x.status)) step.reasons.push(`${x.method} answered ${x.status}: ${clip(JSON.stringify(x.responseBody), 600)}`);
  const after = (await api(id)).json ?? {};
  step.after = { name: after.name, contact: after.contact, address: after.address };
  if (after.name !== value) step.reasons.push(`name is "${after.name}", not "${value}"`);
  for (const k of ['contact', 'address', 'phone_number']) {
    if (JSON.stringify(after[k]) !== JSON.stringify(before[k])) step.reasons.push(`${k} changed from ${JSON.stringify(before[k])} to ${JSON.stringify(after[k])}`);
  }
  await page.waitForURL((u) => !u.hash.includes(encodeURIComponent(id)), { timeout: 5000 }).catch(() => {});
  await checkShow(id, value, step, 'edit-nested-show');
  step.ok = step.reasons.length === 0;
  // Put the name back so a rerun against the same database starts from the seed.
  await api(id, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ name: before.name }) }).catch(() => {});
}

// live: Admin with its Mercure option (the hub = Orgraph's /.well-known/mercure) shows a record
// renamed by another client without a reload. Admin subscribes to the records it shows, one
// EventSource each; on the show page that is one (a list page opens one per row: over HTTP/1.1 a
// browser holds 6 connections per host, so a list of 10 needs HTTP/2 in front, docs/api.md).
async function stepLive(step) {
  const first = (await api(listQuery({ page: '1', itemsPerPage: '1', 'order[id]': 'desc' }))).json?.member?.[0];
  if (!first) {
    step.reasons.push('no organization to show');
    return false;
  }
  const liveUrl = `${adminOrigin}/?${new URLSearchParams({ entrypoint, key: opt.key, hub: '1' })}`;
  const subscribed = page.waitForRequest((r) => isHub(r.url()), { timeout: timeoutMs }).catch(() => null);
  await page.goto(`${liveUrl}#/${RESOURCE}/${encodeURIComponent(first['@id'])}/show`, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  const shown = await page.getByText(first.name, { exact: true }).first().waitFor({ timeout: timeoutMs }).then(() => true).catch(() => false);
  const sub = await subscribed;
  step.subscription = sub ? short(sub.url()) : null;
  await page.waitForTimeout(500); // the hub answers, the stream is open
  const before = step.apiRequests.length;
  const renamed = `${first.name} (live ${Date.now() % 100000})`;
  const patch = await api(first['@id'], { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ name: renamed }) });
  const t0 = Date.now();
  const updated = await page.getByText(renamed, { exact: true }).first().waitFor({ timeout: 8000 }).then(() => true).catch(() => false);
  step.updateMs = Date.now() - t0;
  step.requestsMeanwhile = step.apiRequests.slice(before).filter((l) => l.startsWith('GET') && !l.includes(HUB_PATH));
  await shot(step, 'live');
  await api(first['@id'], { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ name: first.name }) }).catch(() => {});
  step.ok = shown && !!sub && isOk(patch.status) && updated && step.requestsMeanwhile.length === 0;
  checks.add(
    'live: with its Mercure option, Admin subscribes to the hub and shows a rename by another client without a reload or a refetch',
    step.ok,
    `subscription ${step.subscription ?? 'none'}; PATCH → ${patch.status}; shown after ${step.updateMs} ms: ${updated}; GETs meanwhile: ${step.requestsMeanwhile.join(', ') || 'none'}`,
  );
  return step.ok;
}

// roles: issue 21's resources through Admin's generic forms. A custom role made in Admin's
// create form (organization chosen in its reference select) shows on its show page, and a
// domain claimed the same way shows pending with its verification token.
async function createThrough(step, resource, fill, shotName) {
  await gotoRoute(`/${resource}/create`);
  const first = Object.keys(fill)[0];
  const ready = await page.locator(`form [name="${first}"]`).first().waitFor({ timeout: timeoutMs }).then(() => true).catch(() => false);
  if (!ready) {
    step.reasons.push(`no "${first}" input on /${resource}/create`);
    await shot(step, `${shotName}-form`);
    return null;
  }
  // The organization: react-admin's reference input, a select of the key's organizations.
  const select = page.locator('form [role="combobox"]').first();
  if (await select.waitFor({ timeout: 8000 }).then(() => true).catch(() => false)) {
    await select.click();
    await page.locator('li[role="option"]').filter({ hasText: /\S/ }).first().click({ timeout: 5000 }).catch((e) => step.reasons.push(`cannot pick an organization: ${e.message.split('\n')[0]}`));
  } else {
    step.reasons.push('no organization select in the form');
  }
  for (const [name, value] of Object.entries(fill)) await page.locator(`form [name="${name}"]`).first().fill(value);
  await saveEnabled();
  await shot(step, `${shotName}-form`);
  const pending = nextApiResponse(['POST']);
  await saveButton().click({ timeout: 5000 }).catch((e) => step.reasons.push(`cannot click Save: ${e.message.split('\n')[0]}`));
  const r = await pending;
  if (!r) {
    step.reasons.push(`no POST within ${timeoutMs} ms of clicking Save`);
    return null;
  }
  const x = await exchange(r);
  step[resource] = withoutJson(x);
  if (!isOk(x.status)) {
    step.reasons.push(`POST /${resource} answered ${x.status}: ${clip(JSON.stringify(x.responseBody), 400)}`);
    await shot(step, `${shotName}-result`);
    return null;
  }
  await page.waitForURL((u) => !u.hash.includes('/create'), { timeout: 5000 }).catch(() => {});
  return x.json;
}
async function stepRoles(step) {
  const slug = `e2e_${stamp}`.slice(0, 40);
  const role = await createThrough(step, 'roles', { slug, name: `Support ${stamp}` }, 'roles');
  if (role) {
    const shown = await checkShow(role['@id'], slug, step, 'roles-show', 'roles');
    if (!shown) step.reasons.push(`the role "${slug}" is not on its show page`);
    const back = await api(role['@id']);
    if (back.json?.slug !== slug) step.reasons.push(`GET ${role['@id']} → ${back.status} ${clip(back.text, 200)}`);
  }
  if (role) {
    // A role's permissions are a list of allowed values; Admin's Hydra reader has no list of values.
    await gotoRoute(`/roles/${encodeURIComponent(role['@id'])}`);
    const input = page.locator('form [name="permissions"]').first();
    let sent = null;
    if (await input.waitFor({ timeout: timeoutMs }).then(() => true).catch(() => false)) {
      await page.waitForTimeout(500);
      await input.fill('members:manage');
      await saveEnabled();
      const pending = nextApiResponse(['PATCH', 'PUT']);
      await saveButton().click({ timeout: 5000 }).catch(() => {});
      const r = await pending;
      sent = r ? await exchange(r) : null;
    }
    const back = await api(role['@id']);
    const holds = (back.json?.permissions ?? []).includes('members:manage');
    checks.add('roles: Admin\'s edit form gives a custom role a permission', holds,
      sent ? `${sent.method} sent permissions ${JSON.stringify(sent.requestBody?.permissions ?? null)} → ${sent.status}` : 'no permissions input or no request');
  }
  const domain = `e2e-${stamp}.example.com`;
  const claimed = await createThrough(step, 'domains', { domain }, 'domains');
  if (claimed) {
    if (claimed.status !== 'pending' || !claimed.verification_token) step.reasons.push(`the claimed domain: ${clip(JSON.stringify(claimed), 300)}`);
    const shown = await checkShow(claimed['@id'], claimed.verification_token ?? domain, step, 'domains-show', 'domains');
    if (!shown) step.reasons.push(`the domain's token is not on its show page`);
  }
  step.ok = !!role && !!claimed && step.reasons.length === 0;
  checks.add('roles: a custom role and a domain made in Admin\'s create forms (organization from its select) show on their show pages', step.ok,
    `${step.roles ? `POST roles → ${step.roles.status}` : 'no role POST'}; ${step.domains ? `POST domains → ${step.domains.status}` : 'no domain POST'}${step.reasons.length ? `; ${step.reasons.join('; ')}` : ''}`);
  return step.ok;
}

// ------------------------------------------------------------------ run
async function run(name, fn, ...args) {
  currentStep = newStep(name);
  try {
    return await fn(currentStep, ...args);
  } catch (e) {
    currentStep.reasons.push(`driver: ${e.message.split('\n')[0]}`);
    currentStep.ok = false;
    await shot(currentStep, `${name}-driver-error`);
    return undefined;
  } finally {
    currentStep = null;
  }
}
const crudCheck = (name, title, detail) => {
  const s = report.steps.find((x) => x.step === name);
  const req = s?.request ? `${s.request.method} ${s.request.url} [${s.request.requestContentType ?? '-'}] → ${s.request.status}` : 'no request';
  checks.add(title, s?.ok && !s.events.pageErrors.length, `${req}${detail ? `; ${detail(s)}` : ''}${s?.reasons.length ? `; ${s.reasons.join('; ')}` : ''}${s?.events.pageErrors.length ? `; page errors: ${s.events.pageErrors.join(' | ')}` : ''}`);
};
try {
  if (await run('home', stepHome)) {
    const listed = await run('list', stepList);
    await run('page', stepPage, listed?.total ?? 0);
    await run('sort', stepSort);
    await run('show', stepShow);
    await run('create', stepCreate);
    crudCheck('create', 'create: Create → name → Save sends a POST, 2xx with @id; the record shows in the list and on its show page', (s) => `notification "${s.notification ?? ''}"`);
    await run('violation', stepViolation);
    crudCheck('violation', `violation: a single-space name → 422; "${BLANK_MESSAGE}" appears under the name input`, (s) => `under input: ${JSON.stringify(s.underInput ?? null)}; notification "${s.notification ?? ''}"`);
    await run('edit', stepEdit);
    crudCheck('edit', 'edit: PATCH 2xx; the new name shows in the list and on the show page', (s) => `Content-Type ${s.contentType ?? '-'}; fields sent: ${(s.fieldsSent ?? []).join(', ')}`);
    await run('delete', stepDelete);
    crudCheck('delete', 'delete: Delete → Confirm sends DELETE, 2xx; the record leaves the list; GET answers 404', (s) => `GET after delete → ${s.itemStatusAfterDelete ?? '-'}`);
    await run('live', stepLive);
    await run('roles', stepRoles);
    await run('edit-nested', stepEditNested);
    crudCheck('edit-nested', 'edit-nested: editing the name of a record with contact/address keeps them intact', (s) => `sent contact ${JSON.stringify(s.sent?.contact ?? null)}, address ${JSON.stringify(s.sent?.address ?? null)}`);
  }
} catch (e) {
  checks.add('driver', false, errText(e));
} finally {
  await context.close().catch(() => {});
  cleanup();
}
checks.add('every API request carried the key', report.requestsWithoutKey.length === 0, report.requestsWithoutKey.slice(0, 5).join(', '));
checks.add('no request left loopback', report.blockedRequests.length === 0, report.blockedRequests.slice(0, 5).join(', '));
save();
process.exit(checks.failed.length ? 1 : 0);
