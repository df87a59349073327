package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/store"
)

// Loading organizations with their owners and members takes a constant
// number of queries, whatever the page size and the organizations' sizes;
// the embedded lists stay bounded while member_count counts everyone.
func TestOrganizationQueriesAreConstant(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e, statements := newCountingEnv(t, backend, handlers.Config{})
			count := func(path, key string) (int64, map[string]any) {
				t.Helper()
				before := statements.Load()
				r := e.do(req{Path: path, Key: key})
				if r.Status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
				}
				return statements.Load() - before, r.obj()
			}

			key := e.key("ada@example.com", "live", "write")
			small := e.createOrg(key, `{"name":"Small"}`)
			itemSmall, _ := count(small["@id"].(string), key)
			listSmall, _ := count("/api/organizations?itemsPerPage=100", key)

			// A big organization: 14 owners and 16 other members (31 with ada),
			// and 20 more organizations on the page.
			big := e.createOrg(key, `{"name":"Big"}`)
			bigID := uuid.MustParse(big["id"].(string))
			ctx := context.Background()
			for i := range 30 {
				u := e.db.User.Create().SetEmail(fmt.Sprintf("m%02d@example.com", i)).SaveX(ctx)
				role := schema.RoleViewer
				if i < 14 {
					role = schema.RoleOwner
				}
				e.db.Member.Create().SetOrganizationID(bigID).SetUserID(u.ID).SetRole(role).ExecX(ctx)
			}
			for i := range 20 {
				e.createOrg(key, fmt.Sprintf(`{"name":"Org %d"}`, i))
			}
			itemBig, doc := count(big["@id"].(string), key)
			listBig, page := count("/api/organizations?itemsPerPage=100", key)

			// An organization is read in one statement, its member count
			// and embedded members (with their users) beside it, whatever
			// its size: 60 members more change nothing.
			if itemSmall != 1 || itemBig != 1 {
				t.Errorf("GET item: %d statements for 1 member, %d for 31; want 1 and 1", itemSmall, itemBig)
			}
			for i := range 60 {
				u := e.db.User.Create().SetEmail(fmt.Sprintf("n%02d@example.com", i)).SaveX(ctx)
				e.db.Member.Create().SetOrganizationID(bigID).SetUserID(u.ID).SetRole(schema.RoleViewer).ExecX(ctx)
			}
			if itemHuge, doc := count(big["@id"].(string), key); itemHuge != itemBig || doc["member_count"] != float64(91) {
				t.Errorf("GET item: %d statements for 91 members (member_count %v), %d for 31", itemHuge, doc["member_count"], itemBig)
			}
			if listBig != listSmall {
				t.Errorf("GET collection: %d statements for 23 organizations, %d for 2", listBig, listSmall)
			}
			t.Logf("statements: item %d, collection page %d", itemBig, listBig)
			// A page that is not full tells totalItems itself; a full
			// numbered one needs the count, one statement more; a full
			// cursor page counts nothing.
			full, fullPage := count("/api/organizations?itemsPerPage=10&page=1", key)
			if full != listBig+1 || fullPage["totalItems"] != float64(23) || page["totalItems"] != float64(23) {
				t.Errorf("a full page: %d statements (not full: %d), totalItems %v and %v; want %d, 23 and 23", full, listBig, fullPage["totalItems"], page["totalItems"], listBig+1)
			}
			if cursor, cursorPage := count("/api/organizations?itemsPerPage=10", key); cursor != listBig || cursorPage["totalItems"] != nil {
				t.Errorf("a full cursor page: %d statements, totalItems %v; want %d and none", cursor, cursorPage["totalItems"], listBig)
			}

			owners, members := doc["owners"].([]any), doc["members"].([]any)
			if len(owners) != hydra.EmbedLimit || len(members) != hydra.EmbedLimit {
				t.Errorf("embedded owners %d, members %d; want %d each", len(owners), len(members), hydra.EmbedLimit)
			}
			if doc["member_count"] != float64(31) || doc["current_user_role"] != "owner" {
				t.Errorf("member_count %v, current_user_role %v; want 31, owner", doc["member_count"], doc["current_user_role"])
			}
			// The first to join come first: ada (who created it), then m00…
			if got := members[0].(map[string]any)["email"]; got != "ada@example.com" {
				t.Errorf("members[0] is %v, want the creator", got)
			}
			if got := members[9].(map[string]any)["email"]; got != "m08@example.com" {
				t.Errorf("members[9] is %v, want m08@example.com", got)
			}
			for _, o := range owners {
				if o.(map[string]any)["role"] != "owner" {
					t.Errorf("owners holds a %v", o.(map[string]any)["role"])
				}
			}
			// The page's copy of Big is the same document as the item, but
			// for what a top-level document alone carries.
			for _, m := range page["member"].([]any) {
				if m.(map[string]any)["@id"] == big["@id"] {
					delete(doc, "@context")
					delete(doc, "collection")
					delete(doc, "operation")
					if d := jsonDiff("", m, doc); len(d) > 0 {
						t.Errorf("Big in the collection differs from its item:\n%s", strings.Join(d, "\n"))
					}
				}
			}
			// A caller who joined late still sees their own role.
			late := e.key("late@example.com", "live", "write")
			lateUser := e.db.User.Query().Where(user.Email("late@example.com")).OnlyX(ctx)
			e.db.Member.Create().SetOrganizationID(bigID).SetUserID(lateUser.ID).SetRole(schema.RoleDeveloper).ExecX(ctx)
			_, lateDoc := count(big["@id"].(string), late)
			if lateDoc["current_user_role"] != "developer" || lateDoc["member_count"] != float64(92) {
				t.Errorf("late joiner: current_user_role %v, member_count %v", lateDoc["current_user_role"], lateDoc["member_count"])
			}
			if n := len(lateDoc["members"].([]any)); n != hydra.EmbedLimit {
				t.Errorf("late joiner sees %d embedded members, want %d", n, hydra.EmbedLimit)
			}
		})
	}
}

