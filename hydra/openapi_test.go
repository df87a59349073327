package hydra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// extras are the routes handlers/routes.go serves beside the registry's.
var extras = []hydra.ExtraOperation{
	{Path: "/api/organizations/{org}/members/invite", OperationID: "inviteToOrganization", Class: hydra.Invitation, Kind: hydra.Post, Sets: map[string]string{"org": "organization"}, Summary: "Invites someone to the organization."},
	{Path: "/api/organizations/{org}/workspaces", OperationID: "listOrganizationWorkspaces", Class: hydra.Workspace, Kind: hydra.GetCollection, Sets: map[string]string{"org": "organization"}},
	{Path: "/api/organizations/{org}/workspaces", OperationID: "createOrganizationWorkspace", Class: hydra.Workspace, Kind: hydra.Post, Sets: map[string]string{"org": "organization"}},
	{Path: "/api/organizations/{org}/roles", OperationID: "listOrganizationRoles", Class: hydra.Role, Kind: hydra.GetCollection, Sets: map[string]string{"org": "organization"}},
	{Path: "/api/me", OperationID: "getCurrentUser", Class: hydra.User, Kind: hydra.Get, Summary: "Retrieves the caller."},
	{Path: "/healthz", OperationID: "getHealth", Summary: "The process is up.", Description: "Liveness.", Media: "application/json", Example: `{"status":"ok"}`},
	{Path: "/readyz", OperationID: "getReadiness", Summary: "The database is reachable.", Description: "Readiness.", Media: "application/json", Example: `{"status":"ready"}`, Unavailable: true},
	{Path: "/metrics", OperationID: "getMetrics", Summary: "Prometheus metrics.", Description: "Metrics.", Media: "text/plain", Example: "# metrics\n"},
}

