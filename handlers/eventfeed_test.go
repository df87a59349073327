package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
)

// The event feed (issue 20 item 2): who reads which events, the filters,
// and the cursor: every event once, in order, in both directions, however
// many are recorded meanwhile, and — on PostgreSQL — never past an event
// whose transaction has not ended.

// feedIDs reads one page of the feed and returns its events' ids and the
// page.
func feedIDs(t *testing.T, e *env, key, path string) ([]string, *response) {
	t.Helper()
	return feedValues(t, e, key, path, "id")
}

// feedValues reads one page of the feed and returns one property of each
// of its events, and the page.
func feedValues(t *testing.T, e *env, key, path, property string) ([]string, *response) {
	t.Helper()
	r := e.do(req{Path: path, Key: key})
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var values []string
	for _, m := range pmList(r.obj()["member"]) {
		values = append(values, pmS(pmObj(m)[property]))
	}
	return values, r
}

// feedLink is a view link of a page ("" when absent).
func feedLink(r *response, rel string) string {
	s, _ := pmObj(r.obj()["view"])[rel].(string)
	return s
}

// feedAll follows a link relation from path to the end and returns every
// id met, failing on a repeat.
func feedAll(t *testing.T, e *env, key, path, rel string) []string {
	t.Helper()
	var all []string
	for pages := 0; path != ""; pages++ {
		if pages > 100 {
			t.Fatalf("more than 100 pages following %s", rel)
		}
		ids, r := feedIDs(t, e, key, path)
		for _, id := range ids {
			if slices.Contains(all, id) {
				t.Fatalf("event %s twice following %s (at %s)", id, rel, path)
			}
		}
		all = append(all, ids...)
		path = feedLink(r, rel)
	}
	return all
}

