package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/ratelimit"
)

// limitedEnv is e's database behind a server with the given limiter.
func limitedEnv(t *testing.T, e *env, l ratelimit.Limiter) *env {
	t.Helper()
	srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: l}))
	t.Cleanup(srv.Close)
	return &env{t: t, db: e.db, srv: srv}
}

// Rate limits: a token bucket per API key (3 requests, one more a second
// here), per client address without a key; RateLimit-Policy and RateLimit
// (draft-ietf-httpapi-ratelimit-headers-10) on every metered answer; 429
// with Retry-After when empty.
func TestRateLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		clock := testenv.NewClock()
		policy := ratelimit.Policy{Name: "default", Quota: 3, Window: 3 * time.Second}
		l := limitedEnv(t, e, ratelimit.NewMemory(policy, clock.Now))
		ada := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")

		expect := func(r *response, status int, rateLimit string) {
			t.Helper()
			if r.Status != status {
				t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
			}
			if got := r.Header.Get("RateLimit-Policy"); got != `"default";q=3;w=3` {
				t.Errorf("RateLimit-Policy %q", got)
			}
			if got := r.Header.Get("RateLimit"); got != rateLimit {
				t.Errorf("RateLimit %q, want %q", got, rateLimit)
			}
		}
		expect(l.do(req{Path: "/api/organizations", Key: ada}), 200, `"default";r=2;t=1`)
		expect(l.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Acme"}`}), 201, `"default";r=1;t=2`)
		expect(l.do(req{Path: "/api/me", Key: ada}), 200, `"default";r=0;t=3`)

		// Empty: a whole problem document, Retry-After, nothing written.
		r := l.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Too many"}`})
		expect(r, http.StatusTooManyRequests, `"default";r=0;t=3`)
		if got := r.Header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After %q, want 1", got)
		}
		detail := "Too many requests: the limit is 3 requests per 3 s for each API key. Retry in 1 s."
		want := mustJSON(t, `{"@context":"/api/contexts/Error","@id":"/api/errors/429","@type":["Error","hydra:Error"],
			"title":"Rate limit exceeded","detail":"`+detail+`","status":429,"type":"/errors/429",
			"description":"`+detail+`","request_id":"`+r.Header.Get("X-Request-Id")+`"}`)
		for _, d := range jsonDiff("", r.JSON, want) {
			t.Error(d)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("Content-Type %q", ct)
		}
		if n := len(e.do(req{Path: "/api/organizations?name=Too%20many", Key: ada}).obj()["member"].([]any)); n != 0 {
			t.Errorf("a refused POST wrote %d organizations", n)
		}

		// Another key has its own bucket; so do callers without a key.
		expect(l.do(req{Path: "/api/me", Key: bob}), 200, `"default";r=2;t=1`)
		expect(l.do(req{Path: "/api"}), 200, `"default";r=2;t=1`)
		// A bad key is charged to the address, not to the key it names.
		expect(l.do(req{Path: "/api/me", Key: "og_live_nope"}), 401, `"default";r=1;t=2`)
		expect(l.do(req{Path: "/api/docs.jsonld"}), 200, `"default";r=0;t=3`)
		r = l.do(req{Path: "/api/contexts/Organization"})
		expect(r, 429, `"default";r=0;t=3`)
		if got := r.obj()["detail"]; got != "Too many requests: the limit is 3 requests per 3 s for each client address without an API key. Retry in 1 s." {
			t.Errorf("detail %q", got)
		}

		// Operations endpoints are never limited.
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			r := l.do(req{Path: p})
			if r.Status != 200 || r.Header.Get("RateLimit") != "" || r.Header.Get("RateLimit-Policy") != "" {
				t.Errorf("%s: %d, RateLimit %q", p, r.Status, r.Header.Get("RateLimit"))
			}
		}

		// Half a token is not enough; a whole one is.
		clock.Advance(500 * time.Millisecond)
		expect(l.do(req{Path: "/api/me", Key: ada}), 429, `"default";r=0;t=3`)
		clock.Advance(500 * time.Millisecond)
		expect(l.do(req{Path: "/api/me", Key: ada}), 200, `"default";r=0;t=3`)
		clock.Advance(time.Hour)
		expect(l.do(req{Path: "/api/me", Key: ada}), 200, `"default";r=2;t=1`)

		// A replayed answer carries the current rate-limit state, not the kept one.
		clock.Advance(time.Hour)
		idem := map[string]string{"Idempotency-Key": "rl-1"}
		expect(l.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: bob, Body: `{"name":"Once"}`, Header: idem}), 201, `"default";r=2;t=1`)
		r = l.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: bob, Body: `{"name":"Once"}`, Header: idem})
		expect(r, 201, `"default";r=1;t=2`)
		if r.Header.Get("Idempotent-Replayed") != "true" {
			t.Error("the retry was not a replay")
		}
	})
}

// With the limiter unreachable (Redis down), requests go through: the policy
// is stated, the state is not.
func TestRateLimitFailsOpen(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		client, err := ratelimit.OpenRedis(context.Background(), redisURL(t))
		if err != nil {
			t.Fatal(err)
		}
		limiter := ratelimit.NewRedis(ratelimit.Policy{Name: "default", Quota: 1, Window: time.Hour}, client, "orgraph-test:failopen:", nil)
		client.Close() // every Take now fails
		l := limitedEnv(t, e, limiter)
		key := e.key("ada@example.com", "live", "write")
		for range 3 {
			r := l.do(req{Path: "/api/me", Key: key})
			if r.Status != 200 || r.Header.Get("RateLimit-Policy") != `"default";q=1;w=3600` || r.Header.Get("RateLimit") != "" {
				t.Fatalf("%d, RateLimit-Policy %q, RateLimit %q", r.Status, r.Header.Get("RateLimit-Policy"), r.Header.Get("RateLimit"))
			}
		}
	})
}

// Two servers (replicas) sharing one Redis share each key's bucket.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		url := redisURL(t)
		prefix := "orgraph-test:" + strings.ReplaceAll(t.Name(), "/", "-") + ":" + time.Now().Format("150405.000000") + ":"
		policy := ratelimit.Policy{Name: "default", Quota: 4, Window: time.Hour}
		var replicas []*env
		for range 2 {
			client, err := ratelimit.OpenRedis(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { client.Close() })
			replicas = append(replicas, limitedEnv(t, e, ratelimit.NewRedis(policy, client, prefix, nil)))
		}
		key := e.key("ada@example.com", "live", "write")
		var got []string
		for i := range 6 {
			r := replicas[i%2].do(req{Path: "/api/me", Key: key})
			got = append(got, r.Header.Get("RateLimit"))
			if want := map[bool]int{true: 200, false: 429}[i < 4]; r.Status != want {
				t.Errorf("request %d on replica %d: %d, want %d", i, i%2, r.Status, want)
			}
		}
		want := []string{`"default";r=3;t=900`, `"default";r=2;t=1800`, `"default";r=1;t=2700`, `"default";r=0;t=3600`, `"default";r=0;t=3600`, `"default";r=0;t=3600`}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("RateLimit across replicas:\n got %v\nwant %v", got, want)
		}
	})
}

func redisURL(t *testing.T) string { return testenv.RedisURL(t) }
