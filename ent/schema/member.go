package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// A membership's statuses.
const (
	MemberActive      = "active"
	MemberDeactivated = "deactivated"
)

// MemberStatuses lists them.
var MemberStatuses = []string{MemberActive, MemberDeactivated}

// Member is one user's membership of one organization.
type Member struct{ ent.Schema }

func (Member) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, OrganizationOwnedMixin{Ref: "members"}}
}

func (Member) Fields() []ent.Field {
	return append([]ent.Field{
		field.UUID("user_id", NewID()).Immutable(),
		// role is the slug of one of the organization's roles (Role): a
		// default one or a custom one, which the domain checks under the
		// organization's lock (a role deleted meanwhile is not assigned).
		field.String("role").NotEmpty(),
		// A deactivated member keeps their record and role but sees
		// nothing of the organization, and counts as no owner (issue 21):
		// every visibility rule asks for an active membership.
		field.Enum("status").Values(MemberStatuses...).Default(MemberActive),
		field.Time("deactivated_at").Optional().Nillable(),
		field.Time("joined_at").Default(Now).Immutable(),
		// mode is the organization's, kept here so that "the caller's
		// organizations in the key's mode" is one index range
		// (user_id, mode, organization_id): counted and paged without
		// reading the organizations. A hook the store installs sets it from
		// the organization on every create, whatever the caller set.
		field.Enum("mode").Values("live", "test").Default("live").Immutable(),
	}, MetadataFields()...) // last: their columns were added by ALTER TABLE
}

func (Member) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("memberships").Field("user_id").
			Unique().Required().Immutable().Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Member) Indexes() []ent.Index {
	return []ent.Index{
		// A user belongs to an organization at most once.
		index.Fields("organization_id", "user_id").Unique(),
		// The visibility rule's probe (orgs.callerMembership): is the
		// caller an active member? Answered from this index alone, as the
		// unique one answered it before members had a status; deactivated
		// memberships, rare, are not in it. Unique (as the full index
		// implies) so that SQLite's planner prefers it to the full one;
		// a query uses it only when it says status = 'active' literally
		// (a bound parameter proves nothing about the index's condition).
		index.Fields("organization_id", "user_id").Unique().StorageKey("member_active_organization_id_user_id").
			Annotations(entsql.IndexWhere("status = 'active'")),
		// A user's organizations in a mode, in id order: those they
		// see are the active memberships' (one range of the index).
		index.Fields("user_id", "mode", "status", "organization_id"),
		// Members are listed and embedded per organization in joining order.
		index.Fields("organization_id", "joined_at"),
		// A platform's id of a membership names one per mode.
		index.Fields("mode", "external_id").Unique(),
	}
}
