package handlers

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/hydra"
)

// routes is the one place every route is declared. Each path lists its
// methods; methods() answers HEAD, OPTIONS and 405 from that list.
func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = s.handle(s.noRoute)
	r.MethodNotAllowedHandler = s.handle(s.noRoute)

	// Documentation: public, so that JSON-LD processors and Hydra clients
	// can read it before they hold a key.
	r.Handle(hydra.EntrypointPath, s.methods(get(s.entrypoint)))
	r.Handle(hydra.DocsPath, s.methods(get(s.documentation)))
	r.Handle(hydra.ContextsPath+"{class}", s.methods(get(s.context)))

	// Resources.
	org := hydra.Organization.Resource
	r.Handle(org.Collection, s.methods(byMethod{
		http.MethodGet:  s.authenticated(s.listOrganizations),
		http.MethodPost: s.authenticated(s.createOrganization),
	}))
	r.Handle(org.Item+"{id}", s.methods(byMethod{
		http.MethodGet:    s.authenticated(s.getOrganization),
		http.MethodPatch:  s.authenticated(s.patchOrganization),
		http.MethodDelete: s.authenticated(s.deleteOrganization),
	}))
	r.Handle(hydra.Member.Resource.Item+"{id}", s.methods(get(s.authenticated(s.getMember))))
	r.Handle(hydra.User.Resource.Item+"{id}", s.methods(get(s.authenticated(s.getUser))))
	r.Handle("/api/me", s.methods(get(s.authenticated(s.getMe))))

	return s.common(r)
}