// openAPI is the document as a client reads it: marshalled, then parsed
// back into plain JSON values.
func openAPI(t *testing.T) (raw []byte, doc map[string]any) {
	t.Helper()
	raw, err := json.Marshal(hydra.API.OpenAPI("https://api.example.test", hydra.OpenAPIOptions{
		Versions:       []string{"2026-11-01"},
		Extra:          extras,
		IdempotencyTTL: 24 * time.Hour,
		RateLimited:    true,
		Contact:        map[string]any{"name": "Orgraph maintainers"},
		License:        map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return raw, doc
}

// loaded is the document as kin-openapi loads it (every $ref resolved).
func loaded(t *testing.T) *openapi3.T {
	t.Helper()
	raw, _ := openAPI(t)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return doc
}

func TestOpenAPIValidates(t *testing.T) {
	doc := loaded(t)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q: want 3.1.0", doc.OpenAPI)
	}
	err := doc.Validate(context.Background(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableExamplesValidation(),
	)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.Info.Version != "2026-11-01" || doc.Info.Title != hydra.API.Title {
		t.Errorf("info: %+v", doc.Info)
	}
}

// Every operation and action the registry declares, and every extra route,
// is documented, tagged with its class.
func TestOpenAPIDocumentsEveryOperation(t *testing.T) {
	doc := loaded(t)
	want := func(method, path, tag string) {
		t.Helper()
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s %s is not documented", method, path)
			return
		}
		op := item.GetOperation(method)
		if tag != "" && !slices.Equal(op.Tags, []string{tag}) {
			t.Errorf("%s %s: tags %v, want [%s]", method, path, op.Tags, tag)
		}
		if (tag == "Operations" || tag == "Documentation" || tag == "Errors") && (op.Security == nil || len(*op.Security) != 0) {
			t.Errorf("%s %s: public, but security is %v", method, path, op.Security)
		}
	}
	count := 0
	for _, c := range hydra.API.Classes {
		if c.Resource == nil {
			continue
		}
		for _, k := range c.Resource.Operations {
			path := c.Resource.Item + "{id}"
			if k.OnCollection() {
				path = c.Resource.Collection
			}
			want(k.Method(), path, c.Name)
			count++
		}
		for _, a := range c.Resource.Actions {
			want(http.MethodPost, c.Resource.ActionPath(a), c.Name)
			count++
		}
	}
	for _, e := range extras {
		if e.Class != nil {
			want(e.Kind.Method(), e.Path, e.Class.Name)
		} else {
			want(http.MethodGet, e.Path, "Operations")
		}
		count++
	}
	for _, path := range []string{hydra.EntrypointPath, hydra.DocsRoot, hydra.DocsPath, hydra.OpenAPIPath, hydra.ContextsPath + "{class}"} {
		want(http.MethodGet, path, "Documentation")
		count++
	}
	for _, path := range []string{problems.ErrorsPath + "{status}", problems.APIErrorsPath + "{status}",
		problems.ValidationErrorsPath + "{id}", problems.APIValidationErrorsPath + "{id}"} {
		want(http.MethodGet, path, "Errors")
		count++
	}
	documented := 0
	for _, item := range doc.Paths.Map() {
		documented += len(item.Operations())
	}
	if documented != count {
		t.Errorf("%d operations documented, %d expected: some are not the registry's", documented, count)
	}
}

func TestOpenAPIOperationIDsAreUnique(t *testing.T) {
	doc := loaded(t)
	seen := map[string]string{}
	camel := regexp.MustCompile(`^[a-z]+(?:[A-Z][a-z]*)+$`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if !camel.MatchString(op.OperationID) {
				t.Errorf("%s: operationId %q is not a verb and a noun in camelCase", where, op.OperationID)
			}
			if other, dup := seen[op.OperationID]; dup {
				t.Errorf("operationId %q of %s is %s's too", op.OperationID, where, other)
			}
			seen[op.OperationID] = where
			if op.Summary == "" || op.Description == "" {
				t.Errorf("%s: summary %q, description %q", where, op.Summary, op.Description)
			}
		}
	}
	// What generated clients call them.
	for id, where := range map[string]string{
		"listOrganizations":           "GET /api/organizations",
		"createOrganization":          "POST /api/organizations",
		"getOrganization":             "GET /api/organizations/{id}",
		"updateOrganization":          "PATCH /api/organizations/{id}",
		"deleteOrganization":          "DELETE /api/organizations/{id}",
		"acceptInvitation":            "POST /api/invitations/{id}/accept",
		"listMembers":                 "GET /api/members",
		"inviteToOrganization":        "POST /api/organizations/{org}/members/invite",
		"createOrganizationWorkspace": "POST /api/organizations/{org}/workspaces",
		"getCurrentUser":              "GET /api/me",
		"getErrorType":                "GET /errors/{status}",
		"getHydraDocumentation":       "GET /api/docs.jsonld",
	} {
		if seen[id] != where {
			t.Errorf("operationId %q is %q, want %q", id, seen[id], where)
		}
	}
}

// Every $ref points into the document (kin's loader resolves them too;
// this checks the raw JSON pointers a less forgiving tool follows), and
// every component is used.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, doc := openAPI(t)
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, found := pointer(doc, ref); !found {
					t.Errorf("$ref %q does not resolve", ref)
				}
				used[ref] = true
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	components := doc["components"].(map[string]any)
	for _, kind := range []string{"schemas", "responses", "parameters", "headers"} {
		for name, v := range components[kind].(map[string]any) {
			if v == nil {
				t.Errorf("components.%s.%s is empty", kind, name)
			}
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("%s is never used", ref)
			}
		}
	}
}

// pointer resolves a local JSON pointer ("#/components/schemas/Organization.jsonld").
func pointer(doc any, ref string) (any, bool) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	v := doc
	for _, token := range strings.Split(path, "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[token]; !ok {
			return nil, false
		}
	}
	return v, true
}

