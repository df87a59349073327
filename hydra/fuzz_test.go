package hydra_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/hydra"
)

// The Accept parser never panics, and Negotiate and Accepts agree: the
// format chosen is one the header accepts; a 406 means none is.
func FuzzNegotiate(f *testing.F) {
	for _, seed := range []string{
		"", "*/*", "*", "application/ld+json", "application/json;q=0.5, application/ld+json;q=0.9",
		`application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`,
		`application/ld+json;profile="a, b"`, "text/html", "application/*;q=0", "*/*;q=abc",
		`application/n-quads, */*;q=0.1`, `text/turtle;q=0.5, application/n-triples`, `text/*`, `"`, ";;;", "a/b;q=1e400", strings.Repeat("application/json,", 100),
	} {
		f.Add(seed)
	}
	all := []hydra.Format{hydra.JSONLD, hydra.JSON, hydra.NQuads, hydra.Turtle, hydra.NTriples}
	f.Fuzz(func(t *testing.T, accept string) {
		format, ok := hydra.Negotiate(accept)
		_ = hydra.ProblemsAsLinkedData(accept)
		if ok {
			if !hydra.Accepts(accept, format) {
				t.Fatalf("Negotiate(%q) chose %v, which Accepts refuses", accept, format)
			}
			return
		}
		for _, f := range all {
			if hydra.Accepts(accept, f) {
				t.Fatalf("Negotiate(%q) found nothing acceptable, but Accepts takes %v", accept, f)
			}
		}
	})
}

// Parse never panics; it accepts exactly the JSON objects within the
// nesting, array-length and value-count bounds.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"name":"a"}`, `{"a":[1,2,3],"b":{"c":[[],[{}]]}}`, `{"s":"[[[[,,,\"]]]"}`, `[1]`, `{`, `{"a":[1,]}`,
		`{"a":` + strings.Repeat("[", 17) + strings.Repeat("]", 17) + `}`,
		`{"a":[` + strings.TrimSuffix(strings.Repeat("0,", 1001), ",") + `]}`,
		`{"a":[` + strings.TrimSuffix(strings.Repeat(`"x,y",`, 1000), ",") + `]}`,
		`{"a":[` + strings.TrimSuffix(strings.Repeat(`[1,true,null,"s",{"k":-1.5e3}],`, 1000), ",") + `]}`,
		`{"a":[` + strings.TrimSuffix(strings.Repeat(`[1,2,3,4,5,6,7,8,9,10],`, 1000), ",") + `]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obj, p := hydra.Parse(body)
		var v any
		valid := json.Valid(body) && json.Unmarshal(body, &v) == nil
		_, isObject := v.(map[string]any)
		if !valid || !isObject {
			if p == nil {
				t.Fatalf("accepted %q", body)
			}
			return
		}
		deepest, longest := measure(v, 1)
		within := deepest <= hydra.MaxDepth && longest <= hydra.MaxArrayItems && count(v) <= hydra.MaxValues
		if within != (p == nil) {
			t.Fatalf("%q: depth %d, longest array %d: accepted %v (%v)", body, deepest, longest, p == nil, p)
		}
		if p == nil && obj == nil {
			t.Fatal("accepted without an object")
		}
	})
}

// count is the reference for Parse's count of values: every value, and
// every key of every object.
func count(v any) int {
	n := 1
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			n += 1 + count(e)
		}
	case []any:
		for _, e := range x {
			n += count(e)
		}
	}
	return n
}

// measure is the reference for Parse's bounds, on the decoded value.
func measure(v any, level int) (deepest, longest int) {
	switch x := v.(type) {
	case map[string]any:
		deepest = level
		for _, e := range x {
			d, l := measure(e, level+1)
			deepest, longest = max(deepest, d), max(longest, l)
		}
	case []any:
		deepest, longest = level, len(x)
		for _, e := range x {
			d, l := measure(e, level+1)
			deepest, longest = max(deepest, d), max(longest, l)
		}
	}
	return deepest, longest
}
