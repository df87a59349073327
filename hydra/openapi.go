package hydra

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/internal/english"

	"github.com/orgraph/orgraph/problems"
)

// The OpenAPI 3.1 description of the API (GET /api/docs.json), derived from
// the registry as the Hydra documentation is: every path, schema and
// parameter comes from the declarations in resources.go, so the two
// descriptions cannot disagree. Schema names follow API Platform 4's OpenAPI
// factory (Class.jsonld schemas, Hydra collection schemas) so that tools
// written for API Platform read it as they read API Platform's; operationIds
// are verbs and nouns that read well in generated clients. It tells the
// whole truth of the wire: every representation and every header an answer
// can carry, required where always present, and request schemas that
// accept exactly what the decoder accepts. What is not in the registry
// (aliases, probes, the API version, the deployment's settings) the caller
// passes in OpenAPIOptions.

const (
	// OpenAPIPath serves the OpenAPI document (API Platform's path for it).
	OpenAPIPath = "/api/docs.json"
	// OpenAPIMediaType asks for it in Accept.
	OpenAPIMediaType = "application/vnd.openapi+json"
	openAPIVersion   = "3.1.0"
	docsTag          = "Documentation"
	errorsTag        = "Errors"
	operationsTag    = "Operations"
)

// OpenAPIOptions is what the OpenAPI document needs beyond the registry.
type OpenAPIOptions struct {
	// Versions are the Orgraph-Version values the server accepts, oldest
	// first; the last one is info.version.
	Versions []string
	// Extra are the routes the registry does not declare.
	Extra []ExtraOperation
	// IdempotencyTTL is how long Idempotency-Key answers are kept (zero:
	// the document names no duration).
	IdempotencyTTL time.Duration
	// RateLimited says requests are metered: RateLimit-Policy on every
	// metered answer, 429 when the caller's allowance runs out.
	RateLimited bool
	// Contact and License are info.contact and info.license.
	Contact, License map[string]any
}

// ExtraOperation is a route the registry does not declare. With a Class it
// is an alias: it takes and returns what the Class's Kind operation does
// (POST /api/organizations/{org}/workspaces is POST /api/workspaces). Without
// one it is an operational endpoint: a public GET outside the resources
// (/healthz, /readyz, /metrics).
type ExtraOperation struct {
	Path        string // a path template: "/api/organizations/{org}/workspaces"
	OperationID string // required: what generated clients call it
	Class       *Class
	Kind        OpKind
	// Sets maps an alias's path parameters to the property each one fixes
	// ("org": "organization"): the handlers set it whatever the body or the
	// query says, so it is left out of the query and ignored in the body.
	Sets    map[string]string
	Summary string // defaults to the registry operation's
	// Description of an operational endpoint (an alias's is derived).
	Description string
	// Media is the media type of an operational endpoint's 200 answer, and
	// Example its body.
	Media, Example string
	// Unavailable says an operational endpoint answers 503 when the
	// database is unreachable (readyz).
	Unavailable bool
	// Authenticated: an endpoint that takes a key and is rate limited
	// (the Mercure hub), unlike the probes.
	Authenticated bool
	// Query are an endpoint's query parameters.
	Query []QueryParam
	// Stream: the 200 is a stream of Server-Sent Events.
	Stream bool
}

// QueryParam is a query parameter of an operational endpoint.
type QueryParam struct {
	Name, Description string
	Required, Many    bool
}

// OpenAPI is the body of GET /api/docs.json for a base URL (scheme and
// host, no trailing slash). The base URL is the servers entry and nothing
// else (the examples are written for exampleBase), so that a server may
// build the document once and name each request's base in it.
func (r *Registry) OpenAPI(base string, opts OpenAPIOptions) map[string]any {
	g := &openAPI{reg: r, opts: opts, paths: map[string]map[string]any{},
		schemas: map[string]any{}, examples: map[string]any{}, headers: map[string]any{}, problemsUsed: map[int]bool{}}
	var tags []any
	for _, c := range r.Classes {
		if c.Resource == nil {
			continue
		}
		tags = append(tags, map[string]any{"name": c.Name, "description": c.Description})
		g.resource(c)
	}
	g.documentation()
	g.errorPages()
	for _, e := range opts.Extra {
		g.extra(e)
	}
	tags = append(tags,
		map[string]any{"name": docsTag, "description": "The entrypoint, the Hydra and OpenAPI documentation and the JSON-LD contexts: public."},
		map[string]any{"name": errorsTag, "description": "The error catalogue: the type and the @id of every problem document describe its kind. Public."},
		map[string]any{"name": operationsTag, "description": "Probes and metrics for the infrastructure: public, not rate limited."})
	version := "unversioned" // info.version must not be empty
	if n := len(opts.Versions); n > 0 {
		version = opts.Versions[n-1]
	}
	server := base
	if server == "" {
		server = "/"
	}
	info := map[string]any{"title": r.Title, "description": r.Description + " " + apiDescription, "version": version}
	if opts.Contact != nil {
		info["contact"] = opts.Contact
	}
	if opts.License != nil {
		info["license"] = opts.License
	}
	responses := g.problemResponses()
	return map[string]any{
		"openapi":  openAPIVersion,
		"info":     info,
		"servers":  []any{map[string]any{"url": server}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}},
		"tags":     tags,
		"paths":    g.paths,
		"components": map[string]any{
			"responses":       responses,
			"schemas":         g.schemas,
			"parameters":      g.parameters(),
			"headers":         g.headers,
			"examples":        g.examples,
			"securitySchemes": securitySchemes,
		},
	}
}

