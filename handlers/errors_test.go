package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/apikey"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/store"
)

// Error answers, checked through real HTTP on both backends: status, media
// type, the whole problem document, the headers every answer carries, and
// that a refused write left the database as it was. Package-level names
// carry the "er" prefix so that other test files of the package can grow
// their own helpers without clashing.

const (
	erProblemType = "application/problem+json; charset=utf-8"
	// erErrorLink is the second Link a JSON-LD error carries (API Platform).
	erErrorLink = `<http://www.w3.org/ns/hydra/error>; rel="http://www.w3.org/ns/json-ld#error"`

	erCodeNotBlank    = "c1051bb4-d103-4f74-8988-acbcafc7fdc3"
	erCodeTooLong     = "d94b19cc-114f-4f44-9cc4-4138e80a87b9"
	erCodeInvalidMail = "bd79c0ab-ddba-46cc-a703-a7a4b08de310"
	erCodeRegexFailed = "de1e3db3-5ed4-4941-aae4-59f3667cc3a3"

	erNotBlank = "This value should not be blank."
	erTooLong  = "This value is too long. It should have 200 characters or less."
	erBadEmail = "This value is not a valid email address."
	erBadPhone = "This value is not valid." // Symfony Regex

	erSupportedCreate = `Supported MIME types are "application/ld+json", "application/json".`
	erSupportedPatch  = `Supported MIME types are "application/merge-patch+json", "application/ld+json".`
	erAcceptPatch     = "application/merge-patch+json, application/ld+json"
	erTooLarge        = "The request body must not be larger than 1048576 bytes."
	erNotFound        = "Not Found"
)

var erMintedRequestID = regexp.MustCompile(`^req_[0-9a-f]{24}$`)

// ---------------------------------------------------------------------------
// Expected documents

// erViolation is one expected entry of violations[].
type erViolation struct{ path, message, code string }

// erErrorDoc is the expected problem document for a status and detail: the
// JSON-LD Error form when linked, plain problem details otherwise. The title
// is the status's in the error catalogue (TestErrorsProblemDocumentForms
// pins a few literally).
func erErrorDoc(linked bool, status int, detail string) map[string]any {
	d := map[string]any{
		"title":  problems.TitleOf(status),
		"detail": detail,
		"status": float64(status),
		"type":   fmt.Sprintf("/errors/%d", status),
	}
	if linked {
		d["@context"] = "/api/contexts/Error"
		d["@id"] = fmt.Sprintf("/api/errors/%d", status)
		d["@type"] = []any{"Error", "hydra:Error"}
		d["description"] = detail
	}
	return d
}

// erViolationDoc is the expected 422 document for a list of violations.
func erViolationDoc(linked bool, vs ...erViolation) map[string]any {
	var lines, codes []string
	list := []any{}
	for _, v := range vs {
		lines = append(lines, v.path+": "+v.message)
		codes = append(codes, v.code)
		list = append(list, map[string]any{"propertyPath": v.path, "message": v.message, "code": v.code})
	}
	id := codes[0]
	if len(codes) > 1 {
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = fmt.Sprintf("%d=%s", i, c)
		}
		id = strings.Join(parts, ";")
	}
	detail := strings.Join(lines, "\n")
	d := map[string]any{
		"status":     float64(http.StatusUnprocessableEntity),
		"violations": list,
		"detail":     detail,
		"type":       "/validation_errors/" + id,
		"title":      problems.ValidationTitle,
	}
	if linked {
		d["@context"] = "/api/contexts/ConstraintViolation"
		d["@id"] = "/api/validation_errors/" + id
		d["@type"] = []any{"ConstraintViolation", "hydra:Error"}
		d["description"] = detail
	}
	return d
}

// erLinkedErrors says whether an Accept header asks for the JSON-LD form of
// errors (anything but a preference for plain JSON or problem+json).
func erLinkedErrors(accept string) bool {
	return accept != "application/json" && accept != "application/problem+json"
}

// ---------------------------------------------------------------------------
// Assertions

// erAssertCommonHeaders checks what every answer carries, success or error.
func (e *env) erAssertCommonHeaders(t *testing.T, r *response) {
	t.Helper()
	if link := r.Header.Values("Link"); !strings.Contains(strings.Join(link, ","), e.docsLink()) {
		t.Errorf("Link = %q, want it to contain %q", link, e.docsLink())
	}
	if id := r.Header.Get("X-Request-Id"); id == "" {
		t.Errorf("no X-Request-Id header")
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
}

// erAssertProblem checks an error answer: status, media type, the common
// headers, request_id equal to X-Request-Id, and the rest of the document
// exactly.
func (e *env) erAssertProblem(t *testing.T, r *response, status int, want map[string]any) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status = %d, want %d\n%s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != erProblemType {
		t.Errorf("Content-Type = %q, want %q", ct, erProblemType)
	}
	e.erAssertCommonHeaders(t, r)
	got, ok := r.JSON.(map[string]any)
	if !ok {
		t.Fatalf("the body is not a JSON object:\n%s", r.Body)
	}
	rest := make(map[string]any, len(got))
	for k, v := range got {
		rest[k] = v
	}
	if id := r.Header.Get("X-Request-Id"); rest["request_id"] != id || id == "" {
		t.Errorf("request_id = %v, want the X-Request-Id header %q", rest["request_id"], id)
	}
	delete(rest, "request_id")
	if d := strings.Join(jsonDiff("", rest, want), "\n"); d != "" {
		t.Errorf("problem document differs (-want +got):\n%s\nbody: %s", d, r.Body)
	}
	if _, linked := want["@context"]; linked {
		if link := strings.Join(r.Header.Values("Link"), ","); !strings.Contains(link, erErrorLink) {
			t.Errorf("Link = %q, want it to contain %q", link, erErrorLink)
		}
	}
}

// ---------------------------------------------------------------------------
// Database state

// erDbState is what a refused write must leave untouched.
type erDbState struct {
	Organizations, Members int
	Org                    string // the watched organization, as stored
}

// erWatch records the database state and returns a check that fails the
// test if it changed since.
func (e *env) erWatch(t *testing.T, orgID string) func() {
	t.Helper()
	before := e.erState(t, orgID)
	return func() {
		t.Helper()
		if after := e.erState(t, orgID); after != before {
			t.Errorf("the database changed:\nbefore %+v\nafter  %+v", before, after)
		}
	}
}

