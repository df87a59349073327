package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Role is one of the roles provisioned with every organization (RoleCatalog);
// its permissions come from RolePermissions, so they cannot drift from what
// is enforced.
type Role struct{ ent.Schema }

func (Role) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, OrganizationOwnedMixin{Ref: "roles"}}
}

func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("slug").Values(Roles...).Immutable(),
		field.String("name").NotEmpty(),
		field.String("description").Optional(),
		field.Time("created_at").Default(Now).Immutable(),
	}
}

func (Role) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "slug").Unique()}
}