// apiDescription is what every client should know before the first call.
const apiDescription = "Every resource is a JSON-LD document (application/ld+json, the default) and plain JSON " +
	"(application/json); expanded and flattened JSON-LD and N-Quads are served too, and a browser gets an HTML " +
	"explorer. Errors are RFC 9457 problem documents (application/problem+json) whose type is a page of the " +
	"error catalogue. Request bodies are strict: an unknown property is a 400; read-only properties, @context, " +
	"@id and @type are ignored; strings are trimmed of surrounding whitespace before they are checked."

// openAPI accumulates the document: paths as operations are added,
// schemas, examples and headers as operations refer to them (only what is
// used is written).
type openAPI struct {
	reg      *Registry
	opts     OpenAPIOptions
	paths    map[string]map[string]any
	schemas  map[string]any
	examples map[string]any
	headers  map[string]any
	// problemsUsed are the statuses some operation answers: only their
	// shared responses are written.
	problemsUsed map[int]bool
}

// add puts an operation on a path. Documenting one twice (an extra that
// repeats a registry operation) is a bug, as declaring a class twice is.
func (g *openAPI) add(path, method string, op map[string]any) {
	if g.paths[path] == nil {
		g.paths[path] = map[string]any{}
	}
	method = strings.ToLower(method)
	if _, dup := g.paths[path][method]; dup {
		panic("hydra: OpenAPI operation documented twice: " + method + " " + path)
	}
	g.paths[path][method] = op
}

// Operations.

// resource documents a class's operations and item actions on its own paths.
func (g *openAPI) resource(c *Class) {
	res := c.Resource
	for _, k := range res.Operations {
		path := res.Item + "{id}"
		if k.OnCollection() {
			path = res.Collection
		}
		g.add(path, k.Method(), g.crud(c, k, path, nil, operationID(c, k), ""))
	}
	for _, a := range res.Actions {
		path := res.ActionPath(a)
		g.add(path, http.MethodPost, g.action(c, a, path))
	}
}

// operationID is an operation's name in generated clients: a verb and the
// class (listOrganizations, createOrganization, getOrganization,
// updateOrganization, deleteOrganization).
func operationID(c *Class, k OpKind) string {
	switch k {
	case GetCollection:
		return "list" + pluralName(c)
	case Post:
		return "create" + c.Name
	case Get:
		return "get" + c.Name
	case Patch:
		return "update" + c.Name
	}
	return "delete" + c.Name
}

// pluralName is a class's name for many of it, from its collection path
// (/api/organizations: Organizations).
func pluralName(c *Class) string {
	name := c.Resource.Collection[strings.LastIndexByte(c.Resource.Collection, '/')+1:]
	var b strings.Builder
	for _, word := range strings.Split(name, "_") {
		b.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	return b.String()
}

// summaries are the operations' one-liners; descriptions say more.
func summary(c *Class, k OpKind) string {
	n := c.Name
	switch k {
	case GetCollection:
		return "Lists the " + n + " resources."
	case Post:
		return "Creates " + english.WithArticle(n) + "."
	case Get:
		return "Retrieves " + english.WithArticle(n) + "."
	case Patch:
		return "Updates " + english.WithArticle(n) + "."
	}
	return "Deletes " + english.WithArticle(n) + "."
}

func description(c *Class, k OpKind) string {
	n := c.Name
	switch k {
	case GetCollection:
		return "Retrieves one page of the " + n + " resources the caller can see, filtered and sorted by the query " +
			"parameters. As JSON-LD the page is a Hydra collection (totalItems, view, search); as plain JSON it is an " +
			"array, and the Link header (first, prev, next, last) and X-Total-Count carry the paging."
	case Post:
		return "Creates " + english.WithArticle(n) + " from the body and answers it with 201 and its Location. " +
			"An Idempotency-Key makes a retry safe."
	case Get:
		return "Retrieves " + english.WithArticle(n) + " the caller can see; another tenant's is a 404. " +
			"Send its ETag in If-None-Match to get a 304 while it is unchanged."
	case Patch:
		return "Updates " + english.WithArticle(n) + " with a JSON merge patch (RFC 7386): properties absent from the " +
			"body are left as they are, null removes an optional one. Send its ETag in If-Match to change only the " +
			"version you read."
	}
	return "Deletes " + english.WithArticle(n) + ". Send its ETag in If-Match to delete only the version you read."
}

// crud is one of a class's operations, on its own path or on an alias's.
func (g *openAPI) crud(c *Class, k OpKind, path string, sets map[string]string, id, summaryText string) map[string]any {
	if summaryText == "" {
		summaryText = summary(c, k)
	}
	t, a := crudOperation(c, k, path)
	op := map[string]any{
		"operationId": id,
		"tags":        []any{c.Name},
		"summary":     summaryText,
		"description": description(c, k),
	}
	params := pathParams(c, path, sets)
	omit := fixed(sets)
	switch k {
	case GetCollection:
		params = append(params, queryParams(c, omit)...)
		a.content = g.resourceContent(c, true, t)
	case Get:
		a.content = g.resourceContent(c, false, t)
	case Post:
		op["requestBody"] = g.requestBody(c, true, omit, "The new "+c.Name+".", bodyTypes(k)...)
		a.content = g.resourceContent(c, false, t)
	case Patch:
		op["requestBody"] = g.requestBody(c, false, omit, "The changes to the "+c.Name+": a JSON merge patch (null removes a value).", bodyTypes(k)...)
		a.content = g.resourceContent(c, false, t)
	}
	op["responses"] = map[string]any{strconv.Itoa(a.status): g.success(t, a)}
	return g.finish(op, t, params, &a)
}

// action is a POST on an item without a body.
func (g *openAPI) action(c *Class, a Action, path string) map[string]any {
	t, ok := actionOperation(c, a)
	ok.content = g.resourceContent(a.Returns, false, t)
	// The registry's action descriptions name the route after a colon,
	// which the OpenAPI path says already.
	summaryText, _, cut := strings.Cut(a.Description, ": ")
	if cut {
		summaryText += "."
	}
	op := map[string]any{
		"operationId": actionTitle(c, a),
		"tags":        []any{c.Name},
		"summary":     summaryText,
		"description": a.Description,
		"responses":   map[string]any{strconv.Itoa(ok.status): g.success(t, ok)},
	}
	if a.Expects != nil {
		// A body with a required property is required; the others are
		// optional (a rotation's grace period has a default).
		required := false
		for _, p := range a.Expects.Properties {
			required = required || p.Required
		}
		what := a.Expects.Description
		if !required {
			what = "Optional: " + what
		}
		body := g.requestBody(a.Expects, true, nil, what, bodyTypes(Post)...)
		body["required"] = required
		op["requestBody"] = body
	}
	return g.finish(op, t, pathParams(c, path, nil), nil)
}

// extra documents an alias as the operation it stands for, or an
// operational endpoint.
func (g *openAPI) extra(e ExtraOperation) {
	if e.OperationID == "" {
		panic("hydra: the OpenAPI extra " + e.Path + " has no operationId")
	}
	if e.Class != nil {
		op := g.crud(e.Class, e.Kind, e.Path, e.Sets, e.OperationID, e.Summary)
		op["description"] = aliasDescription(e)
		g.add(e.Path, e.Kind.Method(), op)
		return
	}
	t := traits{method: http.MethodGet, public: !e.Authenticated, unmetered: !e.Authenticated, unavailable: e.Unavailable, stream: e.Stream}
	var params []any
	for _, q := range e.Query {
		var schema map[string]any = map[string]any{"type": "string"}
		if q.Many {
			schema = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Description,
			"schema": schema, "style": "form", "explode": true})
	}
	schema := map[string]any{"type": "string"}
	var example any = e.Example
	if strings.Contains(e.Media, "json") {
		schema = map[string]any{"type": "object"}
		example = jsonValue([]byte(e.Example))
	}
	op := map[string]any{
		"operationId": e.OperationID,
		"tags":        []any{operationsTag},
		"summary":     e.Summary,
		"description": e.Description,
		"responses": map[string]any{
			"200": g.success(t, answer{status: 200, what: e.Summary, content: map[string]any{
				e.Media: g.media(schema, e.OperationID, "The answer.", example)}}),
		},
	}
	g.add(e.Path, http.MethodGet, g.finish(op, t, params, nil))
}

