package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A plain JSON collection is a bare array, so its place in the collection
// travels in headers: Link relations to the pages the JSON-LD view names
// (absolute URLs) and X-Total-Count, absent with partial=true as
// totalItems is.

var pgLinkValue = regexp.MustCompile(`<([^>]*)>; rel="([^"]*)"`)

// pgLinks reads the Link header's relations.
func pgLinks(r *response) map[string]string {
	out := map[string]string{}
	for _, m := range pgLinkValue.FindAllStringSubmatch(strings.Join(r.Header.Values("Link"), ", "), -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestPagingHeadersOfPlainJSONCollections(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Ada's key comes with her personal organization: six in all, five
		// of them named "Paged".
		key := e.key("ada@example.com", "live", "write")
		for i := range 5 {
			e.createOrg(key, fmt.Sprintf(`{"name":"Paged %d"}`, i))
		}
		plain := map[string]string{"Accept": "application/json"}
		docs := "http://www.w3.org/ns/hydra/core#apiDocumentation"

		for _, c := range []struct {
			query string
			rels  []string // the relations besides the documentation's
			total string   // X-Total-Count, "" for none
		}{
			{"itemsPerPage=2&page=2&name=paged", []string{"first", "prev", "next", "last"}, "5"},
			{"itemsPerPage=2&page=1&name=paged", []string{"first", "next", "last"}, "5"},
			{"itemsPerPage=2&name=paged", []string{"next"}, ""}, // a cursor page: no count
			{"itemsPerPage=2&page=3&name=paged", []string{"first", "prev", "last"}, "5"},
			{"itemsPerPage=2&page=2&partial=true&name=paged", []string{"prev", "next"}, ""},
			{"itemsPerPage=10&name=paged", nil, "5"}, // one filtered page: a view without neighbours
			{"", nil, "6"},                           // one unfiltered page: no view
			{"itemsPerPage=0", nil, "6"},             // the count alone
		} {
			t.Run(c.query, func(t *testing.T) {
				r := e.do(req{Path: "/api/organizations?" + c.query, Key: key, Header: plain})
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if got := r.Header.Get("X-Total-Count"); got != c.total || (c.total == "") != (len(r.Header.Values("X-Total-Count")) == 0) {
					t.Errorf("X-Total-Count %q, want %q", got, c.total)
				}
				links := pgLinks(r)
				if links[docs] != e.srv.URL+"/api/docs.jsonld" || !strings.HasPrefix(r.Header.Get("Link"), e.docsLink()) {
					t.Errorf("Link %q: the documentation's link comes first", r.Header.Get("Link"))
				}
				delete(links, docs)
				if len(links) != len(c.rels) {
					t.Errorf("Link relations %v, want %v", links, c.rels)
				}
				// The same pages as the JSON-LD view, absolute.
				view, _ := e.do(req{Path: "/api/organizations?" + c.query, Key: key}).obj()["view"].(map[string]any)
				for _, rel := range c.rels {
					key := map[string]string{"prev": "previous"}[rel]
					if key == "" {
						key = rel
					}
					if want, _ := view[key].(string); want == "" || links[rel] != e.srv.URL+want {
						t.Errorf("rel=%s: %q, the view says %q", rel, links[rel], want)
					}
				}
				if n, _ := strconv.Atoi(c.total); c.total != "" && len(r.JSON.([]any)) > n {
					t.Errorf("%d items, more than the total %d", len(r.JSON.([]any)), n)
				}
			})
		}

		// Following next from the first page reaches every item once.
		seen := map[string]bool{}
		next := e.srv.URL + "/api/organizations?itemsPerPage=2&name=paged"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("next never ends")
			}
			r := e.do(req{Path: strings.TrimPrefix(next, e.srv.URL), Key: key, Header: plain})
			for _, item := range r.JSON.([]any) {
				name := item.(map[string]any)["name"].(string)
				if seen[name] {
					t.Errorf("%s on two pages", name)
				}
				seen[name] = true
			}
			next = pgLinks(r)["next"]
		}
		if len(seen) != 5 {
			t.Errorf("the pages hold %d of 5 organizations", len(seen))
		}

		// JSON-LD pages say it in their view: no paging headers.
		ld := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key})
		if len(pgLinks(ld)) != 1 || ld.Header.Get("X-Total-Count") != "" {
			t.Errorf("JSON-LD page: Link %q, X-Total-Count %q", ld.Header.Get("Link"), ld.Header.Get("X-Total-Count"))
		}

		// A cached answer and a 304 keep them.
		first := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key, Header: plain})
		again := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key, Header: plain})
		if again.Header.Get("Link") != first.Header.Get("Link") || again.Header.Get("X-Total-Count") != "5" {
			t.Errorf("the second answer: Link %q, X-Total-Count %q", again.Header.Get("Link"), again.Header.Get("X-Total-Count"))
		}
		notModified := e.do(req{Path: "/api/organizations?itemsPerPage=2&page=2&name=paged", Key: key,
			Header: map[string]string{"Accept": "application/json", "If-None-Match": first.Header.Get("ETag")}})
		if notModified.Status != http.StatusNotModified || notModified.Header.Get("Link") != first.Header.Get("Link") {
			t.Errorf("304: %d, Link %q", notModified.Status, notModified.Header.Get("Link"))
		}
	})
}

