package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/hydra"
)

// Issue 18 item 5, for alcaeus (getCollections) and any Hydra client that
// reads hydra:collection: an organization links the collections of its
// members, invitations, workspaces and roles, each with the memberAssertion
// "every member's <Class/organization> is this organization". Every link
// answers 200 to each member who reads the organization, viewer included,
// and holds exactly what its assertion states: all of the organization's
// rows of that kind (compared with what the item and the alias routes
// show), none of another organization's.
func TestOrganizationCollectionLinksHoldWhatTheyAssert(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Linked")
		other := mbNewOrg(t, e, "Other")
		for _, org := range []*mbOrg{o, other} {
			for _, w := range []string{"Design", "Ops"} {
				if r := e.do(req{Method: http.MethodPost, Path: "/api/workspaces", Key: org.keys["ada"],
					Body: fmt.Sprintf(`{"organization":%q,"name":%q}`, org.iri, w)}); r.Status != http.StatusCreated {
					t.Fatalf("create workspace: %d %s", r.Status, r.Body)
				}
			}
			if r := e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: org.keys["ada"],
				Body: fmt.Sprintf(`{"organization":%q,"email":"eve@example.com"}`, org.iri)}); r.Status != http.StatusCreated {
				t.Fatalf("invite: %d %s", r.Status, r.Body)
			}
		}
		// What each collection must hold: the organization's rows, counted
		// as the rest of the API states them (member_count, the alias
		// routes), with the one invitation sent.
		want := map[string]int{"Invitation": 1}
		for class, alias := range map[string]string{"Workspace": "/workspaces", "Role": "/roles"} {
			r := e.do(req{Path: o.iri + alias, Key: o.keys["ada"]})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s%s: %d %s", o.iri, alias, r.Status, r.Body)
			}
			want[class] = int(r.obj()["totalItems"].(float64))
		}

		for _, who := range []string{"ada", "vic"} {
			r := e.do(req{Path: o.iri, Key: o.keys[who]})
			if r.Status != http.StatusOK {
				t.Fatalf("%s reads %s: %d %s", who, o.iri, r.Status, r.Body)
			}
			want["Member"] = int(r.obj()["member_count"].(float64))
			links := otList(r.obj()["collection"])
			if len(links) != 7 {
				t.Fatalf("%s: %d collection links, want 7: %s", who, len(links), r.Body)
			}
			seen := map[string]bool{}
			for _, l := range links {
				link := otObj(l)
				iri, _ := link["@id"].(string)
				assertion := otObj(link["memberAssertion"])
				class, _, _ := strings.Cut(pmS(assertion["property"]), "/")
				c, ok := hydra.API.Class(class)
				if !ok || link["@type"] != "Collection" || assertion["object"] != o.iri || pmS(assertion["property"]) != class+"/organization" {
					t.Errorf("%s: link %v", who, link)
					continue
				}
				if canonical := c.Resource.Collection + "?organization=" + o.id; iri != canonical {
					t.Errorf("%s: link %q, want the canonical filtered collection %q", who, iri, canonical)
				}
				seen[class] = true
				// Events are paged by cursor, with no count but on numbered
				// pages; the feed shows an event once every transaction
				// that began before it has ended (on PostgreSQL, other
				// tests' too), so it is read until it holds them all.
				wantHere := want[class]
				if class == "Event" && who == "ada" {
					n, err := e.db.Event.Query().Where(event.OrganizationEQ(uuid.MustParse(o.id))).Count(context.Background())
					if err != nil || n == 0 {
						t.Fatalf("events of the organization: %d, %v", n, err)
					}
					wantHere = n
				}
				var page *response
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					page = e.do(req{Path: iri + "&itemsPerPage=100&page=1", Key: o.keys[who]})
					if page.Status != http.StatusOK || int(page.obj()["totalItems"].(float64)) == wantHere || time.Now().After(deadline) {
						break
					}
				}
				if page.Status != http.StatusOK {
					t.Errorf("%s: GET %s: %d %s", who, iri, page.Status, page.Body)
					continue
				}
				members := otList(page.obj()["member"])
				if got := int(page.obj()["totalItems"].(float64)); got != wantHere || len(members) != got {
					t.Errorf("%s: %s holds %d (%d on the page), want %d", who, iri, got, len(members), wantHere)
				}
				for _, m := range members {
					if got := otObj(m)["organization"]; got != o.iri {
						t.Errorf("%s: %s holds a member whose organization is %v, not %s", who, iri, got, o.iri)
					}
				}
				// Fetched exactly as linked, the page's view names the link:
				// the document says which resource it describes.
				if exact := e.do(req{Path: iri, Key: o.keys[who]}); otObj(exact.obj()["view"])["@id"] != iri {
					t.Errorf("%s: GET %s: view %v, want the link's IRI", who, iri, exact.obj()["view"])
				}
			}
			if len(seen) != 7 {
				t.Errorf("%s: links to %v, want Member, Invitation, Workspace, Role, Domain, Event and WebhookEndpoint", who, seen)
			}
		}

		// A page of organizations does not repeat each one's links; the
		// item does (hydra_test.go has the encoder's rule).
		if r := e.do(req{Path: "/api/organizations", Key: o.keys["ada"]}); len(otList(r.obj()["member"])) == 0 ||
			otObj(otList(r.obj()["member"])[0])["collection"] != nil {
			t.Errorf("a page's members carry collection links: %s", r.Body)
		}
		// The plain JSON document carries no hypermedia controls.
		if r := e.do(req{Path: o.iri, Key: o.keys["ada"], Header: map[string]string{"Accept": "application/json"}}); r.obj()["collection"] != nil {
			t.Errorf("plain JSON has collection links: %s", r.Body)
		}
	})
}

