package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
)

// On SQLite an event's document is stored compressed, as a blob, and every
// read of events gets it back as rendered: in and out of a transaction,
// and the rows written before documents were packed unchanged. A stored
// document that does not unpack fails the read that meets it.
func TestEventDocumentsAreStoredPackedOnSQLite(t *testing.T) {
	db := open(t, sqliteDSN(t))
	ctx := context.Background()
	// An organization's document with its members: repetitive, as they are.
	var b strings.Builder
	b.WriteString(`{"@context":"/api/contexts/Organization","@type":"Organization","name":"Acme","members":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"@type":"Member","email":"member` + string(rune('a'+i)) + `@example.com","role":"member","status":"active","joined_at":"2026-12-05T16:00:00+00:00"}`)
	}
	b.WriteString(`]}`)
	doc := b.String()
	err := db.Tx(ctx, func(tx *ent.Tx) error {
		return db.AppendEvent(ctx, tx, tx.Event.Create().SetType("organization.updated").SetMode(event.ModeLive).
			SetActorType(event.ActorTypeSystem).SetCreatedAt(time.Now()), func() []byte { return []byte(doc) })
	})
	if err != nil {
		t.Fatal(err)
	}

	var kind string
	var size int
	if err := db.SQL.QueryRowContext(ctx, `SELECT typeof(data), length(data) FROM events WHERE type = 'organization.updated'`).Scan(&kind, &size); err != nil {
		t.Fatal(err)
	}
	if kind != "blob" || size >= len(doc)/2 {
		t.Errorf("the document of %d bytes is stored as a %s of %d bytes, want a blob of less than half", len(doc), kind, size)
	}

	read, err := db.Event.Query().Where(event.TypeEQ("organization.updated")).Only(ctx)
	if err != nil || read.Data != doc {
		t.Fatalf("read back: %v, %v; want the document as rendered", read, err)
	}
	err = db.Tx(ctx, func(tx *ent.Tx) error {
		all, err := tx.Event.Query().All(ctx)
		if err != nil || len(all) != 1 || all[0].Data != doc {
			t.Errorf("read back in a transaction: %v, %v; want the document as rendered", all, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A row as an earlier version wrote it: its document as text.
	const earlier = `{"@type":"Organization","name":"Before"}`
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO events (type, mode, actor_type, data, created_at) VALUES ('organization.created', 'live', 'system', ?, ?)`, earlier, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Event.Query().Where(event.TypeEQ("organization.created")).Only(ctx); err != nil || got.Data != earlier {
		t.Errorf("an earlier row read back: %v, %v; want its document unchanged", got, err)
	}
	// A page that mixes them, with a second packed document: each event
	// gets its own (a page's documents are unpacked together).
	const second = `{"@type":"Member","email":"second@example.com"}`
	err = db.Tx(ctx, func(tx *ent.Tx) error {
		return db.AppendEvent(ctx, tx, tx.Event.Create().SetType("member.added").SetMode(event.ModeLive).
			SetActorType(event.ActorTypeSystem).SetCreatedAt(time.Now()), func() []byte { return []byte(second) })
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := db.Event.Query().Order(event.ByID()).All(ctx)
	if err != nil || len(page) != 3 || page[0].Data != doc || page[1].Data != earlier || page[2].Data != second {
		t.Errorf("a page of packed and earlier documents read back: %v, %v", page, err)
	}

	// A packed document that does not unpack: an error naming the event.
	res, err := db.SQL.ExecContext(ctx, `INSERT INTO events (type, mode, actor_type, data, created_at) VALUES ('organization.deleted', 'live', 'system', x'00ffffffff0f', ?)`, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if got, err := db.Event.Query().Where(event.ID(id)).Only(ctx); err == nil || !strings.Contains(err.Error(), "event") {
		t.Errorf("a broken document read back: %v, %v; want an error naming the event", got, err)
	}
}
