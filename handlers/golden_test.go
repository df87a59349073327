package handlers_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Golden documents: the derived documents (docs, contexts, entrypoint) and
// one of each resource and problem shape, compared as JSON values with the
// files under testdata/golden. `go test ./handlers -run TestGolden -update`
// rewrites the files; review the diff before committing it.

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const goldenBase = "http://orgraph.test"

var (
	// Orgraph's ids are UUIDv7; Symfony constraint codes (v4) in problem
	// documents are stable and kept as they are.
	goldenUUIDv7 = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
	goldenTime   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
)

// goldenNormalizer replaces the values that change from run to run.
type goldenNormalizer struct {
	base  string
	uuids map[string]string
}

func (n *goldenNormalizer) string(s string) string {
	s = strings.ReplaceAll(s, n.base, goldenBase)
	s = goldenUUIDv7.ReplaceAllStringFunc(s, func(u string) string {
		if p, ok := n.uuids[u]; ok {
			return p
		}
		p := fmt.Sprintf("00000000-0000-0000-0000-%012d", len(n.uuids)+1)
		n.uuids[u] = p
		return p
	})
	return goldenTime.ReplaceAllString(s, "2026-01-01T00:00:00+00:00")
}

// value walks a decoded document in a fixed order (keys sorted), so that
// placeholders are numbered in the same order on every run.
func (n *goldenNormalizer) value(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range ldSortedKeys(v) {
			if k == "request_id" {
				out[k] = "req_x"
				continue
			}
			out[n.string(k)] = n.value(v[k])
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = n.value(e)
		}
		return out
	case string:
		return n.string(v)
	}
	return v
}

func normalizeDocument(base string, doc any) any {
	return (&goldenNormalizer{base: base, uuids: map[string]string{}}).value(doc)
}

// checkGolden compares a received document with testdata/golden/<name>.json
// (or rewrites the file with -update).
func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name+".json")
	if *update {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // query strings in view IRIs stay readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden file %s: run go test ./handlers -run TestGolden -update, then review it", file)
	}
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s is not JSON: %v", file, err)
	}
	if diff := jsonDiff("", got, want); len(diff) > 0 {
		if len(diff) > 40 {
			diff = append(diff[:40], fmt.Sprintf("… and %d more", len(diff)-40))
		}
		t.Errorf("%s differs from %s (rerun with -update if the change is intended):\n%s\ngot (normalized):\n%s",
			name, file, strings.Join(diff, "\n"), ldPretty(got))
	}
}

// TestGolden runs on SQLite only: the documents do not depend on the
// backend (TestJSONLDExpansion and the other suites cover both), and one
// golden file needs one source.
func TestGolden(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"Acme","phone_number":"+1 555 0100",
		"contact":{"email":"ada@acme.test","first_name":"Ada","last_name":"Lovelace"},
		"address":{"street_address":"1 Main St","city":"Springfield","state":"IL","zip_code":"62701","country":"US"}}`)
	for _, n := range []string{"Zeta Widgets 1", "Zeta Widgets 2", "Zeta Widgets 3"} {
		e.createOrg(key, `{"name":"`+n+`"}`)
	}
	orgID, _ := org["@id"].(string)

	cases := []struct {
		name         string
		method, path string
		body         string
		key          string
		status       int
	}{
		{name: "docs", path: "/api/docs.jsonld", status: http.StatusOK},
		{name: "context_organization", path: "/api/contexts/Organization", status: http.StatusOK},
		{name: "context_entrypoint", path: "/api/contexts/Entrypoint", status: http.StatusOK},
		{name: "context_error", path: "/api/contexts/Error", status: http.StatusOK},
		{name: "context_constraint_violation", path: "/api/contexts/ConstraintViolation", status: http.StatusOK},
		{name: "entrypoint", path: "/api", status: http.StatusOK},
		{name: "organization", path: orgID, key: key, status: http.StatusOK},
		{name: "collection", path: "/api/organizations?itemsPerPage=1&page=2&name=zeta", key: key, status: http.StatusOK},
		{name: "problem_404", path: "/api/organizations/01900000-0000-7000-8000-000000000000", key: key, status: http.StatusNotFound},
		{name: "problem_422", method: http.MethodPost, path: "/api/organizations", key: key, status: http.StatusUnprocessableEntity,
			body: `{"name":"  ","phone_number":"call me","contact":{"email":"not an email"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{Method: tc.method, Path: tc.path, Key: tc.key, Body: tc.body})
			if r.Status != tc.status {
				t.Fatalf("%s %s: %d, want %d\n%s", ldOr(tc.method, "GET"), tc.path, r.Status, tc.status, r.Body)
			}
			if r.JSON == nil {
				t.Fatalf("%s: no JSON body (Content-Type %q)", tc.path, r.Header.Get("Content-Type"))
			}
			checkGolden(t, tc.name, normalizeDocument(e.srv.URL, r.JSON))
		})
	}
}

// TestGoldenNormalizer pins the normalization itself: placeholders are
// numbered by first appearance, constraint codes survive, and the server
// URL, timestamps and request ids are replaced.
func TestGoldenNormalizer(t *testing.T) {
	in := mustJSON(t, `{
		"@id": "/api/organizations/01a2098f-9c38-7119-af38-0e5510602fa5",
		"a": "http://127.0.0.1:1234/api/docs.jsonld#",
		"b": ["/api/users/01a2098f-9c36-7e1f-8808-4330c282d3a8", "/api/organizations/01a2098f-9c38-7119-af38-0e5510602fa5"],
		"code": "c1051bb4-d103-4f74-8988-acbcafc7fdc3",
		"created_at": "2026-11-23T17:58:56+00:00",
		"request_id": "req_0123456789abcdef01234567"
	}`)
	want := mustJSON(t, `{
		"@id": "/api/organizations/00000000-0000-0000-0000-000000000001",
		"a": "http://orgraph.test/api/docs.jsonld#",
		"b": ["/api/users/00000000-0000-0000-0000-000000000002", "/api/organizations/00000000-0000-0000-0000-000000000001"],
		"code": "c1051bb4-d103-4f74-8988-acbcafc7fdc3",
		"created_at": "2026-01-01T00:00:00+00:00",
		"request_id": "req_x"
	}`)
	got := normalizeDocument("http://127.0.0.1:1234", in)
	if diff := jsonDiff("", got, want); len(diff) > 0 {
		t.Errorf("normalization:\n%s", strings.Join(diff, "\n"))
	}
}
