package handlers_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// GET and HEAD / redirect to the entrypoint with 302 Found, a browser
// included (it gets the explorer at /api, not at /); following the
// redirect reaches the entrypoint document. The root is not a resource:
// other methods are a 405.
func TestRootRedirectsToTheEntrypoint(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, c := range []struct{ method, accept string }{
		{http.MethodGet, ""}, {http.MethodHead, ""}, {http.MethodGet, "application/ld+json"}, {http.MethodGet, browser}, {http.MethodHead, browser},
	} {
		req, err := http.NewRequest(c.method, e.srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", c.accept)
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/api" {
			t.Errorf("%s / (Accept %q): %d, Location %q; want 302 to /api", c.method, c.accept, res.StatusCode, res.Header.Get("Location"))
		}
	}

	r := e.do(req{Path: "/"}) // http.DefaultClient follows the redirect
	if r.Status != http.StatusOK || r.obj()["@id"] != "/api" {
		t.Errorf("GET / followed: %d %s", r.Status, r.Body)
	}
	r = e.do(req{Path: "/", Header: map[string]string{"Accept": browser}})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/_explorer/explorer.js") {
		t.Errorf("GET / in a browser, followed: %d, want the explorer page", r.Status)
	}
	if r := e.do(req{Method: http.MethodPost, Path: "/", Body: "{}"}); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", r.Status)
	}
}
