package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/orgraph/orgraph/internal/rdftest"
)

const (
	ctTurtle   = "text/turtle; charset=utf-8"
	ctNTriples = "application/n-triples; charset=utf-8"
)

// rdfName holds what the RDF syntaxes escape (quotes, backslashes, line
// breaks, a tab) and what they write raw (non-ASCII).
const rdfName = "Acme \"Q\" \\ back\\slash\nZürich\t日本 🎉"

// rdfFixture makes an organization named rdfName and returns the paths of
// a document of every kind the RDF formats are served for: the
// entrypoint, an item, a collection page whose IRIs hold "?", "=" and "%"
// (a filter on a non-ASCII name), another collection, the Hydra
// documentation and an error page (a problem type document).
func rdfFixture(t *testing.T, e *env) (key, item string, paths []string) {
	t.Helper()
	key = e.key("ada@example.com", "live", "write")
	name, _ := json.Marshal(rdfName)
	item = e.createOrg(key, `{"name":`+string(name)+`,"contact":{"email":"ops@acme.test","first_name":"Zoë"},"address":{"city":"Zürich","country":"CH"}}`)["@id"].(string)
	return key, item, []string{"/api", item, "/api/organizations?itemsPerPage=1&name=" + url.QueryEscape("Zü"),
		"/api/members?organization=" + strings.TrimPrefix(item, "/api/organizations/"), "/api/docs.jsonld", "/errors/404"}
}

// canonicalOf reads an RDF body (N-Quads with json-gold's reader, Turtle
// and N-Triples with rdftest's) and returns its graph's canonical form.
func canonicalOf(t *testing.T, what, body string, nquads bool) (string, []*ld.Quad) {
	t.Helper()
	read := rdftest.ParseTurtle
	if nquads {
		read = rdftest.ParseNQuads
	}
	quads, err := read(body)
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", what, err, body)
	}
	if len(quads) == 0 {
		t.Fatalf("%s: no triples", what)
	}
	c, err := rdftest.Canonical(quads)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return c, quads
}

// withSuffix puts a format extension on a path's last segment, before the
// query string; the documentation's own .jsonld is replaced.
func withSuffix(path, ext string) string {
	p, q, _ := strings.Cut(path, "?")
	p = strings.TrimSuffix(p, ".jsonld") + ext
	if q != "" {
		p += "?" + q
	}
	return p
}

