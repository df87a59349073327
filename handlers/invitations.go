package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/problems"
)

// visibleInvitations are those of the caller's organizations, and those
// addressed to the caller's email in the caller's mode (so that an invitee
// can find and accept them).
func visibleInvitations(p *principal) predicate.Invitation {
	return invitation.Or(
		visibleThrough(p),
		invitation.And(invitation.Email(p.User.Email), invitation.HasOrganizationWith(organization.ModeEQ(organization.Mode(p.Mode)))),
	)
}

// effectiveStatus filters by the status clients see: a stored pending
// invitation past its expiry is expired.
func effectiveStatus(status string, now time.Time) predicate.Invitation {
	switch status {
	case "pending":
		return invitation.And(invitation.StatusEQ(invitation.StatusPending), invitation.ExpiresAtGT(now))
	case "expired":
		return invitation.And(invitation.StatusEQ(invitation.StatusPending), invitation.ExpiresAtLTE(now))
	}
	return invitation.StatusEQ(invitation.Status(status))
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	q, err := listQuery(r, hydra.Invitation)
	if err != nil {
		return err
	}
	query := s.db.Invitation.Query().Where(visibleInvitations(p))
	if id, ok, err := filterID(q, "organization", hydra.Organization); err != nil {
		return err
	} else if ok {
		query.Where(invitation.OrganizationID(id))
	}
	if st, ok, err := filterEnum(q, "status", hydra.Invitation.Prop("status").Enum); err != nil {
		return err
	} else if ok {
		query.Where(effectiveStatus(st, schema.Now()))
	}
	now := schema.Now()
	return s.writePage(w, r, hydra.Invitation, q,
		func() (int, error) { return query.Clone().Count(ctx) },
		func(offset, limit int) ([]*hydra.Node, int, error) {
			list, err := query.Clone().Order(orderBy[invitation.OrderOption](q)...).Offset(offset).Limit(limit).All(ctx)
			if err != nil {
				return nil, 0, err
			}
			nodes := make([]*hydra.Node, len(list))
			for i, inv := range list {
				nodes[i] = invitationNode(inv, now)
			}
			return nodes, len(nodes), nil
		})
}

func (s *Server) getInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	inv, err := s.findInvitation(ctx, s.db.Client, r, p)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, invitationNode(inv, schema.Now()))
}

func (s *Server) findInvitation(ctx context.Context, c *ent.Client, r *http.Request, p *principal) (*ent.Invitation, error) {
	id, ok := routeID(r)
	if !ok {
		return nil, problems.NotFound()
	}
	return found(c.Invitation.Query().Where(invitation.ID(id), visibleInvitations(p)).Only(ctx))
}

// createInvitation serves POST /api/invitations and its alias
// POST /api/organizations/{id}/members/invite.
func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	in, err := s.decodeCreate(w, r, hydra.Invitation)
	if err != nil {
		return err
	}
	orgID, _ := in.String("organization")
	inv, bad := invitationFrom(in, "email")
	if bad != nil {
		return problems.Validation([]problems.Violation{*bad})
	}
	inv.inviterID = p.User.ID
	if days, ok := in.Int("expires_in_days"); ok {
		inv.days = days
	}
	var created *ent.Invitation
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enterOrganizationOf(ctx, tx, r, p, orgID)
		if err != nil {
			return err
		}
		if err := inv.authorize(sc); err != nil {
			return err
		}
		inv.organizationID = sc.org.ID
		created, err = inv.create(ctx, tx, schema.Now())
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, invitationNode(created, schema.Now()))
}

// newInvitation is an invitation about to be sent.
type newInvitation struct {
	organizationID, inviterID uuid.UUID
	email, role               string
	days                      int
}

