package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
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

func (Event) Fields() []ent.Field {
	return []ent.Field{
		// The id orders the feed. The database numbers events as they are
		// inserted (SQLite's rowid, never reused; PostgreSQL's identity),
		// with no lock between writers: on PostgreSQL two transactions may
		// commit out of id order, so the feed reads below the horizon of the
		// oldest running transaction (issue 20), never past an event that
		// may still appear below it. As the primary key it costs no index
		// of its own, which keeps the outbox cheap on every write.
		field.Int64("id").Immutable(),
		// The transaction that recorded the event, which orders the feed
		// on PostgreSQL: (xid, id), read only below the oldest running
		// transaction (pg_snapshot_xmin). Every transaction still running
		// has an xid at or above that horizon, so no event can later
		// appear below it: what the feed has shown is final, and a cursor
		// never skips an event that commits late. The database fills it
		// (pg_current_xact_id(); an 8-byte xid fits a bigint); SQLite runs
		// one writer at a time, commits in id order, and keeps 0.
		field.Int64("xid").Optional().Immutable().
			Annotations(entsql.DefaultExprs(map[string]string{
				dialect.Postgres: "(pg_current_xact_id())::text::bigint",
				dialect.SQLite:   "0",
			})),
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
		// Kept as the text rendered (valid JSON by construction), so that
		// no write pays for parsing it again.
		field.Text("data").Immutable().
			SchemaType(map[string]string{dialect.Postgres: "json", dialect.SQLite: "json"}),
		// The changed fields' previous values (Stripe's
		// previous_attributes), for updates.
		field.JSON("previous", map[string]any{}).Optional().Immutable(),
		// What the event carries for webhook deliveries and operators
		// alone, never for the members who read the feed: an
		// invitation's accept token (invitation.created and .resent). A
		// JSON object of properties added to data, sealed with the
		// server's secrets key (--secrets-key), since a token is a
		// credential and no secret is stored in the clear; without a key
		// nothing is kept.
		field.Bytes("sealed").Optional().Sensitive().Immutable(),
		field.Time("created_at").Default(Now).Immutable(),
	}
}

// The feed reads a mode's events, or an organization's, in its order.
// Retention needs no index of its own: the oldest events have the lowest
// ids, so it walks the primary key from the start.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("mode", "xid", "id"),
		index.Fields("organization", "xid", "id"),
	}
}