// Turtle and N-Triples are served for every document N-Quads is, chosen by
// Accept or by the .ttl and .nt suffixes, tagged and revalidated like the
// other formats, and hold exactly the N-Quads rendering's graph.
func TestRDFRepresentations(t *testing.T) {
	t.Parallel() // one of the package's slowest; it shares no process-wide state (harness_test.go)
	eachBackend(t, func(t *testing.T, e *env) {
		key, item, paths := rdfFixture(t, e)
		for _, path := range paths {
			nq := e.do(req{Path: path, Key: key, Header: map[string]string{"Accept": "application/n-quads"}})
			if nq.Status != http.StatusOK || nq.Header.Get("Content-Type") != ctNQuads {
				t.Fatalf("%s as N-Quads: %d %q", path, nq.Status, nq.Header.Get("Content-Type"))
			}
			want, _ := canonicalOf(t, path+" as N-Quads", string(nq.Body), true)
			for _, c := range []struct{ accept, contentType, ext string }{
				{"text/turtle", ctTurtle, ".ttl"},
				{"application/n-triples", ctNTriples, ".nt"},
			} {
				r := e.do(req{Path: path, Key: key, Header: map[string]string{"Accept": c.accept}})
				tag := r.Header.Get("ETag")
				if r.Status != http.StatusOK || r.Header.Get("Content-Type") != c.contentType || r.Header.Get("Vary") != "Accept" || len(tag) < 3 {
					t.Errorf("%s as %s: %d %q Vary=%q ETag=%q", path, c.accept, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Vary"), tag)
					continue
				}
				what := path + " as " + c.accept
				got, quads := canonicalOf(t, what, string(r.Body), false)
				if got != want {
					t.Errorf("%s: not the N-Quads graph:\n%s\nwant\n%s", what, got, want)
				}
				switch c.accept {
				case "application/n-triples":
					if string(r.Body) != string(nq.Body) {
						t.Errorf("%s: not the N-Quads lines:\n%s\nwant\n%s", what, r.Body, nq.Body)
					}
				case "text/turtle":
					if prefix := "@prefix vocab: <" + e.srv.URL + "/api/docs.jsonld#> .\n"; !strings.Contains(string(r.Body), prefix) {
						t.Errorf("%s: no %q in\n%.600s", what, prefix, r.Body)
					}
				}
				if path == item {
					checkRDFName(t, what, quads, e.srv.URL+item)
				}
				if nm := e.do(req{Path: path, Key: key, Header: map[string]string{"Accept": c.accept, "If-None-Match": tag}}); nm.Status != http.StatusNotModified || len(nm.Body) != 0 {
					t.Errorf("%s If-None-Match: %d %q", what, nm.Status, nm.Body)
				}
				// The same graph, but for a collection page's view, which
				// names the URL fetched (the suffixed one).
				suffixed := withSuffix(path, c.ext)
				s := e.do(req{Path: suffixed, Key: key})
				same := s.Status == http.StatusOK && s.Header.Get("Content-Type") == c.contentType
				if same {
					graph, _ := canonicalOf(t, suffixed, strings.ReplaceAll(string(s.Body), "<"+e.srv.URL+suffixed+">", "<"+e.srv.URL+path+">"), false)
					same = graph == got
				}
				if !same {
					t.Errorf("%s: %d %q, not the graph Accept: %s gets:\n%.600s", suffixed, s.Status, s.Header.Get("Content-Type"), c.accept, s.Body)
				}
			}
		}

		// A suffix that Accept refuses is a 406, as for .jsonld and .json.
		if r := e.do(req{Path: item + ".ttl", Key: key, Header: map[string]string{"Accept": "application/ld+json"}}); r.Status != http.StatusNotAcceptable {
			t.Errorf(".ttl with Accept: application/ld+json: %d", r.Status)
		}
		if r := e.do(req{Path: item + ".nt", Key: key, Header: map[string]string{"Accept": "text/turtle"}}); r.Status != http.StatusNotAcceptable {
			t.Errorf(".nt with Accept: text/turtle: %d", r.Status)
		}
	})
}

// checkRDFName finds the organization's name among the triples read back:
// exactly the string it was created with.
func checkRDFName(t *testing.T, what string, quads []*ld.Quad, subject string) {
	t.Helper()
	for _, q := range quads {
		if q.Subject.GetValue() == subject && strings.HasSuffix(q.Predicate.GetValue(), "#Organization/name") {
			if l, ok := q.Object.(ld.Literal); !ok || l.Value != rdfName || l.Datatype != ld.XSDString {
				t.Errorf("%s: the name reads back as %#v, want %q", what, q.Object, rdfName)
			}
			return
		}
	}
	t.Errorf("%s: no name", what)
}

// The new types take part in negotiation by their q-values, after
// JSON-LD: the default (no Accept, */*, every type alike) is unchanged,
// and a 406 lists them.
func TestRDFNegotiation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		item := e.createOrg(key, `{"name":"Acme"}`)["@id"].(string)
		for _, c := range []struct{ accept, contentType string }{
			{"", ctLD},
			{"*/*", ctLD},
			{"text/turtle, application/n-triples, application/n-quads, application/ld+json", ctLD},
			{"application/n-triples, text/turtle", ctTurtle},
			{"text/turtle;q=0.5, application/n-triples", ctNTriples},
			{"application/n-triples;q=0.4, text/turtle;q=0.6, application/ld+json;q=0.5", ctTurtle},
			{"application/ld+json;q=0.9, application/n-triples", ctNTriples},
			{"text/*", ctTurtle},
			{"text/turtle;q=0, */*;q=0.1", ctLD},
		} {
			r := e.do(req{Path: item, Key: key, Header: map[string]string{"Accept": c.accept}})
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != c.contentType || r.Header.Get("Vary") != "Accept" {
				t.Errorf("Accept %q: %d %q Vary=%q, want %q", c.accept, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Vary"), c.contentType)
			}
		}
		for _, accept := range []string{"text/n3", "text/turtle;q=0, application/n-triples;q=0"} {
			r := e.do(req{Path: item, Key: key, Header: map[string]string{"Accept": accept}})
			detail, _ := r.obj()["detail"].(string)
			if r.Status != http.StatusNotAcceptable || !strings.HasSuffix(detail, `"application/n-quads", "text/turtle", "application/n-triples".`) {
				t.Errorf("Accept %q: %d %q", accept, r.Status, detail)
			}
		}
	})
}

// rdflibPython is a Python with rdflib (Debian's python3-rdflib), or "".
func rdflibPython() string {
	for _, py := range []string{os.Getenv("ORGRAPH_TEST_PYTHON"), "python3", "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import rdflib").Run() == nil {
			return path
		}
	}
	return ""
}

// rdflibIsomorphic reads each Turtle and N-Triples file with rdflib and
// compares it with the N-Quads file beside it (rdflib.compare.isomorphic).
const rdflibIsomorphic = `
import sys, rdflib
from rdflib.compare import isomorphic
for nq, other, fmt in zip(*[iter(sys.argv[1:])] * 3):
    ds = rdflib.ConjunctiveGraph()
    ds.parse(nq, format="nquads")
    want = rdflib.Graph()
    for t in ds.triples((None, None, None)):
        want.add(t)
    got = rdflib.Graph()
    got.parse(other, format=fmt)
    if len(got) == 0 or not isomorphic(got, want):
        print("%s (%d triples) is not isomorphic to %s (%d)" % (other, len(got), nq, len(want)))
`

