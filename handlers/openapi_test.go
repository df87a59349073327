package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/ratelimit"
	"github.com/orgraph/orgraph/store"
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
// exchange, undocumented statuses included, and oaCheckHeaders what they
// leave out: that every header an answer carries is documented on it, and
// that every required one is there, 304s included. The walk exercises
// every header and media type the document names.
func TestOpenAPIDescribesTheAnswers(t *testing.T) {
	t.Parallel() // one of the package's slowest; it shares no process-wide state (harness_test.go)
	eachBackend(t, func(t *testing.T, e *env) {
		v := newOAValidator(t, e)
		e.check = v.check
		walkTheAPI(t, e)

		// A second server on the same database, with a limit of two
		// requests per key and If-Match required: 428, 429, and a 503 from
		// /readyz once the database is closed.
		strict := &env{t: t, db: e.db, srv: httptest.NewServer(handlers.New(handlers.Config{DB: e.db, RequireIfMatch: true,
			Limiter: ratelimit.NewMemory(ratelimit.Policy{Name: "default", Quota: 2, Window: time.Hour}, nil)}))}
		t.Cleanup(strict.srv.Close)
		sv := newOAValidator(t, strict)
		strict.check = sv.check
		key := e.key("cy@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Strict"}`)["@id"].(string)
		strict.do(req{Method: http.MethodPatch, Path: org, Key: key, Body: `{"name":"No If-Match"}`}) // 428
		strict.do(req{Path: org, Key: key})                                                           // the second, and last
		strict.do(req{Path: org, Key: key})                                                           // 429
		if err := e.db.Close(); err != nil {
			t.Fatal(err)
		}
		strict.do(req{Path: "/readyz"}) // 503
		for k := range sv.checked {
			v.checked[k] = true
		}
		for k := range sv.headers {
			v.headers[k] = true
		}
		for k := range sv.media {
			v.media[k] = true
		}
		for _, want := range []string{"PATCH /api/organizations/{id} 428", "GET /api/organizations/{id} 429", "GET /readyz 503"} {
			if !v.checked[want] {
				t.Errorf("%s was not exercised", want)
			}
		}

		// Every documented header and media type was seen.
		for name := range v.doc.Components.Headers {
			if name, _, _ = strings.Cut(name, "."); !v.headers[strings.ToLower(name)] {
				t.Errorf("the walk never got the %s header", name)
			}
		}
		for _, mt := range v.mediaTypes() {
			if !v.media[mt] {
				t.Errorf("the walk never got %s", mt)
			}
		}

		// The validator does fail: a document with a wrong type is refused.
		hr, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/organizations/0190c0de-0000-7000-8000-000000000000", nil)
		route, params, err := v.router.FindRoute(hr)
		if err != nil {
			t.Fatal(err)
		}
		wrong, _ := json.Marshal(map[string]any{"@id": "/api/organizations/0190c0de-0000-7000-8000-000000000000", "@type": "Organization", "name": 12})
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route},
			Status:                 http.StatusOK, Header: http.Header{"Content-Type": {"application/ld+json; charset=utf-8"}},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), out.SetBodyBytes(wrong)); err == nil {
			t.Errorf("an organization whose name is a number passed the validator")
		}
		// And so does the header check.
		if oaHeaderProblems(route, http.StatusOK, http.Header{"X-Unheard-Of": {"1"}}) == nil {
			t.Errorf("an undocumented header passed the header check")
		}

		if len(v.checked) < 80 {
			t.Errorf("only %d distinct exchanges checked", len(v.checked))
		}
		t.Logf("%d distinct (operation, status) exchanges validated", len(v.checked))
	})
}

// oaValidator checks exchanges against the document a server serves.
type oaValidator struct {
	t       *testing.T
	doc     *openapi3.T
	router  routers.Router
	checked map[string]bool // "GET /api/organizations/{id} 200"
	headers map[string]bool // lower-case names of the headers seen
	media   map[string]bool // the documented media types the answers matched
}

func newOAValidator(t *testing.T, e *env) *oaValidator {
	// The Mercure hub's stream is text, as its schema (a string) says.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.FileBodyDecoder)
	t.Helper()
	doc := loadOpenAPI(t, e.do(req{Path: hydra.OpenAPIPath}).Body)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &oaValidator{t: t, doc: doc, router: router, checked: map[string]bool{}, headers: map[string]bool{}, media: map[string]bool{}}
}

func init() {
	// The answers that are text: kin-openapi reads them as strings.
	for _, mt := range []string{"text/html", "application/n-quads", "text/turtle", "application/n-triples"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.PlainBodyDecoder)
	}
}

func (v *oaValidator) check(hr *http.Request, body string, res *response) {
	t := v.t
	t.Helper()
	route, params, err := v.router.FindRoute(hr)
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
	for _, p := range oaHeaderProblems(route, res.Status, res.Header) {
		t.Errorf("%s %s → %d (%s): %s", hr.Method, hr.URL, res.Status, res.Header.Get("Content-Type"), p)
	}
	for name := range res.Header {
		v.headers[strings.ToLower(name)] = true
	}
	if documented := route.Operation.Responses.Status(res.Status); documented != nil && res.Header.Get("Content-Type") != "" {
		for mt, m := range documented.Value.Content {
			if documented.Value.Content.Get(res.Header.Get("Content-Type")) == m {
				v.media[mt] = true
			}
		}
	}
	v.checked[fmt.Sprintf("%s %s %d", hr.Method, route.Path, res.Status)] = true
}

// oaFraming are the headers net/http writes for any answer.
var oaFraming = map[string]bool{"Content-Type": true, "Content-Length": true, "Date": true, "Transfer-Encoding": true, "Connection": true}

// oaHeaderProblems compares an answer's headers with the documented
// response: each one sent is documented, each required one is sent, and on
// a 304 (which kin-openapi does not check) each value fits its schema.
func oaHeaderProblems(route *routers.Route, status int, h http.Header) []string {
	documented := route.Operation.Responses.Status(status)
	if documented == nil {
		return []string{"the status is not documented"}
	}
	var out []string
	names := map[string]*openapi3.HeaderRef{}
	for name, ref := range documented.Value.Headers {
		names[http.CanonicalHeaderKey(name)] = ref
		if _, sent := h[http.CanonicalHeaderKey(name)]; ref.Value.Required && !sent {
			out = append(out, "the required "+name+" header is missing")
		}
	}
	for name, values := range h {
		ref, ok := names[name]
		switch {
		case oaFraming[name]:
		case !ok:
			out = append(out, fmt.Sprintf("%s: %q is not documented on this response", name, values))
		case status == http.StatusNotModified && ref.Value.Schema != nil:
			var value any = values[0]
			if ref.Value.Schema.Value.Type.Is("integer") {
				n, err := strconv.Atoi(values[0])
				if err != nil {
					out = append(out, name+" is not an integer")
				}
				value = n
			}
			if err := ref.Value.Schema.Value.VisitJSON(value, openapi3.EnableJSONSchema2020()); err != nil {
				out = append(out, fmt.Sprintf("%s %q: %v", name, values[0], err))
			}
		}
	}
	return out
}

// mediaTypes are every media type the document names in a response.
func (v *oaValidator) mediaTypes() []string {
	set := map[string]bool{}
	for _, item := range v.doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, r := range op.Responses.Map() {
				for mt := range r.Value.Content {
					set[mt] = true
				}
			}
		}
	}
	var out []string
	for mt := range set {
		out = append(out, mt)
	}
	return out
}

// walkTheAPI makes the requests a client makes: every operation in every
// representation, and the common ways each one fails.
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
	as := func(path, key, accept string) *response {
		return e.do(req{Path: path, Key: key, Header: map[string]string{"Accept": accept}})
	}
	// every asks for a document in every format, and again with its ETag.
	every := func(path, key string) {
		for _, accept := range []string{"application/ld+json", "application/json", oaExpanded, oaFlattened, "application/n-quads", "text/turtle", "application/n-triples", browserAccept} {
			if tag := as(path, key, accept).Header.Get("ETag"); tag != "" {
				e.do(req{Path: path, Key: key, Header: map[string]string{"If-None-Match": tag, "Accept": accept}})
			}
		}
	}
	iri := func(r *response) string {
		t.Helper()
		s, _ := r.obj()["@id"].(string)
		if s == "" {
			t.Fatalf("no @id in %d %s", r.Status, r.Body)
		}
		return s
	}

	// Documentation, public.
	every("/api", "")
	every(hydra.DocsPath, "")
	every(hydra.DocsRoot, "")
	as(hydra.DocsRoot, "", hydra.OpenAPIMediaType)
	as(hydra.DocsRoot, "", "application/json")
	every(hydra.OpenAPIPath, "")
	as(hydra.OpenAPIPath, "", "application/json")
	every(hydra.ContextsPath+"Organization", "")
	get(hydra.ContextsPath+"Nothing", "")
	get("/healthz", "")
	get("/readyz", "")
	get("/metrics", "")
	e.do(req{Path: "/healthz", Header: map[string]string{"Orgraph-Version": "yesterday"}})

	// The error catalogue.
	every("/errors/404", "")
	every("/api/errors/422", "")
	every("/validation_errors/"+erCodeNotBlank, "")
	every("/api/validation_errors/0="+erCodeNotBlank+";1="+erCodeTooLong, "")
	get("/errors/999", "")
	get("/validation_errors/nope", "")
	as("/errors/404", "", "text/csv")

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
	e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Quads"}`, Header: map[string]string{"Accept": "application/n-quads"}})
	post("/api/organizations", ada, `{"name":"Big"}`+strings.Repeat(" ", 1<<20))
	get("/api/organizations", ada)
	every("/api/organizations?itemsPerPage=1", ada)
	get("/api/organizations?page=2&itemsPerPage=1&order[name]=desc&name=Ac", ada)
	as("/api/organizations?page=2&itemsPerPage=1&partial=true", ada, "application/json")
	get("/api/organizations?page=0", ada)
	get("/api/organizations", "")
	get("/api/organizations", "og_live_0000")
	as("/api/organizations", ada, "text/csv")
	every(org, ada)
	get(org, bob)
	get("/api/organizations/0190c0de-0000-7000-8000-000000000000", ada)
	patch(org, ada, `{"name":"Acme SA"}`)
	patch(org, ada, `{"name":""}`)
	e.do(req{Method: http.MethodPatch, Path: org, Key: ada, Body: `{"name":"Acme Quads"}`, Header: map[string]string{"Accept": oaExpanded}})
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
	every(member, ada)
	patch(member, ada, `{"role":"nobody"}`)
	every("/api/roles", ada)
	roles := get(org+"/roles", ada)
	if list, _ := roles.obj()["member"].([]any); len(list) > 0 {
		every(list[0].(map[string]any)["@id"].(string), ada)
	}
	me := get("/api/me", ada)
	every(iri(me), ada)
	get("/api/users/0190c0de-0000-7000-8000-000000000000", ada)

	// Invitations: the alias and the canonical create, actions.
	inv := iri(post(org+"/members/invite", ada, `{"email":"bob@example.com","role":"admin"}`))
	post(org+"/members/invite", ada, `{"email":"not an email"}`)
	other := iri(post("/api/invitations", ada, fmt.Sprintf(`{"email":"cy@example.com","organization":%q}`, org)))
	every("/api/invitations", ada)
	every(inv, ada)
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
	every("/api/workspaces?organization="+org, ada)
	every(ws, ada)
	patch(ws, ada, `{"name":"Research & Development"}`)
	del(ws, ada)
	get(ws, ada)

	// The end of an organization.
	del(org, bob)
	del(org, ada)
	get(org, ada)
	e.do(req{Method: http.MethodPut, Path: org, Key: ada, Body: `{}`})

	// The Mercure hub: refused without a topic; a subscription's stream
	// ends when the server stops its streams, so that its answer is read
	// whole. Last, since streams stay stopped.
	get(handlers.MercurePath, ada)
	srv := e.srv.Config.Handler.(*handlers.Server)
	stop := time.AfterFunc(500*time.Millisecond, srv.StopStreams)
	defer stop.Stop()
	get(handlers.MercurePath+"?topic=*", ada)
}

