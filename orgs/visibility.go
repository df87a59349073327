package orgs

import (
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/predicate"
)

// Who may see what: an organization exists for a caller who belongs to it
// and acts in its mode; its rows (members, roles, workspaces, invitations)
// exist for whoever sees the organization. Everything else is ErrNotFound,
// never Forbidden. A deactivated membership lets its user see nothing: they
// are a stranger to the organization until it is reactivated.

// callerMembership is the visibility rule as SQL: the caller belongs to the
// organization whose id is in s's orgColumn (and, withMode, it is of the
// caller's mode). A correlated subquery, one probe of the (organization_id,
// user_id) index per row: ent's Has…With writes "IN (SELECT organization_id
// FROM members WHERE user_id = ?)", which SQLite materializes first, every
// membership of the caller on every request (1 ms for a member of 10,000).
//
// On SQLite it is written "(SELECT count(*) …) > 0" rather than EXISTS,
// which means the same here (the index is unique): SQLite plans a query
// with EXISTS as a join, which marks its parameters as ones a new value
// may re-plan, and go-sqlite3 clears a cached statement's bindings before
// each run, which re-plans such a statement every time (a lookup by id
// took twice as long; docs/benchmarks.md has the figures).
//
// An operator sees every organization of its mode as its owners do: the
// subquery then asks only that the organization is of the caller's mode.
func callerMembership(c Caller, s *entsql.Selector, orgColumn string, withMode bool) *entsql.Predicate {
	var sub *entsql.Selector
	if c.Operator() {
		o := entsql.Table(organization.Table).As("caller_organization")
		sub = entsql.Select(o.C(organization.FieldID)).From(o).Where(entsql.And(
			entsql.ColumnsEQ(o.C(organization.FieldID), orgColumn),
			entsql.EQ(o.C(organization.FieldMode), c.Mode),
		))
	} else {
		m := entsql.Table(member.Table).As("caller_membership")
		sub = entsql.Select(m.C(member.FieldID)).From(m)
		where := []*entsql.Predicate{
			entsql.ColumnsEQ(m.C(member.FieldOrganizationID), orgColumn),
			entsql.EQ(m.C(member.FieldUserID), c.User.ID),
			activeMembership(m),
		}
		if withMode {
			o := entsql.Table(organization.Table).As("caller_organization")
			sub.Join(o).On(o.C(organization.FieldID), m.C(member.FieldOrganizationID))
			where = append(where, entsql.EQ(o.C(organization.FieldMode), c.Mode))
		}
		sub.Where(entsql.And(where...))
	}
	if s.Dialect() != dialect.SQLite {
		return entsql.Exists(sub) // PostgreSQL plans it as a semi-join
	}
	sub.Select(entsql.Count("*"))
	return entsql.P(func(b *entsql.Builder) {
		b.Wrap(func(b *entsql.Builder) { b.Join(sub) })
		b.WriteString(" > 0")
	})
}

// activeMembership is "status = 'active'" of a membership table, with the
// value written in the statement rather than bound: so the planner knows
// it may answer from the index of active memberships (ent/schema/member.go).
func activeMembership(m *entsql.SelectTable) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) {
		b.WriteString(m.C(member.FieldStatus)).WriteString(" = '").WriteString(member.StatusActive.String()).WriteString("'")
	})
}

// visibleThrough is the visibility rule for a row of another table that
// belongs to an organization: its organization_id names one the caller sees.
func visibleThrough(c Caller) func(*entsql.Selector) {
	return func(s *entsql.Selector) { s.Where(callerMembership(c, s, s.C(member.FieldOrganizationID), true)) }
}

// visibleOrganizations are the organizations of the caller's mode that the
// caller belongs to (an operator: all of them).
func visibleOrganizations(c Caller) predicate.Organization {
	if c.Operator() {
		return organization.ModeEQ(organization.Mode(c.Mode))
	}
	return organization.And(
		organization.ModeEQ(organization.Mode(c.Mode)),
		func(s *entsql.Selector) { s.Where(callerMembership(c, s, s.C(organization.FieldID), false)) },
	)
}

// visibleInvitations are those of the caller's organizations, and those
// addressed to the caller's email in the caller's mode (so that an invitee
// can find and accept them).
func visibleInvitations(c Caller) predicate.Invitation {
	return invitation.Or(
		visibleThrough(c),
		invitation.And(invitation.Email(c.User.Email), invitation.HasOrganizationWith(organization.ModeEQ(organization.Mode(c.Mode)))),
	)
}
