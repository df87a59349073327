package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// negotiate picks the output format from Accept, or fails with 406.
func negotiate(r *http.Request) (hydra.Format, error) {
	accept := r.Header.Get("Accept")
	f, ok := hydra.Negotiate(accept)
	if !ok {
		return f, problems.Newf(http.StatusNotAcceptable, "Requested format %q is not supported. Supported MIME types are %s.", accept, hydra.Supported())
	}
	return f, nil
}

// document is anything that can append itself as JSON in a format.
type document interface {
	AppendJSON(b []byte, mode hydra.Mode) []byte
}

// writeDocument negotiates, encodes and writes a resource document.
func writeDocument(w http.ResponseWriter, r *http.Request, status int, doc document) error {
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	writeBody(w, r, status, f.MediaType(), doc.AppendJSON(make([]byte, 0, 1024), f.Mode()))
	return nil
}

// writeJSON writes a document built as Go maps (docs, contexts): they are
// not on the hot path.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.URL.Path, err)
	}
	writeBody(w, r, status, contentType, b)
	return nil
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
