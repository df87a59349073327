package hydra

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The OpenAPI 3.1 description of the API (GET /api/docs.json), derived from
// the registry as the Hydra documentation is: every path, schema and
// parameter comes from the declarations in resources.go, so the two
// descriptions cannot disagree. Names follow API Platform 4's OpenAPI
// factory (operationIds, Class.jsonld schemas, Hydra collection schemas) so
// that tools written for API Platform read it as they read API Platform's.
// What is not in the registry (aliases, probes, the API version) the
// caller passes in OpenAPIOptions.

const (
	// OpenAPIPath serves the OpenAPI document (API Platform's path for it).
	OpenAPIPath = "/api/docs.json"
	// OpenAPIMediaType asks for it in Accept.
	OpenAPIMediaType = "application/vnd.openapi+json"
	openAPIVersion   = "3.1.0"
	docsTag          = "Documentation"
	operationsTag    = "Operations"
)

// OpenAPIOptions is what the OpenAPI document needs beyond the registry.
type OpenAPIOptions struct {
	// Versions are the Orgraph-Version values the server accepts, oldest
	// first; the last one is info.version.
	Versions []string
	// Extra are the routes the registry does not declare.
	Extra []ExtraOperation
}

// ExtraOperation is a route the registry does not declare. With a Class it
// is an alias: it takes and returns what the Class's Kind operation does
// (POST /api/organizations/{org}/workspaces is POST /api/workspaces). Without
// one it is an operational endpoint: a public GET outside the resources
// (/healthz, /readyz, /metrics).
type ExtraOperation struct {
	Path  string // a path template: "/api/organizations/{org}/workspaces"
	Class *Class
	Kind  OpKind
	// Sets maps an alias's path parameters to the property each one fixes
	// ("org": "organization"): the handlers set it whatever the body or the
	// query says, so it is left out of both.
	Sets    map[string]string
	Summary string // defaults to the registry operation's
	// Media is the media type of an operational endpoint's 200 answer.
	Media string
	// Unavailable says an operational endpoint answers 503 when the
	// database is unreachable (readyz).
	Unavailable bool
}

// OpenAPI is the body of GET /api/docs.json for a base URL (scheme and
// host, no trailing slash).
func (r *Registry) OpenAPI(base string, opts OpenAPIOptions) map[string]any {
	g := &openAPI{reg: r, versions: opts.Versions, paths: map[string]map[string]any{}, schemas: map[string]any{}}
	var tags []any
	for _, c := range r.Classes {
		if c.Resource == nil {
			continue
		}
		tags = append(tags, map[string]any{"name": c.Name, "description": c.Description})
		g.resource(c)
	}
	g.documentation()
	for _, e := range opts.Extra {
		g.extra(e)
	}
	tags = append(tags,
		map[string]any{"name": docsTag, "description": "The entrypoint, the Hydra and OpenAPI documentation and the JSON-LD contexts: public."},
		map[string]any{"name": operationsTag, "description": "Probes and metrics for the infrastructure: public, not rate limited."})
	version := "unversioned" // info.version must not be empty
	if n := len(opts.Versions); n > 0 {
		version = opts.Versions[n-1]
	}
	if base == "" {
		base = "/"
	}
	responses := g.problemResponses()
	return map[string]any{
		"openapi":  openAPIVersion,
		"info":     map[string]any{"title": r.Title, "description": r.Description, "version": version},
		"servers":  []any{map[string]any{"url": base}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}},
		"tags":     tags,
		"paths":    g.paths,
		"components": map[string]any{
			"responses":       responses,
			"schemas":         g.schemas,
			"parameters":      g.parameters(),
			"headers":         openAPIHeaders,
			"securitySchemes": securitySchemes,
		},
	}
}

