package handlers

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

const ldJSON = "application/ld+json; charset=utf-8"

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
	return writeJSON(w, r, http.StatusOK, f.MediaType(), doc)
}

func (s *Server) documentation(w http.ResponseWriter, r *http.Request) error {
	if _, err := negotiate(r); err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, ldJSON, s.api.Documentation(s.base(r)))
}

func (s *Server) context(w http.ResponseWriter, r *http.Request) error {
	if _, err := negotiate(r); err != nil {
		return err
	}
	doc, ok := s.api.ContextDocument(mux.Vars(r)["class"], s.base(r))
	if !ok {
		return problems.NotFound()
	}
	return writeJSON(w, r, http.StatusOK, ldJSON, doc)
}
