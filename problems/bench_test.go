package problems_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/problems"
)

// Benchmarks of the problem document writer, as handlers' fail calls it:
//
//	go test -run XXX -bench . -benchmem ./problems

const (
	benchRequestID = "req_5f2b9c0e1a7d4e3f8b6c2a19"
	// benchDocsLink is the Link header the common middleware has set before
	// any handler runs (hydra.DocsLink).
	benchDocsLink = `<http://localhost:8080/api/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"`
)

// discardWriter is a ResponseWriter that keeps nothing but the status and
// the byte count; its header map is reused, reset to what the middleware
// leaves in it, so that the loop measures Write and not the writer.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

var (
	docsLinkValues  = []string{benchDocsLink}
	requestIDValues = []string{benchRequestID}
	varyValues      = []string{"Accept"}
)

func newDiscardWriter() *discardWriter { return &discardWriter{h: make(http.Header, 8)} }

func (w *discardWriter) reset() {
	clear(w.h)
	w.h["X-Request-Id"] = requestIDValues
	w.h["Link"] = docsLinkValues
	w.h["Vary"] = varyValues
	w.status, w.n = 0, 0
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) WriteHeader(status int) { w.status = status }

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}

// record writes the problem once through httptest.ResponseRecorder, with the
// headers the middleware sets, and checks what every problem answer has.
func record(tb testing.TB, r *http.Request, p *problems.Problem, linkedData bool) (*httptest.ResponseRecorder, map[string]any) {
	tb.Helper()
	rec := httptest.NewRecorder()
	rec.Header().Set("Link", benchDocsLink)
	problems.Write(rec, r, p, linkedData, benchRequestID, "")
	if rec.Code != p.Status {
		tb.Fatalf("status %d, want %d", rec.Code, p.Status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != problems.ContentType {
		tb.Fatalf("Content-Type %q", ct)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
		tb.Fatalf("Content-Length %q for %d bytes", cl, rec.Body.Len())
	}
	wantLink := benchDocsLink
	if linkedData {
		wantLink = problems.ErrorContextLink + "," + benchDocsLink
	}
	if link := rec.Header().Get("Link"); link != wantLink {
		tb.Fatalf("Link %q, want %q", link, wantLink)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		tb.Fatalf("not valid JSON: %v\n%s", err, rec.Body.Bytes())
	}
	title := problems.TitleOf(p.Status)
	if p.Violations != nil {
		title = problems.ValidationTitle
	}
	if doc["status"] != float64(p.Status) || doc["title"] != title || doc["request_id"] != benchRequestID {
		tb.Fatalf("unexpected problem document: %s", rec.Body.Bytes())
	}
	if !linkedData {
		for k := range doc {
			if strings.HasPrefix(k, "@") {
				tb.Fatalf("plain problem+json carries %s: %s", k, rec.Body.Bytes())
			}
		}
	}
	return rec, doc
}

func benchmarkWrite(b *testing.B, r *http.Request, p *problems.Problem, linkedData bool) {
	w := newDiscardWriter()
	w.reset()
	problems.Write(w, r, p, linkedData, benchRequestID, "")
	if w.status != p.Status || w.n == 0 {
		b.Fatalf("discardWriter saw status %d, %d bytes", w.status, w.n)
	}
	b.ReportAllocs()
	b.SetBytes(int64(w.n))
	for b.Loop() {
		w.reset()
		problems.Write(w, r, p, linkedData, benchRequestID, "")
	}
}

func notFoundRequest() *http.Request {
	return httptest.NewRequest(http.MethodGet, "/api/organizations/0190a001-4d1e-4c3a-9f2b-000000000001", nil)
}

// BenchmarkWriteNotFoundLinkedData is the 404 as a Hydra Error (Accept:
// application/ld+json or none).
func BenchmarkWriteNotFoundLinkedData(b *testing.B) {
	r, p := notFoundRequest(), problems.NotFound()
	rec, _ := record(b, r, p, true)
	want := `{"@context":"/api/contexts/Error","@id":"/api/errors/404","@type":"Error","title":"Resource not found",` +
		`"detail":"Not Found","status":404,"type":"/errors/404","description":"Not Found","request_id":"` + benchRequestID + `"}`
	if got := rec.Body.String(); got != want {
		b.Fatalf("got  %s\nwant %s", got, want)
	}
	benchmarkWrite(b, r, p, true)
}

// BenchmarkWriteNotFoundPlain is the 404 as plain problem+json (Accept:
// application/json or application/problem+json).
func BenchmarkWriteNotFoundPlain(b *testing.B) {
	r, p := notFoundRequest(), problems.NotFound()
	rec, _ := record(b, r, p, false)
	want := `{"title":"Resource not found","detail":"Not Found","status":404,"type":"/errors/404","request_id":"` + benchRequestID + `"}`
	if got := rec.Body.String(); got != want {
		b.Fatalf("got  %s\nwant %s", got, want)
	}
	benchmarkWrite(b, r, p, false)
}

// threeViolations is what POST /api/organizations with a blank name, a bad
// contact email and a too long phone number collects.
func threeViolations() []problems.Violation {
	return []problems.Violation{
		{PropertyPath: "name", Message: "This value should not be blank.", Code: problems.CodeNotBlank},
		{PropertyPath: "contact.email", Message: "This value is not a valid email address.", Code: problems.CodeInvalidMail},
		{PropertyPath: "phone_number", Message: "This value is too long. It should have 32 characters or less.", Code: problems.CodeTooLong},
	}
}

func validationRequest() *http.Request {
	return httptest.NewRequest(http.MethodPost, "/api/organizations", strings.NewReader(`{"name":""}`))
}

func checkViolations(b *testing.B, doc map[string]any, linkedData bool) {
	b.Helper()
	id := "0=" + problems.CodeNotBlank + ";1=" + problems.CodeInvalidMail + ";2=" + problems.CodeTooLong
	vs, _ := doc["violations"].([]any)
	if len(vs) != 3 || doc["type"] != "/validation_errors/"+id ||
		!strings.Contains(doc["detail"].(string), "contact.email: This value is not a valid email address.") {
		b.Fatalf("unexpected violations document: %v", doc)
	}
	for i, v := range vs {
		m, _ := v.(map[string]any)
		if m["propertyPath"] != threeViolations()[i].PropertyPath || m["code"] != threeViolations()[i].Code {
			b.Fatalf("violation %d: %v", i, v)
		}
	}
	if linkedData && (doc["@type"] != "ConstraintViolation" || doc["@id"] != "/api/validation_errors/"+id ||
		doc["@context"] != "/api/contexts/ConstraintViolation" || doc["description"] != doc["detail"]) {
		b.Fatalf("unexpected JSON-LD keys: %v", doc)
	}
}

// BenchmarkWriteValidation3LinkedData is a 422 with three violations as a
// Hydra ConstraintViolation.
func BenchmarkWriteValidation3LinkedData(b *testing.B) {
	r, p := validationRequest(), problems.Validation(threeViolations())
	_, doc := record(b, r, p, true)
	checkViolations(b, doc, true)
	benchmarkWrite(b, r, p, true)
}

// BenchmarkWriteValidation3Plain is the same 422 as plain problem+json.
func BenchmarkWriteValidation3Plain(b *testing.B) {
	r, p := validationRequest(), problems.Validation(threeViolations())
	_, doc := record(b, r, p, false)
	checkViolations(b, doc, false)
	benchmarkWrite(b, r, p, false)
}

// BenchmarkNewValidation3 is building the 422 problem (its detail) from the
// violations, which the decoder does before Write.
func BenchmarkNewValidation3(b *testing.B) {
	vs := threeViolations()
	if p := problems.Validation(vs); p.Status != http.StatusUnprocessableEntity || strings.Count(p.Detail, "\n") != 2 {
		b.Fatalf("unexpected problem: %+v", p)
	}
	b.ReportAllocs()
	for b.Loop() {
		problems.Validation(vs)
	}
}
