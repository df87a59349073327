package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/explorer"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/swaggerui"
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
	b := newBrowser(t, "explorer")
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"Acme"}`)
	shot, run := b.shot, b.run
	var text string

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
	if !strings.Contains(text, "Acme") {
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

	// The item's collection links (hydra:collection) are listed and lead
	// to the filtered collections; the header's navigation lists API
	// Platform's entrypoint keys only, not the entrypoint's links.
	var nav string
	members := `nav.links li[data-collection^="/api/members?organization="] a`
	run("collection links",
		chromedp.WaitVisible(members),
		chromedp.Click(members),
		chromedp.WaitVisible("table.collection"),
		chromedp.Text("table.collection", &text),
		chromedp.Text("#collections", &nav),
		shot("3b-members-link"))
	if !strings.Contains(text, "ada@example.com") {
		t.Errorf("the members link's page: %q", text)
	}
	if strings.Contains(nav, "collection") || !strings.Contains(nav, "organization") {
		t.Errorf("the navigation: %q", nav)
	}

	b.noPageErrors()
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
	b.noPageErrors()
	t.Logf("screenshots in %s", b.artifacts)
}

// The explorer's forms offer a list property's allowed values as
// checkboxes and send them as an array (the class's context marks the
// term @set), and a single property's allowed values as a select: a role
// made and changed in the browser holds exactly the permissions ticked.
func TestExplorerListInputs(t *testing.T) {
	b := newBrowser(t, "explorer-lists")
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"Acme"}`)
	run, shot := b.run, b.shot
	var text string
	tick := func(permission string) chromedp.Action {
		return chromedp.Click(`[data-field="permissions"] input[value="`+permission+`"]`, chromedp.NodeVisible)
	}
	run("role form",
		chromedp.Navigate(e.srv.URL+"/api/roles"),
		chromedp.Evaluate(`sessionStorage.setItem("orgraph.apiKey", `+strconv.Quote(key)+`)`, nil),
		chromedp.Navigate(e.srv.URL+"/api/roles"),
		chromedp.WaitVisible(`form.operation[data-method="POST"] [data-field="permissions"] input[type=checkbox]`),
		chromedp.WaitReady(`select#f-organization option[value="`+org["@id"].(string)+`"]`),
		chromedp.SetValue(`select#f-organization`, org["@id"].(string)),
		chromedp.SendKeys(`#f-slug`, "support"),
		chromedp.SendKeys(`#f-name`, "Support"),
		tick("members:manage"),
		tick("invitations:manage"),
		chromedp.Click(`form.operation[data-method="POST"] button[type=submit]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text),
		shot("1-role-created"))
	if !strings.HasSuffix(text, "→ 201") {
		t.Fatalf("create a role: %q", text)
	}
	var made map[string]any
	for _, m := range e.do(req{Path: "/api/roles?organization=" + org["id"].(string), Key: key}).obj()["member"].([]any) {
		if m.(map[string]any)["slug"] == "support" {
			made = m.(map[string]any)
		}
	}
	if made == nil {
		t.Fatal("no role made in the browser")
	}
	if got := permissionsOf(made); !strings.Contains(got, "members:manage") || !strings.Contains(got, "invitations:manage") || strings.Contains(got, "workspaces:manage") {
		t.Errorf("the role made in the browser holds %s", got)
	}

	run("role edit",
		chromedp.Navigate(e.srv.URL+made["@id"].(string)),
		chromedp.WaitVisible(`form.operation[data-method="PATCH"] [data-field="permissions"] input[value="members:manage"]:checked`),
		tick("members:manage"), // untick
		chromedp.Click(`form.operation[data-method="PATCH"] button[type=submit]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text),
		shot("2-role-changed"))
	if !strings.HasSuffix(text, "→ 200") {
		t.Fatalf("change the role: %q", text)
	}
	var createOnly int
	run("the edit form leaves out what only a create writes",
		chromedp.Evaluate(`document.querySelectorAll('form[data-method="PATCH"] [name="slug"], form[data-method="PATCH"] [name="organization"]').length`, &createOnly))
	if createOnly != 0 {
		t.Errorf("the role's edit form offers %d create-only inputs (slug, organization)", createOnly)
	}
	changed := e.do(req{Path: made["@id"].(string), Key: key}).obj()
	if got := permissionsOf(changed); strings.Contains(got, "members:manage") || !strings.Contains(got, "invitations:manage") {
		t.Errorf("the role changed in the browser holds %s", got)
	}

	// A nested object is a group of inputs: an edit sets a part and
	// empties another (null in the merge patch), and keeps the rest.
	e.do(req{Method: http.MethodPatch, Path: org["@id"].(string), Key: key, Body: `{"contact":{"email":"old@example.com","first_name":"Ada"}}`})
	patch := `form[data-method="PATCH"] `
	run("nested objects",
		chromedp.Navigate(e.srv.URL+org["@id"].(string)),
		chromedp.WaitVisible(patch+`[name="contact.email"]`),
		chromedp.Evaluate(`document.querySelector('form[data-method="PATCH"] [name="contact.email"]').value = ""`, nil),
		chromedp.SendKeys(patch+`[name="contact.email"]`, "new@example.com"),
		chromedp.Evaluate(`document.querySelector('form[data-method="PATCH"] [name="contact.first_name"]').value = ""`, nil),
		chromedp.SendKeys(patch+`[name="address.city"]`, "Springfield"),
		shot("3-nested"),
		chromedp.Click(patch+`button[type=submit]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text))
	if !strings.HasSuffix(text, "→ 200") {
		t.Fatalf("edit the nested objects: %q", text)
	}
	after := e.do(req{Path: org["@id"].(string), Key: key}).obj()
	contact, _ := after["contact"].(map[string]any)
	address, _ := after["address"].(map[string]any)
	if contact["email"] != "new@example.com" || contact["first_name"] != nil || address["city"] != "Springfield" {
		t.Errorf("after the edit: contact %v, address %v", contact, address)
	}
	if status, _ := after["status"].(map[string]any); status["current_status"] != "ACTIVE" {
		t.Errorf("the untouched status changed: %v", after["status"])
	}

	// A property with allowed values and one value: a select.
	var options []string
	run("domain form",
		chromedp.Navigate(e.srv.URL+"/api/domains"),
		chromedp.WaitVisible(`form.operation[data-method="POST"] select#f-enrollment`),
		chromedp.Evaluate(`[...document.querySelectorAll("select#f-enrollment option")].map(o => o.value)`, &options),
		shot("4-domain-form"))
	if strings.Join(options, ",") != ",none,automatic_invitation,automatic_membership" {
		t.Errorf("the enrollment select offers %q", options)
	}
	b.noPageErrors()
}