// aliasDescription names the canonical operation an alias stands for.
func aliasDescription(e ExtraOperation) string {
	res := e.Class.Resource
	canonical := res.Item + "{id}"
	if e.Kind.OnCollection() {
		canonical = res.Collection
	}
	d := "Alias of " + e.Kind.Method() + " " + canonical + ", kept from the original organizations API: the same documents."
	params := make([]string, 0, len(e.Sets))
	for param := range e.Sets {
		params = append(params, param)
	}
	sort.Strings(params) // a stable document keeps a stable ETag
	for _, param := range params {
		d += " The path's " + param + " sets " + e.Sets[param] + "."
	}
	return d
}

// documentation documents the public paths this package serves the bodies
// of: the entrypoint, the Hydra and OpenAPI documentation, the contexts.
func (g *openAPI) documentation() {
	public := func(path, id, summaryText, descriptionText, what string, content map[string]any, params []any) {
		t := traits{method: http.MethodGet, public: true, negotiated: true, etag: true, params: len(params) > 0, explorer: true, cacheable: true}
		a := answer{status: 200, what: what, content: content}
		op := map[string]any{
			"operationId": id,
			"tags":        []any{docsTag},
			"summary":     summaryText,
			"description": descriptionText,
			"security":    []any{},
			"responses":   map[string]any{"200": g.success(t, a)},
		}
		g.add(path, http.MethodGet, g.finish(op, t, params, &a))
	}
	t := traits{explorer: true}

	entrypoint := g.entrypointSchema()
	ep := jsonValue(mustJSON(g.reg.Entrypoint(LinkedData)))
	content := g.linkedData(entrypoint, entrypoint, "Entrypoint", EntrypointPath, ep, jsonValue(mustJSON(g.reg.Entrypoint(PlainJSON))), t)
	public(EntrypointPath, "getEntrypoint", "Retrieves the API entrypoint.",
		"The entrypoint links to every collection: the start of a Hydra client's walk through the API.", "The entrypoint.", content, nil)

	hydraDocs := map[string]any{"type": "object", "required": []any{"@context", "@id", "@type"},
		"description": "A Hydra ApiDocumentation: every class, its properties and operations.",
		"properties": map[string]any{
			"@context":       map[string]any{"type": "array", "description": "The Hydra vocabulary's terms, then @vocab.", "items": map[string]any{"type": "object"}},
			"@id":            map[string]any{"type": "string", "format": "iri-reference"},
			"@type":          map[string]any{"type": "string", "enum": []any{"ApiDocumentation"}},
			"title":          map[string]any{"type": "string"},
			"description":    map[string]any{"type": "string"},
			"entrypoint":     map[string]any{"type": "string", "format": "iri-reference"},
			"supportedClass": map[string]any{"type": "array", "description": "The classes: properties and operations.", "items": map[string]any{"type": "object"}},
		}}
	docsExample := g.docsExample()
	content = g.linkedData(hydraDocs, nil, "ApiDocumentation", DocsPath, docsExample, nil, t)
	for _, suffix := range []string{".jsonld", ".expanded", ".flattened", ".nquads", ".turtle", ".ntriples"} {
		g.examples["ApiDocumentation"+suffix].(map[string]any)["summary"] = "An excerpt: the User class only."
	}
	public(DocsPath, "getHydraDocumentation", "Retrieves the Hydra API documentation.",
		"The Hydra ApiDocumentation, which API Platform Admin and other Hydra clients read to drive the API. "+
			"Plain JSON is not offered: an Accept of application/json gets it as JSON-LD.", "The Hydra documentation.", content, nil)

	openapi := map[string]any{"type": "object", "required": []any{"openapi", "info", "paths"}, "description": "This document.",
		"properties": map[string]any{
			"openapi": map[string]any{"type": "string", "enum": []any{openAPIVersion}},
			"info":    map[string]any{"type": "object"},
			"paths":   map[string]any{"type": "object"},
		}}
	openapiExample := map[string]any{"openapi": openAPIVersion, "info": map[string]any{"title": g.reg.Title, "version": "2026-11-01"}, "paths": map[string]any{}}
	openapiContent := map[string]any{
		OpenAPIMediaType:   g.media(openapi, "OpenAPI", "An excerpt.", openapiExample),
		"application/json": g.media(openapi, "OpenAPI", "An excerpt.", openapiExample),
		"text/html":        g.explorerPage(),
	}
	public(OpenAPIPath, "getOpenAPIDocument", "Retrieves the OpenAPI description of the API.",
		"This document, as "+OpenAPIMediaType+" or application/json.", "The OpenAPI document.", openapiContent, nil)

	both := g.linkedData(hydraDocs, nil, "ApiDocumentation", DocsRoot, docsExample, nil, t)
	delete(both, "application/json")
	both[OpenAPIMediaType] = openapiContent[OpenAPIMediaType]
	both["application/json"] = openapiContent["application/json"]
	public(DocsRoot, "getDocumentation", "Retrieves the API documentation: OpenAPI or Hydra, by Accept.",
		"This OpenAPI document for "+OpenAPIMediaType+" or application/json, the Hydra documentation otherwise, as "+
			"API Platform's docs route answers.", "The OpenAPI or the Hydra documentation.", both, nil)

	names := []any{"Entrypoint"}
	for _, c := range g.reg.Classes {
		names = append(names, c.Name)
	}
	class := map[string]any{
		"name": "class", "in": "path", "required": true, "description": "A class name.",
		"schema": map[string]any{"type": "string", "enum": names}, "example": "Organization",
	}
	contextSchema := map[string]any{"type": "object", "required": []any{"@context"}, "properties": map[string]any{"@context": map[string]any{"type": "object"}}}
	ctx, _ := g.reg.ContextDocument("Organization", exampleBase)
	public(ContextsPath+"{class}", "getContext", "Retrieves the JSON-LD context of a class.",
		"The context that maps a class's terms to IRIs; it is always JSON-LD, whatever Accept asks for among the "+
			"offered types.", "The JSON-LD context.", map[string]any{
			"application/ld+json": g.media(contextSchema, "Context", "The Organization context.", jsonValue(mustJSON(ctx))),
			"text/html":           g.explorerPage(),
		}, []any{class})
}

