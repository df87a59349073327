package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/store"
)

// Orgraph-Version: optional, date-stamped; the resolved version is on every
// answer; unknown or malformed is a 400 naming the supported versions; a
// key may be pinned to one.
func TestOrgraphVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		latest := store.LatestVersion()
		for _, c := range []struct {
			name, header string
			key          string
			status       int
			detail       string
		}{
			{"none", "", key, 200, ""},
			{"latest", latest, key, 200, ""},
			{"padded", " " + latest + " ", key, 200, ""},
			{"public document", latest, "", 200, ""},
			{"unknown date", "2020-02-02", key, 400, "Orgraph-Version 2020-02-02 is not supported. Supported versions: " + strings.Join(store.Versions, ", ") + "."},
			{"not a date", "v2", key, 400, `The Orgraph-Version header must be a date (YYYY-MM-DD), "v2" given. Supported versions: ` + strings.Join(store.Versions, ", ") + "."},
			{"impossible date", "2026-13-45", key, 400, `The Orgraph-Version header must be a date (YYYY-MM-DD), "2026-13-45" given. Supported versions: ` + strings.Join(store.Versions, ", ") + "."},
			{"unauthenticated", latest, "og_live_nope", 401, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				path := "/api/organizations"
				if c.key == "" {
					path = "/api"
				}
				r := e.do(req{Path: path, Key: c.key, Header: map[string]string{"Orgraph-Version": c.header}})
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
				}
				if got := r.Header.Get("Orgraph-Version"); got != latest {
					t.Errorf("Orgraph-Version %q, want %q", got, latest)
				}
				if c.detail != "" {
					if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
						t.Errorf("Content-Type %q", ct)
					}
					if got := r.obj()["detail"]; got != c.detail {
						t.Errorf("detail %q, want %q", got, c.detail)
					}
				}
			})
		}

		t.Run("pinned key", func(t *testing.T) {
			pinned, err := e.db.CreateKey(context.Background(), store.NewKey{Email: "bob@example.com", Version: store.Versions[0]})
			if err != nil {
				t.Fatal(err)
			}
			r := e.do(req{Path: "/api/me", Key: pinned})
			if r.Status != 200 || r.Header.Get("Orgraph-Version") != store.Versions[0] {
				t.Errorf("pinned key: %d, Orgraph-Version %q", r.Status, r.Header.Get("Orgraph-Version"))
			}
			if _, err := e.db.CreateKey(context.Background(), store.NewKey{Email: "bob@example.com", Version: "1999-01-01"}); err == nil {
				t.Error("a key was pinned to an unknown version")
			}
		})
	})
}

// /healthz, /readyz and /metrics need no key; /readyz follows the database.
func TestOperationsEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		e.do(req{Path: "/api/organizations", Key: key})
		e.do(req{Path: "/api/organizations/00000000-0000-0000-0000-000000000000", Key: key})

		for path, body := range map[string]string{"/healthz": `{"status":"ok"}`, "/readyz": `{"status":"ready"}`} {
			r := e.do(req{Path: path})
			if r.Status != http.StatusOK || string(r.Body) != body {
				t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
			}
		}
		m := e.do(req{Path: "/metrics"})
		if m.Status != http.StatusOK {
			t.Fatalf("GET /metrics: %d", m.Status)
		}
		for _, line := range []string{
			`orgraph_http_requests_total{method="GET",route="/api/organizations",status="200"} 1`,
			`orgraph_http_requests_total{method="GET",route="/api/organizations/{id}",status="404"} 1`,
			`orgraph_http_request_duration_seconds_count{method="GET",route="/healthz"} 1`,
		} {
			if !strings.Contains(string(m.Body), line+"\n") {
				t.Errorf("/metrics lacks %s", line)
			}
		}
		if strings.Contains(string(m.Body), "00000000-0000") {
			t.Error("/metrics labels hold a raw path")
		}

		e.db.Close() // the database goes away: not ready, still healthy
		r := e.do(req{Path: "/readyz"})
		if r.Status != http.StatusServiceUnavailable || r.obj()["detail"] != "The database is not reachable." || r.Header.Get("Retry-After") == "" {
			t.Errorf("/readyz without a database: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: "/healthz"}); r.Status != http.StatusOK {
			t.Errorf("/healthz without a database: %d", r.Status)
		}
	})
}

