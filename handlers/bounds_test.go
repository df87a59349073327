package handlers_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/internal/rdftest"
	"github.com/orgraph/orgraph/problems"
)

// Every filter of every collection takes at most hydra.MaxFilterLength
// characters: a longer value is a 400 that says so (a 50,000-character
// name was a 500 on SQLite: "LIKE or GLOB pattern too complex").
func TestFilterLengthsAreBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		for _, c := range hydra.API.Collections() {
			for _, f := range c.Resource.Filters {
				for _, param := range f.Parameters() {
					for _, n := range []int{hydra.MaxFilterLength + 1, 50000} {
						r := e.do(req{Path: c.Resource.Collection + "?" + param + "=" + strings.Repeat("é", n), Key: key})
						e.erAssertProblem(t, r, http.StatusBadRequest, erErrorDoc(true, http.StatusBadRequest,
							fmt.Sprintf("The %q parameter must hold at most %d characters, %d given.", param, hydra.MaxFilterLength, n)))
					}
				}
			}
		}
		// At the bound, a partial filter still runs.
		if r := e.do(req{Path: "/api/organizations?name=" + strings.Repeat("é", hydra.MaxFilterLength), Key: key}); r.Status != http.StatusOK {
			t.Errorf("a name filter at the bound: %d %s", r.Status, r.Body)
		}
	})
}

// Pages rendered through the JSON-LD processor hold at most
// hydra.MaxProcessedItemsPerPage items, whatever itemsPerPage asks; the
// compacted and plain forms keep the usual maximum.
func TestProcessedPagesAreCapped(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	for i := 0; i < hydra.MaxProcessedItemsPerPage+5; i++ {
		e.createOrg(key, fmt.Sprintf(`{"name":"Org %d"}`, i))
	}
	const member = hydra.NS + "member"
	for _, c := range []struct {
		accept string
		want   int
	}{
		{"application/ld+json", hydra.MaxProcessedItemsPerPage + 6}, // the personal organization too
		{`application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`, hydra.MaxProcessedItemsPerPage},
		{`application/ld+json; profile="http://www.w3.org/ns/json-ld#flattened"`, hydra.MaxProcessedItemsPerPage},
		{"application/n-quads", hydra.MaxProcessedItemsPerPage},
		{"text/turtle", hydra.MaxProcessedItemsPerPage},
		{"application/n-triples", hydra.MaxProcessedItemsPerPage},
	} {
		r := e.do(req{Path: "/api/organizations?itemsPerPage=100", Key: key, Header: map[string]string{"Accept": c.accept}})
		got := -1
		switch body := r.JSON.(type) {
		case map[string]any:
			got = len(body["member"].([]any))
		case []any: // expanded: the collection node and its members; flattened: a @graph
			nodes := body
			if len(body) == 1 {
				if g, ok := body[0].(map[string]any)["@graph"].([]any); ok {
					nodes = g
				}
			}
			for _, n := range nodes {
				if m, ok := n.(map[string]any)[member].([]any); ok {
					got = len(m)
				}
			}
		default: // an RDF syntax
			quads, err := rdftest.ParseTurtle(string(r.Body)) // N-Triples and N-Quads without graph names are Turtle too
			if err != nil {
				t.Fatalf("%s: %v", c.accept, err)
			}
			got = 0
			for _, q := range quads {
				if q.Predicate.GetValue() == member {
					got++
				}
			}
		}
		if r.Status != http.StatusOK || got != c.want {
			t.Errorf("%s: %d, %d members, want %d", c.accept, r.Status, got, c.want)
		}
		// The links name the page size used: followed with another Accept,
		// they read the same pages.
		// (The view itself is named as fetched, itemsPerPage=100.)
		links := strings.ReplaceAll(string(r.Body), "/api/organizations?itemsPerPage=100>", "")
		links = strings.ReplaceAll(links, `/api/organizations?itemsPerPage=100"`, "")
		if c.want == hydra.MaxProcessedItemsPerPage && (!strings.Contains(links, "itemsPerPage=30") || strings.Contains(links, "itemsPerPage=100")) {
			t.Errorf("%s: the page links do not say itemsPerPage=30: %.300s", c.accept, r.Body)
		}
	}
}

// The cost of a page in each format, with a cache-busting parameter so
// that every request renders (the review measured processed pages at 5-7x
// a compacted one). Ratios against the compacted page of the same run.
//
//	go test -run XXX -bench CollectionFormats ./handlers/
func BenchmarkCollectionFormats(b *testing.B) {
	e := newEnv(b, "sqlite:"+filepath.Join(b.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	for i := 0; i < 120; i++ {
		e.createOrg(key, fmt.Sprintf(`{"name":"Org %d","contact":{"email":"o%d@example.com"}}`, i, i))
	}
	for _, c := range []struct{ name, accept string }{
		{"compacted", "application/ld+json"},
		{"expanded", `application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`},
		{"flattened", `application/ld+json; profile="http://www.w3.org/ns/json-ld#flattened"`},
		{"n-quads", "application/n-quads"},
		{"turtle", "text/turtle"},
		{"n-triples", "application/n-triples"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := e.do(req{Path: fmt.Sprintf("/api/organizations?itemsPerPage=100&bust=%d", i), Key: key, Header: map[string]string{"Accept": c.accept}})
				if r.Status != http.StatusOK {
					b.Fatalf("%d", r.Status)
				}
			}
		})
	}
}

// The error catalogue states the bounds in words; they are the bounds the
// code applies.
func TestCatalogueStatesTheLimits(t *testing.T) {
	thousands := func(n int) string {
		s := fmt.Sprint(n)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	}
	bad, _ := problems.KindOf(http.StatusBadRequest)
	for _, n := range []int{hydra.MaxDepth, hydra.MaxArrayItems, hydra.MaxValues, hydra.MaxFilterLength} {
		if !strings.Contains(bad.Description, thousands(n)) {
			t.Errorf("the 400's description does not state %s: %q", thousands(n), bad.Description)
		}
	}
	many, _ := problems.KindOf(http.StatusTooManyRequests)
	if want := fmt.Sprintf("%d minutes", int(handlers.IdempotencyMinRetention.Minutes())); !strings.Contains(many.Description, want) {
		t.Errorf("the 429's description does not state %q: %q", want, many.Description)
	}
}