// errorPages documents the error catalogue: the problem types
// (/errors/{status}, /validation_errors/{codes}) and the problem
// documents' @ids (the same under /api).
func (g *openAPI) errorPages() {
	var statuses []any
	list := "| Status | Title |\n|---|---|\n"
	for _, k := range problems.Kinds {
		statuses = append(statuses, strconv.Itoa(k.Status))
		list += fmt.Sprintf("| %d | %s |\n", k.Status, k.Title)
	}
	codes := "| Code | Constraint |\n|---|---|\n"
	for _, c := range problems.Constraints {
		codes += fmt.Sprintf("| %s | %s |\n", c.Code, c.Name)
	}
	status := map[string]any{"name": "status", "in": "path", "required": true, "description": "An HTTP status the API answers with a problem document.",
		"schema": map[string]any{"type": "string", "enum": statuses}, "example": "404"}
	id := map[string]any{"name": "id", "in": "path", "required": true,
		"description": "A constraint code, or several as API Platform lists them: 0=<code>;1=<code>…",
		"schema":      map[string]any{"type": "string", "pattern": `^(?:[0-9a-f-]{36}|0=[0-9a-f-]{36}(?:;[1-9][0-9]*=[0-9a-f-]{36})+)$`}, "example": problems.CodeNotBlank}
	kind, _ := problems.KindOf(http.StatusNotFound)
	notFound := ProblemTypeDocument(kind.Status, kind.Title, kind.Description, nil, kind.Type(), exampleBase, false)
	notBlank, _ := problems.ConstraintOf(problems.CodeNotBlank)
	violation := ProblemTypeDocument(http.StatusUnprocessableEntity, problems.ValidationTitle, problems.ValidationDescription,
		[]problems.Constraint{notBlank}, problems.ValidationErrorsPath+notBlank.Code, exampleBase, false)
	for _, p := range []struct {
		path, id, summary, description string
		param                          map[string]any
		example                        map[string]any
		exampleName                    string
	}{
		{problems.ErrorsPath + "{status}", "getErrorType", "Describes a kind of problem: the type of a problem document.",
			"The page the type of a problem document names: its status, title and what to do. The kinds:\n\n" + list, status, notFound, "ProblemType"},
		{problems.APIErrorsPath + "{status}", "getError", "Describes a kind of problem: the @id of a problem document.",
			"The same page as " + problems.ErrorsPath + "{status}, at the @id of the JSON-LD problem documents.", status, notFound, "ProblemType"},
		{problems.ValidationErrorsPath + "{id}", "getValidationErrorType", "Describes constraint violations: the type of a 422 document.",
			"The page the type of a constraint violation list names: what each of its codes means. The codes:\n\n" + codes, id, violation, "ValidationProblemType"},
		{problems.APIValidationErrorsPath + "{id}", "getValidationError", "Describes constraint violations: the @id of a 422 document.",
			"The same page as " + problems.ValidationErrorsPath + "{id}, at the @id of the JSON-LD constraint violation lists.", id, violation, "ValidationProblemType"},
	} {
		t := traits{method: http.MethodGet, public: true, negotiated: true, etag: true, params: true, cacheable: true, page: true}
		ld, plain := g.ref(nil, outErrorType), g.ref(nil, outErrorTypePlain)
		content := g.linkedData(ld, plain, p.exampleName, p.path, p.example, withoutKeywords(p.example), t)
		content["text/html"] = g.media(map[string]any{"type": "string", "description": "A page for people: no script, a strict Content-Security-Policy."},
			"ProblemType.html", "The page (abridged).", "<!doctype html>\n<html lang=\"en\">\n…\n<h1>404 Resource not found</h1>\n…\n</html>\n")
		a := answer{status: 200, what: "The kind's description.", content: content}
		op := map[string]any{
			"operationId": p.id,
			"tags":        []any{errorsTag},
			"summary":     p.summary,
			"description": p.description,
			"security":    []any{},
			"responses":   map[string]any{"200": g.success(t, a)},
		}
		g.add(p.path, http.MethodGet, g.finish(op, t, []any{p.param}, &a))
	}
}

