package orgs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/apikey"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/internal/english"
	"github.com/orgraph/orgraph/mailaddr"
)

// Invitation is an invitation about to be sent: an address in mailaddr's
// spelling, a role and a validity in days. PrepareInvitation and
// PrepareInvitations make them.
type Invitation struct {
	Email string
	Role  string
	Days  int
}

// PrepareInvitation reads an invitation from what a request gives: the
// address by mailaddr's rule (else a violation at path), the role (viewer
// when empty), the validity (schema.DefaultInvitationDays when 0).
func PrepareInvitation(email, role string, days int, path string) (Invitation, error) {
	normal, err := mailaddr.Normalize(email)
	if err != nil {
		return Invitation{}, violation(path, "This value is not a valid email address.", RuleInvalidEmail)
	}
	inv := Invitation{Email: normal, Role: "viewer", Days: schema.DefaultInvitationDays}
	if role != "" {
		inv.Role = role
	}
	if days != 0 {
		inv.Days = days
	}
	return inv, nil
}

// PrepareInvitations reads the invitations sent with a new organization
// (each as PrepareInvitation, at invitations[i].email): distinct addresses,
// and not the creator's own. Every violation is reported at once.
func PrepareInvitations(list []Invitation, creatorEmail string) ([]Invitation, error) {
	var out []Invitation
	var violations Violations
	seen := map[string]bool{}
	for i, item := range list {
		path := fmt.Sprintf("invitations[%d].email", i)
		inv, err := PrepareInvitation(item.Email, item.Role, item.Days, path)
		if err != nil {
			violations = append(violations, err.(Violations)...)
			continue
		}
		switch {
		case !schema.IsDefaultRole(inv.Role):
			violations = append(violations, Violation{Path: fmt.Sprintf("invitations[%d].role", i),
				Message: fmt.Sprintf("A new organization has the default roles only: %s; %q given.", strings.Join(schema.Roles, ", "), inv.Role), Rule: RuleNoSuchChoice})
		case inv.Email == creatorEmail:
			violations = append(violations, Violation{Path: path, Message: "You are the organization's owner: you cannot invite yourself.", Rule: RuleAlreadyMember})
		case seen[inv.Email]:
			violations = append(violations, Violation{Path: path, Message: "This email address is invited twice.", Rule: RuleNotUnique})
		}
		seen[inv.Email] = true
		out = append(out, inv)
	}
	if len(violations) > 0 {
		return nil, violations
	}
	return out, nil
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

// InvitationFilter narrows the invitations listed; a zero field does not.
// Status is the effective status (an expired pending invitation is
// "expired").
type InvitationFilter struct {
	Organization uuid.UUID
	Status       string
}

// Invitations lists the invitations the caller sees: those of their
// organizations and those addressed to them.
func (s *Service) Invitations(c Caller, f InvitationFilter, order []Order) List[*ent.Invitation] {
	q := s.client.Invitation.Query().Where(visibleInvitations(c)).WithOrganization(itsName)
	if f.Organization != uuid.Nil {
		q.Where(invitation.OrganizationID(f.Organization))
	}
	if f.Status != "" {
		q.Where(effectiveStatus(f.Status, schema.Now()))
	}
	return listOf(q, (*ent.InvitationQuery).Order, order)
}

// Invitation reads an invitation the caller sees.
func (s *Service) Invitation(ctx context.Context, c Caller, id uuid.UUID) (*ent.Invitation, error) {
	return findInvitation(ctx, s.client, c, id)
}

func findInvitation(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.Invitation, error) {
	return found(client.Invitation.Query().Where(invitation.ID(id), visibleInvitations(c)).WithOrganization(itsName).Only(ctx))
}

// itsName loads the organization of the invitations read with its id and
// name only: every invitation this package returns carries it
// (Edges.Organization), since the invitee reads the name before they may
// read the organization.
func itsName(q *ent.OrganizationQuery) {
	q.Select(organization.FieldID, organization.FieldName, organization.FieldMode)
}

// mayInvite says whether a role (inviter) may send an invitation with
// another (invited): inviting takes invitations:manage, inviting an owner
// owners:manage too, and the invited role's every permission (nobody lets
// anyone in with more than they hold). It is the one statement of that
// rule: for the sender, for an invitation already sent (its inviter must
// still pass it: inviterVouches), and for a member whose role changes
// (revokeBeyondPower).
func mayInvite(inviter, invited Grant) error {
	if err := inviter.can(schema.ManageInvitations); err != nil {
		return err
	}
	if invited.Role == schema.RoleOwner {
		if err := inviter.can(schema.ManageOwners); err != nil {
			return err
		}
	}
	return inviter.covers(invited, "invite someone as "+english.WithArticle(invited.Role))
}

// mayInvite: the caller's role must be allowed to send an invitation with
// the role; a suspended organization invites no one.
func (st Standing) mayInvite(role string) error {
	if err := mayInvite(st.grant, st.book.grant(role)); err != nil {
		return err
	}
	return st.active()
}

// MayResendInvitation is Forbidden unless the caller may send the
// invitation (mayInvite), and a violation unless it is pending or expired:
// the rules of resending that the invitation and the caller's standing
// decide. ResendInvitation checks the inviter's power and the address's
// other invitations besides.
func (st Standing) MayResendInvitation(inv *ent.Invitation, now time.Time) error {
	if err := st.mayInvite(string(inv.Role)); err != nil {
		return err
	}
	if s := schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now); s != "pending" && s != "expired" {
		return violation("status", fmt.Sprintf("This invitation is %s: it cannot be resent.", s), RuleNotPending)
	}
	return nil
}

