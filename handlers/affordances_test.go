package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// Per-caller affordances (issue 18, beyond API Platform; Hydra Core §4.1):
// an organization's document lists, as hydra:operation, the operations its
// reader may invoke, by the rules the writes enforce: the owner PATCH and
// DELETE, an admin PATCH, a developer, a viewer and a read-only key
// nothing. A Hydra client that reads hydra:operation (the JSON-LD checker
// of jsonld_test.go, and any RDF consumer) sees exactly what would succeed:
// each listed operation, sent with the document's ETag, succeeds; each one
// left out is a 403. The documentation, which Admin reads, is the same for
// everyone. The document cache keys on the API key, so that one caller's
// operations never reach another (asked in turns, twice each).
func TestOrganizationOperationsAreTheCallers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Afforded")
		keys := map[string]string{
			"owner": o.keys["ada"], "admin": o.keys["bob"], "developer": o.keys["dave"], "viewer": o.keys["vic"],
			"owner's read key": e.key("ada@example.com", "live", "read"),
		}
		want := map[string][]string{"owner": {"PATCH", "DELETE"}, "admin": {"PATCH"}}
		order := []string{"owner", "viewer", "owner's read key", "admin", "developer", "owner", "admin", "viewer"}
		read := func(who string) (*response, []string) {
			r := e.do(req{Path: o.iri, Key: keys[who]})
			if r.Status != http.StatusOK {
				t.Fatalf("%s reads %s: %d %s", who, o.iri, r.Status, r.Body)
			}
			var methods []string
			for _, op := range otList(r.obj()["operation"]) {
				m := otObj(op)
				methods = append(methods, pmS(m["method"]))
				title := map[string]string{"PATCH": "patchOrganization", "DELETE": "deleteOrganization"}[pmS(m["method"])]
				if m["title"] != title {
					t.Errorf("%s: operation %v, want the documented title %q", who, m, title)
				}
			}
			return r, methods
		}
		for _, who := range order {
			if _, got := read(who); !slices.Equal(got, want[who]) {
				t.Errorf("%s: operations %v, want %v", who, got, want[who])
			}
		}

		// What is listed succeeds, what is not is refused: PATCH by all
		// but the owner, whose DELETE comes last.
		for _, who := range []string{"admin", "developer", "viewer", "owner's read key", "owner"} {
			r, listed := read(who)
			patch := e.do(req{Method: http.MethodPatch, Path: o.iri, Key: keys[who], Body: fmt.Sprintf(`{"name":"By %s"}`, who),
				Header: map[string]string{"If-Match": r.Header.Get("ETag")}})
			if ok := patch.Status == http.StatusOK; ok != slices.Contains(listed, "PATCH") {
				t.Errorf("%s lists %v, and PATCH (If-Match the GET's ETag) answers %d %s", who, listed, patch.Status, patch.Body)
			}
			if who == "owner" {
				continue
			}
			r, listed = read(who)
			if del := e.do(req{Method: http.MethodDelete, Path: o.iri, Key: keys[who], Header: map[string]string{"If-Match": r.Header.Get("ETag")}}); (del.Status == http.StatusNoContent) != slices.Contains(listed, "DELETE") {
				t.Errorf("%s lists %v, and DELETE answers %d %s", who, listed, del.Status, del.Body)
			}
		}
		r, _ := read("owner")
		if del := e.do(req{Method: http.MethodDelete, Path: o.iri, Key: keys["owner"], Header: map[string]string{"If-Match": r.Header.Get("ETag")}}); del.Status != http.StatusNoContent {
			t.Errorf("the owner's DELETE with the document's ETag: %d %s", del.Status, del.Body)
		}

		// The documentation is one for everyone.
		docs := e.do(req{Path: "/api/docs.jsonld"}).Body
		for who, k := range keys {
			if got := e.do(req{Path: "/api/docs.jsonld", Key: k}).Body; !bytes.Equal(got, docs) {
				t.Errorf("the documentation read with the %s's key differs", who)
			}
		}
	})
}

// The POST answer is the GET's document, operations included (the creator
// owns the organization), and a page's members list none.
func TestCreatedOrganizationListsTheOwnersOperations(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	key := e.key("ada@example.com", "live", "write")
	created := e.createOrg(key, `{"name":"Acme"}`)
	got := e.do(req{Path: pmS(created["@id"]), Key: key}).obj()
	if d := jsonDiff("", created, got); len(d) > 0 {
		t.Errorf("the POST answer differs from the GET: %v", d)
	}
	if len(otList(created["operation"])) != 2 {
		t.Errorf("operations %v", created["operation"])
	}
	for _, m := range otList(e.do(req{Path: "/api/organizations", Key: key}).obj()["member"]) {
		if otObj(m)["operation"] != nil {
			t.Errorf("a page's member lists operations: %v", m)
		}
	}
}