// invitationFrom reads an invitation's email, in its one spelling
// (mailaddr), and role (viewer unless given) from a request body,
// Invitation or OrganizationInvitation alike. An email that breaks
// mailaddr's rule is a violation at path.
func invitationFrom(in hydra.Input, path string) (*newInvitation, *problems.Violation) {
	raw, _ := in.String("email")
	email, err := mailaddr.Normalize(raw)
	if err != nil {
		return nil, &problems.Violation{PropertyPath: path, Message: "This value is not a valid email address.", Code: problems.CodeInvalidMail}
	}
	inv := &newInvitation{email: email, role: "viewer", days: schema.DefaultInvitationDays}
	if role, ok := in.String("role"); ok && role != "" {
		inv.role = role
	}
	return inv, nil
}

// invitingTakes lists the permissions sending an invitation with a role
// takes: admins and owners invite; only owners invite owners. It is the one
// statement of that rule: for the sender (authorize), for an invitation
// already sent (its inviter must still hold them: inviterVouches), and for
// a member whose role changes (revokeBeyondPower).
func invitingTakes(role string) []schema.Permission {
	if role == string(invitation.RoleOwner) {
		return []schema.Permission{schema.ManageInvitations, schema.ManageOwners}
	}
	return []schema.Permission{schema.ManageInvitations}
}

// mayInvite says whether a member of role memberRole ("" for no member)
// may send an invitation with role invited.
func mayInvite(memberRole, invited string) bool {
	for _, perm := range invitingTakes(invited) {
		if !schema.Can(memberRole, perm) {
			return false
		}
	}
	return true
}

// authorize: the caller's role must be allowed to send the invitation
// (invitingTakes); a suspended organization invites no one.
func (inv *newInvitation) authorize(sc scope) error {
	for _, perm := range invitingTakes(inv.role) {
		if err := sc.can(perm); err != nil {
			return err
		}
	}
	return sc.active()
}

// An invitation is only as good as its inviter's current permission to
// send it (as WorkOS and GitHub have it): a member who leaves, is removed
// or loses the permission takes back the pending invitations they could no
// longer send (revokeBeyondPower), and accepting checks the inviter again
// (inviterVouches), so that a path around the first cannot let anyone in.

// revokeBeyondPower revokes the pending invitations (expired ones too, so
// that none can be resent) that inviterID sent in an organization and that
// role, the inviter's new role there ("" when they are no longer a member),
// could not send. Run it under the organization's lock, in the transaction
// that changes the membership.
func revokeBeyondPower(ctx context.Context, tx *ent.Tx, orgID, inviterID uuid.UUID, role string, now time.Time) error {
	var lost []invitation.Role
	for _, r := range schema.Roles {
		if !mayInvite(role, r) {
			lost = append(lost, invitation.Role(r))
		}
	}
	if len(lost) == 0 {
		return nil
	}
	err := tx.Invitation.Update().
		Where(invitation.OrganizationID(orgID), invitation.InviterID(inviterID),
			invitation.StatusEQ(invitation.StatusPending), invitation.RoleIn(lost...)).
		SetStatus(invitation.StatusRevoked).SetRevokedAt(now).SetUpdatedAt(now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke the invitations of a member who lost the power to send them: %w", err)
	}
	return nil
}

// inviterVouches is a 422 unless the invitation's inviter is still a member
// of its organization whose role may send it. An invitation that records no
// inviter (inviter_id NULL: only rows written outside the API, such as an
// import, have none) has no one to vouch for it, and is refused as well:
// failing closed, since nothing says who allowed it. The message names no
// member and no role of theirs (the invitee is not a member yet); advice
// says what the reader can do.
func inviterVouches(ctx context.Context, tx *ent.Tx, inv *ent.Invitation, advice string) error {
	if inv.InviterID == nil {
		return violation("inviter", "This invitation records no inviter who could still send it: "+advice, problems.CodeInviterLostPower)
	}
	m, err := tx.Member.Query().Where(member.OrganizationID(inv.OrganizationID), member.UserID(*inv.InviterID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("find the inviter's membership: %w", err)
	}
	if m == nil || !mayInvite(string(m.Role), string(inv.Role)) {
		return violation("inviter", fmt.Sprintf("Whoever sent this invitation may no longer invite %s to the organization: %s",
			hydra.WithArticle(string(inv.Role)), advice), problems.CodeInviterLostPower)
	}
	return nil
}

// create checks the invitation against the organization (run it under the
// organization's lock) and stores it.
func (inv *newInvitation) create(ctx context.Context, tx *ent.Tx, now time.Time) (*ent.Invitation, error) {
	if err := checkInvitable(ctx, tx, inv.organizationID, inv.email, now, uuid.Nil); err != nil {
		return nil, err
	}
	created, err := tx.Invitation.Create().
		SetOrganizationID(inv.organizationID).
		SetEmail(inv.email).
		SetRole(invitation.Role(inv.role)).
		SetValidityDays(inv.days).
		SetExpiresAt(now.AddDate(0, 0, inv.days)).
		SetInviterID(inv.inviterID).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create invitation: %w", err)
	}
	return created, nil
}