func (e *env) erState(t *testing.T, orgID string) erDbState {
	t.Helper()
	ctx := context.Background()
	var s erDbState
	var err error
	if s.Organizations, err = e.db.Organization.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Members, err = e.db.Member.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if orgID != "" {
		o, err := e.db.Organization.Get(ctx, uuid.MustParse(orgID))
		if err != nil {
			t.Fatal(err)
		}
		history, _ := json.Marshal(o.StatusHistory)
		s.Org = fmt.Sprintf("name=%q contact=%+v phone=%q address=%+v status=%s history=%s mode=%s created=%s updated=%s",
			o.Name, o.Contact, o.PhoneNumber, o.Address, o.Status, history, o.Mode,
			o.CreatedAt.UTC().Format(time.RFC3339Nano), o.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	return s
}

// erStoredName reads an organization's name straight from the database.
func (e *env) erStoredName(t *testing.T, orgID string) string {
	t.Helper()
	o, err := e.db.Organization.Get(context.Background(), uuid.MustParse(orgID))
	if err != nil {
		t.Fatal(err)
	}
	return o.Name
}

// erDoStreamed sends a body without Content-Length (chunked), so that only
// the server's reader can notice it is too large.
func (e *env) erDoStreamed(method, path, key, contentType string, body []byte) *response {
	e.t.Helper()
	hr, err := http.NewRequest(method, e.srv.URL+path, io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	hr.ContentLength = -1
	hr.Header.Set("Authorization", "Bearer "+key)
	hr.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := &response{Status: res.StatusCode, Header: res.Header, Body: b}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.JSON); err != nil {
			e.t.Fatalf("body is not JSON: %v\n%s", err, b)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// 1. Bad inputs

// TestProblemDocumentForms pins the four shapes of a problem document
// literally, so that the erErrorDoc and erViolationDoc helpers are known right.
func TestErrorsProblemDocumentForms(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		create := func(accept string) *response {
			return e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"  "}`,
				Header: map[string]string{"Accept": accept}})
		}
		missing := func(accept string) *response {
			return e.do(req{Path: "/api/organizations/" + uuid.NewString(), Key: key, Header: map[string]string{"Accept": accept}})
		}
		cases := []struct {
			name string
			r    *response
			doc  string
		}{
			{"Error as JSON-LD", missing("application/ld+json"), `{
				"@context": "/api/contexts/Error",
				"@id": "/api/errors/404",
				"@type": ["Error", "hydra:Error"],
				"title": "Resource not found",
				"detail": "Not Found",
				"status": 404,
				"type": "/errors/404",
				"description": "Not Found"
			}`},
			{"Error as problem+json", missing("application/problem+json"), `{
				"title": "Resource not found",
				"detail": "Not Found",
				"status": 404,
				"type": "/errors/404"
			}`},
			{"Error as JSON", missing("application/json"), `{
				"title": "Resource not found",
				"detail": "Not Found",
				"status": 404,
				"type": "/errors/404"
			}`},
			{"ConstraintViolation as JSON-LD", create(""), `{
				"@context": "/api/contexts/ConstraintViolation",
				"@id": "/api/validation_errors/c1051bb4-d103-4f74-8988-acbcafc7fdc3",
				"@type": ["ConstraintViolation", "hydra:Error"],
				"status": 422,
				"violations": [
					{"propertyPath": "name", "message": "This value should not be blank.", "code": "c1051bb4-d103-4f74-8988-acbcafc7fdc3"}
				],
				"detail": "name: This value should not be blank.",
				"description": "name: This value should not be blank.",
				"type": "/validation_errors/c1051bb4-d103-4f74-8988-acbcafc7fdc3",
				"title": "Validation failed"
			}`},
			{"ConstraintViolation as JSON", create("application/json"), `{
				"status": 422,
				"violations": [
					{"propertyPath": "name", "message": "This value should not be blank.", "code": "c1051bb4-d103-4f74-8988-acbcafc7fdc3"}
				],
				"detail": "name: This value should not be blank.",
				"type": "/validation_errors/c1051bb4-d103-4f74-8988-acbcafc7fdc3",
				"title": "Validation failed"
			}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				want := mustJSON(t, c.doc).(map[string]any)
				e.erAssertProblem(t, c.r, int(want["status"].(float64)), want)
			})
		}
	})
}

// erBadInput is one refused request body.
type erBadInput struct {
	name   string
	method string            // POST or PATCH
	ctype  string            // Content-Type; "" for the harness default, "-" for none
	body   string            // sent as is ("" sends no body)
	accept string            // Accept header, "" for none
	status int               // expected status
	detail string            // for non-422 answers
	vs     []erViolation     // for 422 answers
	header map[string]string // headers the answer must carry
}