// MayRevokeInvitation is Forbidden unless the caller may send the
// invitation, and a violation unless it is pending.
func (st Standing) MayRevokeInvitation(inv *ent.Invitation, now time.Time) error {
	if err := st.mayInvite(string(inv.Role)); err != nil {
		return err
	}
	return pendingOnly(inv, now, "revoked")
}

// MayAcceptInvitation is Forbidden unless the invitation is addressed to
// the caller and its organization is active, and a violation unless it is
// pending. Whether the inviter may still invite and whether the caller is
// already a member, AcceptInvitation checks besides.
func (st Standing) MayAcceptInvitation(inv *ent.Invitation, now time.Time) error {
	if !mailaddr.Equal(inv.Email, st.caller.User.Email) {
		return &Forbidden{Reason: "This invitation is addressed to another email address."}
	}
	if err := st.active(); err != nil {
		return err
	}
	return pendingOnly(inv, now, "accepted")
}

// Invite sends an invitation to the organization, from the caller.
func (sc *Scope) Invite(ctx context.Context, inv Invitation) (SentInvitation, error) {
	if _, err := sc.book.roleChoice(inv.Role, "role"); err != nil {
		return SentInvitation{}, err
	}
	if err := sc.Standing().mayInvite(inv.Role); err != nil {
		return SentInvitation{}, err
	}
	sent, err := createInvitation(ctx, sc.tx, sc.Org.ID, sc.caller.User.ID, inv, schema.Now())
	if err != nil {
		return SentInvitation{}, err
	}
	sent.Edges.Organization = sc.Org
	return sent, sc.recordHidden(ctx, InvitationCreated, sent.Invitation, acceptTokenOf(sent))
}

// SentInvitation is an invitation just sent or resent, with the accept
// token it now opens with. The token is the invitee's: only an operator
// caller (the backend that sends the e-mail) may be shown it, once
// (ShowsAcceptToken); the database keeps its hash alone.
type SentInvitation struct {
	*ent.Invitation
	AcceptToken string
}

// ShowsAcceptToken says whether the caller may be shown an invitation's
// accept token: an operator only. A member who invites never may, or they
// could become the invitee and accept, with the token, what is addressed
// to someone else.
func (c Caller) ShowsAcceptToken() bool { return c.Operator() }

