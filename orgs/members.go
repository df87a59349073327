package orgs

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
)

// IsOwner says whether a membership is an owner's.
func IsOwner(m *ent.Member) bool { return m.Role == schema.RoleOwner }

// Member reads a membership the caller sees, with its user.
func (s *Service) Member(ctx context.Context, c Caller, id uuid.UUID) (*ent.Member, error) {
	return findMember(ctx, s.client, c, id)
}

func findMember(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.Member, error) {
	return found(client.Member.Query().Where(member.ID(id), visibleThrough(c)).WithUser().Only(ctx))
}

// MemberFilter narrows the memberships listed; a zero field does not.
// Email must be in mailaddr's spelling.
type MemberFilter struct {
	Organization uuid.UUID
	Role         string
	Status       string
	Email        string
	ExternalID   string
	Metadata     map[string]string // metadata[key]=value
}

// Members lists the memberships the caller sees, with their users.
func (s *Service) Members(c Caller, f MemberFilter, order []Order) List[*ent.Member] {
	q := s.client.Member.Query().Where(visibleThrough(c))
	if f.Organization != uuid.Nil {
		q.Where(member.OrganizationID(f.Organization))
	}
	if f.Role != "" {
		q.Where(member.RoleEQ(f.Role))
	}
	if f.Status != "" {
		q.Where(member.StatusEQ(member.Status(f.Status)))
	}
	if f.Email != "" {
		q.Where(member.HasUserWith(user.Email(f.Email)))
	}
	if f.ExternalID != "" {
		q.Where(member.ExternalID(f.ExternalID))
	}
	if len(f.Metadata) > 0 {
		q.Where(metadataHolds(f.Metadata))
	}
	withUser := func(q *ent.MemberQuery, o ...member.OrderOption) *ent.MemberQuery { return q.WithUser().Order(o...) }
	return listOf(q, withUser, order)
}

// EnterMember finds a membership the caller sees, enters its organization
// and reads the membership again under the lock.
func (s *Service) EnterMember(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*Scope, *ent.Member, error) {
	find := func() (*ent.Member, error) { return findMember(ctx, tx.Client(), c, id) }
	return enterOwner(ctx, s, tx, c, find, func(m *ent.Member) uuid.UUID { return m.OrganizationID }, nil)
}

// mayChange: owners are managed by owners only (who hold owners:manage),
// anyone else by those who manage members; and nobody manages a member
// whose role holds more than theirs, nor gives a role that does.
func (st Standing) mayChange(target, newRole string) error {
	targetGrant, newGrant := st.book.grant(target), st.book.grant(newRole)
	perm := schema.ManageMembers
	if target == schema.RoleOwner || newRole == schema.RoleOwner {
		perm = schema.ManageOwners
	}
	if err := st.grant.can(perm); err != nil {
		return err
	}
	if err := st.grant.covers(targetGrant, "manage a member whose role holds more than yours"); err != nil {
		return err
	}
	if newRole != target {
		return st.grant.covers(newGrant, "give the "+newRole+" role")
	}
	return nil
}

// MayChangeMember is Forbidden unless the organization is active and the
// caller may manage the member as they are now.
func (sc *Scope) MayChangeMember(target *ent.Member) error {
	return sc.Standing().MayChangeMember(target)
}

// MayChangeMember is Forbidden unless the organization is active and the
// caller may manage the member as they are now: the rule of PATCH, whose
// new role (making an owner takes the owners' permission) ChangeRole
// checks again. An admin is offered PATCH on a developer, and refused the
// promotion to owner only.
func (st Standing) MayChangeMember(target *ent.Member) error {
	if err := st.active(); err != nil {
		return err
	}
	return st.mayChange(target.Role, target.Role)
}

// ChangeRole gives a member a new role of the organization: making or
// unmaking an owner takes the owners' permission, giving a role takes
// every permission it holds; the last owner keeps the role; the member's
// pending invitations that the new role could not send are revoked.
func (sc *Scope) ChangeRole(ctx context.Context, target *ent.Member, newRole string) (*ent.Member, error) {
	if newRole == target.Role {
		return target, nil
	}
	if _, err := sc.book.roleChoice(newRole, "role"); err != nil {
		return nil, err
	}
	if err := sc.Standing().mayChange(target.Role, newRole); err != nil {
		return nil, err
	}
	if err := sc.keepAnOwner(ctx, target); err != nil {
		return nil, err
	}
	u := target.Edges.User
	m, err := sc.tx.Member.UpdateOne(target).SetRole(newRole).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update member: %w", err)
	}
	m.Edges.User = u
	if err := sc.record(ctx, MemberRoleChanged, m, map[string]any{"role": string(target.Role)}); err != nil {
		return nil, err
	}
	return m, sc.revokeBeyondPower(ctx, target.UserID, sc.book.grant(newRole), schema.Now())
}

// MayRemoveMember is Forbidden unless the organization is active and the
// caller may manage the member; leaving (one's own membership) takes no
// permission.
func (sc *Scope) MayRemoveMember(target *ent.Member) error {
	return sc.Standing().MayRemoveMember(target)
}

// MayRemoveMember is the rule of DELETE (see Scope.MayRemoveMember). The
// last owner's leaving is refused by RemoveMember, a rule of the other
// owners' rows, not of the caller's permission.
func (st Standing) MayRemoveMember(target *ent.Member) error {
	if err := st.active(); err != nil {
		return err
	}
	if target.UserID == st.caller.User.ID {
		return nil
	}
	return st.mayChange(target.Role, target.Role)
}

