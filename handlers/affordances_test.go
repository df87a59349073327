package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
)

// Per-caller affordances (issue 18, beyond API Platform; Hydra Core §4.1):
// an organization's document lists, as hydra:operation, the operations its
// reader may invoke, by the rules the writes enforce: the owner PATCH and
// DELETE, an admin PATCH, a developer, a viewer and a read-only key
// nothing. A Hydra client that reads hydra:operation (the JSON-LD checker
// of jsonld_test.go, and any RDF consumer) sees exactly what would succeed:
// each listed operation, sent with the document's ETag, succeeds; each one
// left out is a 403. The documentation, which Admin reads, is the same for
// everyone. The document cache keys on the API key, so that one caller's
// operations never reach another (asked in turns, twice each).
func TestOrganizationOperationsAreTheCallers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Afforded")
		keys := map[string]string{
			"owner": o.keys["ada"], "admin": o.keys["bob"], "developer": o.keys["dave"], "viewer": o.keys["vic"],
			"owner's read key": e.key("ada@example.com", "live", "read"),
		}
		want := map[string][]string{"owner": {"PATCH", "DELETE", "transfer"}, "admin": {"PATCH"}}
		order := []string{"owner", "viewer", "owner's read key", "admin", "developer", "owner", "admin", "viewer"}
		read := func(who string) (*response, []string) {
			r := e.do(req{Path: o.iri, Key: keys[who]})
			if r.Status != http.StatusOK {
				t.Fatalf("%s reads %s: %d %s", who, o.iri, r.Status, r.Body)
			}
			var methods []string
			for _, op := range otList(r.obj()["operation"]) {
				m := otObj(op)
				name := pmS(m["method"])
				if name == http.MethodPost { // an action: its name ends its target
					name = path.Base(pmS(m["target"]))
				}
				methods = append(methods, name)
				title := map[string]string{"PATCH": "patchOrganization", "DELETE": "deleteOrganization", "transfer": "transferOrganization"}[name]
				if m["title"] != title {
					t.Errorf("%s: operation %v, want the documented title %q", who, m, title)
				}
			}
			return r, methods
		}
		for _, who := range order {
			if _, got := read(who); !slices.Equal(got, want[who]) {
				t.Errorf("%s: operations %v, want %v", who, got, want[who])
			}
		}

		// What is listed succeeds, what is not is refused: PATCH by all
		// but the owner, whose DELETE comes last.
		for _, who := range []string{"admin", "developer", "viewer", "owner's read key", "owner"} {
			r, listed := read(who)
			patch := e.do(req{Method: http.MethodPatch, Path: o.iri, Key: keys[who], Body: fmt.Sprintf(`{"name":"By %s"}`, who),
				Header: map[string]string{"If-Match": r.Header.Get("ETag")}})
			if ok := patch.Status == http.StatusOK; ok != slices.Contains(listed, "PATCH") {
				t.Errorf("%s lists %v, and PATCH (If-Match the GET's ETag) answers %d %s", who, listed, patch.Status, patch.Body)
			}
			if who == "owner" {
				continue
			}
			r, listed = read(who)
			if del := e.do(req{Method: http.MethodDelete, Path: o.iri, Key: keys[who], Header: map[string]string{"If-Match": r.Header.Get("ETag")}}); (del.Status == http.StatusNoContent) != slices.Contains(listed, "DELETE") {
				t.Errorf("%s lists %v, and DELETE answers %d %s", who, listed, del.Status, del.Body)
			}
		}
		r, _ := read("owner")
		if del := e.do(req{Method: http.MethodDelete, Path: o.iri, Key: keys["owner"], Header: map[string]string{"If-Match": r.Header.Get("ETag")}}); del.Status != http.StatusNoContent {
			t.Errorf("the owner's DELETE with the document's ETag: %d %s", del.Status, del.Body)
		}

		// The documentation is one for everyone.
		docs := e.do(req{Path: "/api/docs.jsonld"}).Body
		for who, k := range keys {
			if got := e.do(req{Path: "/api/docs.jsonld", Key: k}).Body; !bytes.Equal(got, docs) {
				t.Errorf("the documentation read with the %s's key differs", who)
			}
		}
	})
}