// newCountingEnv is newEnv on a backend ("sqlite" or "postgres") with a
// configuration (its DB and logger are set here), counting every SQL
// statement the server sends.
func newCountingEnv(t *testing.T, backend string, cfg handlers.Config) (*env, *atomic.Int64) {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "orgraph.db")
	if backend == "postgres" {
		dsn = postgresDSN(t)
	}
	var statements atomic.Int64
	e := newTracedEnvWith(t, dsn, func(_ context.Context, s string) {
		// ent's own statements log as Query: and Exec:, those the domain
		// builds itself (orgs.Service.Standing) as QueryContext: and
		// ExecContext:.
		if strings.Contains(s, "Query:") || strings.Contains(s, "Exec:") || strings.Contains(s, "QueryContext:") || strings.Contains(s, "ExecContext:") {
			statements.Add(1)
		}
	}, cfg)
	return e, &statements
}

// newTracedEnvWith is newEnv with a configuration and every SQL statement
// reported to trace.
func newTracedEnvWith(t *testing.T, dsn string, trace func(context.Context, string), cfg handlers.Config) *env {
	t.Helper()
	return newEnvWithOptions(t, dsn, store.Options{Trace: trace}, cfg)
}

// newEnvWithOptions opens the database with opt and the tests' checks.
func newEnvWithOptions(t *testing.T, dsn string, opt store.Options, cfg handlers.Config) *env {
	t.Helper()
	ctx := context.Background()
	opt.CheckChanges, opt.CheckConnections = true, true
	db, err := store.OpenWith(ctx, dsn, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.DB, cfg.Logger = db, slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := httptest.NewServer(handlers.New(cfg))
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, srv: srv}
}

// An organization's embedded members are read beside it as JSON
// (orgs.embedView): each must be the member's own document, whatever its
// columns hold — a name with quotes and accents, metadata, an external id,
// a deactivation time — on both databases.
func TestEmbeddedMembersAreTheirDocuments(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e, _ := newCountingEnv(t, backend, handlers.Config{})
			ctx := context.Background()
			key := e.key("ada@example.com", "live", "write")
			org := e.createOrg(key, `{"name":"Embedded"}`)
			orgID := uuid.MustParse(org["id"].(string))
			grace := e.db.User.Create().SetEmail("grace@example.com").SetName(`Zoë "Z" O'Brien \ 漢字`).
				SetMetadata(map[string]string{"team": "compilers"}).SaveX(ctx)
			e.db.Member.Create().SetOrganizationID(orgID).SetUserID(grace.ID).SetRole(schema.RoleOwner).
				SetExternalID("ext-7").SetMetadata(map[string]string{"seat": "a\"1", "floor": "2"}).
				SetPrivateMetadata(map[string]string{"secret": "never embedded"}).ExecX(ctx)
			linus := e.db.User.Create().SetEmail("linus@example.com").SaveX(ctx)
			e.db.Member.Create().SetOrganizationID(orgID).SetUserID(linus.ID).SetRole(schema.RoleViewer).
				SetStatus(member.StatusDeactivated).SetDeactivatedAt(time.Date(2026, 11, 3, 4, 5, 6, 789, time.UTC)).ExecX(ctx)

			r := e.do(req{Path: org["@id"].(string), Key: key})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", org["@id"], r.Status, r.Body)
			}
			doc := r.obj()
			if doc["member_count"] != float64(3) {
				t.Errorf("member_count %v, want 3", doc["member_count"])
			}
			embedded := append(doc["members"].([]any), doc["owners"].([]any)...)
			if len(embedded) != 5 {
				t.Fatalf("%d members and owners embedded, want 3 and 2: %v", len(embedded), embedded)
			}
			for _, m := range embedded {
				m := m.(map[string]any)
				own := e.do(req{Path: m["@id"].(string), Key: key})
				if own.Status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", m["@id"], own.Status, own.Body)
				}
				want := own.obj()
				for _, k := range []string{"@context", "operation"} {
					delete(want, k)
				}
				if d := jsonDiff("", m, want); len(d) > 0 {
					t.Errorf("embedded %s differs from its document:\n%s", m["email"], strings.Join(d, "\n"))
				}
			}
		})
	}
}

