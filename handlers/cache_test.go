package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/store"
)

// The document cache answers a repeated GET without the database, with the
// same bytes and headers, and never outlives a write of this process: an
// HTTP write, or a write through ent outside any transaction, on both
// databases (other replicas' writes: TestDocumentCacheAcrossReplicas). A change made
// behind ent's back (raw SQL, as another process would) is what shows that
// an answer came from the cache.
func TestDocumentCache(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e, statements := newCountingEnv(t, backend, handlers.Config{CacheBytes: 1 << 20, Limiter: unlimited})
			rename := "UPDATE organizations SET name = ? WHERE id = ?"
			if backend == "postgres" {
				rename = "UPDATE organizations SET name = $1 WHERE id = $2"
			}
			ctx := context.Background()
			key := e.key("ada@example.com", "live", "write")
			org := e.createOrg(key, `{"name":"Acme"}`)
			path, id := org["@id"].(string), org["id"].(string)
			get := func(rq req) (*response, int64) {
				t.Helper()
				before := statements.Load()
				if rq.Key == "" {
					rq.Key = key
				}
				r := e.do(rq)
				return r, statements.Load() - before
			}
			name := func(r *response) any { return r.obj()["name"] }

			first, n := get(req{Path: path})
			if first.Status != http.StatusOK || n == 0 {
				t.Fatalf("first GET: %d after %d statements", first.Status, n)
			}
			second, n := get(req{Path: path})
			if n != 0 || second.Status != http.StatusOK || string(second.Body) != string(first.Body) {
				t.Fatalf("second GET: %d statements, status %d, same body %v", n, second.Status, string(second.Body) == string(first.Body))
			}
			for _, h := range []string{"Content-Type", "Content-Length", "ETag", "Accept-Patch", "Link", "Allow", "Vary", "Orgraph-Version"} {
				if first.Header.Get(h) == "" || second.Header.Get(h) != first.Header.Get(h) {
					t.Errorf("%s: %q from the database, %q from the cache", h, first.Header.Get(h), second.Header.Get(h))
				}
			}
			if second.Header.Get("X-Request-ID") == first.Header.Get("X-Request-ID") {
				t.Error("the cache replayed the first request's X-Request-ID")
			}

			// Conditional and HEAD requests are answered from the entry.
			if r, n := get(req{Path: path, Header: map[string]string{"If-None-Match": first.Header.Get("ETag")}}); r.Status != http.StatusNotModified || n != 0 || len(r.Body) != 0 ||
				r.Header.Get("ETag") != first.Header.Get("ETag") || r.Header.Get("Accept-Patch") != first.Header.Get("Accept-Patch") || r.Header.Get("Content-Type") != "" {
				t.Errorf("If-None-Match: %d after %d statements, body %q, headers %v", r.Status, n, r.Body, r.Header)
			}
			if r, n := get(req{Method: http.MethodHead, Path: path}); r.Status != http.StatusOK || n != 0 || len(r.Body) != 0 || r.Header.Get("Content-Length") != first.Header.Get("Content-Length") {
				t.Errorf("HEAD: %d after %d statements, body %q, Content-Length %q", r.Status, n, r.Body, r.Header.Get("Content-Length"))
			}

			// A change behind ent's back stays unseen: this answer is the entry.
			if _, err := e.db.SQL.ExecContext(ctx, rename, "Raw", id); err != nil {
				t.Fatal(err)
			}
			if r, _ := get(req{Path: path}); name(r) != "Acme" {
				t.Fatalf("after a raw rename: name %v, want the kept Acme", name(r))
			}
			// Anything that varies the document is part of the key.
			for _, v := range []req{
				{Path: path, Header: map[string]string{"Accept": "application/json"}},
				{Path: path + ".jsonld"},
				{Path: path + "?unused=1"},
				{Path: path, Key: e.key("ada@example.com", "live", "read")},
			} {
				if r, n := get(v); r.Status != http.StatusOK || n == 0 || name(r) != "Raw" {
					t.Errorf("%s %v: %d after %d statements, name %v; want a fresh document", v.Path, v.Header, r.Status, n, name(r))
				}
			}
			if r, _ := get(req{Path: path, Key: e.key("eve@example.com", "live", "write")}); r.Status != http.StatusNotFound {
				t.Errorf("another tenant: %d, want 404", r.Status)
			}

			// A write through ent, outside a transaction, ends every entry…
			if err := e.db.Organization.UpdateOneID(uuid.MustParse(id)).SetName("Ent").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if r, n := get(req{Path: path}); name(r) != "Ent" || n == 0 {
				t.Errorf("after an ent write: name %v after %d statements", name(r), n)
			}
			// …and so does an HTTP write, the listing included.
			if r, _ := get(req{Path: "/api/organizations"}); r.Status != http.StatusOK {
				t.Fatalf("list: %d", r.Status)
			}
			if r := e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: `{"name":"Patched"}`, Header: map[string]string{"Content-Type": "application/merge-patch+json"}}); r.Status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", r.Status, r.Body)
			}
			if r, _ := get(req{Path: path}); name(r) != "Patched" {
				t.Errorf("after PATCH: name %v", name(r))
			}
			if r, _ := get(req{Path: "/api/organizations"}); !strings.Contains(string(r.Body), `"Patched"`) {
				t.Errorf("the listing after PATCH: %s", r.Body)
			}
			// After DELETE the item is a 404, not a kept 200.
			if r := e.do(req{Method: http.MethodDelete, Path: path, Key: key}); r.Status != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s", r.Status, r.Body)
			}
			if r, _ := get(req{Path: path}); r.Status != http.StatusNotFound {
				t.Errorf("GET after DELETE: %d", r.Status)
			}
		})
	}
}

