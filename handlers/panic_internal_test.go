package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/internal/testenv"
)

// TestPanicBecomesProblem: a handler that panics before answering gives the
// client a 500 problem document that reveals nothing, not a dropped
// connection; the panic itself goes to the log with the request id.
func TestErrorsPanicBecomesProblem(t *testing.T) {
	db := migratedDB(t)
	logs := &testenv.Buffer{}
	s := New(Config{DB: db, Logger: slog.New(slog.NewJSONHandler(logs, nil))})

	const secret = "pq: password authentication failed for user hunter2"
	h := s.common(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Headers of a half-built success answer must not survive.
		w.Header().Set("Content-Type", "application/ld+json; charset=utf-8")
		w.Header().Set("Location", "/api/organizations/half-made")
		w.Header().Set("ETag", `"half-made"`)
		panic(secret)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	cases := []struct {
		name, accept string
		want         map[string]any
	}{
		{"JSON-LD", "", map[string]any{
			"@context":    "/api/contexts/Error",
			"@id":         "/api/errors/500",
			"@type":       []any{"Error", "hydra:Error"},
			"title":       "Internal server error",
			"detail":      "Internal Server Error",
			"status":      float64(500),
			"type":        "/errors/500",
			"description": "Internal Server Error",
		}},
		{"problem+json", "application/problem+json", map[string]any{
			"title":  "Internal server error",
			"detail": "Internal Server Error",
			"status": float64(500),
			"type":   "/errors/500",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rq, err := http.NewRequest(http.MethodPost, srv.URL+"/api/organizations", strings.NewReader(`{"name":"Acme"}`))
			if err != nil {
				t.Fatal(err)
			}
			rq.Header.Set("Content-Type", "application/ld+json")
			rq.Header.Set("X-Request-ID", "panic-"+strings.ReplaceAll(c.name, "+", "-"))
			if c.accept != "" {
				rq.Header.Set("Accept", c.accept)
			}
			res, err := http.DefaultClient.Do(rq)
			if err != nil {
				t.Fatalf("the connection was dropped: %v", err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			for _, h := range []string{"Location", "ETag"} {
				if v := res.Header.Get(h); v != "" {
					t.Errorf("%s = %q leaked from the failed handler", h, v)
				}
			}
			id := res.Header.Get("X-Request-Id")
			if id != rq.Header.Get("X-Request-ID") {
				t.Errorf("X-Request-Id = %q, want %q", id, rq.Header.Get("X-Request-ID"))
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if link := res.Header.Get("Link"); !strings.Contains(link, "<"+srv.URL+"/api/docs.jsonld>") {
				t.Errorf("Link = %q", link)
			}
			if bytes.Contains(body, []byte("hunter2")) || bytes.Contains(body, []byte("goroutine")) {
				t.Errorf("the body leaks internals: %s", body)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, body)
			}
			if got["request_id"] != id {
				t.Errorf("request_id = %v, want %q", got["request_id"], id)
			}
			delete(got, "request_id")
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("problem document:\n got %v\nwant %v", got, c.want)
			}
			// The log keeps what the client must not see.
			if l := logs.String(); !strings.Contains(l, "hunter2") || !strings.Contains(l, id) {
				t.Errorf("the panic is not logged with its request id:\n%s", l)
			}
		})
	}

	t.Run("HEAD", func(t *testing.T) {
		res, err := http.Head(srv.URL + "/api/organizations")
		if err != nil {
			t.Fatalf("the connection was dropped: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", res.StatusCode)
		}
	})

	// A panic after the answer started cannot become a problem document; the
	// status already sent stands, and the server goes on serving.
	t.Run("after the answer started", func(t *testing.T) {
		late := httptest.NewServer(s.common(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"partial":`))
			panic(secret)
		})))
		t.Cleanup(late.Close)
		res, err := http.Get(late.URL + "/api/organizations")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || bytes.Contains(b, []byte("hunter2")) {
				t.Errorf("status = %d, body %s", res.StatusCode, b)
			}
		}
		if res, err := http.Head(srv.URL + "/"); err != nil || res.StatusCode != http.StatusInternalServerError {
			t.Errorf("the server stopped serving: %v", err)
		}
	})
}

// TestRequestIDPattern documents what counts as a sane client request id.
func TestErrorsRequestIDPattern(t *testing.T) {
	minted := regexp.MustCompile(`^req_[0-9a-f]{24}$`)
	for i := 0; i < 10; i++ {
		if id := newRequestID(); !minted.MatchString(id) || !saneRequestID.MatchString(id) {
			t.Fatalf("minted id %q", id)
		}
	}
}