// One whole operation, checked for its structure.
func TestOpenAPIPostOrganization(t *testing.T) {
	doc := loaded(t)
	op := doc.Paths.Find("/api/organizations").Post
	if op.OperationID != "createOrganization" || op.Summary != "Creates an Organization." {
		t.Errorf("operationId %q, summary %q", op.OperationID, op.Summary)
	}
	if op.Security != nil {
		t.Errorf("security %v: the global requirement (a key) applies", *op.Security)
	}
	var params []string
	for _, p := range op.Parameters {
		params = append(params, p.Value.In+":"+p.Value.Name)
	}
	if want := []string{"header:Orgraph-Version", "header:X-Request-ID", "header:Idempotency-Key"}; !slices.Equal(params, want) {
		t.Errorf("parameters %v, want %v", params, want)
	}
	if key := doc.Components.Parameters["Idempotency-Key"].Value; !strings.Contains(key.Description, "replayed for 24 hours") {
		t.Errorf("Idempotency-Key: %q does not say how long answers are kept", key.Description)
	}

	body := op.RequestBody.Value
	if !body.Required || len(body.Content) != 2 {
		t.Fatalf("request body: required %v, content %v", body.Required, keys(body.Content))
	}
	for _, mt := range []string{"application/ld+json", "application/json"} {
		if ref := body.Content[mt].Schema.Ref; ref != "#/components/schemas/Organization-create" {
			t.Errorf("%s body: %q", mt, ref)
		}
		if len(body.Content[mt].Examples) != 1 {
			t.Errorf("%s body: no example", mt)
		}
	}
	in := body.Content["application/json"].Schema.Value
	if !slices.Equal(in.Required, []string{"name"}) {
		t.Errorf("required %v, want [name]", in.Required)
	}
	// Writable properties, create-only ones included, with a type; the
	// read-only ones and the JSON-LD keywords ignored (no type); nothing
	// else but IRIs.
	var writable, ignored []string
	for name, p := range in.Properties {
		if p.Value.Type == nil && p.Ref == "" && p.Value.AnyOf == nil {
			ignored = append(ignored, name)
		} else {
			writable = append(writable, name)
		}
	}
	slices.Sort(writable)
	slices.Sort(ignored)
	if !slices.Equal(writable, []string{"address", "contact", "external_id", "invitations", "metadata", "name", "phone_number", "private_metadata", "status"}) ||
		!slices.Equal(ignored, []string{"@context", "@id", "@type", "collection", "created_at", "current_user_role", "id", "member_count", "members", "mode", "operation", "originId", "owners", "updated_at"}) {
		t.Errorf("input properties: writable %v, ignored %v", writable, ignored)
	}
	if in.AdditionalProperties.Has == nil || *in.AdditionalProperties.Has || in.PatternProperties[":"] == nil {
		t.Errorf("unknown properties: additionalProperties %v, patternProperties %v", in.AdditionalProperties, in.PatternProperties)
	}
	name := in.Properties["name"].Value
	if !name.Type.Is("string") || name.Pattern == "" {
		t.Errorf("name: %+v", name)
	}
	invitations := in.Properties["invitations"].Value
	if !invitations.WriteOnly || !invitations.Type.Includes("array") || !invitations.Type.Includes("null") || *invitations.MaxItems != 100 {
		t.Errorf("invitations: %+v", invitations)
	}
	if ref := invitations.Items.Ref; ref != "#/components/schemas/OrganizationInvitation-create" {
		t.Errorf("invitations items: %q", ref)
	}
	phone := in.Properties["phone_number"].Value
	if !phone.Type.Includes("string") || !phone.Type.Includes("null") || len(phone.AllOf) != 2 {
		t.Errorf("phone_number: %+v", phone)
	}
	contact := in.Properties["contact"].Value
	if len(contact.AnyOf) != 2 || contact.AnyOf[0].Ref != "#/components/schemas/Contact-create" || !contact.AnyOf[1].Value.Type.Is("null") {
		t.Errorf("contact: nullable Contact-create expected, %+v", contact)
	}

	var statuses []string
	for code := range op.Responses.Map() {
		statuses = append(statuses, code)
	}
	slices.Sort(statuses)
	if want := []string{"201", "400", "401", "403", "406", "409", "413", "415", "422", "429", "500", "503"}; !slices.Equal(statuses, want) {
		t.Errorf("responses %v, want %v", statuses, want)
	}
	created := op.Responses.Value("201").Value
	if ref := created.Content["application/ld+json"].Schema.Ref; ref != "#/components/schemas/Organization.jsonld" {
		t.Errorf("201 ld+json: %q", ref)
	}
	if ref := created.Content["application/json"].Schema.Ref; ref != "#/components/schemas/Organization" {
		t.Errorf("201 json: %q", ref)
	}
	if got := keys(created.Content); !slices.Equal(got, []string{"application/json", "application/ld+json",
		`application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"; charset=utf-8`,
		`application/ld+json; profile="http://www.w3.org/ns/json-ld#flattened"; charset=utf-8`, "application/n-quads", "application/n-triples", "text/turtle"}) {
		t.Errorf("201 media types %v", got)
	}
	for h, required := range map[string]bool{"Location": true, "RateLimit-Policy": true, "RateLimit": false, "X-Request-ID": true, "Link": true,
		"Orgraph-Version": true, "Allow": true, "Accept-Patch": true, "Content-Location": false, "Idempotent-Replayed": false} {
		if created.Headers[h] == nil || created.Headers[h].Value.Required != required {
			t.Errorf("201: the %s header is not documented, or not as required %v", h, required)
		}
	}
	if created.Headers["ETag"] != nil {
		t.Error("201 has an ETag: the server tags no POST answer")
	}
	invalid := op.Responses.Value("422")
	if invalid.Ref != "#/components/responses/UnprocessableEntity" ||
		invalid.Value.Content["application/problem+json"].Schema.Value.AnyOf[0].Value.AllOf[0].Ref != "#/components/schemas/ConstraintViolation" {
		t.Errorf("422: %q", invalid.Ref)
	}
	if limited := op.Responses.Value("429").Value; limited.Headers["Retry-After"] == nil || !limited.Headers["Retry-After"].Value.Required {
		t.Error("429 lacks Retry-After")
	}
	if doc.Components.Schemas["Problem"] == nil || doc.Components.Schemas["Error"] != nil {
		t.Error("the Error class's schema is Problem, a name no language has taken")
	}
	if doc.Info.License == nil || doc.Info.Contact == nil {
		t.Error("no license or contact")
	}
}