// openAPI accumulates the document: paths as operations are added, schemas
// as operations refer to them (only what is used is written).
type openAPI struct {
	reg      *Registry
	versions []string
	paths    map[string]map[string]any
	schemas  map[string]any
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

// traits are what an operation's common parameters and error answers
// depend on.
type traits struct {
	method     string
	public     bool // no API key: the documentation and the probes
	unmetered  bool // not rate limited: the probes
	negotiated bool // the answer's format comes from Accept (406)
	body       bool // reads a request body (413, 415, 422)
	params     bool // has path parameters: an unknown one is a 404
	etag       bool // a GET tagged with an ETag (If-None-Match, 304)
	// unavailable: a public endpoint that still answers 503 without its database.
	unavailable bool
}

// idempotent writes take an Idempotency-Key (409 while the first runs, 422
// when it was used for another request); the handlers keep answers per key
// owner, so only authenticated ones.
func (t traits) idempotent() bool { return !t.public && t.method != http.MethodGet }

// conditional writes take If-Match (412, 428).
func (t traits) conditional() bool {
	return t.method == http.MethodPatch || t.method == http.MethodDelete
}

// resource documents a class's operations and item actions on its own paths.
func (g *openAPI) resource(c *Class) {
	res := c.Resource
	for _, k := range res.Operations {
		path := res.Item + "{id}"
		if k.OnCollection() {
			path = res.Collection
		}
		g.add(path, k.Method(), g.crud(c, k, path, nil, ""))
	}
	for _, a := range res.Actions {
		path := res.Item + "{id}/" + a.Name
		g.add(path, http.MethodPost, g.action(c, a, path))
	}
}

// crud is one of a class's operations, on its own path or on an alias's.
// Summaries and descriptions are the Hydra documentation's, which are API
// Platform's.
func (g *openAPI) crud(c *Class, k OpKind, path string, sets map[string]string, summary string) map[string]any {
	doc := operation(c, k)
	description, _ := doc["description"].(string)
	if summary == "" {
		summary = description
	}
	t := traits{method: k.Method(), negotiated: k != Delete, params: strings.Contains(path, "{")}
	op := map[string]any{
		"operationId": operationID(path, k.Method(), k == GetCollection),
		"tags":        []any{c.Name},
		"summary":     summary,
		"description": description,
	}
	params := pathParams(c, path, sets)
	omit := fixed(sets)
	switch k {
	case GetCollection:
		t.etag = true
		params = append(params, queryParams(c, omit)...)
		op["responses"] = map[string]any{"200": success(t, 200, c.Name+" collection", g.collectionContent(c))}
	case Get:
		t.etag = true
		op["responses"] = map[string]any{"200": success(t, 200, c.Name+" resource", g.itemContent(c))}
	case Post:
		t.body = true
		op["requestBody"] = g.requestBody(c, true, omit, "The new "+c.Name+" resource.", "application/ld+json", "application/json")
		op["responses"] = map[string]any{"201": success(t, 201, c.Name+" resource created", g.itemContent(c))}
	case Patch:
		t.body = true
		// Admin sends its merge patches as application/ld+json (admin#590);
		// the server reads those as merge patches too.
		op["requestBody"] = g.requestBody(c, false, omit, "The updated "+c.Name+" resource (JSON merge patch: null removes a value).", "application/merge-patch+json", "application/ld+json")
		op["responses"] = map[string]any{"200": success(t, 200, c.Name+" resource updated", g.itemContent(c))}
	case Delete:
		op["responses"] = map[string]any{"204": success(t, 204, c.Name+" resource deleted", nil)}
	}
	return finish(op, t, params)
}

// action is a POST on an item without a body. One that returns another
// class creates a resource of it (accepting an invitation creates a
// Member: 201); one that returns its own class changes it (200).
func (g *openAPI) action(c *Class, a Action, path string) map[string]any {
	status, what := http.StatusOK, a.Returns.Name+" resource"
	if a.Returns != c {
		status, what = http.StatusCreated, a.Returns.Name+" resource created"
	}
	t := traits{method: http.MethodPost, negotiated: true, params: true}
	// The registry's action descriptions name the route after a colon,
	// which the OpenAPI path says already.
	summary, _, cut := strings.Cut(a.Description, ": ")
	if cut {
		summary += "."
	}
	op := map[string]any{
		"operationId": operationID(path, http.MethodPost, false),
		"tags":        []any{c.Name},
		"summary":     summary,
		"description": a.Description,
		"responses": map[string]any{
			strconv.Itoa(status): success(t, status, what, g.itemContent(a.Returns)),
		},
	}
	return finish(op, t, pathParams(c, path, nil))
}

// extra documents an alias as the operation it stands for, or an
// operational endpoint.
func (g *openAPI) extra(e ExtraOperation) {
	if e.Class != nil {
		op := g.crud(e.Class, e.Kind, e.Path, e.Sets, e.Summary)
		op["description"] = aliasDescription(e)
		g.add(e.Path, e.Kind.Method(), op)
		return
	}
	t := traits{method: http.MethodGet, public: true, unmetered: true, unavailable: e.Unavailable}
	schema := map[string]any{"type": "string"}
	if strings.Contains(e.Media, "json") {
		schema = map[string]any{"type": "object"}
	}
	op := map[string]any{
		"operationId": operationID(e.Path, http.MethodGet, false),
		"tags":        []any{operationsTag},
		"summary":     e.Summary,
		"security":    []any{},
		"responses": map[string]any{
			"200": success(t, 200, e.Summary, map[string]any{e.Media: map[string]any{"schema": schema}}),
		},
	}
	g.add(e.Path, http.MethodGet, finish(op, t, nil))
}

// aliasDescription names the canonical operation an alias stands for.
func aliasDescription(e ExtraOperation) string {
	res := e.Class.Resource
	canonical := res.Item + "{id}"
	if e.Kind.OnCollection() {
		canonical = res.Collection
	}
	d := "Alias of " + e.Kind.Method() + " " + canonical + ": the same documents."
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
	ld := func(schema map[string]any) map[string]any {
		return map[string]any{"application/ld+json": map[string]any{"schema": schema}}
	}
	public := func(path, summary, what string, content map[string]any, params []any) {
		t := traits{method: http.MethodGet, public: true, negotiated: true, etag: true, params: len(params) > 0}
		op := map[string]any{
			"operationId": operationID(path, http.MethodGet, false),
			"tags":        []any{docsTag},
			"summary":     summary,
			"security":    []any{},
			"responses":   map[string]any{"200": success(t, 200, what, content)},
		}
		g.add(path, http.MethodGet, finish(op, t, params))
	}
	entrypoint := g.entrypointSchema()
	public(EntrypointPath, "The API entrypoint: a link to every collection.", "Entrypoint", map[string]any{
		"application/ld+json": map[string]any{"schema": entrypoint},
		"application/json":    map[string]any{"schema": entrypoint},
	}, nil)
	public(DocsPath, "The Hydra API documentation.", "ApiDocumentation",
		ld(map[string]any{"type": "object", "description": "A Hydra ApiDocumentation."}), nil)
	openapi := map[string]any{"schema": map[string]any{"type": "object", "description": "This document."}}
	public(OpenAPIPath, "The OpenAPI description of the API (this document).", "OpenAPI document",
		map[string]any{OpenAPIMediaType: openapi, "application/json": openapi}, nil)
	public(DocsRoot, "The API documentation: this document for "+OpenAPIMediaType+" or application/json, the Hydra documentation otherwise.", "OpenAPI or Hydra documentation",
		map[string]any{"application/ld+json": map[string]any{"schema": map[string]any{"type": "object", "description": "A Hydra ApiDocumentation."}}, OpenAPIMediaType: openapi, "application/json": openapi}, nil)
	names := []any{"Entrypoint"}
	for _, c := range g.reg.Classes {
		names = append(names, c.Name)
	}
	class := map[string]any{
		"name": "class", "in": "path", "required": true, "description": "A class name.",
		"schema": map[string]any{"type": "string", "enum": names},
	}
	public(ContextsPath+"{class}", "The JSON-LD context of a class.", "JSON-LD context",
		ld(map[string]any{"type": "object", "required": []any{"@context"}, "properties": map[string]any{"@context": map[string]any{"type": "object"}}}),
		[]any{class})
}

// entrypointSchema is the entrypoint document: one link per collection.
func (g *openAPI) entrypointSchema() map[string]any {
	props := ldKeys(true)
	for _, c := range g.reg.Collections() {
		props[lcfirst(c.Name)] = map[string]any{"type": "string", "format": "iri-reference", "description": "The collection of " + c.Name + " resources."}
	}
	return map[string]any{"type": "object", "properties": props}
}

// finish adds what an operation's traits imply: the common header
// parameters, the error answers and, for public ones, no security.
func finish(op map[string]any, t traits, params []any) map[string]any {
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
		responses["304"] = map[string]any{
			"description": "Not Modified: If-None-Match names the current ETag.",
			"headers":     headerRefs("ETag", "X-Request-ID"),
		}
	}
	for _, status := range problemsOf(t) {
		responses[strconv.Itoa(status)] = map[string]any{"$ref": "#/components/responses/" + problemName(status)}
	}
	return op
}

