package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/idempotencyrecord"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/store"
)

// The storage side of Idempotency-Key, without HTTP: handlers' suites check
// the problem documents these outcomes become.

var dayLimits = store.IdempotencyLimits{TTL: 24 * time.Hour, Keys: 100}

// claim claims k for fingerprint fp and fails the test on an error.
func claim(t *testing.T, db *store.DB, k store.IdempotencyKey, fp string, now time.Time, limits store.IdempotencyLimits) *store.IdempotencyAnswer {
	t.Helper()
	kept, err := db.ClaimIdempotencyKey(context.Background(), k, fp, now, limits)
	if err != nil {
		t.Fatalf("claim %q: %v", k.Key, err)
	}
	return kept
}

// A claimed key is running until its answer is kept; then the same request
// gets that answer, another request with the key is refused, and the key
// is its owner's alone (per user and mode).
func TestIdempotencyKeyClaimKeepReplay(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		now := testenv.NewClock().Now()
		k := store.IdempotencyKey{UserID: uuid.New(), Mode: "live", Key: "k-1"}

		if kept := claim(t, db, k, "fp", now, dayLimits); kept != nil {
			t.Fatalf("a new key: %+v, want it claimed (nil)", kept)
		}
		if _, err := db.ClaimIdempotencyKey(ctx, k, "fp", now, dayLimits); !errors.Is(err, store.ErrIdempotencyKeyRunning) {
			t.Errorf("while the first request runs: %v, want ErrIdempotencyKeyRunning", err)
		}
		answer := store.IdempotencyAnswer{Status: 201, Header: map[string][]string{"Location": {"/x"}}, Body: []byte(`{"a":1}`)}
		if err := db.KeepIdempotencyAnswer(ctx, k, answer); err != nil {
			t.Fatal(err)
		}
		kept := claim(t, db, k, "fp", now.Add(time.Hour), dayLimits)
		if kept == nil || kept.Status != 201 || string(kept.Body) != `{"a":1}` || !slices.Equal(kept.Header["Location"], []string{"/x"}) {
			t.Errorf("the retry: %+v, want the kept answer %+v", kept, answer)
		}
		if _, err := db.ClaimIdempotencyKey(ctx, k, "other", now, dayLimits); !errors.Is(err, store.ErrIdempotencyKeyReused) {
			t.Errorf("another request with the key: %v, want ErrIdempotencyKeyReused", err)
		}
		for _, other := range []store.IdempotencyKey{{UserID: k.UserID, Mode: "test", Key: k.Key}, {UserID: uuid.New(), Mode: "live", Key: k.Key}} {
			if kept := claim(t, db, other, "other", now, dayLimits); kept != nil {
				t.Errorf("%s in %s mode: %+v, want the key claimed afresh", other.UserID, other.Mode, kept)
			}
		}
	})
}

// A released key, an expired answer and a record abandoned by a request
// that died are claimed afresh, by any request.
func TestIdempotencyKeyClaimedAgain(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		now := testenv.NewClock().Now()
		owner := uuid.New()
		key := func(name string) store.IdempotencyKey {
			return store.IdempotencyKey{UserID: owner, Mode: "live", Key: name}
		}

		claim(t, db, key("released"), "fp", now, dayLimits)
		if err := db.ReleaseIdempotencyKey(ctx, key("released")); err != nil {
			t.Fatal(err)
		}
		if kept := claim(t, db, key("released"), "other", now, dayLimits); kept != nil {
			t.Errorf("a released key: %+v, want it claimed afresh", kept)
		}

		short := store.IdempotencyLimits{TTL: 10 * time.Minute, Keys: 100}
		claim(t, db, key("expiring"), "fp", now, short)
		if err := db.KeepIdempotencyAnswer(ctx, key("expiring"), store.IdempotencyAnswer{Status: 200}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimIdempotencyKey(ctx, key("expiring"), "other", now.Add(short.TTL-time.Second), short); !errors.Is(err, store.ErrIdempotencyKeyReused) {
			t.Errorf("a second before expiry: %v, want ErrIdempotencyKeyReused", err)
		}
		if kept := claim(t, db, key("expiring"), "other", now.Add(short.TTL), short); kept != nil {
			t.Errorf("an expired answer: %+v, want the key claimed afresh", kept)
		}

		claim(t, db, key("abandoned"), "fp", now, dayLimits)
		if _, err := db.ClaimIdempotencyKey(ctx, key("abandoned"), "fp", now.Add(store.AbandonedAfter), dayLimits); !errors.Is(err, store.ErrIdempotencyKeyRunning) {
			t.Errorf("a request running for %s: %v, want ErrIdempotencyKeyRunning", store.AbandonedAfter, err)
		}
		if kept := claim(t, db, key("abandoned"), "fp", now.Add(store.AbandonedAfter+time.Second), dayLimits); kept != nil {
			t.Errorf("an abandoned record: %+v, want the key claimed afresh", kept)
		}
	})
}

