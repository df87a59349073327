package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// UserIdentity links a user to their account at an OpenID Connect issuer:
// the issuer's URL and the subject (sub) it names the account by, which
// the issuer never gives to anyone else (OpenID Connect Core 1.0, 2). An
// email address can change hands; this pair cannot, so it is what a token
// is mapped to a user by. A user may have several (one per issuer, or
// several accounts at one).
type UserIdentity struct{ ent.Schema }

func (UserIdentity) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

func (UserIdentity) Fields() []ent.Field {
	return []ent.Field{
		// As the token's iss writes it (the configured --oidc-issuer).
		field.String("issuer").NotEmpty().MaxLen(2048).Immutable(),
		// OpenID Connect bounds sub to 255 ASCII characters.
		field.String("subject").NotEmpty().MaxLen(255).Immutable(),
		field.UUID("user_id", NewID()).Immutable(),
		field.Time("created_at").Default(Now).Immutable(),
	}
}

func (UserIdentity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("identities").Field("user_id").Unique().Required().Immutable(),
	}
}

func (UserIdentity) Indexes() []ent.Index {
	return []ent.Index{
		// One account is one user, however many requests race to make
		// the link (the loser of the race finds the winner's row).
		index.Fields("issuer", "subject").Unique(),
		index.Fields("user_id"),
	}
}