// Error answers are only where they can happen.
func TestOpenAPIErrorAnswers(t *testing.T) {
	doc := loaded(t)
	statuses := func(method, path string) []string {
		var out []string
		for code := range doc.Paths.Find(path).GetOperation(method).Responses.Map() {
			out = append(out, code)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		method, path string
		want         []string
	}{
		{"GET", "/api/organizations", []string{"200", "304", "400", "401", "403", "406", "413", "429", "500", "503"}},
		{"GET", "/api/organizations/{id}", []string{"200", "304", "400", "401", "403", "404", "406", "413", "429", "500", "503"}},
		{"PATCH", "/api/organizations/{id}", []string{"200", "400", "401", "403", "404", "406", "409", "412", "413", "415", "422", "428", "429", "500", "503"}},
		{"DELETE", "/api/organizations/{id}", []string{"204", "400", "401", "403", "404", "409", "412", "413", "422", "428", "429", "500", "503"}},
		{"POST", "/api/invitations/{id}/accept", []string{"201", "400", "401", "403", "404", "406", "409", "413", "422", "429", "500", "503"}},
		{"POST", "/api/invitations/{id}/revoke", []string{"200", "400", "401", "403", "404", "406", "409", "413", "422", "429", "500", "503"}},
		{"GET", "/api/contexts/{class}", []string{"200", "304", "400", "404", "406", "413", "429", "500"}},
		{"GET", "/errors/{status}", []string{"200", "304", "400", "404", "406", "413", "429", "500"}},
		{"GET", "/healthz", []string{"200", "400", "413", "500"}},
		{"GET", "/readyz", []string{"200", "400", "413", "500", "503"}},
	} {
		if got := statuses(c.method, c.path); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.method, c.path, got, c.want)
		}
	}
	patch := doc.Paths.Find("/api/organizations/{id}").Patch
	if got := keys(patch.RequestBody.Value.Content); !slices.Equal(got, []string{"application/ld+json", "application/merge-patch+json"}) {
		t.Errorf("PATCH body media types %v", got)
	}
	// Create-only properties are ignored by a patch; nothing is required.
	in := patch.RequestBody.Value.Content["application/merge-patch+json"].Schema.Value
	if p := in.Properties["invitations"]; p == nil || p.Value.Type != nil || !strings.HasPrefix(p.Value.Description, "Set on creation only, ignored") || len(in.Required) != 0 {
		t.Errorf("Organization-patch: properties %v, required %v", sortedKeys(in.Properties), in.Required)
	}
	accept := doc.Paths.Find("/api/invitations/{id}/accept").Post
	if accept.RequestBody != nil || accept.Responses.Value("201").Value.Content["application/json"].Schema.Ref != "#/components/schemas/Member" {
		t.Error("accept: no body, answers the new Member")
	}
}

