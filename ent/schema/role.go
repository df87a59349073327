package schema

import (
	"regexp"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// SlugPattern is a role's slug: a lower-case letter, then up to 39
// lower-case letters, digits, "-" or "_" — what fits in a URL, a JWT
// claim and a CSS class alike.
var SlugPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// Role is one of an organization's roles: the four defaults provisioned
// with it (RoleCatalog: their permissions are the code's, and never
// change) and the custom ones its owners and admins make, whose
// permissions are this row's.
type Role struct{ ent.Schema }

func (Role) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, OrganizationOwnedMixin{Ref: "roles"}}
}

func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Match(SlugPattern).Immutable(),
		field.String("name").NotEmpty(),
		field.String("description").Optional(),
		field.Time("created_at").Default(Now).Immutable(),
		// permissions are a custom role's, in the catalogue's order (nil
		// for a default role: RolePermissions holds them). Declared last:
		// the column was added by ALTER TABLE.
		field.JSON("permissions", []Permission{}).Optional(),
	}
}

func (Role) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "slug").Unique()}
}