// An owner keeps at most Keys records per mode: a new key past the cap
// evicts the oldest record once it is older than the retention, and is
// refused until then with the time left; concurrent new keys cannot share a
// number and slip past the cap.
func TestIdempotencyKeyCap(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		now := testenv.NewClock().Now()
		limits := store.IdempotencyLimits{TTL: 24 * time.Hour, Keys: 5}
		owner := uuid.New()
		key := func(name string) store.IdempotencyKey {
			return store.IdempotencyKey{UserID: owner, Mode: "live", Key: name}
		}
		kept := func() []string {
			keys := db.IdempotencyRecord.Query().Where(idempotencyrecord.UserID(owner)).Select(idempotencyrecord.FieldKey).StringsX(ctx)
			slices.Sort(keys)
			return keys
		}

		errs := make([]error, 20)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				<-start
				_, errs[i] = db.ClaimIdempotencyKey(ctx, key(fmt.Sprintf("burst-%02d", i)), "fp", now, limits)
			})
		}
		close(start)
		wg.Wait()
		claimed := 0
		for i, err := range errs {
			var full *store.IdempotencyCapError
			switch {
			case err == nil:
				claimed++
				if err := db.KeepIdempotencyAnswer(ctx, key(fmt.Sprintf("burst-%02d", i)), store.IdempotencyAnswer{Status: 201}); err != nil {
					t.Fatal(err)
				}
			case errors.As(err, &full):
				if *full != (store.IdempotencyCapError{Keys: 5, Retention: store.IdempotencyMinRetention, RetryAfter: store.IdempotencyMinRetention}) {
					t.Errorf("burst-%02d: %+v", i, *full)
				}
			default:
				t.Errorf("burst-%02d: %v", i, err)
			}
		}
		if got := kept(); claimed != limits.Keys || len(got) != limits.Keys {
			t.Fatalf("%d of 20 new keys claimed, %d kept (%v); want the cap, %d", claimed, len(got), got, limits.Keys)
		}

		// At the cap, a kept key is still replayed.
		if answer := claim(t, db, key(kept()[0]), "fp", now, limits); answer == nil || answer.Status != 201 {
			t.Errorf("a kept key at the cap: %+v, want its answer", answer)
		}
		var full *store.IdempotencyCapError
		if _, err := db.ClaimIdempotencyKey(ctx, key("late"), "fp", now.Add(store.IdempotencyMinRetention-time.Second), limits); !errors.As(err, &full) || full.RetryAfter != time.Second {
			t.Errorf("a second before the oldest may go: %v, want an IdempotencyCapError with RetryAfter 1s", err)
		}
		before := kept()
		if answer := claim(t, db, key("late"), "fp", now.Add(store.IdempotencyMinRetention), limits); answer != nil {
			t.Fatalf("once the oldest may go: %+v, want the key claimed", answer)
		}
		after := kept()
		if len(after) != limits.Keys || !slices.Contains(after, "late") {
			t.Errorf("records after one eviction: %v (before: %v)", after, before)
		}

		// The retention is the TTL when that is shorter.
		if got := (store.IdempotencyLimits{TTL: time.Minute, Keys: 5}).Retention(); got != time.Minute {
			t.Errorf("Retention with a one-minute TTL: %s", got)
		}
	})
}

// A purge deletes at most limit expired records, the longest expired
// first, and says when its batch was full.
func TestPurgeExpiredIdempotencyKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		now := testenv.NewClock().Now()
		owner := uuid.New()
		for i, expires := range []time.Duration{-5 * time.Hour, -4 * time.Hour, -3 * time.Hour, -2 * time.Hour, -time.Hour, time.Hour, 2 * time.Hour} {
			db.IdempotencyRecord.Create().SetUserID(owner).SetMode(idempotencyrecord.ModeLive).SetKey(fmt.Sprint(i)).SetFingerprint("x").
				SetStatus(201).SetCreatedAt(now.Add(expires - 24*time.Hour)).SetExpiresAt(now.Add(expires)).ExecX(ctx)
		}
		for _, want := range []struct {
			purged int
			more   bool
			left   []string
		}{
			{3, true, []string{"3", "4", "5", "6"}},
			{2, false, []string{"5", "6"}},
			{0, false, []string{"5", "6"}},
		} {
			purged, more, err := db.PurgeExpiredIdempotencyKeys(ctx, now, 3)
			left := db.IdempotencyRecord.Query().Select(idempotencyrecord.FieldKey).StringsX(ctx)
			slices.Sort(left)
			if err != nil || purged != want.purged || more != want.more || !slices.Equal(left, want.left) {
				t.Errorf("purge: %d more=%v %v, left %v; want %d more=%v, left %v", purged, more, err, left, want.purged, want.more, want.left)
			}
		}
	})
}
