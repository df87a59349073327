package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// A client that accepts problem documents only (Accept:
// application/problem+json) gets the problem of a failing request, not a
// 406; a request of its that would succeed is a 406 and writes nothing.
// Any other unacceptable Accept is still a 406 before any work.
func TestAcceptProblemsOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		org := e.createOrg(ada, `{"name":"Acme"}`)
		iri := org["@id"].(string)
		problemsOnly := map[string]string{"Accept": "application/problem+json"}
		count := func() int {
			n, err := e.db.Organization.Query().Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()

		fails := []struct {
			name   string
			rq     req
			status int
			detail string
		}{
			{"an unknown item", req{Path: "/api/organizations/" + uuid.NewString()}, http.StatusNotFound, "Not Found"},
			{"a bad page", req{Path: "/api/organizations?page=0"}, http.StatusBadRequest, "Page should not be less than 1"},
			{"an unknown property", req{Method: http.MethodPost, Path: "/api/organizations", Body: `{"nmae":"x"}`}, http.StatusBadRequest,
				`Extra attributes are not allowed ("nmae" is unknown). Did you mean "name"?`},
			{"a stale If-Match", req{Method: http.MethodPatch, Path: iri, Body: `{"name":"B"}`, Header: map[string]string{"If-Match": `"stale"`}}, http.StatusPreconditionFailed,
				"The resource has changed since the version named by If-Match: read it again and retry."},
			{"an invitation to accept that is not there", req{Method: http.MethodPost, Path: "/api/invitations/" + uuid.NewString() + "/accept"}, http.StatusNotFound, "Not Found"},
		}
		for _, c := range fails {
			c.rq.Key = ada
			if c.rq.Header == nil {
				c.rq.Header = map[string]string{}
			}
			c.rq.Header["Accept"] = problemsOnly["Accept"]
			r := e.do(c.rq)
			e.erAssertProblem(t, r, c.status, erErrorDoc(false, c.status, c.detail))
		}
		blank := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":" "}`, Header: problemsOnly})
		e.erAssertProblem(t, blank, http.StatusUnprocessableEntity, erViolationDoc(false, erViolation{"name", erNotBlank, erCodeNotBlank}))

		// Success cannot be written as a problem document: 406, and nothing changed.
		notAcceptable := `Requested format "application/problem+json" is not supported. Supported MIME types are "application/ld+json", "application/json", "application/n-quads", "text/turtle", "application/n-triples".`
		for _, rq := range []req{
			{Path: iri},
			{Path: "/api/organizations"},
			{Method: http.MethodPost, Path: "/api/organizations", Body: `{"name":"Never"}`},
			{Method: http.MethodPatch, Path: iri, Body: `{"name":"Never"}`},
			{Method: http.MethodPost, Path: iri + "/workspaces", Body: `{"name":"Never"}`},
		} {
			rq.Key, rq.Header = ada, problemsOnly
			r := e.do(rq)
			e.erAssertProblem(t, r, http.StatusNotAcceptable, erErrorDoc(false, http.StatusNotAcceptable, notAcceptable))
		}
		if after := count(); after != before {
			t.Errorf("organizations: %d, then %d", before, after)
		}
		if g := e.do(req{Path: iri, Key: ada}); g.obj()["name"] != "Acme" {
			t.Errorf("the refused PATCH changed the name: %v", g.obj()["name"])
		}
		if ws, _ := e.db.Workspace.Query().Count(context.Background()); ws != 1 { // the default workspace of the personal organization
			t.Errorf("workspaces: %d", ws)
		}

		// Any other unacceptable format: 406 first, whatever else is wrong.
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"nmae":"x"}`, Header: map[string]string{"Accept": "text/csv"}})
		if r.Status != http.StatusNotAcceptable {
			t.Errorf("text/csv with a bad body: %d", r.Status)
		}
	})
}