func erBadInputs() []erBadInput {
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	deep := `{"name":"Acme","contact":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`
	// Arrays: 1000 elements pass the parser (then the property is judged),
	// 1001 do not, wherever the array is and whatever it holds.
	elements := func(n int, v string) string { return strings.TrimSuffix(strings.Repeat(v+",", n), ",") }
	longOK := `{"name":"Acme","contact":[` + elements(1000, `"a,b"`) + `]}`
	longUnknown := `{"name":"Acme","tags":[` + elements(1001, `1`) + `]}`
	longNested := `{"name":"Acme","contact":{"x":[[],[` + elements(1001, `{"a":[1,2]}`) + `]]}}`
	typeErr := func(attr, want, given string) string {
		return fmt.Sprintf("The type of the %q attribute must be %q, %q given.", attr, want, given)
	}
	var rows []erBadInput
	for _, m := range []string{http.MethodPost, http.MethodPatch} {
		supported, wrongType := erSupportedCreate, "application/merge-patch+json"
		var h415 map[string]string
		if m == http.MethodPatch {
			supported, wrongType = erSupportedPatch, "application/json"
			h415 = map[string]string{"Accept-Patch": erAcceptPatch}
		}
		rows = append(rows,
			// 400: the body is not a JSON object of the right types.
			erBadInput{name: "empty body", method: m, body: "", ctype: "application/ld+json", status: 400,
				detail: "Syntax error: the request body is empty."},
			erBadInput{name: "blank body", method: m, body: " \n\t ", status: 400,
				detail: "Syntax error: the request body is empty."},
			erBadInput{name: "truncated JSON", method: m, body: `{"name": "Acme"`, status: 400,
				detail: "Syntax error: the JSON document ends too early."},
			erBadInput{name: "malformed JSON", method: m, body: `{name: "Acme"}`, status: 400,
				detail: "Syntax error: invalid character 'n' looking for beginning of object key string at offset 2."},
			erBadInput{name: "trailing data", method: m, body: `{"name":"A"} {"name":"B"}`, status: 400,
				detail: "Syntax error: unexpected data after the JSON document."},
			erBadInput{name: "JSON array", method: m, body: `[{"name":"Acme"}]`, status: 400,
				detail: `The request body must be a JSON object, "array" given.`},
			erBadInput{name: "JSON string", method: m, body: `"Acme"`, status: 400,
				detail: `The request body must be a JSON object, "string" given.`},
			erBadInput{name: "JSON null", method: m, body: `null`, status: 400,
				detail: `The request body must be a JSON object, "null" given.`},
			erBadInput{name: "too deep", method: m, body: deep, status: 400,
				detail: "Syntax error: the request body nests deeper than 16 levels."},
			erBadInput{name: "array of 1000", method: m, body: longOK, status: 400,
				detail: typeErr("contact", "object", "array")},
			erBadInput{name: "array over 1000", method: m, body: longUnknown, status: 400,
				detail: "Syntax error: an array in the request body holds more than 1000 elements."},
			erBadInput{name: "nested array over 1000", method: m, body: longNested, status: 400,
				detail: "Syntax error: an array in the request body holds more than 1000 elements."},
			erBadInput{name: "name as number", method: m, body: `{"name":42}`, status: 400,
				detail: typeErr("name", "string", "int")},
			erBadInput{name: "name as float", method: m, body: `{"name":4.2}`, status: 400,
				detail: typeErr("name", "string", "float")},
			erBadInput{name: "name as bool", method: m, body: `{"name":true}`, status: 400,
				detail: typeErr("name", "string", "bool")},
			erBadInput{name: "name as object", method: m, body: `{"name":{"en":"Acme"}}`, status: 400,
				detail: typeErr("name", "string", "object")},
			erBadInput{name: "contact as string", method: m, body: `{"name":"Acme","contact":"ada@example.com"}`, status: 400,
				detail: typeErr("contact", "object", "string")},
			erBadInput{name: "contact as array", method: m, body: `{"name":"Acme","contact":[]}`, status: 400,
				detail: typeErr("contact", "object", "array")},
			erBadInput{name: "contact.email as number", method: m, body: `{"name":"Acme","contact":{"email":7}}`, status: 400,
				detail: typeErr("contact.email", "string", "int")},
			erBadInput{name: "type error wins over violations", method: m, body: `{"name":"","contact":{"email":7}}`, status: 400,
				detail: typeErr("contact.email", "string", "int")},
			erBadInput{name: "400 as plain JSON", method: m, body: `{"name":42}`, accept: "application/json", status: 400,
				detail: typeErr("name", "string", "int")},

			// 415: the body is not in a media type the operation reads.
			erBadInput{name: "no Content-Type", method: m, body: `{"name":"Acme"}`, ctype: "-", status: 415,
				detail: `The "Content-Type" header must exist.`, header: h415},
			erBadInput{name: "text/plain", method: m, body: `{"name":"Acme"}`, ctype: "text/plain", status: 415,
				detail: `The content-type "text/plain" is not supported. ` + supported, header: h415},
			erBadInput{name: "wrong JSON media type", method: m, body: `{"name":"Acme"}`, ctype: wrongType, status: 415,
				detail: fmt.Sprintf("The content-type %q is not supported. %s", wrongType, supported), header: h415},
			erBadInput{name: "415 as plain JSON", method: m, body: `{"name":"Acme"}`, ctype: "text/plain", accept: "application/json", status: 415,
				detail: `The content-type "text/plain" is not supported. ` + supported, header: h415},

			// 413.
			erBadInput{name: "body over 1 MiB", method: m, body: big, status: 413, detail: erTooLarge},

			// 422: every violation at once.
			erBadInput{name: "blank name", method: m, body: `{"name":""}`, status: 422,
				vs: []erViolation{{"name", erNotBlank, erCodeNotBlank}}},
			erBadInput{name: "whitespace-only name", method: m, body: `{"name":" \t\n\u00a0\u3000 "}`, status: 422,
				vs: []erViolation{{"name", erNotBlank, erCodeNotBlank}}},
			erBadInput{name: "null name", method: m, body: `{"name":null}`, status: 422,
				vs: []erViolation{{"name", erNotBlank, erCodeNotBlank}}},
			erBadInput{name: "name over 200 characters", method: m, body: `{"name":"` + strings.Repeat("x", 201) + `"}`, status: 422,
				vs: []erViolation{{"name", erTooLong, erCodeTooLong}}},
			erBadInput{name: "name over 200 multi-byte characters", method: m, body: `{"name":"` + strings.Repeat("é", 201) + `"}`, status: 422,
				vs: []erViolation{{"name", erTooLong, erCodeTooLong}}},
			erBadInput{name: "invalid contact email", method: m, body: `{"name":"Acme","contact":{"email":"ada@"}}`, status: 422,
				vs: []erViolation{{"contact.email", erBadEmail, erCodeInvalidMail}}},
			erBadInput{name: "several violations", method: m,
				body:   `{"name":"   ","contact":{"email":"not an email"},"phone_number":"call me"}`,
				status: 422,
				vs: []erViolation{
					{"name", erNotBlank, erCodeNotBlank},
					{"contact.email", erBadEmail, erCodeInvalidMail},
					{"phone_number", erBadPhone, erCodeRegexFailed},
				}},
			erBadInput{name: "422 as plain JSON", method: m, body: `{"name":"","contact":{"email":"x"}}`, accept: "application/json", status: 422,
				vs: []erViolation{{"name", erNotBlank, erCodeNotBlank}, {"contact.email", erBadEmail, erCodeInvalidMail}}},
		)
	}
	// Only a create requires the name.
	rows = append(rows,
		erBadInput{name: "missing name", method: http.MethodPost, body: `{}`, status: 422,
			vs: []erViolation{{"name", erNotBlank, erCodeNotBlank}}},
		erBadInput{name: "missing name with other fields", method: http.MethodPost,
			body: `{"contact":{"email":"ada@example.com"},"phone_number":"+1 555 0100"}`, status: 422,
			vs: []erViolation{{"name", erNotBlank, erCodeNotBlank}}},
	)
	return rows
}

func TestErrorsBadOrganizationInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme","contact":{"email":"ada@example.com","first_name":"Ada"},"phone_number":"+44 20 7946 0000"}`)
		orgID := org["id"].(string)
		for _, c := range erBadInputs() {
			t.Run(c.method+" "+c.name, func(t *testing.T) {
				path := "/api/organizations"
				if c.method == http.MethodPatch {
					path += "/" + orgID
				}
				header := map[string]string{}
				switch c.ctype {
				case "":
				case "-":
					header["Content-Type"] = ""
				default:
					header["Content-Type"] = c.ctype
				}
				if c.accept != "" {
					header["Accept"] = c.accept
				}
				unchanged := e.erWatch(t, orgID)
				r := e.do(req{Method: c.method, Path: path, Key: key, Body: c.body, Header: header})

				linked := erLinkedErrors(c.accept)
				want := erErrorDoc(linked, c.status, c.detail)
				if c.vs != nil {
					want = erViolationDoc(linked, c.vs...)
				}
				e.erAssertProblem(t, r, c.status, want)
				for k, v := range c.header {
					if got := r.Header.Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				if loc := r.Header.Get("Location"); loc != "" {
					t.Errorf("an error carries Location %q", loc)
				}
				unchanged()
			})
		}

		// A body over the limit without Content-Length is caught while read.
		for _, m := range []string{http.MethodPost, http.MethodPatch} {
			t.Run(m+" streamed body over 1 MiB", func(t *testing.T) {
				path, ct := "/api/organizations", "application/ld+json"
				if m == http.MethodPatch {
					path, ct = path+"/"+orgID, "application/merge-patch+json"
				}
				unchanged := e.erWatch(t, orgID)
				body := []byte(`{"name":"` + strings.Repeat("b", 1<<20) + `"}`)
				r := e.erDoStreamed(m, path, key, ct, body)
				e.erAssertProblem(t, r, http.StatusRequestEntityTooLarge, erErrorDoc(true, 413, erTooLarge))
				unchanged()
			})
		}
	})
}

