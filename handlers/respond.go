package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// negotiate picks the output format from the URL suffix or Accept, or
// fails with 406 (a suffix that Accept refuses is a 406 too, as in API
// Platform).
func negotiate(r *http.Request) (hydra.Format, error) {
	accept := r.Header.Get("Accept")
	if f, ok := r.Context().Value(formatKey).(hydra.Format); ok {
		if !hydra.Accepts(accept, f) {
			return f, notAcceptable(accept)
		}
		return f, nil
	}
	f, ok := hydra.Negotiate(accept)
	if !ok {
		return f, notAcceptable(accept)
	}
	return f, nil
}

// negotiateEarly is negotiate for the check a handler makes before any
// work, so that a 406 costs nothing — except for a client that accepts
// problem documents only (Accept: application/problem+json): a request of
// its that fails gets its problem document, and one that would succeed
// gets its 406 when the answer is written (writeDocument) or, for a write,
// before the transaction commits (answeringTx), so nothing is written.
func negotiateEarly(r *http.Request) error {
	_, err := negotiate(r)
	if err != nil && hydra.AcceptsProblems(r.Header.Get("Accept")) {
		return nil
	}
	return err
}

// answeringTx runs a write whose answer is a document: the answer's format
// is checked last, inside the transaction, so that a client that accepts
// no format of the document gets its 406 with nothing written, after the
// problem any failing step would have given it.
func (s *Server) answeringTx(r *http.Request, fn func(tx *ent.Tx) error) error {
	return s.db.Tx(r.Context(), func(tx *ent.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := negotiate(r)
		return err
	})
}

func notAcceptable(accept string) *problems.Problem {
	return problems.Newf(http.StatusNotAcceptable, "Requested format %q is not supported. Supported MIME types are %s.", accept, hydra.Supported())
}

// document is anything that can append itself as JSON in a format.
type document interface {
	AppendJSON(b []byte, mode hydra.Mode) []byte
}

// writeDocument negotiates, encodes and writes a resource document.
func (s *Server) writeDocument(w http.ResponseWriter, r *http.Request, status int, doc document) error {
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	return s.send(w, r, status, f, doc.AppendJSON(make([]byte, 0, 1024), f.Mode()))
}

// render is the exact body a GET of doc would send in the request's format
// (JSON-LD, the default, for a client that accepts problem documents only:
// its If-Match still compares with what it read).
func (s *Server) render(r *http.Request, doc document) ([]byte, error) {
	f, err := negotiate(r)
	if err != nil {
		if err := negotiateEarly(r); err != nil {
			return nil, err
		}
		f = hydra.JSONLD
	}
	b := doc.AppendJSON(make([]byte, 0, 1024), f.Mode())
	if f.Processed() {
		base := s.base(r)
		if b, err = s.api.Process(f, b, base, base+r.URL.Path); err != nil {
			return nil, fmt.Errorf("render %s: %w", r.URL.Path, err)
		}
	}
	return b, nil
}

// precondition checks If-Match against the item's current representation
// (call it under the organization's lock, so that of two writers holding
// the same tag exactly one wins): 412 when stale, 428 when missing and the
// server requires it. The tag is computed as a GET computes it, so a
// client passes back the ETag it read.
func (s *Server) precondition(r *http.Request, current *hydra.Node) error {
	header := r.Header.Get("If-Match")
	if header == "" {
		if s.requireIfMatch {
			return problems.New(http.StatusPreconditionRequired, "This server requires an If-Match header on PATCH and DELETE: send the ETag of the version you read.")
		}
		return nil
	}
	current.Context = hydra.ContextsPath + current.Class.Name
	b, err := s.render(r, current)
	if err != nil {
		return err
	}
	if !ifMatch(header, etag(b)) {
		return problems.New(http.StatusPreconditionFailed, "The resource has changed since the version named by If-Match: read it again and retry.")
	}
	return nil
}

// ifMatch evaluates If-Match with the strong comparison RFC 9110 §13.1.1
// requires: weak tags never match.
func ifMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// writeJSON writes a document built as Go maps (docs, contexts, entrypoint):
// they are not on the hot path.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, f hydra.Format, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.URL.Path, err)
	}
	return s.send(w, r, status, f, b)
}

// send renders a compacted document in format f (json-gold runs only for
// the expanded, flattened and N-Quads renderings), tags successful GETs
// with a strong ETag and answers If-None-Match with 304.
func (s *Server) send(w http.ResponseWriter, r *http.Request, status int, f hydra.Format, b []byte) error {
	if f.Processed() {
		base := s.base(r)
		var err error
		if b, err = s.api.Process(f, b, base, base+r.URL.Path); err != nil {
			return fmt.Errorf("render %s: %w", r.URL.Path, err)
		}
	}
	if status == http.StatusOK && r.Method != http.MethodPost && notModified(w, r, b) {
		return nil
	}
	writeBody(w, r, status, f.MediaType(), b)
	return nil
}

