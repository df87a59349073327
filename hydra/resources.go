package hydra

// Orgraph's classes. Each is declared once here; contexts, the Hydra
// documentation, validation and encoding all read these declarations.
var (
	Contact = &Class{
		Name:        "Contact",
		Description: "The contact person of an organization.",
		Properties: []*Property{
			{Name: "email", Kind: String, Format: Email, Writable: true, MaxLength: 254, Description: "The contact's email address."},
			{Name: "first_name", Kind: String, Writable: true, MaxLength: 100, Description: "The contact's first name."},
			{Name: "last_name", Kind: String, Writable: true, MaxLength: 100, Description: "The contact's last name."},
		},
	}

	Address = &Class{
		Name:        "Address",
		Description: "A postal address.",
		Properties: []*Property{
			{Name: "street_address", Kind: String, Writable: true, MaxLength: 200, Description: "Street and number."},
			{Name: "city", Kind: String, Writable: true, MaxLength: 100, Description: "City."},
			{Name: "state", Kind: String, Writable: true, MaxLength: 100, Description: "State, province or region."},
			{Name: "zip_code", Kind: String, Writable: true, MaxLength: 20, Description: "Postal code."},
			{Name: "country", Kind: String, Writable: true, MaxLength: 100, Description: "Country."},
		},
	}

	StatusChange = &Class{
		Name:        "StatusChange",
		Description: "One change of an organization's status.",
		Properties: []*Property{
			{Name: "status", Kind: String, Enum: []string{"ACTIVE", "SUSPENDED"}, Description: "The status entered."},
			{Name: "changed_at", Kind: DateTime, Description: "When the status changed."},
		},
	}

	OrganizationStatus = &Class{
		Name:        "OrganizationStatus",
		Description: "An organization's current status and its history.",
		Properties: []*Property{
			{Name: "current_status", Kind: String, Enum: []string{"ACTIVE", "SUSPENDED"}, Description: "ACTIVE or SUSPENDED."},
			{Name: "status_history", Kind: Object, Class: StatusChange, Many: true, Description: "Every status change, oldest first."},
		},
	}

	User = &Class{
		Name:        "User",
		Description: "A person who uses the API through API keys.",
		Properties: []*Property{
			{Name: "id", Kind: String, Description: "The user's id."},
			{Name: "email", Kind: String, Format: Email, Description: "The user's email address."},
			{Name: "name", Kind: String, Description: "The user's name."},
			{Name: "created_at", Kind: DateTime, Description: "When the user was created."},
		},
		Resource: &Resource{Item: "/api/users/", Operations: []OpKind{Get}},
	}

	Member = &Class{
		Name:        "Member",
		Description: "A user's membership of one organization, with a role.",
		Properties: []*Property{
			{Name: "id", Kind: String, Description: "The membership's id."},
			{Name: "organization", Kind: Reference, Class: nil, Description: "The organization."},
			{Name: "user", Kind: Reference, Class: User, Description: "The member."},
			{Name: "email", Kind: String, Format: Email, Description: "The member's email address."},
			{Name: "name", Kind: String, Description: "The member's name."},
			{Name: "role", Kind: String, Enum: []string{"owner", "admin", "developer", "viewer"}, Description: "The member's role: owner, admin, developer or viewer."},
			{Name: "joined_at", Kind: DateTime, Description: "When the user joined."},
		},
		Resource: &Resource{Item: "/api/members/", Operations: []OpKind{Get}},
	}

	Organization = &Class{
		Name:        "Organization",
		Description: "An organization, with its owners and members.",
		Properties: []*Property{
			{Name: "id", Kind: String, Description: "The organization's id."},
			{Name: "name", Kind: String, Required: true, Writable: true, MinLength: 1, MaxLength: 200, Description: "The organization's name, 1 to 200 characters."},
			{Name: "contact", Kind: Object, Class: Contact, Writable: true, Description: "The contact person."},
			{Name: "phone_number", Kind: String, Format: Phone, Writable: true, MaxLength: 32, Description: "A phone number: digits, spaces and + ( ) . - only."},
			{Name: "address", Kind: Object, Class: Address, Writable: true, Description: "The postal address."},
			{Name: "status", Kind: Object, Class: OrganizationStatus, Description: "The status and its history."},
			{Name: "member_count", Kind: Integer, Description: "How many members the organization has."},
			{Name: "current_user_role", Kind: String, Enum: []string{"owner", "admin", "developer", "viewer"}, Description: "The caller's role in this organization."},
			{Name: "mode", Kind: String, Enum: []string{"live", "test"}, Description: "live or test: the mode of the key that created it."},
			{Name: "created_at", Kind: DateTime, Description: "When the organization was created."},
			{Name: "updated_at", Kind: DateTime, Description: "When the organization was last changed."},
			{Name: "owners", Kind: Object, Class: Member, Many: true, Description: "The owners, at most 10 (member_count counts everyone)."},
			{Name: "members", Kind: Object, Class: Member, Many: true, Description: "The members, owners included, at most 10 (member_count counts everyone)."},
		},
		Resource: &Resource{
			Collection: "/api/organizations",
			Item:       "/api/organizations/",
			Operations: []OpKind{GetCollection, Post, Get, Patch, Delete},
			Filters:    []Filter{{Variable: "name", Property: "name", Partial: true}},
			Orderable:  []string{"id", "name", "created_at"},
		},
	}
)

// EmbedLimit bounds the owners[] and members[] embedded in an organization.
const EmbedLimit = 10

// API is Orgraph's registry.
var API = func() *Registry {
	Member.Properties[1].Class = Organization // declared after Member
	return NewRegistry("Orgraph",
		"Organizations, their owners and members, as Hydra resources.",
		Organization, Member, User, Contact, Address, OrganizationStatus, StatusChange,
		Error, ConstraintViolation, ConstraintViolationList)
}()
