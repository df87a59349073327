package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WebhookEndpoint is where events are delivered: an organization's (its
// owners and admins make it) or an operator's, which hears its whole mode.
// The signing secret is kept sealed (internal/sealed): the server must
// read it back to sign, so it cannot be hashed as keys are.
type WebhookEndpoint struct{ ent.Schema }

func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, OrganizationOwnedMixin{Ref: "webhook_endpoints", Optional: true}}
}

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("mode").Values("live", "test").Immutable(),
		field.String("url").NotEmpty().MaxLen(2048),
		// Event types, or prefixes such as "member.*", or "*" for every
		// type.
		field.Strings("enabled_events"),
		field.String("description").Optional().MaxLen(2000),
		field.Enum("status").Values("enabled", "disabled").Default("enabled"),
		// Why a disabled endpoint is: by hand, or failing for three days.
		field.String("disabled_reason").Optional().MaxLen(500),
		field.Bytes("secret_sealed").Sensitive().NotEmpty(),
		// Where its deliveries stand in the feed: after the event at
		// (cursor_xid, cursor_id); none yet, after its creation.
		field.Int64("cursor_xid").Optional().Nillable(),
		field.Int64("cursor_id").Optional().Nillable(),
		// When a deliverer looks at it next; none while it is idle (the
		// feed moving sets it).
		field.Time("next_attempt_at").Optional().Nillable(),
		// A deliverer holds the endpoint until lease_until: one delivery
		// at a time, in order, by one replica.
		field.Time("lease_until").Optional().Nillable(),
		field.String("lease_owner").Optional().MaxLen(64),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (WebhookEndpoint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "next_attempt_at")}
}

// WebhookDelivery is one event's delivery to one endpoint, with every
// attempt.
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, OrganizationOwnedMixin{Ref: "webhook_deliveries", Optional: true}}
}

// DeliveryAttempt is one try at delivering: when, how long, the answer's
// status (0: none) or the error, and when the next try is.
type DeliveryAttempt struct {
	At             time.Time  `json:"at"`
	DurationMS     int64      `json:"duration_ms"`
	ResponseStatus int        `json:"response_status,omitempty"`
	Error          string     `json:"error,omitempty"`
	Success        bool       `json:"success"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("endpoint_id", NewID()).Immutable(),
		field.Enum("mode").Values("live", "test").Immutable(),
		field.Int64("event_id").Immutable(),
		field.String("event_type").MaxLen(64).Immutable(),
		field.Enum("status").Values("pending", "succeeded", "failed").Default("pending"),
		field.JSON("attempts", []DeliveryAttempt{}).Optional(),
		field.Time("next_attempt_at").Optional().Nillable(),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Field("endpoint_id").Unique().Required().Immutable(),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("endpoint_id", "event_id").Unique(),
		index.Fields("endpoint_id", "status"),
	}
}