// acceptTokenOf is what the events of a sent invitation carry for webhook
// deliveries and operators alone: its accept token, so that a webhook can
// turn the invitation into an e-mail with its link (issue 20). Members who
// read the feed never see it.
func acceptTokenOf(sent SentInvitation) map[string]string {
	return map[string]string{"accept_token": sent.AcceptToken}
}

// AcceptTokenPrefix starts every accept token, so that one is told apart
// from an API key (og_live_, og_test_) in a log or by a secret scanner.
const AcceptTokenPrefix = "og_inv_"

// acceptTokenLength is a token's length: the prefix and 32 random bytes in
// hex.
const acceptTokenLength = len(AcceptTokenPrefix) + 64

// MintAcceptToken makes an accept token: 256 random bits, which nobody
// guesses (the rate limit on accepting by token is a second fence). It
// returns the token and its hash (HashSecret), all the database keeps.
func MintAcceptToken() (token, hash string, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("mint an accept token: %w", err)
	}
	token = AcceptTokenPrefix + hex.EncodeToString(raw)
	return token, HashSecret(token), nil
}

// createInvitation checks the invitation against the organization (run it
// under the organization's lock) and stores it with a new accept token.
func createInvitation(ctx context.Context, tx *ent.Tx, orgID, inviterID uuid.UUID, inv Invitation, now time.Time) (SentInvitation, error) {
	if err := checkInvitable(ctx, tx, orgID, inv.Email, now, uuid.Nil); err != nil {
		return SentInvitation{}, err
	}
	token, hash, err := MintAcceptToken()
	if err != nil {
		return SentInvitation{}, err
	}
	created, err := tx.Invitation.Create().
		SetOrganizationID(orgID).
		SetEmail(inv.Email).
		SetRole(inv.Role).
		SetValidityDays(inv.Days).
		SetExpiresAt(now.AddDate(0, 0, inv.Days)).
		SetInviterID(inviterID).
		SetAcceptTokenHash(hash).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return SentInvitation{}, fmt.Errorf("create invitation: %w", err)
	}
	return SentInvitation{Invitation: created, AcceptToken: token}, nil
}

// checkInvitable: no invitation to a member, and no second pending
// invitation for one email in one organization (except the one being resent).
func checkInvitable(ctx context.Context, tx *ent.Tx, orgID uuid.UUID, email string, now time.Time, except uuid.UUID) error {
	isMember, err := tx.Member.Query().Where(member.OrganizationID(orgID), member.HasUserWith(user.Email(email))).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find member: %w", err)
	}
	if isMember {
		return violation("email", "This email address belongs to a member of the organization.", RuleAlreadyMember)
	}
	pending, err := tx.Invitation.Query().Where(invitation.OrganizationID(orgID), invitation.Email(email),
		effectiveStatus("pending", now), invitation.IDNEQ(except)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find invitations: %w", err)
	}
	if pending {
		return violation("email", "A pending invitation for this email address exists.", RuleNotUnique)
	}
	return nil
}

// An invitation is only as good as its inviter's current permission to
// send it (as WorkOS and GitHub have it): a member who leaves, is removed
// or loses the permission takes back the pending invitations they could no
// longer send (revokeBeyondPower), and accepting checks the inviter again
// (inviterVouches), so that a path around the first cannot let anyone in.

// revokeBeyondPower revokes the pending invitations (expired ones too, so
// that none can be resent) that inviterID sent in the organization and
// that their new role there (a zero Grant when they are no longer a
// member) could not send, each with its invitation.revoked event. Run it
// in the transaction that changes the membership.
func (sc *Scope) revokeBeyondPower(ctx context.Context, inviterID uuid.UUID, now Grant, at time.Time) error {
	return sc.revokeInvitations(ctx, at, func(q *ent.InvitationQuery) { q.Where(invitation.InviterID(inviterID)) },
		func(*ent.Invitation) Grant { return now })
}