// cursorWalk follows a collection's view from its first page to its last
// (next), or from a cursor back to the first (previous), calling between
// pages, and returns the ids it read in the collection's order.
func cursorWalk(t *testing.T, e *env, key, first string, backward bool, between func()) (ids []string, last string) {
	t.Helper()
	rel := "next"
	if backward {
		rel = "previous"
	}
	seen := map[string]bool{}
	for path, pages := first, 0; path != ""; pages++ {
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages", first)
		}
		r := e.do(req{Path: path, Key: key})
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		var page []string
		for _, m := range pmList(r.obj()["member"]) {
			page = append(page, pmS(pmObj(m)["@id"]))
		}
		if backward {
			ids = append(page, ids...)
		} else {
			ids = append(ids, page...)
		}
		for _, id := range page {
			if seen[id] {
				t.Errorf("%s: %s read twice", path, id)
			}
			seen[id] = true
		}
		view := pmObj(r.obj()["view"])
		last = path
		path, _ = view[rel].(string)
		if between != nil && path != "" {
			between()
		}
	}
	return ids, last
}

// Every collection pages by cursor when no page number is asked for: the
// pages followed forward and then backward hold exactly the items of a
// numbered listing, in its order, however they are sorted; a cursor from
// another order, or not from this server, is a 400.
func TestCursorPagesOfEveryCollection(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		org := pmS(e.createOrg(ada, `{"name":"Cursors"}`)["@id"])
		for i := range 7 {
			e.createOrg(ada, fmt.Sprintf(`{"name":"Org %d"}`, 7-i))
			evMade(t, pmPost(e, "/api/workspaces", ada, fmt.Sprintf(`{"organization": %q, "name": "Space %d"}`, org, i)))
			evMade(t, pmPost(e, "/api/invitations", ada, fmt.Sprintf(`{"organization": %q, "email": "guest%d@example.com", "role": "viewer"}`, org, i)))
			evMade(t, pmPost(e, "/api/roles", ada, fmt.Sprintf(`{"organization": %q, "slug": "role-%d", "name": "Role %d", "permissions": ["organization:read"]}`, org, i, i)))
			evMade(t, pmPost(e, "/api/domains", ada, fmt.Sprintf(`{"organization": %q, "domain": "d%d.example.com"}`, org, i)))
			evMade(t, pmPost(e, "/api/webhook_endpoints", ada, fmt.Sprintf(`{"organization": %q, "url": "http://127.0.0.1:9/hook%d", "enabled_events": ["*"]}`, org, i)))
			evMade(t, pmPost(e, "/api/api_keys", ada, fmt.Sprintf(`{"name": "key %d"}`, i)))
			e.key(fmt.Sprintf("member%d@example.com", i), "live", "read")
		}
		operator := e.key("root@example.com", "live", "operator")
		for _, c := range []struct{ key, path string }{
			{ada, "/api/organizations"},
			{ada, "/api/organizations?order[name]=desc"},
			{ada, "/api/organizations?order[created_at]=desc"},
			{operator, "/api/organizations?order[name]=asc"},
			{ada, "/api/workspaces?organization=" + org + "&order[name]=asc"},
			{ada, "/api/invitations?organization=" + org + "&order[created_at]=desc"},
			{ada, "/api/roles?organization=" + org + "&order[name]=desc"},
			{ada, "/api/domains?organization=" + org + "&order[domain]=desc"},
			{ada, "/api/webhook_endpoints?organization=" + org},
			{ada, "/api/api_keys?order[created_at]=desc"},
			{ada, "/api/members?order[joined_at]=desc"},
			{operator, "/api/users?order[created_at]=asc"},
			{ada, "/api/events?order[id]=asc"},
		} {
			t.Run(c.path, func(t *testing.T) {
				sep := "?"
				if strings.Contains(c.path, "?") {
					sep = "&"
				}
				numbered, _ := cursorWalk(t, e, c.key, c.path+sep+"itemsPerPage=100&page=1", false, nil)
				if len(numbered) < 7 {
					t.Fatalf("only %d items", len(numbered))
				}
				forward, last := cursorWalk(t, e, c.key, c.path+sep+"itemsPerPage=3", false, nil)
				if !slices.Equal(forward, numbered) {
					t.Errorf("forward by cursor:\n%v\nnumbered:\n%v", forward, numbered)
				}
				if strings.Contains(last, "cursor=") {
					backward, _ := cursorWalk(t, e, c.key, last, true, nil)
					if !slices.Equal(backward, numbered) {
						t.Errorf("backward by cursor from %s:\n%v\nnumbered:\n%v", last, backward, numbered)
					}
				}
			})
		}
		// A cursor is good for the order it was made in only.
		next := pmS(pmObj(e.do(req{Path: "/api/organizations?itemsPerPage=2&order[name]=desc", Key: ada}).obj()["view"])["next"])
		_, cursor, _ := strings.Cut(next, "cursor=")
		for _, path := range []string{
			"/api/organizations?itemsPerPage=2&order[created_at]=desc&cursor=" + cursor,
			"/api/workspaces?cursor=" + cursor,
			"/api/organizations?cursor=eyJvIjoiaWQiLCJkIjoibiIsImsiOlsibm90LWEtdXVpZCJdfQ",
			"/api/organizations?cursor=%%%",
			"/api/organizations?page=2&cursor=" + cursor,
		} {
			if r := e.do(req{Path: path, Key: ada}); r.Status != http.StatusBadRequest || r.obj()["detail"] == nil {
				t.Errorf("%s: %d %s, want a 400 problem", path, r.Status, r.Body)
			}
		}
	})
}