// eventuallyFeed reads path until its ids are want: on PostgreSQL the
// feed shows an event once every transaction that began writing before
// its own has ended, and other tests' transactions run on the same server.
func eventuallyFeed(t *testing.T, e *env, key, path string, want []string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := feedIDs(t, e, key, path)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: events %v, want %v", path, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// typesOf reads the types of the events at path.
func typesOf(t *testing.T, e *env, key, path string) []string {
	t.Helper()
	types, _ := feedValues(t, e, key, path, "type")
	return types
}

func TestEventFeedVisibility(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")
		carl := e.key("carl@example.com", "live", "read")
		dave := e.key("dave@example.com", "live", "write")
		ops := e.key("ops@example.com", "live", "operator")
		testOps := e.key("tops@example.com", "test", "operator")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		other := pmS(e.createOrg(dave, `{"name": "Other"}`)["@id"])
		pmAddMember(t, e, pmIDOf(acme).String(), pmUser(t, e, "bob@example.com").ID, "admin")
		pmAddMember(t, e, pmIDOf(acme).String(), pmUser(t, e, "carl@example.com").ID, "developer")
		ws := evMade(t, pmPost(e, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "Research"}`))
		e.do(req{Method: http.MethodPatch, Path: ws, Key: bob, Body: `{"name": "R&D"}`, Header: map[string]string{"Content-Type": "application/merge-patch+json"}})

		const page = "/api/events?itemsPerPage=100"
		// Every user owns a personal organization too, whose events they
		// read: Acme's are those of the organization filter.
		acmeTypes := []string{"workspace.updated", "workspace.created", "organization.created"}
		for _, who := range []struct {
			name, key string
			want      []string
		}{{"the owner", ada, acmeTypes}, {"an admin", bob, acmeTypes}, {"a developer", carl, nil}, {"another organization's owner", dave, nil}} {
			got := typesOf(t, e, who.key, page+"&organization="+pmIDOf(acme).String())
			if !slices.Equal(got, who.want) {
				t.Errorf("%s reads %v, want %v", who.name, got, who.want)
			}
		}
		// An operator reads every event of its mode, those of no
		// organization too (the keys and users made above); the other
		// mode's operator reads none of them.
		all := typesOf(t, e, ops, page)
		for _, want := range []string{"user.created", "api_key.created", "organization.created", "workspace.updated"} {
			if !slices.Contains(all, want) {
				t.Errorf("the operator's feed %v lacks %s", all, want)
			}
		}
		if got := typesOf(t, e, testOps, page+"&organization="+pmIDOf(acme).String()); len(got) != 0 {
			t.Errorf("the test-mode operator reads live events: %v", got)
		}

		// An event is a document of its own; whoever cannot read it in the
		// feed gets a 404.
		_, r := feedIDs(t, e, ada, page+"&type=workspace.updated")
		ev := pmObj(pmList(r.obj()["member"])[0])
		item := pmS(ev["@id"])
		got := e.do(req{Path: item, Key: bob})
		if got.Status != http.StatusOK || pmS(got.obj()["@type"]) != "Event" || pmS(got.obj()["id"]) != pmS(ev["id"]) {
			t.Fatalf("GET %s by the admin: %d %s", item, got.Status, got.Body)
		}
		actor := pmObj(got.obj()["actor"])
		if pmS(actor["type"]) != "user" || pmS(actor["user"]) != hydra.User.IRI(pmUser(t, e, "bob@example.com").ID.String()) {
			t.Errorf("actor %v, want bob", actor)
		}
		if prev := pmObj(got.obj()["previous_attributes"]); pmS(prev["name"]) != "Research" {
			t.Errorf("previous_attributes %v, want the old name", got.obj()["previous_attributes"])
		}
		if data := pmObj(got.obj()["data"]); pmS(data["@id"]) != ws || pmS(data["name"]) != "R&D" {
			t.Errorf("data %v, want the workspace after the change", got.obj()["data"])
		}
		for _, key := range []string{carl, dave, testOps} {
			if r := e.do(req{Path: item, Key: key}); r.Status != http.StatusNotFound {
				t.Errorf("GET %s by a reader who may not: %d, want 404", item, r.Status)
			}
		}
		if r := e.do(req{Path: item, Key: ops}); r.Status != http.StatusOK {
			t.Errorf("GET %s by the operator: %d", item, r.Status)
		}
		for _, bad := range []string{"/api/events/0", "/api/events/007", "/api/events/x", "/api/events/99999999"} {
			if r := e.do(req{Path: bad, Key: ops}); r.Status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", bad, r.Status)
			}
		}
		// Filtering by an organization the caller cannot read is empty,
		// as every filter intersects what the caller may read.
		if got := typesOf(t, e, ada, page+"&organization="+url.QueryEscape(other)); len(got) != 0 {
			t.Errorf("the owner of Acme reads Other's events: %v", got)
		}
		if got := typesOf(t, e, ops, page+"&organization="+pmIDOf(other).String()); !slices.Equal(got, []string{"organization.created"}) {
			t.Errorf("the operator's events of Other: %v", got)
		}
	})
}

func TestEventFeedFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		acme := pmS(e.createOrg(ada, `{"name": "Acme", "invitations": [{"email": "x@example.com"}]}`)["@id"])
		before := time.Now().UTC()
		time.Sleep(1100 * time.Millisecond) // created_at is stored to the second on some paths
		evMade(t, pmPost(e, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "Research"}`))
		page := "/api/events?itemsPerPage=100&organization=" + pmIDOf(acme).String()
		for query, want := range map[string][]string{
			"&type=workspace.created":                             {"workspace.created"},
			"&type=workspace.created&type=invitation.created":     {"workspace.created", "invitation.created"},
			"&type[]=workspace.created&type[]=invitation.created": {"workspace.created", "invitation.created"},
			"&type=workspace.created,organization.created":        {"workspace.created", "organization.created"},
			"&type=invitation.*":                                  {"invitation.created"},
			"&type=workspace.*&type=organization.created":         {"workspace.created", "organization.created"},
			"&type.unknown=x":                                     {"workspace.created", "invitation.created", "organization.created"},
			"&created_at[after]=" + url.QueryEscape(before.Add(time.Second).Format(time.RFC3339)):          {"workspace.created"},
			"&created_at.strictly_before=" + url.QueryEscape(before.Add(time.Second).Format(time.RFC3339)): {"invitation.created", "organization.created"},
			"&created_at[before]=" + before.Format(time.DateOnly):                                          {},
			"&order[id]=asc":                         {"organization.created", "invitation.created", "workspace.created"},
			"&order.id=desc":                         {"workspace.created", "invitation.created", "organization.created"},
			"&organization=" + url.QueryEscape(acme): {"workspace.created", "invitation.created", "organization.created"},
		} {
			got := typesOf(t, e, ada, page+query)
			if len(want) == 0 {
				want = nil
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}
		for query, detail := range map[string]string{
			"&type=member":                        `The "type" parameter takes event types`,
			"&type=*":                             `The "type" parameter takes event types`,
			"&type=member.*.x":                    `The "type" parameter takes event types`,
			"&created_at[after]=yesterday":        `The "created_at[after]" parameter must be an RFC 3339 date-time`,
			"&created_at.before=2026-13-01":       `The "created_at[before]" parameter must be an RFC 3339 date-time`,
			"&organization=acme":                  `The "organization" parameter must be an IRI or id of a Organization`,
			"&cursor=bm90IGEgY3Vyc29y":            `The "cursor" parameter is not a cursor this server gave`,
			"&cursor=%25%25":                      `The "cursor" parameter is not a cursor this server gave`,
			"&cursor=" + strings.Repeat("A", 200): `The "cursor" parameter is not a cursor this server gave`,
			"&cursor=bi4wLjE&page=2":              `The "page" and "cursor" parameters cannot be used together`,
			"&type=" + strings.Repeat("a.*,", 40): `The "type" parameter takes at most 32 values`,
		} {
			r := e.do(req{Path: page + query, Key: ada})
			if r.Status != http.StatusBadRequest || !strings.Contains(pmS(r.obj()["detail"]), detail) {
				t.Errorf("%s: %d %s, want 400 saying %s", query, r.Status, r.Body, detail)
			}
		}
		// Numbered pages, as API Platform Admin asks for them, carry the
		// count; cursor pages do not.
		_, r := feedIDs(t, e, ada, page+"&page=1&itemsPerPage=2")
		if pmS(r.obj()["totalItems"]) != "3" || !strings.HasSuffix(feedLink(r, "next"), "&itemsPerPage=2&page=2") {
			t.Errorf("numbered page: totalItems %v, next %q", r.obj()["totalItems"], feedLink(r, "next"))
		}
		_, r = feedIDs(t, e, ada, page+"&itemsPerPage=2")
		if _, counted := r.obj()["totalItems"]; counted {
			t.Errorf("a cursor page with a next page has totalItems")
		}
		_, r = feedIDs(t, e, ada, page+"&itemsPerPage=3")
		if n, counted := r.obj()["totalItems"]; !counted || n != 3.0 || feedLink(r, "next") != "" {
			t.Errorf("the only page of a feed: totalItems %v, next %q; want 3 and none", n, feedLink(r, "next"))
		}
		plain := e.do(req{Path: "/api/events?itemsPerPage=2", Key: ada, Header: map[string]string{"Accept": "application/json"}})
		if plain.Header.Get("X-Total-Count") != "" || !strings.Contains(plain.Header.Get("Link"), `rel="next"`) {
			t.Errorf("plain JSON cursor page: X-Total-Count %q, Link %q", plain.Header.Get("X-Total-Count"), plain.Header.Get("Link"))
		}
	})
}

