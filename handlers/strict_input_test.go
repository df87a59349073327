package handlers_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Bodies the server cannot take are 400s that say why, on every operation
// that reads a body, and change nothing: unknown properties (API Platform's
// allow_extra_attributes: false), bodies json-gold used to panic on (500s),
// and bodies built to make the reader work hard.
func TestStrictInputOnEveryBodyOperation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme"}`)
		orgIRI := org["@id"].(string)
		ws := e.do(req{Method: http.MethodPost, Path: orgIRI + "/workspaces", Key: key, Body: `{"name":"W"}`}).obj()["@id"].(string)
		members := e.do(req{Path: "/api/members?organization=" + orgIRI, Key: key}).obj()["member"].([]any)
		member := members[0].(map[string]any)["@id"].(string)

		hostile := `{"name":"n","x":[` + strings.TrimSuffix(strings.Repeat(`[`+strings.TrimSuffix(strings.Repeat("1,", 1000), ",")+`],`, 520), ",") + `]}`
		cases := []struct{ name, body, detail string }{
			{"an unknown property", `{"nmae":"Acme","email":"a@b.test"}`, ""}, // its detail depends on the operation
			{"an empty key under an IRI key", `{"a:b":{"":1}}`, `Extra attributes are not allowed ("a:b" is unknown).`},
			{"@protected not a boolean", `{"@context":{"@protected":"x"}}`, `Invalid @context: @protected must be a boolean.`},
			{"an unknown keyword", `{"@foo":1}`, `Extra attributes are not allowed ("@foo" is unknown).`},
			{"a term of the client's context that means nothing here", `{"@context":{"x":"http://e.test/x"},"x":1}`, `Extra attributes are not allowed ("x" is unknown).`},
			{"half a million values", hostile, `The request body holds more than 10000 values (keys included); no request needs that many.`},
			{"half a million values with a context", `{"@context":{"x":"http://e.test/x"},` + hostile[1:], `The request body holds more than 10000 values (keys included); no request needs that many.`},
		}
		ops := []struct {
			method, path string
			unknown      string // the detail of the first case on this operation
		}{
			{http.MethodPost, "/api/organizations", `Extra attributes are not allowed ("email", "nmae" are unknown).`},
			{http.MethodPatch, orgIRI, `Extra attributes are not allowed ("email", "nmae" are unknown).`},
			{http.MethodPatch, member, `Extra attributes are not allowed ("nmae" is unknown).`}, // a member's name is read-only
			{http.MethodPost, "/api/invitations", `Extra attributes are not allowed ("nmae" is unknown).`},
			{http.MethodPost, orgIRI + "/members/invite", `Extra attributes are not allowed ("nmae" is unknown).`},
			{http.MethodPost, "/api/workspaces", `Extra attributes are not allowed ("email", "nmae" are unknown).`},
			{http.MethodPost, orgIRI + "/workspaces", `Extra attributes are not allowed ("email", "nmae" are unknown).`},
			{http.MethodPatch, ws, `Extra attributes are not allowed ("email", "nmae" are unknown).`},
		}
		for _, op := range ops {
			for _, c := range cases {
				t.Run(op.method+" "+op.path+": "+c.name, func(t *testing.T) {
					unchanged := e.erWatch(t, org["id"].(string))
					detail := c.detail
					if detail == "" {
						detail = op.unknown
					}
					r := e.do(req{Method: op.method, Path: op.path, Key: key, Body: c.body})
					e.erAssertProblem(t, r, http.StatusBadRequest, erErrorDoc(true, http.StatusBadRequest, detail))
					unchanged()
				})
			}
		}
	})
}

// One unknown property gets a suggestion when a property is close; nested
// paths are named in full; several are listed, sorted; read-only
// properties and the JSON-LD keys stay ignored; a key in another spelling
// is named as the client wrote it.
func TestStrictInputNamesWhatIsUnknown(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	key := e.key("ada@example.com", "live", "write")
	vocab := e.srv.URL + "/api/docs.jsonld#"
	for _, c := range []struct{ body, detail string }{
		{`{"Name":"Acme"}`, `Extra attributes are not allowed ("Name" is unknown). Did you mean "name"?`},
		{`{"name":"Acme","contact":{"emial":"a@b.test"}}`, `Extra attributes are not allowed ("contact.emial" is unknown). Did you mean "contact.email"?`},
		{`{"name":"Acme","invitations":[{"email":"a@b.test"},{"email":"c@d.test","rol":"admin"}]}`, `Extra attributes are not allowed ("invitations[1].rol" is unknown). Did you mean "invitations[1].role"?`},
		{`{"name":"Acme","zz":1,"adress":{}}`, `Extra attributes are not allowed ("adress", "zz" are unknown).`},
		{`{"name":"Acme","favourite_colour":"green"}`, `Extra attributes are not allowed ("favourite_colour" is unknown).`},
		// The detail names at most 10 keys, each cut at 64 characters: it
		// does not echo the body.
		{`{"name":"Acme","` + strings.Repeat("z", 100000) + `":1}`, `Extra attributes are not allowed ("` + strings.Repeat("z", 64) + `…" is unknown).`},
		{`{"name":"Acme","k01":1,"k02":1,"k03":1,"k04":1,"k05":1,"k06":1,"k07":1,"k08":1,"k09":1,"k10":1,"k11":1,"k12":1}`,
			`Extra attributes are not allowed ("k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", and 2 more are unknown).`},
		{`{"name":"Acme","invitations":["x",{"email":"a@b.test","rol":"admin"}]}`, `Extra attributes are not allowed ("invitations[1].rol" is unknown). Did you mean "invitations[1].role"?`},
		{`{"name":"Acme","contact.emial":"x"}`, `Extra attributes are not allowed ("contact.emial" is unknown).`},
		{`{"` + vocab + `Organization/name":"Acme","` + vocab + `Organization/nmae":"x"}`, fmt.Sprintf(`Extra attributes are not allowed (%q is unknown).`, vocab+"Organization/nmae")},
	} {
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: c.body})
		e.erAssertProblem(t, r, http.StatusBadRequest, erErrorDoc(true, http.StatusBadRequest, c.detail))
	}
	// What the server sets itself is ignored, not refused; so is originId,
	// which API Platform Admin adds to every record it sends back.
	r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key,
		Body: `{"@context":"/api/contexts/Organization","@id":"/x","@type":"Organization","id":"x","originId":"x","name":"Acme","member_count":5,"owners":[{"nonsense":1}]}`})
	if r.Status != http.StatusCreated {
		t.Errorf("read-only properties: %d %s", r.Status, r.Body)
	}
	// Query parameters stay lenient: browsers and caches add their own.
	if r := e.do(req{Path: "/api/organizations?utm_source=mail&_=123", Key: key}); r.Status != http.StatusOK {
		t.Errorf("unknown query parameters: %d %s", r.Status, r.Body)
	}
}
