package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/store"
)

// docsCacheControl: the documentation changes only with a deployment, so
// clients may keep it a few minutes and revalidate with the ETag. Shared
// caches may keep it only when the server knows its public URL
// (--base-url): otherwise the documents name whatever Host the request
// carried, and one client's Host must not reach another through a cache.
func (s *Server) docsCacheControl() string {
	if s.baseURL == "" {
		return "private, max-age=300"
	}
	return "public, max-age=300"
}

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
	w.Header().Set("Cache-Control", s.docsCacheControl())
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
	w.Header().Set("Cache-Control", s.docsCacheControl())
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
	w.Header().Set("Cache-Control", s.docsCacheControl())
	return s.writeJSON(w, r, http.StatusOK, hydra.JSONLD, doc)
}

// docs is the documentation without a suffix: OpenAPI for a client that
// asks for it (or for plain JSON), the Hydra documentation otherwise.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) error {
	if hydra.PrefersOpenAPI(r.Header.Get("Accept")) {
		return s.openAPI(w, r)
	}
	return s.documentation(w, r)
}

// openAPI writes the OpenAPI description (GET /api/docs.json).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	accept := r.Header.Get("Accept")
	mediaType, ok := hydra.NegotiateOpenAPI(accept)
	if !ok {
		return problems.Newf(http.StatusNotAcceptable, "Requested format %q is not supported. Supported MIME types are %q, %q.", accept, hydra.OpenAPIMediaType, "application/json")
	}
	b, err := s.openAPIDoc.bytes(s.base(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", s.docsCacheControl())
	if notModified(w, r, b) {
		return nil
	}
	writeBody(w, r, http.StatusOK, mediaType+"; charset=utf-8", b)
	return nil
}

// openAPIExtras are the routes of routes.go the registry does not declare:
// the aliases under an organization, /api/me and the operations endpoints.
// TestOpenAPICoversEveryRoute holds this list and the router together.
var openAPIExtras = func() []hydra.ExtraOperation {
	orgs := hydra.Organization.Resource.Item + "{org}"
	inOrg := map[string]string{"org": "organization"}
	return []hydra.ExtraOperation{
		{Path: orgs + "/members/invite", Class: hydra.Invitation, Kind: hydra.Post, Sets: inOrg, Summary: "Invites someone to the organization."},
		{Path: orgs + "/workspaces", Class: hydra.Workspace, Kind: hydra.GetCollection, Sets: inOrg},
		{Path: orgs + "/workspaces", Class: hydra.Workspace, Kind: hydra.Post, Sets: inOrg},
		{Path: orgs + "/roles", Class: hydra.Role, Kind: hydra.GetCollection, Sets: inOrg},
		{Path: mePath, Class: hydra.User, Kind: hydra.Get, Summary: "Retrieves the caller."},
		{Path: healthzPath, Summary: "The process is up.", Media: "application/json"},
		{Path: readyzPath, Summary: "The database is reachable.", Media: "application/json", Unavailable: true},
		{Path: metricsPath, Summary: "Prometheus metrics.", Media: "text/plain"},
	}
}()

// openAPICache keeps the encoded OpenAPI document of the last base URL
// asked for: the document is the same for every request to one
// deployment, and one entry cannot grow with forged Host headers.
type openAPICache struct {
	mu   sync.Mutex
	base string
	body []byte
}

func (c *openAPICache) bytes(base string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && c.base == base {
		return c.body, nil
	}
	doc := hydra.API.OpenAPI(base, hydra.OpenAPIOptions{Versions: store.Versions, Extra: openAPIExtras})
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI document: %w", err)
	}
	c.base, c.body = base, b
	return b, nil
}