// revokeInvitations revokes the organization's pending invitations that
// narrow selects and whose inviter's role (inviterRole) may no longer send.
func (sc *Scope) revokeInvitations(ctx context.Context, now time.Time, narrow func(*ent.InvitationQuery), inviterRole func(*ent.Invitation) Grant) error {
	q := sc.tx.Invitation.Query().Where(invitation.OrganizationID(sc.Org.ID), invitation.StatusEQ(invitation.StatusPending))
	narrow(q)
	sent, err := q.All(ctx)
	if err != nil {
		return fmt.Errorf("find the invitations of a member who lost the power to send them: %w", err)
	}
	for _, inv := range sent {
		if mayInvite(inviterRole(inv), sc.book.grant(inv.Role)) == nil {
			continue
		}
		revoked, err := sc.tx.Invitation.UpdateOne(inv).
			SetStatus(invitation.StatusRevoked).SetRevokedAt(now).ClearAcceptTokenHash().SetUpdatedAt(now).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("revoke the invitations of a member who lost the power to send them: %w", err)
		}
		revoked.Edges.Organization = sc.Org
		if err := sc.record(ctx, InvitationRevoked, revoked, nil); err != nil {
			return err
		}
	}
	return nil
}

// inviterVouches is a violation unless the invitation's inviter is still a
// member of its organization whose role may send it. An invitation that
// records no inviter (inviter_id NULL: only rows written outside the API,
// such as an import, have none) has no one to vouch for it, and is refused
// as well: failing closed, since nothing says who allowed it. The message
// names no member and no role of theirs (the invitee is not a member yet);
// advice says what the reader can do.
func inviterVouches(ctx context.Context, tx *ent.Tx, inv *ent.Invitation, advice string) error {
	book, err := readRoleBook(ctx, tx.Client(), inv.OrganizationID)
	if err != nil {
		return err
	}
	if inv.InviterID == nil {
		return violation("inviter", "This invitation records no inviter who could still send it: "+advice, RuleInviterLostPower)
	}
	m, err := tx.Member.Query().Where(member.OrganizationID(inv.OrganizationID), member.UserID(*inv.InviterID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("find the inviter's membership: %w", err)
	}
	if m == nil {
		// An operator invites without a membership: it vouches while it
		// holds a live operator key of the organization's mode.
		operator, err := holdsOperatorKey(ctx, tx, *inv.InviterID, inv.OrganizationID)
		if err != nil {
			return err
		}
		if operator {
			return nil
		}
	}
	// A deactivated inviter vouches for nothing until reactivated.
	if m == nil || m.Status != member.StatusActive || mayInvite(book.grant(m.Role), book.grant(inv.Role)) != nil {
		return violation("inviter", fmt.Sprintf("Whoever sent this invitation may no longer invite %s to the organization: %s",
			english.WithArticle(string(inv.Role)), advice), RuleInviterLostPower)
	}
	return nil
}

// lockInvitation finds an invitation the caller sees, locks its
// organization and reads the invitation again under the lock.
func (s *Service) lockInvitation(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*ent.Invitation, error) {
	inv, err := findInvitation(ctx, tx.Client(), c, id)
	if err != nil {
		return nil, err
	}
	if err := s.locker.LockOrganization(ctx, tx, inv.OrganizationID); err != nil {
		if ent.IsNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("lock the invitation's organization: %w", err)
	}
	return findInvitation(ctx, tx.Client(), c, id)
}

// AcceptInvitation turns a pending invitation addressed to the caller into
// a membership, exactly once.
func (s *Service) AcceptInvitation(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*ent.Member, error) {
	inv, err := s.lockInvitation(ctx, tx, c, id)
	if err != nil {
		return nil, err
	}
	org, err := tx.Organization.Get(ctx, inv.OrganizationID)
	if err != nil {
		return nil, fmt.Errorf("find organization: %w", err)
	}
	now := schema.Now()
	if err := (Standing{caller: c, Active: active(org) == nil}).MayAcceptInvitation(inv, now); err != nil {
		return nil, err
	}
	if err := inviterVouches(ctx, tx, inv, "ask the organization for a new invitation."); err != nil {
		return nil, err
	}
	isMember, err := tx.Member.Query().Where(member.OrganizationID(inv.OrganizationID), member.UserID(c.User.ID)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("find member: %w", err)
	}
	if isMember {
		return nil, violation("email", "You are already a member of this organization.", RuleAlreadyMember)
	}
	m, err := tx.Member.Create().SetOrganizationID(inv.OrganizationID).SetUserID(c.User.ID).
		SetRole(inv.Role).SetJoinedAt(now).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	m.Edges.User = c.User
	return m, s.accepted(ctx, tx, c, org, inv, m, now)
}

// accepted marks an invitation accepted by the membership it made, and
// records both: invitation.accepted and member.added, by the invitee.
func (s *Service) accepted(ctx context.Context, tx *ent.Tx, invitee Caller, org *ent.Organization, inv *ent.Invitation, m *ent.Member, now time.Time) error {
	done, err := tx.Invitation.UpdateOne(inv).SetStatus(invitation.StatusAccepted).SetAcceptedAt(now).
		SetMemberID(m.ID).ClearAcceptTokenHash().SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return fmt.Errorf("mark the invitation accepted: %w", err)
	}
	done.Edges.Organization = org
	if err := s.record(ctx, tx, invitee, change{typ: InvitationAccepted, mode: string(org.Mode), org: org.ID, subject: done}); err != nil {
		return err
	}
	return s.record(ctx, tx, invitee, change{typ: MemberAdded, mode: string(org.Mode), org: org.ID, subject: m})
}

