package hydra

import (
	"fmt"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/orgs"
)

// Orgraph's classes. Each is declared once here; contexts, the Hydra
// documentation, validation and encoding all read these declarations.
var (
	Contact = &Class{
		Name:        "Contact",
		Description: "The contact person of an organization.",
		// A person: schema.org's, and vCard's single person or entity. Its
		// email is a literal, which schema:email holds (range Text) and
		// vCard's hasEmail, an object property, does not.
		Specializes: []string{"schema:Person", "vcard:Individual"},
		Properties: []*Property{
			{Name: "email", Kind: String, Format: Email, Writable: true, MaxLength: 254, Description: "The contact's email address.", Specializes: []string{"schema:email"}},
			{Name: "first_name", Kind: String, Writable: true, MaxLength: 100, Description: "The contact's first name.", Specializes: []string{"schema:givenName", "vcard:given-name"}},
			{Name: "last_name", Kind: String, Writable: true, MaxLength: 100, Description: "The contact's last name.", Specializes: []string{"schema:familyName", "vcard:family-name"}},
		},
	}

	Address = &Class{
		Name:        "Address",
		Description: "A postal address.",
		// Each part is a literal, as the parts of schema.org's and vCard's
		// addresses are (schema:addressCountry takes Text as well as a Country).
		Specializes: []string{"schema:PostalAddress", "vcard:Address"},
		Properties: []*Property{
			{Name: "street_address", Kind: String, Writable: true, MaxLength: 200, Description: "Street and number.", Specializes: []string{"schema:streetAddress", "vcard:street-address"}},
			{Name: "city", Kind: String, Writable: true, MaxLength: 100, Description: "City.", Specializes: []string{"schema:addressLocality", "vcard:locality"}},
			{Name: "state", Kind: String, Writable: true, MaxLength: 100, Description: "State, province or region.", Specializes: []string{"schema:addressRegion", "vcard:region"}},
			{Name: "zip_code", Kind: String, Writable: true, MaxLength: 20, Description: "Postal code.", Specializes: []string{"schema:postalCode", "vcard:postal-code"}},
			{Name: "country", Kind: String, Writable: true, MaxLength: 100, Description: "Country.", Specializes: []string{"schema:addressCountry", "vcard:country-name"}},
		},
	}

	StatusChange = &Class{
		Name:        "StatusChange",
		Description: "One change of an organization's status.",
		Properties: []*Property{
			{Name: "status", Always: true, Kind: String, Enum: []string{"ACTIVE", "SUSPENDED"}, Description: "The status entered."},
			{Name: "changed_at", Always: true, Kind: DateTime, Description: "When the status changed."},
		},
	}

	OrganizationStatus = &Class{
		Name:        "OrganizationStatus",
		Description: "An organization's current status and its history.",
		Properties: []*Property{
			{Name: "current_status", Always: true, Kind: String, Required: true, Writable: true, Enum: []string{"ACTIVE", "SUSPENDED"}, Description: "ACTIVE or SUSPENDED."},
			{Name: "status_history", Always: true, Kind: Object, Class: StatusChange, Many: true, Ordered: true, Description: "Every status change, oldest first."},
		},
	}

	User = &Class{
		Name:        "User",
		Description: "A person who uses the API through API keys. A user reads and changes themself (name, metadata); an operator key makes, lists, reads and changes every user.",
		Specializes: []string{"schema:Person"},
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The user's id."},
			{Name: "email", Always: true, Kind: String, Format: Email, Required: true, Writable: true, CreateOnly: true, MaxLength: 254, Description: "The user's email address, unique.", Specializes: []string{"schema:email"}},
			{Name: "name", Kind: String, Writable: true, MaxLength: 200, Description: "The user's name.", Specializes: []string{"schema:name"}},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the user was created."},
			externalID("user"),
			metadata(),
			privateMetadata(),
		},
		Resource: &Resource{
			Collection:     "/api/users",
			MetadataFilter: true,
			Item:           "/api/users/",
			Operations:     []OpKind{GetCollection, Post, Get, Patch},
			Filters: []Filter{
				{Variable: "email", Property: "email"},
				{Variable: "name", Property: "name", Partial: true},
				{Variable: "external_id", Property: "external_id"},
			},
			Orderable: []string{"id", "created_at"},
			Cursor:    true,
		},
	}

	APIKey = &Class{
		Name:        "ApiKey",
		Description: "An API key: how a user acts through the API, in one mode, with one scope. A user sees their own keys, an operator every user's of its mode. The secret is shown once, in the answer that makes the key (which therefore takes no Idempotency-Key).",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The key's id."},
			{Name: "name", Kind: String, Writable: true, CreateOnly: true, MaxLength: 200, Description: "A name to tell the key apart, up to 200 characters."},
			{Name: "prefix", Always: true, Kind: String, Description: "The secret's first characters (og_live_1a2b3c): what identifies the key on screen and in logs."},
			{Name: "secret", Kind: String, Once: true, Description: "The key itself: only in the answer that makes it (create, rotate), never again. Send it as \"Authorization: Bearer <secret>\"."},
			{Name: "mode", Always: true, Kind: String, Enum: []string{"live", "test"}, Description: "live or test: the mode of the key that made it."},
			{Name: "scope", Always: true, Kind: String, Writable: true, CreateOnly: true, Enum: []string{"read", "write", "operator"}, Description: "read (GET and HEAD only), write, or operator (the platform's backend key: it makes users and keys for them); the scope of the key that makes it when not given. A key never makes a key with more power than itself."},
			{Name: "user", Always: true, Kind: Reference, Class: User, Writable: true, CreateOnly: true, Description: "The user the key acts as: the caller when not given; only an operator makes keys for other users."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the key was made."},
			{Name: "last_used_at", Kind: DateTime, Description: "When the key was last used, to the minute."},
			{Name: "expires_at", Kind: DateTime, Writable: true, CreateOnly: true, Description: "When the key stops working (none when not given, or when the key that makes it expires); a rotated key's grace period ends it."},
			{Name: "revoked_at", Kind: DateTime, Description: "When the key was revoked."},
		},
		Resource: &Resource{
			Collection: "/api/api_keys",
			Item:       "/api/api_keys/",
			Operations: []OpKind{GetCollection, Post, Get},
			Filters:    []Filter{{Variable: "user", Property: "user"}},
			Orderable:  []string{"id", "created_at"},
			Cursor:     true,
			Actions: []Action{
				{Name: "revoke", Description: "Revokes the key: every replica refuses it within 2 seconds. POST /api/api_keys/{id}/revoke, no body; returns the key."},
				{Name: "rotate", Creates: true, Description: "Makes a new key like this one (name, scope, expiry) and lets this one work for a grace period (grace_period seconds, 24 hours when not given, at most 7 days; 0 ends it now): POST /api/api_keys/{id}/rotate; returns the new key with its secret (201). Takes no Idempotency-Key: the secret is never stored, so no answer replays it."},
			},
		},
	}

	// InvitationToken is the body of accepting an invitation by its token.
	InvitationToken = &Class{
		Name:        "InvitationToken",
		Description: "An invitation's accept token, brought back by the invitee.",
		Properties: []*Property{
			{Name: "token", Kind: String, Required: true, Writable: true, MaxLength: 200, Description: "The accept token from the invitation's e-mail (og_inv_…)."},
			{Name: "name", Kind: String, Writable: true, MaxLength: 200, Description: "The invitee's name, kept when accepting makes their user."},
		},
	}

	APIKeyRotation = &Class{
		Name:        "ApiKeyRotation",
		Description: "How to rotate an API key.",
		Properties: []*Property{
			{Name: "grace_period", Kind: Integer, Writable: true, Minimum: 0, Maximum: int(orgs.MaxRotationGrace.Seconds()), Description: "Seconds the old key keeps working, 0 to 604800 (86400 when not given)."},
		},
	}

	Member = &Class{
		Name:        "Member",
		Description: "A user's membership of one organization, with a role.",
		// The W3C Organization Ontology's n-ary membership: an agent (user),
		// an organization and a role. Its role is not org:role, whose value
		// is an org:Role resource; here it is the role's key, a literal.
		Specializes: []string{"org:Membership"},
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The membership's id."},
			{Name: "organization", Always: true, Kind: Reference, Class: nil, Description: "The organization.", Specializes: []string{"org:organization"}},
			{Name: "user", Always: true, Kind: Reference, Class: User, Description: "The member.", Specializes: []string{"org:member"}},
			{Name: "email", Kind: String, Format: Email, Description: "The member's email address."},
			{Name: "name", Kind: String, Description: "The member's name."},
			{Name: "role", Always: true, Kind: String, Format: Slug, Required: true, Writable: true, MaxLength: 40, Description: "The slug of the member's role in the organization: owner, admin, developer, viewer or one of its custom roles (/api/roles)."},
			{Name: "status", Always: true, Kind: String, Enum: schema.MemberStatuses, Description: "active, or deactivated: a deactivated member keeps their record and role but sees nothing of the organization and counts as no owner, until reactivated (the deactivate and reactivate actions)."},
			{Name: "deactivated_at", Kind: DateTime, Description: "When a deactivated member was deactivated."},
			{Name: "joined_at", Always: true, Kind: DateTime, Description: "When the user joined."},
			{Name: "api_key", Kind: Object, Class: APIKey, Description: "The new user's first API key, with its secret: only in the answer to accepting an invitation by token (POST /api/invitations/accept) that made the user, never again."},
			externalID("membership"),
			metadata(),
			privateMetadata(),
		},
		Resource: &Resource{
			Collection:     "/api/members",
			MetadataFilter: true,
			Item:           "/api/members/",
			Operations:     []OpKind{GetCollection, Get, Patch, Delete},
			Filters: []Filter{
				{Variable: "organization", Property: "organization"},
				{Variable: "role", Property: "role"},
				{Variable: "status", Property: "status"},
				{Variable: "email", Property: "email"},
				{Variable: "external_id", Property: "external_id"},
			},
			Orderable: []string{"id", "joined_at"},
			Cursor:    true,
			Actions: []Action{
				{Name: "deactivate", Description: "Deactivates the member, by an owner or admin who may manage them (never oneself): their record and role stay, they see nothing of the organization, the invitations they sent cannot be accepted, and they count as no owner (the last active owner stays). POST /api/members/{id}/deactivate, no body; returns the member. A deactivated member is answered unchanged."},
				{Name: "reactivate", Description: "Reactivates a deactivated member with the role they held: POST /api/members/{id}/reactivate, no body; returns the member. An active member is answered unchanged."},
			},
		},
	}

	Role = &Class{
		Name:        "Role",
		Description: "A role of one organization: the permissions its members hold. Owner, Admin, Developer and Viewer come with every organization and never change; owners and admins add custom roles, each within their own permissions.",
		Specializes: []string{"org:Role"},
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The role's id."},
			{Name: "organization", Always: true, Kind: Reference, Class: nil, Required: true, Writable: true, CreateOnly: true, Description: "The organization."},
			{Name: "slug", Always: true, Kind: String, Format: Slug, Required: true, Writable: true, CreateOnly: true, MaxLength: 40, Description: "The role's key, as members' and invitations' role holds it: a lower-case letter, then up to 39 lower-case letters, digits, - or _; unique in the organization, never changed."},
			{Name: "name", Always: true, Kind: String, Required: true, Writable: true, MinLength: 1, MaxLength: 100, Description: "The role's display name, 1 to 100 characters.", Specializes: []string{"schema:name"}},
			{Name: "description", Kind: String, Writable: true, MaxLength: 500, Description: "What the role may do, up to 500 characters."},
			{Name: "permissions", Always: true, Kind: String, Many: true, Writable: true, MaxItems: len(schema.PermissionCatalog), Enum: schema.PermissionNames(), Description: "The permissions the role grants, in the catalogue's order. Every role holds the five read permissions (organization:read, members:read, invitations:read, workspaces:read, roles:read) whatever it lists; nobody gives a permission they lack."},
			{Name: "default", Always: true, Kind: Boolean, Description: "true for the four roles every organization has (owner, admin, developer, viewer), which cannot change or be deleted; false for a custom role."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the role was made."},
		},
		Resource: &Resource{
			Collection: "/api/roles",
			Item:       "/api/roles/",
			Operations: []OpKind{GetCollection, Post, Get, Patch, Delete},
			Filters:    []Filter{{Variable: "organization", Property: "organization"}},
		},
	}

	Domain = &Class{
		Name:        "Domain",
		Description: "An email domain an organization claims. It is verified when the DNS TXT record _orgraph-challenge.<domain> holds its verification_token (checked by the verify action, and again periodically); a verified domain enrolls the users whose address is at it as they appear in its mode, by an invitation or a membership with its role. A domain is verified in at most one organization per mode; public email providers' domains cannot be claimed.",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The domain's id."},
			{Name: "organization", Always: true, Kind: Reference, Class: nil, Required: true, Writable: true, CreateOnly: true, Description: "The organization that claims it."},
			{Name: "domain", Always: true, Kind: String, Required: true, Writable: true, CreateOnly: true, MaxLength: 253, Description: "The domain name (ASCII: an internationalized name in its xn-- form), stored in lower case without a final dot."},
			{Name: "mode", Always: true, Kind: String, Enum: []string{"live", "test"}, Description: "The organization's mode: a domain is verified in at most one organization per mode."},
			{Name: "status", Always: true, Kind: String, Enum: schema.DomainStatuses, Description: "pending until first verified; verified while the TXT record holds the token; failed when a check did not find it (failure says why)."},
			{Name: "verification_token", Always: true, Kind: String, Description: "What the TXT record must hold."},
			{Name: "verification_record", Always: true, Kind: String, Description: "Where the TXT record goes: _orgraph-challenge.<domain>."},
			{Name: "enrollment", Always: true, Kind: String, Writable: true, Enum: schema.Enrollments, Description: "What a verified domain does for a user whose address is at it, as they appear in its mode (a new user, or their first key in the mode): none; automatic_invitation, an invitation from whoever last set the enrollment; automatic_membership, a membership. none when not given."},
			{Name: "role", Always: true, Kind: String, Format: Slug, Writable: true, MaxLength: 40, Description: "The slug of the role enrollment gives, one of the organization's that the caller may give, never owner (viewer when not given)."},
			{Name: "failure", Kind: String, Description: "Why the last check did not verify it."},
			{Name: "verified_at", Kind: DateTime, Description: "When it was verified (while it is)."},
			{Name: "checked_at", Kind: DateTime, Description: "When its TXT record was last looked up."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When it was claimed."},
			{Name: "updated_at", Always: true, Kind: DateTime, Description: "When it last changed."},
		},
		Resource: &Resource{
			Collection: "/api/domains",
			Item:       "/api/domains/",
			Operations: []OpKind{GetCollection, Post, Get, Patch, Delete},
			Filters: []Filter{
				{Variable: "organization", Property: "organization"},
				{Variable: "status", Property: "status"},
			},
			Orderable: []string{"id", "domain", "created_at"},
			Cursor:    true,
			Actions: []Action{
				{Name: "verify", Description: "Looks the TXT record up now, by an owner or admin (domains:manage): the domain becomes verified when it holds the token (422 NotUnique when another organization of the mode has it verified), failed otherwise, with the failure. POST /api/domains/{id}/verify, no body; returns the domain."},
			},
		},
	}

	Invitation = &Class{
		Name:        "Invitation",
		Description: "An invitation to join an organization with a role: pending, then accepted, revoked or expired.",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The invitation's id."},
			{Name: "organization", Always: true, Kind: Reference, Class: nil, Required: true, Writable: true, CreateOnly: true, Description: "The organization to join."},
			{Name: "organization_name", Always: true, Kind: String, Description: "The organization's name, which the invitee reads before accepting (they see nothing else of it until they are a member)."},
			{Name: "email", Always: true, Kind: String, Format: Email, Required: true, Writable: true, CreateOnly: true, MaxLength: 254, Description: "The invitee's email address."},
			{Name: "role", Always: true, Kind: String, Format: Slug, Writable: true, CreateOnly: true, MaxLength: 40, Description: "The slug of the role the invitee will hold, one of the organization's (viewer when not given)."},
			{Name: "status", Always: true, Kind: String, Enum: []string{"pending", "accepted", "revoked", "expired"}, Description: "pending, accepted, revoked or expired."},
			{Name: "expires_in_days", Kind: Integer, Writable: true, CreateOnly: true, WriteOnly: true, Minimum: 1, Maximum: 30, Description: "Days until the invitation expires, 1 to 30 (7 when not given); a resend starts the same period again."},
			{Name: "expires_at", Kind: DateTime, Description: "When a pending invitation expires."},
			{Name: "inviter", Kind: Reference, Class: User, Description: "Who sent the invitation."},
			{Name: "membership", Kind: Reference, Class: nil, Description: "The membership created by accepting it."},
			{Name: "accepted_at", Kind: DateTime, Description: "When it was accepted."},
			{Name: "revoked_at", Kind: DateTime, Description: "When it was revoked."},
			{Name: "accept_token", Kind: String, Once: true, OperatorsOnly: true, Description: "The token that accepts the invitation without an API key (POST /api/invitations/accept): the invitee's, for the e-mail that invites them. Only in an operator's answer that sends or resends the invitation (which therefore takes no Idempotency-Key from an operator), never again and never to anyone else; a resend issues a new one and voids the old; it opens nothing once the invitation is accepted, revoked or expired."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When it was sent first."},
			{Name: "updated_at", Always: true, Kind: DateTime, Description: "When it last changed."},
		},
		Resource: &Resource{
			Collection: "/api/invitations",
			Item:       "/api/invitations/",
			Operations: []OpKind{GetCollection, Post, Get},
			Filters: []Filter{
				{Variable: "organization", Property: "organization"},
				{Variable: "status", Property: "status"},
			},
			Orderable: []string{"id", "created_at"},
			Cursor:    true,
			Actions: []Action{
				{Name: "accept", Description: "Accepts the invitation (the caller's email must be the invitee's): POST /api/invitations/{id}/accept, no body; returns the new Member.", Returns: nil},
				{Name: "accept", OnCollection: true, Public: true, Title: "acceptInvitationByToken", Description: "Accepts the invitation an accept token opens, with no API key: POST /api/invitations/accept with {\"token\": …}. The invitee's user is the one with the invitation's email; when there is none it is made (with the name given) and the answer's api_key holds their first API key in the invitation's mode, with its secret, once. Returns the new Member (201). A token that opens no pending invitation — wrong, used, replaced by a resend, revoked or expired — gets one and the same 422; attempts are limited per client address."},
				{Name: "resend", Description: "Sends a pending or expired invitation again with a new expiry and a new accept token (the old one opens nothing any more): POST /api/invitations/{id}/resend, no body.", Returns: nil},
				{Name: "revoke", Description: "Revokes a pending invitation: POST /api/invitations/{id}/revoke, no body.", Returns: nil},
			},
		},
	}

	Workspace = &Class{
		Name:        "Workspace",
		Description: "A workspace of one organization; its name is unique there.",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The workspace's id."},
			{Name: "organization", Always: true, Kind: Reference, Class: nil, Required: true, Writable: true, CreateOnly: true, Description: "The organization."},
			{Name: "name", Always: true, Kind: String, Required: true, Writable: true, MinLength: 1, MaxLength: 100, Description: "The workspace's name, 1 to 100 characters, unique in the organization.", Specializes: []string{"schema:name"}},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the workspace was created."},
			{Name: "updated_at", Always: true, Kind: DateTime, Description: "When the workspace was last changed."},
		},
		Resource: &Resource{
			Collection: "/api/workspaces",
			Item:       "/api/workspaces/",
			Operations: []OpKind{GetCollection, Post, Get, Patch, Delete},
			Filters: []Filter{
				{Variable: "organization", Property: "organization"},
				{Variable: "name", Property: "name", Partial: true},
			},
			Orderable: []string{"id", "name", "created_at"},
			Cursor:    true,
		},
	}

	EventActor = &Class{
		Name:        "EventActor",
		Description: "Who made a change: a user, an operator key, or the system (an invitation's expiry).",
		Properties: []*Property{
			{Name: "type", Always: true, Kind: String, Enum: []string{"user", "operator", "system"}, Description: "user, operator or system."},
			{Name: "user", Kind: Reference, Class: User, Description: "The user who acted, when a user did."},
			{Name: "api_key", Kind: Reference, Class: APIKey, Description: "The operator key that acted, when an operator did."},
		},
	}

	Event = &Class{
		Name:        "Event",
		Description: "One change, recorded in the transaction that made it: what happened, to what, by whom. Owners and admins read their organizations' events, operators every event of their mode.",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: Integer, Description: "The event's number, given as it is recorded."},
			{Name: "type", Always: true, Kind: String, Enum: orgs.EventTypes, Description: "What happened: resource.what, such as member.added."},
			{Name: "mode", Always: true, Kind: String, Enum: []string{"live", "test"}, Description: "live or test: the mode of what changed."},
			{Name: "organization", Kind: Reference, Class: nil, Description: "The organization the change was made in (kept after it is deleted); none for users and API keys."},
			{Name: "actor", Always: true, Kind: Object, Class: EventActor, Description: "Who made the change."},
			{Name: "request_id", Kind: String, Description: "The id of the request that made the change (its X-Request-ID)."},
			{Name: "data", Always: true, Kind: JSONValue, Description: "The resource's document after the change (before it, for a deletion), as any reader would read it, never a secret: a snapshot kept as a JSON literal, which states nothing about the resource as it is now."},
			{Name: "previous_attributes", Kind: JSONValue, Description: "For an update, the changed fields' values before it, as Stripe's previous_attributes."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the change was made."},
		},
		Resource: &Resource{
			Collection: "/api/events",
			Item:       "/api/events/",
			Operations: []OpKind{GetCollection, Get},
			Filters: []Filter{
				{Variable: "type", Property: "type", Many: true, Prefixes: true},
				{Variable: "organization", Property: "organization"},
				{Variable: "created_at", Property: "created_at", Date: true},
			},
			Orderable: []string{"id"},
			Cursor:    true,
			NumericID: true,
		},
	}

	WebhookEndpoint = &Class{
		Name:        "WebhookEndpoint",
		Description: "A URL that receives events as signed HTTP POSTs (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature), one at a time in the feed's order, retried for three days. An organization's is made and read by its owners and admins; an operator's, with no organization, hears the whole mode.",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The endpoint's id."},
			{Name: "organization", Kind: Reference, Class: nil, Writable: true, CreateOnly: true, Description: "The organization whose events it receives; none (operators only) for every event of the mode."},
			{Name: "url", Always: true, Kind: String, Required: true, Writable: true, MinLength: 1, MaxLength: 1000, Description: "Where events are posted: a public http or https URL, up to 1,000 characters (no user info, no fragment); redirects are not followed."},
			{Name: "enabled_events", Always: true, Kind: String, Many: true, Required: true, Writable: true, MaxItems: 64, Enum: webhookEventChoices(), Description: "The events it receives: event types, a resource's prefix (member.*), or * for every one."},
			{Name: "description", Kind: String, Writable: true, MaxLength: 500, Description: "What the endpoint is for, up to 500 characters."},
			{Name: "status", Always: true, Kind: String, Writable: true, Enum: []string{"enabled", "disabled"}, Description: "enabled or disabled. An endpoint whose deliveries fail for three days is disabled; enabling it resumes them where they stopped."},
			{Name: "disabled_reason", Kind: String, Description: "Why a disabled endpoint is."},
			{Name: "secret", Kind: String, Once: true, Description: "The signing secret (whsec_…, Standard Webhooks): only in the answers that make the endpoint and rotate its secret, never again."},
			{Name: "mode", Always: true, Kind: String, Enum: []string{"live", "test"}, Description: "live or test: the mode of the key that made it, and of the events it receives."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the endpoint was made."},
			{Name: "updated_at", Always: true, Kind: DateTime, Description: "When the endpoint last changed."},
		},
		Resource: &Resource{
			Collection: "/api/webhook_endpoints",
			Item:       "/api/webhook_endpoints/",
			Operations: []OpKind{GetCollection, Post, Get, Patch, Delete},
			Filters:    []Filter{{Variable: "organization", Property: "organization"}},
			Orderable:  []string{"id", "created_at"},
			Cursor:     true,
			Actions: []Action{
				{Name: "rotate_secret", Title: "rotateWebhookEndpointSecret", Description: "Gives the endpoint a new signing secret, which signs every delivery from now on: POST /api/webhook_endpoints/{id}/rotate_secret, no body; returns the endpoint with its new secret, once. Takes no Idempotency-Key: the secret is never shown again, so no answer replays it."},
			},
		},
	}

	WebhookAttempt = &Class{
		Name:        "WebhookAttempt",
		Description: "One try at delivering an event.",
		Properties: []*Property{
			{Name: "at", Always: true, Kind: DateTime, Description: "When the try began."},
			{Name: "duration_ms", Always: true, Kind: Integer, Description: "How long it took, in milliseconds."},
			{Name: "response_status", Kind: Integer, Description: "The HTTP status the endpoint answered (none when it did not answer)."},
			{Name: "error", Kind: String, Description: "Why there was no answer, or why it was refused."},
			{Name: "success", Always: true, Kind: Boolean, Description: "Whether the endpoint took it: a 2xx answer within 10 seconds."},
			{Name: "next_attempt_at", Kind: DateTime, Description: "When the next try was scheduled, after a failure."},
		},
	}

	WebhookDelivery = &Class{
		Name:        "WebhookDelivery",
		Description: "One event's delivery to one endpoint, with every attempt: pending until it succeeds, failed when the endpoint gives up on it.",
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The delivery's id; its webhook-id header, the same in every retry."},
			{Name: "endpoint", Always: true, Kind: Reference, Class: nil, Description: "The endpoint."},
			{Name: "organization", Kind: Reference, Class: nil, Description: "The endpoint's organization."},
			{Name: "event", Always: true, Kind: Reference, Class: nil, Description: "The event delivered."},
			{Name: "event_type", Always: true, Kind: String, Description: "The event's type."},
			{Name: "status", Always: true, Kind: String, Enum: []string{"pending", "succeeded", "failed"}, Description: "pending, succeeded or failed."},
			{Name: "attempts", Always: true, Kind: Object, Class: WebhookAttempt, Many: true, Ordered: true, Description: "Every attempt, oldest first."},
			{Name: "next_attempt_at", Kind: DateTime, Description: "When a pending delivery is tried next."},
			{Name: "mode", Always: true, Kind: String, Enum: []string{"live", "test"}, Description: "live or test."},
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the delivery was made."},
			{Name: "updated_at", Always: true, Kind: DateTime, Description: "When it last changed."},
		},
		Resource: &Resource{
			Collection: "/api/webhook_deliveries",
			Item:       "/api/webhook_deliveries/",
			Operations: []OpKind{GetCollection, Get},
			Filters: []Filter{
				{Variable: "endpoint", Property: "endpoint"},
				{Variable: "status", Property: "status"},
			},
			Orderable: []string{"id", "created_at"},
			Cursor:    true,
			Actions: []Action{
				{Name: "retry", Description: "Sends the delivery again now, before the endpoint's next event: a failed one, or a pending one waiting for its next try. The endpoint must be enabled. POST /api/webhook_deliveries/{id}/retry, no body; returns the delivery."},
			},
		},
	}

	// OrganizationInvitation is one entry of an organization's create-time
	// invitations list.
	OrganizationInvitation = &Class{
		Name:        "OrganizationInvitation",
		Description: "An invitation sent with the organization that is being created.",
		Properties: []*Property{
			{Name: "email", Kind: String, Format: Email, Required: true, Writable: true, MaxLength: 254, Description: "The invitee's email address."},
			{Name: "role", Kind: String, Writable: true, Enum: roles, Description: "The role the invitee will hold (viewer when not given): a new organization has the default roles only."},
		},
	}

	// OwnershipTransfer is the body of transferring an organization.
	OwnershipTransfer = &Class{
		Name:        "OwnershipTransfer",
		Description: "Who receives the organization's ownership, and the role the owner who gives it keeps.",
		Properties: []*Property{
			{Name: "new_owner", Kind: Reference, Class: nil, Required: true, Writable: true, Description: "The member who becomes an owner: another active member of the organization who is not an owner yet."},
			{Name: "caller_role", Kind: String, Format: Slug, Writable: true, MaxLength: 40, Description: "The slug of the role the caller keeps, one of the organization's: admin when not given; owner keeps them an owner beside the new one."},
		},
	}

	Organization = &Class{
		Name:        "Organization",
		Description: "An organization, with its owners and members.",
		// Its owners and members are Member (org:Membership) documents; ORG
		// has no property from an organization to its memberships, so they
		// claim none.
		Specializes: []string{"schema:Organization", "org:Organization"},
		Properties: []*Property{
			{Name: "id", Always: true, Kind: String, Description: "The organization's id."},
			{Name: "name", Always: true, Kind: String, Required: true, Writable: true, MinLength: 1, MaxLength: 200, Description: "The organization's name, 1 to 200 characters.", Specializes: []string{"schema:name"}},
			{Name: "contact", Kind: Object, Class: Contact, Writable: true, Description: "The contact person."},
			// A literal: schema:telephone (Text), not vCard's hasTelephone,
			// an object property.
			{Name: "phone_number", Kind: String, Format: Phone, Writable: true, MaxLength: 32, Description: "A phone number: digits, spaces and + ( ) . - only.", Specializes: []string{"schema:telephone"}},
			{Name: "address", Kind: Object, Class: Address, Writable: true, Description: "The postal address.", Specializes: []string{"schema:address", "vcard:hasAddress"}},
			{Name: "status", Always: true, Kind: Object, Class: OrganizationStatus, Writable: true, Description: "The status and its history; owners change status.current_status (ACTIVE or SUSPENDED)."},
			{Name: "member_count", Always: true, Kind: Integer, Description: "How many members the organization has."},
			{Name: "current_user_role", Kind: String, Description: "The slug of the caller's role in this organization."},
			{Name: "mode", Always: true, Kind: String, Enum: []string{"live", "test"}, Description: "live or test: the mode of the key that created it."},
			externalID("organization"),
			metadata(),
			privateMetadata(),
			{Name: "created_at", Always: true, Kind: DateTime, Description: "When the organization was created."},
			{Name: "updated_at", Always: true, Kind: DateTime, Description: "When the organization was last changed."},
			{Name: "owners", Always: true, Kind: Object, Class: Member, Many: true, Description: "The first 10 owners to join (member_count counts everyone; the Member collection lists all)."},
			{Name: "members", Always: true, Kind: Object, Class: Member, Many: true, Description: "The first 10 members to join, owners included (member_count counts everyone; the Member collection lists all)."},
			{Name: "invitations", Kind: Object, Class: OrganizationInvitation, Many: true, Writable: true, CreateOnly: true, WriteOnly: true, MaxItems: 100, Description: "Invitations to send with a new organization, at most 100, created atomically with it."},
		},
		Resource: &Resource{
			Collection:     "/api/organizations",
			MetadataFilter: true,
			Item:           "/api/organizations/",
			Operations:     []OpKind{GetCollection, Post, Get, Patch, Delete},
			Filters:        []Filter{{Variable: "name", Property: "name", Partial: true}, {Variable: "external_id", Property: "external_id"}},
			Orderable:      []string{"id", "name", "created_at"},
			Cursor:         true,
			Actions: []Action{
				{Name: "transfer", Title: "transferOrganization", Description: "Hands the organization's ownership to another member in one step, by an owner (not an operator key): new_owner becomes an owner and the caller takes caller_role (admin when not given), both or neither, under the organization's lock; If-Match compares the organization's ETag. POST /api/organizations/{id}/transfer with {\"new_owner\": member IRI, \"caller_role\": …}; returns the organization."},
			},
		},
	}
)

