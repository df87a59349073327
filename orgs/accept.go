package orgs

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
)

// Accepting by token is how someone without a key — often without an
// account — joins: the operator's backend e-mails them a link holding the
// invitation's accept token, and whoever brings the token back is the
// invitee. The token, not a key, proves it; so the token is shown to no
// one but the operator (ShowsAcceptToken), used once, and every token that
// opens nothing gets the same refusal.

// RuleInvalidToken: the accept token opens no pending invitation.
const RuleInvalidToken Rule = "invalid-token"

// errInvalidToken is the one answer to every token that opens no pending
// invitation — mistyped, used, replaced by a resend, revoked, expired —
// so that an answer tells a guesser nothing about any token.
func errInvalidToken() error {
	return violation("token", "This token opens no pending invitation: it is wrong, already used, replaced by a newer one, revoked or expired. Ask the organization for a new invitation.", RuleInvalidToken)
}

// Acceptance is what accepting an invitation by token made.
type Acceptance struct {
	// Member is the new membership, its user loaded.
	Member *ent.Member
	// Mode is the organization's: the caller acts in it from now on.
	Mode string
	// Key and Secret are the new user's first API key in Mode, when
	// accepting made the user; Key is nil otherwise (an existing user has
	// their keys already, and a token must not mint more for them).
	Key    *ent.APIKey
	Secret Secret
}

// AcceptInvitationToken turns the pending invitation the token opens into a
// membership, exactly once: the invitee's user is the one with the
// invitation's email, made (with name) when there is none — and then given
// a first write key in the organization's mode, as a first key always
// brings its holder's personal organization. The token opens nothing
// afterwards.
func (s *Service) AcceptInvitationToken(ctx context.Context, tx *ent.Tx, token, name string) (Acceptance, error) {
	if len(token) != acceptTokenLength || !strings.HasPrefix(token, AcceptTokenPrefix) {
		return Acceptance{}, errInvalidToken()
	}
	hash := HashSecret(token)
	opened := func() (*ent.Invitation, error) {
		inv, err := tx.Invitation.Query().Where(invitation.AcceptTokenHash(hash)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, errInvalidToken()
		}
		if err != nil {
			return nil, fmt.Errorf("find the invitation the token opens: %w", err)
		}
		return inv, nil
	}
	inv, err := opened()
	if err != nil {
		return Acceptance{}, err
	}
	if err := s.locker.LockOrganization(ctx, tx, inv.OrganizationID); err != nil {
		if ent.IsNotFound(err) {
			return Acceptance{}, errInvalidToken()
		}
		return Acceptance{}, fmt.Errorf("lock the invitation's organization: %w", err)
	}
	// Again under the lock: a concurrent accept, resend or revoke may have
	// taken the token away meanwhile.
	if inv, err = opened(); err != nil {
		return Acceptance{}, err
	}
	now := schema.Now()
	if schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now) != "pending" {
		return Acceptance{}, errInvalidToken()
	}
	org, err := tx.Organization.Get(ctx, inv.OrganizationID)
	if err != nil {
		return Acceptance{}, fmt.Errorf("find organization: %w", err)
	}
	if err := active(org); err != nil {
		return Acceptance{}, err
	}
	if err := inviterVouches(ctx, tx, inv, "ask the organization for a new invitation."); err != nil {
		return Acceptance{}, err
	}
	u, made, err := userFor(ctx, tx, inv.Email, name)
	if err != nil {
		return Acceptance{}, err
	}
	isMember, err := tx.Member.Query().Where(member.OrganizationID(org.ID), member.UserID(u.ID)).Exist(ctx)
	if err != nil {
		return Acceptance{}, fmt.Errorf("find member: %w", err)
	}
	if isMember {
		return Acceptance{}, violation("token", "The invitee is already a member of this organization.", RuleAlreadyMember)
	}
	m, err := tx.Member.Create().SetOrganizationID(org.ID).SetUserID(u.ID).
		SetRole(inv.Role).SetJoinedAt(now).Save(ctx)
	if err != nil {
		return Acceptance{}, fmt.Errorf("add member: %w", err)
	}
	m.Edges.User = u
	acc := Acceptance{Member: m, Mode: string(org.Mode)}
	invitee := Caller{User: u, Mode: acc.Mode}
	if made {
		if err := s.record(ctx, tx, invitee, change{typ: UserCreated, mode: acc.Mode, subject: u}); err != nil {
			return Acceptance{}, err
		}
	}
	if err := s.accepted(ctx, tx, invitee, org, inv, m, now); err != nil {
		return Acceptance{}, err
	}
	if !made {
		return acc, nil
	}
	if err := s.createPersonal(ctx, tx, invitee, u.ID, acc.Mode); err != nil {
		return Acceptance{}, err
	}

	acc.Key, acc.Secret, err = s.mint(ctx, tx, u.ID, acc.Mode, clipRunes("Joined "+org.Name, 200), "write", "", nil)
	if err != nil {
		return Acceptance{}, err
	}
	if err := s.record(ctx, tx, invitee, change{typ: APIKeyCreated, mode: acc.Mode, subject: acc.Key}); err != nil {
		return Acceptance{}, err
	}
	return acc, nil
}

// userFor finds the user with an email, or makes them (made true) with a
// name. An insert that meets a concurrent one for the same address (two
// invitations to one new person, accepted at once) takes the row that won:
// the upsert answers the existing user's id instead of failing.
func userFor(ctx context.Context, tx *ent.Tx, email, name string) (*ent.User, bool, error) {
	u, err := tx.User.Query().Where(user.Email(email)).Only(ctx)
	if err == nil {
		return u, false, nil
	}
	if !ent.IsNotFound(err) {
		return nil, false, fmt.Errorf("find user: %w", err)
	}
	fresh := schema.NewID()
	now := schema.Now()
	id, err := tx.User.Create().SetID(fresh).SetEmail(email).SetName(name).SetCreatedAt(now).SetUpdatedAt(now).
		OnConflictColumns(user.FieldEmail).Ignore().ID(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("create user: %w", err)
	}
	u, err = tx.User.Get(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("read the new user: %w", err)
	}
	return u, id == fresh, nil
}

// clipRunes cuts s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