// entrypointSchema is the entrypoint document: one link per collection.
func (g *openAPI) entrypointSchema() map[string]any {
	props := ldKeys(true)
	props["@type"] = map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "prefixItems": []any{map[string]any{"const": "Entrypoint"}},
		"description": "Entrypoint (first: api-doc-parser reads the first type) and hydra:Resource, which alcaeus needs for its collection links. JSON-LD form only."}
	props["collection"] = collectionLinksSchema("The collections the entrypoint lists, as Hydra collection links: each asserts the class of its members (rdf:type). JSON-LD form only.")
	var required []any
	for _, c := range g.reg.Collections() {
		props[lcfirst(c.Name)] = map[string]any{"type": "string", "format": "iri-reference", "description": "The collection of " + c.Name + " resources."}
		required = append(required, lcfirst(c.Name))
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

// finish adds what an operation's traits imply: the common header
// parameters, the 304 and error answers and, for public ones, no security.
// ok is the operation's 200, which a 304 stands for.
func (g *openAPI) finish(op map[string]any, t traits, params []any, ok *answer) map[string]any {
	params = append(params, paramRef("Orgraph-Version"), paramRef("X-Request-ID"))
	if t.idempotent() {
		params = append(params, paramRef("Idempotency-Key"))
	}
	if t.conditional() {
		params = append(params, paramRef("If-Match"))
	}
	if t.etag {
		params = append(params, paramRef("If-None-Match"))
	}
	op["parameters"] = params
	if t.public {
		op["security"] = []any{}
	}
	responses := op["responses"].(map[string]any)
	if t.etag {
		a := *ok
		a.status, a.what = http.StatusNotModified, "Not Modified: If-None-Match names the current ETag."
		responses["304"] = g.success(t, a)
	}
	for _, status := range problemsOf(t, g.opts.RateLimited) {
		g.problemsUsed[status] = true
		responses[strconv.Itoa(status)] = map[string]any{"$ref": "#/components/responses/" + problemName(status)}
	}
	return op
}

// success is a 2xx or 304 answer with the headers the server puts on it.
func (g *openAPI) success(t traits, a answer) map[string]any {
	hs := answerHeaders(t, a, g.opts.RateLimited)
	resp := map[string]any{"description": a.what, "headers": g.headerRefs(hs...)}
	if a.content != nil && a.status != http.StatusNotModified {
		resp["content"] = a.content
	}
	return resp
}

// Parameters.

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// pathParams are an operation's path parameters: ids, in canonical
// lower-case UUID form (ParseIRI accepts no other). An alias's parameter is
// the id of the class its Sets property refers to.
func pathParams(c *Class, path string, sets map[string]string) []any {
	var out []any
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		class := c
		if prop, ok := sets[m[1]]; ok {
			class = c.Prop(prop).Class
		}
		schema := map[string]any{"type": "string", "format": "uuid", "pattern": uuidPattern}
		if class.Resource.NumericID {
			schema = map[string]any{"type": "string", "pattern": numericIDPattern}
		}
		out = append(out, map[string]any{
			"name": m[1], "in": "path", "required": true,
			"description": "The " + class.Name + "'s id.",
			"schema":      schema,
			"example":     exampleID(class),
		})
	}
	return out
}