// EnterInvitation finds an invitation the caller sees, enters its
// organization (an invitee who is not a member gets ErrNotFound: the
// organization is not theirs) and reads the invitation again under the
// lock.
func (s *Service) EnterInvitation(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*Scope, *ent.Invitation, error) {
	find := func() (*ent.Invitation, error) { return findInvitation(ctx, tx.Client(), c, id) }
	return enterOwner(ctx, s, tx, c, find, func(inv *ent.Invitation) uuid.UUID { return inv.OrganizationID }, nil)
}

// ResendInvitation gives a pending or expired invitation a new expiry and
// a new accept token (the one before opens nothing any more), if the caller
// may send it and its inviter still could.
func (sc *Scope) ResendInvitation(ctx context.Context, inv *ent.Invitation) (SentInvitation, error) {
	now := schema.Now()
	if err := sc.Standing().MayResendInvitation(inv, now); err != nil {
		return SentInvitation{}, err
	}
	if err := inviterVouches(ctx, sc.tx, inv, "revoke it and send a new one."); err != nil {
		return SentInvitation{}, err
	}
	if err := checkInvitable(ctx, sc.tx, inv.OrganizationID, inv.Email, now, inv.ID); err != nil {
		return SentInvitation{}, err
	}
	token, hash, err := MintAcceptToken()
	if err != nil {
		return SentInvitation{}, err
	}
	resent, err := sc.tx.Invitation.UpdateOne(inv).SetExpiresAt(now.AddDate(0, 0, inv.ValidityDays)).
		SetAcceptTokenHash(hash).ClearExpiryRecordedAt().SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return SentInvitation{}, fmt.Errorf("resend the invitation: %w", err)
	}
	resent.Edges.Organization = inv.Edges.Organization
	sent := SentInvitation{Invitation: resent, AcceptToken: token}
	return sent, sc.recordHidden(ctx, InvitationResent, resent, acceptTokenOf(sent))
}

