package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/idempotencyrecord"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/ratelimit"
)

// What the idempotency table keeps: only the answers a retry must see again
// (successes), at most Config.IdempotencyKeys of them per key owner and mode,
// and expired ones purged a bounded batch at a time.

// idemKeyed sends a write with an Idempotency-Key.
func idemKeyed(e *env, method, path, key, idem, body string, header ...string) *response {
	e.t.Helper()
	h := map[string]string{"Idempotency-Key": idem}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	return e.do(req{Method: method, Path: path, Key: key, Body: body, Header: h})
}

// idemRecords counts the records of one user (by email) in one mode.
func idemRecords(t *testing.T, e *env, email, mode string) int {
	t.Helper()
	n, err := e.db.IdempotencyRecord.Query().Where(
		idempotencyrecord.UserID(pmUser(t, e, email).ID), idempotencyrecord.ModeEQ(idempotencyrecord.Mode(mode))).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// idemReplayOf checks that r replays first byte for byte.
func idemReplayOf(t *testing.T, what string, r, first *response) {
	t.Helper()
	if r.Status != first.Status || string(r.Body) != string(first.Body) || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("%s: %d replayed=%q\n%s\nwant the replay of %d\n%s", what, r.Status, r.Header.Get("Idempotent-Replayed"), r.Body, first.Status, first.Body)
	}
}

// idemFresh checks that r ran (it is no replay) with the given status.
func idemFresh(t *testing.T, what string, r *response, status int) {
	t.Helper()
	if r.Status != status || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("%s: %d replayed=%q, want a fresh %d\n%s", what, r.Status, r.Header.Get("Idempotent-Replayed"), status, r.Body)
	}
}

// A refused request (4xx) changed nothing, so its answer is not kept: its
// retry runs again, may now succeed, and the key may carry a corrected
// request. Successes are still replayed byte for byte.
func TestIdempotencyKeepsOnlySuccesses(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme") // ada owner, bob admin, dave developer, vic viewer
		ada, vic := o.keys["ada"], o.keys["vic"]
		workspace := fmt.Sprintf(`{"organization":%q,"name":"Design"}`, o.iri)

		refusals := []struct {
			what, method, path, key, body string
			header                        []string
			status                        int
		}{
			{"malformed JSON", http.MethodPost, "/api/organizations", ada, `{"name":`, nil, http.StatusBadRequest},
			{"unsupported media type", http.MethodPost, "/api/organizations", ada, `{"name":"X"}`, []string{"Content-Type", "text/plain"}, http.StatusUnsupportedMediaType},
			{"unacceptable format", http.MethodPost, "/api/organizations", ada, `{"name":"X"}`, []string{"Accept", "text/csv"}, http.StatusNotAcceptable},
			{"failed validation", http.MethodPost, "/api/organizations", ada, `{"name":""}`, nil, http.StatusUnprocessableEntity},
			{"no permission", http.MethodPost, "/api/workspaces", vic, workspace, nil, http.StatusForbidden},
			{"no such organization", http.MethodPatch, "/api/organizations/" + uuid.NewString(), ada, `{"name":"X"}`, nil, http.StatusNotFound},
			{"stale If-Match", http.MethodPatch, o.iri, ada, `{"name":"X"}`, []string{"If-Match", `"stale"`}, http.StatusPreconditionFailed},
			{"the only owner leaves", http.MethodDelete, o.members["ada"], ada, "", nil, http.StatusUnprocessableEntity},
		}
		before := pmSnapshot(t, e)
		for i, c := range refusals {
			idem := fmt.Sprintf("refused-%d", i)
			for attempt := 1; attempt <= 2; attempt++ {
				r := idemKeyed(e, c.method, c.path, c.key, idem, c.body, c.header...)
				idemFresh(t, fmt.Sprintf("%s, attempt %d", c.what, attempt), r, c.status)
			}
		}
		pmUnchanged(t, e, "refused requests", before)
		for _, who := range []string{"ada", "vic"} {
			if n := idemRecords(t, e, who+"@example.com", "live"); n != 0 {
				t.Errorf("%d idempotency records of %s after refused requests only, want 0", n, who)
			}
		}

		// The cause of a refusal goes away: the retry with the same key runs
		// and succeeds, and from then on it is replayed.
		if r := idemKeyed(e, http.MethodPatch, o.members["vic"], ada, "promote", `{"role":"developer"}`); r.Status != http.StatusOK {
			t.Fatalf("promote vic: %d %s", r.Status, r.Body)
		}
		created := idemKeyed(e, http.MethodPost, "/api/workspaces", vic, "refused-4", workspace)
		idemFresh(t, "the 403's retry once vic may create workspaces", created, http.StatusCreated)
		idemReplayOf(t, "its retry", idemKeyed(e, http.MethodPost, "/api/workspaces", vic, "refused-4", workspace), created)

		// A key whose request was refused may carry a corrected request.
		fixed := idemKeyed(e, http.MethodPost, "/api/organizations", ada, "refused-3", `{"name":"Fixed"}`)
		idemFresh(t, "the failed validation's key with a valid body", fixed, http.StatusCreated)
		idemReplayOf(t, "its retry", idemKeyed(e, http.MethodPost, "/api/organizations", ada, "refused-3", `{"name":"Fixed"}`), fixed)
		if r := idemKeyed(e, http.MethodPost, "/api/organizations", ada, "refused-3", `{"name":""}`); r.Status != http.StatusUnprocessableEntity ||
			r.obj()["detail"] != "This Idempotency-Key was used for another request: the method, path or body differ." {
			t.Errorf("the first body again once the key is used: %d %s", r.Status, r.Body)
		}
		if n := idemRecords(t, e, "ada@example.com", "live"); n != 2 { // "promote" and "refused-3"
			t.Errorf("%d records of ada, want the 2 successes", n)
		}
	})
}

