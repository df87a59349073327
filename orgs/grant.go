package orgs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
)

// Grant is a role as the rules read it: its slug, which messages name, and
// the permissions it holds, which the rules ask for. Every rule asks
// whether a grant holds a permission (can) or another grant's permissions
// (covers), never what the role is called; ownership alone is a role
// (the last-owner rule counts the owners).
type Grant struct {
	Role  string
	Perms []schema.Permission
}

// can is Forbidden unless the grant holds the permission. The reason
// names the role, the permission it lacks and the default roles that hold
// it, so that the caller knows whom to ask.
func (g Grant) can(perm schema.Permission) error {
	if schema.Holds(g.Perms, perm) {
		return nil
	}
	return &Forbidden{Reason: fmt.Sprintf("Your role (%s) lacks the %q permission%s.", g.Role, perm, heldBy(perm))}
}

// covers is Forbidden unless the grant holds every permission of other:
// nobody grants, assigns or manages a role with a permission they lack.
func (g Grant) covers(other Grant, doing string) error {
	lacking := schema.Lacking(g.Perms, other.Perms)
	if len(lacking) == 0 {
		return nil
	}
	names := make([]string, len(lacking))
	for i, p := range lacking {
		names[i] = string(p)
	}
	return &Forbidden{Reason: fmt.Sprintf("You cannot %s: the %s role holds %s, which your role (%s) lacks; nobody gives or manages a permission they do not hold.",
		doing, other.Role, strings.Join(names, ", "), g.Role)}
}

// heldBy names the default roles that hold a permission, most powerful
// first: ", which the owner and admin roles hold".
func heldBy(perm schema.Permission) string {
	roles := schema.RolesWith(perm)
	switch n := len(roles); n {
	case 0:
		return ""
	case 1:
		return ", which only the " + roles[0] + " role holds"
	default:
		return ", which the " + strings.Join(roles[:n-1], ", ") + " and " + roles[n-1] + " roles hold"
	}
}

// roleBook holds an organization's custom roles' permissions by slug; the
// default roles' are the code's (schema.RolePermissions). A standing and a
// scope carry their organization's, read with them, so that the rules
// they answer need no database.
type roleBook map[string][]schema.Permission

// grant is the role of a slug. A slug the organization has no role of
// holds the base permissions alone: deleting a role moves its members and
// invitations to a replacement under the organization's lock, so that
// only a row written outside the API can name none.
func (b roleBook) grant(slug string) Grant {
	if perms, ok := schema.RolePermissions[slug]; ok {
		return Grant{Role: slug, Perms: perms}
	}
	if perms, ok := b[slug]; ok {
		return Grant{Role: slug, Perms: perms}
	}
	return Grant{Role: slug, Perms: schema.BasePermissions}
}

// has says whether the organization has a role of that slug.
func (b roleBook) has(slug string) bool {
	_, ok := b[slug]
	return ok || schema.IsDefaultRole(slug)
}

// slugs are the organization's roles' slugs, the defaults first, for a
// message.
func (b roleBook) slugs() []string {
	out := append([]string{}, schema.Roles...)
	var custom []string
	for slug := range b {
		custom = append(custom, slug)
	}
	slices.Sort(custom)
	return append(out, custom...)
}

// MaxCustomRoles bounds an organization's custom roles, so that a
// standing (which reads them all) stays one small read.
const MaxCustomRoles = 50

// readRoleBook reads an organization's custom roles.
func readRoleBook(ctx context.Context, client *ent.Client, orgID uuid.UUID) (roleBook, error) {
	roles, err := client.Role.Query().Where(role.OrganizationID(orgID), role.PermissionsNotNil()).
		Select(role.FieldSlug, role.FieldPermissions).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the organization's custom roles: %w", err)
	}
	book := make(roleBook, len(roles))
	for _, r := range roles {
		book[r.Slug] = schema.Normalize(r.Permissions)
	}
	return book, nil
}

// roleChoice is the grant of a role someone is given (path: where the
// slug came from), or a violation when the organization has no such role.
func (b roleBook) roleChoice(slug, path string) (Grant, error) {
	if !b.has(slug) {
		quoted := b.slugs()
		for i, s := range quoted {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		return Grant{}, violation(path, fmt.Sprintf("This organization has no role %q. Its roles: %s.", slug, strings.Join(quoted, ", ")), RuleNoSuchChoice)
	}
	return b.grant(slug), nil
}

// rolesHolding selects, for a membership table m, the predicate that its
// role holds a permission: a default role that does, or a custom role of
// its organization whose permissions list it.
func rolesHolding(m *entsql.SelectTable, perm schema.Permission) *entsql.Predicate {
	r := entsql.Table(role.Table).As("holding_role")
	custom := entsql.Select(r.C(role.FieldID)).From(r).Where(entsql.And(
		entsql.ColumnsEQ(r.C(role.FieldOrganizationID), m.C(member.FieldOrganizationID)),
		entsql.ColumnsEQ(r.C(role.FieldSlug), m.C(member.FieldRole)),
		sqljson.ValueContains(r.C(role.FieldPermissions), string(perm)),
	))
	return entsql.Or(entsql.In(m.C(member.FieldRole), anySlice(schema.RolesWith(perm))...), entsql.Exists(custom))
}

// GrantIn is a role of an organization as the rules read it (the zero
// Grant for "", no member): a default role's from the code, a custom
// role's from the database.
func (s *Service) GrantIn(ctx context.Context, orgID uuid.UUID, slug string) (Grant, error) {
	return grantIn(ctx, s.client, orgID, slug)
}

// GrantOf is GrantIn of the scope's organization, read in its transaction.
func (sc *Scope) GrantOf(ctx context.Context, slug string) (Grant, error) {
	return grantIn(ctx, sc.tx.Client(), sc.Org.ID, slug)
}

func grantIn(ctx context.Context, client *ent.Client, orgID uuid.UUID, slug string) (Grant, error) {
	if slug == "" {
		return Grant{}, nil
	}
	if schema.IsDefaultRole(slug) {
		return roleBook{}.grant(slug), nil
	}
	book, err := readRoleBook(ctx, client, orgID)
	if err != nil {
		return Grant{}, err
	}
	return book.grant(slug), nil
}
