package orgs

import (
	"context"
	"fmt"
	"slices"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/domain"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
)

// Custom roles. The four default roles are the same in every organization
// and never change, so that clients, documentation and the permission
// matrix can rely on them; an organization that wants another shape makes
// a custom role. Whoever holds roles:manage (owners and admins by default)
// makes, changes and deletes custom roles within their own permissions:
// nobody makes a role, or changes or deletes one, that holds a permission
// they lack. Each runs under the organization's lock, as assigning a role
// does, so that a role is never assigned as it is deleted.

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
	return findRole(ctx, s.client, c, id)
}

func findRole(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.Role, error) {
	return found(client.Role.Query().Where(role.ID(id), visibleThrough(c)).Only(ctx))
}

// PermissionsOf are a role's permissions: a default role's from the code,
// a custom role's from its row.
func PermissionsOf(r *ent.Role) []schema.Permission {
	if perms, ok := schema.RolePermissions[r.Slug]; ok {
		return perms
	}
	return schema.Normalize(r.Permissions)
}

// RoleSpec is a custom role to make; its slug and name are valid (the
// decoder checks their form).
type RoleSpec struct {
	Slug, Name, Description string
	Permissions             []schema.Permission
}

// RoleChange is a change of a custom role: a nil field stays as it is.
type RoleChange struct {
	Name, Description *string
	Permissions       *[]schema.Permission
}

// MayManageRoles is Forbidden unless the caller holds roles:manage and the
// organization is active: the rule of making a custom role.
func (st Standing) MayManageRoles() error {
	if err := st.grant.can(schema.ManageRoles); err != nil {
		return err
	}
	return st.active()
}

// MayChangeRole is the rule of changing and deleting a role: the caller
// manages roles, the role is a custom one, and it holds nothing the caller
// lacks.
func (st Standing) MayChangeRole(r *ent.Role) error {
	if err := st.MayManageRoles(); err != nil {
		return err
	}
	if schema.IsDefaultRole(r.Slug) {
		return &Forbidden{Reason: fmt.Sprintf("The %s role is a default role: the same in every organization, it never changes. Make a custom role instead (POST /api/roles).", r.Slug)}
	}
	return st.grant.covers(st.book.grant(r.Slug), "change or delete a role that holds more than yours")
}

// EnterRole finds a role the caller sees, enters its organization and
// reads the role again under the lock.
func (s *Service) EnterRole(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*Scope, *ent.Role, error) {
	find := func() (*ent.Role, error) { return findRole(ctx, tx.Client(), c, id) }
	return enterOwner(ctx, s, tx, c, find, func(r *ent.Role) uuid.UUID { return r.OrganizationID }, nil)
}

// CreateRole makes a custom role in the organization.
func (sc *Scope) CreateRole(ctx context.Context, spec RoleSpec) (*ent.Role, error) {
	if err := sc.Standing().MayManageRoles(); err != nil {
		return nil, err
	}
	perms := schema.Normalize(spec.Permissions)
	if err := sc.grant.covers(Grant{Role: spec.Slug, Perms: perms}, "make a role that holds more than yours"); err != nil {
		return nil, err
	}
	if sc.book.has(spec.Slug) {
		return nil, violation("slug", "This value is already used.", RuleNotUnique)
	}
	if len(sc.book) >= MaxCustomRoles {
		return nil, violation("organization", fmt.Sprintf("This organization has %d custom roles, the most it may have: delete one first.", MaxCustomRoles), RuleTooMany)
	}
	create := sc.tx.Role.Create().SetOrganizationID(sc.Org.ID).SetSlug(spec.Slug).SetName(spec.Name).
		SetPermissions(perms).SetCreatedAt(schema.Now())
	if spec.Description != "" {
		create.SetDescription(spec.Description)
	}
	r, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create role: %w", err)
	}
	sc.book[r.Slug] = perms
	return r, sc.record(ctx, RoleCreated, r, nil)
}

// UpdateRole changes a custom role. Its members hold its new permissions
// at once; the pending invitations its members sent that it may no longer
// send are revoked.
func (sc *Scope) UpdateRole(ctx context.Context, r *ent.Role, ch RoleChange) (*ent.Role, error) {
	st := sc.Standing()
	if err := st.MayChangeRole(r); err != nil {
		return nil, err
	}
	previous := map[string]any{}
	update := sc.tx.Role.UpdateOne(r)
	if ch.Name != nil && *ch.Name != r.Name {
		previous["name"] = r.Name
		update.SetName(*ch.Name)
	}
	if ch.Description != nil && *ch.Description != r.Description {
		previous["description"] = r.Description
		if *ch.Description == "" {
			update.ClearDescription()
		} else {
			update.SetDescription(*ch.Description)
		}
	}
	old := PermissionsOf(r)
	var perms []schema.Permission
	if ch.Permissions != nil {
		perms = schema.Normalize(*ch.Permissions)
		if err := sc.grant.covers(Grant{Role: r.Slug, Perms: perms}, "give a role a permission"); err != nil {
			return nil, err
		}
		if !slices.Equal(perms, old) {
			previous["permissions"] = old
			update.SetPermissions(perms)
		}
	}
	if len(previous) == 0 {
		return r, nil
	}
	updated, err := update.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update role: %w", err)
	}
	if err := sc.record(ctx, RoleUpdated, updated, previous); err != nil {
		return nil, err
	}
	if _, changed := previous["permissions"]; !changed {
		return updated, nil
	}
	g := Grant{Role: r.Slug, Perms: perms}
	sc.book[r.Slug] = perms
	if sc.Me.Role == r.Slug {
		sc.grant = g
	}
	return updated, sc.revokeInvitations(ctx, schema.Now(), sentByHolders(sc.Org.ID, r.Slug), func(*ent.Invitation) Grant { return g })
}

