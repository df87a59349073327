package hydra

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/problems"
)

// Examples of the OpenAPI document: one organization, its owner Ada and
// Grace, whom she invites, written by the encoder itself so that they are
// what the server sends. TestOpenAPIValidates checks each against its
// schema.

const (
	exampleOrganizationID = "01943a5e-8b2c-7d4e-9f10-2a3b4c5d6e7f"
	exampleAdaID          = "01943a5e-8b2a-7b33-9d44-5e6f70819203" // the user
	exampleOwnerID        = "01943a5e-8b2d-7a11-8c22-3d4e5f607182" // her membership
	exampleGraceID        = "01943a61-0a1b-7c2d-8e3f-405162738495"
	exampleMemberID       = "01943a61-0a1c-7d55-9e66-5162738495a6" // Grace's membership
	exampleInvitationID   = "01943a5f-1c3d-7e55-8f66-708192a3b4c5"
	exampleWorkspaceID    = "01943a5f-2d4e-7f77-9a88-8192a3b4c5d6"
	exampleAPIKeyID       = "01943a5f-3e5f-7a11-8b22-93a4b5c6d7e8"
	exampleEventID        = "4182"
	exampleEndpointID     = "01943a5f-3e60-7b22-8c33-a4b5c6d7e8f9"
	exampleDeliveryID     = "01943a5f-3e61-7c33-9d44-b5c6d7e8f9a0"
	exampleRoleID         = "01943a5e-8b2e-7c99-8aab-92a3b4c5d6e7"
	exampleDomainID       = "01943a5e-8b2e-7c99-8aab-92a3b4c5d6f0"
	exampleRequestID      = "req_5f2b9c0e1a7d4e3f8b6c2a19"
)

var (
	exampleCreated = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	exampleJoined  = time.Date(2026, 1, 16, 9, 5, 0, 0, time.UTC)
)

// exampleID is the id of the example of a class.
func exampleID(c *Class) string {
	switch c {
	case Organization:
		return exampleOrganizationID
	case User:
		return exampleAdaID
	case Member:
		return exampleOwnerID
	case Invitation:
		return exampleInvitationID
	case Workspace:
		return exampleWorkspaceID
	case Role:
		return exampleRoleID
	case Domain:
		return exampleDomainID
	case APIKey:
		return exampleAPIKeyID
	case Event:
		return exampleEventID
	case WebhookEndpoint:
		return exampleEndpointID
	case WebhookDelivery:
		return exampleDeliveryID
	}
	panic("hydra: no example id for " + c.Name)
}

func exampleMember(id, userID, email, name, role string, joined time.Time) *Node {
	return NewNode(Member, Member.IRI(id)).Set("id", id).Set("organization", Organization.IRI(exampleOrganizationID)).
		Set("user", User.IRI(userID)).Set("email", email).Set("name", name).Set("role", role).Set("status", "active").Set("joined_at", joined)
}