// notModified tags a 200 answer's bytes with a strong ETag (a PATCH answer
// too, for the next If-Match) and, when a GET's If-None-Match names it,
// answers 304 and reports true.
func notModified(w http.ResponseWriter, r *http.Request, b []byte) bool {
	tag := etag(b)
	w.Header().Set("ETag", tag)
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.Header().Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// etag is a strong validator of the exact bytes sent (FNV-1a, 64 bits: a
// cache key, not a security boundary).
func etag(b []byte) string {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return `"` + strconv.FormatUint(h.Sum64(), 16) + `"`
}

// noneMatch evaluates If-None-Match (weak comparison, RFC 9110 §13.1.2).
func noneMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// Media types accepted in request bodies.
var (
	createTypes = []string{"application/ld+json", "application/json"}
	// API Platform Admin sends PATCH as application/ld+json when its key is
	// wired the way its docs show (admin#590), so ld+json is read with
	// merge-patch meaning too.
	patchTypes = []string{"application/merge-patch+json", "application/ld+json"}
)

// readPatch reads what every PATCH starts with, in order: the answer's
// format (406 before anything else), the route's id (404), the body
// (415, 413, 400).
func readPatch(w http.ResponseWriter, r *http.Request) (uuid.UUID, []byte, error) {
	if err := negotiateEarly(r); err != nil {
		return uuid.Nil, nil, err
	}
	id, ok := routeID(r)
	if !ok {
		return uuid.Nil, nil, problems.NotFound()
	}
	body, err := readBody(w, r, patchTypes)
	return id, body, err
}

// readBody checks the Content-Type (415) and reads the body (413 past the limit).
func readBody(w http.ResponseWriter, r *http.Request, accepted []string) ([]byte, error) {
	header := r.Header.Get("Content-Type")
	if header == "" {
		return nil, unsupported(r, `The "Content-Type" header must exist.`, accepted)
	}
	ct := hydra.ContentType(header)
	ok := false
	for _, a := range accepted {
		ok = ok || ct == a
	}
	if !ok {
		quoted := make([]string, len(accepted))
		for i, a := range accepted {
			quoted[i] = strconv.Quote(a)
		}
		return nil, unsupported(r, fmt.Sprintf("The content-type %q is not supported. Supported MIME types are %s.", header, strings.Join(quoted, ", ")), accepted)
	}
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, problems.BadRequest("The request body could not be read.")
	}
	return body, nil
}

func unsupported(r *http.Request, detail string, accepted []string) *problems.Problem {
	p := problems.New(http.StatusUnsupportedMediaType, detail)
	if r.Method == http.MethodPatch {
		p.With("Accept-Patch", strings.Join(accepted, ", "))
	}
	return p
}

// routeID reads the {id} of an item route. Only the canonical lower-case
// form is an IRI of ours: /api/organizations/urn:uuid:… or an upper-case id
// would name the same row under another IRI, so those are a 404.
func routeID(r *http.Request) (uuid.UUID, bool) {
	raw := mux.Vars(r)["id"]
	id, err := uuid.Parse(raw)
	if err != nil || id.String() != raw {
		return uuid.UUID{}, false
	}
	return id, true
}

// decode reads a request body as an instance of class c: parsed once, read
// in Orgraph's terms whatever the client's JSON-LD spelling, then validated.
func (s *Server) decode(r *http.Request, c *hydra.Class, body []byte, create bool) (hydra.Input, error) {
	return s.decodeWith(r, c, body, create, nil)
}

// decodeCreate reads a POST body for class c: the answer's format is
// negotiated first (a 406 before any work), and on an alias route the
// organization comes from the path.
func (s *Server) decodeCreate(w http.ResponseWriter, r *http.Request, c *hydra.Class) (hydra.Input, error) {
	if err := negotiateEarly(r); err != nil {
		return nil, err
	}
	fixed, err := organizationFromRoute(r)
	if err != nil {
		return nil, err
	}
	body, err := readBody(w, r, createTypes)
	if err != nil {
		return nil, err
	}
	return s.decodeWith(r, c, body, true, fixed)
}

// decodeWith is decode with some properties fixed by the route (the
// organization of /api/organizations/{id}/workspaces), whatever the body says.
func (s *Server) decodeWith(r *http.Request, c *hydra.Class, body []byte, create bool, fixed map[string]any) (hydra.Input, error) {
	obj, prob := hydra.Parse(body)
	if prob != nil {
		return nil, prob
	}
	if base := s.base(r); hydra.NeedsLinkedDataReading(c, obj, base) {
		if obj, prob = s.api.ReadAsLinkedData(c, obj, base, base+r.URL.Path); prob != nil {
			return nil, prob
		}
	}
	for k, v := range fixed {
		obj[k] = v
	}
	in, prob := c.Validate(obj, create)
	if prob != nil {
		return nil, prob
	}
	return in, nil
}

// capture holds a handler's answer, its status and body, until it has been
// kept: by the document cache (with a header map of its own: the headers
// the handler set) or as an Idempotency-Key's answer (with the real one's).
type capture struct {
	header http.Header
	status int
	body   []byte
	scope  uuid.UUID // see cacheScope
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, p...)
	return len(p), nil
}