// TestEventFeedCursor walks the feed while events are recorded: following
// next from the first page meets every event that existed, once, in
// order; following previous back from the end meets them again and then
// those recorded meanwhile; the first page's previous link, polled, holds
// exactly those recorded meanwhile; and the same holds oldest first.
func TestEventFeedCursor(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ada := e.key("ada@example.com", "live", "write")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		n := 0
		add := func() {
			n++
			evMade(t, pmPost(e, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "w`+fmt.Sprint(n)+`"}`))
		}
		// stored are the ids of the workspace events, newest first, as the
		// database holds them once every writer has ended.
		stored := func() []string {
			evs, err := e.db.Event.Query().Where(event.Type("workspace.created")).
				Order(event.ByXid(entsql.OrderDesc()), event.ByID(entsql.OrderDesc())).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, ev := range evs {
				ids = append(ids, fmt.Sprint(ev.ID))
			}
			return ids
		}
		for range 24 {
			add()
		}
		before := stored()
		const first = "/api/events?itemsPerPage=5&type=workspace.created"
		eventuallyFeed(t, e, ada, first, before[:5])
		_, page1 := feedIDs(t, e, ada, first)
		poll := feedLink(page1, "previous")
		if poll == "" || feedLink(page1, "first") != "" {
			t.Fatalf("first page's view: %v, want a previous link (where newer events appear) and no first", page1.obj()["view"])
		}

		// Walk next, recording three events after the first page.
		var walked []string
		path := first
		for pages := 0; path != ""; pages++ {
			ids, r := feedIDs(t, e, ada, path)
			walked = append(walked, ids...)
			if pages == 0 {
				add()
				add()
				add()
			}
			if pages > 0 && feedLink(r, "first") != first {
				t.Errorf("page %d names first %q, want %q", pages+1, feedLink(r, "first"), first)
			}
			path = feedLink(r, "next")
		}
		if !slices.Equal(walked, before) {
			t.Fatalf("next from the first page:\n got %v\nwant %v", walked, before)
		}
		after := stored()
		added := after[:3]
		eventuallyFeed(t, e, ada, poll, added)

		// Back from the last page: the pages before it, then the newer
		// events, each once; every event is met.
		last := first
		for {
			_, r := feedIDs(t, e, ada, last)
			next := feedLink(r, "next")
			if next == "" {
				break
			}
			last = next
		}
		back := feedAll(t, e, ada, last, "previous")
		if got, want := slices.Sorted(slices.Values(back)), slices.Sorted(slices.Values(after)); !slices.Equal(got, want) {
			t.Fatalf("previous from the last page met %v, want %v", got, want)
		}

		// Oldest first, forward and back.
		asc := slices.Clone(after)
		slices.Reverse(asc)
		if got := feedAll(t, e, ada, first+"&order[id]=asc", "next"); !slices.Equal(got, asc) {
			t.Fatalf("oldest first:\n got %v\nwant %v", got, asc)
		}
		// Past the newest, an empty page links back, never to itself.
		_, end := feedIDs(t, e, ada, poll)
		emptyPoll := feedLink(end, "previous")
		if emptyPoll == "" {
			t.Fatalf("the newest page has no previous link to poll: %v", end.obj()["view"])
		}
		ids, r := feedIDs(t, e, ada, emptyPoll)
		if len(ids) != 0 || feedLink(r, "next") == "" || feedLink(r, "previous") != "" {
			t.Errorf("polling past the newest: %v, view %v; want none, a next link back and no previous", ids, r.obj()["view"])
		}
	})
}

// TestEventFeedHorizon holds a PostgreSQL transaction open after it has
// recorded an event, then records another through the API: the feed does
// not show the second until the first transaction ends, so that a client
// polling for newer events never passes an event that commits late.
func TestEventFeedHorizon(t *testing.T) {
	dsn := postgresDSN(t)
	e := newEnv(t, dsn)
	ctx := context.Background()
	ada := e.key("ada@example.com", "live", "write")
	acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
	first := "/api/events?itemsPerPage=10&organization=" + pmIDOf(acme).String()
	eventuallyFeed(t, e, ada, first, []string{fmt.Sprint(mustEventID(t, e, "organization.created"))})
	_, page := feedIDs(t, e, ada, first)
	poll := feedLink(page, "previous")

	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	held, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	var heldID int64
	if err := held.QueryRowContext(ctx, `INSERT INTO events (type, mode, organization, actor_type, data, created_at)
		VALUES ('workspace.created', 'live', $1, 'system', '{}', now()) RETURNING id`, pmIDOf(acme)).Scan(&heldID); err != nil {
		t.Fatal(err)
	}
	evMade(t, pmPost(e, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "Later"}`))
	later := mustEventID(t, e, "workspace.created")
	for range 10 {
		if ids, _ := feedIDs(t, e, ada, poll); len(ids) != 0 {
			t.Fatalf("the feed shows %v while an earlier transaction that recorded event %d is running", ids, heldID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := held.Commit(); err != nil {
		t.Fatal(err)
	}
	eventuallyFeed(t, e, ada, poll, []string{fmt.Sprint(later), fmt.Sprint(heldID)})
}

// mustEventID is the id of the newest committed event of a type.
func mustEventID(t *testing.T, e *env, typ string) int64 {
	t.Helper()
	ev, err := e.db.Event.Query().Where(event.Type(typ)).Order(event.ByID(entsql.OrderDesc())).First(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// TestEventsArePurgedAfterTheirRetention records events older than the
// retention after young ones (a higher id, an earlier time, as a slow
// transaction's may be): one purge deletes every old one, in batches, and
// keeps the young.
func TestEventsArePurgedAfterTheirRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := e.srv.Config.Handler.(*handlers.Server)
		ada := e.key("ada@example.com", "live", "write")
		e.createOrg(ada, `{"name": "Acme"}`)
		young, err := e.db.Event.Query().Count(ctx)
		if err != nil || young == 0 {
			t.Fatalf("young events: %d, %v", young, err)
		}
		old := time.Now().Add(-handlers.DefaultEventRetention - time.Minute)
		const oldOnes = 2500
		for done := 0; done < oldOnes; done += 500 {
			batch := make([]*ent.EventCreate, 500)
			for i := range batch {
				batch[i] = e.db.Event.Create().SetType("workspace.created").SetMode(event.ModeLive).
					SetActorType(event.ActorTypeSystem).SetData(`{}`).SetCreatedAt(old)
			}
			if err := e.db.Event.CreateBulk(batch...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		n, err := srv.PurgeEvents(ctx)
		if err != nil || n != oldOnes {
			t.Fatalf("purged %d (%v), want %d", n, err, oldOnes)
		}
		if left, _ := e.db.Event.Query().Count(ctx); left != young {
			t.Errorf("%d events left, want the %d young ones", left, young)
		}
		if n, err := srv.PurgeEvents(ctx); err != nil || n != 0 {
			t.Errorf("a second purge deleted %d (%v)", n, err)
		}
	})
}

// An event's data is the resource's document as a recorded state: the GET's
// document without what depends on the reader (operations, the reader's
// role) or only navigates (collection links), on both databases (SQLite's
// group commit writes events with its own INSERT).
func TestEventDataIsTheDocumentWithoutControls(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		acme := e.createOrg(ada, `{"name": "Acme", "contact": {"email": "ops@acme.test"}}`)
		r := e.do(req{Path: "/api/events?type=organization.created&organization=" + pmS(acme["id"]), Key: ada})
		events := otList(r.obj()["member"])
		if r.Status != http.StatusOK || len(events) != 1 {
			t.Fatalf("the organization's creation event: %d %s", r.Status, r.Body)
		}
		data := otObj(otObj(events[0])["data"])
		want := otWithout(t, e.do(req{Path: pmS(acme["@id"]), Key: ada}).obj(), "collection", "operation", "current_user_role")
		otEqual(t, "the event's data", data, want)
	})
}