const (
	oaExpanded  = `application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`
	oaFlattened = `application/ld+json; profile="http://www.w3.org/ns/json-ld#flattened"`
)

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

// The request schemas accept exactly what the server accepts: for a table
// of edge cases (trimming, blank values, lengths in characters, U+0000,
// formats after trimming, ignored and unknown properties), a body the
// served document accepts is taken by the server, and a body it refuses
// is refused (400 or 422), on both backends.
func TestOpenAPIRequestSchemasMatchTheServer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		v := newOAValidator(t, e)
		ada := e.key("ada@example.com", "live", "write")
		org := e.createOrg(ada, `{"name":"Edges"}`)["@id"].(string)
		ws := e.do(req{Method: http.MethodPost, Path: org + "/workspaces", Key: ada, Body: `{"name":"Edges"}`}).obj()["@id"].(string)
		docs := e.srv.URL + hydra.DocsPath + "#"
		n := 0
		unique := func() string { n++; return strconv.Itoa(n) } // names and emails no other row takes
		s200 := func(c int) string { return strings.Repeat(string(rune(c)), 200) }
		for _, c := range []struct {
			method, path, body string
		}{
			{"POST", "/api/organizations", `{"name":"Acme %s"}`},
			{"POST", "/api/organizations", `{"name":"   "}`},
			{"POST", "/api/organizations", `{"name":"\t\u00a0\u3000\u2028"}`},
			{"POST", "/api/organizations", `{"name":"\u3000 Acme %s\u00a0\n"}`},
			{"POST", "/api/organizations", `{"name":"\ufeff%s"}`}, // U+FEFF is not whitespace to Go
			{"POST", "/api/organizations", `{"name":"` + s200('a') + `"}`},
			{"POST", "/api/organizations", `{"name":"` + s200('a') + `b"}`},
			{"POST", "/api/organizations", `{"name":"  ` + s200('é') + ` \t"}`},
			{"POST", "/api/organizations", `{"name":"` + s200('😀') + `"}`},
			{"POST", "/api/organizations", `{"name":"` + s200('😀') + `😀"}`},
			{"POST", "/api/organizations", `{"name":"Ac\u0000me"}`},
			{"POST", "/api/organizations", `{"name":" \u0000 "}`},
			{"POST", "/api/organizations", `{"name":null}`},
			{"POST", "/api/organizations", `{}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":" +1 (555) 010-2000 "}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"12 "}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"123"}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"+12"}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"call me"}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"  "}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"` + strings.Repeat("1", 32) + `"}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"` + strings.Repeat("1", 33) + `"}`},
			{"POST", "/api/organizations", `{"name":"P %s","phone_number":"\t` + strings.Repeat("1", 32) + ` "}`},
			{"POST", "/api/organizations", `{"name":"E %s","contact":{"email":" ada@acme.example\n"}}`},
			{"POST", "/api/organizations", `{"name":"E %s","contact":{"email":"ada@acme"}}`},
			{"POST", "/api/organizations", `{"name":"E %s","contact":{"email":"ada @acme.example"}}`},
			{"POST", "/api/organizations", `{"name":"E %s","contact":null,"address":{"city":" "}}`},
			{"POST", "/api/organizations", `{"name":"S %s","status":{"current_status":" SUSPENDED "}}`},
			{"POST", "/api/organizations", `{"name":"S %s","status":{"current_status":"suspended"}}`},
			{"POST", "/api/organizations", `{"name":"S %s","status":{}}`},
			{"POST", "/api/organizations", `{"name":"I %s","invitations":[{"email":"g%s@acme.example","role":" admin "}]}`},
			{"POST", "/api/organizations", `{"name":"I %s","invitations":[{"email":"g%s@acme.example","role":"  "}]}`},
			{"POST", "/api/organizations", `{"name":"I %s","invitations":[{"email":"g%s@acme.example","role":"root"}]}`},
			{"POST", "/api/organizations", `{"name":"I %s","invitations":[{"role":"admin"}]}`},
			// Read-only properties and the JSON-LD keywords are ignored; IRI
			// keys are read through the class's context.
			{"POST", "/api/organizations", `{"@context":"/api/contexts/Organization","@id":"/api/organizations/x","@type":"Organization",
				"name":"R %s","id":"x","created_at":5,"owners":"me","member_count":-1}`},
			{"POST", "/api/organizations", `{"name":"L %s","` + docs + `Organization/phone_number":"+1 555 0100"}`},
			{"POST", "/api/organizations", `{"name":"O %s","originId":"x","contact":{"@type":"Contact","originId":1,"email":"o%s@acme.example"},
				"status":{"current_status":"ACTIVE","status_history":"read-only"}}`},
			{"POST", "/api/organizations", `{"name":"U %s","nmae":"x"}`},
			{"POST", "/api/organizations", `{"name":"U %s","contact":{"phone":"x"}}`},
			{"POST", org + "/members/invite", `{"email":" m%s@acme.example ","role":" developer ","expires_in_days":30}`},
			{"POST", org + "/members/invite", `{"email":"m%s@acme.example","expires_in_days":31}`},
			{"POST", org + "/members/invite", `{"email":"m%s@acme.example","organization":"anything: the path sets it"}`},
			{"POST", "/api/invitations", `{"email":"m%s@acme.example","organization":"` + e.srv.URL + org + `"}`},
			{"PATCH", ws, `{"name":" R&D %s "}`},
			{"PATCH", ws, `{"name":"  "}`},
			{"PATCH", ws, `{"name":null}`},
			{"PATCH", ws, `{"organization":"ignored on update","created_at":"x"}`},
			{"PATCH", org, `{"phone_number":null,"address":null,"contact":{"email":""}}`},
			{"PATCH", org, `{"invitations":"ignored on update"}`},
		} {
			u := unique()
			body := strings.ReplaceAll(c.body, "%s", u)
			hr, _ := http.NewRequest(c.method, e.srv.URL+c.path, strings.NewReader(body))
			hr.Header.Set("Content-Type", map[string]string{"POST": "application/ld+json", "PATCH": "application/merge-patch+json"}[c.method])
			route, params, err := v.router.FindRoute(hr)
			if err != nil {
				t.Fatalf("%s %s: %v", c.method, c.path, err)
			}
			schemaErr := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
				Request: hr, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			})
			r := e.do(req{Method: c.method, Path: c.path, Key: ada, Body: body})
			taken := r.Status < 300
			if taken != (schemaErr == nil) || !taken && r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s %s: the server answered %d %.200s; the schema: %v", c.method, c.path, body, r.Status, r.Body, schemaErr)
			}
		}
	})
}