// An organization's own documents (its item, its members, one membership)
// outlive writes to other organizations, and no write to their own: a
// PATCH, a member joining through an invitation, a change of a user. The
// listing of every organization follows any write. The bench's read-mostly
// scenario is this: reads of some organizations between writes to others.
func TestDocumentCacheKeepsOrganizationsAWriteDidNotChange(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testDocumentCacheKeepsOrganizations(t, backend) })
	}
}

func testDocumentCacheKeepsOrganizations(t *testing.T, backend string) {
	e, statements := newCountingEnv(t, backend, handlers.Config{CacheBytes: 1 << 20, Limiter: unlimited})
	ada := e.key("ada@example.com", "live", "write")
	bob := e.key("bob@example.com", "live", "write")
	x, y := e.createOrg(ada, `{"name":"X"}`), e.createOrg(ada, `{"name":"Y"}`)
	xPath, yPath := x["@id"].(string), y["@id"].(string)
	owner := x["owners"].([]any)[0].(map[string]any)["@id"].(string)
	reads := map[string]string{
		"X":            xPath,
		"X's members":  "/api/members?organization=" + x["id"].(string),
		"X's owner":    owner,
		"the listing":  "/api/organizations",
		"Y's members":  "/api/members?organization=" + y["id"].(string),
		"X as JSON-LD": xPath + ".jsonld",
	}
	type read struct {
		status     int
		statements int64
		body       string
	}
	readAll := func() map[string]read {
		t.Helper()
		got := map[string]read{}
		for what, path := range reads {
			before := statements.Load()
			r := e.do(req{Path: path, Key: ada})
			got[what] = read{r.Status, statements.Load() - before, string(r.Body)}
		}
		return got
	}
	write := func(rq req, status int) {
		t.Helper()
		if r := e.do(rq); r.Status != status {
			t.Fatalf("%s %s: %d %s", rq.Method, rq.Path, r.Status, r.Body)
		}
	}
	// expect checks which reads the database answered, and that the others
	// sent the bytes they sent before.
	expect := func(step string, before, after map[string]read, built ...string) {
		t.Helper()
		for what, a := range after {
			fresh := slices.Contains(built, what)
			if a.status != http.StatusOK || (a.statements > 0) != fresh || (!fresh && a.body != before[what].body) {
				t.Errorf("%s: %s answered %d after %d statements (want a fresh document: %v)", step, what, a.status, a.statements, fresh)
			}
		}
	}
	first := readAll()
	expect("second reads", first, readAll())

	write(req{Method: http.MethodPatch, Path: yPath, Key: ada, Body: `{"name":"Y2"}`}, http.StatusOK)
	afterY := readAll()
	expect("after a PATCH of Y", first, afterY, "the listing", "Y's members")
	if !strings.Contains(afterY["the listing"].body, `"Y2"`) {
		t.Errorf("the listing after a PATCH of Y: %s", afterY["the listing"].body)
	}

	// Writes that change nothing of X: a PATCH of Y under an Idempotency-Key
	// (its record is written too), a PATCH refused by If-Match, a DELETE of
	// an organization that does not exist.
	write(req{Method: http.MethodPatch, Path: yPath, Key: ada, Body: `{"name":"Y3"}`, Header: map[string]string{"Idempotency-Key": "rename-y"}}, http.StatusOK)
	write(req{Method: http.MethodPatch, Path: yPath, Key: ada, Body: `{"name":"Y4"}`, Header: map[string]string{"If-Match": `"stale"`}}, http.StatusPreconditionFailed)
	write(req{Method: http.MethodDelete, Path: "/api/organizations/" + uuid.Must(uuid.NewV7()).String(), Key: ada}, http.StatusNotFound)
	for what, r := range readAll() {
		if strings.HasPrefix(what, "X") && (r.statements != 0 || r.body != afterY[what].body) {
			t.Errorf("after writes that changed nothing of X: %s answered %d after %d statements", what, r.status, r.statements)
		}
	}
	afterY = readAll()

	write(req{Method: http.MethodPatch, Path: xPath, Key: ada, Body: `{"name":"X2"}`}, http.StatusOK)
	afterX := readAll()
	expect("after a PATCH of X", afterY, afterX, "X", "X's members", "X's owner", "the listing", "X as JSON-LD")
	if !strings.Contains(afterX["X"].body, `"X2"`) {
		t.Errorf("X after its PATCH: %s", afterX["X"].body)
	}

	invitation := e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: ada, Body: fmt.Sprintf(`{"organization":%q,"email":"bob@example.com","role":"admin"}`, xPath)})
	if invitation.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", invitation.Status, invitation.Body)
	}
	afterInvite := readAll()
	expect("after an invitation to X", afterX, afterInvite, "X", "X's members", "X's owner", "the listing", "X as JSON-LD")
	write(req{Method: http.MethodPost, Path: invitation.obj()["@id"].(string) + "/accept", Key: bob}, http.StatusCreated)
	afterJoin := readAll()
	expect("after bob joined X", afterInvite, afterJoin, "X", "X's members", "X's owner", "the listing", "X as JSON-LD")
	if !strings.Contains(afterJoin["X's members"].body, "bob@example.com") || !strings.Contains(afterJoin["X"].body, `"member_count":2`) {
		t.Errorf("X after bob joined: %s\nits members: %s", afterJoin["X"].body, afterJoin["X's members"].body)
	}

	// A new key for a new user writes users: every document may show one.
	e.key("carol@example.com", "live", "write")
	expect("after a user was created", afterJoin, readAll(), "X", "X's members", "X's owner", "the listing", "Y's members", "X as JSON-LD")
}