func permissionsOf(role map[string]any) string {
	var names []string
	for _, p := range role["permissions"].([]any) {
		names = append(names, p.(string))
	}
	return strings.Join(names, " ")
}

// No page of the API breaks the explorer: the root, the entrypoint, the
// documentation, a context, an error page, every collection the
// entrypoint links and an item of each, each ends with the explorer done
// (not failed), its navigation shown, and no page error or CSP violation.
func TestExplorerVisitsEveryPage(t *testing.T) {
	b := newBrowser(t, "explorer-pages")
	e, _ := newEnvWith(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"), func(c *handlers.Config) {
		c.SecretsKey = testSecretsKey
		c.WebhooksAllowPrivate = true
	})
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"Acme","contact":{"email":"a@example.com"},"address":{"city":"Springfield"}}`)
	orgRef := strconv.Quote(org["@id"].(string))
	for _, w := range []struct{ path, body string }{
		{"/api/invitations", `{"organization":` + orgRef + `,"email":"bob@example.com","role":"developer"}`},
		{"/api/workspaces", `{"organization":` + orgRef + `,"name":"Main"}`},
		{"/api/roles", `{"organization":` + orgRef + `,"slug":"support","name":"Support","permissions":["members:manage"]}`},
		{"/api/domains", `{"organization":` + orgRef + `,"domain":"acme.example"}`},
		{"/api/webhook_endpoints", `{"organization":` + orgRef + `,"url":"http://127.0.0.1:9/hook","enabled_events":["*"]}`},
	} {
		if r := e.do(req{Method: http.MethodPost, Path: w.path, Key: key, Body: w.body}); r.Status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", w.path, r.Status, r.Body)
		}
	}

	pages := []string{"/", "/api", "/api/docs.jsonld", "/api/contexts/Organization", "/api/organizations/" + uuid.NewString(), "/api/nothing-here"}
	entry := e.do(req{Path: "/api", Key: key}).obj()
	for term, v := range entry {
		collection, ok := v.(string)
		if strings.HasPrefix(term, "@") || !ok {
			continue
		}
		pages = append(pages, collection)
		if members, _ := e.do(req{Path: collection, Key: key}).obj()["member"].([]any); len(members) > 0 {
			pages = append(pages, members[0].(map[string]any)["@id"].(string))
		}
	}
	b.run("key", chromedp.Navigate(e.srv.URL+"/api"),
		chromedp.Evaluate(`sessionStorage.setItem("orgraph.apiKey", `+strconv.Quote(key)+`)`, nil))
	for i, path := range pages {
		var state, status, nav string
		b.run(path,
			chromedp.Navigate(e.srv.URL+path),
			chromedp.WaitVisible(`body[data-state]`),
			chromedp.AttributeValue(`body`, "data-state", &state, nil),
			chromedp.Text("#status", &status),
			chromedp.Text("#collections", &nav),
			b.viewShot(fmt.Sprintf("%02d", i)))
		if state != "ready" {
			t.Errorf("%s: the explorer %s: %q", path, state, status)
		}
		if !strings.Contains(nav, "organization") {
			t.Errorf("%s: no navigation: %q", path, nav)
		}
		b.noPageErrors()
	}
	// At a phone's width (390 px) no page is wider than the window.
	b.run("phone", chromedp.EmulateViewport(390, 844))
	for i, path := range pages {
		var width int
		b.run(path,
			chromedp.Navigate(e.srv.URL+path),
			chromedp.WaitVisible(`body[data-state]`),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
			b.viewShot(fmt.Sprintf("%02d-390", i)))
		if width > 390 {
			t.Errorf("%s at 390 px is %d px wide", path, width)
		}
	}
	if len(pages) < 20 {
		t.Errorf("only %d pages visited: %v", len(pages), pages)
	}
}

// Two people run an organization from the explorer (issue 22's story):
// the owner creates an organization, invites a developer from its page
// choosing the role from a select, the developer (another browser context
// with their own key) sees the invitation and accepts it and the page shows
// it accepted, the owner's member list shows them, and the developer is
// offered no edit form on the organization.
func TestExplorerTwoPeople(t *testing.T) {
	owner := newBrowser(t, "explorer-story")
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	ownerKey := e.key("olga@example.com", "live", "write")
	devKey := e.key("dev@example.com", "live", "write")
	var text string
	setKey := func(key string) chromedp.Action {
		return chromedp.Evaluate(`sessionStorage.setItem("orgraph.apiKey", `+strconv.Quote(key)+`)`, nil)
	}
	ready := chromedp.WaitVisible(`body[data-state="ready"]`)

	owner.run("owner creates the organization",
		chromedp.Navigate(e.srv.URL+"/api/organizations"), setKey(ownerKey),
		chromedp.Navigate(e.srv.URL+"/api/organizations"), ready,
		chromedp.SendKeys(`form[data-method="POST"] #f-name`, "Storyline"),
		chromedp.Click(`form[data-method="POST"] button[type=submit]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text),
		// The list is read again after the create: it shows the new one.
		chromedp.WaitVisible(`//table[contains(@class,"collection")]//a[text()="Storyline"]`, chromedp.BySearch),
		owner.shot("1-created"))
	if !strings.HasSuffix(text, "→ 201") {
		t.Fatalf("create: %q", text)
	}
	var orgs []map[string]any
	for _, m := range e.do(req{Path: "/api/organizations?name=Storyline", Key: ownerKey}).obj()["member"].([]any) {
		orgs = append(orgs, m.(map[string]any))
	}
	if len(orgs) != 1 {
		t.Fatalf("organizations named Storyline: %v", orgs)
	}
	orgIRI := orgs[0]["@id"].(string)

	invite := `form[data-operation="postInvitation"]`
	owner.run("owner invites from the organization's page",
		chromedp.Click(`table.collection th a[href="`+orgIRI+`"]`), ready,
		chromedp.WaitReady(invite+` select#f-role option[value="developer"]`),
		chromedp.WaitReady(invite+` select#f-organization`),
		chromedp.SendKeys(invite+` #f-email`, "dev@example.com"),
		chromedp.SetValue(invite+` select#f-role`, "developer"),
		owner.shot("2-invite-form"),
		chromedp.Click(invite+` button[type=submit]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text),
		owner.shot("3-invited"))
	if !strings.HasSuffix(text, "→ 201") {
		t.Fatalf("invite: %q", text)
	}

	// Each person works in a tab of their own; a step that returns to a
	// person opens a new one, since Chromium pauses the animation frames
	// chromedp waits with in a tab that is not in front.
	dev := owner.tab()
	var status string
	dev.run("developer accepts",
		chromedp.Navigate(e.srv.URL+"/api/invitations"), setKey(devKey),
		chromedp.Navigate(e.srv.URL+"/api/invitations"), ready,
		chromedp.Click(`table.collection tbody th a`), ready,
		dev.shot("4-invitation"),
		chromedp.Click(`button[data-action="accept"]`),
		chromedp.WaitVisible(`#result h2`),
		chromedp.Text("#result h2", &text),
		chromedp.WaitVisible(`#document dd[data-property="status"]`),
		chromedp.Text(`#document dd[data-property="status"]`, &status),
		dev.shot("5-accepted"))
	if !strings.Contains(text, "→ 200") && !strings.Contains(text, "→ 201") {
		t.Fatalf("accept: %q", text)
	}
	if status != "accepted" {
		t.Errorf("after the accept the invitation's page says %q", status)
	}

	dev.noPageErrors()
	owner = owner.tab()
	owner.run("owner's member list",
		chromedp.Navigate(e.srv.URL+"/api/members"), setKey(ownerKey),
		chromedp.Navigate(e.srv.URL+"/api/members?organization="+orgs[0]["id"].(string)), ready,
		chromedp.Text("table.collection", &text),
		owner.shot("6-members"))
	if !strings.Contains(text, "dev@example.com") || !strings.Contains(text, "developer") {
		t.Errorf("the owner's member list: %q", text)
	}

	// The transfer form offers this organization's members only.
	var offered []string
	transfer := `form[data-operation="transferOrganization"] select#f-new_owner`
	owner.run("owner's transfer form",
		chromedp.Navigate(e.srv.URL+orgIRI), ready,
		chromedp.WaitReady(transfer+` option[value^="/api/members/"]`),
		chromedp.Evaluate(`[...document.querySelectorAll('`+transfer+` option')].map(o => o.value).filter(v => v)`, &offered))
	var want []string
	for _, m := range e.do(req{Path: "/api/members?organization=" + orgs[0]["id"].(string), Key: ownerKey}).obj()["member"].([]any) {
		want = append(want, m.(map[string]any)["@id"].(string))
	}
	slices.Sort(offered)
	slices.Sort(want)
	if !slices.Equal(offered, want) {
		t.Errorf("the transfer form offers %v, the organization's members are %v", offered, want)
	}
	owner.noPageErrors()
	var forms int
	dev = owner.tab()
	dev.run("developer sees the organization",
		chromedp.Navigate(e.srv.URL+"/api"), setKey(devKey),
		chromedp.Navigate(e.srv.URL+orgIRI), ready,
		chromedp.Evaluate(`document.querySelectorAll('form[data-method="PATCH"], button[data-action="delete"], form[data-operation="postInvitation"]').length`, &forms),
		dev.shot("7-developer-org"))
	if forms != 0 {
		t.Errorf("the developer is offered %d edit, delete or invite controls on the organization", forms)
	}
	dev.noPageErrors()

	// The same pages on a phone, for the artifacts (each page's width is
	// checked by TestExplorerVisitsEveryPage).
	phone := owner.tab()
	phone.run("phone", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/api"), setKey(ownerKey))
	for i, path := range []string{"/api/organizations", orgIRI, "/api/members?organization=" + orgs[0]["id"].(string), "/api/invitations"} {
		phone.run(path, chromedp.Navigate(e.srv.URL+path), ready, phone.shot(fmt.Sprintf("8-%d-390", i)))
	}
	phone.noPageErrors()
}

// An open list updates live: an organization created by another client
// shows in the list the browser has open, without a reload (a marker set
// on the page survives), through the event stream.
func TestExplorerLiveList(t *testing.T) {
	b := newBrowser(t, "explorer-live")
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	b.run("open the list",
		chromedp.Navigate(e.srv.URL+"/api/organizations"),
		chromedp.Evaluate(`sessionStorage.setItem("orgraph.apiKey", `+strconv.Quote(key)+`)`, nil),
		chromedp.Navigate(e.srv.URL+"/api/organizations"),
		chromedp.WaitVisible(`#status[data-live="on"]`),
		chromedp.Evaluate(`window.__sameDocument = true`, nil))
	e.createOrg(key, `{"name":"Arrived live"}`)
	var text string
	var same bool
	b.run("the list shows it",
		chromedp.WaitVisible(`//table[contains(@class,"collection")]//a[text()="Arrived live"]`, chromedp.BySearch),
		chromedp.Text("table.collection", &text),
		chromedp.Evaluate(`window.__sameDocument === true`, &same),
		b.shot("1-arrived"))
	if !same {
		t.Error("the page was reloaded")
	}
	b.noPageErrors()
}

// browser is a headless Debian Chromium for one test, with what its pages
// report: Content-Security-Policy violations and uncaught exceptions.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
}

