package handlers_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/orgraph/orgraph/internal/rdftest"
)

const (
	ctLD        = "application/ld+json; charset=utf-8"
	ctJSON      = "application/json; charset=utf-8"
	ctExpanded  = `application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"; charset=utf-8`
	ctFlattened = `application/ld+json; profile="http://www.w3.org/ns/json-ld#flattened"; charset=utf-8`
	ctNQuads    = "application/n-quads; charset=utf-8"
)

// jsonGold runs the JSON-LD processor the way a consumer would: on the
// compacted document, fetching contexts from the server over HTTP.
func jsonGold(t *testing.T, e *env, path string, compacted any, op string) any {
	t.Helper()
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions(e.srv.URL + path)
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = ld.NewDefaultDocumentLoader(http.DefaultClient)
	var out any
	var err error
	switch op {
	case "expand":
		out, err = proc.Expand(ldCopy(compacted), opts)
	case "flatten":
		out, err = proc.Flatten(ldCopy(compacted), nil, opts)
	case "nquads":
		opts.Format = "application/n-quads"
		out, err = proc.ToRDF(ldCopy(compacted), opts)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", op, path, err)
	}
	return out
}

// canonicalNQuads is the canonical form of an N-Quads document's graph.
func canonicalNQuads(t *testing.T, s string) string {
	t.Helper()
	quads, err := rdftest.ParseNQuads(s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rdftest.Canonical(quads)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNegotiation(t *testing.T) {
	t.Parallel() // one of the package's slowest; it shares no process-wide state (harness_test.go)
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme","contact":{"email":"ops@acme.test"}}`)
		item := org["@id"].(string)
		paths := []string{"/api", item, "/api/organizations?itemsPerPage=1", "/api/docs.jsonld"}

		for _, path := range paths {
			compacted := e.do(req{Path: path, Key: key})
			if compacted.Status != http.StatusOK || compacted.Header.Get("Content-Type") != ctLD {
				t.Fatalf("%s: %d %s", path, compacted.Status, compacted.Header.Get("Content-Type"))
			}
			for _, c := range []struct {
				accept, contentType, op string
			}{
				{`application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`, ctExpanded, "expand"},
				{`application/ld+json;profile="http://www.w3.org/ns/json-ld#flattened", application/json;q=0.5`, ctFlattened, "flatten"},
				{"application/n-quads", ctNQuads, "nquads"},
			} {
				r := e.do(req{Path: path, Key: key, Header: map[string]string{"Accept": c.accept}})
				if r.Status != http.StatusOK || r.Header.Get("Content-Type") != c.contentType || r.Header.Get("Vary") != "Accept" {
					t.Errorf("%s as %s: %d %q Vary=%q", path, c.op, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Vary"))
					continue
				}
				want := jsonGold(t, e, path, compacted.JSON, c.op)
				if c.op == "nquads" {
					got := string(r.Body)
					if !sort.StringsAreSorted(strings.Split(strings.TrimRight(got, "\n"), "\n")) {
						t.Errorf("%s: N-Quads are not sorted", path)
					}
					// The same graph: json-gold's own ToRDF names the blank
					// nodes of rdf:Lists in random order (hydra.toRDF does not).
					if g, w := canonicalNQuads(t, got), canonicalNQuads(t, want.(string)); g != w {
						t.Errorf("%s: N-Quads are not json-gold's graph:\n%s\nwant\n%s", path, g, w)
					}
					if !strings.Contains(got, "<http://www.w3.org/ns/hydra/core#") && path != "/api" && path != item {
						t.Errorf("%s: no Hydra triples in\n%s", path, got)
					}
					continue
				}
				if diff := jsonDiff("", r.JSON, ldCopy(want)); len(diff) > 0 {
					t.Errorf("%s as %s differs from json-gold's:\n  %s", path, c.op, strings.Join(diff, "\n  "))
				}
			}
		}

		// Plain JSON: no @ keys; a collection is a bare array.
		r := e.do(req{Path: item, Key: key, Header: map[string]string{"Accept": "application/json"}})
		if r.Header.Get("Content-Type") != ctJSON || strings.Contains(string(r.Body), `"@`) {
			t.Errorf("item as JSON: %q %s", r.Header.Get("Content-Type"), r.Body)
		}
		if r := e.do(req{Path: "/api/organizations", Key: key, Header: map[string]string{"Accept": "application/json"}}); !strings.HasPrefix(string(r.Body), "[") {
			t.Errorf("collection as JSON: %s", r.Body)
		}

		// URL suffixes choose the format; Accept must agree (API Platform).
		for path, ct := range map[string]string{
			item + ".jsonld": ctLD, item + ".json": ctJSON,
			"/api/organizations.jsonld": ctLD, "/api/organizations.json": ctJSON,
			"/api.jsonld": ctLD, "/api/contexts/Organization.jsonld": ctLD,
		} {
			if r := e.do(req{Path: path, Key: key}); r.Status != http.StatusOK || r.Header.Get("Content-Type") != ct {
				t.Errorf("%s: %d %q", path, r.Status, r.Header.Get("Content-Type"))
			}
		}
		if r := e.do(req{Path: item + ".json", Key: key, Header: map[string]string{"Accept": "application/ld+json"}}); r.Status != http.StatusNotAcceptable {
			t.Errorf(".json with Accept: application/ld+json: %d", r.Status)
		}
		if r := e.do(req{Path: item + ".xml", Key: key}); r.Status != http.StatusNotFound || r.obj()["detail"] != `Format "xml" is not supported` {
			t.Errorf(".xml: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: "/api/organizations.jsonld", Key: key}); r.obj()["@id"] != "/api/organizations" {
			t.Errorf("suffixed collection @id: %v", r.obj()["@id"])
		}

		// Writes say where the representation lives (API Platform's Content-Location).
		r = e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"Beta"}`})
		if want := r.obj()["@id"].(string) + ".jsonld"; r.Header.Get("Content-Location") != want {
			t.Errorf("POST Content-Location = %q, want %q", r.Header.Get("Content-Location"), want)
		}
	})
}

func TestConditionalGETAndCaching(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		item := e.createOrg(key, `{"name":"Acme"}`)["@id"].(string)
		// Private: without --base-url the documents name the request's Host
		// (host_test.go has the public case).
		for _, c := range []struct {
			path, cache string
		}{
			{"/api", "private, max-age=300"},
			{"/api/docs.jsonld", "private, max-age=300"},
			{"/api/contexts/Organization", "private, max-age=300"},
			{item, ""},
			{"/api/organizations", ""},
		} {
			r := e.do(req{Path: c.path, Key: key})
			tag := r.Header.Get("ETag")
			if r.Status != http.StatusOK || len(tag) < 3 || tag[0] != '"' || r.Header.Get("Cache-Control") != c.cache {
				t.Errorf("%s: %d ETag=%q Cache-Control=%q", c.path, r.Status, tag, r.Header.Get("Cache-Control"))
				continue
			}
			again := e.do(req{Path: c.path, Key: key})
			if again.Header.Get("ETag") != tag {
				t.Errorf("%s: ETag changed between two reads", c.path)
			}
			nm := e.do(req{Path: c.path, Key: key, Header: map[string]string{"If-None-Match": `"nope", ` + tag}})
			if nm.Status != http.StatusNotModified || len(nm.Body) != 0 || nm.Header.Get("ETag") != tag || nm.Header.Get("Link") != e.docsLink() {
				t.Errorf("%s If-None-Match: %d body=%q ETag=%q", c.path, nm.Status, nm.Body, nm.Header.Get("ETag"))
			}
			if r := e.do(req{Path: c.path, Key: key, Header: map[string]string{"If-None-Match": `"other"`}}); r.Status != http.StatusOK {
				t.Errorf("%s stale If-None-Match: %d", c.path, r.Status)
			}
		}
		// A change changes the ETag.
		before := e.do(req{Path: item, Key: key}).Header.Get("ETag")
		e.do(req{Method: http.MethodPatch, Path: item, Key: key, Body: `{"name":"Acme 2"}`})
		if after := e.do(req{Path: item, Key: key}).Header.Get("ETag"); after == before {
			t.Error("ETag unchanged after PATCH")
		}
	})
}
