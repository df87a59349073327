package schema

// Permission is one thing a role may do in an organization.
type Permission string

// The permissions, one per kind of action. The matrix below is the only
// place that says which role may do what; handlers ask Can.
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
	// ReadEvents reads the organization's events: what everyone did,
	// including to the members and keys others cannot manage.
	ReadEvents Permission = "events:read"
	// ManageWebhooks reads and changes the organization's webhook
	// endpoints and their deliveries (their URLs and what they receive).
	ManageWebhooks Permission = "webhooks:manage"
)

var readAll = []Permission{ReadOrganization, ReadMembers, ReadInvitations, ReadWorkspaces, ReadRoles}

// RolePermissions is the permission matrix: owners do everything; admins
// manage the organization, workspaces, invitations and non-owner members;
// developers manage workspaces and read the rest; viewers read.
var RolePermissions = map[string][]Permission{
	"owner": append(append([]Permission{}, readAll...),
		UpdateOrganization, ChangeStatus, DeleteOrganization, ManageMembers, ManageOwners, ManageInvitations, ManageWorkspaces, ReadEvents, ManageWebhooks),
	"admin":     append(append([]Permission{}, readAll...), UpdateOrganization, ManageMembers, ManageInvitations, ManageWorkspaces, ReadEvents, ManageWebhooks),
	"developer": append(append([]Permission{}, readAll...), ManageWorkspaces),
	"viewer":    readAll,
}

// RoleInfo describes a provisioned role.
type RoleInfo struct{ Slug, Name, Description string }

// RoleCatalog is what every new organization gets, most powerful first.
var RoleCatalog = []RoleInfo{
	{"owner", "Owner", "Does everything: manages the owners, suspends, hands over and deletes the organization."},
	{"admin", "Admin", "Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events."},
	{"developer", "Developer", "Manages workspaces; reads the organization, its members, invitations and roles."},
	{"viewer", "Viewer", "Reads the organization, its members, invitations, workspaces and roles."},
}

// RolesWith are the roles that hold a permission, most powerful first.
func RolesWith(p Permission) []string {
	var out []string
	for _, r := range RoleCatalog {
		if Can(r.Slug, p) {
			out = append(out, r.Slug)
		}
	}
	return out
}

// Can says whether a role holds a permission.
func Can(role string, p Permission) bool {
	for _, q := range RolePermissions[role] {
		if q == p {
			return true
		}
	}
	return false
}
