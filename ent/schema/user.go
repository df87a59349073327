package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a person who calls the API through one or more API keys, or
// with the tokens of an OpenID Connect issuer (UserIdentity).
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}, TimeMixin{}} }

func (User) Fields() []ent.Field {
	return append([]ent.Field{
		// Stored in its one spelling (mailaddr.Normalize: ASCII, lower-cased)
		// so that lookups by email are exact.
		field.String("email").Unique().NotEmpty().MaxLen(254),
		field.String("name").Optional().MaxLen(200),
	}, MetadataFields()...) // last: their columns were added by ALTER TABLE
}

func (User) Indexes() []ent.Index {
	return []ent.Index{
		// A platform's id of a user names one user (users span both modes).
		index.Fields("external_id").Unique(),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("api_keys", APIKey.Type),
		edge.To("memberships", Member.Type),
		edge.To("identities", UserIdentity.Type),
	}
}
