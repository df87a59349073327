package orgs

import (
	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
)

// Addition is a kind of resource a member adds to an organization.
type Addition int

const (
	AddInvitation Addition = iota
	AddWorkspace
	AddRole
	AddDomain
	AddWebhookEndpoint
)

// additionPermission is the permission each kind's create asks for first
// (Invite, CreateWorkspace, CreateRole, ClaimDomain,
// CreateWebhookEndpoint), as their Standing rules do.
var additionPermission = map[Addition]schema.Permission{
	AddInvitation:      schema.ManageInvitations,
	AddWorkspace:       schema.ManageWorkspaces,
	AddRole:            schema.ManageRoles,
	AddDomain:          schema.ManageDomains,
	AddWebhookEndpoint: schema.ManageWebhooks,
}

// MayAdd is Forbidden unless a member of the grant may add a resource of
// the kind to the organization at all: the organization is active and the
// grant holds the permission the create asks for first. What a create
// checks beyond it (the role an invitation gives, a name's uniqueness) is
// the create's to say.
func MayAdd(g Grant, org *ent.Organization, what Addition) error {
	if err := g.can(additionPermission[what]); err != nil {
		return err
	}
	return active(org)
}