// An organization's collection links carry, per reader, the POST of the
// collections they may add to (Hydra Core §4.1 on the link, as items list
// theirs): the owner and the admin all five, the developer workspaces
// alone, the viewer and a read-only key none, nobody once the organization
// is suspended. Each offered POST succeeds; each one left out is a 403.
func TestOrganizationLinksOfferTheCallersCreates(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Linked")
		keys := map[string]string{
			"owner": o.keys["ada"], "admin": o.keys["bob"], "developer": o.keys["dave"], "viewer": o.keys["vic"],
			"owner's read key": e.key("ada@example.com", "live", "read"),
		}
		every := []string{"postInvitation", "postWorkspace", "postRole", "postDomain", "postWebhookEndpoint"}
		want := map[string][]string{"owner": every, "admin": every, "developer": {"postWorkspace"}}
		offered := func(who string) map[string]string {
			got := map[string]string{} // title → the collection's path
			for _, l := range otList(e.do(req{Path: o.iri, Key: keys[who]}).obj()["collection"]) {
				link := otObj(l)
				for _, op := range otList(link["operation"]) {
					m := otObj(op)
					if m["method"] != http.MethodPost {
						t.Errorf("%s: a link offers %v", who, m)
					}
					got[pmS(m["title"])] = strings.Split(pmS(link["@id"]), "?")[0]
				}
			}
			return got
		}
		bodies := map[string]string{
			"/api/invitations":       `{"organization":%q,"email":"new-%s@example.com"}`,
			"/api/workspaces":        `{"organization":%q,"name":"By %s"}`,
			"/api/roles":             `{"organization":%q,"slug":"by-%s","name":"By"}`,
			"/api/domains":           `{"organization":%q,"domain":"by-%s.example"}`,
			"/api/webhook_endpoints": `{"organization":%q,"url":"http://127.0.0.1:9/%s","enabled_events":["*"]}`,
		}
		paths := map[string]string{"postInvitation": "/api/invitations", "postWorkspace": "/api/workspaces", "postRole": "/api/roles", "postDomain": "/api/domains", "postWebhookEndpoint": "/api/webhook_endpoints"}
		for _, who := range []string{"viewer", "owner's read key", "developer", "admin", "owner"} {
			got := offered(who)
			var titles []string
			for title := range got {
				titles = append(titles, title)
			}
			slices.Sort(titles)
			wanted := slices.Sorted(slices.Values(want[who]))
			if !slices.Equal(titles, wanted) {
				t.Errorf("%s is offered %v, want %v", who, titles, wanted)
			}
			slug := strings.NewReplacer(" ", "-", "'", "").Replace(who)
			for _, title := range every {
				path := paths[title]
				if listed, ok := got[title]; ok && listed != path {
					t.Errorf("%s: %s on the link to %s", who, title, listed)
				}
				r := e.do(req{Method: http.MethodPost, Path: path, Key: keys[who], Body: fmt.Sprintf(bodies[path], o.iri, slug)})
				if _, listed := got[title]; (r.Status == http.StatusCreated) != listed {
					t.Errorf("%s: %s listed %v, and POST %s answers %d %s", who, title, listed, path, r.Status, r.Body)
				}
			}
		}
		suspend := e.do(req{Method: http.MethodPatch, Path: o.iri, Key: keys["owner"], Body: `{"status":{"current_status":"SUSPENDED"}}`})
		if suspend.Status != http.StatusOK {
			t.Fatalf("suspend: %d %s", suspend.Status, suspend.Body)
		}
		if got := offered("owner"); len(got) != 0 {
			t.Errorf("a suspended organization offers its owner %v", got)
		}
	})
}

// The POST answer is the GET's document, operations included (the creator
// owns the organization), and a page's members list none.
func TestCreatedOrganizationListsTheOwnersOperations(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	key := e.key("ada@example.com", "live", "write")
	created := e.createOrg(key, `{"name":"Acme"}`)
	got := e.do(req{Path: pmS(created["@id"]), Key: key}).obj()
	if d := jsonDiff("", created, got); len(d) > 0 {
		t.Errorf("the POST answer differs from the GET: %v", d)
	}
	if len(otList(created["operation"])) != 3 { // PATCH, DELETE, transfer
		t.Errorf("operations %v", created["operation"])
	}
	for _, m := range otList(e.do(req{Path: "/api/organizations", Key: key}).obj()["member"]) {
		if otObj(m)["operation"] != nil {
			t.Errorf("a page's member lists operations: %v", m)
		}
	}
}

