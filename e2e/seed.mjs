#!/usr/bin/env node
// Seeds the fresh database through the public API so the lists have something to show:
// COUNT organizations (default 12, more than Admin's 10 rows per page) with every writable
// field filled, nested objects included, so their rendering is exercised too.
//
// Usage: node seed.mjs --entrypoint URL [--key KEY] --out DIR [--count N]
// (the key may come from ORGRAPH_E2E_KEY instead of --key, as run.sh passes it)
// Writes DIR/seed.json. Exit 0 when every POST answered 201 with an @id.
import { join } from 'node:path';
import { Checks, clip, deadline, errText, parseArgs, writeJson } from './lib.mjs';

const opt = parseArgs(process.argv.slice(2), { entrypoint: true, key: false, out: true, count: false });
opt.key ??= process.env.ORGRAPH_E2E_KEY;
if (!opt.key) {
  console.error('an API key is required: --key KEY or ORGRAPH_E2E_KEY');
  process.exit(64);
}
const count = Number(opt.count ?? 12);
deadline(60000);
const checks = new Checks('seed');
const collection = `${opt.entrypoint.replace(/\/+$/, '')}/organizations`;
const created = [];
const failures = [];
for (let i = 1; i <= count; i++) {
  const n = String(i).padStart(2, '0');
  const body = {
    name: `e2e-org-${n}`,
    phone_number: `+1 555 01${n}`,
    contact: { email: `contact${n}@example.test`, first_name: `First${n}`, last_name: `Last${n}` },
    address: { street_address: `${i} Main Street`, city: 'Springfield', state: 'IL', zip_code: `627${n}`, country: 'US' },
  };
  try {
    const res = await fetch(collection, {
      method: 'POST',
      headers: { Authorization: `Bearer ${opt.key}`, 'Content-Type': 'application/ld+json', Accept: 'application/ld+json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* reported below */
    }
    if (res.status !== 201 || !json?.['@id']) failures.push({ request: body, status: res.status, contentType: res.headers.get('content-type'), body: clip(text, 1500) });
    else created.push({ '@id': json['@id'], name: json.name, location: res.headers.get('location') });
  } catch (e) {
    failures.push({ request: body, error: errText(e) });
  }
}
checks.add(`POST ${count} organizations (application/ld+json) → 201 with @id`, failures.length === 0, failures.length ? `${failures.length} failed; first: ${JSON.stringify(failures[0]).slice(0, 800)}` : `${created.length} created`);
writeJson(join(opt.out, 'seed.json'), { created, failures, ...checks.toJSON() });
process.exit(checks.failed.length ? 1 : 0);
