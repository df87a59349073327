package schema_test

import (
	"slices"
	"testing"

	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/migrate"
	"github.com/orgraph/orgraph/ent/schema"
)

// Every table with an organization (an OwnerField column) belongs to a type
// listed by ent.OrganizationOwnedTables, which code generation derives from
// OrganizationOwnedMixin: a schema that declares organization_id by hand, or
// generated code that was not regenerated from the template, would leave a
// type out, and the change log and cascade delete would silently skip it.
// Each owned table's organization is a required foreign key to
// organizations that cascades, so deleting an organization cannot leave
// rows of an owned type behind, whatever deletes it.
func TestTablesWithAnOrganizationUseTheMixin(t *testing.T) {
	owned := ent.OrganizationOwnedTables()
	// A floor, not the list: the types that were owned when the mixin came.
	for _, typ := range []string{ent.TypeMember, ent.TypeRole, ent.TypeWorkspace, ent.TypeInvitation} {
		if owned[typ] == "" {
			t.Errorf("%s is not in ent.OrganizationOwnedTables %v: its schema must use schema.OrganizationOwnedMixin (then go generate ./ent)", typ, owned)
		}
	}
	ownedTable := map[string]bool{}
	for _, table := range owned {
		ownedTable[table] = true
	}
	seen := map[string]bool{}
	for _, tb := range migrate.Tables {
		col, ok := tb.Column(schema.OwnerField)
		if !ok {
			continue
		}
		seen[tb.Name] = true
		if !ownedTable[tb.Name] {
			t.Errorf("table %s has %s but its type is not in ent.OrganizationOwnedTables: use schema.OrganizationOwnedMixin instead of declaring the field, then go generate ./ent", tb.Name, schema.OwnerField)
			continue
		}
		// Only the webhook tables may hold rows of no organization: an
		// operator's endpoint hears the whole mode (OrganizationOwnedMixin's
		// Optional).
		if col.Nullable && tb.Name != migrate.WebhookEndpointsTable.Name && tb.Name != migrate.WebhookDeliveriesTable.Name {
			t.Errorf("table %s: %s is nullable", tb.Name, schema.OwnerField)
		}
		i := slices.IndexFunc(tb.ForeignKeys, func(fk *entschema.ForeignKey) bool {
			return len(fk.Columns) == 1 && fk.Columns[0] == col
		})
		switch {
		case i < 0:
			t.Errorf("table %s: %s is not a foreign key", tb.Name, schema.OwnerField)
		case tb.ForeignKeys[i].RefTable != migrate.OrganizationsTable:
			t.Errorf("table %s: %s refers to %s, not organizations", tb.Name, schema.OwnerField, tb.ForeignKeys[i].RefTable.Name)
		case tb.ForeignKeys[i].OnDelete != entschema.Cascade:
			t.Errorf("table %s: deleting an organization does not cascade to it (ON DELETE %s): annotate Organization's edge to the type with entsql.OnDelete(entsql.Cascade)", tb.Name, tb.ForeignKeys[i].OnDelete)
		}
	}
	for typ, table := range owned {
		if !seen[table] {
			t.Errorf("%s: ent.OrganizationOwnedTables names table %q, which has no %s column in ent/migrate", typ, table, schema.OwnerField)
		}
	}
}
