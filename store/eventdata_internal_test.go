package store

import (
	"fmt"
	"strings"
	"testing"
)

// organizationDocument is an organization's document as an event carries
// it, with n members embedded (as owners too, for the first): about 2.9 KB
// for five.
func organizationDocument(n int) []byte {
	var members []string
	for i := range n {
		members = append(members, fmt.Sprintf(`{"@id":"/api/members/01a246d6-2056-70ad-abf5-6523637a1d%02d","@type":"Member","id":"01a246d6-2056-70ad-abf5-6523637a1d%02d","organization":"/api/organizations/01a246d6-2053-7ccf-8157-78062b182d89","user":"/api/users/01a246d6-2053-781d-a163-05f0a4c93b%02d","email":"member%d@example.com","name":"Member %d","role":"member","status":"active","joined_at":"2026-12-05T15:32:47+00:00"}`, i, i, i, i, i))
	}
	return []byte(`{"@context":"/api/contexts/Organization","@id":"/api/organizations/01a246d6-2053-7ccf-8157-78062b182d89","@type":"Organization","id":"01a246d6-2053-7ccf-8157-78062b182d89","name":"Acme","status":{"@type":"OrganizationStatus","current_status":"ACTIVE","status_history":[{"@type":"StatusChange","status":"ACTIVE","changed_at":"2026-12-05T15:32:47+00:00"}]},"member_count":5,"mode":"live","created_at":"2026-12-05T15:32:47+00:00","updated_at":"2026-12-05T15:32:47+00:00","owners":[` + members[0] + `],"members":[` + strings.Join(members, ",") + `]}`)
}

// What packing costs a write (on the writer's goroutine, after its turn)
// and unpacking a read of the feed (once an event a page).
func BenchmarkPackDocument(b *testing.B) {
	doc := organizationDocument(5)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		packDocument(doc)
	}
	b.ReportMetric(float64(len(packDocument(doc))), "packed-bytes")
}

func BenchmarkUnpackDocument(b *testing.B) {
	doc := organizationDocument(5)
	packed := string(packDocument(doc))
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := unpackDocument(packed); err != nil {
			b.Fatal(err)
		}
	}
}