// Every item class with operations beyond GET lists, per reader, exactly
// the operations that succeed for them: one table, every operation of every
// class for every kind of caller. Each cell starts from a fresh
// organization (ada and olga owners, bob admin, dave developer, vic viewer;
// ivy invited, sam a stranger; ada's read-only key), reads the item, checks
// the listed operations against the table, then tries one operation with
// the GET's ETag: it succeeds exactly when it was listed. The table states
// the rules (orgs.Standing): who manages members and owners, that leaving
// takes no permission, who manages workspaces, who may send (so resend and
// revoke) an invitation of a role, who deactivates and reactivates whom
// (nobody themselves; a deactivated member sees nothing), that only the
// invitee accepts, which
// statuses allow which action, that a suspended organization's members,
// workspaces and invitations change for no one, and that a read-only key
// is offered nothing. Olga is there so that the last-owner rule, a rule of
// the other owners' rows and not of the caller's permission, never refuses
// a listed DELETE here (TestLastOwnerIsARuleNotAnAffordance).
func TestItemOperationsAreTheCallers(t *testing.T) {
	callers := []string{"owner", "admin", "developer", "viewer", "read key", "invitee", "stranger"}
	person := map[string]string{"owner": "ada", "admin": "bob", "developer": "dave", "viewer": "vic", "read key": "ada", "invitee": "ivy", "stranger": "sam"}
	type subject struct {
		name  string
		class string // Member, Workspace or Invitation
		ops   []string
		want  map[string]string // caller → the operations listed, space-separated
	}
	subjects := []subject{
		{"a developer's membership", "Member", []string{"PATCH", "DELETE", "deactivate"},
			map[string]string{"owner": "PATCH DELETE deactivate", "admin": "PATCH DELETE deactivate", "developer": "DELETE"}},
		{"another owner's membership", "Member", []string{"PATCH", "DELETE", "deactivate"},
			map[string]string{"owner": "PATCH DELETE deactivate"}},
		{"the caller's own membership", "Member", []string{"PATCH", "DELETE", "deactivate"},
			map[string]string{"owner": "PATCH DELETE", "admin": "PATCH DELETE", "developer": "DELETE", "viewer": "DELETE"}},
		{"a deactivated developer's membership", "Member", []string{"PATCH", "DELETE", "reactivate"},
			map[string]string{"owner": "PATCH DELETE reactivate", "admin": "PATCH DELETE reactivate"}},
		{"a developer's membership, organization suspended", "Member", []string{"PATCH", "DELETE", "deactivate"}, nil},
		{"a workspace", "Workspace", []string{"PATCH", "DELETE"},
			map[string]string{"owner": "PATCH DELETE", "admin": "PATCH DELETE", "developer": "PATCH DELETE"}},
		{"a workspace, organization suspended", "Workspace", []string{"PATCH", "DELETE"}, nil},
		{"a pending invitation", "Invitation", []string{"accept", "resend", "revoke"},
			map[string]string{"owner": "resend revoke", "admin": "resend revoke", "invitee": "accept"}},
		{"a pending invitation of an owner", "Invitation", []string{"accept", "resend", "revoke"},
			map[string]string{"owner": "resend revoke", "invitee": "accept"}},
		{"an expired invitation", "Invitation", []string{"accept", "resend", "revoke"},
			map[string]string{"owner": "resend", "admin": "resend"}},
		{"a revoked invitation", "Invitation", []string{"accept", "resend", "revoke"}, nil},
		{"a pending invitation, organization suspended", "Invitation", []string{"accept", "resend", "revoke"}, nil},
	}
	eachBackend(t, func(t *testing.T, e *env) {
		keys := map[string]string{"read key": e.key("ada@example.com", "live", "read")}
		for _, p := range []string{"ada", "olga", "bob", "dave", "vic", "ivy", "sam"} {
			keys[p] = e.key(p+"@example.com", "live", "write")
		}
		keyOf := func(who string) string {
			if who == "read key" {
				return keys["read key"]
			}
			return keys[person[who]]
		}
		ctx := context.Background()
		n := 0
		// fixture makes a fresh organization and the subject in it, and
		// answers the subject's IRI.
		fixture := func(s subject, who string) string {
			n++
			doc := e.createOrg(keys["ada"], fmt.Sprintf(`{"name":"Afforded %d"}`, n))
			orgID, orgIRI := uuid.MustParse(pmS(doc["id"])), pmS(doc["@id"])
			members := map[string]string{"ada": pmS(pmObj(pmList(doc["owners"])[0])["@id"])}
			for _, p := range []struct{ who, role string }{{"olga", "owner"}, {"bob", "admin"}, {"dave", "developer"}, {"vic", "viewer"}} {
				m, err := e.db.Member.Create().SetOrganizationID(orgID).SetUserID(pmUser(t, e, p.who+"@example.com").ID).
					SetRole(p.role).SetJoinedAt(time.Now()).Save(ctx)
				if err != nil {
					t.Fatalf("add member: %v", err)
				}
				members[p.who] = hydra.Member.IRI(m.ID.String())
			}
			var iri string
			switch {
			case s.class == "Member" && strings.HasPrefix(s.name, "another owner's"):
				iri = members["olga"]
			case s.class == "Member" && strings.HasPrefix(s.name, "the caller's own"):
				iri = members[person[who]]
				if iri == "" { // no membership of their own: ada's, which they cannot see
					iri = members["ada"]
				}
			case s.class == "Member":
				iri = members["dave"]
				if strings.HasPrefix(s.name, "a deactivated") {
					if err := e.db.Member.UpdateOneID(pmIDOf(iri)).SetStatus(member.StatusDeactivated).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
			case s.class == "Workspace":
				r := pmPost(e, "/api/workspaces", keys["ada"], fmt.Sprintf(`{"organization":%q,"name":"Design"}`, orgIRI))
				if r.Status != http.StatusCreated {
					t.Fatalf("create workspace: %d %s", r.Status, r.Body)
				}
				iri = pmS(r.obj()["@id"])
			default:
				role := "developer"
				if strings.Contains(s.name, "of an owner") {
					role = "owner"
				}
				r := pmPost(e, "/api/invitations", keys["ada"], fmt.Sprintf(`{"organization":%q,"email":"ivy@example.com","role":%q}`, orgIRI, role))
				if r.Status != http.StatusCreated {
					t.Fatalf("invite: %d %s", r.Status, r.Body)
				}
				iri = pmS(r.obj()["@id"])
				id := pmIDOf(iri)
				switch {
				case strings.HasPrefix(s.name, "an expired"):
					err := e.db.Invitation.UpdateOneID(id).SetExpiresAt(time.Now().Add(-time.Hour)).Exec(ctx)
					if err != nil {
						t.Fatal(err)
					}
				case strings.HasPrefix(s.name, "a revoked"):
					if r := pmPost(e, iri+"/revoke", keys["ada"], ""); r.Status != http.StatusOK {
						t.Fatalf("revoke: %d %s", r.Status, r.Body)
					}
				}
			}
			if strings.HasSuffix(s.name, "suspended") {
				if err := e.db.Organization.UpdateOneID(orgID).SetStatus(organization.StatusSUSPENDED).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			return iri
		}
		for _, s := range subjects {
			for _, who := range callers {
				want := strings.Fields(s.want[who])
				for i, op := range s.ops {
					iri := fixture(s, who)
					g := e.do(req{Path: iri, Key: keyOf(who)})
					doc := map[string]any{}
					if g.Status == http.StatusOK {
						doc = g.obj()
					} else if g.Status != http.StatusNotFound || len(want) > 0 {
						t.Fatalf("%s reads %s: %d %s", who, s.name, g.Status, g.Body)
					}
					listed := afListed(t, s.class, iri, doc)
					if i == 0 && !slices.Equal(listed, want) {
						t.Errorf("%s, %s: operations %v, want %v", s.name, who, listed, want)
					}
					r := afTry(e, op, iri, keyOf(who), g.Header.Get("ETag"), doc)
					if ok := r.Status/100 == 2; ok != slices.Contains(listed, op) {
						t.Errorf("%s, %s: lists %v, and %s answers %d %s", s.name, who, listed, op, r.Status, r.Body)
					}
				}
			}
		}
	})
}

// afListed reads the operations a document lists, by the names the table
// uses (PATCH, DELETE, or the action's), checking that each is the
// documented one: its title, and for an action its target.
func afListed(t *testing.T, class, iri string, doc map[string]any) []string {
	t.Helper()
	var names []string
	for _, o := range otList(doc["operation"]) {
		op := otObj(o)
		method, title := pmS(op["method"]), pmS(op["title"])
		name := method
		switch method {
		case "PATCH":
			if title != "patch"+class || op["target"] != nil {
				t.Errorf("%s: %v, want the documented patch%s", iri, op, class)
			}
		case "DELETE":
			if title != "delete"+class || op["target"] != nil {
				t.Errorf("%s: %v, want the documented delete%s", iri, op, class)
			}
		case "POST":
			name = strings.TrimSuffix(title, class)
			if name == title || op["target"] != iri+"/"+name || op["@type"] != "Operation" {
				t.Errorf("%s: %v, want an action's title, sent to the item's IRI and its name", iri, op)
			}
		default:
			t.Errorf("%s: operation %v", iri, op)
		}
		names = append(names, name)
	}
	return names
}

// afTry invokes one operation as the caller, If-Match the GET's ETag: a
// PATCH that keeps what it names (the same role, the same name), a
// DELETE, or an action's POST with no body.
func afTry(e *env, op, iri, key, etag string, doc map[string]any) *response {
	e.t.Helper()
	h := map[string]string{}
	if etag != "" {
		h["If-Match"] = etag
	}
	switch op {
	case "PATCH":
		body := fmt.Sprintf(`{"role":%q}`, pmS(doc["role"]))
		if doc["@type"] == "Workspace" {
			body = fmt.Sprintf(`{"name":%q}`, pmS(doc["name"]))
		}
		if doc["@type"] == nil { // unseen: any change
			body = `{"role":"viewer","name":"Design"}`
		}
		return e.do(req{Method: http.MethodPatch, Path: iri, Key: key, Body: body, Header: h})
	case "DELETE":
		return e.do(req{Method: http.MethodDelete, Path: iri, Key: key, Header: h})
	}
	return e.do(req{Method: http.MethodPost, Path: iri + "/" + op, Key: key, Header: h})
}

// The last-owner rule is a rule, not an affordance: the only owner is
// offered PATCH and DELETE on their membership, as their role permits, and
// the write refuses them with the rule's 422, which names what to do
// (promote another owner first). Listing them costs nothing and tells the
// truth about permission; leaving them out would take another query (the
// count of owners) and would hide why.
func TestLastOwnerIsARuleNotAnAffordance(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Alone")
		g := e.do(req{Path: o.members["ada"], Key: o.keys["ada"]})
		if listed := afListed(t, "Member", o.members["ada"], g.obj()); !slices.Equal(listed, []string{"PATCH", "DELETE"}) {
			t.Errorf("the only owner's operations on their membership: %v", listed)
		}
		h := map[string]string{"If-Match": g.Header.Get("ETag")}
		if r := e.do(req{Method: http.MethodDelete, Path: o.members["ada"], Key: o.keys["ada"], Header: h}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("the only owner leaves: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Method: http.MethodPatch, Path: o.members["ada"], Key: o.keys["ada"], Body: `{"role":"admin"}`, Header: h}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("the only owner steps down: %d %s", r.Status, r.Body)
		}
	})
}

// Operations cost an item's document one statement (the caller's standing:
// role and organization status), and a read-only key's none, which is
// offered nothing.
func TestItemOperationsCostOneStatement(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "postgres" {
				postgresDSN(t) // skips without a server
			}
			e, statements := newCountingEnv(t, backend, handlers.Config{})
			o := mbNewOrg(t, e, "Counted")
			read := e.key("ada@example.com", "live", "read")
			ws := pmPost(e, "/api/workspaces", o.keys["ada"], fmt.Sprintf(`{"organization":%q,"name":"Design"}`, o.iri))
			inv := pmPost(e, "/api/invitations", o.keys["ada"], fmt.Sprintf(`{"organization":%q,"email":"ivy@example.com"}`, o.iri))
			count := func(path, key string) int64 {
				t.Helper()
				e.do(req{Path: path, Key: key}) // the key's lookup is cached after its first use
				before := statements.Load()
				if r := e.do(req{Path: path, Key: key}); r.Status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
				}
				return statements.Load() - before
			}
			for _, path := range []string{o.members["dave"], pmS(ws.obj()["@id"]), pmS(inv.obj()["@id"])} {
				if with, without := count(path, o.keys["ada"]), count(path, read); with != without+1 {
					t.Errorf("GET %s: %d statements with a write key, %d with a read-only key; want one more", path, with, without)
				}
			}
		})
	}
}
