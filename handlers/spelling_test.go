package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// JSON-LD clients may write in their own spelling; Orgraph reads the body as
// linked data and maps it to its own terms. What it writes is always the
// unprefixed API Platform 4 spelling (README, compatibility notes).
func TestRequestBodiesInOtherSpellings(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		vocab := e.srv.URL + "/api/docs.jsonld#"
		for name, body := range map[string]string{
			"own context":           `{"@context":{"n":"` + vocab + `Organization/name","c":{"@id":"` + vocab + `Organization/contact","@context":{"m":"` + vocab + `Contact/email"}}},"n":"Acme","c":{"m":"ops@acme.test"}}`,
			"absolute IRIs":         `{"` + vocab + `Organization/name":"Acme","` + vocab + `Organization/contact":{"` + vocab + `Contact/email":"ops@acme.test"}}`,
			"prefix in context":     `{"@context":["/api/contexts/Organization",{"og":"` + vocab + `"}],"og:Organization/name":"Acme","contact":{"email":"ops@acme.test"}}`,
			"our context, absolute": `{"@context":"` + e.srv.URL + `/api/contexts/Organization","name":"Acme","contact":{"email":"ops@acme.test"}}`,
		} {
			r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body})
			contact, _ := r.obj()["contact"].(map[string]any)
			if r.Status != http.StatusCreated || r.obj()["name"] != "Acme" || contact["email"] != "ops@acme.test" {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		// Blank in another spelling is still a violation on the right property.
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"` + vocab + `Organization/name":"  "}`})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"propertyPath":"name"`) {
			t.Errorf("blank name as IRI: %d %s", r.Status, r.Body)
		}
		// Wrong types are named the same way in any spelling.
		r = e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"` + vocab + `Organization/name":5}`})
		if r.Status != http.StatusBadRequest || r.obj()["detail"] != `The type of the "name" attribute must be "string", "int" given.` {
			t.Errorf("number name as IRI: %d %s", r.Status, r.Body)
		}
		// A remote context is never fetched: the body is read in our terms.
		r = e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"@context":"http://192.0.2.1/ctx.jsonld","name":"Acme"}`})
		if r.Status != http.StatusCreated || r.obj()["name"] != "Acme" {
			t.Errorf("remote context: %d %s", r.Status, r.Body)
		}
		// PATCH reads the same way.
		org := e.createOrg(key, `{"name":"Beta"}`)
		r = e.do(req{Method: http.MethodPatch, Path: org["@id"].(string), Key: key, Body: `{"` + vocab + `Organization/name":"Gamma"}`})
		if r.Status != http.StatusOK || r.obj()["name"] != "Gamma" {
			t.Errorf("PATCH with an IRI key: %d %s", r.Status, r.Body)
		}
	})
}
