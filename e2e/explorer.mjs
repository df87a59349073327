#!/usr/bin/env node
// Check (8) of the interoperability suite: the explorer (any API URL opened in a browser)
// audited for accessibility with axe-core in Debian's headless Chromium, driven by
// playwright-core, against a running orgraph (issue 22: keyboard-usable and labelled for
// screen readers; 0 serious violations).
//
//   pages   the entrypoint, the organizations list, an organization's page (its edit form,
//           nested groups, invite and add forms, actions), the members and invitations lists,
//           a role's page (permission checkboxes), the key form (no key yet) and a 404:
//           axe-core's WCAG 2 A/AA rules; a serious or critical violation fails the page
//   keyboard the organizations list reached with Tab alone: the first row's link takes focus
//           and Enter opens the organization
//
// Usage: node explorer.mjs --entrypoint URL [--key KEY] --out DIR [--timeout-ms N]
// Writes DIR/explorer-report.json and screenshots DIR/explorer-*.png; prints PASS/FAIL lines
// on stderr. Exit 0 when every check passed (or is known), 1 otherwise.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Checks, deadline, errText, pkgVersion, scriptOptions, writeJson } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { opt, timeoutMs } = scriptOptions(process.argv.slice(2));
const origin = new URL(opt.entrypoint).origin;
const checks = new Checks('explorer');
const report = { clients: { 'axe-core': pkgVersion('axe-core'), 'playwright-core': pkgVersion('playwright-core') }, pages: [] };
const axeSource = readFileSync(join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const save = () => writeJson(join(opt.out, 'explorer-report.json'), { ...report, ...checks.toJSON() });
const profile = mkdtempSync(join(tmpdir(), 'orgraph-e2e-explorer-'));
let context;
const cleanup = () => {
  try {
    context?.browser()?.process()?.kill('SIGKILL');
  } catch {
    /* best effort */
  }
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  } catch {
    /* a dying browser may still write there */
  }
};
deadline(120000, () => {
  checks.add('finished within 120 s', false);
  save();
  cleanup();
});

async function api(path) {
  const res = await fetch(new URL(path, origin), { headers: { Accept: 'application/ld+json', Authorization: `Bearer ${opt.key}` }, signal: AbortSignal.timeout(10000) });
  return res.json();
}

// audit opens a page, waits for the explorer to be done, and runs axe-core on it. axe is
// evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
// govern, so the page runs under its own policy unchanged.
async function audit(page, name, path) {
  await page.goto(origin + path, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-state], #keyform:not([hidden])', { timeout: timeoutMs });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  await page.screenshot({ path: join(opt.out, `explorer-${name}.png`), fullPage: false });
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = (vs) => vs.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}× e.g. ${v.nodes[0]?.target?.join(' ')})`).join('; ');
  report.pages.push({ name, path, violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })) });
  checks.add(`axe: ${name} (${path}) has no serious or critical violation`, serious.length === 0,
    serious.length ? summary(serious) : `${result.passes.length} rules pass${result.violations.length ? `; minor: ${summary(result.violations)}` : ''}`);
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(timeoutMs);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await audit(page, 'key-form', '/api/organizations');
  await page.evaluate((key) => sessionStorage.setItem('orgraph.apiKey', key), opt.key);

  const orgs = await api('/api/organizations?order[created_at]=asc');
  const org = orgs.member?.find((m) => m.current_user_role === 'owner') ?? orgs.member?.[0];
  const roles = org ? await api(`/api/roles?organization=${org.id}`) : { member: [] };
  const role = roles.member?.find((r) => !r.default) ?? roles.member?.[0];
  const pages = [
    ['entrypoint', '/api'],
    ['organizations', '/api/organizations'],
    ['organization', org?.['@id']],
    ['members', `/api/members?organization=${org?.id}`],
    ['invitations', '/api/invitations'],
    ['role', role?.['@id']],
    ['not-found', '/api/organizations/00000000-0000-0000-0000-000000000000'],
  ];
  for (const [name, path] of pages) {
    if (!path) {
      checks.add(`axe: ${name}`, false, 'no such page in the seeded data');
      continue;
    }
    await audit(page, name, path);
  }

  // Keyboard: Tab from the top of the list reaches the first row's link; Enter opens it.
  await page.goto(origin + '/api/organizations', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-state="ready"]');
  const first = await page.locator('table.collection tbody th a').first().getAttribute('href');
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate((href) => document.activeElement?.getAttribute('href') === href, first);
  }
  if (reached) {
    await Promise.all([page.waitForURL((u) => u.pathname === first), page.keyboard.press('Enter')]);
  }
  checks.add('keyboard: Tab reaches the first organization of the list and Enter opens it', reached && new URL(page.url()).pathname === first, reached ? page.url().replace(origin, '') : `no focus on ${first} after 40 Tabs`);
  checks.add('no page error', errors.length === 0, errors.slice(0, 3).join(' | '));
} catch (e) {
  checks.add('driver', false, errText(e));
} finally {
  await context?.close().catch(() => {});
  cleanup();
}
save();
process.exit(checks.failed.length ? 1 : 0);