// TestOrganizationInputAccepted covers the bodies that look odd but are
// fine: read-only properties, multi-byte names at the limit, names to trim.
// (Unknown properties are a 400: strict_input_test.go.)
func TestErrorsOrganizationInputAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		ctx := context.Background()

		t.Run("POST ignores read-only properties", func(t *testing.T) {
			fakeID := uuid.NewString()
			r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{
				"@context": "/api/contexts/Organization",
				"@id": "/api/organizations/` + fakeID + `",
				"@type": "Person",
				"id": "` + fakeID + `",
				"name": "Acme",
				"created_at": "2000-01-01T00:00:00+00:00",
				"updated_at": "2000-01-01T00:00:00+00:00",
				"owners": [{"@id": "/api/members/` + fakeID + `", "role": "owner"}],
				"members": [],
				"member_count": 99,
				"current_user_role": "viewer",
				"mode": "test",
				"status": {"current_status": "ACTIVE", "status_history": [{"status": "SUSPENDED", "changed_at": "2000-01-01T00:00:00+00:00"}]}
			}`})
			if r.Status != http.StatusCreated {
				t.Fatalf("status = %d\n%s", r.Status, r.Body)
			}
			e.erAssertCommonHeaders(t, r)
			doc := r.obj()
			id, _ := doc["id"].(string)
			if id == "" || id == fakeID {
				t.Errorf("id = %q: the client's id was applied or none assigned", id)
			}
			checks := map[string]any{
				"@context":          "/api/contexts/Organization",
				"@id":               "/api/organizations/" + id,
				"@type":             "Organization",
				"name":              "Acme",
				"member_count":      float64(1),
				"current_user_role": "owner",
				"mode":              "live",
			}
			for k, v := range checks {
				if doc[k] != v {
					t.Errorf("%s = %v, want %v", k, doc[k], v)
				}
			}
			if loc := r.Header.Get("Location"); loc != "/api/organizations/"+id {
				t.Errorf("Location = %q", loc)
			}
			if s, _ := doc["created_at"].(string); strings.HasPrefix(s, "2000") {
				t.Errorf("created_at = %q: the client's value was applied", s)
			}
			// status.current_status is writable (issue 4); its history is not.
			if st, _ := doc["status"].(map[string]any); st["current_status"] != "ACTIVE" {
				t.Errorf("status = %v, want ACTIVE", doc["status"])
			} else if h, _ := st["status_history"].([]any); len(h) != 1 {
				t.Errorf("status_history = %v, want the one ACTIVE entry of the creation", st["status_history"])
			} else if c, _ := h[0].(map[string]any); c["status"] != "ACTIVE" || c["changed_at"] != doc["created_at"] {
				t.Errorf("status_history = %v: the client's history was applied", st["status_history"])
			}
			if owners, _ := doc["owners"].([]any); len(owners) != 1 {
				t.Errorf("owners = %v, want the caller alone", doc["owners"])
			}
			o, err := e.db.Organization.Get(ctx, uuid.MustParse(id))
			if err != nil {
				t.Fatal(err)
			}
			if o.Mode != "live" || o.Status != "ACTIVE" || o.CreatedAt.Year() == 2000 || len(o.StatusHistory) != 1 || o.StatusHistory[0].Status != "ACTIVE" {
				t.Errorf("stored %+v", o)
			}
			if _, err := e.db.Organization.Get(ctx, uuid.MustParse(fakeID)); err == nil {
				t.Errorf("an organization was stored under the client's id")
			}
		})

		t.Run("PATCH ignores read-only properties", func(t *testing.T) {
			org := e.createOrg(key, `{"name":"Before","contact":{"email":"ada@example.com"}}`)
			id := org["id"].(string)
			// What API Platform Admin's edit form sends: the whole record back,
			// changed where the user typed, with JSON-LD media type.
			record := map[string]any{}
			for k, v := range org {
				record[k] = v
			}
			record["name"] = "After"
			record["id"] = uuid.NewString()
			record["@id"] = "/api/organizations/" + uuid.NewString()
			record["member_count"] = 42
			record["mode"] = "test"
			record["created_at"] = "2000-01-01T00:00:00+00:00"
			record["owners"] = []any{}
			body, _ := json.Marshal(record)
			for _, ct := range []string{"application/merge-patch+json", "application/ld+json"} {
				r := e.do(req{Method: http.MethodPatch, Path: "/api/organizations/" + id, Key: key, Body: string(body),
					Header: map[string]string{"Content-Type": ct}})
				if r.Status != http.StatusOK {
					t.Fatalf("%s: status = %d\n%s", ct, r.Status, r.Body)
				}
				e.erAssertCommonHeaders(t, r)
				doc := r.obj()
				for k, v := range map[string]any{
					"@id": "/api/organizations/" + id, "id": id, "name": "After",
					"member_count": float64(1), "mode": "live", "created_at": org["created_at"],
				} {
					if doc[k] != v {
						t.Errorf("%s: %s = %v, want %v", ct, k, doc[k], v)
					}
				}
				if c, _ := doc["contact"].(map[string]any); c["email"] != "ada@example.com" {
					t.Errorf("%s: contact = %v", ct, doc["contact"])
				}
				if _, ok := doc["favourite_colour"]; ok {
					t.Errorf("%s: an unknown property was echoed", ct)
				}
			}
			n, err := e.db.Member.Query().Where(member.OrganizationID(uuid.MustParse(id))).Count(ctx)
			if err != nil || n != 1 {
				t.Errorf("members = %d, %v; want the owner to stay", n, err)
			}
		})

		names := []struct {
			name, sent, stored string
		}{
			{"200 × é", strings.Repeat("é", 200), strings.Repeat("é", 200)},
			{"200 × emoji", strings.Repeat("😀", 200), strings.Repeat("😀", 200)},
			{"200 × CJK", strings.Repeat("組", 200), strings.Repeat("組", 200)},
			{"200 characters inside whitespace", "  " + strings.Repeat("a", 200) + "\t\n", strings.Repeat("a", 200)},
			{"unicode trimmed", "\u3000\u00a0 \tÅngström & Søn 株式会社 🚀\n ", "Ångström & Søn 株式会社 🚀"},
			{"one character", "x", "x"},
		}
		for _, c := range names {
			t.Run("name "+c.name, func(t *testing.T) {
				body, _ := json.Marshal(map[string]string{"name": c.sent})
				r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: string(body)})
				if r.Status != http.StatusCreated {
					t.Fatalf("POST: status = %d\n%s", r.Status, r.Body)
				}
				id := r.obj()["id"].(string)
				if got := r.obj()["name"]; got != c.stored {
					t.Errorf("POST answered name %q, want %q", got, c.stored)
				}
				if got := e.erStoredName(t, id); got != c.stored {
					t.Errorf("stored name %q (%d characters), want %q", got, utf8.RuneCountInString(got), c.stored)
				}

				other := e.createOrg(key, `{"name":"Placeholder"}`)["id"].(string)
				r = e.do(req{Method: http.MethodPatch, Path: "/api/organizations/" + other, Key: key, Body: string(body)})
				if r.Status != http.StatusOK {
					t.Fatalf("PATCH: status = %d\n%s", r.Status, r.Body)
				}
				if got := e.erStoredName(t, other); got != c.stored {
					t.Errorf("PATCH stored name %q, want %q", got, c.stored)
				}
				g := e.do(req{Path: "/api/organizations/" + other, Key: key})
				if got := g.obj()["name"]; got != c.stored {
					t.Errorf("GET name %q, want %q", got, c.stored)
				}
			})
		}
	})
}

// ---------------------------------------------------------------------------
// 2. Status codes

func TestErrorsUnauthorized(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme"}`)
		revoked := e.key("ada@example.com", "live", "write")
		if _, err := e.db.APIKey.Update().Where(apikey.Hash(store.Hash(revoked))).SetRevokedAt(time.Now()).Save(context.Background()); err != nil {
			t.Fatal(err)
		}
		const (
			required = `An API key is required: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>".`
			invalid  = "The API key is not valid."
			scheme   = `The Authorization header must be "Bearer <API key>".`
		)
		cases := []struct {
			name   string
			header map[string]string
			detail string
		}{
			{"no key", nil, required},
			{"bearer without a token", map[string]string{"Authorization": "Bearer "}, scheme},
			{"unknown live key", map[string]string{"Authorization": "Bearer og_live_" + strings.Repeat("0", 48)}, invalid},
			{"unknown test key", map[string]string{"Authorization": "Bearer og_test_" + strings.Repeat("0", 48)}, invalid},
			{"not a key", map[string]string{"Authorization": "Bearer hunter2"}, invalid},
			{"revoked key", map[string]string{"Authorization": "Bearer " + revoked}, invalid},
			{"bad X-API-Key", map[string]string{"X-API-Key": "og_live_nope"}, invalid},
			{"basic auth", map[string]string{"Authorization": "Basic YWRhOmh1bnRlcjI="}, scheme},
			{"plain JSON", map[string]string{"Accept": "application/problem+json"}, required},
		}
		paths := []struct{ method, path, body string }{
			{http.MethodGet, "/api/organizations", ""},
			{http.MethodPost, "/api/organizations", `{"name":"Sneaky"}`},
			{http.MethodGet, "/api/organizations/" + org["id"].(string), ""},
			{http.MethodPatch, "/api/organizations/" + org["id"].(string), `{"name":"Sneaky"}`},
			{http.MethodDelete, "/api/organizations/" + org["id"].(string), ""},
			{http.MethodGet, "/api/me", ""},
		}
		for _, c := range cases {
			for _, p := range paths {
				t.Run(c.name+" "+p.method+" "+p.path, func(t *testing.T) {
					unchanged := e.erWatch(t, org["id"].(string))
					r := e.do(req{Method: p.method, Path: p.path, Body: p.body, Header: c.header})
					e.erAssertProblem(t, r, http.StatusUnauthorized, erErrorDoc(erLinkedErrors(c.header["Accept"]), 401, c.detail))
					if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
						t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
					}
					unchanged()
				})
			}
		}
	})
}