// queryParams are a collection's: pagination, then its filters and
// order[...] as the search IriTemplate lists them.
func queryParams(c *Class, omit map[string]bool) []any {
	res := c.Resource
	out := []any{paramRef("page"), paramRef("itemsPerPage"), paramRef("partial")}
	if res.Cursor {
		out = append(out, map[string]any{"name": CursorParam, "in": "query", "required": false,
			"description": "Where a page starts: the opaque cursor of the view's next or previous link. Without it (and without page), the newest items; with page, numbered pages and a count instead.",
			"schema":      map[string]any{"type": "string", "maxLength": MaxCursorLength}})
	}
	for _, f := range res.Filters {
		if omit[f.Property] {
			continue
		}
		p := c.Prop(f.Property)
		if f.Date {
			for _, bound := range DateBounds {
				out = append(out, map[string]any{"name": DateVariable(f.Variable, bound), "in": "query", "required": false,
					"description": "Only the " + c.Name + " resources whose " + p.Name + " is " + strings.ReplaceAll(bound, "_", " ") + map[bool]string{true: "", false: " or at"}[strings.HasPrefix(bound, "strictly")] + " this time (RFC 3339, or a date for its midnight UTC). Also spelled " + f.Variable + "." + bound + ", as the search IriTemplate does.",
					"schema":      map[string]any{"type": "string", "format": "date-time"}})
			}
			continue
		}
		schema := map[string]any{"type": "string"}
		description := "Only the " + c.Name + " resources whose " + p.Name + " is this value."
		switch {
		case p.Kind == Reference:
			description = "Only the " + c.Name + " resources of this " + p.Class.Name + ": its IRI or id."
		case f.Partial:
			description = "Only the " + c.Name + " resources whose " + p.Name + " contains this text (case-insensitive)."
		case len(p.Enum) > 0:
			schema["enum"] = toAny(p.Enum)
		}
		if f.Many {
			description += " Several values match any of them: repeated, as " + f.Variable + "[], or separated by commas."
			if f.Prefixes {
				description += " A value ending in .* matches every value that begins with what precedes the *."
				if enum, ok := schema["enum"].([]any); ok {
					schema["enum"] = append(enum, toAny(PrefixValues(p.Enum))...)
				}
			}
			schema = map[string]any{"type": "array", "items": schema, "maxItems": MaxFilterValues}
			out = append(out, map[string]any{"name": f.Variable, "in": "query", "required": false, "description": description, "schema": schema, "style": "form", "explode": true})
			continue
		}
		out = append(out, map[string]any{"name": f.Variable, "in": "query", "required": false, "description": description, "schema": schema})
	}
	if res.MetadataFilter {
		// The example is empty: Swagger UI fills an object parameter with
		// its example (else a generated one, additionalProp1…), which
		// would filter every item out of a plain "Execute".
		out = append(out, map[string]any{"name": "metadata", "in": "query", "required": false, "style": "deepObject", "explode": true, "example": map[string]any{},
			"description": fmt.Sprintf("Only the %s resources whose metadata holds each key with exactly its value: metadata[plan]=pro&metadata[region]=eu (at most %d keys).", c.Name, MaxMetadataFilters),
			"schema": map[string]any{"type": "object", "maxProperties": MaxMetadataFilters,
				"propertyNames":        map[string]any{"minLength": 1, "maxLength": schema.MetadataMaxKeyLength},
				"additionalProperties": map[string]any{"type": "string", "maxLength": schema.MetadataMaxValueLength}}})
	}
	for _, o := range res.Orderable {
		out = append(out, map[string]any{
			"name": "order[" + o + "]", "in": "query", "required": false,
			"description": "Sorts by " + o + " (case-insensitive direction; keys apply in the order sent). Also spelled " + OrderVariable(o) + ", as the search IriTemplate does.",
			"schema":      map[string]any{"type": "string", "enum": []any{"asc", "desc", "ASC", "DESC"}},
		})
	}
	return out
}

func paramRef(name string) map[string]any {
	return map[string]any{"$ref": "#/components/parameters/" + name}
}

// parameters are the shared ones: headers the middleware reads on every
// route, and pagination.
func (g *openAPI) parameters() map[string]any {
	version := map[string]any{"type": "string", "pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`}
	if len(g.opts.Versions) > 0 {
		version["enum"] = toAny(g.opts.Versions)
	}
	header := func(name, description string, schema map[string]any, example string) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": false, "description": description, "schema": schema, "example": example}
	}
	str := map[string]any{"type": "string"}
	replay := "the first answer is replayed"
	if ttl := g.opts.IdempotencyTTL; ttl > 0 {
		replay += " for " + duration(ttl)
	}
	return map[string]any{
		"Orgraph-Version": header("Orgraph-Version", "The API version to follow (YYYY-MM-DD); the key's pinned version, else the latest, when absent. An unsupported one is a 400.", version, lastOr(g.opts.Versions, "2026-11-01")),
		"X-Request-ID":    header("X-Request-ID", "A request id to echo in X-Request-ID and in problem documents (1 to 128 of A-Z a-z 0-9 . _ : -); the server makes one otherwise.", str, "checkout-7f3a9c"),
		"Idempotency-Key": header("Idempotency-Key", "A key (1 to 255 visible ASCII characters, bare or quoted) that makes retries safe: "+replay+
			" (with Idempotent-Replayed: true); the same key for another request is a 422, and while the first request runs a 409.",
			map[string]any{"type": "string", "minLength": 1, "maxLength": 257, "pattern": `^[!-~]+$`}, "0b8e6c9a-3f41-4c55-9d1e-2a7f5b6c8d90"),
		"If-Match":      header("If-Match", "The ETag of the version read: a stale one is a 412 and changes nothing.", str, `"5f2b9c0e1a7d4e3f"`),
		"If-None-Match": header("If-None-Match", "ETags the client holds: a match is a 304.", str, `"5f2b9c0e1a7d4e3f"`),
		"page": map[string]any{"name": "page", "in": "query", "required": false, "description": "The page, from 1.",
			"schema": map[string]any{"type": "integer", "minimum": 1, "default": 1}},
		"itemsPerPage": map[string]any{"name": "itemsPerPage", "in": "query", "required": false,
			"description": "Items per page; larger values are capped at " + strconv.Itoa(MaxItemsPerPage) + "; 0 asks for the count alone.",
			"schema":      map[string]any{"type": "integer", "minimum": 0, "default": DefaultItemsPerPage}},
		"partial": map[string]any{"name": "partial", "in": "query", "required": false,
			"description": "true skips the count: no totalItems or X-Total-Count, no first and last pages.",
			"schema":      map[string]any{"type": "boolean", "default": false}},
	}
}

