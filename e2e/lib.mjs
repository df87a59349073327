// Small helpers shared by the e2e scripts: argument parsing, check bookkeeping, error text,
// a hard deadline so no script can hang the suite.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// known.json: the checks that fail today for a reason already filed, by suite then check id,
// each with a one-line reason. Such a failure is reported as KNOWN and does not fail the run;
// such a check that passes is reported as "known issue now passes" so its entry gets removed.
export function loadKnown() {
  try {
    return JSON.parse(readFileSync(new URL('./known.json', import.meta.url), 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return {};
    throw e;
  }
}

export function parseArgs(argv, spec) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || !(a.slice(2) in spec)) {
      console.error(`unknown argument ${a}; expected ${Object.keys(spec).map((k) => `--${k}`).join(' ')}`);
      process.exit(64);
    }
    out[a.slice(2)] = argv[++i];
  }
  for (const [k, required] of Object.entries(spec)) {
    if (required && out[k] === undefined) {
      console.error(`--${k} is required`);
      process.exit(64);
    }
  }
  return out;
}

// A list of named checks, each ok or failed with a detail; printed as PASS/FAIL lines.
// A check listed in known.json under this suite is KNOWN when it fails (not a failure) and
// is recorded in knownPassing when it passes (the entry is stale: remove it).
export class Checks {
  constructor(suite, known = loadKnown()) {
    this.suite = suite;
    this.list = [];
    this.knownIssues = [];
    this.knownPassing = [];
    this.warnings = [];
    this.knownReasons = known[suite] ?? {};
  }
  add(id, ok, detail = '', data = undefined) {
    const reason = Object.hasOwn(this.knownReasons, id) ? this.knownReasons[id] : null;
    if (reason !== null && !ok) {
      const k = { id, detail: reason, seen: detail };
      if (data !== undefined) k.data = data;
      this.knownIssues.push(k);
      console.error(`KNOWN ${this.suite}: ${id} — ${reason}${detail ? ` (seen: ${detail})` : ''}`);
      return false;
    }
    const c = { id, ok: !!ok, detail };
    if (data !== undefined) c.data = data;
    this.list.push(c);
    if (reason !== null) {
      this.knownPassing.push({ id, reason });
      console.error(`PASS ${this.suite}: ${id} — listed in known.json ("${reason}") but passes now: remove the entry`);
    } else console.error(`${ok ? 'PASS' : 'FAIL'} ${this.suite}: ${id}${detail ? ` — ${detail}` : ''}`);
    return !!ok;
  }
  known(id, detail, data = undefined) {
    const k = { id, detail };
    if (data !== undefined) k.data = data;
    this.knownIssues.push(k);
    console.error(`KNOWN ${this.suite}: ${id} — ${detail}`);
  }
  warn(text) {
    this.warnings.push(text);
  }
  get failed() {
    return this.list.filter((c) => !c.ok);
  }
  toJSON() {
    return { suite: this.suite, passed: this.list.filter((c) => c.ok).length, failed: this.failed.length, checks: this.list, knownIssues: this.knownIssues, knownPassing: this.knownPassing, warnings: this.warnings };
  }
}

export function errText(e) {
  if (e === null || e === undefined) return String(e);
  if (e instanceof Error) {
    const cause = e.cause ? ` (cause: ${e.cause.code ?? ''} ${e.cause.message ?? e.cause})` : '';
    let details = '';
    if (e.details) {
      const { cause: dc, ...rest } = e.details;
      let s;
      try {
        s = JSON.stringify(rest);
      } catch {
        s = String(rest);
      }
      details = ` ${s}${dc ? ` (cause: ${errText(dc)})` : ''}`;
    }
    return `${e.name}: ${e.message}${details}${cause}`;
  }
  if (typeof e === 'object' && 'response' in e && e.response) return `HTTP ${e.response.status} ${e.response.statusText} for ${e.response.url}`;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

// Kills the process with a failure report if it runs past `ms` (every wait has a bound).
export function deadline(ms, onExpire) {
  const t = setTimeout(() => {
    console.error(`deadline: still running after ${ms} ms; giving up`);
    try {
      onExpire?.();
    } catch {
      /* reporting is best effort */
    }
    process.exit(70);
  }, ms);
  t.unref();
  return t;
}

export function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export const clip = (s, n = 3000) => (typeof s === 'string' && s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);

// scriptOptions reads the options every check script takes: --entrypoint,
// --out, --timeout-ms and the key (--key or ORGRAPH_E2E_KEY, never logged).
// pkgVersion is the installed version of an npm package of this suite,
// for the reports (null when it is not installed).
export const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;
  } catch {
    return null;
  }
};

export function scriptOptions(argv) {
  const opt = parseArgs(argv, { entrypoint: true, key: false, out: true, 'timeout-ms': false });
  opt.key ??= process.env.ORGRAPH_E2E_KEY;
  if (!opt.key) {
    console.error('an API key is required: --key KEY or ORGRAPH_E2E_KEY');
    process.exit(64);
  }
  return { opt, timeoutMs: Number(opt['timeout-ms'] ?? 15000) };
}
