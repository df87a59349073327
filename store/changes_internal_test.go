package store

import (
	"testing"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/workspace"
)

// Mutations of edges name rows of another type, whose organization the
// writer's locks do not tell: they change everything. (No handler makes one,
// and the schema's required organization_id makes such a write fail, so this
// reads the mutations without running them.)
func TestChangesOfEdgesChangeEverything(t *testing.T) {
	c := ent.NewClient()
	x, other := uuid.New(), uuid.New()
	for what, m := range map[string]ent.Mutation{
		"an organization's new role":        c.Organization.UpdateOneID(x).AddRoleIDs(other).Mutation(),
		"an organization's members cleared": c.Organization.UpdateOneID(x).ClearMembers().Mutation(),
		"a new organization with a member":  c.Organization.Create().SetID(x).AddMemberIDs(other).Mutation(),
	} {
		w := &writeChanges{locked: []uuid.UUID{x}}
		w.record(m)
		if !w.wide {
			t.Errorf("%s: changes %v only", what, w.orgs)
		}
	}
	w := &writeChanges{locked: []uuid.UUID{x}}
	w.record(c.Organization.UpdateOneID(x).SetName("X").Mutation())
	if w.wide || len(w.orgs) != 1 || w.orgs[0] != x {
		t.Errorf("a rename: wide %v, organizations %v", w.wide, w.orgs)
	}
}

// The change log reads every organization-owned row's organization from
// one column name.
func TestOwnedTablesShareTheOwnerColumn(t *testing.T) {
	for typ, column := range map[string]string{
		ent.TypeMember: member.FieldOrganizationID, ent.TypeRole: role.FieldOrganizationID,
		ent.TypeWorkspace: workspace.FieldOrganizationID, ent.TypeInvitation: invitation.FieldOrganizationID,
	} {
		if column != ownerColumn || ownedTables[typ] == "" {
			t.Errorf("%s: owner column %q, table %q", typ, column, ownedTables[typ])
		}
	}
}
