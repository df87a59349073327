package handlers_test

import (
	"fmt"
	"html"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// The error catalogue is served: every problem type and every problem @id
// is a URL that describes its kind, in JSON-LD (a Hydra Status) or, for a
// browser, as a page of its own (not the explorer), without an API key.

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestErrorPagesDescribeEveryKind(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	for _, k := range problems.Kinds {
		for _, path := range []string{k.Type(), "/api" + k.Type()} {
			t.Run(path, func(t *testing.T) {
				e.erCheckErrorPage(t, path, k.Status, k.Title, k.Description, nil)
			})
		}
	}
	for _, c := range problems.Constraints {
		for _, path := range []string{problems.ValidationErrorsPath + c.Code, problems.APIValidationErrorsPath + c.Code} {
			t.Run(path, func(t *testing.T) {
				e.erCheckErrorPage(t, path, 422, problems.ValidationTitle, problems.ValidationDescription, []problems.Constraint{c})
			})
		}
	}
}

// erCheckErrorPage checks an error page in its three forms.
func (e *env) erCheckErrorPage(t *testing.T, path string, status int, title, description string, constraints []problems.Constraint) {
	t.Helper()
	// The pages are kept as long as the documentation is.
	cacheControl := e.do(req{Path: hydra.DocsPath}).Header.Get("Cache-Control")
	r := e.do(req{Path: path})
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/ld+json; charset=utf-8" ||
		r.Header.Get("Cache-Control") != cacheControl || cacheControl == "" || r.Header.Get("ETag") == "" {
		t.Fatalf("GET %s: %d %q %q %q\n%s", path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), r.Header.Get("ETag"), r.Body)
	}
	e.erAssertCommonHeaders(t, r)
	want := map[string]any{"statusCode": float64(status), "title": title, "description": description}
	if constraints != nil {
		list := []any{}
		for _, c := range constraints {
			list = append(list, map[string]any{"code": c.Code, "name": c.Name, "description": c.Description})
		}
		want["constraints"] = list
	}
	doc := r.obj()
	if doc["@id"] != path || doc["@type"] != "Status" {
		t.Errorf("@id %v, @type %v", doc["@id"], doc["@type"])
	}
	rest := map[string]any{}
	for k, v := range doc {
		if !strings.HasPrefix(k, "@") {
			rest[k] = v
		}
	}
	if d := jsonDiff("", rest, want); d != nil {
		t.Errorf("GET %s:\n%s", path, strings.Join(d, "\n"))
	}

	// As linked data, the title and description are Hydra's.
	expanded := e.do(req{Path: path, Header: map[string]string{"Accept": `application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`}})
	nodes, _ := expanded.JSON.([]any)
	if expanded.Status != http.StatusOK || len(nodes) != 1 {
		t.Fatalf("expanded: %d %s", expanded.Status, expanded.Body)
	}
	node := nodes[0].(map[string]any)
	value := func(iri string) any {
		vs, _ := node[iri].([]any)
		if len(vs) != 1 {
			return nil
		}
		return vs[0].(map[string]any)["@value"]
	}
	if node["@id"] != e.srv.URL+path || fmt.Sprint(node["@type"]) != "["+hydra.NS+"Status]" ||
		value(hydra.NS+"title") != title || value(hydra.NS+"description") != description || value(hydra.NS+"statusCode") != float64(status) {
		t.Errorf("expanded: %s", expanded.Body)
	}

	plain := e.do(req{Path: path, Header: map[string]string{"Accept": "application/json"}})
	if d := jsonDiff("", plain.JSON, want); plain.Status != http.StatusOK || d != nil {
		t.Errorf("as JSON: %d %s", plain.Status, strings.Join(d, "\n"))
	}

	page := e.do(req{Path: path, Header: map[string]string{"Accept": browserAccept}})
	body := string(page.Body)
	text := html.UnescapeString(body)
	if page.Status != http.StatusOK || page.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		page.Header.Get("Content-Security-Policy") != handlers.ErrorPageSecurityPolicy || page.Header.Get("Cache-Control") != cacheControl {
		t.Fatalf("the page: %d %q %q", page.Status, page.Header.Get("Content-Type"), page.Header.Get("Content-Security-Policy"))
	}
	for _, s := range []string{"<h1>" + strconv.Itoa(status) + " " + title + "</h1>", description, `<a href="/api">`} {
		if !strings.Contains(text, s) {
			t.Errorf("the page lacks %q:\n%s", s, body)
		}
	}
	for _, c := range constraints {
		if !strings.Contains(text, "<code>"+c.Code+"</code>") || !strings.Contains(text, c.Description) {
			t.Errorf("the page does not describe %s", c.Code)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "explorer.js") {
		t.Errorf("the page has a script or inline style (the policy forbids them) or is the explorer:\n%s", body)
	}
	if again := e.do(req{Path: path, Header: map[string]string{"Accept": browserAccept, "If-None-Match": page.Header.Get("ETag")}}); again.Status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", again.Status)
	}
}

