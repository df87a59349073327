package schema

// Permission is one thing a role may do in an organization.
type Permission string

// The permissions, one per kind of action. A role is a set of them; every
// rule asks for a permission, never for a role's name.
const (
	ReadOrganization   Permission = "organization:read"
	UpdateOrganization Permission = "organization:update"
	ChangeStatus       Permission = "organization:status" // suspend and reactivate
	DeleteOrganization Permission = "organization:delete"
	ReadMembers        Permission = "members:read"
	ManageMembers      Permission = "members:manage" // non-owner members
	ManageOwners       Permission = "owners:manage"  // promote, demote and remove owners
	ReadInvitations    Permission = "invitations:read"
	ManageInvitations  Permission = "invitations:manage"
	ReadWorkspaces     Permission = "workspaces:read"
	ManageWorkspaces   Permission = "workspaces:manage"
	ReadRoles          Permission = "roles:read"
	// ManageRoles creates, changes and deletes the organization's custom
	// roles, each within the permissions of whoever does it.
	ManageRoles Permission = "roles:manage"
	// ReadEvents reads the organization's events: what everyone did,
	// including to the members and keys others cannot manage.
	ReadEvents Permission = "events:read"
	// ManageWebhooks reads and changes the organization's webhook
	// endpoints and their deliveries (their URLs and what they receive).
	ManageWebhooks Permission = "webhooks:manage"
	// ManageDomains claims, verifies, changes and removes the
	// organization's email domains, whose enrollment lets people in.
	ManageDomains Permission = "domains:manage"
)

// PermissionInfo documents one permission.
type PermissionInfo struct {
	Permission  Permission
	Description string
}

// PermissionCatalog is every permission, in the order roles list them.
var PermissionCatalog = []PermissionInfo{
	{ReadOrganization, "Read the organization."},
	{UpdateOrganization, "Change the organization's name, contact, address and metadata."},
	{ChangeStatus, "Suspend and reactivate the organization."},
	{DeleteOrganization, "Delete the organization."},
	{ReadMembers, "Read the members."},
	{ManageMembers, "Change, deactivate and remove the members who are not owners."},
	{ManageOwners, "Make, unmake, deactivate and remove owners; invite owners."},
	{ReadInvitations, "Read the invitations."},
	{ManageInvitations, "Send, resend and revoke invitations."},
	{ReadWorkspaces, "Read the workspaces."},
	{ManageWorkspaces, "Create, rename and delete workspaces."},
	{ReadRoles, "Read the roles."},
	{ManageRoles, "Create, change and delete custom roles, within one's own permissions."},
	{ReadEvents, "Read the organization's events."},
	{ManageWebhooks, "Manage the organization's webhook endpoints and read their deliveries."},
	{ManageDomains, "Claim, verify, change and remove the organization's email domains."},
}

// PermissionNames are the catalogue's values, as the wire spells them.
func PermissionNames() []string {
	out := make([]string, len(PermissionCatalog))
	for i, p := range PermissionCatalog {
		out[i] = string(p.Permission)
	}
	return out
}

// BasePermissions are held by every role: a member reads their
// organization, its members, invitations, workspaces and roles (being a
// member is what makes them visible). A custom role holds them whatever
// it lists.
var BasePermissions = []Permission{ReadOrganization, ReadMembers, ReadInvitations, ReadWorkspaces, ReadRoles}

// The default roles' slugs.
const (
	RoleOwner     = "owner"
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
)

// Roles are the default roles' slugs, from most to least powerful.
var Roles = []string{RoleOwner, RoleAdmin, RoleDeveloper, RoleViewer}

// RolePermissions is the default roles' permission matrix: owners do
// everything; admins manage the organization, workspaces, invitations,
// roles and non-owner members; developers manage workspaces and read the
// rest; viewers read.
var RolePermissions = map[string][]Permission{
	RoleOwner: Normalize(append(append([]Permission{}, BasePermissions...),
		UpdateOrganization, ChangeStatus, DeleteOrganization, ManageMembers, ManageOwners, ManageInvitations, ManageWorkspaces, ManageRoles, ReadEvents, ManageWebhooks, ManageDomains)),
	RoleAdmin:     Normalize(append(append([]Permission{}, BasePermissions...), UpdateOrganization, ManageMembers, ManageInvitations, ManageWorkspaces, ManageRoles, ReadEvents, ManageWebhooks, ManageDomains)),
	RoleDeveloper: Normalize(append(append([]Permission{}, BasePermissions...), ManageWorkspaces)),
	RoleViewer:    Normalize(BasePermissions),
}

// RoleInfo describes a provisioned role.
type RoleInfo struct{ Slug, Name, Description string }

// RoleCatalog is what every new organization gets, most powerful first.
var RoleCatalog = []RoleInfo{
	{RoleOwner, "Owner", "Does everything: manages the owners, suspends, hands over and deletes the organization."},
	{RoleAdmin, "Admin", "Manages the organization, its workspaces, invitations, custom roles, domains, webhooks and non-owner members (deactivating them too), and reads its events."},
	{RoleDeveloper, "Developer", "Manages workspaces; reads the organization, its members, invitations and roles."},
	{RoleViewer, "Viewer", "Reads the organization, its members, invitations, workspaces and roles."},
}

// IsDefaultRole says whether a slug is one of the default roles', which
// every organization has and nobody changes.
func IsDefaultRole(slug string) bool {
	_, ok := RolePermissions[slug]
	return ok
}

// RolesWith are the default roles that hold a permission, most powerful
// first.
func RolesWith(p Permission) []string {
	var out []string
	for _, r := range RoleCatalog {
		if Holds(RolePermissions[r.Slug], p) {
			out = append(out, r.Slug)
		}
	}
	return out
}

// Holds says whether a set of permissions holds one.
func Holds(set []Permission, p Permission) bool {
	for _, q := range set {
		if q == p {
			return true
		}
	}
	return false
}

// Lacking lists the permissions of want that set does not hold, in want's
// order: what granting want would give beyond set.
func Lacking(set, want []Permission) []Permission {
	var out []Permission
	for _, p := range want {
		if !Holds(set, p) {
			out = append(out, p)
		}
	}
	return out
}

// Normalize is a set of known permissions with the base ones, in the
// catalogue's order, without repeats (unknown values are left out: the
// decoder refuses them before).
func Normalize(set []Permission) []Permission {
	out := make([]Permission, 0, len(PermissionCatalog))
	for _, info := range PermissionCatalog {
		if Holds(BasePermissions, info.Permission) || Holds(set, info.Permission) {
			out = append(out, info.Permission)
		}
	}
	return out
}