// An alias documents the canonical operation without what its path fixes.
func TestOpenAPIAliases(t *testing.T) {
	doc := loaded(t)
	list := doc.Paths.Find("/api/organizations/{org}/workspaces").Get
	var names []string
	for _, p := range list.Parameters {
		names = append(names, p.Value.Name)
	}
	if slices.Contains(names, "organization") || !slices.Contains(names, "name") || !slices.Contains(names, "org") {
		t.Errorf("alias parameters %v: org in the path, organization not in the query", names)
	}
	create := doc.Paths.Find("/api/organizations/{org}/members/invite").Post
	if create.OperationID != "inviteToOrganization" || create.Summary != "Invites someone to the organization." ||
		!strings.HasPrefix(create.Description, "Alias of POST /api/invitations") {
		t.Errorf("invite alias: %q %q %q", create.OperationID, create.Summary, create.Description)
	}
	// The path sets the organization: the body's is ignored.
	in := create.RequestBody.Value.Content["application/ld+json"].Schema.Value
	if p := in.Properties["organization"]; p == nil || p.Value.Type != nil || !slices.Equal(in.Required, []string{"email"}) {
		t.Errorf("invite alias body: properties %v, required %v", sortedKeys(in.Properties), in.Required)
	}
}

// The schemas describe what the encoder writes and what the decoder reads.
func TestOpenAPISchemasMatchEncoder(t *testing.T) {
	doc := loaded(t)
	at := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	member := hydra.NewNode(hydra.Member, "/api/members/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e01").
		Set("id", "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e01").
		Set("organization", "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02").
		Set("user", "/api/users/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e03").
		Set("email", "ada@example.com").Set("role", "owner").Set("status", "active").Set("joined_at", at)
	org := hydra.NewNode(hydra.Organization, "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02").
		Set("id", "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02").Set("name", "Acme").
		Set("contact", hydra.NewNode(hydra.Contact, "").Set("email", "ops@acme.test")).
		Set("phone_number", "+1 (555) 010-2000").
		Set("status", hydra.NewNode(hydra.OrganizationStatus, "").Set("current_status", "ACTIVE").
			Set("status_history", []*hydra.Node{hydra.NewNode(hydra.StatusChange, "").Set("status", "ACTIVE").Set("changed_at", at)})).
		Set("member_count", 1).Set("mode", "live").Set("created_at", at).Set("updated_at", at).
		Set("owners", []*hydra.Node{member}).Set("members", []*hydra.Node{member})
	org.Context = "/api/contexts/Organization"

	// Write-only properties are never in a response.
	for _, name := range []string{"Organization.jsonld", "Organization"} {
		if _, ok := doc.Components.Schemas[name].Value.Properties["invitations"]; ok {
			t.Errorf("%s lists the write-only invitations", name)
		}
	}
	item := doc.Paths.Find("/api/organizations/{id}").Get.Responses.Value("200").Value.Content
	conforms(t, "Organization.jsonld", item["application/ld+json"].Schema.Value, org.AppendJSON(nil, hydra.LinkedData), true)
	conforms(t, "Organization", item["application/json"].Schema.Value, org.AppendJSON(nil, hydra.PlainJSON), true)

	q, p := hydra.Organization.Resource.ParseQuery("name=ac&order[name]=desc&itemsPerPage=1")
	if p != nil {
		t.Fatal(p)
	}
	page := &hydra.Collection{Class: hydra.Organization, Query: q, Members: []*hydra.Node{org}, Total: 3}
	list := doc.Paths.Find("/api/organizations").Get.Responses.Value("200").Value.Content
	conforms(t, "collection", list["application/ld+json"].Schema.Value, page.AppendJSON(nil, hydra.LinkedData), true)
	conforms(t, "collection as JSON", list["application/json"].Schema.Value, page.AppendJSON(nil, hydra.PlainJSON), true)
	conforms(t, "a bare Organization is no collection", list["application/ld+json"].Schema.Value, org.AppendJSON(nil, hydra.LinkedData), false)

	violation := problems.Validation([]problems.Violation{{PropertyPath: "name", Message: "This value should not be blank.", Code: problems.CodeNotBlank}})
	notFound := problems.NotFound()
	for _, c := range []struct {
		name    string
		p       *problems.Problem
		ref     string
		linked  bool
		matches bool
	}{
		{"422 JSON-LD", violation, "UnprocessableEntity", true, true},
		{"422 plain", violation, "UnprocessableEntity", false, true},
		{"404 JSON-LD", notFound, "NotFound", true, true},
		{"404 plain", notFound, "NotFound", false, true},
	} {
		b, err := json.Marshal(c.p.Document(c.linked, "req_1"))
		if err != nil {
			t.Fatal(err)
		}
		schema := doc.Components.Responses[c.ref].Value.Content["application/problem+json"].Schema.Value
		conforms(t, c.name, schema, b, c.matches)
	}
}

