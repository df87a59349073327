package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey authenticates a user. Only the SHA-256 of the secret is stored; the
// secret itself is shown once, when the key is created.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("hash").Unique().NotEmpty().Immutable().Sensitive(),
		// The first characters of the key (og_live_ab12…), safe to show in lists and logs.
		field.String("display_prefix").NotEmpty().Immutable(),
		field.String("name").Optional().MaxLen(200),
		// The mode partitions all data: a test key never sees live data.
		field.Enum("mode").Values("live", "test").Immutable(),
		// operator: the platform's backend key (users, keys for them).
		field.Enum("scope").Values("write", "read", "operator").Default("write").Immutable(),
		field.UUID("user_id", NewID()).Immutable(),
		// The Orgraph-Version the key is pinned to; requests without the
		// header get it (empty: the latest).
		field.String("version").Optional().Immutable(),
		field.Time("created_at").Default(Now).Immutable(),
		// A key past expires_at is refused like a revoked one. Rotation
		// sets it on the old key: the grace period its holder chose.
		field.Time("expires_at").Optional().Nillable(),
		// Kept per minute at most (lastUsedGranularity), so that a read
		// costs no write.
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("api_keys").Field("user_id").Unique().Required().Immutable(),
	}
}

func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}
