package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