// Request bodies: the create and patch schemas accept what the decoder
// accepts and refuse what it refuses.
func TestOpenAPIInputSchemasMatchDecoder(t *testing.T) {
	doc := loaded(t)
	schemas := doc.Components.Schemas
	for _, c := range []struct {
		class  *hydra.Class
		create bool
		body   string
	}{
		{hydra.Organization, true, `{"name": "Acme"}`},
		{hydra.Organization, true, `{"name": "Acme", "contact": {"email": "ops@acme.test", "first_name": "Ada"}, "phone_number": "+1 555 0100", "address": {"city": "Paris"}, "status": {"current_status": "ACTIVE"}, "invitations": [{"email": "bob@example.com", "role": "admin"}]}`},
		{hydra.Organization, true, `{"name": "Acme", "phone_number": "", "contact": null, "invitations": [{"email": "bob@example.com", "role": ""}]}`},
		{hydra.Organization, true, `{}`},
		{hydra.Organization, true, `{"name": null}`},
		{hydra.Organization, true, `{"name": ""}`},
		{hydra.Organization, true, `{"name": "` + strings.Repeat("a", 201) + `"}`},
		{hydra.Organization, true, `{"name": "Acme", "phone_number": "call me"}`},
		{hydra.Organization, true, `{"name": "Acme", "contact": "ops@acme.test"}`},
		{hydra.Organization, true, `{"name": "Acme", "status": {"current_status": "GONE"}}`},
		{hydra.Organization, true, `{"name": "Acme", "status": {"current_status": null}}`},
		{hydra.Organization, true, `{"name": "Acme", "invitations": [{"role": "admin"}]}`},
		{hydra.Organization, true, `{"name": "Acme", "invitations": [` + strings.TrimSuffix(strings.Repeat(`{"email": "a@b.test"},`, 101), ",") + `]}`},
		{hydra.Organization, false, `{}`},
		{hydra.Organization, false, `{"status": {}}`},
		{hydra.Organization, false, `{"name": "Acme Inc.", "address": null}`},
		{hydra.Organization, false, `{"name": null}`},
		{hydra.Organization, false, `{"status": {"current_status": "SUSPENDED"}}`},
		{hydra.Invitation, true, `{"organization": "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02", "email": "bob@example.com", "expires_in_days": 30}`},
		{hydra.Invitation, true, `{"organization": "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02", "email": "bob@example.com", "expires_in_days": 31}`},
		{hydra.Invitation, true, `{"organization": "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02", "email": "bob@example.com", "role": "boss"}`},
		{hydra.Invitation, true, `{"organization": "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02", "email": "bob@example.com", "expires_in_days": "7"}`},
		{hydra.Member, false, `{"role": "viewer"}`},
		{hydra.Member, false, `{"role": "root"}`},
		{hydra.Workspace, true, `{"organization": "/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02", "name": "Design"}`},
		{hydra.Workspace, false, `{"name": ""}`},
	} {
		name := c.class.Name + "-patch"
		if c.create {
			name = c.class.Name + "-create"
		}
		_, refused := c.class.Decode([]byte(c.body), c.create)
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatal(err)
		}
		err := schemas[name].Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation())
		if (err == nil) != (refused == nil) {
			t.Errorf("%s %s: decoder refused: %v; schema refused: %v", name, c.body, refused, err)
		}
	}
}

