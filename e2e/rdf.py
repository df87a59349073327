#!/usr/bin/env python3
"""Check (7) of the interoperability suite: Python's RDF tools from Debian (python3-rdflib 6.1,
python3-pyld 2.0) read one organization's document in every representation Orgraph serves and
must get the same graph each time (rdflib.compare.isomorphic, blank nodes included):

  N-Quads                       rdflib's N-Quads parser: the reference graph
  compacted, expanded and       pyld's to_rdf (contexts fetched from the server with the key,
  flattened JSON-LD             same origin only), and rdflib's own JSON-LD parser
  Turtle, N-Triples             rdflib's parsers, when Accept: text/turtle or
                                application/n-triples is served (issue 18 item 6)

The organization is the seeded e2e-org-01 (contact, address, status history), found through the
name filter. Issue 18 says what the clients need; known.json lists what fails today and why.

Usage: /usr/bin/python3 rdf.py --entrypoint URL [--key KEY] --out DIR [--timeout-ms N]
(the key may come from ORGRAPH_E2E_KEY instead of --key, as run.sh passes it)
Writes DIR/rdflib-report.json and DIR/pyld-report.json; prints PASS/FAIL/KNOWN lines on stderr.
Exit 0 when every check passed or is known (known.json), 1 otherwise, 64 on a usage error.
"""
import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = "http://www.w3.org/ns/json-ld#"