// exampleNode is the example of a resource class, as a GET returns it.
func exampleNode(c *Class) *Node {
	ada := exampleMember(exampleOwnerID, exampleAdaID, "ada@acme.example", "Ada Lovelace", "owner", exampleCreated)
	switch c {
	case Organization:
		grace := exampleMember(exampleMemberID, exampleGraceID, "grace@acme.example", "Grace Hopper", "developer", exampleJoined)
		return NewNode(Organization, Organization.IRI(exampleOrganizationID)).
			Set("id", exampleOrganizationID).
			Set("name", "Acme Corporation").
			Set("contact", NewNode(Contact, "").Set("email", "ada@acme.example").Set("first_name", "Ada").Set("last_name", "Lovelace")).
			Set("phone_number", "+1 555 0100").
			Set("address", NewNode(Address, "").Set("street_address", "1 Main Street").Set("city", "Springfield").
				Set("state", "IL").Set("zip_code", "62701").Set("country", "US")).
			Set("status", NewNode(OrganizationStatus, "").Set("current_status", "ACTIVE").
				Set("status_history", []*Node{NewNode(StatusChange, "").Set("status", "ACTIVE").Set("changed_at", exampleCreated)})).
			Set("member_count", 2).
			Set("current_user_role", "owner").
			Set("mode", "live").
			Set("created_at", exampleCreated).
			Set("updated_at", exampleJoined).
			Set("owners", []*Node{ada}).
			Set("members", []*Node{ada, grace})
	case Member:
		return ada
	case User:
		return NewNode(User, User.IRI(exampleAdaID)).Set("id", exampleAdaID).Set("email", "ada@acme.example").
			Set("name", "Ada Lovelace").Set("created_at", exampleCreated)
	case Invitation:
		return NewNode(Invitation, Invitation.IRI(exampleInvitationID)).
			Set("id", exampleInvitationID).
			Set("organization", Organization.IRI(exampleOrganizationID)).
			Set("organization_name", "Acme Corporation").
			Set("email", "grace@acme.example").
			Set("role", "developer").
			Set("status", "pending").
			Set("expires_at", exampleCreated.AddDate(0, 0, 14)).
			Set("inviter", User.IRI(exampleAdaID)).
			Set("created_at", exampleCreated).
			Set("updated_at", exampleCreated)
	case Workspace:
		return NewNode(Workspace, Workspace.IRI(exampleWorkspaceID)).Set("id", exampleWorkspaceID).
			Set("organization", Organization.IRI(exampleOrganizationID)).Set("name", "Research").
			Set("created_at", exampleCreated).Set("updated_at", exampleJoined)
	case Domain:
		return NewNode(Domain, Domain.IRI(exampleDomainID)).Set("id", exampleDomainID).
			Set("organization", Organization.IRI(exampleOrganizationID)).Set("domain", "acme.example").Set("mode", "live").
			Set("status", "verified").Set("verification_token", "orgraph-verification=5f0e4d8e9d0e6c1f2b7a4e0c8a1b2c3d4e5f6a7b8c9d0e1f").
			Set("verification_record", "_orgraph-challenge.acme.example").Set("enrollment", "automatic_invitation").Set("role", "developer").
			Set("verified_at", exampleJoined).Set("checked_at", exampleJoined).Set("created_at", exampleCreated).Set("updated_at", exampleJoined)
	case Role:
		return NewNode(Role, Role.IRI(exampleRoleID)).Set("id", exampleRoleID).
			Set("organization", Organization.IRI(exampleOrganizationID)).Set("slug", "support").Set("name", "Support").
			Set("description", "Answers customers: manages members and invitations, reads the events.").
			Set("permissions", permissionNames(schema.Normalize(exampleSupport))).Set("default", false).Set("created_at", exampleCreated)
	case APIKey:
		return NewNode(APIKey, APIKey.IRI(exampleAPIKeyID)).Set("id", exampleAPIKeyID).Set("name", "CI deploys").
			Set("prefix", "og_live_1a2b3c").Set("mode", "live").Set("scope", "write").Set("user", User.IRI(exampleAdaID)).
			Set("created_at", exampleCreated).Set("last_used_at", exampleJoined).Set("expires_at", exampleCreated.AddDate(1, 0, 0))
	case Event:
		ws := exampleNode(Workspace)
		ws.Context = ContextsPath + Workspace.Name
		ws.Set("name", "Research & Development")
		id, _ := strconv.ParseInt(exampleEventID, 10, 64)
		return NewNode(Event, Event.IRI(exampleEventID)).Set("id", id).Set("type", "workspace.updated").Set("mode", "live").
			Set("organization", Organization.IRI(exampleOrganizationID)).
			Set("actor", NewNode(EventActor, "").Set("type", "user").Set("user", User.IRI(exampleAdaID))).
			Set("request_id", "checkout-7f3a9c").
			Set("data", json.RawMessage(ws.AppendJSON(nil, LinkedData))).
			Set("previous_attributes", json.RawMessage(`{"name":"Research"}`)).
			Set("created_at", exampleJoined)
	case WebhookEndpoint:
		return NewNode(WebhookEndpoint, WebhookEndpoint.IRI(exampleEndpointID)).Set("id", exampleEndpointID).
			Set("organization", Organization.IRI(exampleOrganizationID)).Set("url", "https://crm.acme.example/hooks/orgraph").
			Set("enabled_events", []string{"member.*", "invitation.accepted"}).Set("description", "CRM sync").
			Set("status", "enabled").Set("mode", "live").Set("created_at", exampleCreated).Set("updated_at", exampleJoined)
	case WebhookDelivery:
		failed, next := exampleJoined.Add(time.Second), exampleJoined.Add(6*time.Second)
		return NewNode(WebhookDelivery, WebhookDelivery.IRI(exampleDeliveryID)).Set("id", exampleDeliveryID).
			Set("endpoint", WebhookEndpoint.IRI(exampleEndpointID)).Set("organization", Organization.IRI(exampleOrganizationID)).
			Set("event", Event.IRI(exampleEventID)).Set("event_type", "member.added").Set("status", "succeeded").
			Set("attempts", []*Node{
				NewNode(WebhookAttempt, "").Set("at", failed).Set("duration_ms", 10003).Set("error", "The endpoint did not answer within 10 s.").Set("success", false).Set("next_attempt_at", next),
				NewNode(WebhookAttempt, "").Set("at", next).Set("duration_ms", 84).Set("response_status", 204).Set("success", true),
			}).
			Set("mode", "live").Set("created_at", failed).Set("updated_at", next)
	}
	panic("hydra: no example of " + c.Name)
}

