package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/internal/testenv"
)

// An event's insert is held back until the commit (pipeline.go), so its id
// is known only then; the follower must still know it as this process's
// own and not count its organization changed a second time (replicas.go).
func TestHeldBackEventsAreKnownAsOwn(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testenv.PostgresDSN(t, "orgraph_pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// The follower's state as FollowReplicas makes it, read by hand.
	f := &db.follow
	f.db, f.log = db, func(msg string, err error) { t.Errorf("%s: %v", msg, err) }
	f.pending, f.own = map[int64]bool{}, map[int64]time.Time{}
	f.readOnce()

	org := uuid.New()
	if err := db.Tx(ctx, func(tx *ent.Tx) error {
		e := tx.Event.Create().SetType("organization.updated").SetMode(event.ModeLive).
			SetOrganization(org).SetActorType(event.ActorTypeSystem).SetCreatedAt(time.Now())
		return db.AppendEvent(ctx, tx, e, func() []byte { return []byte(`{}`) })
	}); err != nil {
		t.Fatal(err)
	}
	committed := db.Changes()
	f.readOnce()
	if db.Changes() != committed || db.OrganizationChangedSince(org, committed) {
		t.Error("the follower counted this process's own event as another replica's")
	}
	if len(f.own) != 0 {
		t.Errorf("ids noted as own and never read: %v", f.own)
	}
}