// An extra that repeats a registry operation is a bug, not a second truth.
func TestOpenAPIRefusesDuplicateOperations(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for GET /api/organizations documented twice")
		}
	}()
	hydra.API.OpenAPI("", hydra.OpenAPIOptions{Extra: []hydra.ExtraOperation{
		{Path: "/api/organizations", OperationID: "listOrganizationsAgain", Class: hydra.Organization, Kind: hydra.GetCollection},
	}})
}

// conforms checks an encoded document against a schema.
func conforms(t *testing.T, name string, schema *openapi3.Schema, encoded []byte, want bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(encoded, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation())
	if (err == nil) != want {
		t.Errorf("%s: conforms %v, want %v (%v)\n%s", name, err == nil, want, err, encoded)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m openapi3.Schemas) []string { return keys(m) }

// TestInputStringsMatchTheDecoder: for every string property a body can
// set, random strings (whitespace of every kind around and inside, U+0000,
// multi-byte characters, the enum values, phone and email fragments) are
// accepted by the input schema exactly when the decoder accepts them:
// trimming, blank, lengths in characters, formats and choices agree. The
// seed is fixed, so that a failure repeats.
func TestInputStringsMatchTheDecoder(t *testing.T) {
	raw, _ := openAPI(t)
	const org = `"/api/organizations/0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02"`
	for _, c := range []struct {
		class  *hydra.Class
		create bool
		body   string // %s is the string under test, JSON-encoded
	}{
		{hydra.Organization, true, `{"name": %s}`},
		{hydra.Organization, false, `{"name": %s}`},
		{hydra.Organization, true, `{"name": "Acme", "phone_number": %s}`},
		{hydra.Organization, false, `{"contact": {"email": %s}}`},
		{hydra.Organization, true, `{"name": "Acme", "contact": {"first_name": %s}}`},
		{hydra.Organization, false, `{"address": {"zip_code": %s}}`},
		{hydra.Organization, false, `{"status": {"current_status": %s}}`},
		{hydra.Organization, true, `{"name": "Acme", "invitations": [{"email": "a@b.example", "role": %s}]}`},
		{hydra.Organization, true, `{"name": "Acme", "invitations": [{"email": %s}]}`},
		{hydra.Member, false, `{"role": %s}`},
		{hydra.Invitation, true, `{"organization": ` + org + `, "email": %s}`},
		{hydra.Invitation, true, `{"organization": ` + org + `, "email": "a@b.example", "role": %s}`},
		{hydra.Workspace, true, `{"organization": ` + org + `, "name": %s}`},
		{hydra.Workspace, false, `{"name": %s}`},
	} {
		name := c.class.Name + "-patch"
		if c.create {
			name = c.class.Name + "-create"
		}
		schema := compiled(t, raw, "#/components/schemas/"+name)
		rng := rand.New(rand.NewPCG(16, uint64(len(c.body))))
		pieces := []string{" ", "\t", "\n", "\r", "\v", "\f", "\u0085", "\u00a0", "\u1680", "\u2000", "\u200a", "\u2028", "\u202f",
			"\u3000", "\ufeff", "\u200b", "\x00", "a", "Z", "é", "日", "😀", "0", "5", "9", "+", "(", ")", ".", "-", "@", "_",
			"b.example", "owner", "admin", "viewer", "ACTIVE", "SUSPENDED", "1 555 0100", "12", "3 ", "+4", strings.Repeat("x", 95)}
		for i := 0; i < 3000; i++ {
			var b strings.Builder
			for n := rng.IntN(7); n > 0; n-- {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			value, _ := json.Marshal(b.String())
			body := fmt.Sprintf(c.body, value)
			_, refused := c.class.Decode([]byte(body), c.create)
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			err = schema.Validate(v)
			if (err == nil) != (refused == nil) {
				t.Errorf("%s %s: the decoder refused: %v; the schema refused: %v", name, body, refused, err)
			}
		}
	}
}

// compiled is a schema of the document as an independent JSON Schema
// 2020-12 validator reads it, formats asserted; compiled once, where
// kin-openapi compiles a schema on every validation.
func compiled(t *testing.T, raw []byte, pointer string) *jsonschema.Schema {
	t.Helper()
	const url = "https://orgraph.test/openapi.json"
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url + pointer)
	if err != nil {
		t.Fatalf("compile %s: %v", pointer, err)
	}
	return s
}

// Every body a request sends and every answer with a body has an example
// in each of its media types (TestOpenAPIValidates checks that each one
// fits its schema).
func TestOpenAPIExamplesEverywhere(t *testing.T) {
	doc := loaded(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody != nil {
				for mt, m := range op.RequestBody.Value.Content {
					if len(m.Examples) == 0 {
						t.Errorf("%s %s: the %s body has no example", method, path, mt)
					}
				}
			}
			for status, r := range op.Responses.Map() {
				for mt, m := range r.Value.Content {
					if len(m.Examples) == 0 && m.Example == nil {
						t.Errorf("%s %s → %s: %s has no example", method, path, status, mt)
					}
				}
			}
		}
	}
}