// externalID, metadata and privateMetadata are the properties of what a
// platform keeps on a resource of its own (schema.MetadataMixin).
func externalID(of string) *Property {
	unique := "unique per mode"
	if of == "user" {
		unique = "unique (a user spans both modes)"
	}
	return &Property{Name: "external_id", Kind: String, Writable: true, MaxLength: schema.ExternalIDMaxLength,
		Description: fmt.Sprintf("The platform's own id of the %s, up to %d characters, %s; written by operator keys only (a 403 for others). An empty string clears it.", of, schema.ExternalIDMaxLength, unique)}
}

func metadata() *Property {
	return &Property{Name: "metadata", Kind: JSONValue, Writable: true, MaxItems: schema.MetadataMaxKeys, MaxKeyLength: schema.MetadataMaxKeyLength, MaxLength: schema.MetadataMaxValueLength,
		Description: fmt.Sprintf("The platform's data about it, for whoever reads it: a JSON object of at most %d keys of at most %d characters, each value a string of at most %d characters. Written as a merge patch by whoever may change the resource: a key sent is set, a key sent as null is deleted, the others stay. The collection filters on it: metadata[key]=value.", schema.MetadataMaxKeys, schema.MetadataMaxKeyLength, schema.MetadataMaxValueLength)}
}

