package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A plain JSON collection is a bare array, so its place in the collection
// travels in headers: Link relations to the pages the JSON-LD view names
// (absolute URLs) and X-Total-Count, absent with partial=true as
// totalItems is.

var pgLinkValue = regexp.MustCompile(`<([^>]*)>; rel="([^"]*)"`)

// pgLinks reads the Link header's relations.
func pgLinks(r *response) map[string]string {
	out := map[string]string{}
	for _, m := range pgLinkValue.FindAllStringSubmatch(strings.Join(r.Header.Values("Link"), ", "), -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestPagingHeadersOfPlainJSONCollections(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Ada's key comes with her personal organization: six in all, five
		// of them named "Paged".
		key := e.key("ada@example.com", "live", "write")
		for i := range 5 {
			e.createOrg(key, fmt.Sprintf(`{"name":"Paged %d"}`, i))
		}
		plain := map[string]string{"Accept": "application/json"}
		docs := "http://www.w3.org/ns/hydra/core#apiDocumentation"

		for _, c := range []struct {
			query string
			rels  []string // the relations besides the documentation's
			total string   // X-Total-Count, "" for none
		}{
			{"itemsPerPage=2&page=2&name=paged", []string{"first", "prev", "next", "last"}, "5"},
			{"itemsPerPage=2&name=paged", []string{"first", "next", "last"}, "5"},
			{"itemsPerPage=2&page=3&name=paged", []string{"first", "prev", "last"}, "5"},
			{"itemsPerPage=2&page=2&partial=true&name=paged", []string{"prev", "next"}, ""},
			{"itemsPerPage=10&name=paged", nil, "5"}, // one filtered page: a view without neighbours
			{"", nil, "6"},                           // one unfiltered page: no view
			{"itemsPerPage=0", nil, "6"},             // the count alone
		} {
			t.Run(c.query, func(t *testing.T) {
				r := e.do(req{Path: "/api/organizations?" + c.query, Key: key, Header: plain})
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if got := r.Header.Get("X-Total-Count"); got != c.total || (c.total == "") != (len(r.Header.Values("X-Total-Count")) == 0) {
					t.Errorf("X-Total-Count %q, want %q", got, c.total)
				}
				links := pgLinks(r)
				if links[docs] != e.srv.URL+"/api/docs.jsonld" || !strings.HasPrefix(r.Header.Get("Link"), e.docsLink()) {
					t.Errorf("Link %q: the documentation's link comes first", r.Header.Get("Link"))
				}
				delete(links, docs)
				if len(links) != len(c.rels) {
					t.Errorf("Link relations %v, want %v", links, c.rels)
				}
				// The same pages as the JSON-LD view, absolute.
				view, _ := e.do(req{Path: "/api/organizations?" + c.query, Key: key}).obj()["view"].(map[string]any)
				for _, rel := range c.rels {
					key := map[string]string{"prev": "previous"}[rel]
					if key == "" {
						key = rel
					}
					if want, _ := view[key].(string); want == "" || links[rel] != e.srv.URL+want {
						t.Errorf("rel=%s: %q, the view says %q", rel, links[rel], want)
					}
				}
				if n, _ := strconv.Atoi(c.total); c.total != "" && len(r.JSON.([]any)) > n {
					t.Errorf("%d items, more than the total %d", len(r.JSON.([]any)), n)
				}
			})
		}

		// Following next from the first page reaches every item once.
		seen := map[string]bool{}
		next := e.srv.URL + "/api/organizations?itemsPerPage=2&name=paged"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("next never ends")
			}
			r := e.do(req{Path: strings.TrimPrefix(next, e.srv.URL), Key: key, Header: plain})
			for _, item := range r.JSON.([]any) {
				name := item.(map[string]any)["name"].(string)
				if seen[name] {
					t.Errorf("%s on two pages", name)
				}
				seen[name] = true
			}
			next = pgLinks(r)["next"]
		}
		if len(seen) != 5 {
			t.Errorf("the pages hold %d of 5 organizations", len(seen))
		}

		// JSON-LD pages say it in their view: no paging headers.
		ld := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key})
		if len(pgLinks(ld)) != 1 || ld.Header.Get("X-Total-Count") != "" {
			t.Errorf("JSON-LD page: Link %q, X-Total-Count %q", ld.Header.Get("Link"), ld.Header.Get("X-Total-Count"))
		}

		// A cached answer and a 304 keep them.
		first := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key, Header: plain})
		again := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key, Header: plain})
		if again.Header.Get("Link") != first.Header.Get("Link") || again.Header.Get("X-Total-Count") != "5" {
			t.Errorf("the second answer: Link %q, X-Total-Count %q", again.Header.Get("Link"), again.Header.Get("X-Total-Count"))
		}
		notModified := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key,
			Header: map[string]string{"Accept": "application/json", "If-None-Match": first.Header.Get("ETag")}})
		if notModified.Status != http.StatusNotModified || notModified.Header.Get("Link") != first.Header.Get("Link") {
			t.Errorf("304: %d, Link %q", notModified.Status, notModified.Header.Get("Link"))
		}
	})
}