// Cursor pages are stable while the collection changes between them: an
// item present throughout a walk is read exactly once, in order, whatever
// was inserted or deleted around it, forward and backward; on the listing
// of organizations by id (an index range of the caller's memberships), by
// name (a string key), and members newest first (a time key).
func TestCursorPagesUnderConcurrentChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		org := pmS(e.createOrg(ada, `{"name":"M"}`)["@id"])
		for i := range 12 {
			e.createOrg(ada, fmt.Sprintf(`{"name":"Stable %02d"}`, i))
			evMade(t, pmPost(e, "/api/invitations", ada, fmt.Sprintf(`{"organization": %q, "email": "m%d@example.com", "role": "viewer"}`, org, i)))
		}
		n := 0
		var made []string
		churn := func() {
			// Insert two, delete the oldest churned one: before and after
			// every place, in every order.
			n++
			for _, name := range []string{fmt.Sprintf("AAA %d", n), fmt.Sprintf("zzz %d", n)} {
				made = append(made, pmS(e.createOrg(ada, fmt.Sprintf(`{"name":%q}`, name))["@id"]))
			}
			evMade(t, pmPost(e, "/api/invitations", ada, fmt.Sprintf(`{"organization": %q, "email": "churn%d@example.com", "role": "viewer"}`, org, n)))
			if len(made) > 2 {
				if r := e.do(req{Method: http.MethodDelete, Path: made[0], Key: ada}); r.Status != http.StatusNoContent {
					t.Fatalf("DELETE %s: %d", made[0], r.Status)
				}
				made = made[1:]
			}
		}
		for _, path := range []string{"/api/organizations?itemsPerPage=4", "/api/organizations?order[name]=desc&itemsPerPage=4",
			"/api/invitations?organization=" + org + "&order[created_at]=desc&itemsPerPage=4"} {
			t.Run(path, func(t *testing.T) {
				before, _ := cursorWalk(t, e, ada, strings.Replace(path, "itemsPerPage=4", "itemsPerPage=100&page=1", 1), false, nil)
				forward, last := cursorWalk(t, e, ada, path, false, churn)
				backward, _ := cursorWalk(t, e, ada, last, true, churn)
				after, _ := cursorWalk(t, e, ada, strings.Replace(path, "itemsPerPage=4", "itemsPerPage=100&page=1", 1), false, nil)
				// What was there before and after the walks was there
				// throughout: each walk holds it, in the listing's order.
				var stable []string
				for _, id := range before {
					if slices.Contains(after, id) {
						stable = append(stable, id)
					}
				}
				for what, walk := range map[string][]string{"forward": forward, "backward": backward} {
					var kept []string
					for _, id := range walk {
						if slices.Contains(stable, id) {
							kept = append(kept, id)
						}
					}
					if !slices.Equal(kept, stable) || len(stable) < 12 {
						t.Errorf("%s: the %d items present throughout read as\n%v\nwant\n%v", what, len(stable), kept, stable)
					}
				}
				if n == 0 {
					t.Fatal("nothing changed between pages")
				}
			})
		}
	})
}
