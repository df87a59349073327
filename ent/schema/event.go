package schema

import (
	"encoding/json"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event records one change, written in the transaction that makes it (an
// outbox): no change without its event, no event without its change.
//
// Events outlive what they describe (organization.deleted must stay
// readable), so an event names its organization by id without a foreign
// key, and is not organization-owned: deleting an organization keeps its
// events. The column is "organization", not organization_id, which code
// generation reserves for owned types.
type Event struct{ ent.Schema }

func (Event) Mixin() []ent.Mixin { return []ent.Mixin{IDMixin{}} }

func (Event) Fields() []ent.Field {
	return []ent.Field{
		// seq orders the feed: each event's is one past the greatest, taken
		// while the writer holds the events' append lock until it commits
		// (store.LockEvents), so events commit in seq order and a reader
		// that has seen seq n will never be shown a new event below it.
		field.Int64("seq").Unique().Immutable(),
		field.String("type").NotEmpty().MaxLen(64).Immutable(),
		field.Enum("mode").Values("live", "test").Immutable(),
		field.UUID("organization", NewID()).Optional().Nillable().Immutable(),
		// Who acted: a user (actor_id the user's id), an operator key
		// (actor_id the key's id), or the system (expiry; no actor_id).
		field.Enum("actor_type").Values("user", "operator", "system").Immutable(),
		field.UUID("actor_id", NewID()).Optional().Nillable().Immutable(),
		field.String("request_id").Optional().MaxLen(128).Immutable(),
		// The resource's document after the change (before it, for a
		// deletion), as JSON-LD with no per-reader parts. PostgreSQL's json
		// (not jsonb) keeps the document's bytes, @context first, as
		// rendered.
		field.JSON("data", json.RawMessage{}).Immutable().
			SchemaType(map[string]string{dialect.Postgres: "json"}),
		// The changed fields' previous values (Stripe's
		// previous_attributes), for updates.
		field.JSON("previous", map[string]any{}).Optional().Immutable(),
		field.Time("created_at").Default(Now).Immutable(),
	}
}

func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("mode", "seq"),
		index.Fields("organization", "seq"),
		index.Fields("created_at"),
	}
}
