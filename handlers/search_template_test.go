package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/yosida95/uritemplate/v3"
)

// TestSearchTemplatesAreRFC6570 reads every collection's search template as
// the generic Hydra clients do (issue 18 item 1):
//   - Comunica parses the template with an RFC 6570 parser and drops the
//     whole page when it fails ("[" is not allowed in a variable name), so
//     each template is parsed here by an independent, strict implementation;
//   - alcaeus fills the template from a model, one variable per mapping
//     whose property the model holds, so no two template variables may map
//     the same property (a filter's name must never be sent as a sort
//     direction);
//   - API Platform Admin finds sortable columns by the literal "order[" in
//     a mapping's variable, so each sort variable is mapped in that
//     spelling too, to the same property, outside the template.
func TestSearchTemplatesAreRFC6570(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name": "Search Org"}`)
		orgID, _ := org["id"].(string)

		entry := e.do(req{Path: "/api", Key: key}).obj()
		var paths []string
		for k, v := range entry {
			if s, ok := v.(string); ok && !strings.HasPrefix(k, "@") && strings.HasPrefix(s, "/api/") {
				paths = append(paths, s)
			}
		}
		// The collections a filter narrows carry the same template.
		paths = append(paths, "/api/members?organization="+orgID, "/api/organizations/"+orgID+"/workspaces")
		slices.Sort(paths)
		checked := 0
		for _, path := range paths {
			r := e.do(req{Path: path, Key: key})
			if r.Status != http.StatusOK {
				t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
				continue
			}
			search, _ := r.obj()["search"].(map[string]any)
			if search == nil {
				continue
			}
			checked++
			raw, _ := search["template"].(string)
			tpl, err := uritemplate.New(raw)
			if err != nil {
				t.Errorf("%s: the search template %q is not RFC 6570: %v", path, raw, err)
				continue
			}
			inTemplate := map[string]bool{}
			for _, v := range tpl.Varnames() {
				inTemplate[v] = true
			}
			byVariable := map[string]string{} // template variable -> property
			byProperty := map[string]string{} // property -> template variable
			var admin []map[string]any
			mappings, _ := search["mapping"].([]any)
			for _, m := range mappings {
				mm, _ := m.(map[string]any)
				v, _ := mm["variable"].(string)
				p, _ := mm["property"].(string)
				if p == "" {
					t.Errorf("%s: mapping of %q has no property (api-doc-parser drops it, alcaeus cannot fill it)", path, v)
				}
				if !inTemplate[v] {
					admin = append(admin, mm)
					continue
				}
				if _, dup := byVariable[v]; dup {
					t.Errorf("%s: variable %q is mapped twice", path, v)
				}
				if other, dup := byProperty[p]; dup {
					t.Errorf("%s: variables %q and %q both map property %q: a client filling the template from a model sends both", path, other, v, p)
				}
				byVariable[v], byProperty[p] = p, v
			}
			for v := range inTemplate {
				if _, ok := byVariable[v]; !ok {
					t.Errorf("%s: template variable %q has no mapping", path, v)
				}
			}
			for _, mm := range admin {
				v, _ := mm["variable"].(string)
				field, ok := strings.CutPrefix(v, "order[")
				field, closed := strings.CutSuffix(field, "]")
				if !ok || !closed {
					t.Errorf("%s: mapping of %q names no variable of the template %q", path, v, raw)
					continue
				}
				if want := byVariable["order."+field]; mm["property"] != want {
					t.Errorf("%s: Admin's %q maps %v, the template's order.%s maps %q", path, v, mm["property"], field, want)
				}
			}
		}
		if checked < 4 {
			t.Fatalf("only %d collections had a search template: %v", checked, paths)
		}

		// Filled as a client fills it, the template reaches the server's
		// filters and sorting: order.name is order[name].
		for _, name := range []string{"Search Beta", "Search Alpha", "Search Gamma", "Other"} {
			e.createOrg(key, `{"name": "`+name+`"}`)
		}
		r := e.do(req{Path: "/api/organizations?itemsPerPage=0", Key: key})
		tpl, err := uritemplate.New(r.obj()["search"].(map[string]any)["template"].(string))
		if err != nil {
			t.Fatal(err)
		}
		values := uritemplate.Values{}
		values.Set("name", uritemplate.String("search "))
		values.Set("order.name", uritemplate.String("desc"))
		filled, err := tpl.Expand(values)
		if err != nil {
			t.Fatal(err)
		}
		names := func(path string) []string {
			t.Helper()
			r := e.do(req{Path: path, Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
			}
			var out []string
			for _, m := range r.obj()["member"].([]any) {
				out = append(out, m.(map[string]any)["name"].(string))
			}
			return out
		}
		want := []string{"Search Org", "Search Gamma", "Search Beta", "Search Alpha"}
		if got := names(filled); !slices.Equal(got, want) {
			t.Errorf("GET %s (the filled template) = %q, want %q", filled, got, want)
		}
		admin := "/api/organizations?" + url.Values{"name": {"search "}, "order[name]": {"desc"}}.Encode()
		if got := names(admin); !slices.Equal(got, want) {
			t.Errorf("GET %s (Admin's spelling) = %q, want %q", admin, got, want)
		}
	})
}
