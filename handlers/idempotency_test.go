package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/orgraph/orgraph/ent/idempotencyrecord"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/testenv"
)

func TestIdempotencyKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		key := e.key("ada@example.com", "live", "write")
		named := func(name string) int {
			return e.db.Organization.Query().Where(organization.Name(name)).CountX(ctx)
		}
		post := func(idem, body string) *response {
			return e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body, Header: map[string]string{"Idempotency-Key": idem}})
		}

		t.Run("replay byte for byte", func(t *testing.T) {
			first := post("k-1", `{"name":"Once"}`)
			if first.Status != http.StatusCreated || first.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("first: %d replayed=%q %s", first.Status, first.Header.Get("Idempotent-Replayed"), first.Body)
			}
			for _, header := range []string{"k-1", `"k-1"`} {
				again := post(header, `{"name":"Once"}`)
				if again.Status != first.Status || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("retry %s: %d replayed=%q\n%s\nwant\n%s", header, again.Status, again.Header.Get("Idempotent-Replayed"), again.Body, first.Body)
				}
				for _, h := range []string{"Content-Type", "Location", "Content-Location", "Link", "Accept-Patch", "Orgraph-Version"} {
					if again.Header.Get(h) != first.Header.Get(h) {
						t.Errorf("retry %s: %s %q, first %q", header, h, again.Header.Get(h), first.Header.Get(h))
					}
				}
				if again.Header.Get("X-Request-ID") == first.Header.Get("X-Request-ID") {
					t.Error("a replay reused the first request's id")
				}
			}
			if n := named("Once"); n != 1 {
				t.Errorf("%d organizations named Once, want 1", n)
			}
		})

		t.Run("same key, another request", func(t *testing.T) {
			two := post("k-2", `{"name":"Two"}`).obj()
			for name, r := range map[string]*response{
				"body": post("k-2", `{"name":"Other"}`),
				"method and path": e.do(req{Method: http.MethodPatch, Path: two["@id"].(string), Key: key, Body: `{"name":"Other"}`,
					Header: map[string]string{"Idempotency-Key": "k-2"}}),
			} {
				if r.Status != http.StatusUnprocessableEntity || r.obj()["detail"] != "This Idempotency-Key was used for another request: the method, path or body differ." {
					t.Errorf("%s differs: %d %s", name, r.Status, r.Body)
				}
			}
			if named("Other") != 0 {
				t.Error("a refused reuse changed an organization")
			}
		})

		t.Run("keys are per owner", func(t *testing.T) {
			bob := e.key("bob@example.com", "live", "write")
			r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: bob, Body: `{"name":"Once"}`, Header: map[string]string{"Idempotency-Key": "k-1"}})
			if r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("another user's k-1: %d %q", r.Status, r.Header.Get("Idempotent-Replayed"))
			}
		})

		// Refusals are not kept (idempotency_limits_test.go has the rest).
		t.Run("4xx answers are not kept", func(t *testing.T) {
			bad := post("k-3", `{"name":""}`)
			again := post("k-3", `{"name":""}`)
			if bad.Status != 422 || again.Status != 422 || again.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("422 retried: %d %d replayed=%q", bad.Status, again.Status, again.Header.Get("Idempotent-Replayed"))
			}
		})

		t.Run("malformed keys", func(t *testing.T) {
			for _, k := range []string{strings.Repeat("x", 256), "a b", `""`, "caf\u00e9"} {
				if r := post(k, `{"name":"Bad key"}`); r.Status != http.StatusBadRequest {
					t.Errorf("key %q: %d %s", k, r.Status, r.Body)
				}
			}
			if r := post(strings.Repeat("x", 255), `{"name":"Long key"}`); r.Status != http.StatusCreated {
				t.Errorf("255-character key: %d %s", r.Status, r.Body)
			}
			if named("Bad key") != 0 {
				t.Error("a malformed key created an organization")
			}
		})

		t.Run("a 5xx is not kept", func(t *testing.T) {
			// Make the database refuse one name, as a failing disk would.
			create, drop := `CREATE TRIGGER boom BEFORE INSERT ON organizations WHEN NEW.name = 'Boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`, `DROP TRIGGER boom`
			if e.db.Dialect == dialect.Postgres {
				create = `CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
					CREATE TRIGGER boom BEFORE INSERT ON organizations FOR EACH ROW WHEN (NEW.name = 'Boom') EXECUTE FUNCTION boom()`
				drop = `DROP TRIGGER boom ON organizations; DROP FUNCTION boom()`
			}
			if _, err := e.db.SQL.Exec(create); err != nil {
				t.Fatal(err)
			}
			if r := post("k-5", `{"name":"Boom"}`); r.Status != http.StatusInternalServerError {
				t.Fatalf("with the failure: %d %s", r.Status, r.Body)
			}
			if _, err := e.db.SQL.Exec(drop); err != nil {
				t.Fatal(err)
			}
			r := post("k-5", `{"name":"Boom"}`)
			if r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "" || named("Boom") != 1 {
				t.Errorf("retry after a 500: %d replayed=%q, %d created", r.Status, r.Header.Get("Idempotent-Replayed"), named("Boom"))
			}
		})

		t.Run("twenty at once", func(t *testing.T) {
			var wg sync.WaitGroup
			start := make(chan struct{})
			statuses := make([]int, 20)
			for i := range statuses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					hr, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/organizations", strings.NewReader(`{"name":"Twenty"}`))
					hr.Header.Set("Authorization", "Bearer "+key)
					hr.Header.Set("Content-Type", "application/ld+json")
					hr.Header.Set("Idempotency-Key", "k-20")
					res, err := http.DefaultClient.Do(hr)
					if err == nil {
						statuses[i] = res.StatusCode
						res.Body.Close()
					}
				}()
			}
			close(start)
			wg.Wait()
			for _, s := range statuses {
				if s != http.StatusCreated && s != http.StatusConflict {
					t.Errorf("statuses %v: only 201 and 409 expected", statuses)
					break
				}
			}
			if n := named("Twenty"); n != 1 {
				t.Errorf("%d organizations created by 20 requests with one key, want 1", n)
			}
		})
	})
}