// The default cap is above what one API key may send at the default rate
// limit within the minimum retention, so such a key never meets the 429.
func TestIdempotencyDefaultCapFitsTheRateLimit(t *testing.T) {
	if most := ratelimit.DefaultQuota * int(handlers.IdempotencyMinRetention/ratelimit.DefaultWindow); handlers.DefaultIdempotencyKeys < most {
		t.Errorf("DefaultIdempotencyKeys = %d, below the %d keyed writes one key may send in %s", handlers.DefaultIdempotencyKeys, most, handlers.IdempotencyMinRetention)
	}
}

// An owner keeps at most Config.IdempotencyKeys answers per mode: a burst of
// new keys past it is refused with a 429 (the requests did not run) while
// every kept answer is younger than the minimum retention; later, a new key
// evicts the oldest answer, and a retry of the evicted key runs again.
func TestIdempotencyCap(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const limit = 5
		ctx := context.Background()
		clock := testenv.NewClock()
		srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			Limiter: unlimited, IdempotencyKeys: limit, Now: clock.Now}))
		t.Cleanup(srv.Close)
		capped := &env{t: t, db: e.db, srv: srv}
		ada := e.key("ada@example.com", "live", "write")
		post := func(idem, name string) *response {
			t.Helper()
			return idemKeyed(capped, http.MethodPost, "/api/organizations", ada, idem, fmt.Sprintf(`{"name":%q}`, name))
		}
		named := func(name string) int {
			return e.db.Organization.Query().Where(organization.Name(name)).CountX(ctx)
		}
		keptKeys := func() []string {
			t.Helper()
			recs, err := e.db.IdempotencyRecord.Query().Where(idempotencyrecord.UserID(pmUser(t, e, "ada@example.com").ID),
				idempotencyrecord.ModeEQ(idempotencyrecord.ModeLive)).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]string, len(recs))
			for i, r := range recs {
				keys[i] = r.Key
			}
			slices.Sort(keys)
			return keys
		}
		retention := int(handlers.IdempotencyMinRetention / time.Second)
		full := func(retry int) map[string]any {
			return erErrorDoc(true, http.StatusTooManyRequests, fmt.Sprintf("Too many new Idempotency-Keys: the answers to at most %d keys are kept per user and mode, and those of this user in live mode are all younger than 10 minutes, the least time an answer is kept. This request did not run: send it again, with the same key, in %d s.", limit, retry))
		}
		refused := func(what string, r *response, retry int) {
			t.Helper()
			capped.erAssertProblem(t, r, http.StatusTooManyRequests, full(retry))
			if got := r.Header.Get("Retry-After"); got != strconv.Itoa(retry) {
				t.Errorf("%s: Retry-After %q, want %d", what, got, retry)
			}
		}

		// A burst of distinct keys at one instant: the first five run.
		answers := make([]*response, 20)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range answers {
			wg.Go(func() {
				<-start
				answers[i] = post(fmt.Sprintf("burst-%02d", i), fmt.Sprintf("Burst %02d", i))
			})
		}
		close(start)
		wg.Wait()
		var accepted []int
		for i, r := range answers {
			what := fmt.Sprintf("burst-%02d", i)
			switch r.Status {
			case http.StatusCreated:
				accepted = append(accepted, i)
			case http.StatusTooManyRequests:
				refused(what, r, retention)
				if n := named(fmt.Sprintf("Burst %02d", i)); n != 0 {
					t.Errorf("%s was refused but created %d organizations", what, n)
				}
			default:
				t.Errorf("%s: %d %s", what, r.Status, r.Body)
			}
		}
		if len(accepted) != limit {
			t.Fatalf("%d of 20 new keys at once ran, want the cap, %d", len(accepted), limit)
		}
		if kept := keptKeys(); len(kept) != limit {
			t.Fatalf("%d records kept, want %d: %v", len(kept), limit, kept)
		}

		// At the cap, a kept key is still replayed, and a refused key is
		// still refused (it never ran).
		first := accepted[0]
		idemReplayOf(t, "a kept key at the cap", post(fmt.Sprintf("burst-%02d", first), fmt.Sprintf("Burst %02d", first)), answers[first])
		refusedKey := slices.IndexFunc(answers, func(r *response) bool { return r.Status == http.StatusTooManyRequests })
		refused("a refused key again", post(fmt.Sprintf("burst-%02d", refusedKey), fmt.Sprintf("Burst %02d", refusedKey)), retention)
		// The cap is per owner and mode.
		idemFresh(t, "ada in test mode", idemKeyed(capped, http.MethodPost, "/api/organizations", e.key("ada@example.com", "test", "write"), "burst-00", `{"name":"Test"}`), http.StatusCreated)
		idemFresh(t, "bob", idemKeyed(capped, http.MethodPost, "/api/organizations", e.key("bob@example.com", "live", "write"), "burst-00", `{"name":"Bob's"}`), http.StatusCreated)

		// Past the minimum retention, a new key evicts the oldest answer.
		clock.Advance(handlers.IdempotencyMinRetention)
		idemFresh(t, "a new key once the burst's answers may go", post("late-1", "Late 1"), http.StatusCreated)
		kept := keptKeys()
		if len(kept) != limit || !slices.Contains(kept, "late-1") {
			t.Fatalf("records after one eviction: %v", kept)
		}
		var evicted []int
		for _, i := range accepted {
			if !slices.Contains(kept, fmt.Sprintf("burst-%02d", i)) {
				evicted = append(evicted, i)
			}
		}
		if len(evicted) != 1 {
			t.Fatalf("evicted %v of the burst's %v, want one", evicted, accepted)
		}
		// The evicted key's retry runs again: the documented price of the cap.
		gone := evicted[0]
		idemFresh(t, "the evicted key's retry", post(fmt.Sprintf("burst-%02d", gone), fmt.Sprintf("Burst %02d", gone)), http.StatusCreated)
		if n := named(fmt.Sprintf("Burst %02d", gone)); n != 2 {
			t.Errorf("%d organizations from the evicted key, want 2", n)
		}
		// The others of the burst still kept are replayed.
		kept = keptKeys()
		for _, i := range accepted {
			if k := fmt.Sprintf("burst-%02d", i); i != gone && slices.Contains(kept, k) {
				idemReplayOf(t, "a kept key of the burst", post(k, fmt.Sprintf("Burst %02d", i)), answers[i])
			}
		}

		// New keys evict the rest of the burst's answers; then every kept
		// answer is young again and the next new key waits for the oldest.
		old := func() (n int) {
			for _, i := range accepted {
				if k := fmt.Sprintf("burst-%02d", i); i != gone && slices.Contains(kept, k) {
					n++
				}
			}
			return n
		}
		for i, left := 1, old(); left > 0; i, left = i+1, left-1 {
			idemFresh(t, "a new key evicting an old answer", post(fmt.Sprintf("fill-%d", i), "Fill"), http.StatusCreated)
			if kept = keptKeys(); old() != left-1 {
				t.Fatalf("a new key evicted no old answer: %v", kept)
			}
		}
		if len(kept) != limit {
			t.Fatalf("records after the burst's went: %v", kept)
		}
		refused("a new key while every answer is young", post("waiting", "Waiting"), retention)
		clock.Advance(handlers.IdempotencyMinRetention - time.Second)
		refused("a second before the oldest may go", post("waiting", "Waiting"), 1)
		clock.Advance(time.Second)
		idemFresh(t, "once the oldest may go", post("waiting", "Waiting"), http.StatusCreated)
		if n := named("Waiting"); n != 1 {
			t.Errorf("%d organizations named Waiting, want 1 (the refusals did not run)", n)
		}
		if kept := keptKeys(); len(kept) != limit {
			t.Errorf("%d records at the end, want %d", len(kept), limit)
		}
	})
}

