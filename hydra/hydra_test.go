package hydra

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "tab\tnew\nline\r", "\x00\x1f", "é ü 日本 🎉",
		"line\u2028sep\u2029", "a<b>&c", "bad\xffutf8"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: not valid JSON: %s", s, got)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q: round trip gave %q", s, back)
		}
	}
}

func TestNodeOmitsNullsAndKeepsDeclarationOrder(t *testing.T) {
	n := NewNode(Organization, "/api/organizations/1").
		Set("updated_at", time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)).
		Set("name", "Acme").
		Set("phone_number", "").
		Set("owners", []*Node{})
	n.Context = "/api/contexts/Organization"
	got := string(n.AppendJSON(nil, LinkedData))
	// The item's collection links follow its properties (links_test.go).
	want := `{"@context":"/api/contexts/Organization","@id":"/api/organizations/1","@type":"Organization","name":"Acme","updated_at":"2026-01-15T10:30:00+00:00","owners":[],"collection":[`
	if !strings.HasPrefix(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := string(n.AppendJSON(nil, PlainJSON)); got != `{"name":"Acme","updated_at":"2026-01-15T10:30:00+00:00","owners":[]}` {
		t.Fatalf("plain JSON: %s", got)
	}
}

func TestSetUndeclaredPropertyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an undeclared property")
		}
	}()
	NewNode(Organization, "").Set("nope", 1)
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		accept string
		want   Format
		ok     bool
	}{
		{"", JSONLD, true},
		{"*/*", JSONLD, true},
		{"application/ld+json", JSONLD, true},
		{"application/json", JSON, true},
		{"application/json, application/ld+json;q=0.5", JSON, true},
		{"application/ld+json;q=0.5, application/json", JSON, true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSONLD, true},
		{"application/*", JSONLD, true},
		{"text/plain", JSONLD, false},
		{"application/json;q=0", JSONLD, false},
		{`application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"`, JSONLD, true},
	} {
		got, ok := Negotiate(c.accept)
		if got != c.want || ok != c.ok {
			t.Errorf("Negotiate(%q) = %v, %v; want %v, %v", c.accept, got, ok, c.want, c.ok)
		}
	}
}

func TestParseQuery(t *testing.T) {
	res := Organization.Resource
	q, p := res.ParseQuery("order%5Bid%5D=DESC&page=2&itemsPerPage=500&name=ac%20me&unknown=1&order[bogus]=asc")
	if p != nil {
		t.Fatal(p)
	}
	if q.Page != 2 || q.ItemsPerPage != MaxItemsPerPage || q.Filters["name"] != "ac me" ||
		len(q.Order) != 1 || q.Order[0] != (OrderBy{"id", true}) {
		t.Fatalf("%+v", q)
	}
	if got := q.pageURL("/api/organizations", 3); got != "/api/organizations?order%5Bid%5D=DESC&itemsPerPage=500&name=ac%20me&unknown=1&order%5Bbogus%5D=asc&page=3" {
		t.Fatalf("page URL %s", got)
	}
	for raw, detail := range map[string]string{
		"page=0":                "Page should not be less than 1",
		"page=x":                `The "page" parameter must be an integer, "x" given.`,
		"itemsPerPage=-1":       "Limit should not be less than 0",
		"itemsPerPage=0&page=2": "Page should not be greater than 1 if limit is equal to 0",
		"order[name]=up":        `The "order[name]" parameter must be "asc" or "desc", "up" given.`,
		"partial=maybe":         `The "partial" parameter must be true or false, "maybe" given.`,
		"name=%zz":              `The query string is not valid: "name=%zz".`,
	} {
		if _, p := res.ParseQuery(raw); p == nil || p.Status != 400 || p.Detail != detail {
			t.Errorf("%s: got %v, want 400 %q", raw, p, detail)
		}
	}
}

func TestDecodeCollectsEveryViolation(t *testing.T) {
	_, p := Organization.Decode([]byte(`{"name":"   ","contact":{"email":"nope"},"phone_number":"call me","address":{"zip_code":"`+strings.Repeat("9", 21)+`"}}`), true)
	if p == nil || p.Status != 422 {
		t.Fatalf("got %v", p)
	}
	var paths []string
	for _, v := range p.Violations {
		paths = append(paths, v.PropertyPath)
	}
	if got := strings.Join(paths, ","); got != "name,contact.email,phone_number,address.zip_code" {
		t.Fatalf("violations on %s", got)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	if _, p := Organization.Decode([]byte(deep), true); p == nil || p.Status != 400 {
		t.Fatalf("got %v", p)
	}
}

func TestRegistryRejectsReservedNames(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a property named member must be refused")
		}
	}()
	NewRegistry("x", "", &Class{Name: "Bad", Properties: []*Property{{Name: "member"}}})
}

// The guard above must hold for the registry the server serves too. API is
// built while the package's variables are initialized, before any init
// function runs, so this checks its classes against the Hydra terms
// themselves rather than through NewRegistry.
func TestAPIHasNoReservedNames(t *testing.T) {
	for _, c := range API.Classes {
		for _, p := range c.Properties {
			for _, term := range collectionTerms {
				if p.Name == term.name {
					t.Errorf("%s.%s collides with the Hydra term %q of every resource context", c.Name, p.Name, term.name)
				}
			}
		}
	}
}

// A declaration claims a shared vocabulary's term only by a compact IRI the
// documentation's context can expand; anything else would silently land in
// Orgraph's own vocabulary. Ordered needs a list; Enum needs strings.
func TestRegistryRejectsBadVocabularyDeclarations(t *testing.T) {
	for name, c := range map[string]*Class{
		"unknown prefix":      {Name: "Bad", Specializes: []string{"foaf:Person"}},
		"not a compact IRI":   {Name: "Bad", Specializes: []string{"Person"}},
		"property, no prefix": {Name: "Bad", Properties: []*Property{{Name: "x", Specializes: []string{"https://schema.org/name"}}}},
		"ordered single":      {Name: "Bad", Properties: []*Property{{Name: "x", Ordered: true}}},
		"enum of integers":    {Name: "Bad", Properties: []*Property{{Name: "x", Kind: Integer, Enum: []string{"1"}}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: accepted", name)
				}
			}()
			NewRegistry("x", "", c)
		}()
	}
	NewRegistry("x", "", &Class{Name: "Good", Specializes: []string{"schema:Person"},
		Properties: []*Property{{Name: "x", Specializes: []string{"vcard:given-name"}}}})
}
