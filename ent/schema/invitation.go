package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Invitation expiry, in days: the default and the most a caller may ask for.
const (
	DefaultInvitationDays = 7
	MaxInvitationDays     = 30
)

// Invitation asks someone, by email, to join an organization with a role.
// The stored status is pending, accepted or revoked; a pending invitation
// past expires_at is expired (EffectiveStatus), so no job has to run for it.
type Invitation struct{ ent.Schema }

func (Invitation) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, OrganizationOwnedMixin{Ref: "invitations"}}
}

func (Invitation) Fields() []ent.Field {
	return []ent.Field{
		// Stored in its one spelling (mailaddr.Normalize), as users' emails are.
		field.String("email").NotEmpty().MaxLen(254).Immutable(),
		field.String("role").NotEmpty(), // a role slug of the organization, as Member.role
		field.Enum("status").Values("pending", "accepted", "revoked").Default("pending"),
		// How long the invitation is valid; a resend starts the same period again.
		field.Int("validity_days").Range(1, MaxInvitationDays).Default(DefaultInvitationDays),
		field.Time("expires_at"),
		field.UUID("inviter_id", NewID()).Optional().Nillable(),
		field.UUID("member_id", NewID()).Optional().Nillable(),
		field.Time("accepted_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		// The SHA-256 of the invitation's accept token (orgs.MintAcceptToken),
		// which only the invitee (through the operator's e-mail) holds: set
		// when the invitation is sent and again on each resend (voiding the
		// one before), cleared when it is accepted or revoked. NULL on
		// invitations made before tokens existed: those are accepted by id.
		field.String("accept_token_hash").Optional().Nillable().Unique().Sensitive(),
		// When the expiry of the invitation's current period was recorded
		// (the invitation.expired event, by the system); a resend clears it.
		field.Time("expiry_recorded_at").Optional().Nillable(),
	}
}

func (Invitation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "email"),
		index.Fields("email"),
		// The expiries still to record, oldest first.
		index.Fields("status", "expiry_recorded_at", "expires_at"),
	}
}

// EffectiveStatus is the status a client sees at time now.
func EffectiveStatus(stored string, expiresAt, now time.Time) string {
	if stored == "pending" && !now.Before(expiresAt) {
		return "expired"
	}
	return stored
}
