package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/store"
)

// waitFor polls cond (the committer's queue is not observable otherwise).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Writers that wait while another holds the transaction commit with it, in
// one batch: each keeps its own outcome. A writer that fails (an error, a
// unique constraint, a panic) is rolled back alone; one that gives up while
// queued never runs; every success is visible when its Tx returns.
func TestGroupCommitKeepsEachWritersOutcome(t *testing.T) {
	db := open(t, sqliteDSN(t))
	ctx := context.Background()
	create := func(tx *ent.Tx, email string) error {
		return tx.User.Create().SetEmail(email).Exec(ctx)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	before := db.Changes()
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- db.Tx(ctx, func(tx *ent.Tx) error {
			if err := create(tx, "holder@example.com"); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding

	const writers = 20
	type result struct {
		err      error
		panicked any
		visible  bool
	}
	results := make([]result, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { results[i].panicked = recover() }()
			email := fmt.Sprintf("w%02d@example.com", i)
			results[i].err = db.Tx(ctx, func(tx *ent.Tx) error {
				switch i % 4 {
				case 1:
					if err := create(tx, email); err != nil {
						return err
					}
					return errors.New("refused")
				case 2:
					return create(tx, "holder@example.com") // taken: a constraint error
				case 3:
					if err := create(tx, email); err != nil {
						return err
					}
					panic("boom")
				}
				return create(tx, email)
			})
			results[i].visible = db.User.Query().Where(user.Email(email)).ExistX(ctx)
		}()
	}
	waitFor(t, "20 queued writers", func() bool { return db.QueuedWrites() == writers })

	// One more gives up while queued: its function never runs.
	giveUp, cancel := context.WithCancel(ctx)
	ran := false
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- db.Tx(giveUp, func(tx *ent.Tx) error { ran = true; return nil }) }()
	waitFor(t, "the 21st writer", func() bool { return db.QueuedWrites() == writers+1 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("a writer that gave up: %v, want context.Canceled", err)
	}

	close(release)
	if err := <-holderDone; err != nil {
		t.Fatalf("holder: %v", err)
	}
	wg.Wait()
	if ran {
		t.Error("the writer that gave up ran")
	}
	if n := db.Changes() - before; n != 1 {
		t.Errorf("%d commits for the holder and %d writers, want 1 (one batch)", n, writers)
	}
	for i, r := range results {
		switch i % 4 {
		case 0:
			if r.err != nil || r.panicked != nil || !r.visible {
				t.Errorf("writer %d: %v, panic %v, visible %v; want committed", i, r.err, r.panicked, r.visible)
			}
		case 1:
			if r.err == nil || r.err.Error() != "refused" || r.visible {
				t.Errorf("writer %d: %v, visible %v; want its own error and nothing written", i, r.err, r.visible)
			}
		case 2:
			if !ent.IsConstraintError(r.err) {
				t.Errorf("writer %d: %v, want a constraint error", i, r.err)
			}
		case 3:
			if r.panicked != "boom" || r.visible {
				t.Errorf("writer %d: panic %v, visible %v; want its panic and nothing written", i, r.panicked, r.visible)
			}
		}
	}
	if n := db.User.Query().CountX(ctx); n != 1+writers/4 {
		t.Errorf("%d users, want %d (the holder and the committed writers)", n, 1+writers/4)
	}
}

// Close answers the writers still waiting and lets the running batch end.
func TestGroupCommitClose(t *testing.T) {
	db, err := store.Open(context.Background(), sqliteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	holding, release := make(chan struct{}), make(chan struct{})
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- db.Tx(ctx, func(tx *ent.Tx) error {
			close(holding)
			<-release
			return tx.User.Create().SetEmail("holder@example.com").Exec(ctx)
		})
	}()
	<-holding
	queued := make(chan error, 1)
	go func() { queued <- db.Tx(ctx, func(tx *ent.Tx) error { return nil }) }()
	waitFor(t, "a queued writer", func() bool { return db.QueuedWrites() == 1 })
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	if err := <-queued; err == nil || err.Error() != "database closed" {
		t.Errorf("a writer queued at Close: %v", err)
	}
	close(release)
	if err := <-holderDone; err != nil {
		t.Errorf("the running writer: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := db.Tx(ctx, func(tx *ent.Tx) error { return nil }); err == nil || err.Error() != "database closed" {
		t.Errorf("a writer after Close: %v", err)
	}
}

// The events of a batch are inserted once, before its commit: a writer's
// events commit with it, in the writers' order, and a writer that fails
// takes its events back with its savepoint.
func TestGroupCommitAppendsEachWritersEvents(t *testing.T) {
	db := open(t, sqliteDSN(t))
	ctx := context.Background()
	appendEvent := func(tx *ent.Tx, typ string) error {
		return db.AppendEvent(ctx, tx, tx.Event.Create().SetType(typ).SetMode(event.ModeLive).
			SetActorType(event.ActorTypeSystem).SetCreatedAt(time.Now()), func() []byte { return []byte(`{"type":"` + typ + `"}`) })
	}
	holding, release := make(chan struct{}), make(chan struct{})
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- db.Tx(ctx, func(tx *ent.Tx) error {
			if err := appendEvent(tx, "holder"); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	// Two writers queue behind the holder, so all three share a batch: one
	// succeeds, one fails after appending.
	errs := make(chan error, 2)
	for _, w := range []struct {
		typ  string
		fail bool
	}{{"kept", false}, {"dropped", true}} {
		go func() {
			errs <- db.Tx(ctx, func(tx *ent.Tx) error {
				if err := appendEvent(tx, w.typ); err != nil {
					return err
				}
				if w.fail {
					return errors.New("the writer fails after appending")
				}
				return nil
			})
		}()
	}
	time.Sleep(50 * time.Millisecond) // both queued behind the holder
	close(release)
	if err := <-holderDone; err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 2 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d writers failed, want 1", failed)
	}
	evs, err := db.Event.Query().Order(event.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	if len(types) != 2 || types[0] != "holder" || types[1] != "kept" || evs[0].ID >= evs[1].ID {
		t.Errorf("events after the batch: %v (ids %v), want [holder kept] in order", types, evs)
	}
	// Each event's data is what its renderer made, after its writer's turn.
	for _, ev := range evs {
		if want := `{"type":"` + ev.Type + `"}`; ev.Data != want {
			t.Errorf("event %s: data %s, want %s", ev.Type, ev.Data, want)
		}
	}
}
