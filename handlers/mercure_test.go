package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgraph/orgraph/handlers"
)

// The Mercure hub (issue 20 item 5): subscribers name topics (IRIs, URI
// templates, *), authenticate with an API key in the header, the
// authorization query parameter or the mercureAuthorization cookie, and
// receive the documents of the resources they may read, as they change,
// resumable with Last-Event-ID.
func TestMercureHub(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		base := e.srv.URL
		ada := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "read")
		carol := e.key("carol@example.com", "live", "write")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		pmAddMember(t, e, pmIDOf(acme).String(), pmUser(t, e, "bob@example.com").ID, "viewer")
		e.createOrg(carol, `{"name": "Carol's"}`)
		hub := base + handlers.MercurePath

		// ada: one IRI, in the header; bob (a viewer: no events:read, but
		// he reads the organization): a URI template, in the query; carol
		// (a stranger): everything, in the cookie.
		adaSub, _ := openStreamAt(t, hub+"?topic="+url.QueryEscape(base+acme), map[string]string{"Authorization": "Bearer " + ada})
		bobSub, resp := openStreamAt(t, hub+"?topic="+url.QueryEscape("/api/organizations/{id}")+"&authorization="+bob, nil)
		if resp.Header.Get("Last-Event-ID") == "" {
			t.Error("no Last-Event-ID on the subscription's answer")
		}
		carolSub, _ := openStreamAt(t, hub+"?topic=*", map[string]string{"Cookie": "mercureAuthorization=" + carol})

		rename := func(name string) {
			t.Helper()
			r := e.do(req{Method: http.MethodPatch, Path: acme, Key: ada, Header: map[string]string{"Content-Type": "application/merge-patch+json"}, Body: `{"name": "` + name + `"}`})
			if r.Status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", r.Status, r.Body)
			}
		}
		rename("Acme One")
		// A workspace of Acme: not a topic ada or bob named.
		ws := pmS(pmPost(e, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "W"}`).obj()["@id"])
		rename("Acme Two")
		var first string
		for _, sub := range []*sseStream{adaSub, bobSub} {
			for i, want := range []string{"Acme One", "Acme Two"} {
				ev := sub.next(t)
				if ev.typ != "" || !strings.HasPrefix(ev.id, base+"/api/events/") || ev.data["@id"] != acme || ev.data["name"] != want {
					t.Fatalf("update %d: id %q, event %q, data %v; want %s's document named %s, with no event type (Admin listens to messages)", i, ev.id, ev.typ, ev.data, acme, want)
				}
				if i == 0 {
					first = ev.id
				}
			}
		}
		carolSub.quiet(t, 600*time.Millisecond)

		// Resumed after the first update: the second, and what follows.
		again, _ := openStreamAt(t, hub+"?topic=*&authorization="+bob, map[string]string{"Last-Event-ID": first})
		for _, want := range []string{ws, acme} {
			if ev := again.next(t); ev.data["@id"] != want {
				t.Fatalf("resumed: %v, want %s", ev.data, want)
			}
		}
		// A deletion sends the IRI alone.
		if r := e.do(req{Method: http.MethodDelete, Path: ws, Key: ada}); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		if ev := again.next(t); len(ev.data) != 1 || ev.data["@id"] != ws {
			t.Errorf("deletion: %v, want {\"@id\": %q}", ev.data, ws)
		}

		// Refusals.
		for _, c := range []struct {
			what, url string
			status    int
		}{
			{"no credential", hub + "?topic=*", http.StatusUnauthorized},
			{"no topic", hub + "?authorization=" + ada, http.StatusBadRequest},
			{"a bad template", hub + "?topic=" + url.QueryEscape("/api/{x") + "&authorization=" + ada, http.StatusBadRequest},
		} {
			if _, resp := openStreamAt(t, c.url, nil); resp.StatusCode != c.status {
				t.Errorf("%s: %d, want %d", c.what, resp.StatusCode, c.status)
			}
		}
		if r := e.do(req{Method: http.MethodPost, Path: handlers.MercurePath, Key: ada}); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("publishing: %d, want 405 (only Orgraph publishes)", r.Status)
		}
	})
}

// TestMercureHubDiscovery: with Config.Mercure, every answer's Link header
// names the hub as API Platform Admin looks for it; without, none does.
func TestMercureHubDiscovery(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	ada := e.key("ada@example.com", "live", "write")
	srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: unlimited, Mercure: true}))
	t.Cleanup(srv.Close)
	for name, s := range map[string]*env{"advertised": {t: t, db: e.db, srv: srv}, "default": e} {
		r := s.do(req{Path: "/api/organizations", Key: ada})
		link := strings.Join(r.Header.Values("Link"), ", ")
		want := "<" + s.srv.URL + handlers.MercurePath + `>; rel="mercure"`
		if got := strings.Contains(link, want); got != (name == "advertised") {
			t.Errorf("%s: Link %q; the hub is named: %v", name, link, got)
		}
	}
}

// One caller's Mercure subscriptions share their reads of the feed (an
// Admin page subscribes once per record it shows): 16 subscriptions and 3
// changes cost a few reads of the feed, not one per subscription per
// change, and every subscription still gets every update.
func TestMercureSubscriptionsShareReads(t *testing.T) {
	var feedReads atomic.Int64
	e := newTracedEnvWith(t, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"), func(_ context.Context, s string) {
		if strings.Contains(s, "events") && strings.Contains(s, "LIMIT 101") { // orgs.EventFeed.Seek
			feedReads.Add(1)
		}
	}, handlers.Config{})
	ada := e.key("ada@example.com", "live", "write")
	acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
	const subscriptions = 16
	var subs []*sseStream
	for range subscriptions {
		sub, _ := openStreamAt(t, e.srv.URL+handlers.MercurePath+"?topic=*", map[string]string{"Authorization": "Bearer " + ada})
		subs = append(subs, sub)
	}
	time.Sleep(2 * handlers.TailPeriod) // every subscription waits on the feed
	before := feedReads.Load()
	for i := range 3 {
		name := fmt.Sprintf("Acme %d", i)
		if r := e.do(req{Method: http.MethodPatch, Path: acme, Key: ada, Body: `{"name": "` + name + `"}`}); r.Status != http.StatusOK {
			t.Fatalf("PATCH: %d %s", r.Status, r.Body)
		}
		for _, sub := range subs {
			if ev := sub.next(t); ev.data["name"] != name {
				t.Fatalf("a subscription got %v, want the rename to %s", ev.data, name)
			}
		}
	}
	if reads := feedReads.Load() - before; reads >= subscriptions {
		t.Errorf("%d subscriptions read the feed %d times for 3 changes: they do not share their reads", subscriptions, reads)
	} else {
		t.Logf("%d subscriptions, 3 changes: %d reads of the feed", subscriptions, reads)
	}
}
