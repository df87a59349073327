package orgs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
)

// PersonalOrganization and DefaultWorkspace name what every new user gets.
const (
	PersonalOrganization = "Personal"
	DefaultWorkspace     = "Default"
)

// Provision gives a new organization its roles (Owner, Admin, Developer,
// Viewer) and its first owner, whose membership it returns. Every
// organization is created through it.
func Provision(ctx context.Context, tx *ent.Tx, org *ent.Organization, ownerID uuid.UUID, now time.Time) (*ent.Member, error) {
	// The rows of an organization made in this transaction collide with
	// none: their inserts need no answer (schema.WithDeferredInserts).
	ctx = schema.WithDeferredInserts(ctx)
	if err := tx.Role.CreateBulk(NewRoles(tx.Role, org.ID, now)...).Exec(ctx); err != nil {
		return nil, fmt.Errorf("provision roles: %w", err)
	}
	// The organization was just made: its mode is known.
	owner, err := tx.Member.Create().SetOrganizationID(org.ID).SetUserID(ownerID).
		SetRole(schema.RoleOwner).SetJoinedAt(now).Save(schema.WithOrganizationMode(ctx, org.ID, string(org.Mode)))
	if err != nil {
		return nil, fmt.Errorf("add owner: %w", err)
	}
	return owner, nil
}

// NewRoles are the builders of a new organization's roles, from the catalogue.
func NewRoles(c *ent.RoleClient, orgID uuid.UUID, now time.Time) []*ent.RoleCreate {
	roles := make([]*ent.RoleCreate, len(schema.RoleCatalog))
	for i, r := range schema.RoleCatalog {
		roles[i] = c.Create().SetOrganizationID(orgID).SetSlug(r.Slug).
			SetName(r.Name).SetDescription(r.Description).SetCreatedAt(now)
	}
	return roles
}

// CreatePersonal creates a new user's personal organization in a mode,
// with a default workspace, and returns its view (for its event: the store
// records the command line's with it; the service's writers use
// createPersonal).
func CreatePersonal(ctx context.Context, tx *ent.Tx, userID uuid.UUID, mode string) (OrganizationView, error) {
	return personal(ctx, tx, userID, mode)
}

// createPersonal is CreatePersonal with its event, organization.created, by
// the caller (who made the user's first key).
func (s *Service) createPersonal(ctx context.Context, tx *ent.Tx, c Caller, userID uuid.UUID, mode string) error {
	v, err := personal(ctx, tx, userID, mode)
	if err != nil {
		return err
	}
	return s.record(ctx, tx, c, change{typ: OrganizationCreated, mode: mode, org: v.Organization.ID, subject: v})
}

func personal(ctx context.Context, tx *ent.Tx, userID uuid.UUID, mode string) (OrganizationView, error) {
	now := schema.Now()
	org, err := tx.Organization.Create().
		SetName(PersonalOrganization).
		SetMode(organization.Mode(mode)).
		SetStatusHistory([]schema.StatusChange{{Status: "ACTIVE", ChangedAt: now}}).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(schema.WithDeferredInserts(ctx)) // a new row: it collides with none
	if err != nil {
		return OrganizationView{}, fmt.Errorf("create personal organization: %w", err)
	}
	owner, err := Provision(ctx, tx, org, userID, now)
	if err != nil {
		return OrganizationView{}, err
	}
	if err := tx.Workspace.Create().SetOrganizationID(org.ID).SetName(DefaultWorkspace).
		SetCreatedAt(now).SetUpdatedAt(now).Exec(schema.WithDeferredInserts(ctx)); err != nil {
		return OrganizationView{}, fmt.Errorf("create default workspace: %w", err)
	}
	u, err := tx.User.Get(ctx, userID)
	if err != nil {
		return OrganizationView{}, fmt.Errorf("read the owner: %w", err)
	}
	owner.Edges.User = u
	return OrganizationView{Organization: org, Members: []*ent.Member{owner}, MemberCount: 1}, nil
}
