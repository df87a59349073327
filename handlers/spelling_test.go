package handlers_test

import (
	"encoding/json"
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

// Nested objects are written with the @type of their class (Contact,
// Address…), and a body may carry one or not: the property says the class,
// so a nested @type is ignored, as the top-level one is (API Platform does
// the same, and Admin's edit form sends the typed objects back). A wrong or
// additional type changes nothing: the server never stores a type.
func TestNestedTypeIsIgnoredOnInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		vocab := e.srv.URL + "/api/docs.jsonld#"
		for name, body := range map[string]string{
			"untyped":           `{"name":"Acme","contact":{"email":"ops@acme.test"},"address":{"city":"Springfield"}}`,
			"typed":             `{"name":"Acme","contact":{"@type":"Contact","email":"ops@acme.test"},"address":{"@type":"Address","city":"Springfield"}}`,
			"wrong type":        `{"name":"Acme","contact":{"@type":"Address","email":"ops@acme.test"},"address":{"@type":"Contact","city":"Springfield"}}`,
			"several types":     `{"name":"Acme","contact":{"@type":["Contact","https://schema.org/Person"],"email":"ops@acme.test"},"address":{"@type":[],"city":"Springfield"}}`,
			"typed, as IRIs":    `{"` + vocab + `Organization/name":"Acme","` + vocab + `Organization/contact":{"@type":"` + vocab + `Contact","` + vocab + `Contact/email":"ops@acme.test"},"address":{"@type":"` + vocab + `Address","city":"Springfield"}}`,
			"wrong, as IRIs":    `{"` + vocab + `Organization/name":"Acme","` + vocab + `Organization/contact":{"@type":"` + vocab + `Role","` + vocab + `Contact/email":"ops@acme.test"},"address":{"city":"Springfield"}}`,
			"status with types": `{"name":"Acme","contact":{"email":"ops@acme.test"},"address":{"city":"Springfield"},"status":{"@type":"OrganizationStatus","current_status":"ACTIVE"}}`,
		} {
			r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body})
			contact, _ := r.obj()["contact"].(map[string]any)
			address, _ := r.obj()["address"].(map[string]any)
			if r.Status != http.StatusCreated || contact["@type"] != "Contact" || contact["email"] != "ops@acme.test" ||
				address["@type"] != "Address" || address["city"] != "Springfield" {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		// Admin's edit form sends the whole record back, typed objects
		// included, as a merge patch: it is read, and nothing is lost.
		org := e.createOrg(key, `{"name":"Beta","contact":{"email":"ops@beta.test","first_name":"Ada"},"address":{"city":"Paris"}}`)
		record := e.do(req{Path: org["@id"].(string), Key: key}).obj()
		record["name"] = "Gamma"
		back, err := json.Marshal(record)
		if err != nil {
			t.Fatal(err)
		}
		r := e.do(req{Method: http.MethodPatch, Path: org["@id"].(string), Key: key, Body: string(back),
			Header: map[string]string{"Content-Type": "application/ld+json"}})
		contact, _ := r.obj()["contact"].(map[string]any)
		if r.Status != http.StatusOK || r.obj()["name"] != "Gamma" || contact["@type"] != "Contact" || contact["first_name"] != "Ada" {
			t.Errorf("the record sent back: %d %s", r.Status, r.Body)
		}
	})
}