func lastOr(list []string, fallback string) string {
	if len(list) == 0 {
		return fallback
	}
	return list[len(list)-1]
}

// duration says a configured duration the way people do: "24 hours".
func duration(d time.Duration) string {
	unit, n := "second", int64(d.Round(time.Second)/time.Second)
	switch {
	case d%time.Hour == 0:
		unit, n = "hour", int64(d/time.Hour)
	case d%time.Minute == 0:
		unit, n = "minute", int64(d/time.Minute)
	}
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

// Headers.

// header is a response header as one answer carries it.
type header struct {
	name     string
	required bool
}

// everyAnswer are the headers the common middleware puts on every answer.
var everyAnswer = []header{
	{"X-Request-ID", true}, {"Orgraph-Version", true}, {"Link", true},
	{"Vary", true}, {"X-Content-Type-Options", true}, {"X-Frame-Options", true},
}

// headerSpecs describe every response header the server sends (besides
// Content-Type, Content-Length and the CORS headers, which are for the
// browser to read).
var headerSpecs = map[string]map[string]any{
	"X-Request-ID": {"description": "The request's id: the client's X-Request-ID when it sent a usable one, else a new one (req_ and 24 hex digits). Problem documents carry it as request_id.",
		"schema": map[string]any{"type": "string", "pattern": `^[A-Za-z0-9._:\-]{1,128}$`}, "example": "req_5f2b9c0e1a7d4e3f8b6c2a19"},
	"Orgraph-Version": {"description": "The API version the answer follows: the request's Orgraph-Version, else the key's pinned version, else the latest.",
		"schema": map[string]any{"type": "string", "pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`}, "example": "2026-11-01"},
	"Link": {"description": `The API documentation: <…/api/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation". ` +
		`A JSON-LD problem document adds <http://www.w3.org/ns/hydra/error>; rel="http://www.w3.org/ns/json-ld#error" and its context, <…/api/contexts/Error>; rel="http://www.w3.org/ns/json-ld#context" (ConstraintViolation for a 422), before it; ` +
		`a plain JSON collection page adds the absolute URLs of its first, prev, next and last pages (the pages its JSON-LD view names).`,
		"schema": map[string]any{"type": "string"}, "example": `<https://api.example.com/api/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"`},
	"Vary":                   {"description": "Accept: the answer depends on it.", "schema": map[string]any{"type": "string"}, "example": "Accept"},
	"X-Content-Type-Options": {"description": "nosniff.", "schema": map[string]any{"type": "string", "enum": []any{"nosniff"}}, "example": "nosniff"},
	"X-Frame-Options":        {"description": "deny: no page of the API may be framed.", "schema": map[string]any{"type": "string", "enum": []any{"deny"}}, "example": "deny"},
	"ETag": {"description": "A strong validator of this representation's bytes, for If-None-Match (304) and If-Match (412).",
		"schema": map[string]any{"type": "string", "pattern": `^"[0-9a-f]+"$`}, "example": `"5f2b9c0e1a7d4e3f"`},
	"Location": {"description": "The IRI of the resource created.", "schema": map[string]any{"type": "string", "format": "iri-reference"},
		"example": "/api/organizations/" + exampleOrganizationID},
	"Content-Location": {"description": "The IRI of the representation the answer holds (the resource's IRI with .jsonld or .json): on the JSON-LD and JSON answers of a write.",
		"schema": map[string]any{"type": "string", "format": "iri-reference"}, "example": "/api/organizations/" + exampleOrganizationID + ".jsonld"},
	"Allow": {"description": "The methods the path answers.", "schema": map[string]any{"type": "string", "pattern": `^[A-Z]+(?:, [A-Z]+)*$`},
		"example": "OPTIONS, HEAD, GET, PATCH, DELETE"},
	"Accept-Patch": {"description": "The media types a PATCH of the resource reads.", "schema": map[string]any{"type": "string"},
		"example": "application/merge-patch+json, application/ld+json"},
	"Accept-Post": {"description": "The media types a POST to the collection reads.", "schema": map[string]any{"type": "string"},
		"example": "application/ld+json, application/json"},
	"Last-Event-ID": {"description": "On a Mercure subscription: the IRI of the last update before it (earliest when there is none).",
		"schema": map[string]any{"type": "string"}, "example": "https://api.example/api/events/42"},
	"X-Accel-Buffering": {"description": "On a stream: no, so that a proxy passes each update on at once.",
		"schema": map[string]any{"type": "string", "enum": []any{"no"}}, "example": "no"},
	"Cache-Control": {"description": "How long the answer may be kept: five minutes for the documentation and the error pages, no-cache for the explorer's page and streams.",
		"schema": map[string]any{"type": "string"}, "example": "public, max-age=300"},
	"Content-Security-Policy": {"description": "On HTML pages (the explorer's, the error pages): their own scripts and style sheets only.",
		"schema": map[string]any{"type": "string"}, "example": "default-src 'none'; style-src 'self'"},
	"Referrer-Policy": {"description": "On HTML pages: no-referrer.", "schema": map[string]any{"type": "string"}, "example": "no-referrer"},
	"RateLimit": {"description": `What is left of the caller's allowance: "<policy>";r=<requests left>;t=<seconds until it is full again> (draft-ietf-httpapi-ratelimit-headers-10). Left out when the limiter cannot be reached (the request goes through).`,
		"schema": map[string]any{"type": "string", "pattern": `^"[^"]+";r=[0-9]+;t=[0-9]+$`}, "example": `"default";r=598;t=1`},
	"RateLimit-Policy": {"description": `The allowance of every caller (an API key, or a client address without one): "<policy>";q=<requests>;w=<window in seconds>. Not on the probes.`,
		"schema": map[string]any{"type": "string", "pattern": `^"[^"]+";q=[0-9]+;w=[0-9]+$`}, "example": `"default";q=600;w=60`},
	"Retry-After": {"description": "Seconds to wait before trying again.", "schema": map[string]any{"type": "integer", "minimum": 0}, "example": 1},
	"Idempotent-Replayed": {"description": "true when the answer replays the first answer to this Idempotency-Key.",
		"schema": map[string]any{"type": "string", "enum": []any{"true"}}, "example": "true"},
	"WWW-Authenticate": {"description": `Bearer realm="orgraph": send an API key (or a token of the server's OpenID Connect issuer) as a bearer token; error="invalid_token" when the one sent was refused.`, "schema": map[string]any{"type": "string"}, "example": `Bearer realm="orgraph"`},
	"X-Total-Count": {"description": "On a plain JSON collection page: the number of items on every page (absent with partial=true).",
		"schema": map[string]any{"type": "integer", "minimum": 0}, "example": 42},
}

// headerRefs refers to the headers' components, writing each on first
// use: one component per header and requiredness (a header object says
// whether it is required, and a reference cannot change that), the
// optional one named "<header>.optional".
func (g *openAPI) headerRefs(hs ...header) map[string]any {
	out := make(map[string]any, len(hs))
	for _, h := range hs {
		spec, ok := headerSpecs[h.name]
		if !ok {
			panic("hydra: no OpenAPI description of the " + h.name + " header")
		}
		key := h.name
		if !h.required {
			key += ".optional"
		}
		if _, done := g.headers[key]; !done {
			c := map[string]any{"required": h.required}
			for k, v := range spec {
				c[k] = v
			}
			g.headers[key] = c
		}
		out[h.name] = map[string]any{"$ref": "#/components/headers/" + key}
	}
	return out
}

var securitySchemes = map[string]any{
	"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API key (og_live_… or og_test_…) as a bearer token; on a server started with --oidc-issuer, also a JSON Web Token of that OpenID Connect issuer."},
	"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key (og_live_… or og_test_…)."},
}

// Problem documents.

// problemHeaders are the headers particular error answers carry.
var problemHeaders = map[int][]header{
	http.StatusUnauthorized:         {{"WWW-Authenticate", true}},
	http.StatusConflict:             {{"Retry-After", true}},
	http.StatusUnsupportedMediaType: {{"Accept-Patch", false}}, // on a PATCH's
	http.StatusTooManyRequests:      {{"Retry-After", true}},   // and the rate limit's headers when requests are metered
	http.StatusServiceUnavailable:   {{"Retry-After", true}},
}

// problemName is the components.responses key of a status: its reason
// phrase without spaces (TooManyRequests).
func problemName(status int) string { return strings.ReplaceAll(http.StatusText(status), " ", "") }

// problemResponses are the shared error answers: RFC 9457 documents of the
// Error (schema Problem) and ConstraintViolation classes, one per kind of
// the error catalogue, each with its title and type.
func (g *openAPI) problemResponses() map[string]any {
	out := map[string]any{}
	for _, k := range problems.Kinds {
		if !g.problemsUsed[k.Status] {
			continue
		}
		hs := append([]header{}, everyAnswer...)
		hs = append(hs, header{"Allow", false}, header{"Idempotent-Replayed", false})
		if g.opts.RateLimited {
			// A 429 of the rate limit carries both, one of the
			// Idempotency-Key cap RateLimit-Policy alone, like any metered
			// answer (RateLimit is left out when the limiter is down).
			hs = append(hs, header{"RateLimit-Policy", k.Status == http.StatusTooManyRequests}, header{"RateLimit", false})
		}
		hs = append(hs, problemHeaders[k.Status]...)
		kind := map[string]any{"allOf": []any{g.ref(Error, outProblem), map[string]any{
			"properties": map[string]any{
				"status": map[string]any{"const": k.Status},
				"title":  map[string]any{"const": k.Title},
				"type":   map[string]any{"const": k.Type()},
			},
		}}}
		schema, description := kind, k.Title+": "+k.Description
		examples := g.problemExamples(k.Status)
		if k.Status == http.StatusUnprocessableEntity {
			violations := map[string]any{"allOf": []any{g.ref(ConstraintViolation, outProblem), map[string]any{
				"required": []any{"violations"},
				"properties": map[string]any{
					"title":      map[string]any{"const": problems.ValidationTitle},
					"violations": map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "object"}},
				},
			}}}
			schema = map[string]any{"anyOf": []any{violations, kind}}
			description = problems.ValidationTitle + ": " + problems.ValidationDescription + " Or " + description
			for k, v := range g.problemExamples(0) {
				examples[k] = v
			}
		}
		out[problemName(k.Status)] = map[string]any{
			"description": description,
			"headers":     g.headerRefs(hs...),
			"content": map[string]any{
				"application/problem+json": map[string]any{"schema": schema, "examples": examples},
			},
		}
	}
	return out
}
