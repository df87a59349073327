package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// The statuses of a domain, and its enrollments.
const (
	DomainPending  = "pending"
	DomainVerified = "verified"
	DomainFailed   = "failed"

	EnrollNone       = "none"
	EnrollInvitation = "automatic_invitation"
	EnrollMembership = "automatic_membership"
)

// DomainStatuses and Enrollments list them.
var (
	DomainStatuses = []string{DomainPending, DomainVerified, DomainFailed}
	Enrollments    = []string{EnrollNone, EnrollInvitation, EnrollMembership}
)

// Domain is an email domain an organization claims, verified by a DNS TXT
// record holding its token; a verified domain enrolls the users whose
// address is at it (issue 21).
type Domain struct{ ent.Schema }

func (Domain) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, OrganizationOwnedMixin{Ref: "domains"}}
}

func (Domain) Fields() []ent.Field {
	return []ent.Field{
		// The domain in its one spelling: ASCII, lower case, no final dot.
		field.String("domain").NotEmpty().MaxLen(253).Immutable(),
		field.Enum("mode").Values("live", "test").Immutable(),
		field.Enum("status").Values(DomainStatuses...).Default(DomainPending),
		field.String("verification_token").NotEmpty().Immutable(),
		field.Enum("enrollment").Values(Enrollments...).Default(EnrollNone),
		// role is the slug of the role enrollment gives (an invitation's,
		// or a membership's).
		field.String("role").Default(RoleViewer),
		// created_by is the member who claimed it: the inviter of the
		// invitations enrollment sends, who must still be allowed to send
		// them when they are accepted.
		field.UUID("created_by", NewID()).Optional().Nillable(),
		field.Time("verified_at").Optional().Nillable(),
		// checked_at is the last DNS check; failure says why the last one
		// failed.
		field.Time("checked_at").Optional().Nillable(),
		field.String("failure").Optional().MaxLen(500),
	}
}

func (Domain) Indexes() []ent.Index {
	return []ent.Index{
		// An organization claims a domain once.
		index.Fields("organization_id", "domain").Unique(),
		// A domain is verified in at most one organization per mode: the
		// index decides when two verify at once. Its condition is a
		// literal, as a query that uses it must say.
		index.Fields("mode", "domain").Unique().StorageKey("domain_verified_mode_domain").
			Annotations(entsql.IndexWhere("status = 'verified'")),
		// The periodic re-check reads the least recently checked first.
		index.Fields("status", "checked_at"),
	}
}
