package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Contact is an organization's contact person.
type Contact struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// Address is an organization's postal address.
type Address struct {
	StreetAddress string `json:"street_address,omitempty"`
	City          string `json:"city,omitempty"`
	State         string `json:"state,omitempty"`
	ZipCode       string `json:"zip_code,omitempty"`
	Country       string `json:"country,omitempty"`
}

// StatusChange records one transition of an organization's status.
type StatusChange struct {
	Status    string    `json:"status"`
	ChangedAt time.Time `json:"changed_at"`
}

// Organization is a tenant's organization. Its mode (live or test) is the
// mode of the key that created it and never changes.
type Organization struct{ ent.Schema }

func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}}
}

func (Organization) Fields() []ent.Field {
	return append([]ent.Field{
		field.String("name").NotEmpty().MaxLen(800), // 200 characters; MaxLen counts bytes
		field.JSON("contact", &Contact{}).Optional(),
		field.String("phone_number").Optional().MaxLen(64),
		field.JSON("address", &Address{}).Optional(),
		field.Enum("status").Values("ACTIVE", "SUSPENDED").Default("ACTIVE"),
		field.JSON("status_history", []StatusChange{}).Optional(),
		field.Enum("mode").Values("live", "test").Immutable(),
	}, MetadataFields()...)
}

func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("members", Member.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("roles", Role.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("invitations", Invitation.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("workspaces", Workspace.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("webhook_endpoints", WebhookEndpoint.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("webhook_deliveries", WebhookDelivery.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("domains", Domain.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Organization) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("mode", "created_at"),
		// An external id names one organization of a mode.
		index.Fields("mode", "external_id").Unique(),
	}
}
