package handlers_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/hydra"
)

// TestDocsDescribeProtocol: each operation of the Hydra documentation says
// the request headers it reads (expectsHeader), the headers of its answer
// (returnsHeader) and the statuses it can answer with (possibleStatus), so
// that a Hydra client (alcaeus reads expectsHeader for a PATCH's
// Content-Type) learns what the OpenAPI document says without reading it.
// Every operation's statuses must be those of the same operation in the
// OpenAPI document, and a few are checked by hand.
func TestDocsDescribeProtocol(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	docs := e.do(req{Path: "/api/docs.jsonld"}).obj()
	openapi := e.do(req{Path: "/api/docs.json"}).obj()
	paths, _ := openapi["paths"].(map[string]any)

	type op struct {
		class *hydra.Class
		path  string
		doc   map[string]any
	}
	var ops []op
	classes, _ := docs["supportedClass"].([]any)
	for _, c := range classes {
		cm := c.(map[string]any)
		name := strings.TrimPrefix(cm["@id"].(string), "#")
		if name == "Entrypoint" {
			for _, sp := range cm["supportedProperty"].([]any) {
				prop := sp.(map[string]any)["property"].(map[string]any)
				class, ok := hydra.API.Class(strings.TrimSuffix(strings.TrimPrefix(sp.(map[string]any)["title"].(string), "get"), "Collection"))
				if !ok {
					t.Fatalf("entrypoint link %v names no class", sp)
				}
				for _, o := range asList(prop["supportedOperation"]) {
					ops = append(ops, op{class, class.Resource.Collection, o.(map[string]any)})
				}
			}
			continue
		}
		class, _ := hydra.API.Class(name)
		for _, o := range asList(cm["supportedOperation"]) {
			om := o.(map[string]any)
			path := class.Resource.Item + "{id}"
			for _, a := range class.Resource.Actions {
				title := a.Title
				if title == "" {
					title = a.Name + class.Name
				}
				if om["title"] == title {
					path = class.Resource.ActionPath(a)
				}
			}
			ops = append(ops, op{class, path, om})
		}
	}
	if len(ops) < 15 {
		t.Fatalf("only %d operations found in the docs", len(ops))
	}

	headerNames := func(v any) []string {
		var out []string
		for _, h := range asList(v) {
			out = append(out, h.(map[string]any)["headerName"].(string))
		}
		return out
	}
	statuses := func(v any) []string {
		var out []string
		for _, s := range asList(v) {
			sm := s.(map[string]any)
			if sm["@type"] != "Status" || sm["title"] == "" {
				t.Errorf("possibleStatus %v is not a titled hydra:Status", sm)
			}
			out = append(out, strconv.Itoa(int(sm["statusCode"].(float64))))
		}
		slices.Sort(out)
		return out
	}
	byKey := map[string]op{}
	for _, o := range ops {
		method := strings.ToLower(o.doc["method"].(string))
		key := method + " " + o.path
		byKey[key] = o
		oa, _ := paths[o.path].(map[string]any)[method].(map[string]any)
		if oa == nil {
			t.Errorf("%s is in the Hydra docs, not in the OpenAPI document", key)
			continue
		}
		var want []string
		for status := range oa["responses"].(map[string]any) {
			want = append(want, status)
		}
		slices.Sort(want)
		if got := statuses(o.doc["possibleStatus"]); !slices.Equal(got, want) {
			t.Errorf("%s: possibleStatus %v, the OpenAPI responses %v", key, got, want)
		}
		// A public operation (accepting by token) takes no key: it must
		// not ask for one, as OpenAPI's empty security says.
		_, public := oa["security"]
		if got := headerNames(o.doc["expectsHeader"]); slices.Contains(got, "Authorization") == public || !slices.Contains(got, "Orgraph-Version") {
			t.Errorf("%s: expectsHeader %v: Authorization must be there unless the operation is public (%v); Orgraph-Version always", key, got, public)
		}
	}

	// By hand, for the organization's operations.
	for key, want := range map[string]struct{ expects, returns, statuses []string }{
		"patch /api/organizations/{id}": {
			expects:  []string{"Content-Type", "Authorization", "Idempotency-Key", "If-Match", "Orgraph-Version"},
			returns:  []string{"ETag", "Content-Location", "Idempotent-Replayed"},
			statuses: []string{"200", "409", "412", "415", "422", "428"},
		},
		"post /api/organizations": {
			expects:  []string{"Content-Type", "Idempotency-Key"},
			returns:  []string{"Location", "Idempotent-Replayed"},
			statuses: []string{"201", "409", "415", "422"},
		},
		"delete /api/organizations/{id}": {
			expects:  []string{"If-Match", "Idempotency-Key"},
			statuses: []string{"204", "404", "412", "428"},
		},
		"get /api/organizations/{id}": {
			expects:  []string{"If-None-Match"},
			returns:  []string{"ETag", "Accept-Patch"},
			statuses: []string{"200", "304", "404", "406"},
		},
		"get /api/organizations": {
			returns:  []string{"ETag", "X-Total-Count", "Accept-Post"},
			statuses: []string{"200", "304", "400"},
		},
		"post /api/invitations/{id}/accept": {
			expects:  []string{"Idempotency-Key"},
			statuses: []string{"201", "404", "409"},
		},
	} {
		o, ok := byKey[key]
		if !ok {
			t.Errorf("%s is not in the docs", key)
			continue
		}
		expects, returns, got := headerNames(o.doc["expectsHeader"]), headerNames(o.doc["returnsHeader"]), statuses(o.doc["possibleStatus"])
		for _, h := range want.expects {
			if !slices.Contains(expects, h) {
				t.Errorf("%s: expectsHeader %v lacks %s", key, expects, h)
			}
		}
		for _, h := range want.returns {
			if !slices.Contains(returns, h) {
				t.Errorf("%s: returnsHeader %v lacks %s", key, returns, h)
			}
		}
		for _, s := range want.statuses {
			if !slices.Contains(got, s) {
				t.Errorf("%s: possibleStatus %v lacks %s", key, got, s)
			}
		}
		if ct := asList(o.doc["expectsHeader"]); len(want.expects) > 0 && want.expects[0] == "Content-Type" {
			first := ct[0].(map[string]any)
			values := asList(first["possibleValue"])
			if first["headerName"] != "Content-Type" || len(values) == 0 || first["closedSet"] != true {
				t.Errorf("%s: the first expectsHeader is %v, want Content-Type with its closed set of values", key, first)
			} else if key == "patch /api/organizations/{id}" && values[0] != "application/merge-patch+json" {
				t.Errorf("%s: Content-Type values %v: alcaeus sends the first, which must be application/merge-patch+json", key, values)
			}
		}
	}
	// The error statuses name the error catalogue's page of their kind.
	for _, s := range asList(byKey["patch /api/organizations/{id}"].doc["possibleStatus"]) {
		sm := s.(map[string]any)
		if code := int(sm["statusCode"].(float64)); code >= 400 && sm["@id"] != "/errors/"+strconv.Itoa(code) {
			t.Errorf("status %d has @id %v, want /errors/%d", code, sm["@id"], code)
		}
	}
	if r := e.do(req{Path: "/errors/412", Header: map[string]string{"Accept": "application/ld+json"}}); r.Status != http.StatusOK {
		t.Errorf("GET /errors/412: %d, so the status's @id does not resolve", r.Status)
	}
}

// asList is a JSON-LD value as a list: an array, or one value alone.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}