// sentByHolders narrows invitations to those sent by the organization's
// members who hold a role.
func sentByHolders(orgID uuid.UUID, slug string) func(*ent.InvitationQuery) {
	return func(q *ent.InvitationQuery) {
		q.Where(func(s *entsql.Selector) {
			m := entsql.Table(member.Table)
			s.Where(entsql.In(s.C(invitation.FieldInviterID), entsql.Select(m.C(member.FieldUserID)).From(m).
				Where(entsql.And(entsql.EQ(m.C(member.FieldOrganizationID), orgID), entsql.EQ(m.C(member.FieldRole), slug)))))
		})
	}
}

// DeleteRole deletes a custom role. The members and pending invitations
// that hold it move to replacement (a slug), which is then required: each
// member's change is a role change the caller must be allowed (and is
// recorded as one), each invitation one the caller could send.
func (sc *Scope) DeleteRole(ctx context.Context, r *ent.Role, replacement string) error {
	st := sc.Standing()
	if err := st.MayChangeRole(r); err != nil {
		return err
	}
	holders, err := sc.tx.Member.Query().Where(member.OrganizationID(sc.Org.ID), member.RoleEQ(r.Slug)).WithUser().All(ctx)
	if err != nil {
		return fmt.Errorf("find the role's members: %w", err)
	}
	invited, err := sc.tx.Invitation.Query().Where(invitation.OrganizationID(sc.Org.ID), invitation.RoleEQ(r.Slug),
		invitation.StatusEQ(invitation.StatusPending)).Count(ctx)
	if err != nil {
		return fmt.Errorf("count the role's invitations: %w", err)
	}
	enrolling, err := sc.tx.Domain.Query().Where(domain.OrganizationID(sc.Org.ID), domain.Role(r.Slug)).Count(ctx)
	if err != nil {
		return fmt.Errorf("count the domains that enroll with the role: %w", err)
	}
	if len(holders) > 0 || invited > 0 || enrolling > 0 {
		if err := sc.replace(ctx, r, replacement, holders, invited, enrolling); err != nil {
			return err
		}
	}
	if err := sc.record(ctx, RoleDeleted, r, nil); err != nil {
		return err
	}
	if err := sc.tx.Role.DeleteOne(r).Exec(ctx); err != nil {
		return fmt.Errorf("delete role: %w", err)
	}
	delete(sc.book, r.Slug)
	return nil
}

// replace moves a role's members and pending invitations to another role.
func (sc *Scope) replace(ctx context.Context, r *ent.Role, replacement string, holders []*ent.Member, invited, enrolling int) error {
	if replacement == "" {
		also := ""
		if enrolling > 0 {
			verb := "enroll"
			if enrolling == 1 {
				verb = "enrolls"
			}
			also = fmt.Sprintf(", and %s %s with it", count(enrolling, "domain"), verb)
		}
		return violation("replacement", fmt.Sprintf("%s and %s hold this role%s: name the role they move to (?replacement=<slug>).",
			count(len(holders), "member"), count(invited, "pending invitation"), also), RuleRoleInUse)
	}
	next, err := sc.book.roleChoice(replacement, "replacement")
	if err != nil {
		return err
	}
	if replacement == r.Slug {
		return violation("replacement", "The replacement must be another role than the one deleted.", RuleNoSuchChoice)
	}
	st := sc.Standing()
	if len(holders) > 0 {
		if err := st.mayChange(r.Slug, replacement); err != nil {
			return err
		}
	}
	if invited > 0 {
		if err := mayInvite(sc.grant, next); err != nil {
			return err
		}
	}
	if sc.Me.Role == r.Slug {
		sc.grant = next
	}
	for _, m := range holders {
		moved, err := sc.tx.Member.UpdateOne(m).SetRole(replacement).Save(ctx)
		if err != nil {
			return fmt.Errorf("move a member to the replacement role: %w", err)
		}
		moved.Edges.User = m.Edges.User
		if err := sc.record(ctx, MemberRoleChanged, moved, map[string]any{"role": r.Slug}); err != nil {
			return err
		}
	}
	if err := sc.tx.Invitation.Update().Where(invitation.OrganizationID(sc.Org.ID), invitation.RoleEQ(r.Slug),
		invitation.StatusEQ(invitation.StatusPending)).SetRole(replacement).Exec(ctx); err != nil {
		return fmt.Errorf("move the role's invitations to the replacement: %w", err)
	}
	if enrolling > 0 {
		if replacement == schema.RoleOwner {
			return violation("replacement", "Enrollment gives no ownership: a domain enrolls with this role, so choose another replacement.", RuleNoSuchChoice)
		}
		if err := sc.grant.covers(next, "give the "+replacement+" role"); err != nil {
			return err
		}
		if err := sc.tx.Domain.Update().Where(domain.OrganizationID(sc.Org.ID), domain.Role(r.Slug)).
			SetRole(replacement).SetUpdatedAt(schema.Now()).Exec(ctx); err != nil {
			return fmt.Errorf("move the domains that enroll with the role to the replacement: %w", err)
		}
	}
	// What the holders may no longer send with their new role, they no
	// longer offer.
	return sc.revokeInvitations(ctx, schema.Now(), sentByHolders(sc.Org.ID, replacement), func(*ent.Invitation) Grant { return next })
}

// count is "1 member", "2 members", "no member".
func count(n int, noun string) string {
	switch n {
	case 0:
		return "no " + noun
	case 1:
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