// checkInvitable: no invitation to a member, and no second pending
// invitation for one email in one organization (except the one being resent).
func checkInvitable(ctx context.Context, tx *ent.Tx, orgID uuid.UUID, email string, now time.Time, except uuid.UUID) error {
	isMember, err := tx.Member.Query().Where(member.OrganizationID(orgID), member.HasUserWith(user.Email(email))).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find member: %w", err)
	}
	if isMember {
		return violation("email", "This email address belongs to a member of the organization.", problems.CodeAlreadyMember)
	}
	pending, err := tx.Invitation.Query().Where(invitation.OrganizationID(orgID), invitation.Email(email),
		effectiveStatus("pending", now), invitation.IDNEQ(except)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find invitations: %w", err)
	}
	if pending {
		return violation("email", "A pending invitation for this email address exists.", problems.CodeNotUnique)
	}
	return nil
}

// acceptInvitation turns a pending invitation addressed to the caller into a
// membership, exactly once.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	if err := negotiateEarly(r); err != nil {
		return err
	}
	var m *ent.Member
	err := s.answeringTx(r, func(tx *ent.Tx) error {
		inv, err := s.lockInvitation(ctx, tx, r, p)
		if err != nil {
			return err
		}
		if !mailaddr.Equal(inv.Email, p.User.Email) {
			return problems.Forbidden("This invitation is addressed to another email address.")
		}
		org, err := tx.Organization.Get(ctx, inv.OrganizationID)
		if err != nil {
			return fmt.Errorf("find organization: %w", err)
		}
		if err := (scope{org: org}).active(); err != nil {
			return err
		}
		now := schema.Now()
		if err := pendingOnly(inv, now, "accepted"); err != nil {
			return err
		}
		if err := inviterVouches(ctx, tx, inv, "ask the organization for a new invitation."); err != nil {
			return err
		}
		isMember, err := tx.Member.Query().Where(member.OrganizationID(inv.OrganizationID), member.UserID(p.User.ID)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("find member: %w", err)
		}
		if isMember {
			return violation("email", "You are already a member of this organization.", problems.CodeAlreadyMember)
		}
		m, err = tx.Member.Create().SetOrganizationID(inv.OrganizationID).SetUserID(p.User.ID).
			SetRole(member.Role(inv.Role)).SetJoinedAt(now).Save(ctx)
		if err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		m.Edges.User = p.User
		return tx.Invitation.UpdateOne(inv).SetStatus(invitation.StatusAccepted).SetAcceptedAt(now).
			SetMemberID(m.ID).SetUpdatedAt(now).Exec(ctx)
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, memberNode(m))
}

// resendInvitation gives a pending or expired invitation a new expiry.
func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, func(ctx context.Context, tx *ent.Tx, inv *ent.Invitation, now time.Time) (*ent.Invitation, error) {
		if st := schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now); st != "pending" && st != "expired" {
			return nil, violation("status", fmt.Sprintf("This invitation is %s: it cannot be resent.", st), problems.CodeNotPending)
		}
		if err := inviterVouches(ctx, tx, inv, "revoke it and send a new one."); err != nil {
			return nil, err
		}
		if err := checkInvitable(ctx, tx, inv.OrganizationID, inv.Email, now, inv.ID); err != nil {
			return nil, err
		}
		return tx.Invitation.UpdateOne(inv).SetExpiresAt(now.AddDate(0, 0, inv.ValidityDays)).SetUpdatedAt(now).Save(ctx)
	})
}

