package handlers_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// For alcaeus, which reads a problem+json answer only when a Link names
// its JSON-LD context (rel json-ld#context) and takes the node typed
// hydra:Error as its root, with hydra:title, hydra:description and
// hydra:statusCode: every JSON-LD problem names its context that way
// (once, beside API Platform's json-ld#error link), is typed hydra:Error
// as well as Error (or ConstraintViolation), and expands to Hydra's terms.
// The documentation says Error is a kind of hydra:Error.
func TestProblemsAreHydraErrors(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	for _, c := range []struct {
		what    string
		r       *response
		status  int
		context string
		class   string
	}{
		{"404", e.do(req{Path: "/api/organizations/" + uuid.NewString(), Key: key}), 404, "/api/contexts/Error", "Error"},
		{"422", e.do(req{Method: "POST", Path: "/api/organizations", Key: key, Body: `{"name":""}`}), 422, "/api/contexts/ConstraintViolation", "ConstraintViolation"},
	} {
		if c.r.Status != c.status {
			t.Fatalf("%s: %d %s", c.what, c.r.Status, c.r.Body)
		}
		link := c.r.Header.Get("Link")
		want := "<" + e.srv.URL + c.context + `>; rel="http://www.w3.org/ns/json-ld#context"`
		if !strings.Contains(link, want) || strings.Count(link, "json-ld#context") != 1 {
			t.Errorf("%s: Link %q, want one %s", c.what, link, want)
		}
		if got := fmt.Sprint(c.r.obj()["@type"]); got != "["+c.class+" hydra:Error]" {
			t.Errorf("%s: @type %s, want [%s hydra:Error]", c.what, got, c.class)
		}
		node := expandAndCheck(t, e, "/api/organizations", c.r.JSON)[0].(map[string]any)
		if types := fmt.Sprint(node["@type"]); !strings.Contains(types, ldHydraNS+"Error") {
			t.Errorf("%s: expanded @type %s lacks hydra:Error", c.what, types)
		}
		if got, want := node[ldHydraNS+"statusCode"], []any{map[string]any{"@value": float64(c.status)}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: hydra:statusCode %v, want %v", c.what, got, want)
		}
		for _, term := range []string{"title", "description"} {
			if _, ok := node[ldHydraNS+term]; !ok {
				t.Errorf("%s: no hydra:%s once expanded", c.what, term)
			}
		}
	}

	docs := e.do(req{Path: "/api/docs.jsonld"})
	if docs.Status != http.StatusOK {
		t.Fatalf("docs: %d", docs.Status)
	}
	found := false
	for _, c := range docs.obj()["supportedClass"].([]any) {
		if cl := c.(map[string]any); cl["@id"] == "#Error" {
			found = reflect.DeepEqual(cl["subClassOf"], []any{"hydra:Error"})
		}
	}
	if !found {
		t.Errorf("the documentation does not say #Error is a kind of hydra:Error")
	}
}
