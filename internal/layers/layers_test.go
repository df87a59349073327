// Package layers holds the test of the rules that keep Orgraph's layers
// apart, so that they cannot rot: the domain (orgs) knows nothing of HTTP
// or of the wire format, and the HTTP layer (handlers) builds no SQL.
package layers

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/orgraph/orgraph"

// pkg is what go list says of a package.
type pkg struct {
	ImportPath string
	Imports    []string // its own non-test files'
	Deps       []string // everything they import, transitively
}

func list(t *testing.T, path string) pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/"+path).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", path, err)
	}
	var p pkg
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("go list %s: %v", path, err)
	}
	return p
}

// TestTheDomainKnowsNoHTTP: package orgs depends, directly or not, on
// neither net/http nor the wire format (hydra) nor problem documents
// (problems). Its errors carry no status; package handlers maps them.
func TestTheDomainKnowsNoHTTP(t *testing.T) {
	forbidden := map[string]bool{"net/http": true, module + "/hydra": true, module + "/problems": true, module + "/handlers": true}
	p := list(t, "orgs")
	if len(p.Deps) == 0 {
		t.Fatal("go list gave orgs no dependencies: the test would hold whatever it imports")
	}
	for _, d := range p.Deps {
		if forbidden[d] {
			t.Errorf("orgs depends on %s: the domain must not know HTTP or the wire format (go list -deps ./orgs shows the path)", d)
		}
	}
}

// TestHandlersBuildNoSQL: package handlers translates HTTP into calls of
// the domain and back; queries, predicates and dialects are the domain's
// (orgs) and the store's. Of ent it may name the entities (package ent) and
// the data model's types and permissions (ent/schema), nothing that builds
// a query.
func TestHandlersBuildNoSQL(t *testing.T) {
	p := list(t, "handlers")
	if len(p.Imports) == 0 {
		t.Fatal("go list gave handlers no imports: the test would hold whatever it imports")
	}
	for _, imp := range p.Imports {
		switch {
		case imp == "entgo.io/ent" || strings.HasPrefix(imp, "entgo.io/ent/"):
			t.Errorf("handlers imports %s: SQL and its dialects belong to orgs or store", imp)
		case strings.HasPrefix(imp, module+"/ent/") && imp != module+"/ent/schema":
			t.Errorf("handlers imports %s: ent's query packages (predicates, fields, ordering) belong to orgs or store", imp)
		}
	}
}