// exampleSupport is the example custom role's permissions beyond the base.
var exampleSupport = []schema.Permission{schema.ManageMembers, schema.ManageInvitations, schema.ReadEvents}

func permissionNames(perms []schema.Permission) []string {
	out := make([]string, len(perms))
	for i, p := range perms {
		out[i] = string(p)
	}
	return out
}

// examplePage is the second page of a collection of three, one per page,
// holding the class's example.
func examplePage(c *Class) *Collection {
	q, p := c.Resource.ParseQuery("itemsPerPage=1&page=2")
	if p != nil {
		panic(p)
	}
	return &Collection{Class: c, Query: q, Members: []*Node{exampleNode(c)}, Total: 3}
}

// exampleInput is a body a client sends to create or update a class; omit
// leaves out what an alias's path sets.
func exampleInput(c *Class, create bool, omit map[string]bool) map[string]any {
	org := Organization.IRI(exampleOrganizationID)
	var body map[string]any
	switch {
	case c == Organization && create:
		body = map[string]any{
			"name":         "Acme Corporation",
			"contact":      map[string]any{"email": "ada@acme.example", "first_name": "Ada", "last_name": "Lovelace"},
			"phone_number": "+1 555 0100",
			"address":      map[string]any{"street_address": "1 Main Street", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"},
			"invitations":  []any{map[string]any{"email": "grace@acme.example", "role": "developer"}},
		}
	case c == Organization:
		body = map[string]any{"name": "Acme Corporation International", "address": map[string]any{"city": "Chicago"}, "phone_number": nil}
	case c == Invitation && create:
		body = map[string]any{"organization": org, "email": "grace@acme.example", "role": "developer", "expires_in_days": 14}
	case c == Member && !create:
		body = map[string]any{"role": "admin", "metadata": map[string]any{"team": "platform"}}
	case c == Workspace && create:
		body = map[string]any{"organization": org, "name": "Research"}
	case c == Domain && create:
		body = map[string]any{"organization": org, "domain": "acme.example", "enrollment": "automatic_invitation", "role": "developer"}
	case c == Domain:
		body = map[string]any{"enrollment": "automatic_membership"}
	case c == Role && create:
		body = map[string]any{"organization": org, "slug": "support", "name": "Support",
			"description": "Answers customers: manages members and invitations, reads the events.", "permissions": toAny(permissionNames(exampleSupport))}
	case c == Role:
		body = map[string]any{"name": "Customer support", "permissions": toAny(permissionNames(append(exampleSupport, schema.ManageWorkspaces)))}
	case c == Workspace:
		body = map[string]any{"name": "Research & Development"}
	case c == APIKey && create:
		body = map[string]any{"name": "CI deploys", "scope": "read", "expires_at": exampleCreated.AddDate(1, 0, 0).Format(time.RFC3339)}
	case c == User && create:
		body = map[string]any{"email": "grace@acme.example", "name": "Grace Hopper"}
	case c == User:
		body = map[string]any{"name": "Grace B. Hopper", "metadata": map[string]any{"theme": "dark", "beta": nil}}
	case c == WebhookEndpoint && create:
		body = map[string]any{"organization": org, "url": "https://crm.acme.example/hooks/orgraph", "enabled_events": []any{"member.*", "invitation.accepted"}, "description": "CRM sync"}
	case c == WebhookEndpoint:
		body = map[string]any{"enabled_events": []any{"*"}, "status": "enabled"}
	case c == APIKeyRotation:
		body = map[string]any{"grace_period": 3600}
	case c == OwnershipTransfer:
		body = map[string]any{"new_owner": Member.IRI(exampleMemberID), "caller_role": "admin"}
	case c == InvitationToken:
		body = map[string]any{"token": "og_inv_8f14e45fceea167a5a36dedd4bea2543c4ca4238a0b923820dcc509a6f75849b", "name": "Grace Hopper"}
	default:
		panic(fmt.Sprintf("hydra: no example body for %s (create %v)", c.Name, create))
	}
	for name := range omit {
		delete(body, name)
	}
	return body
}

// docsExample is the Hydra documentation with one class, the User (the
// smallest): an excerpt.
func (g *openAPI) docsExample() any {
	doc := g.reg.Documentation(exampleBase, DocsOptions{Versions: g.opts.Versions, RateLimited: g.opts.RateLimited})
	classes, _ := doc["supportedClass"].([]any)
	for _, c := range classes {
		if c.(map[string]any)["@id"] == "#"+User.Name {
			doc["supportedClass"] = []any{c}
		}
	}
	return jsonValue(mustJSON(doc))
}

// exampleDetails are what the server says in each kind of problem.
var exampleDetails = map[int]string{
	http.StatusBadRequest:            "Syntax error: the JSON document ends too early.",
	http.StatusUnauthorized:          `An API key is required: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>".`,
	http.StatusForbidden:             `Your role (viewer) lacks the "organization:update" permission, which the owner and admin roles hold.`,
	http.StatusNotFound:              "Not Found",
	http.StatusMethodNotAllowed:      `No route found for "PUT https://api.example.com/api/organizations": Method Not Allowed (Allow: OPTIONS, HEAD, GET, POST)`,
	http.StatusNotAcceptable:         fmt.Sprintf("Requested format %q is not supported. Supported MIME types are %s.", "text/csv", Supported()),
	http.StatusConflict:              "A request with this Idempotency-Key is still running: retry once it has finished.",
	http.StatusPreconditionFailed:    "The resource has changed since the version named by If-Match: read it again and retry.",
	http.StatusRequestEntityTooLarge: "The request body must not be larger than 1048576 bytes.",
	http.StatusUnsupportedMediaType:  `The content-type "text/plain" is not supported. Supported MIME types are "application/ld+json", "application/json".`,
	http.StatusUnprocessableEntity:   "This Idempotency-Key was used for another request: the method, path or body differ.",
	http.StatusPreconditionRequired:  "This server requires an If-Match header on PATCH and DELETE: send the ETag of the version you read.",
	http.StatusTooManyRequests:       "Too many requests: the limit is 600 requests per 60 s for each API key. Retry in 1 s.",
	http.StatusInternalServerError:   "Internal Server Error",
	http.StatusServiceUnavailable:    "The database is not reachable.",
}

// problemExamples are a kind's problem document in both forms (status 0:
// a constraint violation list), as package problems writes them.
func (g *openAPI) problemExamples(status int) map[string]any {
	p, name := problems.New(status, exampleDetails[status]), fmt.Sprintf("Problem-%d", status)
	if status == 0 {
		p, name = problems.Validation([]problems.Violation{
			{PropertyPath: "name", Message: "This value should not be blank.", Code: problems.CodeNotBlank},
			{PropertyPath: "phone_number", Message: "This value is not valid.", Code: problems.CodeRegexFailed},
		}), "ConstraintViolation"
	}
	out := map[string]any{}
	for _, form := range []struct {
		suffix, summary string
		linked          bool
	}{{".jsonld", "As JSON-LD (the default).", true}, {"", "As plain problem details (Accept: application/json or application/problem+json).", false}} {
		key := name + form.suffix
		if _, done := g.examples[key]; !done {
			g.examples[key] = map[string]any{"summary": form.summary, "value": jsonValue(mustJSON(p.Document(form.linked, exampleRequestID)))}
		}
		out[lowerFirst(name)+map[bool]string{true: "-jsonld", false: "-plain"}[form.linked]] = map[string]any{"$ref": "#/components/examples/" + key}
	}
	return out
}

// mustJSON encodes a value the package built.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("hydra: encode an OpenAPI example: %w", err))
	}
	return b
}

// jsonValue decodes JSON into the plain values an OpenAPI document holds.
func jsonValue(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(fmt.Errorf("hydra: decode an OpenAPI example: %w", err))
	}
	return v
}