func TestErrorsForbidden(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		owner := e.key("ada@example.com", "live", "write")
		reader := e.key("ada@example.com", "live", "read")
		org := e.createOrg(owner, `{"name":"Acme"}`)
		id := org["id"].(string)
		const readOnly = `This API key is read-only (scope "read"): it may only GET and HEAD. Use a key with the "write" scope.`

		// A read-scoped key reads but never writes.
		for _, c := range []struct{ method, path, body string }{
			{http.MethodPost, "/api/organizations", `{"name":"Sneaky"}`},
			{http.MethodPost, "/api/organizations", `not even JSON`},
			{http.MethodPatch, "/api/organizations/" + id, `{"name":"Sneaky"}`},
			{http.MethodDelete, "/api/organizations/" + id, ""},
			{http.MethodDelete, "/api/organizations/" + uuid.NewString(), ""},
		} {
			t.Run("read key "+c.method+" "+c.path, func(t *testing.T) {
				unchanged := e.erWatch(t, id)
				r := e.do(req{Method: c.method, Path: c.path, Key: reader, Body: c.body})
				e.erAssertProblem(t, r, http.StatusForbidden, erErrorDoc(true, 403, readOnly))
				unchanged()
			})
		}
		t.Run("read key GET", func(t *testing.T) {
			if r := e.do(req{Path: "/api/organizations/" + id, Key: reader}); r.Status != http.StatusOK {
				t.Errorf("status = %d\n%s", r.Status, r.Body)
			}
		})

		// A member whose role lacks the permission.
		// The detail names the role, the permission it lacks and the roles
		// that hold it.
		for _, c := range []struct {
			role   string
			method string
			status int
			detail string
		}{
			{schema.RoleViewer, http.MethodPatch, 403, `Your role (viewer) lacks the "organization:update" permission, which the owner and admin roles hold.`},
			{schema.RoleViewer, http.MethodDelete, 403, `Your role (viewer) lacks the "organization:delete" permission, which only the owner role holds.`},
			{schema.RoleDeveloper, http.MethodPatch, 403, `Your role (developer) lacks the "organization:update" permission, which the owner and admin roles hold.`},
			{schema.RoleAdmin, http.MethodDelete, 403, `Your role (admin) lacks the "organization:delete" permission, which only the owner role holds.`},
			{schema.RoleAdmin, http.MethodPatch, 200, ""},
		} {
			t.Run(string(c.role)+" "+c.method, func(t *testing.T) {
				email := string(c.role) + "-" + strings.ToLower(c.method) + "@example.com"
				k := e.key(email, "live", "write")
				u, err := e.db.User.Query().Where(user.Email(email)).Only(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.db.Member.Create().SetOrganizationID(uuid.MustParse(id)).SetUserID(u.ID).SetRole(c.role).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				unchanged := e.erWatch(t, id)
				body := ""
				if c.method == http.MethodPatch {
					body = `{"name":"Renamed by ` + string(c.role) + `"}`
				}
				r := e.do(req{Method: c.method, Path: "/api/organizations/" + id, Key: k, Body: body})
				if c.status != 403 {
					if r.Status != c.status {
						t.Errorf("status = %d, want %d\n%s", r.Status, c.status, r.Body)
					}
					return
				}
				e.erAssertProblem(t, r, 403, erErrorDoc(true, 403, c.detail))
				unchanged()
			})
		}
		t.Run("viewer creates a workspace", func(t *testing.T) {
			k := e.key("viewer-workspace@example.com", "live", "write")
			u, err := e.db.User.Query().Where(user.Email("viewer-workspace@example.com")).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.db.Member.Create().SetOrganizationID(uuid.MustParse(id)).SetUserID(u.ID).SetRole(schema.RoleViewer).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			r := e.do(req{Method: http.MethodPost, Path: "/api/organizations/" + id + "/workspaces", Key: k, Body: `{"name":"Mine"}`})
			e.erAssertProblem(t, r, 403, erErrorDoc(true, 403,
				`Your role (viewer) lacks the "workspaces:manage" permission, which the owner, admin and developer roles hold.`))
		})
	})
}

func TestErrorsNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		adaTest := e.key("ada@example.com", "test", "write")
		bob := e.key("bob@example.com", "live", "write")
		mine := e.createOrg(ada, `{"name":"Ada's"}`)["id"].(string)
		bobs := e.createOrg(bob, `{"name":"Bob's"}`)["id"].(string)

		cases := []struct {
			name, key, id string
		}{
			{"unknown id", ada, uuid.Must(uuid.NewV7()).String()},
			{"malformed id", ada, "not-a-uuid"},
			{"numeric id", ada, "1"},
			{"another user's organization", ada, bobs},
			{"an organization of the other mode", adaTest, mine},
		}
		for _, c := range cases {
			for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
				t.Run(c.name+" "+m, func(t *testing.T) {
					body := ""
					if m == http.MethodPatch {
						body = `{"name":"Taken over"}`
					}
					watched := bobs
					if c.id == mine {
						watched = mine
					}
					unchanged := e.erWatch(t, watched)
					r := e.do(req{Method: m, Path: "/api/organizations/" + c.id, Key: c.key, Body: body})
					e.erAssertProblem(t, r, http.StatusNotFound, erErrorDoc(true, 404, erNotFound))
					unchanged()
				})
			}
		}
		t.Run("plain JSON", func(t *testing.T) {
			r := e.do(req{Path: "/api/organizations/" + bobs, Key: ada, Header: map[string]string{"Accept": "application/problem+json"}})
			e.erAssertProblem(t, r, http.StatusNotFound, erErrorDoc(false, 404, erNotFound))
		})

		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/nope"},
			{http.MethodGet, "/nope"},
			{http.MethodPost, "/api/organizations/" + mine + "/nope"},
			{http.MethodGet, "/api/organizations/"},
		} {
			t.Run("unknown route "+c.method+" "+c.path, func(t *testing.T) {
				r := e.do(req{Method: c.method, Path: c.path, Key: ada})
				detail := fmt.Sprintf("No route found for %q", c.method+" "+e.srv.URL+c.path)
				e.erAssertProblem(t, r, http.StatusNotFound, erErrorDoc(true, 404, detail))
			})
		}
	})
}

func TestErrorsMethodNotAllowed(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		id := e.createOrg(key, `{"name":"Acme"}`)["id"].(string)
		const (
			collection = "OPTIONS, HEAD, GET, POST"
			item       = "OPTIONS, HEAD, GET, PATCH, DELETE"
		)
		for _, c := range []struct {
			name, method, path, allow, key, accept string
		}{
			{"PUT collection", http.MethodPut, "/api/organizations", collection, key, ""},
			{"PUT item", http.MethodPut, "/api/organizations/" + id, item, key, ""},
			{"PUT item without key", http.MethodPut, "/api/organizations/" + id, item, "", ""},
			{"PATCH collection", http.MethodPatch, "/api/organizations", collection, key, ""},
			{"DELETE collection", http.MethodDelete, "/api/organizations", collection, key, ""},
			{"POST item", http.MethodPost, "/api/organizations/" + id, item, key, ""},
			{"PUT item as problem+json", http.MethodPut, "/api/organizations/" + id, item, key, "application/problem+json"},
		} {
			t.Run(c.name, func(t *testing.T) {
				unchanged := e.erWatch(t, id)
				r := e.do(req{Method: c.method, Path: c.path, Key: c.key, Body: `{"name":"Replaced"}`,
					Header: map[string]string{"Accept": c.accept}})
				detail := fmt.Sprintf("No route found for %q: Method Not Allowed (Allow: %s)", c.method+" "+e.srv.URL+c.path, c.allow)
				e.erAssertProblem(t, r, http.StatusMethodNotAllowed, erErrorDoc(erLinkedErrors(c.accept), 405, detail))
				if got := r.Header.Get("Allow"); got != c.allow {
					t.Errorf("Allow = %q, want %q", got, c.allow)
				}
				unchanged()
			})
		}
	})
}

