package handlers_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// For Comunica, which follows Hydra paging from the IRI it was given and
// believes a next link only when its subject is the document it fetched:
// every page's view names itself as fetched (the bare /api/roles, not
// API Platform's /api/roles?page=1), and following next from the bare
// collection IRI reaches every member. A request target that is no IRI
// reference as it stands falls back to the page's canonical URL, so that
// the view stays a valid IRI in every format.
// iriTerms are the IRIs of an N-Quads document (literals hold no '<').
var iriTerms = regexp.MustCompile(`<[^<>"\s]*>`)

func TestPagingFromTheBareCollectionIRI(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	for i := 0; i < 8; i++ { // 9 organizations, 4 roles each: two pages
		e.createOrg(key, fmt.Sprintf(`{"name":"Org %d"}`, i))
	}
	seen, url := map[string]bool{}, "/api/roles"
	for pages := 0; url != ""; pages++ {
		if pages > 5 {
			t.Fatalf("still paging after %d pages", pages)
		}
		r := e.do(req{Path: url, Key: key})
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, r.Status, r.Body)
		}
		doc := r.obj()
		view, _ := doc["view"].(map[string]any)
		if view["@id"] != url {
			t.Errorf("GET %s: the view is %v, not the document fetched", url, view["@id"])
		}
		for _, m := range doc["member"].([]any) {
			seen[m.(map[string]any)["@id"].(string)] = true
		}
		url, _ = view["next"].(string)
	}
	if len(seen) != 36 {
		t.Errorf("following next from /api/roles reached %d roles, want 36", len(seen))
	}

	for target, want := range map[string]string{
		"/api/roles?itemsPerPage=10&page=2":        "/api/roles?itemsPerPage=10&page=2",
		"/api/roles?page=2&itemsPerPage=10":        "/api/roles?page=2&itemsPerPage=10",
		"/api/roles?itemsPerPage=10&x=%7B":         "/api/roles?itemsPerPage=10&x=%7B",
		"/api/roles?itemsPerPage=10&x={":           "/api/roles?itemsPerPage=10&x=%7B&page=1",
		"/api/roles?itemsPerPage=10&x=a|b":         "/api/roles?itemsPerPage=10&x=a%7Cb&page=1",
		"/api/organizations/../roles?itemsPerPage": "",
	} {
		r := e.do(req{Path: target, Key: key})
		if want == "" {
			continue // an unclean path is a 404 before any view
		}
		view, _ := r.obj()["view"].(map[string]any)
		if r.Status != http.StatusOK || view["@id"] != want {
			t.Errorf("GET %s: %d, view %v, want %s", target, r.Status, view["@id"], want)
		}
		q := e.do(req{Path: target, Key: key, Header: map[string]string{"Accept": "application/n-quads"}})
		if q.Status != http.StatusOK {
			t.Errorf("GET %s as N-Quads: %d %s", target, q.Status, q.Body)
		}
		for _, iri := range iriTerms.FindAllString(string(q.Body), -1) {
			if strings.ContainsAny(iri, "{}|") {
				t.Errorf("GET %s as N-Quads: the IRI %s holds a character IRIs may not", target, iri)
			}
		}
	}
}