// An independent reader agrees: rdflib parses the Turtle and N-Triples of
// every kind of document into graphs isomorphic to the N-Quads'. Skipped
// without a Python that has rdflib (ORGRAPH_TEST_PYTHON names one).
func TestRDFIsomorphicWithRDFLib(t *testing.T) {
	t.Parallel() // one of the package's slowest; it shares no process-wide state (harness_test.go)
	py := rdflibPython()
	if py == "" {
		t.Skip("no python3 with rdflib (Debian: python3-rdflib; or set ORGRAPH_TEST_PYTHON)")
	}
	docsCompared := false
	eachBackend(t, func(t *testing.T, e *env) {
		key, _, paths := rdfFixture(t, e)
		dir := t.TempDir()
		var args []string
		for i, path := range paths {
			// The API documentation is the same whatever the database, and
			// the costliest graph to compare (5,500 triples, most of them
			// about blank nodes: rdflib takes 30 to 50 s a comparison):
			// compared on the first backend only.
			if path == "/api/docs.jsonld" {
				if docsCompared {
					continue
				}
				docsCompared = true
			}
			files := map[string]string{}
			for accept, ext := range map[string]string{"application/n-quads": "nq", "text/turtle": "ttl", "application/n-triples": "nt"} {
				r := e.do(req{Path: path, Key: key, Header: map[string]string{"Accept": accept}})
				if r.Status != http.StatusOK {
					t.Fatalf("%s as %s: %d", path, accept, r.Status)
				}
				files[ext] = filepath.Join(dir, strings.Repeat("x", i+1)+"."+ext)
				if err := os.WriteFile(files[ext], r.Body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args = append(args, files["nq"], files["ttl"], "turtle")
			// The documentation's N-Triples are its N-Quads' lines, byte
			// for byte (TestRDFRepresentations), so rdflib's N-Quads
			// parse is already theirs; a second comparison of its 5,500
			// triples cost CI as much as all the other documents'
			// together.
			if path != "/api/docs.jsonld" {
				args = append(args, files["nq"], files["nt"], "nt")
			}
		}
		out, err := exec.Command(py, append([]string{"-c", rdflibIsomorphic}, args...)...).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("rdflib: %v\n%s", err, out)
		}
	})
}

// In RDF an organization's nested objects are typed blank nodes (Contact,
// Address, OrganizationStatus, StatusChange) and its status history is an
// rdf:List that keeps the order, oldest first: read back from Orgraph's own
// Turtle writer by the strict reader.
func TestRDFTypedNestedObjectsAndOrderedHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		item := e.createOrg(key, `{"name":"Acme","contact":{"email":"ops@acme.test"},"address":{"city":"Paris"}}`)["@id"].(string)
		for _, status := range []string{"SUSPENDED", "ACTIVE", "SUSPENDED"} {
			if r := e.do(req{Method: http.MethodPatch, Path: item, Key: key, Body: `{"status":{"current_status":"` + status + `"}}`}); r.Status != http.StatusOK {
				t.Fatalf("PATCH status %s: %d %s", status, r.Status, r.Body)
			}
		}
		r := e.do(req{Path: item, Key: key, Header: map[string]string{"Accept": "text/turtle"}})
		quads, err := rdftest.ParseTurtle(string(r.Body))
		if r.Status != http.StatusOK || err != nil {
			t.Fatalf("Turtle: %d %v\n%s", r.Status, err, r.Body)
		}
		vocab := e.srv.URL + "/api/docs.jsonld#"
		objects := func(s ld.Node, p string) []ld.Node {
			var out []ld.Node
			for _, q := range quads {
				// By kind and value: json-gold's Equal wants pointers.
				if ld.IsBlankNode(q.Subject) == ld.IsBlankNode(s) && q.Subject.GetValue() == s.GetValue() && q.Predicate.GetValue() == p {
					out = append(out, q.Object)
				}
			}
			return out
		}
		one := func(s ld.Node, p string) ld.Node {
			if o := objects(s, p); len(o) == 1 {
				return o[0]
			}
			t.Fatalf("%s %s: %d objects, want 1", s.GetValue(), p, len(objects(s, p)))
			return nil
		}
		typed := func(n ld.Node, class string) {
			if types := objects(n, ld.RDFType); len(types) != 1 || types[0].GetValue() != vocab+class {
				t.Errorf("%s: rdf:type %v, want %s", n.GetValue(), types, vocab+class)
			}
		}
		org := ld.NewIRI(e.srv.URL + item)
		typed(one(org, vocab+"Organization/contact"), "Contact")
		typed(one(org, vocab+"Organization/address"), "Address")
		status := one(org, vocab+"Organization/status")
		typed(status, "OrganizationStatus")
		var history []string
		for node := one(status, vocab+"OrganizationStatus/status_history"); node.GetValue() != ld.RDFNil; node = one(node, ld.RDFRest) {
			change := one(node, ld.RDFFirst)
			typed(change, "StatusChange")
			history = append(history, one(change, vocab+"StatusChange/status").GetValue())
			if len(history) > 10 {
				t.Fatal("the status history list does not end")
			}
		}
		if got := strings.Join(history, ","); got != "ACTIVE,SUSPENDED,ACTIVE,SUSPENDED" {
			t.Errorf("status history in RDF: %s, want ACTIVE,SUSPENDED,ACTIVE,SUSPENDED", got)
		}
	})
}
