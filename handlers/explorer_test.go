package handlers_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orgraph/orgraph/explorer"
)

// A browser gets the explorer page on any API URL; JSON clients do not.
func TestExplorerNegotiation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		for _, path := range []string{"/api", "/api/organizations", "/api/organizations/" + strings.Repeat("0", 8), "/nowhere"} {
			r := e.do(req{Path: path, Header: map[string]string{"Accept": browser}})
			if r.Status != 200 || r.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
				r.Header.Get("Content-Security-Policy") != explorer.SecurityPolicy || !strings.Contains(string(r.Body), "/_explorer/explorer.js") {
				t.Errorf("%s as a browser: %d %q", path, r.Status, r.Header.Get("Content-Type"))
			}
		}
		for _, accept := range []string{"", "*/*", "application/ld+json", "application/json", "text/html;q=0.5, application/ld+json"} {
			r := e.do(req{Path: "/api", Header: map[string]string{"Accept": accept}})
			if r.Status != 200 || strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("Accept %q: %d %q, want the JSON document", accept, r.Status, r.Header.Get("Content-Type"))
			}
		}
		for _, p := range []string{"/healthz", "/metrics"} {
			if r := e.do(req{Path: p, Header: map[string]string{"Accept": browser}}); strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s became the explorer", p)
			}
		}
		for _, asset := range []string{"explorer.js", "explorer.css"} {
			r := e.do(req{Path: explorer.AssetsPath + asset})
			if r.Status != 200 || len(r.Body) == 0 || r.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: %d", asset, r.Status)
			}
		}
	})
}

// Drives headless Chromium through the explorer: the key form, the
// collection, an item, a create with a blank name (the violation shows by
// the field), then a real create. Screenshots go to $ORGRAPH_ARTIFACTS
// (default e2e/artifacts/explorer).
func TestExplorerInChromium(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		for _, c := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
			if _, err := os.Stat(c); err == nil {
				chromium = c
				break
			}
		}
	}
	if chromium == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			chromium = p
		} else {
			t.Skip("no Chromium (apt-get install chromium, or set CHROMIUM): skipping the browser test")
		}
	}
	artifacts := os.Getenv("ORGRAPH_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join("..", "e2e", "artifacts", "explorer")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"Acme"}`)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var b []byte
			if err := chromedp.FullScreenshot(&b, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(artifacts, name+".png"), b, 0o644)
		})
	}
	var text string
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}

	run("key form",
		chromedp.Navigate(e.srv.URL+"/api/organizations"),
		chromedp.WaitVisible("#keyform"),
		chromedp.Text("#keyform", &text),
		shot("1-key-form"))
	if !strings.Contains(text, "orgraph keys create") {
		t.Errorf("the key form does not say how to get a key: %q", text)
	}

	run("collection",
		chromedp.SendKeys("#keyinput", key),
		chromedp.Click(`#key button[type=submit]`),
		chromedp.WaitVisible("table.collection"),
		chromedp.Text("table.collection", &text),
		shot("2-collection"))
	if !strings.Contains(text, "Acme") || !strings.Contains(text, org["@id"].(string)) {
		t.Errorf("the collection table lacks the organization: %q", text)
	}

	run("item",
		chromedp.Click(`table.collection a[href="`+org["@id"].(string)+`"]`),
		chromedp.WaitVisible(`form.operation[data-method="PATCH"]`),
		chromedp.Text("#document", &text),
		shot("3-item"))
	if !strings.Contains(text, "Organization") || !strings.Contains(text, "Acme") {
		t.Errorf("the item page: %q", text)
	}

	run("blank name",
		chromedp.Navigate(e.srv.URL+"/api/organizations"),
		chromedp.WaitVisible(`form.operation[data-method="POST"]`),
		chromedp.Click(`form.operation[data-method="POST"] button[type=submit]`),
		chromedp.WaitVisible(`[data-field="name"] .violation:not(:empty)`),
		chromedp.Text(`[data-field="name"] .violation`, &text),
		shot("4-violation"))
	if text != "This value should not be blank." {
		t.Errorf("violation by the name field: %q", text)
	}

	run("create",
		// The 422 answer is still on the page: clear it so the wait below sees the new one.
		chromedp.Evaluate(`document.getElementById("result").replaceChildren()`, nil),
		chromedp.SendKeys(`#f-name`, "Explored"),
		chromedp.Click(`form.operation[data-method="POST"] button[type=submit]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text),
		shot("5-created"))
	if !strings.HasSuffix(text, "→ 201") {
		t.Errorf("create: %q", text)
	}
	r := e.do(req{Path: "/api/organizations?name=Explored", Key: key})
	if r.Status != http.StatusOK || r.obj()["totalItems"] != float64(1) {
		t.Errorf("the organization created in the browser: %d %s", r.Status, r.Body)
	}
	t.Logf("screenshots in %s", artifacts)
}