// problemsOf lists the error answers an operation can give.
func problemsOf(t traits) []int {
	out := []int{http.StatusBadRequest} // a malformed Orgraph-Version, query or body
	if !t.public {
		out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	}
	if t.params {
		out = append(out, http.StatusNotFound)
	}
	if t.negotiated {
		out = append(out, http.StatusNotAcceptable)
	}
	if t.idempotent() {
		out = append(out, http.StatusConflict)
	}
	if t.conditional() {
		out = append(out, http.StatusPreconditionFailed, http.StatusPreconditionRequired)
	}
	if t.body {
		out = append(out, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if t.body || t.idempotent() {
		out = append(out, http.StatusUnprocessableEntity)
	}
	if !t.unmetered {
		out = append(out, http.StatusTooManyRequests)
	}
	if !t.public || t.unavailable {
		out = append(out, http.StatusServiceUnavailable)
	}
	return out
}

// success is a 2xx answer with the headers the server puts on it.
func success(t traits, status int, description string, content map[string]any) map[string]any {
	names := []string{"X-Request-ID", "Orgraph-Version", "Link"}
	if !t.unmetered {
		names = append(names, "RateLimit", "RateLimit-Policy")
	}
	// The server tags every 200 but a POST's (and a probe's, written raw).
	if status == http.StatusOK && t.method != http.MethodPost && !t.unmetered {
		names = append(names, "ETag")
	}
	if status == http.StatusCreated {
		names = append(names, "Location")
	}
	if t.idempotent() {
		names = append(names, "Idempotent-Replayed")
	}
	resp := map[string]any{"description": description, "headers": headerRefs(names...)}
	if content != nil {
		resp["content"] = content
	}
	return resp
}

// operationID is API Platform's: its operation name (_api_ + the path under
// /api + _method) with slashes and braces removed, so that clients
// generated for API Platform keep their method names.
// /api/organizations/{id} PATCH is api_organizations_id_patch.
func operationID(path, method string, collection bool) string {
	var parts []string
	rest, api := strings.CutPrefix(path, "/api")
	if api {
		parts = append(parts, "api")
	}
	if rest = strings.NewReplacer("/", "", "{", "_", "}", "", ".", "_").Replace(rest); rest != "" {
		parts = append(parts, strings.TrimPrefix(rest, "_"))
	}
	parts = append(parts, strings.ToLower(method))
	if collection {
		parts = append(parts, "collection")
	}
	return strings.Join(parts, "_")
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
		out = append(out, map[string]any{
			"name": m[1], "in": "path", "required": true,
			"description": "The " + class.Name + "'s id.",
			"schema":      map[string]any{"type": "string", "format": "uuid"},
		})
	}
	return out
}

// queryParams are a collection's: pagination, then its filters and
// order[...] as the search IriTemplate lists them.
func queryParams(c *Class, omit map[string]bool) []any {
	res := c.Resource
	out := []any{paramRef("page"), paramRef("itemsPerPage"), paramRef("partial")}
	for _, f := range res.Filters {
		if omit[f.Property] {
			continue
		}
		p := c.Prop(f.Property)
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
		out = append(out, map[string]any{"name": f.Variable, "in": "query", "required": false, "description": description, "schema": schema})
	}
	for _, o := range res.Orderable {
		out = append(out, map[string]any{
			"name": "order[" + o + "]", "in": "query", "required": false,
			"description": "Sorts by " + o + " (case-insensitive direction; keys apply in the order sent).",
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
	if len(g.versions) > 0 {
		version["enum"] = toAny(g.versions)
	}
	header := func(name, description string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": false, "description": description, "schema": schema}
	}
	str := map[string]any{"type": "string"}
	return map[string]any{
		"Orgraph-Version": header("Orgraph-Version", "The API version to follow (YYYY-MM-DD); the key's pinned version, else the latest, when absent. An unsupported one is a 400.", version),
		"X-Request-ID":    header("X-Request-ID", "A request id to echo in X-Request-ID and in problem documents (1 to 128 of A-Z a-z 0-9 . _ : -); the server makes one otherwise.", str),
		"Idempotency-Key": header("Idempotency-Key", "A key (1 to 255 visible ASCII characters, bare or quoted) that makes retries safe: the first answer is replayed for 24 hours.",
			map[string]any{"type": "string", "minLength": 1, "maxLength": 257, "pattern": `^[!-~]+$`}),
		"If-Match":      header("If-Match", "The ETag of the version read: a stale one is a 412 and changes nothing.", str),
		"If-None-Match": header("If-None-Match", "ETags the client holds: a match is a 304.", str),
		"page": map[string]any{"name": "page", "in": "query", "required": false, "description": "The page, from 1.",
			"schema": map[string]any{"type": "integer", "minimum": 1, "default": 1}},
		"itemsPerPage": map[string]any{"name": "itemsPerPage", "in": "query", "required": false,
			"description": "Items per page; larger values are capped at " + strconv.Itoa(MaxItemsPerPage) + ".",
			"schema":      map[string]any{"type": "integer", "minimum": 0, "default": DefaultItemsPerPage}},
		"partial": map[string]any{"name": "partial", "in": "query", "required": false,
			"description": "true skips the count: no totalItems, no first and last pages.",
			"schema":      map[string]any{"type": "boolean", "default": false}},
	}
}

// Headers and security.

var openAPIHeaders = map[string]any{
	"X-Request-ID":        responseHeader("The request's id: the client's X-Request-ID when it sent a usable one, else a new one.", "string"),
	"Orgraph-Version":     responseHeader("The API version the answer follows.", "string"),
	"Link":                responseHeader(`The API documentation: <…/api/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation".`, "string"),
	"ETag":                responseHeader("A strong validator of this representation, for If-Match and If-None-Match.", "string"),
	"Location":            responseHeader("The IRI of the new resource.", "string"),
	"RateLimit":           responseHeader(`The caller's bucket: "default";r=<requests left>;t=<seconds until full> (draft-ietf-httpapi-ratelimit-headers-10).`, "string"),
	"RateLimit-Policy":    responseHeader(`The rate limit: "default";q=<requests>;w=<window in seconds>.`, "string"),
	"Retry-After":         responseHeader("Seconds to wait before trying again.", "integer"),
	"Idempotent-Replayed": responseHeader("true when this answer replays the first answer to the Idempotency-Key.", "string"),
	"WWW-Authenticate":    responseHeader(`Bearer realm="orgraph".`, "string"),
}

func responseHeader(description, typ string) map[string]any {
	return map[string]any{"description": description, "schema": map[string]any{"type": typ}}
}

func headerRefs(names ...string) map[string]any {
	out := make(map[string]any, len(names))
	for _, n := range names {
		out[n] = map[string]any{"$ref": "#/components/headers/" + n}
	}
	return out
}

var securitySchemes = map[string]any{
	"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API key (og_live_… or og_test_…) as a bearer token."},
	"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key (og_live_… or og_test_…)."},
}

// Problem documents.

// problemCauses say when each error answer happens; the handlers decide,
// these only describe.
var problemCauses = []struct {
	status  int
	cause   string
	headers []string
}{
	{http.StatusBadRequest, "The request is malformed: a query parameter, the JSON body, an IRI or the Orgraph-Version header.", nil},
	{http.StatusUnauthorized, "No API key, or not a valid one.", []string{"WWW-Authenticate"}},
	{http.StatusForbidden, "The key may not do this: a read-only key, a role without the permission, or a suspended organization.", nil},
	{http.StatusNotFound, "No such resource, or one the caller cannot see.", nil},
	{http.StatusNotAcceptable, "No media type in Accept (or the URL suffix) is served.", nil},
	{http.StatusConflict, "A request with this Idempotency-Key is still running.", []string{"Retry-After"}},
	{http.StatusPreconditionFailed, "If-Match does not name the current version: nothing changed.", nil},
	{http.StatusRequestEntityTooLarge, "The request body is too large.", nil},
	{http.StatusUnsupportedMediaType, "The body's Content-Type is not accepted here.", nil},
	{http.StatusUnprocessableEntity, "The body breaks constraints (every violation is listed), or the Idempotency-Key was used for another request.", nil},
	{http.StatusPreconditionRequired, "The server requires If-Match on PATCH and DELETE.", nil},
	{http.StatusTooManyRequests, "The caller's rate limit is exhausted.", []string{"Retry-After", "RateLimit", "RateLimit-Policy"}},
	{http.StatusServiceUnavailable, "The database is unreachable.", []string{"Retry-After"}},
}

// problemName is the components.responses key of a status: its reason
// phrase without spaces (TooManyRequests).
func problemName(status int) string { return strings.ReplaceAll(http.StatusText(status), " ", "") }

// problemResponses are the shared error answers: RFC 9457 documents,
// written with the Error and ConstraintViolation classes' properties.
func (g *openAPI) problemResponses() map[string]any {
	out := map[string]any{}
	for _, p := range problemCauses {
		class := Error
		if p.status == http.StatusUnprocessableEntity {
			class = ConstraintViolation
		}
		out[problemName(p.status)] = map[string]any{
			"description": http.StatusText(p.status) + ": " + p.cause,
			"headers":     headerRefs(append([]string{"X-Request-ID"}, p.headers...)...),
			"content": map[string]any{
				"application/problem+json": map[string]any{"schema": g.ref(class, outProblem)},
			},
		}
	}
	return out
}

// Schemas.

// view is which representation of a class a schema describes.
type view int

const (
	outLinked  view = iota // output as application/ld+json
	outPlain               // output as application/json
	outProblem             // an error document: one media type for both forms
	inCreate               // a POST body
	inPatch                // a PATCH body (JSON merge patch)
)

// inputView is the view of a create or a merge-patch body.
func inputView(create bool) view {
	if create {
		return inCreate
	}
	return inPatch
}

// schemaName follows API Platform: Organization.jsonld for JSON-LD,
// Organization for plain JSON. Nested classes without IRIs carry no
// JSON-LD keys, so they have one output schema.
func schemaName(c *Class, v view) string {
	switch v {
	case outLinked:
		if c.Resource != nil {
			return c.Name + ".jsonld"
		}
	case inCreate:
		return c.Name + "-create"
	case inPatch:
		return c.Name + "-patch"
	}
	return c.Name
}

// ref points to a class's schema, writing it on first use.
func (g *openAPI) ref(c *Class, v view) map[string]any {
	name := schemaName(c, v)
	if _, done := g.schemas[name]; !done {
		g.schemas[name] = nil // taken, in case the class refers back to itself
		if v == inCreate || v == inPatch {
			g.schemas[name] = g.input(c, v == inCreate, nil)
		} else {
			g.schemas[name] = g.output(c, v)
		}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// output is what the encoder writes: every property but the write-only
// ones, all optional (nulls and empty strings are left out).
func (g *openAPI) output(c *Class, v view) map[string]any {
	props := map[string]any{}
	var required []any
	// A subclass's JSON-LD keys are its parent's.
	if c.Parent == nil && (v == outProblem || v == outLinked && c.Resource != nil) {
		props = ldKeys(v == outProblem)
		if v == outLinked {
			props["@type"] = map[string]any{"type": "string", "enum": []any{c.Name}}
			required = []any{"@id", "@type"}
		}
	}
	for _, p := range c.Properties {
		if p.WriteOnly {
			continue
		}
		s := g.value(p, v)
		describe(s, p)
		if !p.Writable {
			s["readOnly"] = true
		}
		props[p.Name] = s
	}
	s := map[string]any{"type": "object", "properties": props}
	if required != nil {
		s["required"] = required
	}
	if c.Parent != nil {
		s = map[string]any{"allOf": []any{g.ref(c.Parent, v), s}}
	}
	if c.Description != "" {
		s["description"] = c.Description
	}
	return s
}

// ldKeys are the JSON-LD keywords of a document; optional says they may be
// absent (the plain form of an error document).
func ldKeys(optional bool) map[string]any {
	note := ""
	if optional {
		note = " JSON-LD form only."
	}
	return map[string]any{
		"@context": map[string]any{"type": "string", "format": "iri-reference", "description": "The JSON-LD context." + note},
		"@id":      map[string]any{"type": "string", "format": "iri-reference", "description": "The document's IRI." + note},
		"@type":    map[string]any{"type": "string", "description": "The document's class." + note},
	}
}

// input is what the decoder accepts on create or (as a merge patch) on
// update: the writable properties, create-only ones on create only, the
// required ones required on create only. omit drops properties an alias
// route fixes.
func (g *openAPI) input(c *Class, create bool, omit map[string]bool) map[string]any {
	v := inputView(create)
	props := map[string]any{}
	var required []any
	for _, p := range c.Properties {
		if !p.Writable || p.CreateOnly && !create || omit[p.Name] {
			continue
		}
		s := g.value(p, v)
		switch {
		case !p.Required:
			s = nullable(s, p)
		case create:
			required = append(required, p.Name)
		}
		describe(s, p)
		if p.WriteOnly {
			s["writeOnly"] = true
		}
		props[p.Name] = s
	}
	s := map[string]any{"type": "object", "properties": props}
	if required != nil {
		s["required"] = required
	}
	if c.Description != "" {
		s["description"] = c.Description
	}
	return s
}

// nullable widens an optional property to what the decoder accepts besides
// a valid value: null (which a merge patch uses to remove it) and, for a
// string, "" (no value), which bypasses the format, pattern and enum checks.
func nullable(s map[string]any, p *Property) map[string]any {
	if p.Kind == String && !p.Many && rejectsEmpty(s) {
		return map[string]any{"anyOf": []any{s, map[string]any{"const": ""}, map[string]any{"type": "null"}}}
	}
	if t, ok := s["type"].(string); ok {
		s["type"] = []any{t, "null"}
		return s
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}} // a $ref
}

func rejectsEmpty(s map[string]any) bool {
	_, enum := s["enum"]
	_, format := s["format"]
	_, pattern := s["pattern"]
	return enum || format || pattern || s["minLength"] != nil
}

func describe(s map[string]any, p *Property) {
	if p.Description != "" {
		s["description"] = p.Description
	}
}

// value is a property's schema; Many makes it an array.
func (g *openAPI) value(p *Property, v view) map[string]any {
	s := g.scalar(p, v)
	if !p.Many {
		return s
	}
	list := map[string]any{"type": "array", "items": s}
	if p.MaxItems > 0 {
		list["maxItems"] = p.MaxItems
	}
	return list
}

// scalar is one value of a property, with the decoder's constraints (the
// stored values were checked by them, so they hold on output too).
func (g *openAPI) scalar(p *Property, v view) map[string]any {
	switch p.Kind {
	case Integer:
		s := map[string]any{"type": "integer"}
		if p.Minimum != 0 || p.Maximum != 0 { // both zero: unbounded, as the decoder reads them
			s["minimum"], s["maximum"] = p.Minimum, p.Maximum
		}
		return s
	case Boolean:
		return map[string]any{"type": "boolean"}
	case DateTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case Reference:
		return map[string]any{"type": "string", "format": "iri-reference", "description": "The IRI of a " + p.Class.Name + "."}
	case Object:
		if v == outProblem {
			v = outPlain // nested objects of a problem carry no JSON-LD keys
		}
		return g.ref(p.Class, v)
	}
	s := map[string]any{"type": "string"}
	switch p.Format {
	case Email:
		s["format"] = "email"
	case Phone:
		s["pattern"] = phonePattern.String()
	}
	if len(p.Enum) > 0 {
		s["enum"] = toAny(p.Enum)
	}
	// A required string must not be blank.
	if minLength := max(p.MinLength, btoi(p.Required)); minLength > 0 {
		s["minLength"] = minLength
	}
	if p.MaxLength > 0 {
		s["maxLength"] = p.MaxLength
	}
	return s
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// fixed is the set of properties an alias's path sets.
func fixed(sets map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, prop := range sets {
		out[prop] = true
	}
	return out
}

// itemContent is a resource document in both output forms.
func (g *openAPI) itemContent(c *Class) map[string]any {
	return map[string]any{
		"application/ld+json": map[string]any{"schema": g.ref(c, outLinked)},
		"application/json":    map[string]any{"schema": g.ref(c, outPlain)},
	}
}

// collectionContent is a page: a Hydra Collection in JSON-LD (API Platform
// 4: the shared HydraCollectionBaseSchema plus the typed member array), a
// bare array in plain JSON.
func (g *openAPI) collectionContent(c *Class) map[string]any {
	if _, ok := g.schemas[hydraCollectionBase]; !ok {
		g.schemas[hydraCollectionBase] = hydraCollectionSchema()
	}
	return map[string]any{
		"application/ld+json": map[string]any{"schema": map[string]any{"allOf": []any{
			map[string]any{"$ref": "#/components/schemas/" + hydraCollectionBase},
			map[string]any{
				"type":     "object",
				"required": []any{"member"},
				"properties": map[string]any{
					"member": map[string]any{"type": "array", "items": g.ref(c, outLinked)},
				},
			},
		}}},
		"application/json": map[string]any{"schema": map[string]any{"type": "array", "items": g.ref(c, outPlain)}},
	}
}

// requestBody is a create or merge-patch body in the given media types. An
// alias's body is written inline: it lacks the properties its path fixes.
func (g *openAPI) requestBody(c *Class, create bool, omit map[string]bool, description string, types ...string) map[string]any {
	schema := g.ref(c, inputView(create))
	if len(omit) > 0 {
		schema = g.input(c, create, omit)
	}
	content := map[string]any{}
	for _, t := range types {
		content[t] = map[string]any{"schema": schema}
	}
	return map[string]any{"description": description, "required": true, "content": content}
}

const hydraCollectionBase = "HydraCollectionBaseSchema"

// hydraCollectionSchema is what every collection page carries besides its
// members, as Collection.AppendJSON writes it.
func hydraCollectionSchema() map[string]any {
	iri := map[string]any{"type": "string", "format": "iri-reference"}
	str := map[string]any{"type": "string"}
	props := ldKeys(false)
	props["@type"] = map[string]any{"type": "string", "enum": []any{"Collection"}}
	props["totalItems"] = map[string]any{"type": "integer", "minimum": 0, "description": "The number of items on every page; absent with partial=true."}
	props["view"] = map[string]any{
		"type":        "object",
		"description": "The page: absent when one unfiltered page holds everything.",
		"required":    []any{"@id", "@type"},
		"properties": map[string]any{
			"@id": iri, "@type": str, "first": iri, "last": iri, "previous": iri, "next": iri,
		},
	}
	props["search"] = map[string]any{
		"type":        "object",
		"description": "The IRI template of the filters and order[...] parameters.",
		"properties": map[string]any{
			"@type": str, "template": str, "variableRepresentation": str,
			"mapping": map[string]any{"type": "array", "items": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"@type": str, "variable": str, "property": str, "required": map[string]any{"type": "boolean"},
				},
			}},
		},
	}
	return map[string]any{
		"type":        "object",
		"description": "A page of a Hydra collection.",
		"required":    []any{"@context", "@id", "@type"},
		"properties":  props,
	}
}