// Creating an organization writes its owner's membership without reading
// back the mode of the organization it has just written
// (schema.WithOrganizationMode): a round trip less on PostgreSQL. Adding
// a member to an existing organization still reads it.
// Creating an organization on PostgreSQL is one round trip: its row, its
// roles, its owner and its event are sent together as one implicit
// transaction (store/pipeline.go). A statement added to it that waits for
// an answer makes it two.
func TestCreatingAnOrganizationIsOneRoundTrip(t *testing.T) {
	var mu sync.Mutex
	trips := map[string]int{}
	e := newEnvWithOptions(t, postgresDSN(t), store.Options{RoundTrip: func(ctx context.Context) {
		mu.Lock()
		defer mu.Unlock()
		trips[orgs.RequestIDOf(ctx)]++
	}}, handlers.Config{})
	key := e.key("ada@example.com", "live", "write")
	e.createOrg(key, `{"name":"First"}`) // the key is read, then kept
	for i, body := range []string{
		`{"name":"Fresh"}`,
		`{"name":"Fuller","contact":{"email":"ops@fuller.test"},"metadata":{"plan":"pro"},"address":{"city":"Lyon"}}`,
	} {
		id := fmt.Sprintf("one-trip-%d", i)
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: key, Body: body, Header: map[string]string{"X-Request-ID": id}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		mu.Lock()
		n := trips[id]
		mu.Unlock()
		if n != 1 {
			t.Errorf("%s: %d round trips, want 1", body, n)
		}
		org := r.obj()
		// All of it landed: the organization with its owner, and its event.
		got := e.do(req{Path: "/api/organizations/" + org["id"].(string), Key: key}).obj()
		if got["member_count"] != float64(1) || got["name"] != org["name"] {
			t.Errorf("read back: %v", got)
		}
		events := e.do(req{Path: "/api/events?type=organization.created&organization=" + org["id"].(string), Key: key}).obj()
		if n := len(events["member"].([]any)); n != 1 {
			t.Errorf("%d organization.created events, want 1", n)
		}
	}
}

func TestCreatingAnOrganizationReadsNotItsMode(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "orgraph.db")
			if backend == "postgres" {
				dsn = postgresDSN(t)
			}
			var modeReads atomic.Int64
			e := newTracedEnvWith(t, dsn, func(_ context.Context, s string) {
				if strings.Contains(s, `SELECT "organizations"."mode" FROM`) || strings.Contains(s, "SELECT `organizations`.`mode` FROM") {
					modeReads.Add(1)
				}
			}, handlers.Config{})
			key := e.key("ada@example.com", "live", "write")
			before := modeReads.Load()
			org := e.createOrg(key, `{"name":"Fresh"}`)
			if n := modeReads.Load() - before; n != 0 {
				t.Errorf("creating an organization read its mode %d times", n)
			}
			if org["member_count"] != float64(1) {
				t.Errorf("member_count %v", org["member_count"])
			}
			// The owner's membership has the organization's mode: the
			// organization is in the owner's list of that mode.
			list := e.do(req{Path: "/api/organizations?itemsPerPage=100", Key: key}).obj()
			found := false
			for _, m := range list["member"].([]any) {
				found = found || m.(map[string]any)["@id"] == org["@id"]
			}
			if !found {
				t.Errorf("the new organization is not in its owner's list")
			}
		})
	}
}
