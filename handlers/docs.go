package handlers

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// The documentation changes only with a deployment; clients may keep it a
// few minutes and revalidate with the ETag.
const docsCacheControl = "public, max-age=300"

func (s *Server) entrypoint(w http.ResponseWriter, r *http.Request) error {
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	doc := s.api.Entrypoint()
	if f == hydra.JSON {
		for k := range doc {
			if k[0] == '@' {
				delete(doc, k)
			}
		}
	}
	w.Header().Set("Cache-Control", docsCacheControl)
	return s.writeJSON(w, r, http.StatusOK, f, doc)
}

func (s *Server) documentation(w http.ResponseWriter, r *http.Request) error {
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	if f == hydra.JSON { // the plain-JSON description is OpenAPI's job
		f = hydra.JSONLD
	}
	w.Header().Set("Cache-Control", docsCacheControl)
	return s.writeJSON(w, r, http.StatusOK, f, s.api.Documentation(s.base(r)))
}

func (s *Server) context(w http.ResponseWriter, r *http.Request) error {
	if _, err := negotiate(r); err != nil {
		return err
	}
	doc, ok := s.api.ContextDocument(mux.Vars(r)["class"], s.base(r))
	if !ok {
		return problems.NotFound()
	}
	// A context is always written as it is: it is not data to expand.
	w.Header().Set("Cache-Control", docsCacheControl)
	return s.writeJSON(w, r, http.StatusOK, hydra.JSONLD, doc)
}
