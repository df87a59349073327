package store

import (
	"slices"
	"testing"

	entschema "entgo.io/ent/dialect/sql/schema"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/migrate"
	"github.com/orgraph/orgraph/ent/schema"
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
// one column, schema.OwnerField, of the table ownedTables names: each owned
// table must have it, as a column of the database schema (verify selects it).
func TestOwnedTablesShareTheOwnerColumn(t *testing.T) {
	if len(ownedTables) == 0 {
		t.Fatal("no organization-owned tables: the change log would read every owned row as a change of everything")
	}
	for typ, table := range ownedTables {
		i := slices.IndexFunc(migrate.Tables, func(tb *entschema.Table) bool { return tb.Name == table })
		if i < 0 {
			t.Errorf("%s: no table %q in ent/migrate", typ, table)
			continue
		}
		if _, ok := migrate.Tables[i].Column(schema.OwnerField); !ok {
			t.Errorf("%s: table %s has no %s column", typ, table, schema.OwnerField)
		}
	}
}