// cspWatch runs in every page before its own scripts (CDP injects it, so
// the page's policy does not apply to it) and keeps what the page refuses.
const cspWatch = `window.__pageErrors = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__pageErrors.push('CSP ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
window.addEventListener('error', (e) => window.__pageErrors.push('error: ' + e.message));
window.addEventListener('unhandledrejection', (e) => window.__pageErrors.push('unhandled rejection: ' + e.reason));`

// newBrowser starts Chromium (skipping the test when there is none);
// screenshots go to $ORGRAPH_ARTIFACTS or e2e/artifacts/<dir>.
func newBrowser(t *testing.T, dir string) *browser {
	t.Helper()
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
		artifacts = filepath.Join("..", "e2e", "artifacts")
	}
	artifacts = filepath.Join(artifacts, dir)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, artifacts: artifacts}
	b.watchPageErrors()
	return b
}

// tab is another tab of the same browser: a browsing context of its own,
// with its own session storage (so its own key).
func (b *browser) tab() *browser {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	other := &browser{t: b.t, ctx: ctx, artifacts: b.artifacts}
	other.watchPageErrors()
	return other
}

// watchPageErrors has every page of the tab keep what it refuses or throws.
func (b *browser) watchPageErrors() {
	b.run("watch page errors", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(cspWatch).Do(ctx)
		return err
	}))
}

