package orgs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
)

// Standing is the caller's place in one organization: their role there
// (empty when they are not a member; an operator's is an owner's, as Enter
// gives it) and whether the organization is active. The rules of who may change an organization's members,
// workspaces and invitations are methods of it, given the item: a write
// checks them on its Scope's standing, read under the lock, and an item's
// document lists the operations that pass them for its reader (Hydra
// affordances), from a standing read in one statement. One function for
// both, so that a document never offers what the write refuses for want of
// permission, nor hides what it allows.
//
// They state permissions and the item's own state (an invitation's
// status), what the reader can see in the document; rules that depend on
// other rows (the last owner, an inviter who lost the power to invite) stay
// in the writes, as violations, and a listed operation may still meet one.
type Standing struct {
	caller Caller
	Role   string
	Active bool
	grant  Grant    // the caller's role's permissions (none for no member)
	book   roleBook // the organization's custom roles
}

// Standing reads the caller's standing in an organization the caller sees
// an item of: one statement, the organization's status with the caller's
// membership and the organization's custom roles joined (a row per custom
// role: at most MaxCustomRoles).
func (s *Service) Standing(ctx context.Context, c Caller, orgID uuid.UUID) (Standing, error) {
	b := entsql.Dialect(s.dialect)
	// Joined tables are aliased: name them first.
	o, m, r := b.Table(organization.Table), b.Table(member.Table).As("m"), b.Table(role.Table).As("r")
	query, args := b.Select(o.C(organization.FieldStatus), m.C(member.FieldRole), r.C(role.FieldSlug), r.C(role.FieldPermissions)).From(o).
		LeftJoin(m).OnP(entsql.And(
		entsql.ColumnsEQ(m.C(member.FieldOrganizationID), o.C(organization.FieldID)),
		entsql.EQ(m.C(member.FieldUserID), c.User.ID),
		activeMembership(m),
	)).
		LeftJoin(r).OnP(entsql.And(
		entsql.ColumnsEQ(r.C(role.FieldOrganizationID), o.C(organization.FieldID)),
		entsql.NotNull(r.C(role.FieldPermissions)),
	)).
		Where(entsql.EQ(o.C(organization.FieldID), orgID)).
		Query()
	rows, err := s.client.QueryContext(ctx, query, args...)
	if err != nil {
		return Standing{}, fmt.Errorf("read the caller's standing: %w", err)
	}
	defer rows.Close()
	st := Standing{caller: c, book: roleBook{}}
	found := false
	for rows.Next() {
		var status string
		var memberRole, slug sql.NullString
		var perms []byte
		if err := rows.Scan(&status, &memberRole, &slug, &perms); err != nil {
			return Standing{}, fmt.Errorf("read the caller's standing: %w", err)
		}
		found = true
		st.Role, st.Active = c.ActingRole(memberRole.String), status != string(organization.StatusSUSPENDED)
		if slug.Valid {
			var list []schema.Permission
			if err := json.Unmarshal(perms, &list); err != nil {
				return Standing{}, fmt.Errorf("read the role %s's permissions: %w", slug.String, err)
			}
			st.book[slug.String] = schema.Normalize(list)
		}
	}
	if err := rows.Err(); err != nil {
		return Standing{}, fmt.Errorf("read the caller's standing: %w", err)
	}
	if found && st.Role != "" {
		st.grant = st.book.grant(st.Role)
	}
	// Not found: gone since the item was read, no standing at all.
	return st, nil
}

// Standing is the caller's standing in the entered organization, as read
// under its lock.
func (sc *Scope) Standing() Standing {
	return Standing{caller: sc.caller, Role: sc.Me.Role, Active: sc.Org.Status != organization.StatusSUSPENDED, grant: sc.grant, book: sc.book}
}

// Operator says whether the standing is an operator key's, which reads
// what only operators read (private metadata).
func (st Standing) Operator() bool { return st.caller.Operator() }

// active is Forbidden when the organization is suspended (see Scope.Active).
func (st Standing) active() error {
	if !st.Active {
		return errSuspended()
	}
	return nil
}
