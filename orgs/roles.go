package orgs

import (
	"context"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/role"
)

// Roles lists the roles of the organizations the caller sees, or of one
// of them when org is not uuid.Nil.
func (s *Service) Roles(c Caller, org uuid.UUID, order []Order) List[*ent.Role] {
	q := s.client.Role.Query().Where(visibleThrough(c))
	if org != uuid.Nil {
		q.Where(role.OrganizationID(org))
	}
	return listOf(q, (*ent.RoleQuery).Order, order)
}

// Role reads a role the caller sees.
func (s *Service) Role(ctx context.Context, c Caller, id uuid.UUID) (*ent.Role, error) {
	return found(s.client.Role.Query().Where(role.ID(id), visibleThrough(c)).Only(ctx))
}