class Checks:
    """Same bookkeeping as lib.mjs's Checks, known.json included."""

    def __init__(self, suite, known):
        self.suite = suite
        self.list, self.known_issues, self.known_passing, self.warnings = [], [], [], []
        self.reasons = known.get(suite, {})

    def add(self, id, ok, detail=""):
        ok = bool(ok)
        reason = self.reasons.get(id)
        if reason is not None and not ok:
            self.known_issues.append({"id": id, "detail": reason, "seen": detail})
            print(f"KNOWN {self.suite}: {id} — {reason}" + (f" (seen: {detail})" if detail else ""), file=sys.stderr)
            return False
        self.list.append({"id": id, "ok": ok, "detail": detail})
        if reason is not None:
            self.known_passing.append({"id": id, "reason": reason})
            print(f'PASS {self.suite}: {id} — listed in known.json ("{reason}") but passes now: remove the entry', file=sys.stderr)
        else:
            print(f"{'PASS' if ok else 'FAIL'} {self.suite}: {id}" + (f" — {detail}" if detail else ""), file=sys.stderr)
        return ok

    def failed(self):
        return [c for c in self.list if not c["ok"]]

    def to_json(self):
        return {"suite": self.suite, "passed": len(self.list) - len(self.failed()), "failed": len(self.failed()),
                "checks": self.list, "knownIssues": self.known_issues, "knownPassing": self.known_passing, "warnings": self.warnings}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entrypoint", required=True)
    ap.add_argument("--key", default=os.environ.get("ORGRAPH_E2E_KEY"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout-ms", type=int, default=15000)
    opt = ap.parse_args()
    if not opt.key:
        print("an API key is required: --key KEY or ORGRAPH_E2E_KEY", file=sys.stderr)
        sys.exit(64)
    timeout = opt.timeout_ms / 1000
    entrypoint = opt.entrypoint.rstrip("/")
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(entrypoint))
    with open(os.path.join(HERE, "known.json"), encoding="utf-8") as f:
        known = json.load(f)
    rdflib_checks, pyld_checks = Checks("rdflib", known), Checks("pyld", known)
    report = {"entrypoint": entrypoint, "clients": {"python": sys.version.split()[0]}, "document": None, "representations": {}}

    def save():
        os.makedirs(opt.out, exist_ok=True)
        for c in (rdflib_checks, pyld_checks):
            text = json.dumps({**report, **c.to_json()}, indent=2, ensure_ascii=False)
            if len(opt.key) >= 8:
                text = text.replace(opt.key, "REDACTED")
            with open(os.path.join(opt.out, f"{c.suite}-report.json"), "w", encoding="utf-8") as f:
                f.write(text + "\n")

    def on_deadline(*_):
        rdflib_checks.add("finished within 60 s", False)
        save()
        os._exit(70)

    signal.signal(signal.SIGALRM, on_deadline)
    signal.alarm(60)

    def get(url, accept):
        url = urllib.parse.urljoin(entrypoint, url)
        if not url.startswith(origin + "/"):
            raise ValueError(f"refusing to fetch {url}: not on {origin}")
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {opt.key}", "Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")

    contexts_loaded = []

    def document_loader(url, options=None):
        # pyld's loader contract; contexts only, same origin, with the key.
        status, ct, body = get(url, "application/ld+json")
        contexts_loaded.append(url.replace(origin, ""))
        if status != 200:
            raise ValueError(f"context {url}: HTTP {status}")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": json.loads(body)}

    try:
        import pyld
        import rdflib
        from pyld import jsonld
        from rdflib.compare import graph_diff, isomorphic, to_isomorphic
        report["clients"]["rdflib"] = rdflib.__version__
        report["clients"]["pyld"] = getattr(pyld, "__version__", None) or _dist_version("PyLD")
    except ImportError as e:
        rdflib_checks.add("python3-rdflib and python3-pyld import", False, f"{e} (apt-get install python3-rdflib python3-pyld)")
        save()
        sys.exit(1)

    def describe_diff(g, ref):
        _, only_g, only_ref = graph_diff(to_isomorphic(g), to_isomorphic(ref))
        lines = [f"+ {t[0].n3()} {t[1].n3()} {t[2].n3()}" for t in list(only_g)[:3]]
        lines += [f"- {t[0].n3()} {t[1].n3()} {t[2].n3()}" for t in list(only_ref)[:3]]
        return f"{len(g)} triples vs {len(ref)}; {len(only_g)} only here, {len(only_ref)} only in N-Quads: " + "; ".join(l.replace(origin, "") for l in lines)

    def run():
        # The document: e2e-org-01 from seed.mjs.
        status, ct, body = get(f"{entrypoint}/organizations?name=e2e-org-01", "application/ld+json")
        members = json.loads(body).get("member", []) if status == 200 else []
        org = next((m["@id"] for m in members if m.get("name") == "e2e-org-01"), None)
        if not org:
            rdflib_checks.add("seeded organization e2e-org-01 found", False, f"GET /api/organizations?name=e2e-org-01 → HTTP {status}, {len(members)} member(s)")
            return
        url = urllib.parse.urljoin(entrypoint, org)
        report["document"] = org

        def fetch(name, accept):
            status, ct, body = get(url, accept)
            report["representations"][name] = {"accept": accept, "status": status, "contentType": ct, "bytes": len(body)}
            return status, ct, body

        # Reference: N-Quads.
        status, ct, nq = fetch("N-Quads", "application/n-quads")
        ref = rdflib.Graph()
        try:
            if status != 200 or not ct.startswith("application/n-quads"):
                raise ValueError(f"HTTP {status} {ct}")
            ref.parse(data=nq, format="nquads")
        except Exception as e:  # noqa: BLE001 — any parse error is the finding
            rdflib_checks.add("N-Quads parse, with the organization typed Organization", False, f"{org}: {e}")
            return
        org_type = rdflib.URIRef(f"{origin}/api/docs.jsonld#Organization")
        typed = (rdflib.URIRef(url), rdflib.RDF.type, org_type) in ref
        rdflib_checks.add("N-Quads parse, with the organization typed Organization", typed and len(ref) >= 20, f"{org}: {len(ref)} triples, typed Organization: {typed}")
        report["representations"]["N-Quads"]["triples"] = len(ref)

        for name, profile in (("compacted", None), ("expanded", "expanded"), ("flattened", "flattened")):
            accept = "application/ld+json" + (f'; profile="{PROFILE}{profile}"' if profile else "")
            status, ct, body = fetch(f"{name} JSON-LD", accept)
            if status != 200:
                pyld_checks.add(f"{name} JSON-LD gives the same graph as N-Quads", False, f"HTTP {status} {ct}")
                continue
            if profile and f"{PROFILE}{profile}" not in ct:
                rdflib_checks.warnings.append(f"{name} JSON-LD: Content-Type {ct} does not name the {profile} profile")
            doc = json.loads(body)
            # pyld: to RDF (N-Quads), then into rdflib for the comparison.
            try:
                del contexts_loaded[:]
                out = jsonld.to_rdf(doc, {"base": url, "format": "application/n-quads", "documentLoader": document_loader})
                g = rdflib.Graph()
                g.parse(data=out, format="nquads")
                same = isomorphic(g, ref)
                pyld_checks.add(f"{name} JSON-LD gives the same graph as N-Quads", same,
                                f"{len(g)} triples, isomorphic; contexts {', '.join(contexts_loaded) or 'none'}" if same else describe_diff(g, ref))
            except Exception as e:  # noqa: BLE001
                pyld_checks.add(f"{name} JSON-LD gives the same graph as N-Quads", False, f"to_rdf: {type(e).__name__}: {str(e)[:400]}")
            # rdflib's own JSON-LD parser (it fetches remote contexts itself: public, same server).
            try:
                g = rdflib.Graph()
                g.parse(data=body, format="json-ld", publicID=url)
                same = isomorphic(g, ref)
                rdflib_checks.add(f"{name} JSON-LD (rdflib's parser) gives the same graph as N-Quads", same, f"{len(g)} triples, isomorphic" if same else describe_diff(g, ref))
            except Exception as e:  # noqa: BLE001
                rdflib_checks.add(f"{name} JSON-LD (rdflib's parser) gives the same graph as N-Quads", False, f"parse: {type(e).__name__}: {str(e)[:400]}")

        for name, mime, fmt in (("Turtle", "text/turtle", "turtle"), ("N-Triples", "application/n-triples", "nt")):
            cid = f"{name} is served ({mime}) and gives the same graph as N-Quads"
            status, ct, body = fetch(name, mime)
            if status != 200 or not ct.startswith(mime):
                rdflib_checks.add(cid, False, f"HTTP {status} {ct}")
                continue
            try:
                g = rdflib.Graph()
                g.parse(data=body, format=fmt, publicID=url)
                same = isomorphic(g, ref)
                rdflib_checks.add(cid, same, f"{len(g)} triples, isomorphic" if same else describe_diff(g, ref))
            except Exception as e:  # noqa: BLE001
                rdflib_checks.add(cid, False, f"parse: {type(e).__name__}: {str(e)[:400]}")

    started = time.monotonic()
    try:
        run()
    except Exception as e:  # noqa: BLE001
        rdflib_checks.add("driver", False, f"{type(e).__name__}: {e}")
    report["seconds"] = round(time.monotonic() - started, 2)
    save()
    sys.exit(1 if rdflib_checks.failed() or pyld_checks.failed() else 0)


def _dist_version(name):
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    main()
