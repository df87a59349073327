package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		// Preflights are answered on every path, without a key, before routing.
		for _, path := range []string{"/api", "/api/organizations", "/api/organizations/01a2098b-d1ab-7c6c-b394-9af820bd503f", "/api/contexts/Organization", "/api/nope"} {
			r := e.do(req{Method: http.MethodOptions, Path: path, Header: map[string]string{
				"Origin":                         "http://admin.example",
				"Access-Control-Request-Method":  "PATCH",
				"Access-Control-Request-Headers": "authorization,content-type",
			}})
			if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Content-Type") ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "PATCH") || len(r.Body) != 0 {
				t.Errorf("preflight %s: %d %v", path, r.Status, r.Header)
			}
		}
		// Actual requests, errors included, expose the headers clients read.
		for _, rq := range []req{
			{Path: "/api"},
			{Path: "/api/contexts/Organization"},
			{Path: "/api/organizations", Key: key},
			{Path: "/api/organizations"}, // 401
			{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"Acme"}`},
		} {
			rq.Header = map[string]string{"Origin": "http://admin.example"}
			r := e.do(rq)
			expose := r.Header.Get("Access-Control-Expose-Headers")
			if r.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%s %s: no Access-Control-Allow-Origin", rq.Method, rq.Path)
			}
			for _, h := range []string{"Link", "Location", "ETag", "X-Request-ID", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy", "Retry-After", "X-Total-Count"} {
				if !strings.Contains(expose, h) {
					t.Errorf("%s %s: %s not exposed (%q)", rq.Method, rq.Path, h, expose)
				}
			}
		}
		// Without Origin there is no CORS noise.
		if r := e.do(req{Path: "/api"}); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Error("CORS headers without an Origin")
		}
		// A plain OPTIONS (no preflight) still lists the methods.
		if r := e.do(req{Method: http.MethodOptions, Path: "/api/organizations"}); r.Status != http.StatusNoContent || r.Header.Get("Allow") != "OPTIONS, HEAD, GET, POST" {
			t.Errorf("OPTIONS: %d Allow=%q", r.Status, r.Header.Get("Allow"))
		}
	})
}
