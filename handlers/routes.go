package handlers

import (
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/gorilla/mux"

	"github.com/orgraph/orgraph/explorer"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/swaggerui"
)

// routes is the one place every route is declared. Each path lists its
// methods; methods() answers HEAD, OPTIONS and 405 from that list. New
// wraps the router in the common middleware.
func (s *Server) routes() *mux.Router {
	// No path cleaning: mux would answer //api/x with a 301 to another
	// path, which a client may follow with another method. The middleware
	// answers a path that is not clean with a 404 before it gets here.
	r := mux.NewRouter().SkipClean(true)
	r.NotFoundHandler = s.handle(s.noRoute)
	r.MethodNotAllowedHandler = s.handle(s.noRoute)
	r.Use(routePattern)

	// Operations: public, undocumented in Hydra (they are not resources),
	// and not rate limited (see unmetered).
	r.Handle(healthzPath, s.methods(get(s.healthz)))
	r.Handle(readyzPath, s.methods(get(s.readyz)))
	r.Handle(metricsPath, s.methods(get(serve(s.metrics.handler()))))

	// The root sends clients on to the entrypoint (root.go).
	r.Handle(rootPath, s.methods(get(s.root)))

	// The explorer's script and style sheet; its page is what a browser
	// gets on any API URL (wantsExplorer).
	r.PathPrefix(explorer.AssetsPath).Handler(explorer.Assets())

	// Documentation: public, so that JSON-LD processors and Hydra clients
	// can read it before they hold a key.
	r.Handle(hydra.EntrypointPath, s.methods(get(s.entrypoint)))
	r.Handle(hydra.DocsPath, s.methods(get(s.documentation)))
	r.Handle(hydra.DocsRoot, s.methods(get(s.docs)))
	r.Handle(hydra.OpenAPIPath, s.methods(get(s.openAPI)))

	// Swagger UI on the OpenAPI document: public, like the documents.
	swagger := swaggerui.Handler(s.handle(s.noRoute), s.base)
	r.Handle(swaggerui.Path, s.methods(get(serve(swagger))))
	r.PathPrefix(swaggerui.Path + "/").Handler(s.methods(get(serve(swagger))))
	r.Handle(hydra.ContextsPath+"{class}", s.methods(get(s.context)))

	// The error catalogue: each problem type and problem @id describes its
	// kind (errorpages.go); public, like the documentation.
	for _, prefix := range []string{problems.ErrorsPath, problems.APIErrorsPath} {
		r.Handle(prefix+"{status}", s.methods(get(s.errorPage)))
	}
	for _, prefix := range []string{problems.ValidationErrorsPath, problems.APIValidationErrorsPath} {
		r.Handle(prefix+"{id}", s.methods(get(s.validationErrorPage)))
	}

	// Resources. Item actions and the aliases of the original
	// organizations API come before the item routes they extend.
	r.Handle(hydra.Organization.Resource.Item+"{id}/transfer", s.methods(post(s.authenticated(s.transferOrganization))))
	resource(r, s, hydra.Organization, crud{
		list: s.listOrganizations, create: s.createOrganization,
		get: s.getOrganization, patch: s.patchOrganization, delete: s.deleteOrganization,
	})
	resource(r, s, hydra.Member, crud{
		list: s.listMembers, get: s.getMember, patch: s.patchMember, delete: s.deleteMember,
	})
	resource(r, s, hydra.Domain, crud{
		list: s.listDomains, create: s.createDomain,
		get: s.getDomain, patch: s.patchDomain, delete: s.deleteDomain,
	})
	r.Handle(hydra.Domain.Resource.Item+"{id}/verify", s.methods(post(s.authenticated(s.verifyDomain))))
	members := hydra.Member.Resource
	r.Handle(members.Item+"{id}/deactivate", s.methods(post(s.authenticated(s.deactivateMember))))
	r.Handle(members.Item+"{id}/reactivate", s.methods(post(s.authenticated(s.reactivateMember))))
	inv := hydra.Invitation.Resource
	r.Handle(inv.Item+"{id}/accept", s.methods(post(s.authenticated(s.acceptInvitation))))
	// Public: the token in the body proves the invitee (acceptInvitationToken).
	r.Handle(inv.Collection+"/accept", s.methods(post(s.acceptInvitationToken)))
	r.Handle(inv.Item+"{id}/resend", s.methods(post(shownOnceToOperators(s.authenticated(s.resendInvitation)))))
	r.Handle(inv.Item+"{id}/revoke", s.methods(post(s.authenticated(s.revokeInvitation))))
	resource(r, s, hydra.Invitation, crud{
		list: s.listInvitations, create: s.createInvitation, get: s.getInvitation,
	})
	resource(r, s, hydra.Workspace, crud{
		list: s.listWorkspaces, create: s.createWorkspace,
		get: s.getWorkspace, patch: s.patchWorkspace, delete: s.deleteWorkspace,
	})
	resource(r, s, hydra.Role, crud{
		list: s.listRoles, create: s.createRole,
		get: s.getRole, patch: s.patchRole, delete: s.deleteRole,
	})
	keys := hydra.APIKey.Resource
	r.Handle(keys.Item+"{id}/revoke", s.methods(post(s.authenticated(s.revokeAPIKey))))
	r.Handle(keys.Item+"{id}/rotate", s.methods(post(shownOnce(s.authenticated(s.rotateAPIKey)))))
	resource(r, s, hydra.APIKey, crud{list: s.listAPIKeys, create: s.createAPIKey, get: s.getAPIKey})
	resource(r, s, hydra.User, crud{list: s.listUsers, create: s.createUser, get: s.getUser, patch: s.patchUser})
	resource(r, s, hydra.Event, crud{list: s.listEvents, get: s.getEvent})
	hooks := hydra.WebhookEndpoint.Resource
	r.Handle(hooks.Item+"{id}/rotate_secret", s.methods(post(shownOnce(s.authenticated(s.rotateWebhookSecret)))))
	resource(r, s, hydra.WebhookEndpoint, crud{
		list: s.listWebhookEndpoints, create: s.createWebhookEndpoint,
		get: s.getWebhookEndpoint, patch: s.patchWebhookEndpoint, delete: s.deleteWebhookEndpoint,
	})
	deliveries := hydra.WebhookDelivery.Resource
	r.Handle(deliveries.Item+"{id}/retry", s.methods(post(s.authenticated(s.retryWebhookDelivery))))
	resource(r, s, hydra.WebhookDelivery, crud{list: s.listWebhookDeliveries, get: s.getWebhookDelivery})
	r.Handle(mePath, s.methods(get(s.authenticated(s.getMe))))
	r.Handle(MercurePath, s.methods(get(s.authenticated(s.mercureSubscribe))))

	orgs := hydra.Organization.Resource.Item + "{org}"
	r.Handle(orgs+"/members/invite", s.methods(post(shownOnceToOperators(s.authenticated(s.createInvitation)))))
	r.Handle(orgs+"/workspaces", s.methods(byMethod{
		http.MethodGet:  s.authenticated(s.listWorkspaces),
		http.MethodPost: s.authenticated(s.createWorkspace),
	}))
	r.Handle(orgs+"/roles", s.methods(get(s.authenticated(s.listRoles))))
	return r
}

