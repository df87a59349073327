package handlers_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Paths that are not in their clean form name nothing: a 404 for every
// method (no 301 to another path, which a client may follow with another
// method), and never the explorer page, whose script fetches its own URL
// with the API key (//evil.test/x is another host's URL).
func TestUncleanPathsAreNotFound(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	for _, path := range []string{
		"//evil.test/x", "/api/..//evil.test/x", "/api/organizations/%2F", "/api/organizations%2Fx",
		"//api/organizations", "/api//organizations", "/api/./organizations", "/api/organizations/../organizations",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			h := map[string]string{}
			if method == http.MethodGet {
				h = browser
			}
			r := e.do(req{Method: method, Path: path, Key: key, Header: h})
			if r.Status != http.StatusNotFound || strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || r.Header.Get("Location") != "" {
				t.Errorf("%s %s: %d %q Location %q, want a 404 problem", method, path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Location"))
			}
		}
	}
	// Clean paths still get the page.
	for _, path := range []string{"/api", "/api/organizations", "/api/organizations/"} {
		if r := e.do(req{Path: path, Header: browser}); !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s as a browser: %d %q", path, r.Status, r.Header.Get("Content-Type"))
		}
	}
}

// The explorer fetches and links this server's /api URLs only: a stored
// string that resolves to another host is shown as text, and its URL
// check refuses every way of leaving the origin or the API.
func TestExplorerStaysOnTheAPI(t *testing.T) {
	b := newBrowser(t, "explorer-paths")
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"/api/..//evil.test/steal","address":{"city":"//evil.test/x"}}`)
	var hrefs []string
	b.run("a stored path",
		chromedp.Navigate(e.srv.URL+"/api"),
		chromedp.Evaluate(`sessionStorage.setItem('orgraph.apiKey', `+jsString(key)+`)`, nil),
		chromedp.Navigate(e.srv.URL+org["@id"].(string)),
		chromedp.WaitVisible(`form.operation[data-method="PATCH"]`),
		chromedp.Evaluate(`[...document.querySelectorAll('a')].map((a) => a.href)`, &hrefs))
	for _, h := range hrefs {
		if !strings.HasPrefix(h, e.srv.URL+"/api") || strings.Contains(h, "evil") {
			t.Errorf("the page links %q", h)
		}
	}
	var verdicts map[string]any
	b.run("apiPath",
		chromedp.Evaluate(`Object.fromEntries([
			'//evil.test/x', '/api/..//evil.test/x', 'https://evil.test/api/organizations', '/api/organizations/%2F',
			'/api/./organizations', '/api/x/../y', '/apix', '/docs', 'javascript:alert(1)', '\\\\evil.test/api', '/api\\\\..\\\\x',
			'/api/organizations?page=2', location.origin + '/api/organizations', '/api',
		].map((u) => [u, apiPath(u)]))`, &verdicts))
	want := map[string]any{"/api/organizations?page=2": "/api/organizations?page=2", e.srv.URL + "/api/organizations": "/api/organizations", "/api": "/api"}
	for u, got := range verdicts {
		if got != want[u] {
			t.Errorf("apiPath(%q) = %v, want %v", u, got, want[u])
		}
	}
	b.noPageErrors()
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
