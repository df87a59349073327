package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/swaggerui"
)

// The OpenAPI document is served at /api/docs.json and, by Accept, at
// /api/docs (API Platform's docs route does both), publicly, cached and
// tagged; kin-openapi loads and validates what the server sends.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	r := e.do(req{Path: hydra.OpenAPIPath, Key: "og_live_not_a_key"})
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/vnd.openapi+json; charset=utf-8" ||
		r.Header.Get("Cache-Control") != "private, max-age=300" || r.Header.Get("ETag") == "" {
		t.Fatalf("GET %s: %d %q %q %q", hydra.OpenAPIPath, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
	}
	e.erAssertCommonHeaders(t, r)
	doc := loadOpenAPI(t, r.Body)
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != e.srv.URL || doc.Info.Version != "2026-11-01" {
		t.Errorf("openapi %q, servers %v, version %q", doc.OpenAPI, doc.Servers, doc.Info.Version)
	}

	if c := e.do(req{Path: hydra.OpenAPIPath, Header: map[string]string{"If-None-Match": r.Header.Get("ETag")}}); c.Status != http.StatusNotModified || len(c.Body) != 0 {
		t.Errorf("If-None-Match: %d", c.Status)
	}
	same := func(name string, got *response, contentType string) {
		t.Helper()
		if got.Status != http.StatusOK || got.Header.Get("Content-Type") != contentType || !bytes.Equal(got.Body, r.Body) {
			t.Errorf("%s: %d %q, same document %v", name, got.Status, got.Header.Get("Content-Type"), bytes.Equal(got.Body, r.Body))
		}
	}
	same("docs.json as JSON", e.do(req{Path: hydra.OpenAPIPath, Header: map[string]string{"Accept": "application/json"}}), "application/json; charset=utf-8")
	same("docs by its media type", e.do(req{Path: hydra.DocsRoot, Header: map[string]string{"Accept": hydra.OpenAPIMediaType}}), "application/vnd.openapi+json; charset=utf-8")
	same("docs as JSON", e.do(req{Path: hydra.DocsRoot, Header: map[string]string{"Accept": "application/json"}}), "application/json; charset=utf-8")
	for _, accept := range []string{"", "*/*", "application/ld+json", "application/ld+json, application/json;q=0.5"} {
		h := e.do(req{Path: hydra.DocsRoot, Header: map[string]string{"Accept": accept}})
		if h.Status != http.StatusOK || !strings.HasPrefix(h.Header.Get("Content-Type"), "application/ld+json") || h.obj()["@type"] != "ApiDocumentation" {
			t.Errorf("/api/docs with Accept %q: %d %q, want the Hydra documentation", accept, h.Status, h.Header.Get("Content-Type"))
		}
	}
	e.erAssertProblem(t, e.do(req{Path: hydra.OpenAPIPath, Header: map[string]string{"Accept": "application/ld+json"}}), http.StatusNotAcceptable,
		erErrorDoc(true, http.StatusNotAcceptable, `Requested format "application/ld+json" is not supported. Supported MIME types are "application/vnd.openapi+json", "application/json".`))
	if h := e.do(req{Method: http.MethodPost, Path: hydra.OpenAPIPath, Body: "{}"}); h.Status != http.StatusMethodNotAllowed || h.Header.Get("Allow") != "OPTIONS, HEAD, GET" {
		t.Errorf("POST %s: %d %q", hydra.OpenAPIPath, h.Status, h.Header.Get("Allow"))
	}
}

// Swagger UI: the page and its start script are ours, the distribution is
// the Go module's, all under a strict Content-Security-Policy; a browser
// asking for /docs gets Swagger UI, not the explorer.
func TestSwaggerUIServed(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	for _, path := range []string{swaggerui.Path, swaggerui.Path + "/"} {
		r := e.do(req{Path: path, Header: browser})
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			r.Header.Get("Content-Security-Policy") != swaggerui.SecurityPolicy(e.srv.URL) || !strings.Contains(string(r.Body), `<script src="/docs/start.js" defer></script>`) {
			t.Errorf("GET %s: %d %q %q", path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Security-Policy"))
		}
		if strings.Contains(string(r.Body), "<script>") || strings.Contains(string(r.Body), "style=") {
			t.Errorf("GET %s: inline script or style, which the policy forbids", path)
		}
	}
	start := e.do(req{Path: swaggerui.Path + "/start.js"})
	if start.Status != http.StatusOK || start.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(string(start.Body), "'"+hydra.OpenAPIPath+"'") {
		t.Errorf("start.js: %d %q", start.Status, start.Header.Get("Content-Type"))
	}
	for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"} {
		// Go's client asks for gzip and undoes it; a client that does not
		// ask gets the file as it is.
		plain := e.do(req{Path: swaggerui.Path + "/" + asset, Header: map[string]string{"Accept-Encoding": "identity"}})
		if plain.Status != http.StatusOK || len(plain.Body) < 500 || plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Content-Security-Policy") != swaggerui.SecurityPolicy(e.srv.URL) {
			t.Errorf("%s: %d, %d bytes, encoding %q", asset, plain.Status, len(plain.Body), plain.Header.Get("Content-Encoding"))
		}
		if strings.HasSuffix(asset, ".png") {
			continue
		}
		zipped := e.do(req{Path: swaggerui.Path + "/" + asset, Header: map[string]string{"Accept-Encoding": "gzip"}})
		zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
		if err != nil {
			t.Fatalf("%s gzip: %v", asset, err)
		}
		unzipped, _ := io.ReadAll(zr)
		if zipped.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(unzipped, plain.Body) {
			t.Errorf("%s: gzip answer %q does not hold the same file", asset, zipped.Header.Get("Content-Encoding"))
		}
	}
	e.erAssertProblem(t, e.do(req{Path: swaggerui.Path + "/nothing.js"}), http.StatusNotFound,
		erErrorDoc(true, http.StatusNotFound, fmt.Sprintf(`No route found for "GET %s/docs/nothing.js"`, e.srv.URL)))
	for _, path := range []string{"/docs.json", "/docs.jsonld", "/docs/.json"} {
		if r := e.do(req{Path: path}); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404 (the page has no formats)", path, r.Status)
		}
	}
	if r := e.do(req{Method: http.MethodPost, Path: swaggerui.Path, Body: "{}"}); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST /docs: %d", r.Status)
	}
}

