// Package schema is Orgraph's data model: every rule about stored data lives here.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"
)

// NewID mints a UUIDv7: ids sort by creation time, which keeps indexes
// append-mostly and gives a stable default order.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Now is the clock for stored timestamps: UTC and whole seconds, because the
// wire format (RFC 3339 without fraction) cannot carry more and a value must
// read back exactly as it was written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// IDMixin gives an entity a UUIDv7 primary key.
type IDMixin struct{ mixin.Schema }

func (IDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(NewID).Immutable(),
	}
}

// TimeMixin adds created_at and updated_at.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(Now).Immutable(),
		field.Time("updated_at").Default(Now).UpdateDefault(Now),
	}
}

// OwnerField is the column that names an organization-owned row's
// organization: the same in every owned table, so that code reading owners
// generically (the store's change log) needs no per-type mapping.
const OwnerField = "organization_id"

// OrganizationOwnedMixin makes a type organization-owned: an immutable,
// required organization_id with its edge to Organization, and the
// OrganizationOwned annotation from which code generation lists the owned
// types (ent.OrganizationOwnedTables). Declaring the field by hand instead
// fails generation (ent/template/organization_owned.tmpl), so the list
// cannot miss a type that has an organization.
type OrganizationOwnedMixin struct {
	mixin.Schema
	// Ref names Organization's edge to the type (e.g. "members"): ent
	// needs it to pair the two ends of the one relation, and it differs by
	// type. Organization declares that edge, with its cascade delete.
	Ref string
	// Optional rows may belong to no organization (an operator's webhook
	// endpoint, which hears the whole mode): organization_id is then
	// NULL, and what belongs to an organization still goes with it.
	Optional bool
}

func (m OrganizationOwnedMixin) Fields() []ent.Field {
	f := field.UUID(OwnerField, NewID()).Immutable()
	if m.Optional {
		f = f.Optional().Nillable()
	}
	return []ent.Field{f}
}

func (m OrganizationOwnedMixin) Edges() []ent.Edge {
	e := edge.From("organization", Organization.Type).Ref(m.Ref).Field(OwnerField).Unique().Immutable()
	if !m.Optional {
		e = e.Required()
	}
	return []ent.Edge{e}
}

func (OrganizationOwnedMixin) Annotations() []schema.Annotation {
	return []schema.Annotation{OrganizationOwned{}}
}

// OrganizationOwned marks a schema as organization-owned for code
// generation. Only OrganizationOwnedMixin adds it: the template that reads
// it refuses a schema that carries it without organization_id as the field
// of an edge to Organization.
type OrganizationOwned struct{}

// Name implements schema.Annotation.
func (OrganizationOwned) Name() string { return "OrganizationOwned" }