// RevokeInvitation withdraws a pending invitation, if the caller may send
// it; its accept token opens nothing any more.
func (sc *Scope) RevokeInvitation(ctx context.Context, inv *ent.Invitation) (*ent.Invitation, error) {
	now := schema.Now()
	if err := sc.Standing().MayRevokeInvitation(inv, now); err != nil {
		return nil, err
	}
	revoked, err := sc.tx.Invitation.UpdateOne(inv).SetStatus(invitation.StatusRevoked).SetRevokedAt(now).
		ClearAcceptTokenHash().SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("revoke the invitation: %w", err)
	}
	revoked.Edges.Organization = inv.Edges.Organization
	return revoked, sc.record(ctx, InvitationRevoked, revoked, nil)
}

// pendingOnly is a violation unless the invitation is pending.
func pendingOnly(inv *ent.Invitation, now time.Time, done string) error {
	st := schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now)
	if st == "pending" {
		return nil
	}
	return violation("status", fmt.Sprintf("This invitation is %s: it cannot be %s.", st, done), RuleNotPending)
}

// holdsOperatorKey says whether the user holds an operator key, neither
// revoked nor expired, of the organization's mode.
func holdsOperatorKey(ctx context.Context, tx *ent.Tx, userID, orgID uuid.UUID) (bool, error) {
	org, err := tx.Organization.Get(ctx, orgID)
	if err != nil {
		return false, fmt.Errorf("find the organization: %w", err)
	}
	ok, err := tx.APIKey.Query().Where(
		apikey.UserID(userID),
		apikey.ScopeEQ(apikey.ScopeOperator),
		apikey.ModeEQ(apikey.Mode(org.Mode)),
		apikey.RevokedAtIsNil(),
		apikey.Or(apikey.ExpiresAtIsNil(), apikey.ExpiresAtGT(schema.Now())),
	).Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("find the inviter's operator key: %w", err)
	}
	return ok, nil
}

// RecordExpiries records, as invitation.expired events by the system, the
// expiries of at most limit invitations that expired and whose expiry is
// not recorded yet, oldest first, each under its organization's lock (two
// replicas sweeping at once record each expiry once), and says how many it
// recorded. An invitation expires without a write (EffectiveStatus); this
// is how the feed learns of it, within the sweeper's period.
func (s *Service) RecordExpiries(ctx context.Context, tx *ent.Tx, now time.Time, limit int) (int, error) {
	due := func(q *ent.InvitationQuery) *ent.InvitationQuery {
		return q.Where(invitation.StatusEQ(invitation.StatusPending), invitation.ExpiryRecordedAtIsNil(), invitation.ExpiresAtLTE(now))
	}
	found, err := due(tx.Invitation.Query()).Order(invitation.ByExpiresAt()).Limit(limit).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("find expired invitations: %w", err)
	}
	recorded := 0
	for _, inv := range found {
		if err := s.locker.LockOrganization(ctx, tx, inv.OrganizationID); err != nil {
			return recorded, fmt.Errorf("lock the invitation's organization: %w", err)
		}
		inv, err := due(tx.Invitation.Query()).Where(invitation.ID(inv.ID)).WithOrganization(itsName).Only(ctx)
		if ent.IsNotFound(err) {
			continue // resent, accepted, revoked or recorded meanwhile
		}
		if err != nil {
			return recorded, fmt.Errorf("read the expired invitation: %w", err)
		}
		// Nothing a reader sees changes: updated_at stays.
		noted, err := tx.Invitation.UpdateOne(inv).SetExpiryRecordedAt(now).SetUpdatedAt(inv.UpdatedAt).Save(ctx)
		if err != nil {
			return recorded, fmt.Errorf("record the invitation's expiry: %w", err)
		}
		noted.Edges.Organization = inv.Edges.Organization
		err = s.record(ctx, tx, Caller{}, change{typ: InvitationExpired, mode: string(inv.Edges.Organization.Mode), org: inv.OrganizationID, subject: noted})
		if err != nil {
			return recorded, err
		}
		recorded++
	}
	return recorded, nil
}