// TestDocumentCacheOutlivesTheDeliverer: the webhook deliverer's rounds —
// idle, claiming, waking endpoints when the feed moves, recording a failed
// attempt — change no organization's document, so they leave the cache as
// it is (an empty write transaction would count as a change of
// everything).
func TestDocumentCacheOutlivesTheDeliverer(t *testing.T) {
	e, statements := newCountingEnv(t, "sqlite", handlers.Config{CacheBytes: 1 << 20, Limiter: unlimited, SecretsKey: testSecretsKey, WebhooksAllowPrivate: true})
	srv := e.srv.Config.Handler.(*handlers.Server)
	ada := e.key("ada@example.com", "live", "write")
	x, y := e.createOrg(ada, `{"name":"X"}`), e.createOrg(ada, `{"name":"Y"}`)
	xPath, yPath := x["@id"].(string), y["@id"].(string)
	evMade(t, pmPost(e, "/api/webhook_endpoints", ada, `{"organization": "`+yPath+`", "url": "http://127.0.0.1:9/closed", "enabled_events": ["*"]}`))
	readX := func(step string) {
		t.Helper()
		before := statements.Load()
		if r := e.do(req{Path: xPath, Key: ada}); r.Status != http.StatusOK {
			t.Fatalf("%s: GET X: %d", step, r.Status)
		}
		if n := statements.Load() - before; n != 0 {
			t.Errorf("%s: X was built again (%d statements)", step, n)
		}
	}
	e.do(req{Path: xPath, Key: ada})
	readX("a second read")
	for range 3 {
		srv.DeliverOnce(context.Background())
	}
	readX("after the deliverer's rounds")
	evMade(t, pmPost(e, "/api/workspaces", ada, `{"organization": "`+yPath+`", "name": "Moves the feed"}`))
	for range 3 {
		srv.DeliverOnce(context.Background())
	}
	readX("after a delivery to Y's endpoint")
}

