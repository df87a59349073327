package problems

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// ContentType is the media type of every error answer, whatever its form
// (API Platform sends JSON-LD errors as problem+json too).
const ContentType = "application/problem+json; charset=utf-8"

// Paths the JSON-LD form points at. The @id keeps the /api prefix and the
// type does not, as API Platform does.
const (
	errorContext     = "/api/contexts/Error"
	violationContext = "/api/contexts/ConstraintViolation"
)

// document is the wire form. Key order follows API Platform 4: Error lists
// title, detail, status, type, description; ConstraintViolation lists status,
// violations, detail, description, type, title. encoding/json keeps struct
// order, so two shapes.
type document struct {
	Context     string   `json:"@context,omitempty"`
	ID          string   `json:"@id,omitempty"`
	Type        []string `json:"@type,omitempty"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Status      int      `json:"status"`
	ProblemType string   `json:"type"`
	Description string   `json:"description,omitempty"`
	RequestID   string   `json:"request_id,omitempty"`
}

type violationDocument struct {
	Context     string      `json:"@context,omitempty"`
	ID          string      `json:"@id,omitempty"`
	Type        []string    `json:"@type,omitempty"`
	Status      int         `json:"status"`
	Violations  []Violation `json:"violations"`
	Detail      string      `json:"detail"`
	Description string      `json:"description,omitempty"`
	ProblemType string      `json:"type"`
	Title       string      `json:"title"`
	RequestID   string      `json:"request_id,omitempty"`
}

// Document returns the problem as a value ready for encoding/json: the
// JSON-LD form when linkedData is true, plain problem details otherwise.
func (p *Problem) Document(linkedData bool, requestID string) any {
	if p.Violations != nil {
		codes := make([]string, len(p.Violations))
		for i, v := range p.Violations {
			codes[i] = v.Code
		}
		id := violationID(codes)
		d := violationDocument{Status: p.Status, Violations: p.Violations, Detail: p.Detail,
			ProblemType: ValidationErrorsPath + id, Title: ValidationTitle, RequestID: requestID}
		if linkedData {
			d.Context, d.ID, d.Type, d.Description = violationContext, APIValidationErrorsPath+id, violationTypes, p.Detail
		}
		return d
	}
	status := strconv.Itoa(p.Status)
	d := document{Title: TitleOf(p.Status), Detail: p.Detail, Status: p.Status, ProblemType: ErrorsPath + status, RequestID: requestID}
	if linkedData {
		d.Context, d.ID, d.Type, d.Description = errorContext, APIErrorsPath+status, errorTypes, p.Detail
	}
	return d
}

// The types of the JSON-LD forms: API Platform's class, and Hydra's Error,
// which generic Hydra clients look for (alcaeus takes the node typed
// hydra:Error as a problem document's root). The contexts define the
// hydra prefix; the documentation says Error is a kind of hydra:Error.
var (
	errorTypes     = []string{"Error", "hydra:Error"}
	violationTypes = []string{"ConstraintViolation", "hydra:Error"}
)

// violationID is API Platform's id for a list of codes: the code itself for
// one violation, "0=a;1=b" for several.
func violationID(codes []string) string {
	if len(codes) == 1 {
		return codes[0]
	}
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(i) + "=" + c
	}
	return strings.Join(parts, ";")
}

// ErrorContextLink is API Platform's link on a JSON-LD problem document
// (Hydra's recommendation for problem+json answers).
const ErrorContextLink = `<http://www.w3.org/ns/hydra/error>; rel="http://www.w3.org/ns/json-ld#error"`

// contextLink names the context of a JSON-LD problem document the way
// JSON-LD 1.1 reads a context for a +json media type (§6.1): a JSON-LD
// processor given application/problem+json (alcaeus, which otherwise
// parses no representation at all) reads the body as JSON-LD with it.
// base makes the URL absolute (a relative one is valid, but alcaeus
// fetches a context link's URL as written, which outside a browser fails).
func contextLink(p *Problem, base string) string {
	path := errorContext
	if p.Violations != nil {
		path = violationContext
	}
	return "<" + base + path + `>; rel="http://www.w3.org/ns/json-ld#context"`
}

// Write renders the problem. linkedData chooses the JSON-LD form; the caller
// has negotiated it. base is the API's scheme and host, which the JSON-LD
// form's context link starts with ("" for a path-absolute link). HEAD
// answers carry no body.
func Write(w http.ResponseWriter, r *http.Request, p *Problem, linkedData bool, requestID, base string) {
	h := w.Header()
	for k, vs := range p.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	// Headers of a half-built success answer must not leak into the error.
	h.Del("ETag")
	h.Del("Location")
	h.Del("Content-Location")
	h.Set("Content-Type", ContentType)
	if linkedData { // one Link field, error context first, as API Platform sends it
		docs := h.Get("Link")
		links := ErrorContextLink + "," + contextLink(p, base)
		if docs != "" {
			links += "," + docs
		}
		h.Set("Link", links)
	}
	body, err := json.Marshal(p.Document(linkedData, requestID))
	if err != nil { // cannot happen: the document holds only strings and ints
		body = []byte(`{"title":` + strconv.Quote(TitleOf(http.StatusInternalServerError)) + `,"status":500}`)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
