package orgs

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
)

// Transfer hands an organization's ownership to another member in one
// step: the new owner becomes an owner and the caller takes the role they
// ask for (admin when not given), both or neither. It runs under the
// organization's lock, so two transfers (or a transfer and a demotion)
// are serialized and the second sees what the first left.
type Transfer struct {
	NewOwner uuid.UUID // the member who becomes an owner
	// CallerRole is the role the caller keeps; "" is admin.
	CallerRole string
}

// MayTransfer is Forbidden unless the caller may transfer the entered
// organization's ownership (MayTransferOrganization).
func (sc *Scope) MayTransfer() error {
	return MayTransferOrganization(sc.caller, sc.Me.Role, sc.Org)
}

// MayTransferOrganization is Forbidden unless the organization is active
// and the caller, of the role, is one of its owners: ownership is given by
// who holds it. An operator holds none (it acts as an owner without a
// membership) and makes an owner by changing a member's role instead. It
// is the rule the write checks and the one the organization's document
// offers the action by.
func MayTransferOrganization(c Caller, role string, org *ent.Organization) error {
	if err := active(org); err != nil {
		return err
	}
	if c.Operator() {
		return &Forbidden{Reason: "An operator key holds no ownership to transfer: make the member an owner by changing their role (PATCH the member)."}
	}
	if role != schema.RoleOwner {
		return &Forbidden{Reason: fmt.Sprintf("Only an owner can transfer the organization's ownership; your role is %s.", role)}
	}
	return nil
}

// TransferOwnership makes t.NewOwner an owner and gives the caller
// t.CallerRole, recording a member.role_changed event for each. The new
// owner must be another active member of the organization who is not an
// owner yet.
func (sc *Scope) TransferOwnership(ctx context.Context, t Transfer) error {
	if err := sc.MayTransfer(); err != nil {
		return err
	}
	callerRole := t.CallerRole
	if callerRole == "" {
		callerRole = schema.RoleAdmin
	}
	if _, err := sc.book.roleChoice(callerRole, "caller_role"); err != nil {
		return err
	}
	target, err := sc.tx.Member.Query().
		Where(member.ID(t.NewOwner), member.OrganizationID(sc.Org.ID)).WithUser().Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return violation("new_owner", "The new owner must be a member of this organization.", RuleNotTransferable)
	case err != nil:
		return fmt.Errorf("find the new owner: %w", err)
	case target.UserID == sc.caller.User.ID:
		return violation("new_owner", "The new owner must be another member: you are an owner already.", RuleNotTransferable)
	case target.Status != member.StatusActive:
		return violation("new_owner", "The new owner's membership is deactivated: reactivate it first.", RuleNotTransferable)
	case target.Role == schema.RoleOwner:
		return violation("new_owner", "The new owner is an owner already: to step down, change your own role.", RuleNotTransferable)
	}
	promoted, err := sc.tx.Member.UpdateOne(target).SetRole(schema.RoleOwner).Save(ctx)
	if err != nil {
		return fmt.Errorf("make the new owner: %w", err)
	}
	promoted.Edges.User = target.Edges.User
	if err := sc.record(ctx, MemberRoleChanged, promoted, map[string]any{"role": string(target.Role)}); err != nil {
		return err
	}
	if callerRole == schema.RoleOwner {
		return nil // the caller shares the ownership rather than handing it over
	}
	me, err := sc.tx.Member.Query().Where(member.ID(sc.Me.ID)).WithUser().Only(ctx)
	if err != nil {
		return fmt.Errorf("read the caller's membership: %w", err)
	}
	stepped, err := sc.tx.Member.UpdateOne(me).SetRole(callerRole).Save(ctx)
	if err != nil {
		return fmt.Errorf("step the caller down: %w", err)
	}
	stepped.Edges.User = me.Edges.User
	if err := sc.record(ctx, MemberRoleChanged, stepped, map[string]any{"role": string(me.Role)}); err != nil {
		return err
	}
	sc.Me = stepped
	// What a member may no longer send, they no longer offer.
	sc.grant = sc.book.grant(callerRole)
	return sc.revokeBeyondPower(ctx, me.UserID, sc.grant, schema.Now())
}
