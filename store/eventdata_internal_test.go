package store

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent"
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
// and unpacking a read of the feed (a page of 30 events).
func BenchmarkPackDocument(b *testing.B) {
	doc := organizationDocument(5)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		packDocument(doc)
	}
	b.ReportMetric(float64(len(packDocument(doc))), "packed-bytes")
}

func BenchmarkUnpackDocuments(b *testing.B) {
	doc := organizationDocument(5)
	packed := string(packDocument(doc))
	page := make([]*ent.Event, 30)
	b.SetBytes(int64(len(doc) * len(page)))
	for b.Loop() {
		for i := range page {
			page[i] = &ent.Event{ID: int64(i), Data: packed}
		}
		if err := unpackDocuments(page); err != nil {
			b.Fatal(err)
		}
	}
}

// A damaged row whose header claims a huge document is refused before
// anything is allocated for it: bad data never costs unbounded memory.
func TestUnpackingACorruptDocumentAllocatesLittle(t *testing.T) {
	events := []*ent.Event{{ID: 7, Data: "\x00\xff\xff\xff\xff\x0f" + "not snappy"}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := unpackDocuments(events)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "event 7") {
		t.Errorf("unpacking a corrupt document: %v; want an error naming the event", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("unpacking a corrupt document allocated %d bytes", n)
	}
}