// Expired records are purged at most PurgeBatch per request: a full batch
// lets the next keyed request purge again, otherwise the next purge is a
// minute later.
func TestIdempotencyPurgeIsBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		key := e.key("ada@example.com", "live", "write")
		ada := e.db.User.Query().Where(user.Email("ada@example.com")).OnlyX(ctx)
		clock := testenv.NewClock()
		now := clock.Now()
		insert := func(prefix string, n int, expires time.Time) {
			t.Helper()
			for start := 0; start < n; start += 500 {
				batch := make([]*ent.IdempotencyRecordCreate, 0, 500)
				for i := start; i < min(n, start+500); i++ {
					batch = append(batch, e.db.IdempotencyRecord.Create().SetUserID(ada.ID).SetMode(idempotencyrecord.ModeLive).
						SetKey(fmt.Sprintf("%s-%d", prefix, i)).SetFingerprint("x").SetStatus(201).
						SetCreatedAt(expires.Add(-24*time.Hour)).SetExpiresAt(expires))
				}
				e.db.IdempotencyRecord.CreateBulk(batch...).ExecX(ctx)
			}
		}
		expired := func() int {
			return e.db.IdempotencyRecord.Query().Where(idempotencyrecord.ExpiresAtLT(clock.Now())).CountX(ctx)
		}
		insert("old", handlers.PurgeBatch+7, now.Add(-time.Hour))
		insert("live", 3, now.Add(time.Hour))

		srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: unlimited, Now: clock.Now}))
		t.Cleanup(srv.Close)
		s := &env{t: t, db: e.db, srv: srv}
		post := func(idem string) {
			t.Helper()
			if r := idemKeyed(s, http.MethodPost, "/api/organizations", key, idem, `{"name":"Purge"}`); r.Status != http.StatusCreated {
				t.Fatalf("%s: %d %s", idem, r.Status, r.Body)
			}
		}

		post("p-1")
		if n := expired(); n != 7 {
			t.Errorf("after one request: %d expired records left, want 7 (a batch of %d purged)", n, handlers.PurgeBatch)
		}
		post("p-2") // the batch was full: purge again at once
		if n := expired(); n != 0 {
			t.Errorf("after a second request: %d expired records left, want 0", n)
		}
		insert("older", 2, now.Add(-time.Minute))
		post("p-3") // within the minute, after a partial batch: no purge
		if n := expired(); n != 2 {
			t.Errorf("a purge ran again within a minute: %d expired records left, want 2", n)
		}
		clock.Advance(time.Minute)
		post("p-4")
		if n := expired(); n != 0 {
			t.Errorf("a minute later: %d expired records left, want 0", n)
		}
		if n := e.db.IdempotencyRecord.Query().Where(idempotencyrecord.KeyHasPrefix("live-")).CountX(ctx); n != 3 {
			t.Errorf("%d unexpired records left, want 3", n)
		}
	})
}
