package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/internal/testenv"
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

// Every answer has one access-log line (JSON, log/slog) that carries the
// answer's request id; the API key never appears in the log.
func TestAccessLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var buf testenv.Buffer
		srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Limiter: unlimited}))
		t.Cleanup(srv.Close)
		l := &env{t: t, db: e.db, srv: srv}
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Logged"}`)

		type want struct {
			method, path, route string
			status              int
		}
		cases := []struct {
			r    req
			want want
		}{
			{req{Path: "/api/organizations", Key: key, Header: map[string]string{"X-Request-ID": "trace-1"}}, want{"GET", "/api/organizations", "/api/organizations", 200}},
			{req{Path: org["@id"].(string), Key: key}, want{"GET", org["@id"].(string), "/api/organizations/{id}", 200}},
			{req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":""}`}, want{"POST", "/api/organizations", "/api/organizations", 422}},
			{req{Path: "/api/me", Key: "og_live_" + strings.Repeat("0", 48)}, want{"GET", "/api/me", "/api/me", 401}},
			{req{Path: "/nowhere"}, want{"GET", "/nowhere", "", 404}},
			{req{Path: "/healthz"}, want{"GET", "/healthz", "/healthz", 200}},
		}
		for _, c := range cases {
			r := l.do(c.r)
			if r.Status != c.want.status {
				t.Fatalf("%s %s: %d, want %d", c.want.method, c.want.path, r.Status, c.want.status)
			}
			id := r.Header.Get("X-Request-Id")
			if c.r.Header["X-Request-ID"] != "" && id != c.r.Header["X-Request-ID"] {
				t.Errorf("X-Request-Id %q not echoed", id)
			}
			line := lineWith(t, &buf, id)
			for k, v := range map[string]any{"level": "INFO", "msg": "request", "method": c.want.method, "path": c.want.path, "route": c.want.route, "status": float64(c.want.status)} {
				if line[k] != v {
					t.Errorf("%s %s: log %s = %v, want %v\n%v", c.want.method, c.want.path, k, line[k], v, line)
				}
			}
			if b, ok := line["bytes"].(float64); !ok || int(b) != len(r.Body) {
				t.Errorf("%s %s: log bytes %v, body %d", c.want.method, c.want.path, line["bytes"], len(r.Body))
			}
			if _, ok := line["duration_ms"].(float64); !ok {
				t.Errorf("%s %s: no duration_ms in %v", c.want.method, c.want.path, line)
			}
			if doc := r.obj(); r.Status >= 400 && doc["request_id"] != id {
				t.Errorf("%s %s: problem request_id %v, header %q", c.want.method, c.want.path, doc["request_id"], id)
			}
		}
		if strings.Contains(buf.String(), key) || strings.Contains(buf.String(), "og_live_000") {
			t.Error("an API key was written to the log")
		}
	})
}

// lineWith is the one access-log line of a request id.
func lineWith(t *testing.T, l *testenv.Buffer, id string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", raw)
		}
		if line["request_id"] == id && line["msg"] == "request" {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d access-log lines with request_id %q, want 1:\n%s", len(found), id, l.String())
	}
	return found[0]
}

// Every PATCH and DELETE the registry declares honours If-Match (412 when
// stale, nothing changed) and --require-if-match (428): a class that gains
// a conditional write without a fixture here fails the test.
func TestIfMatchOnEveryConditionalWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Conditional")
		ada := o.keys["ada"]
		ws := e.do(req{Method: http.MethodPost, Path: "/api/workspaces", Key: ada, Body: `{"organization":"` + o.iri + `","name":"Tagged"}`})
		if ws.Status != http.StatusCreated {
			t.Fatalf("workspace: %d %s", ws.Status, ws.Body)
		}
		hook := e.do(req{Method: http.MethodPost, Path: "/api/webhook_endpoints", Key: ada, Body: `{"organization":"` + o.iri + `","url":"http://127.0.0.1:9/h","enabled_events":["*"]}`})
		if hook.Status != http.StatusCreated {
			t.Fatalf("webhook endpoint: %d %s", hook.Status, hook.Body)
		}
		custom := e.do(req{Method: http.MethodPost, Path: "/api/roles", Key: ada, Body: `{"organization":"` + o.iri + `","slug":"tagged","name":"Tagged"}`})
		if custom.Status != http.StatusCreated {
			t.Fatalf("role: %d %s", custom.Status, custom.Body)
		}
		claimed := e.do(req{Method: http.MethodPost, Path: "/api/domains", Key: ada, Body: `{"organization":"` + o.iri + `","domain":"tagged.test"}`})
		if claimed.Status != http.StatusCreated {
			t.Fatalf("domain: %d %s", claimed.Status, claimed.Body)
		}
		fixtures := map[string]struct{ iri, patch string }{
			"Domain":          {claimed.obj()["@id"].(string), `{"enrollment":"automatic_invitation"}`},
			"WebhookEndpoint": {hook.obj()["@id"].(string), `{"description":"Changed"}`},
			"Role":            {custom.obj()["@id"].(string), `{"name":"Changed"}`},
			"User":            {e.do(req{Path: "/api/me", Key: ada}).obj()["@id"].(string), `{"name":"Changed"}`},
			"Organization":    {o.iri, `{"name":"Changed"}`},
			"Member":          {o.members["vic"], `{"role":"developer"}`},
			"Workspace":       {ws.obj()["@id"].(string), `{"name":"Changed"}`},
		}
		strictSrv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, RequireIfMatch: true, Limiter: unlimited}))
		defer strictSrv.Close()
		strict := &env{t: t, db: e.db, srv: strictSrv}
		checked := 0
		for _, c := range hydra.API.Classes {
			if c.Resource == nil || (!c.Resource.Has(hydra.Patch) && !c.Resource.Has(hydra.Delete)) {
				continue
			}
			f, ok := fixtures[c.Name]
			if !ok {
				t.Errorf("%s has PATCH or DELETE but no fixture in this test", c.Name)
				continue
			}
			checked++
			for _, op := range []hydra.OpKind{hydra.Patch, hydra.Delete} {
				if !c.Resource.Has(op) {
					continue
				}
				body := ""
				if op == hydra.Patch {
					body = f.patch
				}
				before := e.do(req{Path: f.iri, Key: ada}).Body
				r := e.do(req{Method: op.Method(), Path: f.iri, Key: ada, Body: body, Header: map[string]string{"If-Match": `"stale"`}})
				if r.Status != http.StatusPreconditionFailed {
					t.Errorf("%s %s with a stale If-Match: %d %s", op.Method(), c.Name, r.Status, r.Body)
				}
				if r := strict.do(req{Method: op.Method(), Path: f.iri, Key: ada, Body: body}); r.Status != http.StatusPreconditionRequired {
					t.Errorf("%s %s without If-Match on a strict server: %d %s", op.Method(), c.Name, r.Status, r.Body)
				}
				if after := e.do(req{Path: f.iri, Key: ada}).Body; string(after) != string(before) {
					t.Errorf("%s %s: a refused conditional write changed the resource", op.Method(), c.Name)
				}
			}
		}
		if checked != len(fixtures) {
			t.Errorf("%d classes checked, %d fixtures", checked, len(fixtures))
		}
	})
}
