package schema

import (
	"context"

	"github.com/google/uuid"
)

// A membership's mode is its organization's: the store's hook reads it
// from the organization on every create. The writer that has just created
// the organization in the same transaction knows it already, and says so
// with WithOrganizationMode, sparing the hook its read (a round trip on
// PostgreSQL, in every organization's creation).

type organizationModeKey struct{}

type organizationMode struct {
	id   uuid.UUID
	mode string
}

// WithOrganizationMode says, for the writes made with the returned
// context, that the organization id is of this mode.
func WithOrganizationMode(ctx context.Context, id uuid.UUID, mode string) context.Context {
	return context.WithValue(ctx, organizationModeKey{}, organizationMode{id, mode})
}

// OrganizationModeOf is the mode ctx says the organization id has, if it
// says.
func OrganizationModeOf(ctx context.Context, id uuid.UUID) (string, bool) {
	m, ok := ctx.Value(organizationModeKey{}).(organizationMode)
	if !ok || m.id != id {
		return "", false
	}
	return m.mode, true
}
