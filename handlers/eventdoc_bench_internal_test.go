package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/orgs"
)

// BenchmarkEventDocument is the document an organization's event carries
// (the organization with its five members, the owner among them), built
// and written as every write's event is (eventDocuments): on SQLite the
// writers render these beside the one writer, so their CPU is taken from
// it (docs/benchmarks.md, 2026-12-05).
func BenchmarkEventDocument(b *testing.B) {
	now := time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC)
	org := &ent.Organization{ID: uuid.New(), Name: "Organization 00042", Mode: organization.ModeLive, Status: organization.StatusACTIVE,
		CreatedAt: now, UpdatedAt: now, Contact: &schema.Contact{Email: "ops00042@orgraph.test"},
		Address: &schema.Address{City: "Lyon", Country: "FR"}, StatusHistory: []schema.StatusChange{{Status: "ACTIVE", ChangedAt: now}}}
	view := orgs.OrganizationView{Organization: org, MemberCount: 5}
	for i, role := range []string{schema.RoleOwner, schema.RoleAdmin, schema.RoleDeveloper, schema.RoleViewer, schema.RoleAdmin} {
		u := &ent.User{ID: uuid.New(), Email: fmt.Sprintf("person%05d@orgraph.test", i), Name: fmt.Sprintf("Person %d", i)}
		m := &ent.Member{ID: uuid.New(), OrganizationID: org.ID, UserID: u.ID, Role: role, Status: member.StatusActive, JoinedAt: now}
		m.Edges.User = u
		view.Members = append(view.Members, m)
	}
	render, err := eventDocuments{}.Prepare(context.Background(), nil, view)
	if err != nil {
		b.Fatal(err)
	}
	doc := render()
	var parsed struct {
		Owners, Members []map[string]any
	}
	if err := json.Unmarshal(doc, &parsed); err != nil || len(parsed.Owners) != 1 || len(parsed.Members) != 5 || parsed.Owners[0]["email"] != "person00000@orgraph.test" {
		b.Fatalf("the document: %v\n%s", err, doc)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		render()
	}
}