// Every request a client makes in a walk through the whole API, and every
// answer it gets (successes and problems alike), is what the served OpenAPI
// document says: kin-openapi's request and response validators check each
// exchange, undocumented statuses included.
func TestOpenAPIDescribesTheAnswers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		raw := e.do(req{Path: hydra.OpenAPIPath}).Body
		doc := loadOpenAPI(t, raw)
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		checked := map[string]bool{}
		e.check = func(hr *http.Request, body string, res *response) {
			t.Helper()
			route, params, err := router.FindRoute(hr)
			if err != nil {
				if err == routers.ErrPathNotFound && res.Status == http.StatusNotFound || err == routers.ErrMethodNotAllowed && res.Status == http.StatusMethodNotAllowed {
					return // not an operation, and the server says so
				}
				t.Errorf("%s %s: no documented operation: %v", hr.Method, hr.URL.Path, err)
				return
			}
			in := &openapi3filter.RequestValidationInput{
				Request: hr, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			}
			if body != "" {
				hr.Body = io.NopCloser(strings.NewReader(body))
			}
			// Bad requests are sent on purpose; the rest must be valid.
			if res.Status < 400 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("%s %s: the request the server took is not valid by the document: %v", hr.Method, hr.URL, err)
				}
			}
			out := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: res.Status, Header: res.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}
			out.SetBodyBytes(res.Body)
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("%s %s → %d: the answer is not what the document says: %v\n%.400s", hr.Method, hr.URL, res.Status, err, res.Body)
			}
			checked[fmt.Sprintf("%s %s %d", hr.Method, route.Path, res.Status)] = true
		}
		walkTheAPI(t, e)

		// The validator does fail: a document with a wrong type is refused.
		ada := e.key("ada@example.com", "live", "write")
		org := e.createOrg(ada, `{"name":"Checked"}`)
		e.check = nil
		hr, _ := http.NewRequest(http.MethodGet, org["@id"].(string), nil)
		hr.URL.Scheme, hr.URL.Host = "http", strings.TrimPrefix(e.srv.URL, "http://")
		route, params, err := router.FindRoute(hr)
		if err != nil {
			t.Fatal(err)
		}
		org["name"] = 12
		wrong, _ := json.Marshal(org)
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route},
			Status:                 http.StatusOK, Header: http.Header{"Content-Type": {"application/ld+json; charset=utf-8"}},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), out.SetBodyBytes(wrong)); err == nil {
			t.Errorf("an organization whose name is a number passed the validator")
		}

		if len(checked) < 40 {
			t.Errorf("only %d distinct exchanges checked", len(checked))
		}
		t.Logf("%d distinct (operation, status) exchanges validated", len(checked))
	})
}

