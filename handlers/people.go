package handlers

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	m, err := s.db.Member.Query().
		Where(member.ID(id), member.HasOrganizationWith(visibleOrganizations(p))).
		WithUser().
		Only(ctx)
	if ent.IsNotFound(err) {
		return problems.NotFound()
	}
	if err != nil {
		return fmt.Errorf("find member: %w", err)
	}
	n := memberNode(m)
	n.Context = hydra.ContextsPath + hydra.Member.Name
	return s.writeDocument(w, r, http.StatusOK, n)
}

// getUser answers for the caller only, for now: other users are a 404.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	p := caller(r.Context())
	if mux.Vars(r)["id"] != p.User.ID.String() {
		return problems.NotFound()
	}
	return s.writeDocument(w, r, http.StatusOK, userNode(p.User))
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	return s.writeDocument(w, r, http.StatusOK, userNode(caller(r.Context()).User))
}

func userNode(u *ent.User) *hydra.Node {
	n := hydra.NewNode(hydra.User, hydra.User.IRI(u.ID.String())).
		Set("id", u.ID.String()).
		Set("email", u.Email).
		Set("name", u.Name).
		Set("created_at", u.CreatedAt)
	n.Context = hydra.ContextsPath + hydra.User.Name
	return n
}