func (b *browser) run(step string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

func (b *browser) shot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.artifacts, name+".png"), png, 0o644)
	})
}

// viewShot saves what the window shows (a full-page shot of a long
// document is more than Chromium captures).
func (b *browser) viewShot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.CaptureScreenshot(&png).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.artifacts, name+".png"), png, 0o644)
	})
}

// noPageErrors fails the test if the current page refused anything under
// its policy or threw.
func (b *browser) noPageErrors() {
	b.t.Helper()
	var errs []string
	b.run("page errors", chromedp.Evaluate(`window.__pageErrors || []`, &errs))
	for _, e := range errs {
		b.t.Errorf("the page reported: %s", e)
	}
}

// Drives Swagger UI on /docs in headless Chromium: every documented
// operation is listed, the page runs under its policy without a refusal,
// and "Execute" on GET /api/organizations sends the key the explorer kept
// (as a bearer token) and shows the organization. Screenshots in
// e2e/artifacts/swagger-ui.
func TestSwaggerUIInChromium(t *testing.T) {
	b := newBrowser(t, "swagger-ui")
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	e.createOrg(key, `{"name":"Swagged"}`)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(e.do(req{Path: hydra.OpenAPIPath}).Body, &doc); err != nil {
		t.Fatal(err)
	}
	documented := 0
	for _, ops := range doc.Paths {
		documented += len(ops)
	}

	const list = "#operations-Organization-listOrganizations"
	var listed int
	var status, body, title string
	b.run("the operations",
		chromedp.Navigate(e.srv.URL+swaggerui.Path),
		chromedp.WaitVisible(list),
		chromedp.Title(&title),
		chromedp.Evaluate(`document.querySelectorAll('.opblock').length`, &listed),
		b.shot("1-operations"))
	if listed != documented {
		t.Errorf("Swagger UI lists %d operations, the document %d", listed, documented)
	}
	if title != "Orgraph API — Swagger UI" {
		t.Errorf("title %q", title)
	}
	b.noPageErrors()

	// The explorer keeps the key in this tab's session storage; Swagger UI
	// starts authorized with it.
	b.run("execute",
		chromedp.Evaluate(`sessionStorage.setItem('orgraph.apiKey', `+strconv.Quote(key)+`)`, nil),
		chromedp.Reload(),
		chromedp.WaitVisible(list),
		chromedp.Click(list+" .opblock-summary-control"),
		chromedp.WaitVisible(list+" .btn.execute"),
		chromedp.Click(list+" .btn.execute"),
		chromedp.WaitVisible(list+" .live-responses-table tbody .response-col_status"),
		chromedp.Text(list+" .live-responses-table tbody .response-col_status", &status),
		chromedp.Text(list+" .live-responses-table tbody .response-col_description", &body),
		b.shot("2-executed"))
	if strings.TrimSpace(status) != "200" || !strings.Contains(body, "Swagged") {
		t.Errorf("Execute GET /api/organizations: status %q, body %.300q", status, body)
	}
	b.noPageErrors()
}