// walkTheAPI makes the requests a client makes: every operation, and the
// common ways each one fails.
func walkTheAPI(t *testing.T, e *env) {
	ada := e.key("ada@example.com", "live", "write")
	bob := e.key("bob@example.com", "live", "write")
	reader := e.key("ada@example.com", "live", "read")
	get := func(path, key string) *response { return e.do(req{Path: path, Key: key}) }
	post := func(path, key, body string) *response {
		return e.do(req{Method: http.MethodPost, Path: path, Key: key, Body: body})
	}
	patch := func(path, key, body string) *response {
		return e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: body})
	}
	del := func(path, key string) *response { return e.do(req{Method: http.MethodDelete, Path: path, Key: key}) }
	iri := func(r *response) string {
		t.Helper()
		s, _ := r.obj()["@id"].(string)
		if s == "" {
			t.Fatalf("no @id in %d %s", r.Status, r.Body)
		}
		return s
	}

	// Documentation, public.
	get("/api", "")
	e.do(req{Path: "/api", Header: map[string]string{"Accept": "application/json"}})
	get(hydra.DocsPath, "")
	get(hydra.DocsRoot, "")
	get(hydra.ContextsPath+"Organization", "")
	get(hydra.ContextsPath+"Nothing", "")
	get("/healthz", "")
	get("/readyz", "")
	get("/metrics", "")

	// Organizations.
	org := iri(post("/api/organizations", ada, `{"name":"Acme","contact":{"email":"ops@acme.test"},"address":{"city":"Lyon","country":"FR"}}`))
	post("/api/organizations", ada, `{"name":""}`)
	post("/api/organizations", ada, `{"name":12}`)
	post("/api/organizations", ada, `{"name":`)
	post("/api/organizations", "", `{"name":"x"}`)
	post("/api/organizations", reader, `{"name":"x"}`)
	e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: "name=x", Header: map[string]string{"Content-Type": "text/plain"}})
	e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Idem"}`, Header: map[string]string{"Idempotency-Key": "walk-1"}})
	e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Idem"}`, Header: map[string]string{"Idempotency-Key": "walk-1"}})
	e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Other"}`, Header: map[string]string{"Idempotency-Key": "walk-1"}})
	get("/api/organizations", ada)
	get("/api/organizations?page=2&itemsPerPage=1&order[name]=desc&name=Ac", ada)
	get("/api/organizations?partial=true", ada)
	get("/api/organizations?page=0", ada)
	get("/api/organizations", "")
	get("/api/organizations", "og_live_0000")
	e.do(req{Path: "/api/organizations", Key: ada, Header: map[string]string{"Accept": "text/csv"}})
	item := get(org, ada)
	get(org, bob)
	get("/api/organizations/0190c0de-0000-7000-8000-000000000000", ada)
	e.do(req{Path: org, Key: ada, Header: map[string]string{"If-None-Match": item.Header.Get("ETag")}})
	patch(org, ada, `{"name":"Acme SA"}`)
	patch(org, ada, `{"name":""}`)
	e.do(req{Method: http.MethodPatch, Path: org, Key: ada, Body: `{"name":"Stale"}`, Header: map[string]string{"If-Match": `"stale"`}})
	e.do(req{Method: http.MethodPatch, Path: org, Key: ada, Body: `{"name":"x"}`, Header: map[string]string{"Content-Type": "application/xml"}})

	// Members, roles, users.
	members := get("/api/members?organization="+org, ada)
	var member string
	if list, _ := members.obj()["member"].([]any); len(list) > 0 {
		member, _ = list[0].(map[string]any)["@id"].(string)
	}
	if member == "" {
		t.Fatalf("no member in %s", members.Body)
	}
	get(member, ada)
	patch(member, ada, `{"role":"nobody"}`)
	get("/api/roles", ada)
	roles := get(org+"/roles", ada)
	if list, _ := roles.obj()["member"].([]any); len(list) > 0 {
		get(list[0].(map[string]any)["@id"].(string), ada)
	}
	me := get("/api/me", ada)
	get(iri(me), ada)
	get("/api/users/0190c0de-0000-7000-8000-000000000000", ada)

	// Invitations: the alias and the canonical create, actions.
	inv := iri(post(org+"/members/invite", ada, `{"email":"bob@example.com","role":"admin"}`))
	post(org+"/members/invite", ada, `{"email":"not an email"}`)
	other := iri(post("/api/invitations", ada, fmt.Sprintf(`{"email":"cy@example.com","organization":%q}`, org)))
	get("/api/invitations", ada)
	get(inv, ada)
	post(other+"/resend", ada, "")
	post(other+"/revoke", ada, "")
	post(other+"/accept", ada, "")
	post(inv+"/accept", bob, "")
	bobMember := get("/api/members?organization="+org+"&email=bob@example.com", ada)
	if list, _ := bobMember.obj()["member"].([]any); len(list) == 1 {
		m := list[0].(map[string]any)["@id"].(string)
		patch(m, ada, `{"role":"viewer"}`)
		del(m, bob)
		del(m, ada)
	}

	// Workspaces: the alias and the canonical paths.
	ws := iri(post(org+"/workspaces", ada, `{"name":"Research"}`))
	post(org+"/workspaces", ada, `{"name":"research"}`)
	post("/api/workspaces", ada, fmt.Sprintf(`{"name":"Ops","organization":%q}`, org))
	get(org+"/workspaces", ada)
	get("/api/workspaces?organization="+org, ada)
	get(ws, ada)
	patch(ws, ada, `{"name":"Research & Development"}`)
	del(ws, ada)
	get(ws, ada)

	// The end of an organization.
	del(org, bob)
	del(org, ada)
	get(org, ada)
	e.do(req{Method: http.MethodPut, Path: org, Key: ada, Body: `{}`})
}

func loadOpenAPI(t *testing.T, raw []byte) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}