// For alcaeus: the entrypoint links every collection with hydra:collection
// (memberAssertion rdf:type of the members' class) and is typed
// hydra:Resource, second, which alcaeus 3.0.2's getCollections needs;
// Entrypoint stays first for api-doc-parser, and API Platform's keys stay.
// Each link answers 200 with members of the asserted class.
func TestEntrypointCollectionLinks(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	key := e.key("ada@example.com", "live", "write")
	e.createOrg(key, `{"name":"Acme"}`)
	r := e.do(req{Path: "/api", Key: key})
	types := otList(r.obj()["@type"])
	if len(types) != 2 || types[0] != "Entrypoint" || types[1] != "hydra:Resource" {
		t.Errorf("@type %v, want [Entrypoint hydra:Resource]", r.obj()["@type"])
	}
	links := otList(r.obj()["collection"])
	if len(links) != len(hydra.API.Collections()) {
		t.Fatalf("%d links, want %d: %s", len(links), len(hydra.API.Collections()), r.Body)
	}
	for i, c := range hydra.API.Collections() {
		link := otObj(links[i])
		a := otObj(link["memberAssertion"])
		if link["@id"] != c.Resource.Collection || link["@type"] != "Collection" || a["property"] != "rdf:type" || a["object"] != hydra.DocsPath+"#"+c.Name {
			t.Errorf("link %d: %v", i, link)
		}
		if r.obj()[strings.ToLower(c.Name[:1])+c.Name[1:]] != c.Resource.Collection {
			t.Errorf("API Platform's entrypoint key for %s is gone: %s", c.Name, r.Body)
		}
		page := e.do(req{Path: c.Resource.Collection, Key: key})
		if page.Status != http.StatusOK {
			t.Errorf("GET %s: %d", c.Resource.Collection, page.Status)
		}
		for _, m := range otList(page.obj()["member"]) {
			if otObj(m)["@type"] != c.Name {
				t.Errorf("%s holds a %v", c.Resource.Collection, otObj(m)["@type"])
			}
		}
	}
	if r := e.do(req{Path: "/api", Key: key, Header: map[string]string{"Accept": "application/json"}}); r.obj()["collection"] != nil || r.obj()["organization"] != "/api/organizations" {
		t.Errorf("plain JSON entrypoint: %s", r.Body)
	}
}

// A client that reads an organization and sends it back (Admin's edit
// form, or any Hydra client's "GET, change, PATCH") sends the links and
// operations too: they are ignored as the other read-only properties are,
// whether the body is read in Orgraph's terms or as linked data (its
// context inline).
func TestEchoedCollectionLinksAreIgnored(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		org := e.createOrg(key, `{"name":"Acme"}`)
		iri := pmS(org["@id"])
		ctx := e.do(req{Path: "/api/contexts/Organization"}).obj()["@context"]
		for _, inline := range []bool{false, true} {
			doc := e.do(req{Path: iri, Key: key}).obj()
			if doc["collection"] == nil || doc["operation"] == nil {
				t.Fatalf("no links or operations to send back: %v", doc)
			}
			doc["name"] = fmt.Sprintf("Acme %v", inline)
			if inline {
				doc["@context"] = ctx
			}
			r := e.do(req{Method: http.MethodPatch, Path: iri, Key: key, Body: ldMarshal(doc)})
			if r.Status != http.StatusOK || r.obj()["name"] != doc["name"] {
				t.Errorf("PATCH back the document (context inline: %v): %d %s", inline, r.Status, r.Body)
			}
		}
	})
}

// Every rendering of an organization holds its links: N-Triples and
// Turtle come from the same dataset as N-Quads (rdf_test.go compares
// them), so one triple of each kind is checked here.
func TestCollectionLinksInRDF(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	key := e.key("ada@example.com", "live", "write")
	org := e.createOrg(key, `{"name":"Acme"}`)
	iri, id := pmS(org["@id"]), pmS(org["id"])
	subject := "<" + e.srv.URL + iri + ">"
	members := "<" + e.srv.URL + "/api/members?organization=" + id + ">"
	for _, accept := range []string{"application/n-triples", "text/turtle"} {
		r := e.do(req{Path: iri, Key: key, Header: map[string]string{"Accept": accept}})
		body := string(r.Body)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", accept, r.Status, body)
		}
		if accept == "application/n-triples" {
			for _, triple := range []string{
				subject + " <" + hydra.NS + "collection> " + members + " .",
				members + " <" + hydra.RDF + "type> <" + hydra.NS + "Collection> .",
			} {
				if !strings.Contains(body, triple) {
					t.Errorf("N-Triples lack %s:\n%s", triple, body)
				}
			}
			if !strings.Contains(body, "<"+hydra.NS+"memberAssertion>") || !strings.Contains(body, "<"+e.srv.URL+hydra.DocsPath+"#Member/organization>") {
				t.Errorf("N-Triples lack the member assertion:\n%s", body)
			}
		} else if !strings.Contains(body, "hydra:collection") || !strings.Contains(body, members) {
			t.Errorf("Turtle lacks the links:\n%s", body)
		}
	}
}