// revokeInvitation withdraws a pending invitation.
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, func(ctx context.Context, tx *ent.Tx, inv *ent.Invitation, now time.Time) (*ent.Invitation, error) {
		if err := pendingOnly(inv, now, "revoked"); err != nil {
			return nil, err
		}
		return tx.Invitation.UpdateOne(inv).SetStatus(invitation.StatusRevoked).SetRevokedAt(now).SetUpdatedAt(now).Save(ctx)
	})
}

// changeInvitation runs an inviter's action on an invitation under its
// organization's lock, with the inviter's permissions checked.
func (s *Server) changeInvitation(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, tx *ent.Tx, inv *ent.Invitation, now time.Time) (*ent.Invitation, error)) error {
	ctx, p := r.Context(), caller(r.Context())
	if err := negotiateEarly(r); err != nil {
		return err
	}
	var inv *ent.Invitation
	err := s.answeringTx(r, func(tx *ent.Tx) error {
		var err error
		if inv, err = s.lockInvitation(ctx, tx, r, p); err != nil {
			return err
		}
		sc, err := s.look(ctx, tx.Client(), p, inv.OrganizationID)
		if err != nil {
			return err // an invitee who is not a member: the invitation's organization is not theirs
		}
		if err := (&newInvitation{role: string(inv.Role)}).authorize(sc); err != nil {
			return err
		}
		if inv, err = change(ctx, tx, inv, schema.Now()); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, invitationNode(inv, schema.Now()))
}

// lockInvitation finds a visible invitation and locks its organization, then
// reads the invitation again under the lock.
func (s *Server) lockInvitation(ctx context.Context, tx *ent.Tx, r *http.Request, p *principal) (*ent.Invitation, error) {
	inv, err := s.findInvitation(ctx, tx.Client(), r, p)
	if err != nil {
		return nil, err
	}
	if err := s.db.LockOrganization(ctx, tx, inv.OrganizationID); err != nil {
		if ent.IsNotFound(err) {
			return nil, problems.NotFound()
		}
		return nil, err
	}
	return s.findInvitation(ctx, tx.Client(), r, p)
}

func pendingOnly(inv *ent.Invitation, now time.Time, verb string) error {
	st := schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now)
	if st == "pending" {
		return nil
	}
	action := map[string]string{"accepted": "accepted", "revoked": "revoked"}[verb]
	return violation("status", fmt.Sprintf("This invitation is %s: it cannot be %s.", st, action), problems.CodeNotPending)
}

func invitationNode(inv *ent.Invitation, now time.Time) *hydra.Node {
	status := schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now)
	n := hydra.NewNode(hydra.Invitation, hydra.Invitation.IRI(inv.ID.String())).
		Set("id", inv.ID.String()).
		Set("organization", hydra.Organization.IRI(inv.OrganizationID.String())).
		Set("email", inv.Email).
		Set("role", string(inv.Role)).
		Set("status", status).
		Set("created_at", inv.CreatedAt).
		Set("updated_at", inv.UpdatedAt)
	if status == "pending" || status == "expired" {
		n.Set("expires_at", inv.ExpiresAt)
	}
	if inv.InviterID != nil {
		n.Set("inviter", hydra.User.IRI(inv.InviterID.String()))
	}
	if inv.MemberID != nil {
		n.Set("membership", hydra.Member.IRI(inv.MemberID.String()))
	}
	if inv.AcceptedAt != nil {
		n.Set("accepted_at", *inv.AcceptedAt)
	}
	if inv.RevokedAt != nil {
		n.Set("revoked_at", *inv.RevokedAt)
	}
	return n
}
