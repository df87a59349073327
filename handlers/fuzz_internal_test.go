package handlers

import (
	"strings"
	"testing"
)

// If-Match (strong comparison) and If-None-Match (weak) never panic, find a
// tag wherever it sits in a list, and never let a weak tag satisfy If-Match.
func FuzzConditionalHeaders(f *testing.F) {
	for _, seed := range []string{"", "*", `"abc"`, `W/"abc"`, `"a", "b"`, `,,,`, ` "x" ,W/"y"`, `"unterminated`} {
		f.Add(seed, []byte(`{"name":"Acme"}`))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		tag := etag(body)
		matched := ifMatch(header, tag)
		_ = noneMatch(header, tag)
		if !strings.Contains(header, tag) && !strings.Contains(header, "*") && matched {
			t.Fatalf("If-Match %q matched %s", header, tag)
		}
		if !ifMatch(tag, tag) || !ifMatch(header+", "+tag, tag) || !ifMatch(tag+" ,"+header, tag) {
			t.Fatalf("If-Match misses %s in a list with %q", tag, header)
		}
		if ifMatch("W/"+tag, tag) {
			t.Fatal("a weak tag satisfied If-Match")
		}
		if !noneMatch("W/"+tag, tag) || !noneMatch(header+","+tag, tag) {
			t.Fatalf("If-None-Match misses %s (weak comparison) with %q", tag, header)
		}
	})
}
