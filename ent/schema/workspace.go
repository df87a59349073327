package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Workspace belongs to one organization; its name is unique there.
type Workspace struct{ ent.Schema }

func (Workspace) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, OrganizationOwnedMixin{Ref: "workspaces"}}
}

func (Workspace) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(400), // 100 characters; MaxLen counts bytes
	}
}

func (Workspace) Indexes() []ent.Index {
	// The handler checks names case-insensitively under the organization's
	// lock; the index is the last line of defence.
	return []ent.Index{index.Fields("organization_id", "name").Unique()}
}