func privateMetadata() *Property {
	return &Property{Name: "private_metadata", Kind: JSONValue, Writable: true, MaxItems: schema.MetadataMaxKeys, MaxKeyLength: schema.MetadataMaxKeyLength, MaxLength: schema.MetadataMaxValueLength,
		Description: "Like metadata, but read and written by operator keys alone: never in another caller's answer (a 403 for their writes), nor in events."}
}

// webhookEventChoices are the values of an endpoint's enabled_events:
// every type, every resource's prefix, and * for all.
func webhookEventChoices() []string {
	return append(append([]string{orgs.AllEvents}, orgs.EventTypes...), PrefixValues(orgs.EventTypes)...)
}

// roles are the default roles' slugs: what a new organization's
// invitations may give, before it has any custom role.
var roles = schema.Roles

// EmbedLimit bounds the owners[] and members[] embedded in an organization.
const EmbedLimit = orgs.EmbedLimit

// API is Orgraph's registry.
var API = func() *Registry {
	// Declared after the classes that point to them.
	point := func(c *Class, name string, to *Class) {
		for _, p := range c.Properties {
			if p.Name == name {
				p.Class = to
			}
		}
	}
	for _, c := range []*Class{Member, Role, Domain, Invitation, Workspace, Event, WebhookEndpoint, WebhookDelivery} {
		point(c, "organization", Organization)
	}
	for i := range Domain.Resource.Actions {
		Domain.Resource.Actions[i].Returns = Domain
	}
	point(Invitation, "membership", Member)
	point(OwnershipTransfer, "new_owner", Member)
	for i := range Member.Resource.Actions {
		Member.Resource.Actions[i].Returns = Member
	}
	for i := range Organization.Resource.Actions {
		a := &Organization.Resource.Actions[i]
		a.Returns, a.Expects = Organization, OwnershipTransfer
	}
	point(WebhookDelivery, "endpoint", WebhookEndpoint)
	point(WebhookDelivery, "event", Event)
	for _, c := range []*Class{WebhookEndpoint, WebhookDelivery} {
		for i := range c.Resource.Actions {
			c.Resource.Actions[i].Returns = c
		}
	}
	for i := range APIKey.Resource.Actions {
		a := &APIKey.Resource.Actions[i]
		a.Returns = APIKey
		if a.Name == "rotate" {
			a.Expects = APIKeyRotation
		}
	}
	for i := range Invitation.Resource.Actions {
		a := &Invitation.Resource.Actions[i]
		a.Returns = map[string]*Class{"accept": Member}[a.Name]
		if a.Returns == nil {
			a.Returns = Invitation
		}
		if a.OnCollection {
			a.Expects = InvitationToken
		}
	}
	return NewRegistry("Orgraph",
		"Organizations, their owners, members, invitations, workspaces and roles, as Hydra resources.",
		Organization, Member, Invitation, Workspace, Role, Domain, User, APIKey, Event, WebhookEndpoint, WebhookDelivery,
		Contact, Address, OrganizationStatus, StatusChange, OrganizationInvitation, APIKeyRotation, InvitationToken, OwnershipTransfer, EventActor, WebhookAttempt,
		Error, ConstraintViolation, ConstraintViolationList)
}()