// The base URL is in the servers entry and nowhere else: a server builds
// the document once and names each request's base there.
func TestOpenAPIDependsOnTheBaseOnlyInServers(t *testing.T) {
	docFor := func(base string) map[string]any {
		raw, err := json.Marshal(hydra.API.OpenAPI(base, hydra.OpenAPIOptions{Versions: []string{"2026-11-01"}, Extra: extras, RateLimited: true}))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(raw), base) != 1 {
			t.Errorf("%s appears %d times in its document, want once (servers)", base, strings.Count(string(raw), base))
		}
		var doc map[string]any
		_ = json.Unmarshal(raw, &doc)
		delete(doc, "servers")
		return doc
	}
	a, b := docFor("https://one.example.test"), docFor("http://127.0.0.1:9")
	if !reflect.DeepEqual(a, b) {
		t.Error("the documents of two base URLs differ beyond servers")
	}
}

// Every answer served in N-Quads is served in Turtle and N-Triples too (the
// same negotiation), and the document says so, with an example of each that
// is the server's own rendering: Turtle with its prefixes, N-Triples the
// very lines of the N-Quads example.
func TestOpenAPIListsTheRDFFormats(t *testing.T) {
	doc := loaded(t)
	seen := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, r := range op.Responses.Map() {
				nq := r.Value.Content["application/n-quads"]
				if nq == nil {
					continue
				}
				seen++
				example := func(m *openapi3.MediaType) string {
					for _, e := range m.Examples {
						s, _ := e.Value.Value.(string)
						return s
					}
					return ""
				}
				ttl, nt := r.Value.Content["text/turtle"], r.Value.Content["application/n-triples"]
				if ttl == nil || nt == nil {
					t.Errorf("%s %s → %s: N-Quads without Turtle (%v) or N-Triples (%v)", method, path, status, ttl != nil, nt != nil)
					continue
				}
				if !strings.HasPrefix(example(ttl), "@prefix rdf: ") || example(nt) == "" || example(nt) != example(nq) {
					t.Errorf("%s %s → %s: examples\nTurtle:\n%.300s\nN-Triples:\n%.300s", method, path, status, example(ttl), example(nt))
				}
			}
		}
	}
	if seen < 10 {
		t.Errorf("only %d answers list N-Quads", seen)
	}
}