// The type and the @id of the problems real requests get resolve to the
// page of their kind, which has the same title.
func TestErrorPagesResolveTheProblemsServed(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		id := e.createOrg(key, `{"name":"Acme"}`)["@id"].(string)
		for _, c := range []struct {
			name string
			rq   req
		}{
			{"400", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{`}},
			{"401", req{Path: "/api/organizations"}},
			{"404", req{Path: id + "0", Key: key}},
			{"405", req{Method: http.MethodPut, Path: id, Key: key, Body: `{}`}},
			{"406", req{Path: id, Key: key, Header: map[string]string{"Accept": "text/csv"}}},
			{"one violation", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":" "}`}},
			{"three violations", req{Method: http.MethodPost, Path: "/api/organizations", Key: key,
				Body: `{"name":"","phone_number":"call me","contact":{"email":"nope"}}`}},
			{"two of the same code", req{Method: http.MethodPost, Path: "/api/organizations", Key: key,
				Body: `{"name":"Acme","invitations":[{"email":"a"},{"email":"b"}]}`}},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(c.rq)
				doc := r.obj()
				typ, _ := doc["type"].(string)
				if r.Status < 400 || typ == "" {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				for _, path := range []string{typ, doc["@id"].(string)} {
					page := e.do(req{Path: path})
					if page.Status != http.StatusOK || page.obj()["title"] != doc["title"] || page.obj()["statusCode"] != doc["status"] {
						t.Errorf("GET %s (from a %d): %d %s", path, r.Status, page.Status, page.Body)
					}
				}
			})
		}
	})
}

func TestErrorPagesUnknown(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	code := problems.CodeNotBlank
	for _, c := range []struct{ path, detail string }{
		{"/errors/999", `No problem type "/errors/999": the error catalogue has no status "999".`},
		{"/errors/200", `No problem type "/errors/200": the error catalogue has no status "200".`},
		{"/api/errors/0404", `No problem type "/errors/0404": the error catalogue has no status "0404".`},
		{"/errors/not-found", `No problem type "/errors/not-found": the error catalogue has no status "not-found".`},
		{"/validation_errors/nope", `No problem type "/validation_errors/nope": the error catalogue has no constraint code "nope".`},
		{"/api/validation_errors/0=" + code + ";1=nope", `No problem type "/validation_errors/0=` + code + `;1=nope": the error catalogue has no constraint code "nope".`},
		{"/validation_errors/1=" + code + ";0=" + code, `No problem type "/validation_errors/1=` + code + `;0=` + code + `": the id must be one constraint code or a list of them (0=<code>;1=<code>…).`},
		{"/validation_errors/0=" + code, `No problem type "/validation_errors/0=` + code + `": the id must be one constraint code or a list of them (0=<code>;1=<code>…).`},
	} {
		t.Run(c.path, func(t *testing.T) {
			e.erAssertProblem(t, e.do(req{Path: c.path}), http.StatusNotFound, erErrorDoc(true, 404, c.detail))
			// A browser gets the problem too, not the explorer.
			if r := e.do(req{Path: c.path, Header: map[string]string{"Accept": browserAccept}}); r.Status != http.StatusNotFound {
				t.Errorf("as a browser: %d %q", r.Status, r.Header.Get("Content-Type"))
			}
		})
	}
	if r := e.do(req{Method: http.MethodPost, Path: "/errors/404", Body: `{}`}); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "OPTIONS, HEAD, GET" {
		t.Errorf("POST /errors/404: %d %q", r.Status, r.Header.Get("Allow"))
	}
	if r := e.do(req{Method: http.MethodHead, Path: "/errors/404"}); r.Status != http.StatusOK || len(r.Body) != 0 {
		t.Errorf("HEAD /errors/404: %d, %d bytes", r.Status, len(r.Body))
	}
}

// A list of codes is described code by code, each once, in order.
func TestErrorPagesForAList(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	a, b := problems.CodeTooLong, problems.CodeLastOwner
	path := "/validation_errors/0=" + a + ";1=" + b + ";2=" + a
	ca, _ := problems.ConstraintOf(a)
	cb, _ := problems.ConstraintOf(b)
	e.erCheckErrorPage(t, path, 422, problems.ValidationTitle, problems.ValidationDescription, []problems.Constraint{ca, cb})
}