const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
	metricsPath = "/metrics"
	mePath      = "/api/me"
)

// unmetered paths are not rate limited: probes and scrapes come from the
// infrastructure, and a 429 on /readyz would take a healthy replica out.
var unmetered = map[string]bool{healthzPath: true, readyzPath: true, metricsPath: true}

// wantsExplorer: a browser opening an API URL (a GET that ranks text/html
// first) gets the HTML explorer, which then fetches the JSON-LD document.
// The operations endpoints keep their own formats, and the error pages
// have their own HTML. (The page is served on clean paths only — the
// middleware refuses the others first: its script fetches its own URL
// with the API key, and //evil.test/x is another host's.)
func wantsExplorer(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && !unmetered[r.URL.Path] && r.URL.Path != rootPath &&
		!strings.HasPrefix(r.URL.Path, explorer.AssetsPath) && !swaggerui.Owns(r.URL.Path) && !errorPagePath(r.URL.Path) &&
		hydra.PrefersHTML(r.Header.Get("Accept"))
}

// cleanPath says whether the request's path is in its clean, plainly
// encoded form: no empty, "." or ".." segment, and nothing percent-encoded
// that need not be (an encoded slash would otherwise route as a slash). A
// trailing slash is the path's own choice.
func cleanPath(r *http.Request) bool {
	p := r.URL.Path
	if r.URL.RawPath != "" || !strings.HasPrefix(p, "/") {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean == p
}

// timeDependent classes change without a write (an invitation expires):
// their GETs are not kept in the document cache.
// An API key expires, and its last use is recorded outside a request's
// transaction. Events change nothing the cache watches, and the feed's
// horizon moves as other transactions end.
var timeDependent = map[*hydra.Class]bool{hydra.Invitation: true, hydra.APIKey: true, hydra.Event: true, hydra.WebhookEndpoint: true, hydra.WebhookDelivery: true}

// crud names a resource's handlers; nil ones are not served.
type crud struct {
	list, create, get, patch, delete handlerFunc
}

// resource routes a class's collection and item paths to its handlers,
// every one behind an API key.
// The handlers must match the operations the registry declares (and so
// documents): a mismatch is a bug caught at start-up.
func resource(r *mux.Router, s *Server, c *hydra.Class, h crud) {
	for op, fn := range map[hydra.OpKind]handlerFunc{hydra.GetCollection: h.list, hydra.Post: h.create, hydra.Get: h.get, hydra.Patch: h.patch, hydra.Delete: h.delete} {
		if c.Resource.Has(op) != (fn != nil) {
			panic(fmt.Sprintf("handlers: %s: operation %s %v is documented %v but served %v", c.Name, op.Method(), op.OnCollection(), c.Resource.Has(op), fn != nil))
		}
	}
	for _, fn := range []*handlerFunc{&h.list, &h.get} {
		if *fn != nil && !timeDependent[c] {
			*fn = s.cached(*fn)
		}
	}
	collection, item := byMethod{}, byMethod{}
	for method, fn := range map[string]handlerFunc{http.MethodGet: h.list, http.MethodPost: h.create} {
		if fn != nil {
			collection[method] = s.authenticated(fn)
		}
	}
	switch {
	case h.create != nil && c.HasOnce():
		collection[http.MethodPost] = shownOnce(collection[http.MethodPost])
	case h.create != nil && c.HasOperatorsOnce():
		collection[http.MethodPost] = shownOnceToOperators(collection[http.MethodPost])
	}
	for method, fn := range map[string]handlerFunc{http.MethodGet: h.get, http.MethodPatch: h.patch, http.MethodDelete: h.delete} {
		if fn != nil {
			item[method] = s.authenticated(fn)
		}
	}
	if len(collection) > 0 {
		r.Handle(c.Resource.Collection, s.methods(collection))
	}
	r.Handle(c.Resource.Item+"{id}", s.methods(item))
}

// serve adapts a plain http.Handler to a route's method table.
func serve(h http.Handler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}
}

func post(h handlerFunc) byMethod { return byMethod{http.MethodPost: h} }
