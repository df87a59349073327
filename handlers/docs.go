package handlers

import (
	"bytes"
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
	doc := s.api.Entrypoint(f.Mode())
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
	// The documentation's classes and properties are relative IRIs
	// (#Organization) of its own IRI, /api/docs.jsonld. Read at /api/docs or
	// /api/docs.ttl, its renderings (N-Quads, Turtle…) resolve them against
	// that IRI all the same, so that they name the terms the contexts'
	// @vocab names.
	at := *r.URL
	at.Path, at.RawPath = hydra.DocsPath, ""
	r = r.WithContext(r.Context())
	r.URL = &at
	return s.writeJSON(w, r, http.StatusOK, f, s.api.Documentation(s.base(r), s.docsOptions()))
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
	b, err := s.openAPIDoc.bytes(s.base(r), s.openAPIOptions())
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
		{Path: orgs + "/members/invite", OperationID: "inviteToOrganization", Class: hydra.Invitation, Kind: hydra.Post, Sets: inOrg, Summary: "Invites someone to the organization."},
		{Path: orgs + "/workspaces", OperationID: "listOrganizationWorkspaces", Class: hydra.Workspace, Kind: hydra.GetCollection, Sets: inOrg},
		{Path: orgs + "/workspaces", OperationID: "createOrganizationWorkspace", Class: hydra.Workspace, Kind: hydra.Post, Sets: inOrg},
		{Path: orgs + "/roles", OperationID: "listOrganizationRoles", Class: hydra.Role, Kind: hydra.GetCollection, Sets: inOrg},
		{Path: mePath, OperationID: "getCurrentUser", Class: hydra.User, Kind: hydra.Get, Summary: "Retrieves the caller."},
		{Path: healthzPath, OperationID: "getHealth", Summary: "Says whether the process is up.", Media: "application/json", Example: `{"status":"ok"}`,
			Description: "Answers 200 as long as the process serves requests; it touches nothing else. For liveness probes."},
		{Path: readyzPath, OperationID: "getReadiness", Summary: "Says whether the database is reachable.", Media: "application/json", Example: `{"status":"ready"}`,
			Unavailable: true, Description: "Answers 200 when the database answers within a second, 503 otherwise. For readiness probes."},
		{Path: MercurePath, OperationID: "subscribeToUpdates", Summary: "Subscribes to updates of resources (a Mercure hub).", Media: "text/event-stream", Authenticated: true, Stream: true,
			Example: "id: https://api.example/api/events/42\ndata: {\"@context\":\"/api/contexts/Organization\",\"@id\":\"/api/organizations/…\",\"@type\":\"Organization\",\"name\":\"Acme\"}\n\n",
			Description: "Server-Sent Events, as the Mercure specification's subscribers expect: an update (the resource's JSON-LD document after the change; {\"@id\": …} after a deletion) each time a resource a topic names changes, to callers who may read it. " +
				"The key may also ride in the authorization query parameter or the mercureAuthorization cookie (EventSource cannot send headers). Resumable with Last-Event-ID.",
			Query: []hydra.QueryParam{
				{Name: "topic", Required: true, Many: true, Description: "A resource's IRI (absolute, or relative to the server), an RFC 6570 URI template such as /api/organizations/{id}, or * for every update the caller may read; at most 32."},
				{Name: "lastEventID", Description: "Resume after this update (as the Last-Event-ID header does); earliest: every kept update."},
				{Name: "authorization", Description: "The API key, for clients that cannot send the Authorization header."},
			}},
		{Path: metricsPath, OperationID: "getMetrics", Summary: "Prometheus metrics.", Media: "text/plain",
			Example:     "# HELP orgraph_http_requests_total HTTP requests answered, by method, route pattern and status.\n# TYPE orgraph_http_requests_total counter\norgraph_http_requests_total{method=\"GET\",route=\"/api/organizations\",status=\"200\"} 42\n",
			Description: "Requests by method, route and status, their latency, and the Go runtime's and the process's metrics, in Prometheus's text format."},
	}
}()

// openAPIInfo are info.contact and info.license. The repository declares
// no license yet: LicenseRef-Proprietary says so in SPDX terms until the
// project chooses one.
var (
	openAPIContact = map[string]any{"name": "Orgraph maintainers", "url": "https://github.com/orgraph/orgraph/issues"}
	openAPILicense = map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
)

// docsOptions are what the Hydra documentation says of this server's
// settings: the same as the OpenAPI document's.
func (s *Server) docsOptions() hydra.DocsOptions {
	o := s.openAPIOptions()
	return hydra.DocsOptions{Versions: o.Versions, RateLimited: o.RateLimited}
}

// openAPIOptions are what the OpenAPI document says of this server's
// settings.
func (s *Server) openAPIOptions() hydra.OpenAPIOptions {
	return hydra.OpenAPIOptions{
		Versions:       store.Versions,
		Extra:          openAPIExtras,
		IdempotencyTTL: s.idempotencyTTL,
		RateLimited:    s.limiter != nil && s.limiter.Policy().Enabled(),
		Contact:        openAPIContact,
		License:        openAPILicense,
	}
}

// openAPICache keeps the encoded OpenAPI document. Building it is much
// work (every schema, header and example), and it names the base
// URL in its servers entry only: it is built once, for a placeholder base,
// and each request's base takes the placeholder's place. The document of
// the last base asked for is kept as well: one entry, which forged Host
// headers cannot grow.
type openAPICache struct {
	mu       sync.Mutex
	template []byte // the document for openAPIPlaceholder
	base     string
	body     []byte
}

// openAPIPlaceholder is a base URL no deployment has (.invalid, RFC 2606).
const openAPIPlaceholder = "https://orgraph.invalid"

func (c *openAPICache) bytes(base string, opts hydra.OpenAPIOptions) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && c.base == base {
		return c.body, nil
	}
	if c.template == nil {
		b, err := json.Marshal(hydra.API.OpenAPI(openAPIPlaceholder, opts))
		if err != nil {
			return nil, fmt.Errorf("encode the OpenAPI document: %w", err)
		}
		c.template = b
	}
	server := base
	if server == "" {
		server = "/" // as hydra.OpenAPI names no base
	}
	quoted, err := json.Marshal(server)
	if err != nil {
		return nil, fmt.Errorf("encode the base URL: %w", err)
	}
	placeholder, _ := json.Marshal(openAPIPlaceholder)
	c.base, c.body = base, bytes.Replace(c.template, placeholder, quoted, 1)
	return c.body, nil
}