func TestErrorsNotAcceptable(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		id := e.createOrg(key, `{"name":"Acme"}`)["id"].(string)
		for _, c := range []struct {
			name, method, path, body, accept string
		}{
			{"GET collection", http.MethodGet, "/api/organizations", "", "text/plain"},
			{"GET item", http.MethodGet, "/api/organizations/" + id, "", "text/plain"},
			{"POST", http.MethodPost, "/api/organizations", `{"name":"Unseen"}`, "text/plain"},
			{"PATCH", http.MethodPatch, "/api/organizations/" + id, `{"name":"Unseen"}`, "text/plain"},
			{"XML", http.MethodGet, "/api/organizations", "", "application/xml"},
			{"problem+json alone", http.MethodGet, "/api/organizations", "", "application/problem+json"},
		} {
			t.Run(c.name, func(t *testing.T) {
				unchanged := e.erWatch(t, id)
				r := e.do(req{Method: c.method, Path: c.path, Key: key, Body: c.body, Header: map[string]string{"Accept": c.accept}})
				detail := fmt.Sprintf("Requested format %q is not supported. Supported MIME types are %s.", c.accept, `"application/ld+json", "application/json", "application/n-quads", "text/turtle", "application/n-triples"`)
				e.erAssertProblem(t, r, http.StatusNotAcceptable, erErrorDoc(erLinkedErrors(c.accept), 406, detail))
				unchanged()
			})
		}
	})
}

func TestErrorsBadCollectionQuery(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		e.createOrg(key, `{"name":"Acme"}`)
		for _, c := range []struct{ query, detail string }{
			{"page=0", "Page should not be less than 1"},
			{"page=-3", "Page should not be less than 1"},
			{"page=abc", `The "page" parameter must be an integer, "abc" given.`},
			{"page=", `The "page" parameter must be an integer, "" given.`},
			{"itemsPerPage=-1", "Limit should not be less than 0"},
			{"itemsPerPage=ten", `The "itemsPerPage" parameter must be an integer, "ten" given.`},
			{"itemsPerPage=0&page=2", "Page should not be greater than 1 if limit is equal to 0"},
			{"order%5Bname%5D=sideways", `The "order[name]" parameter must be "asc" or "desc", "sideways" given.`},
			{"order[name]=sideways", `The "order[name]" parameter must be "asc" or "desc", "sideways" given.`},
			{"partial=maybe", `The "partial" parameter must be true or false, "maybe" given.`},
		} {
			t.Run(c.query, func(t *testing.T) {
				r := e.do(req{Path: "/api/organizations?" + c.query, Key: key})
				e.erAssertProblem(t, r, http.StatusBadRequest, erErrorDoc(true, 400, c.detail))
			})
		}
		// Unknown parameters and orders on undeclared properties are ignored.
		for _, q := range []string{"colour=green", "order[colour]=sideways", "page=1&itemsPerPage=0", "itemsPerPage=1000"} {
			t.Run("ignored "+q, func(t *testing.T) {
				if r := e.do(req{Path: "/api/organizations?" + q, Key: key}); r.Status != http.StatusOK {
					t.Errorf("status = %d\n%s", r.Status, r.Body)
				}
			})
		}
	})
}

// ---------------------------------------------------------------------------
// 3. Headers on every answer

func TestErrorsEveryAnswerCarriesHeaders(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		id := e.createOrg(key, `{"name":"Acme"}`)["id"].(string)
		doomed := e.createOrg(key, `{"name":"Doomed"}`)["id"].(string)
		for _, c := range []struct {
			name   string
			rq     req
			status int
		}{
			{"entrypoint", req{Path: "/api"}, 200},
			{"docs", req{Path: "/api/docs.jsonld"}, 200},
			{"context", req{Path: "/api/contexts/Organization"}, 200},
			{"collection", req{Path: "/api/organizations", Key: key}, 200},
			{"item", req{Path: "/api/organizations/" + id, Key: key}, 200},
			{"HEAD item", req{Method: http.MethodHead, Path: "/api/organizations/" + id, Key: key}, 200},
			{"create", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"New"}`}, 201},
			{"update", req{Method: http.MethodPatch, Path: "/api/organizations/" + id, Key: key, Body: `{"name":"Acme 2"}`}, 200},
			{"delete", req{Method: http.MethodDelete, Path: "/api/organizations/" + doomed, Key: key}, 204},
			{"OPTIONS", req{Method: http.MethodOptions, Path: "/api/organizations"}, 204},
			{"400", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{`}, 400},
			{"401", req{Path: "/api/organizations"}, 401},
			{"403", req{Method: http.MethodDelete, Path: "/api/organizations/" + id, Key: e.key("ada@example.com", "live", "read")}, 403},
			{"404", req{Path: "/api/organizations/" + uuid.NewString(), Key: key}, 404},
			{"404 no route", req{Path: "/nowhere"}, 404},
			{"405", req{Method: http.MethodPut, Path: "/api/organizations"}, 405},
			{"406", req{Path: "/api/organizations", Key: key, Header: map[string]string{"Accept": "text/plain"}}, 406},
			{"413", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: strings.Repeat(" ", 1<<20+1)}, 413},
			{"415", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{}`, Header: map[string]string{"Content-Type": "text/plain"}}, 415},
			{"422", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{}`}, 422},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(c.rq)
				if r.Status != c.status {
					t.Errorf("status = %d, want %d\n%s", r.Status, c.status, r.Body)
				}
				e.erAssertCommonHeaders(t, r)
				if id := r.Header.Get("X-Request-Id"); !erMintedRequestID.MatchString(id) {
					t.Errorf("X-Request-Id = %q, want req_ and 24 hex digits", id)
				}
			})
		}
	})
}

