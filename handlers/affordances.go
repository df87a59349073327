package handlers

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
)

// Per-caller affordances (hydra/affordances.go): an item's own document
// lists the operations its reader may invoke, each one because the
// domain's rule for that write passes for them (orgs.Standing's May…
// methods, orgs.MayUpdateOrganization…), so that the document and the
// write never disagree about permission. A read-only key is offered
// nothing: authenticated refuses its writes before any rule is asked.
//
// A document costs one statement more than before (orgs.Service.Standing:
// the caller's role and the organization's status), none for a read-only
// key; a write's precondition and answer use the standing its Scope read
// under the lock. The document cache keys on the API key, and every write
// in the organization (a role or status change) is a commit that ends the
// cached documents, so that no one is served another's operations or
// yesterday's.

// The item operations, as sets (hydra.Ops) to combine.
var (
	organizationPatch    = hydra.Organization.Resource.Op(hydra.Patch)
	organizationDelete   = hydra.Organization.Resource.Op(hydra.Delete)
	memberPatch          = hydra.Member.Resource.Op(hydra.Patch)
	memberDelete         = hydra.Member.Resource.Op(hydra.Delete)
	memberDeactivate     = hydra.Member.Resource.Action("deactivate")
	memberReactivate     = hydra.Member.Resource.Action("reactivate")
	organizationTransfer = hydra.Organization.Resource.Action("transfer")
	workspacePatch       = hydra.Workspace.Resource.Op(hydra.Patch)
	workspaceDelete      = hydra.Workspace.Resource.Op(hydra.Delete)
	domainPatch          = hydra.Domain.Resource.Op(hydra.Patch)
	domainDelete         = hydra.Domain.Resource.Op(hydra.Delete)
	domainVerify         = hydra.Domain.Resource.Action("verify")
	rolePatch            = hydra.Role.Resource.Op(hydra.Patch)
	roleDelete           = hydra.Role.Resource.Op(hydra.Delete)
	invitationAccept     = hydra.Invitation.Resource.Action("accept")
	invitationResend     = hydra.Invitation.Resource.Action("resend")
	invitationRevoke     = hydra.Invitation.Resource.Action("revoke")
)

// allowed is ops when the rule passes (err is nil), else none.
func allowed(err error, ops hydra.Ops) hydra.Ops {
	if err != nil {
		return 0
	}
	return ops
}

// standing reads the caller's standing in the organization of an item for
// its document; ok is false for a read-only key, which is offered nothing
// (the …Document functions take a standing, so they serve only callers who
// have one: a GET by a write key, and writes, which no read-only key
// reaches).
func (s *Server) standing(r *http.Request, orgID uuid.UUID) (st orgs.Standing, ok bool, err error) {
	p := caller(r.Context())
	if p.readOnly() {
		return st, false, nil
	}
	st, err = s.orgs.Standing(r.Context(), p.Caller, orgID)
	return st, err == nil, err
}

// memberItem is a membership's document as the caller reads it.
func (s *Server) memberItem(r *http.Request, m *ent.Member) (*hydra.Node, error) {
	st, ok, err := s.standing(r, m.OrganizationID)
	if err != nil || !ok {
		return memberNodeFor(callerOf(r), m), err
	}
	return memberDocument(st, m), nil
}

// memberDocument is memberNode with the operations the standing allows:
// PATCH by who manages the member, DELETE by them and by the member
// themself (leaving), deactivate to an active member and reactivate to a
// deactivated one by who manages them (not the member themself).
func memberDocument(st orgs.Standing, m *ent.Member) *hydra.Node {
	n := memberNode(m)
	if st.Operator() {
		setPrivateMetadata(n, m.PrivateMetadata)
	}
	status := memberDeactivate
	if string(m.Status) != schema.MemberActive {
		status = memberReactivate
	}
	n.Operations = allowed(st.MayChangeMember(m), memberPatch) | allowed(st.MayRemoveMember(m), memberDelete) |
		allowed(st.MayDeactivateMember(m), status)
	return n
}

// workspaceItem is a workspace's document as the caller reads it.
func (s *Server) workspaceItem(r *http.Request, ws *ent.Workspace) (*hydra.Node, error) {
	st, ok, err := s.standing(r, ws.OrganizationID)
	if err != nil || !ok {
		return workspaceNode(ws), err
	}
	return workspaceDocument(st, ws), nil
}

// workspaceDocument is workspaceNode with PATCH and DELETE when the
// standing may change workspaces.
func workspaceDocument(st orgs.Standing, ws *ent.Workspace) *hydra.Node {
	n := workspaceNode(ws)
	n.Operations = allowed(st.MayChangeWorkspaces(), workspacePatch|workspaceDelete)
	return n
}

// invitationItem is an invitation's document as the caller reads it.
func (s *Server) invitationItem(r *http.Request, inv *ent.Invitation) (*hydra.Node, error) {
	now := schema.Now()
	st, ok, err := s.standing(r, inv.OrganizationID)
	if err != nil || !ok {
		return invitationNode(inv, now), err
	}
	return invitationDocument(st, inv, now), nil
}

// invitationDocument is invitationNode with the actions the standing
// allows: accept to the invitee, resend and revoke to who may send it,
// each while the invitation's status allows it.
func invitationDocument(st orgs.Standing, inv *ent.Invitation, now time.Time) *hydra.Node {
	n := invitationNode(inv, now)
	n.Operations = allowed(st.MayAcceptInvitation(inv, now), invitationAccept) |
		allowed(st.MayResendInvitation(inv, now), invitationResend) |
		allowed(st.MayRevokeInvitation(inv, now), invitationRevoke)
	return n
}
