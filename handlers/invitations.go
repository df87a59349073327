package handlers

import (
	"context"
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
		created, err := sc.Invite(ctx, inv)
		if err == nil {
			n = invitationDocument(sc.Standing(), created, schema.Now())
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

// resendInvitation gives a pending or expired invitation a new expiry.
func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, (*orgs.Scope).ResendInvitation)
}

// revokeInvitation withdraws a pending invitation.
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	return s.changeInvitation(w, r, (*orgs.Scope).RevokeInvitation)
}

// changeInvitation runs an inviter's action on an invitation under its
// organization's lock.
func (s *Server) changeInvitation(w http.ResponseWriter, r *http.Request,
	change func(*orgs.Scope, context.Context, *ent.Invitation) (*ent.Invitation, error)) error {
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
		inv, err := change(sc, ctx, found)
		if err == nil {
			n = invitationDocument(sc.Standing(), inv, schema.Now())
		}
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