// The document says what this server is set to: how long Idempotency-Key
// answers are kept, and rate limits (their headers, 429) only when requests
// are metered; a server without limits sends no RateLimit header.
func TestOpenAPISaysTheServerSettings(t *testing.T) {
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		cfg     handlers.Config
		replay  string
		limited bool
	}{
		{"defaults", handlers.Config{DB: db}, "replayed for 24 hours", true},
		{"90 minutes, no limits, one kept answer", handlers.Config{DB: db, IdempotencyTTL: 90 * time.Minute, IdempotencyKeys: 1,
			Limiter: ratelimit.NewMemory(ratelimit.Policy{Name: "default"}, nil)}, "replayed for 90 minutes", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &env{t: t, db: db, srv: httptest.NewServer(handlers.New(c.cfg))}
			t.Cleanup(e.srv.Close)
			v := newOAValidator(t, e)
			if d := v.doc.Components.Parameters["Idempotency-Key"].Value.Description; !strings.Contains(d, c.replay) {
				t.Errorf("Idempotency-Key: %q, want it to say %q", d, c.replay)
			}
			// A 429 on every metered operation when requests are metered;
			// on writes that take an Idempotency-Key (its cap) in any case.
			onRead := v.doc.Paths.Find("/api/organizations").Get.Responses.Value("429") != nil
			onWrite := v.doc.Paths.Find("/api/organizations").Post.Responses.Value("429") != nil
			_, policy := v.doc.Components.Headers["RateLimit-Policy"]
			if onRead != c.limited || !onWrite || policy != c.limited {
				t.Errorf("429 on GET %v, on POST %v, RateLimit-Policy documented %v; want %v, true, %v", onRead, onWrite, policy, c.limited, c.limited)
			}
			e.check = v.check
			key := e.key(fmt.Sprintf("ada.%v@example.com", c.limited), "live", "write") // a user of its own: kept answers are per user
			e.do(req{Path: "/api"})
			e.do(req{Path: "/api/organizations"})
			e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"A"}`, Header: map[string]string{"Idempotency-Key": strings.ReplaceAll(c.name, " ", "-") + "-first"}})
			second := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"B"}`, Header: map[string]string{"Idempotency-Key": strings.ReplaceAll(c.name, " ", "-") + "-second"}})
			if want := map[bool]int{true: http.StatusCreated, false: http.StatusTooManyRequests}[c.limited]; second.Status != want {
				t.Errorf("a second kept answer: %d, want %d", second.Status, want)
			}
			if want := map[bool]int{true: 3, false: 4}[c.limited]; len(v.checked) != want { // distinct (operation, status)
				t.Errorf("%d exchanges checked, want %d: %v", len(v.checked), want, v.checked)
			}
		})
	}
}
