package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IdempotencyTTL is how long a write's answer is kept for retries.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyRecord is the answer to one write sent with an Idempotency-Key,
// per key owner and mode. Stored in the database so that every replica
// sees it. Status 0 means the first request is still running.
type IdempotencyRecord struct{ ent.Schema }

func (IdempotencyRecord) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

func (IdempotencyRecord) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", NewID()).Immutable(),
		field.Enum("mode").Values("live", "test").Immutable(),
		field.String("key").MaxLen(255).NotEmpty().Immutable(),
		// SHA-256 of method, path and body: the same key for another request is a 422.
		field.String("fingerprint").Immutable(),
		field.Int("status").Default(0),
		field.JSON("header", map[string][]string{}).Optional(),
		field.Bytes("body").Optional(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Immutable(),
		// The key's number among its owner's keys (per mode), one past the
		// newest kept: the owner keeps the records of its last
		// IdempotencyLimits.Keys numbers (store/idempotency.go).
		field.Int("seq").Default(0).Immutable(),
	}
}

func (IdempotencyRecord) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "mode", "key").Unique(),
		index.Fields("expires_at"),
		// An owner's records by seq: the newest numbers the next key, and the
		// cap evicts from the other end.
		index.Fields("user_id", "mode", "seq"),
	}
}