func TestErrorsRequestID(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		missing := "/api/organizations/" + uuid.NewString()

		// Sane ids are echoed, in the header and in the problem document.
		for _, id := range []string{"abc-123", "0190a9b2-7c1e-7d3a-9b7e-4a2f1c3d5e6f", "trace.id:42_x"} {
			t.Run("echo "+id, func(t *testing.T) {
				r := e.do(req{Path: missing, Key: key, Header: map[string]string{"X-Request-ID": id}})
				if got := r.Header.Get("X-Request-Id"); got != id {
					t.Errorf("X-Request-Id = %q, want %q", got, id)
				}
				e.erAssertProblem(t, r, http.StatusNotFound, erErrorDoc(true, 404, erNotFound))
				ok := e.do(req{Path: "/api/organizations", Key: key, Header: map[string]string{"X-Request-ID": id}})
				if got := ok.Header.Get("X-Request-Id"); ok.Status != http.StatusOK || got != id {
					t.Errorf("success: %d, X-Request-Id = %q, want %q", ok.Status, got, id)
				}
			})
		}

		// Anything else is replaced by a fresh id.
		for name, id := range map[string]string{
			"300 characters": strings.Repeat("a", 300),
			"spaces":         "abc 123",
			"quotes":         `abc"123`,
			"semicolon":      "abc;rm -rf",
			"non-ASCII":      "ïd-123",
			"HTML":           "<script>alert(1)</script>",
		} {
			t.Run("replace "+name, func(t *testing.T) {
				r := e.do(req{Path: missing, Key: key, Header: map[string]string{"X-Request-ID": id}})
				got := r.Header.Get("X-Request-Id")
				if got == id || !erMintedRequestID.MatchString(got) {
					t.Errorf("X-Request-Id = %q, want req_ and 24 hex digits", got)
				}
				e.erAssertProblem(t, r, http.StatusNotFound, erErrorDoc(true, 404, erNotFound))
			})
		}

		t.Run("minted ids differ", func(t *testing.T) {
			a := e.do(req{Path: missing, Key: key}).Header.Get("X-Request-Id")
			b := e.do(req{Path: missing, Key: key}).Header.Get("X-Request-Id")
			if a == b || !erMintedRequestID.MatchString(a) || !erMintedRequestID.MatchString(b) {
				t.Errorf("ids %q and %q", a, b)
			}
		})
	})
}

// ---------------------------------------------------------------------------
// Client input that the database cannot take is the client's error, the
// same on both backends; never a 500.

// erAssertClientError checks an error answer whose exact wording the contract
// leaves open: one of the statuses, a problem document of the right class,
// request_id, and the headers every answer carries.
func (e *env) erAssertClientError(t *testing.T, r *response, statuses ...int) {
	t.Helper()
	ok := false
	for _, s := range statuses {
		ok = ok || r.Status == s
	}
	if !ok {
		t.Errorf("status = %d, want one of %v\n%s", r.Status, statuses, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != erProblemType {
		t.Errorf("Content-Type = %q, want %q", ct, erProblemType)
	}
	e.erAssertCommonHeaders(t, r)
	doc := r.obj()
	wantType := "Error"
	if r.Status == http.StatusUnprocessableEntity {
		wantType = "ConstraintViolation"
	}
	wantTitle := problems.TitleOf(r.Status)
	if wantType == "ConstraintViolation" {
		wantTitle = problems.ValidationTitle
	}
	if fmt.Sprint(doc["@type"]) != fmt.Sprint([]any{wantType, "hydra:Error"}) || doc["status"] != float64(r.Status) || doc["title"] != wantTitle ||
		doc["detail"] == "" || doc["request_id"] != r.Header.Get("X-Request-Id") {
		t.Errorf("not a %s problem document: %s", wantType, r.Body)
	}
}

func TestErrorsNULCharacters(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		id := e.createOrg(key, `{"name":"Acme"}`)["id"].(string)
		for _, c := range []struct {
			name string
			rq   req
		}{
			{"POST name", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"Ac\u0000me"}`}},
			{"POST contact.first_name", req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: `{"name":"Acme","contact":{"first_name":"Ada\u0000"}}`}},
			{"PATCH name", req{Method: http.MethodPatch, Path: "/api/organizations/" + id, Key: key, Body: `{"name":"Ac\u0000me"}`}},
			{"PATCH address.city", req{Method: http.MethodPatch, Path: "/api/organizations/" + id, Key: key, Body: `{"address":{"city":"\u0000"}}`}},
			{"GET name filter", req{Path: "/api/organizations?name=Ac%00me", Key: key}},
		} {
			t.Run(c.name, func(t *testing.T) {
				unchanged := e.erWatch(t, id)
				r := e.do(c.rq)
				e.erAssertClientError(t, r, http.StatusBadRequest, http.StatusUnprocessableEntity)
				unchanged()
			})
		}
	})
}

// TestHugePageNumber: a page whose offset overflows must not wrap around
// (to page 1 on SQLite, to a negative OFFSET and a 500 on PostgreSQL): it
// is either a 400 or an empty page.
func TestErrorsHugePageNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		e.createOrg(key, `{"name":"Acme"}`)
		for _, q := range []string{
			"page=9223372036854775807",
			"page=4611686018427387904",
			"page=9223372036854775807&itemsPerPage=100",
			"page=9223372036854775807&partial=true",
		} {
			t.Run(q, func(t *testing.T) {
				r := e.do(req{Path: "/api/organizations?" + q, Key: key})
				if r.Status == http.StatusOK {
					if m, _ := r.obj()["member"].([]any); len(m) != 0 {
						t.Errorf("a page past the end lists %d organizations", len(m))
					}
					return
				}
				e.erAssertClientError(t, r, http.StatusBadRequest)
			})
		}
	})
}

// TestInternalErrorLeaksNothing: when the database fails, the client gets
// a 500 problem document that says nothing about it.
func TestErrorsInternalErrorLeaksNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		e.createOrg(key, `{"name":"Acme"}`)
		e.db.Close()
		for _, accept := range []string{"", "application/json"} {
			r := e.do(req{Path: "/api/organizations", Key: key, Header: map[string]string{"Accept": accept}})
			e.erAssertProblem(t, r, http.StatusInternalServerError, erErrorDoc(erLinkedErrors(accept), 500, "Internal Server Error"))
			for _, leak := range []string{"sql", "database", "closed", "ent:", "pgx", "sqlite"} {
				if bytes.Contains(bytes.ToLower(r.Body), []byte(leak)) {
					t.Errorf("the body mentions %q: %s", leak, r.Body)
				}
			}
		}
	})
}

// TestBodyLimitBoundary: exactly 1 MiB is read; one byte more is a 413.
func TestErrorsBodyLimitBoundary(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		pad := func(n int) string {
			s := `{"name":"Acme"}`
			return s + strings.Repeat(" ", n-len(s))
		}
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: pad(1 << 20)})
		if r.Status != http.StatusCreated {
			t.Errorf("exactly 1 MiB: status = %d\n%.300s", r.Status, r.Body)
		}
		unchanged := e.erWatch(t, "")
		r = e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: pad(1<<20 + 1)})
		e.erAssertProblem(t, r, http.StatusRequestEntityTooLarge, erErrorDoc(true, 413, erTooLarge))
		unchanged()
	})
}
