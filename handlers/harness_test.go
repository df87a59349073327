package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/sealed"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/ratelimit"
	"github.com/orgraph/orgraph/store"
)

// One suite, two backends: every test that calls eachBackend runs against a
// real SQLite file and, when ORGRAPH_TEST_POSTGRES_URL is set, against a
// fresh schema of the real PostgreSQL.

type env struct {
	t   testing.TB
	db  *store.DB
	srv *httptest.Server
	// check, when set, sees every exchange of do (openapi_test.go
	// validates each against the OpenAPI document).
	check func(r *http.Request, body string, res *response)
}

// The package's slowest tests (TestOpenAPIDescribesTheAnswers,
// TestPermissionMatrix, TestRDFRepresentations, TestRDFIsomorphicWithRDFLib,
// TestNegotiation: minutes under the race detector) call t.Parallel. Go
// runs them after every other test of the package, two at a time on two
// cores, instead of one after another while the second core idles: the
// package is the longest part of CI. Each has its own server, SQLite file
// and PostgreSQL schema and touches nothing process-wide (no clock, no
// environment variable, no default logger); a test that does must not be
// made parallel. The browser tests stay sequential: their waits are timed.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := postgresDSN(t)
		fn(t, newEnv(t, dsn))
	})
}

func postgresDSN(t *testing.T) string { return testenv.PostgresDSN(t, "orgraph_test") }

const testCacheBytes = 8 << 20

func newEnv(t testing.TB, dsn string) *env {
	t.Helper()
	e, _ := newEnvWith(t, dsn, nil)
	return e
}

// newEnvWith is newEnv with a change of the server's configuration
// (configure may be nil); it returns the server too, for what tests call
// on it directly (the periodic jobs).
func newEnvWith(t testing.TB, dsn string, configure func(*handlers.Config)) (*env, *handlers.Server) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenWith(ctx, dsn, store.Options{CheckChanges: true, CheckConnections: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	// The document cache is on, as `orgraph serve` has it: every test that
	// reads after a write also checks that the write reached it.
	// Webhooks may go to loopback (the tests' receivers), and their
	// secrets are sealed with a test key.
	cfg := handlers.Config{DB: db, Logger: log, Limiter: unlimited, CacheBytes: testCacheBytes,
		SecretsKey: testSecretsKey, WebhooksAllowPrivate: true}
	if configure != nil {
		configure(&cfg)
	}
	h := handlers.New(cfg)
	srv := httptest.NewServer(h)
	// Live streams never end on their own: end them first, or Close waits
	// for their clients (a browser still showing a list) to hang up.
	t.Cleanup(func() { h.StopStreams(); srv.Close() })
	return &env{t: t, db: db, srv: srv}, h
}

// testSecretsKey seals the tests' webhook secrets.
var testSecretsKey = func() sealed.Key {
	k, err := sealed.ParseKey("dGVzdCBrZXkgZm9yIHdlYmhvb2sgc2VjcmV0cyAzMiE=")
	if err != nil {
		panic(err)
	}
	return k
}()

// unlimited meters requests (every answer carries the headers) with a quota
// no test reaches; ratelimit_test.go tests the limits with a fake clock.
var unlimited = ratelimit.NewMemory(ratelimit.Policy{Name: "default", Quota: 1 << 30, Window: time.Minute}, nil)

// key creates an API key for a user (created on first use).
func (e *env) key(email, mode, scope string) string {
	e.t.Helper()
	k, err := e.db.CreateKey(context.Background(), store.NewKey{Email: email, Name: strings.Split(email, "@")[0], Mode: mode, Scope: scope})
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// response is an answer with its body decoded when it is JSON.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   any
	// Requested is the request target sent (path and query): what a
	// collection's view names as itself.
	Requested string
}

// obj is the body as a JSON object.
func (r *response) obj() map[string]any {
	m, _ := r.JSON.(map[string]any)
	return m
}

// req describes a request; Key is sent as a bearer token.
type req struct {
	Method, Path, Key, Body string
	Header                  map[string]string
}

func (e *env) do(rq req) *response {
	e.t.Helper()
	if rq.Method == "" {
		rq.Method = http.MethodGet
	}
	var body io.Reader
	if rq.Body != "" {
		body = strings.NewReader(rq.Body)
	}
	hr, err := http.NewRequest(rq.Method, e.srv.URL+rq.Path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if rq.Key != "" {
		hr.Header.Set("Authorization", "Bearer "+rq.Key)
	}
	if rq.Body != "" {
		switch rq.Method {
		case http.MethodPatch:
			hr.Header.Set("Content-Type", "application/merge-patch+json")
		default:
			hr.Header.Set("Content-Type", "application/ld+json")
		}
	}
	for k, v := range rq.Header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", rq.Method, rq.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := &response{Status: res.StatusCode, Header: res.Header, Body: b, Requested: hr.URL.RequestURI()}
	if len(bytes.TrimSpace(b)) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(b, &out.JSON); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %v\n%s", rq.Method, rq.Path, err, b)
		}
	}
	if e.check != nil {
		e.check(hr, rq.Body, out)
	}
	return out
}

// createOrg creates an organization and returns its document.
func (e *env) createOrg(key, body string) map[string]any {
	e.t.Helper()
	r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create organization: %d %s", r.Status, r.Body)
	}
	return r.obj()
}

// docsLink is the Link header every answer must carry.
func (e *env) docsLink() string {
	return "<" + e.srv.URL + `/api/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"`
}

// mustJSON parses a JSON literal written in a test.
func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON in test: %v\n%s", err, s)
	}
	return v
}

// jsonDiff lists the differences between two decoded JSON values, one line
// per difference, with the JSON pointer where it occurs. Tests compare whole
// documents with it.
func jsonDiff(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", orRoot(path), jsonShort(got))}
		}
		var out []string
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			gv, inGot := g[k]
			wv, inWant := w[k]
			switch {
			case !inGot:
				out = append(out, fmt.Sprintf("%s/%s: missing, want %s", path, k, jsonShort(wv)))
			case !inWant:
				out = append(out, fmt.Sprintf("%s/%s: unexpected %s", path, k, jsonShort(gv)))
			default:
				out = append(out, jsonDiff(path+"/"+k, gv, wv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an array", orRoot(path), jsonShort(got))}
		}
		var out []string
		for i := 0; i < len(g) || i < len(w); i++ {
			p := fmt.Sprintf("%s/%d", path, i)
			switch {
			case i >= len(g):
				out = append(out, fmt.Sprintf("%s: missing, want %s", p, jsonShort(w[i])))
			case i >= len(w):
				out = append(out, fmt.Sprintf("%s: unexpected %s", p, jsonShort(g[i])))
			default:
				out = append(out, jsonDiff(p, g[i], w[i])...)
			}
		}
		return out
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s: got %s, want %s", orRoot(path), jsonShort(got), jsonShort(want))}
	}
	return nil
}

func jsonShort(v any) string {
	s := ldMarshal(v)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func orRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// viewAsRequested sets the expected view's @id to the request target r
// was the answer to: a collection page names itself as it was fetched
// (hydra.Collection.View), whatever the canonical spelling of its
// neighbours' links.
func viewAsRequested(r *response, view map[string]any) map[string]any {
	if view != nil {
		view["@id"] = r.Requested
	}
	return view
}