// A DELETE retried with its key is answered 204 again, not 404.
func TestIdempotentDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Gone"}`)
		for i, replayed := range []string{"", "true"} {
			r := e.do(req{Method: http.MethodDelete, Path: org["@id"].(string), Key: key, Header: map[string]string{"Idempotency-Key": "del-1"}})
			if r.Status != http.StatusNoContent || len(r.Body) != 0 || r.Header.Get("Idempotent-Replayed") != replayed || r.Header.Get("Content-Type") != "" {
				t.Errorf("DELETE #%d: %d replayed=%q Content-Type=%q %s", i+1, r.Status, r.Header.Get("Idempotent-Replayed"), r.Header.Get("Content-Type"), r.Body)
			}
		}
	})
}

// Keys live for Config.IdempotencyTTL; expired records are purged.
func TestIdempotencyExpiryAndPurge(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		key := e.key("ada@example.com", "live", "write")
		ada := e.db.User.Query().Where(user.Email("ada@example.com")).OnlyX(ctx)
		now := time.Now().UTC()
		old := e.db.IdempotencyRecord.Create().SetUserID(ada.ID).SetMode(idempotencyrecord.ModeLive).SetKey("old").
			SetFingerprint("x").SetStatus(201).SetCreatedAt(now.Add(-25 * time.Hour)).SetExpiresAt(now.Add(-time.Hour)).SaveX(ctx)
		live := e.db.IdempotencyRecord.Create().SetUserID(ada.ID).SetMode(idempotencyrecord.ModeLive).SetKey("live").
			SetFingerprint("x").SetStatus(201).SetCreatedAt(now).SetExpiresAt(now.Add(time.Hour)).SaveX(ctx)

		clock := testenv.NewClock()
		clock.Advance(now.Sub(clock.Now()))
		srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), IdempotencyTTL: 10 * time.Minute, Now: clock.Now}))
		t.Cleanup(srv.Close)
		short := &env{t: t, db: e.db, srv: srv}

		post := func(body string) *response {
			return short.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body, Header: map[string]string{"Idempotency-Key": "short"}})
		}
		if r := post(`{"name":"First"}`); r.Status != http.StatusCreated {
			t.Fatalf("first: %d %s", r.Status, r.Body)
		}
		// The first keyed request of a server purges what has expired.
		if n := e.db.IdempotencyRecord.Query().Where(idempotencyrecord.ID(old.ID)).CountX(ctx); n != 0 {
			t.Error("the expired record was not purged")
		}
		if n := e.db.IdempotencyRecord.Query().Where(idempotencyrecord.ID(live.ID)).CountX(ctx); n != 1 {
			t.Error("a live record was purged")
		}
		if r := post(`{"name":"Second"}`); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("another body within the TTL: %d, want 422", r.Status)
		}
		clock.Advance(10 * time.Minute)
		// Expired: the key is free again and the new request runs.
		if r := post(`{"name":"Second"}`); r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("after the TTL: %d replayed=%q, want a fresh 201", r.Status, r.Header.Get("Idempotent-Replayed"))
		}
	})
}