// Conditional writes: If-Match names the version read (its ETag); a stale
// one is a 412 and changes nothing; of concurrent writers holding the same
// tag exactly one wins; --require-if-match makes the header mandatory (428).
func TestIfMatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme"}`)
		path := org["@id"].(string)
		read := func() string {
			t.Helper()
			r := e.do(req{Path: path, Key: key})
			if r.Status != http.StatusOK || r.Header.Get("ETag") == "" {
				t.Fatalf("GET %s: %d, ETag %q", path, r.Status, r.Header.Get("ETag"))
			}
			return r.Header.Get("ETag")
		}
		tag := read()

		ok := e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: `{"name":"Acme 2"}`, Header: map[string]string{"If-Match": tag}})
		if ok.Status != http.StatusOK {
			t.Fatalf("PATCH with the current tag: %d %s", ok.Status, ok.Body)
		}
		newTag := ok.Header.Get("ETag")
		if newTag == "" || newTag == tag || newTag != read() {
			t.Errorf("PATCH answer ETag %q: want the new version's tag (old %q)", newTag, tag)
		}
		for name, header := range map[string]string{"stale": tag, "weak": "W/" + newTag, "other": `"nope"`} {
			before := e.do(req{Path: path, Key: key}).Body
			r := e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: `{"name":"Lost"}`, Header: map[string]string{"If-Match": header}})
			if r.Status != http.StatusPreconditionFailed || r.obj()["detail"] != "The resource has changed since the version named by If-Match: read it again and retry." {
				t.Errorf("PATCH with a %s tag: %d %s", name, r.Status, r.Body)
			}
			if after := e.do(req{Path: path, Key: key}).Body; string(after) != string(before) {
				t.Errorf("a 412 PATCH changed the organization:\n%s\n%s", before, after)
			}
		}
		if r := e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: `{"phone_number":"+1 555"}`, Header: map[string]string{"If-Match": `"x", ` + newTag}}); r.Status != http.StatusOK {
			t.Errorf("PATCH with a list holding the current tag: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Method: http.MethodDelete, Path: path, Key: key, Header: map[string]string{"If-Match": tag}}); r.Status != http.StatusPreconditionFailed {
			t.Errorf("DELETE with a stale tag: %d %s", r.Status, r.Body)
		}

		t.Run("concurrent writers, one tag", func(t *testing.T) {
			current := read()
			const writers = 8
			statuses := make(chan int, writers)
			start := make(chan struct{})
			for i := range writers {
				go func() {
					<-start
					hr, _ := http.NewRequest(http.MethodPatch, e.srv.URL+path, strings.NewReader(`{"name":"Writer `+string(rune('A'+i))+`"}`))
					hr.Header.Set("Authorization", "Bearer "+key)
					hr.Header.Set("Content-Type", "application/merge-patch+json")
					hr.Header.Set("If-Match", current)
					res, err := http.DefaultClient.Do(hr)
					if err != nil {
						statuses <- 0
						return
					}
					res.Body.Close()
					statuses <- res.StatusCode
				}()
			}
			close(start)
			count := map[int]int{}
			for range writers {
				count[<-statuses]++
			}
			if count[http.StatusOK] != 1 || count[http.StatusPreconditionFailed] != writers-1 {
				t.Errorf("statuses %v: want one 200 and %d × 412", count, writers-1)
			}
		})

		t.Run("required", func(t *testing.T) {
			strict := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, RequireIfMatch: true}))
			defer strict.Close()
			s := &env{t: t, db: e.db, srv: strict}
			for _, method := range []string{http.MethodPatch, http.MethodDelete} {
				body := ""
				if method == http.MethodPatch {
					body = `{"name":"No tag"}`
				}
				r := s.do(req{Method: method, Path: path, Key: key, Body: body})
				if r.Status != http.StatusPreconditionRequired {
					t.Errorf("%s without If-Match: %d %s", method, r.Status, r.Body)
				}
			}
			if r := s.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: `{"name":"Tagged"}`, Header: map[string]string{"If-Match": read()}}); r.Status != http.StatusOK {
				t.Errorf("PATCH with If-Match on a strict server: %d %s", r.Status, r.Body)
			}
		})
	})
}