// RemoveMember removes a member (the last owner stays), and revokes the
// pending invitations they sent there.
func (sc *Scope) RemoveMember(ctx context.Context, target *ent.Member) error {
	if err := sc.keepAnOwner(ctx, target); err != nil {
		return err
	}
	// The event carries the membership as it was: removed by someone
	// else, or left.
	typ := MemberRemoved
	if target.UserID == sc.caller.User.ID {
		typ = MemberLeft
	}
	if err := sc.record(ctx, typ, target, nil); err != nil {
		return err
	}
	if err := sc.tx.Member.DeleteOne(target).Exec(ctx); err != nil {
		return fmt.Errorf("delete member: %w", err)
	}
	return sc.revokeBeyondPower(ctx, target.UserID, Grant{}, schema.Now())
}

// keepAnOwner is the last-owner rule: an organization keeps at least one
// active owner (a deactivated owner counts as none), so a change that takes
// the target's ownership away needs another. Under the organization's
// lock, two owners demoting each other at once leave one owner.
func (sc *Scope) keepAnOwner(ctx context.Context, target *ent.Member) error {
	if target.Role != schema.RoleOwner || target.Status != member.StatusActive {
		return nil
	}
	owners, err := sc.tx.Member.Query().Where(member.OrganizationID(target.OrganizationID),
		member.RoleEQ(schema.RoleOwner), member.StatusEQ(member.StatusActive)).Count(ctx)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if owners <= 1 {
		return violation("role", "An organization must keep at least one active owner: promote another member to owner first.", RuleLastOwner)
	}
	return nil
}

// MayDeactivateMember is Forbidden unless the organization is active and
// the caller may manage the member; nobody deactivates themselves (they
// would lose the organization with no way back: leaving is the way out).
// Reactivating takes the same permission.
func (sc *Scope) MayDeactivateMember(target *ent.Member) error {
	return sc.Standing().MayDeactivateMember(target)
}

// MayDeactivateMember is the rule of deactivate and reactivate (see
// Scope.MayDeactivateMember).
func (st Standing) MayDeactivateMember(target *ent.Member) error {
	if err := st.active(); err != nil {
		return err
	}
	if target.UserID == st.caller.User.ID {
		return &Forbidden{Reason: "You cannot deactivate or reactivate your own membership: leave the organization instead, or ask another owner or admin."}
	}
	return st.mayChange(target.Role, target.Role)
}

// DeactivateMember deactivates a member: their record and role stay, they
// see nothing of the organization, the invitations they sent vouch for
// nothing (inviterVouches), and they count as no owner. The last active
// owner stays. Deactivating a deactivated member changes nothing.
func (sc *Scope) DeactivateMember(ctx context.Context, target *ent.Member) (*ent.Member, error) {
	if err := sc.MayDeactivateMember(target); err != nil {
		return nil, err
	}
	if target.Status == member.StatusDeactivated {
		return target, nil
	}
	if err := sc.keepAnOwner(ctx, target); err != nil {
		return nil, err
	}
	return sc.setMemberStatus(ctx, target, member.StatusDeactivated, MemberDeactivated)
}

// ReactivateMember gives a deactivated member their place back, with the
// role they held. Reactivating an active member changes nothing.
func (sc *Scope) ReactivateMember(ctx context.Context, target *ent.Member) (*ent.Member, error) {
	if err := sc.MayDeactivateMember(target); err != nil {
		return nil, err
	}
	if target.Status == member.StatusActive {
		return target, nil
	}
	return sc.setMemberStatus(ctx, target, member.StatusActive, MemberReactivated)
}

func (sc *Scope) setMemberStatus(ctx context.Context, target *ent.Member, status member.Status, typ string) (*ent.Member, error) {
	u := target.Edges.User
	update := sc.tx.Member.UpdateOne(target).SetStatus(status)
	if status == member.StatusDeactivated {
		update.SetDeactivatedAt(schema.Now())
	} else {
		update.ClearDeactivatedAt()
	}
	m, err := update.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("set the member's status: %w", err)
	}
	m.Edges.User = u
	if err := sc.record(ctx, typ, m, map[string]any{"status": string(target.Status)}); err != nil {
		return nil, err
	}
	return m, nil
}

// UpdateMemberPlatform changes what the platform keeps on a membership
// (Platform: external id, metadata, private metadata), a change the
// caller may make of the member (MayChangeMember, checked on entering);
// the external id and private metadata are operators' alone. A change of
// the external id or metadata is a member.updated event with their
// previous values; of private metadata alone, none.
func (sc *Scope) UpdateMemberPlatform(ctx context.Context, target *ent.Member, p Platform) (*ent.Member, error) {
	if err := p.operatorsOnly(sc.caller); err != nil {
		return nil, err
	}
	free := func(id string) error {
		taken, err := sc.tx.Member.Query().Where(member.ModeEQ(target.Mode), member.ExternalID(id), member.IDNEQ(target.ID)).Exist(ctx)
		return externalIDCheck(taken, err, "member")
	}
	applied, err := p.apply(target.ExternalID, target.Metadata, target.PrivateMetadata, free)
	if err != nil {
		return nil, err
	}
	update := sc.tx.Member.UpdateOne(target)
	set(update, applied)
	u := target.Edges.User
	m, err := update.Save(ctx)
	if err != nil {
		return nil, externalIDTakenBy(err, fmt.Errorf("update member: %w", err), "member")
	}
	m.Edges.User = u
	if len(applied.previous) > 0 {
		if err := sc.record(ctx, MemberUpdated, m, applied.previous); err != nil {
			return nil, err
		}
	}
	return m, nil
}
