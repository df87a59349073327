package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.Invitation)
	if err != nil {
		return err
	}
	var f orgs.InvitationFilter
	if f.Organization, _, err = filterID(q, "organization", hydra.Organization); err != nil {
		return err
	}
	if f.Status, _, err = filterEnum(q, "status", hydra.Invitation.Prop("status").Enum); err != nil {
		return err
	}
	now := schema.Now()
	return writePage(s, w, r, hydra.Invitation, q, s.orgs.Invitations(callerOf(r), f, order(q)),
		eachNode(func(inv *ent.Invitation) *hydra.Node { return invitationNode(inv, now) }))
}

func (s *Server) getInvitation(w http.ResponseWriter, r *http.Request) error {
	return getItem(s, s.orgs.Invitation, s.invitationItem)(w, r)
}

// invitationOf reads an invitation's email and role from a request body,
// an Invitation or an OrganizationInvitation alike.
func invitationOf(in hydra.Input) orgs.Invitation {
	email, _ := in.String("email")
	role, _ := in.String("role")
	return orgs.Invitation{Email: email, Role: role}
}

// createInvitation serves POST /api/invitations and its alias
// POST /api/organizations/{id}/members/invite.
func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	in, err := s.decodeCreate(w, r, hydra.Invitation)
	if err != nil {
		return err
	}
	orgID, _ := in.String("organization")
	sent := invitationOf(in)
	days, _ := in.Int("expires_in_days")
	inv, err := orgs.PrepareInvitation(sent.Email, sent.Role, days, "email")
	if err != nil {
		return err
	}
	var n *hydra.Node
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enterOrganizationOf(ctx, tx, r, orgID)
		if err != nil {
			return err
		}
		sent, err := sc.Invite(ctx, inv)
		if err == nil {
			n = sentInvitationDocument(r, sc.Standing(), sent)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, n)
}

// acceptInvitation turns a pending invitation addressed to the caller into a
// membership, exactly once.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := negotiateEarly(r); err != nil {
		return err
	}
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	var m *ent.Member
	err := s.answeringTx(r, func(tx *ent.Tx) (err error) {
		m, err = s.orgs.AcceptInvitation(r.Context(), tx, callerOf(r), id)
		return err
	})
	if err != nil {
		return err
	}
	// The new membership's document as its member reads it (now that they
	// are one): what GET answers next.
	n, err := s.memberItem(r, m)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, n)
}

// sentInvitationDocument is the answer to sending or resending an
// invitation: its document, with the accept token for an operator caller
// alone (orgs.Caller.ShowsAcceptToken).
func sentInvitationDocument(r *http.Request, st orgs.Standing, sent orgs.SentInvitation) *hydra.Node {
	n := invitationDocument(st, sent.Invitation, schema.Now())
	if callerOf(r).ShowsAcceptToken() {
		n.Set("accept_token", sent.AcceptToken)
	}
	return n
}

// resendInvitation gives a pending or expired invitation a new expiry and
// a new accept token.
func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, func(sc *orgs.Scope, ctx context.Context, inv *ent.Invitation) (*hydra.Node, error) {
		sent, err := sc.ResendInvitation(ctx, inv)
		if err != nil {
			return nil, err
		}
		return sentInvitationDocument(r, sc.Standing(), sent), nil
	})
}

// revokeInvitation withdraws a pending invitation.
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, func(sc *orgs.Scope, ctx context.Context, inv *ent.Invitation) (*hydra.Node, error) {
		revoked, err := sc.RevokeInvitation(ctx, inv)
		if err != nil {
			return nil, err
		}
		return invitationDocument(sc.Standing(), revoked, schema.Now()), nil
	})
}

// acceptInvitationToken serves POST /api/invitations/accept, which needs no
// API key: the token in the body proves the invitee. Every attempt is
// charged to the client address's bucket of the accept limiter first. The
// answer is the new Member as its member reads it, with — when accepting
// made the user — their first key and its secret, once.
func (s *Server) acceptInvitationToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.limitAccepts(w, r); err != nil {
		return err
	}
	if r.Header.Get("Idempotency-Key") != "" {
		return errTokenIdempotency
	}
	in, err := s.decodeCreate(w, r, hydra.InvitationToken)
	if err != nil {
		return err
	}
	token, _ := in.String("token")
	name, _ := in.String("name")
	ctx := r.Context()
	var acc orgs.Acceptance
	err = s.answeringTx(r, func(tx *ent.Tx) (err error) {
		acc, err = s.orgs.AcceptInvitationToken(ctx, tx, token, name)
		return err
	})
	if err != nil {
		return err
	}
	if acc.Key != nil {
		// A new user appears: a verified domain of theirs (another
		// organization's: they are this one's member now) enrolls them, in
		// a transaction of its own — inside the acceptance it would lock a
		// second organization, and two acceptances locking two
		// organizations in opposite orders could deadlock.
		if err := s.db.Tx(ctx, func(tx *ent.Tx) error { return s.orgs.Enroll(ctx, tx, acc.Member.Edges.User, acc.Mode) }); err != nil {
			s.log.Warn("enrollment after an acceptance", slog.String("error", err.Error()))
		}
	}
	invitee := orgs.Caller{User: acc.Member.Edges.User, Mode: acc.Mode}
	st, err := s.orgs.Standing(ctx, invitee, acc.Member.OrganizationID)
	if err != nil {
		return err
	}
	n := memberDocument(st, acc.Member)
	if acc.Key != nil {
		n.Set("api_key", apiKeyNode(acc.Key).Set("secret", acc.Secret.Plain))
	}
	return s.writeItem(w, r, http.StatusCreated, n)
}

// errTokenIdempotency refuses an Idempotency-Key on accepting by token:
// answers are kept per key owner, and this request has none (its answer
// may hold a new key's secret besides, which is never stored).
var errTokenIdempotency = problems.BadRequest("Accepting an invitation by token takes no Idempotency-Key: it is made without an API key, and its answer may hold a new key's secret, which is never stored. Send it without the header: a token is used once, so a repeated request cannot accept twice.")

// changeInvitation runs an inviter's action on an invitation under its
// organization's lock; change answers the invitation's new document.
func (s *Server) changeInvitation(w http.ResponseWriter, r *http.Request,
	change func(*orgs.Scope, context.Context, *ent.Invitation) (*hydra.Node, error)) error {
	ctx := r.Context()
	if err := negotiateEarly(r); err != nil {
		return err
	}
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	var n *hydra.Node
	err := s.answeringTx(r, func(tx *ent.Tx) error {
		sc, found, err := s.orgs.EnterInvitation(ctx, tx, callerOf(r), id)
		if err != nil {
			return err
		}
		n, err = change(sc, ctx, found)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

func invitationNode(inv *ent.Invitation, now time.Time) *hydra.Node {
	status := schema.EffectiveStatus(string(inv.Status), inv.ExpiresAt, now)
	n := hydra.NewNode(hydra.Invitation, hydra.Invitation.IRI(inv.ID.String())).
		Set("id", inv.ID.String()).
		Set("organization", hydra.Organization.IRI(inv.OrganizationID.String())).
		Set("organization_name", organizationName(inv)).
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

// organizationName is the name of an invitation's organization, which the
// invitee reads before they are a member (orgs loads it with every
// invitation it reads).
func organizationName(inv *ent.Invitation) string {
	if inv.Edges.Organization == nil {
		panic("handlers: an invitation read without its organization's name")
	}
	return inv.Edges.Organization.Name
}