// TestDocumentCacheAcrossReplicas: on PostgreSQL every replica keeps
// documents, and a write through one is never served stale by another once
// store.ReplicaLag has passed since it was acknowledged. The other
// replica's documents are shown to be kept by changing a row behind ent's
// back (as nothing but the database would), and to be kept precisely: a
// write to another organization leaves them as they are. A replica that
// cannot read the others' events serves nothing it kept.
func TestDocumentCacheAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	a, b := newEnv(t, dsn), newEnv(t, dsn)
	ctx := context.Background()
	ada := a.key("ada@example.com", "live", "write")
	x, y := a.createOrg(ada, `{"name":"X"}`), a.createOrg(ada, `{"name":"Y"}`)
	xPath, yPath := x["@id"].(string), y["@id"].(string)
	reads := map[string]string{
		"X":           xPath,
		"X's members": "/api/members?organization=" + x["id"].(string),
		"the listing": "/api/organizations",
	}
	readB := func(what string) string {
		t.Helper()
		r := b.do(req{Path: reads[what], Key: ada})
		if r.Status != http.StatusOK {
			t.Fatalf("%s on b: %d %s", what, r.Status, r.Body)
		}
		return string(r.Body)
	}
	rawRename := func(path, name string) {
		t.Helper()
		if _, err := a.db.SQL.ExecContext(ctx, "UPDATE organizations SET name = $1 WHERE id = $2", name, strings.TrimPrefix(path, "/api/organizations/")); err != nil {
			t.Fatal(err)
		}
	}
	// afterLag waits out the stated delay since a write was acknowledged.
	afterLag := func() { time.Sleep(store.ReplicaLag) }

	afterLag() // b has learnt of the creations
	for what := range reads {
		readB(what)
	}
	// b keeps what it read: a change no write recorded stays unseen…
	rawRename(xPath, "Raw")
	afterLag()
	if body := readB("X"); !strings.Contains(body, `"name":"X"`) {
		t.Fatalf("b did not keep X: %s", body)
	}
	// …and a write to another organization through a keeps it too.
	if r := a.do(req{Method: http.MethodPatch, Path: yPath, Key: ada, Body: `{"name":"Y2"}`}); r.Status != http.StatusOK {
		t.Fatalf("PATCH Y on a: %d %s", r.Status, r.Body)
	}
	afterLag()
	if body := readB("X"); !strings.Contains(body, `"name":"X"`) {
		t.Errorf("a write to Y on a changed b's X: %s", body)
	}
	if body := readB("the listing"); !strings.Contains(body, `"Y2"`) {
		t.Errorf("b's listing after Y's rename on a: %s", body)
	}

	// Writes to X through a reach b's documents of X.
	if r := a.do(req{Method: http.MethodPatch, Path: xPath, Key: ada, Body: `{"name":"X2"}`}); r.Status != http.StatusOK {
		t.Fatalf("PATCH X on a: %d %s", r.Status, r.Body)
	}
	afterLag()
	for what := range reads {
		if body := readB(what); what != "X's members" && !strings.Contains(body, `"X2"`) {
			t.Errorf("%s on b after X's rename on a: %s", what, body)
		}
	}
	bob := a.key("bob@example.com", "live", "write")
	invitation := a.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: ada, Body: fmt.Sprintf(`{"organization":%q,"email":"bob@example.com","role":"admin"}`, xPath)})
	if invitation.Status != http.StatusCreated {
		t.Fatalf("invite on a: %d %s", invitation.Status, invitation.Body)
	}
	readB("X's members")
	if r := a.do(req{Method: http.MethodPost, Path: invitation.obj()["@id"].(string) + "/accept", Key: bob}); r.Status != http.StatusCreated {
		t.Fatalf("accept on a: %d %s", r.Status, r.Body)
	}
	afterLag()
	if body := readB("X's members"); !strings.Contains(body, "bob@example.com") {
		t.Errorf("X's members on b after bob joined on a: %s", body)
	}
	if body := readB("X"); !strings.Contains(body, `"member_count":2`) {
		t.Errorf("X on b after bob joined on a: %s", body)
	}
	// A change of no organization (a user's) reaches everything b keeps.
	readB("X")
	rawRename(xPath, "Raw again")
	me := pmS(pmGet(a, "/api/me", ada).obj()["@id"])
	if r := a.do(req{Method: http.MethodPatch, Path: me, Key: ada, Body: `{"name":"Ada Lovelace"}`, Header: map[string]string{"Content-Type": "application/merge-patch+json"}}); r.Status != http.StatusOK {
		t.Fatalf("PATCH %s on a: %d %s", me, r.Status, r.Body)
	}
	afterLag()
	if body := readB("X"); !strings.Contains(body, `"Raw again"`) {
		t.Errorf("X on b after a user's change on a: %s", body)
	}
	if r := a.do(req{Method: http.MethodDelete, Path: yPath, Key: ada}); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE Y on a: %d %s", r.Status, r.Body)
	}
	afterLag()
	if r := b.do(req{Path: yPath, Key: ada}); r.Status != http.StatusNotFound {
		t.Errorf("Y on b after its deletion on a: %d", r.Status)
	}

	// While b cannot read the events, it cannot know what the others
	// wrote: past the lag it serves nothing it kept.
	readB("X")
	exec := func(stmt string) {
		t.Helper()
		if _, err := a.db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	exec("ALTER TABLE events RENAME TO events_hidden")
	t.Cleanup(func() { a.db.SQL.ExecContext(ctx, "ALTER TABLE IF EXISTS events_hidden RENAME TO events") })
	rawRename(xPath, "Unrecorded")
	afterLag()
	if body := readB("X"); !strings.Contains(body, `"Unrecorded"`) {
		t.Errorf("X on b while it cannot read the events: %s", body)
	}
	exec("ALTER TABLE events_hidden RENAME TO events")
}
