package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/workspace"
	"github.com/orgraph/orgraph/problems"
)

// Workspaces (CRUD, the organization alias, unique names), roles, the
// personal organization every user gets, organization status (suspension,
// history, reactivation) and /api/me with several organizations. Helpers
// carry the "ws" prefix; the "pm" ones come from permissions_test.go.

const wsTaken = "This value is already used."

// wsOrg is an organization of ada's with dave as developer and vic as viewer.
type wsOrg struct {
	id, iri        string
	ada, dave, vic string // keys
}

func wsNewOrg(t *testing.T, e *env, name string) *wsOrg {
	t.Helper()
	o := &wsOrg{
		ada:  e.key("ada@example.com", "live", "write"),
		dave: e.key("dave@example.com", "live", "write"),
		vic:  e.key("vic@example.com", "live", "write"),
	}
	doc := e.createOrg(o.ada, fmt.Sprintf(`{"name":%q}`, name))
	o.id, o.iri = pmS(doc["id"]), pmS(doc["@id"])
	pmAddMember(t, e, o.id, pmUser(t, e, "dave@example.com").ID, "developer")
	pmAddMember(t, e, o.id, pmUser(t, e, "vic@example.com").ID, "viewer")
	return o
}

// create makes a workspace through POST /api/workspaces and returns it.
func (o *wsOrg) create(t *testing.T, e *env, name string) map[string]any {
	t.Helper()
	r := pmPost(e, "/api/workspaces", o.ada, fmt.Sprintf(`{"organization":%q,"name":%q}`, o.iri, name))
	if r.Status != http.StatusCreated {
		t.Fatalf("create workspace %q: %d %s", name, r.Status, r.Body)
	}
	return r.obj()
}

// wsDoc is the whole expected Workspace document; the id and dates are the
// server's, checked for their format.
func wsDoc(t *testing.T, got map[string]any, orgIRI, name string, withContext bool) map[string]any {
	t.Helper()
	id := pmID(t, "id", got["id"])
	d := map[string]any{
		"@id":          "/api/workspaces/" + id,
		"@type":        "Workspace",
		"id":           id,
		"organization": orgIRI,
		"name":         name,
		"created_at":   pmFormat(pmTime(t, "created_at", got["created_at"])),
		"updated_at":   pmFormat(pmTime(t, "updated_at", got["updated_at"])),
	}
	if withContext {
		d["@context"] = "/api/contexts/Workspace"
	}
	return d
}

var wsSearch = map[string]any{
	"@type":                  "IriTemplate",
	"template":               "/api/workspaces{?organization,name,order.id,order.name,order.created_at}",
	"variableRepresentation": "BasicRepresentation",
	"mapping": []any{
		map[string]any{"@type": "IriTemplateMapping", "variable": "organization", "property": "organization", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "name", "property": "name", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.id", "property": "Workspace/order/id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.name", "property": "Workspace/order/name", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.created_at", "property": "Workspace/order/created_at", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[id]", "property": "Workspace/order/id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[name]", "property": "Workspace/order/name", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[created_at]", "property": "Workspace/order/created_at", "required": false},
	},
}

func TestWorkspacesCRUD(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := wsNewOrg(t, e, "Acme")

		// A developer creates.
		r := pmPost(e, "/api/workspaces", o.dave, fmt.Sprintf(`{"organization":%q,"name":"  Design  "}`, o.iri))
		if !pmOK(t, "create", r, http.StatusCreated) {
			t.FailNow()
		}
		created := r.obj()
		pmEqual(t, "create", created, wsDoc(t, created, o.iri, "Design", true))
		if created["created_at"] != created["updated_at"] {
			t.Errorf("a new workspace: created_at %v, updated_at %v", created["created_at"], created["updated_at"])
		}
		if a := r.Header.Get("Accept-Patch"); !strings.Contains(a, "application/merge-patch+json") {
			t.Errorf("Accept-Patch %q", a)
		}
		iri := pmS(created["@id"])
		for who, k := range map[string]string{"ada": o.ada, "vic": o.vic} {
			g := pmGet(e, iri, k)
			if pmOK(t, who+" GET", g, http.StatusOK) {
				pmEqual(t, who+" GET", g.obj(), created)
			}
		}

		// Renaming moves updated_at, not created_at.
		past := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
		if err := e.db.Workspace.UpdateOneID(pmIDOf(iri)).SetUpdatedAt(past).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		other := e.createOrg(o.ada, `{"name":"Other"}`)
		r = pmPatch(e, iri, o.dave, fmt.Sprintf(`{"name":"Product Design","organization":%q,"id":"x"}`, other["@id"]))
		if pmOK(t, "rename", r, http.StatusOK) {
			want := wsDoc(t, r.obj(), o.iri, "Product Design", true)
			if want["created_at"] != created["created_at"] {
				t.Errorf("rename: created_at %v, want %v", want["created_at"], created["created_at"])
			}
			if u := pmTime(t, "updated_at", r.obj()["updated_at"]); !u.After(past) {
				t.Errorf("rename: updated_at %v did not move from %v", u, past)
			}
			pmEqual(t, "rename", r.obj(), want)
			pmEqual(t, "GET after rename", pmGet(e, iri, o.ada).obj(), r.obj())
			created = r.obj()
		}
		pmEqual(t, "PATCH {}", pmPatch(e, iri, o.ada, `{}`).obj(), created)
		r = e.do(req{Method: http.MethodPatch, Path: iri, Key: o.ada, Body: `{"name":"Design"}`, Header: map[string]string{"Content-Type": "application/ld+json"}})
		if pmOK(t, "rename as ld+json", r, http.StatusOK) && r.obj()["name"] != "Design" {
			t.Errorf("rename as ld+json: %s", r.Body)
		}

		before := pmSnapshot(t, e)
		pmViolations(t, "blank name", pmPatch(e, iri, o.ada, `{"name":"  "}`), "name", "This value should not be blank.", problems.CodeNotBlank)
		pmViolations(t, "null name", pmPatch(e, iri, o.ada, `{"name":null}`), "name", "This value should not be blank.", problems.CodeNotBlank)
		pmViolations(t, "long name", pmPatch(e, iri, o.ada, fmt.Sprintf(`{"name":%q}`, strings.Repeat("é", 101))),
			"name", "This value is too long. It should have 100 characters or less.", problems.CodeTooLong)
		pmViolations(t, "create without name", pmPost(e, "/api/workspaces", o.ada, fmt.Sprintf(`{"organization":%q}`, o.iri)),
			"name", "This value should not be blank.", problems.CodeNotBlank)
		pmViolations(t, "create without organization", pmPost(e, "/api/workspaces", o.ada, `{"name":"X"}`),
			"organization", "This value should not be blank.", problems.CodeNotBlank)
		pmProblem(t, "create in an unknown organization", pmPost(e, "/api/workspaces", o.ada,
			fmt.Sprintf(`{"organization":"/api/organizations/%s","name":"X"}`, uuid.Must(uuid.NewV7()))), http.StatusBadRequest)
		pmProblem(t, "viewer renames", pmPatch(e, iri, o.vic, `{"name":"Nope"}`), http.StatusForbidden)
		pmProblem(t, "viewer renames to an invalid name", pmPatch(e, iri, o.vic, `{"name":""}`), http.StatusForbidden)
		pmUnchanged(t, e, "refused workspace writes", before)
		// 100 characters (not bytes) are fine.
		long := strings.Repeat("é", 100)
		if r := pmPatch(e, iri, o.ada, fmt.Sprintf(`{"name":%q}`, long)); pmOK(t, "100 characters", r, http.StatusOK) && r.obj()["name"] != long {
			t.Errorf("100 characters: %s", r.Body)
		}
		pmOK(t, "rename back", pmPatch(e, iri, o.ada, `{"name":"Design"}`), http.StatusOK)

		// Collection.
		ops := o.create(t, e, "Ops")
		g := pmGet(e, iri, o.ada).obj()
		all := []any{pmWithout(t, g, "@context"), pmWithout(t, ops, "@context")}
		l := pmGet(e, "/api/workspaces?organization="+o.iri, o.vic)
		if pmOK(t, "list", l, http.StatusOK) {
			pmEqual(t, "list", l.obj(), map[string]any{
				"@context": "/api/contexts/Workspace", "@id": "/api/workspaces", "@type": "Collection",
				"totalItems": 2, "member": all,
				"view":   map[string]any{"@id": l.Requested, "@type": "PartialCollectionView"},
				"search": wsSearch,
			})
		}
		if l := pmGet(e, "/api/workspaces?organization="+o.id+"&name=PS", o.ada); l.obj()["totalItems"] != float64(1) || pmObj(pmList(l.obj()["member"])[0])["name"] != "Ops" {
			t.Errorf("name=PS: %s", l.Body)
		}
		if l := pmGet(e, "/api/workspaces?organization="+o.id+"&order[name]=desc", o.ada); !pmEqual(t, "order[name]=desc", l.obj()["member"], []any{all[1], all[0]}) {
			t.Logf("%s", l.Body)
		}

		// The partial name filter takes % and _ literally.
		pct := o.create(t, e, "100% done")
		ab := o.create(t, e, "a_b")
		for q, want := range map[string]string{"%25": "100% done", "_": "a_b", "0%25%20D": "100% done"} {
			l := pmGet(e, "/api/workspaces?organization="+o.id+"&name="+q, o.ada)
			if ms := pmList(l.obj()["member"]); l.Status != http.StatusOK || len(ms) != 1 || pmObj(ms[0])["name"] != want {
				t.Errorf("name=%s: want only %q: %s", q, want, l.Body)
			}
		}
		pmOK(t, "delete 100%", pmDelete(e, pmS(pct["@id"]), o.ada), http.StatusNoContent)
		pmOK(t, "delete a_b", pmDelete(e, pmS(ab["@id"]), o.ada), http.StatusNoContent)

		// Delete.
		pmOK(t, "developer deletes", pmDelete(e, pmS(ops["@id"]), o.dave), http.StatusNoContent)
		pmProblem(t, "GET deleted", pmGet(e, pmS(ops["@id"]), o.ada), http.StatusNotFound)
		pmProblem(t, "DELETE deleted", pmDelete(e, pmS(ops["@id"]), o.ada), http.StatusNotFound)
		pmProblem(t, "PATCH deleted", pmPatch(e, pmS(ops["@id"]), o.ada, `{"name":"x"}`), http.StatusNotFound)
		if l := pmGet(e, "/api/workspaces?organization="+o.id, o.ada); l.obj()["totalItems"] != float64(1) {
			t.Errorf("list after delete: %s", l.Body)
		}
		// A deleted name is free again.
		o.create(t, e, "Ops")
		pmProblem(t, "POST on an item", pmPost(e, iri, o.ada, `{"name":"x"}`), http.StatusMethodNotAllowed)
	})
}

func TestWorkspacesAlias(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := wsNewOrg(t, e, "Acme")
		for _, n := range []string{"Gamma", "alpha", "Beta"} {
			o.create(t, e, n)
		}
		o2 := e.createOrg(o.ada, `{"name":"Other"}`)

		// The alias answers what the canonical query answers, to the byte:
		// the organization from the path is a filter sent last (replacing
		// any organization in the alias's query).
		org := "organization=" + o.id
		for _, c := range []struct{ alias, canonical string }{
			{"", org},
			{"?name=a", "name=a&" + org},
			{"?order[name]=desc", "order[name]=desc&" + org},
			{"?itemsPerPage=2", "itemsPerPage=2&" + org},
			{"?itemsPerPage=2&page=2", "itemsPerPage=2&page=2&" + org},
			{"?partial=true", "partial=true&" + org},
			{"?organization=" + pmS(o2["id"]), org},
		} {
			alias := pmGet(e, o.iri+"/workspaces"+c.alias, o.vic)
			canonical := pmGet(e, "/api/workspaces?"+c.canonical, o.vic)
			if !pmOK(t, "alias "+c.alias, alias, http.StatusOK) || !pmOK(t, c.canonical, canonical, http.StatusOK) {
				continue
			}
			// The same document, but for the view, which names each page
			// as it was fetched.
			a, cn := alias.obj(), canonical.obj()
			if v, ok := a["view"].(map[string]any); ok {
				if v["@id"] != alias.Requested {
					t.Errorf("alias %q: view @id %v, want the URL fetched, %s", c.alias, v["@id"], alias.Requested)
				}
				delete(v, "@id")
				delete(cn["view"].(map[string]any), "@id")
			}
			if !reflect.DeepEqual(a, cn) {
				t.Errorf("alias %q differs from ?%s:\n%s\n%s", c.alias, c.canonical, alias.Body, canonical.Body)
			}
		}
		l := pmGet(e, o.iri+"/workspaces", o.ada)
		if n := len(pmList(l.obj()["member"])); n != 3 || l.obj()["totalItems"] != float64(3) {
			t.Errorf("alias lists %d: %s", n, l.Body)
		}

		// POST through the alias: the organization comes from the path.
		r := pmPost(e, o.iri+"/workspaces", o.dave, fmt.Sprintf(`{"name":"Delta","organization":%q}`, o2["@id"]))
		if pmOK(t, "alias POST", r, http.StatusCreated) {
			pmEqual(t, "alias POST", r.obj(), wsDoc(t, r.obj(), o.iri, "Delta", true))
			pmEqual(t, "alias POST read back", pmGet(e, pmS(r.obj()["@id"]), o.ada).obj(), r.obj())
		}

		carol := e.key("carol@example.com", "live", "write")
		theirs := e.createOrg(carol, `{"name":"Carol's"}`)
		adaTest := e.key("ada@example.com", "test", "write")
		before := pmSnapshot(t, e)
		for what, p := range map[string]struct{ path, key string }{
			"unknown organization":   {"/api/organizations/" + uuid.Must(uuid.NewV7()).String() + "/workspaces", o.ada},
			"malformed id":           {"/api/organizations/acme/workspaces", o.ada},
			"another tenant's":       {pmS(theirs["@id"]) + "/workspaces", o.ada},
			"from the test-mode key": {o.iri + "/workspaces", adaTest},
		} {
			pmProblem(t, what+" GET", pmGet(e, p.path, p.key), http.StatusNotFound)
			pmProblem(t, what+" POST", pmPost(e, p.path, p.key, `{"name":"X"}`), http.StatusNotFound)
		}
		pmViolations(t, "alias POST duplicate", pmPost(e, o.iri+"/workspaces", o.ada, `{"name":"GAMMA"}`), "name", wsTaken, problems.CodeNotUnique)
		pmProblem(t, "alias POST by a viewer", pmPost(e, o.iri+"/workspaces", o.vic, `{"name":"X"}`), http.StatusForbidden)
		pmUnchanged(t, e, "refused alias requests", before)
	})
}

func TestWorkspacesUniqueNames(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := wsNewOrg(t, e, "Acme")
		design := pmS(o.create(t, e, "Design")["@id"])
		ops := pmS(o.create(t, e, "Ops")["@id"])

		before := pmSnapshot(t, e)
		for _, n := range []string{"Design", "design", "  DESIGN  ", "dEsIgN"} {
			pmViolations(t, "create "+n, pmPost(e, "/api/workspaces", o.dave, fmt.Sprintf(`{"organization":%q,"name":%q}`, o.iri, n)),
				"name", wsTaken, problems.CodeNotUnique)
			pmViolations(t, "rename Ops to "+n, pmPatch(e, ops, o.dave, fmt.Sprintf(`{"name":%q}`, n)),
				"name", wsTaken, problems.CodeNotUnique)
		}
		pmUnchanged(t, e, "duplicate names", before)

		// Its own name in another case is no clash.
		if r := pmPatch(e, design, o.ada, `{"name":"DESIGN"}`); pmOK(t, "rename to self, other case", r, http.StatusOK) && r.obj()["name"] != "DESIGN" {
			t.Errorf("rename to self: %s", r.Body)
		}
		// Another organization may use the name.
		o2 := e.createOrg(o.ada, `{"name":"Other"}`)
		pmOK(t, "same name elsewhere", pmPost(e, "/api/workspaces", o.ada, fmt.Sprintf(`{"organization":%q,"name":"design"}`, o2["@id"])), http.StatusCreated)

		// Two clients create the same name at the same moment: one wins,
		// the other gets the 422 (never a 500 from the unique index).
		for round := 0; round < 5; round++ {
			name := fmt.Sprintf("Shared %d", round)
			body := func(n string) string { return fmt.Sprintf(`{"organization":%q,"name":%q}`, o.iri, n) }
			res := mbRace(e,
				func() mbResult { return mbSend(e, http.MethodPost, "/api/workspaces", o.ada, body(name)) },
				func() mbResult {
					return mbSend(e, http.MethodPost, "/api/workspaces", o.dave, body(strings.ToLower(name)))
				})
			mbCheckPair(t, e, round, o.id, res, http.StatusCreated, http.StatusUnprocessableEntity)
			n, err := e.db.Workspace.Query().Where(workspace.OrganizationID(uuid.MustParse(o.id)), workspace.NameEqualFold(name)).Count(context.Background())
			if err != nil || n != 1 {
				t.Errorf("round %d: %d workspaces named %q (%v), want 1", round, n, name, err)
			}
		}
	})
}

func TestWorkspacesPersonalOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("zed@example.com", "live", "write")
		zed := pmUser(t, e, "zed@example.com")
		e.key("zed@example.com", "live", "read") // a second key: no second personal organization

		l := pmGet(e, "/api/organizations", key)
		if !pmOK(t, "list", l, http.StatusOK) {
			t.FailNow()
		}
		orgs := pmList(l.obj()["member"])
		if len(orgs) != 1 || l.obj()["totalItems"] != float64(1) {
			t.Fatalf("a new user has %d organizations, want 1: %s", len(orgs), l.Body)
		}
		org := pmObj(orgs[0])
		id := pmID(t, "organization id", org["id"])
		iri := "/api/organizations/" + id
		created := pmTime(t, "created_at", org["created_at"])
		owner := pmObj(pmList(org["owners"])[0])
		me := map[string]any{
			"@id": owner["@id"], "@type": "Member", "id": owner["id"], "organization": iri,
			"user": "/api/users/" + zed.ID.String(), "email": "zed@example.com", "name": "zed", "role": "owner",
			"status": "active", "joined_at": pmFormat(created),
		}
		pmEqual(t, "personal organization", org, map[string]any{
			"@id": iri, "@type": "Organization", "id": id, "name": "Personal", "member_count": 1,
			"current_user_role": "owner", "mode": "live",
			"created_at": pmFormat(created), "updated_at": pmFormat(created),
			"status": map[string]any{"@type": "OrganizationStatus", "current_status": "ACTIVE", "status_history": []any{
				map[string]any{"@type": "StatusChange", "status": "ACTIVE", "changed_at": pmFormat(created)},
			}},
			"owners": []any{me}, "members": []any{me},
		})

		w := pmGet(e, iri+"/workspaces", key)
		if pmOK(t, "workspaces", w, http.StatusOK) {
			ws := pmList(w.obj()["member"])
			if len(ws) != 1 {
				t.Fatalf("the personal organization has %d workspaces, want 1: %s", len(ws), w.Body)
			}
			d := pmObj(ws[0])
			pmEqual(t, "Default", d, wsDoc(t, d, iri, "Default", false))
		}
		if r := pmGet(e, iri+"/roles", key); r.obj()["totalItems"] != float64(4) {
			t.Errorf("the personal organization's roles: %s", r.Body)
		}
		pmViolations(t, "a second Default", pmPost(e, iri+"/workspaces", key, `{"name":"default"}`), "name", wsTaken, problems.CodeNotUnique)

		// The test mode has its own personal organization and Default.
		test := e.key("zed@example.com", "test", "write")
		tl := pmGet(e, "/api/organizations", test)
		if tl.obj()["totalItems"] != float64(1) {
			t.Fatalf("test mode: %s", tl.Body)
		}
		torg := pmObj(pmList(tl.obj()["member"])[0])
		if torg["name"] != "Personal" || torg["mode"] != "test" || torg["id"] == id {
			t.Errorf("test-mode personal organization: %v", torg)
		}
		tw := pmGet(e, pmS(torg["@id"])+"/workspaces", test)
		if ws := pmList(tw.obj()["member"]); len(ws) != 1 || pmObj(ws[0])["name"] != "Default" {
			t.Errorf("test-mode workspaces: %s", tw.Body)
		}
		if r := pmGet(e, "/api/workspaces", test); r.obj()["totalItems"] != float64(1) {
			t.Errorf("the test key sees the live workspaces: %s", r.Body)
		}
	})
}

// wsRoles is what every organization's roles grant (sorted).
var wsRoles = []struct {
	slug, name, description string
	permissions             []string
}{
	{"owner", "Owner", "Does everything: manages the owners, suspends, hands over and deletes the organization.", []string{
		"domains:manage", "events:read", "invitations:manage", "invitations:read", "members:manage", "members:read", "organization:delete", "organization:read",
		"organization:status", "organization:update", "owners:manage", "roles:manage", "roles:read", "webhooks:manage", "workspaces:manage", "workspaces:read"}},
	{"admin", "Admin", "Manages the organization, its workspaces, invitations, custom roles, domains, webhooks and non-owner members (deactivating them too), and reads its events.", []string{
		"domains:manage", "events:read", "invitations:manage", "invitations:read", "members:manage", "members:read", "organization:read", "organization:update",
		"roles:manage", "roles:read", "webhooks:manage", "workspaces:manage", "workspaces:read"}},
	{"developer", "Developer", "Manages workspaces; reads the organization, its members, invitations and roles.", []string{
		"invitations:read", "members:read", "organization:read", "roles:read", "workspaces:manage", "workspaces:read"}},
	{"viewer", "Viewer", "Reads the organization, its members, invitations, workspaces and roles.", []string{
		"invitations:read", "members:read", "organization:read", "roles:read", "workspaces:read"}},
}

// wsSortPermissions sorts a role document's permissions in place.
func wsSortPermissions(d map[string]any) {
	var ps []string
	for _, p := range pmList(d["permissions"]) {
		ps = append(ps, pmS(p))
	}
	sort.Strings(ps)
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	d["permissions"] = out
}

func TestRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := wsNewOrg(t, e, "Acme")
		org := pmGet(e, o.iri, o.ada).obj()
		created := pmFormat(pmTime(t, "organization created_at", org["created_at"]))

		r := pmGet(e, o.iri+"/roles", o.vic)
		if !pmOK(t, "roles", r, http.StatusOK) {
			t.FailNow()
		}
		doc := pmWithout(t, r.obj())
		members := pmList(doc["member"])
		if len(members) != 4 {
			t.Fatalf("%d roles, want 4: %s", len(members), r.Body)
		}
		var want []any
		for i, role := range wsRoles {
			got := pmObj(members[i])
			wsSortPermissions(got)
			id := pmID(t, role.slug+" id", got["id"])
			want = append(want, map[string]any{
				"@id": "/api/roles/" + id, "@type": "Role", "id": id, "organization": o.iri,
				"slug": role.slug, "name": role.name, "description": role.description,
				"permissions": role.permissions, "default": true, "created_at": created,
			})
		}
		pmEqual(t, "roles", doc, map[string]any{
			"@context": "/api/contexts/Role", "@id": "/api/roles", "@type": "Collection",
			"totalItems": 4, "member": want,
			"view": map[string]any{"@id": r.Requested, "@type": "PartialCollectionView"}, // the alias, as fetched
			"search": map[string]any{
				"@type": "IriTemplate", "template": "/api/roles{?organization}", "variableRepresentation": "BasicRepresentation",
				"mapping": []any{map[string]any{"@type": "IriTemplateMapping", "variable": "organization", "property": "organization", "required": false}},
			},
		})
		// The alias is the canonical query, but for the view, which names
		// each as fetched.
		c := pmGet(e, "/api/roles?organization="+o.id, o.vic)
		if strings.Replace(string(c.Body), c.Requested, r.Requested, 1) != string(r.Body) {
			t.Errorf("alias and canonical differ:\n%s\n%s", r.Body, c.Body)
		}
		// Items.
		for i, m := range pmList(r.obj()["member"]) {
			iri := pmS(pmObj(m)["@id"])
			g := pmGet(e, iri, o.dave)
			if pmOK(t, "GET "+iri, g, http.StatusOK) {
				got := g.obj()
				wsSortPermissions(got)
				w := pmObj(pmNorm(t, want[i]))
				w["@context"] = "/api/contexts/Role"
				pmEqual(t, "GET role "+wsRoles[i].slug, got, w)
			}
		}
		// Every organization of the caller's, the personal one included.
		if l := pmGet(e, "/api/roles", o.ada); l.obj()["totalItems"] != float64(8) {
			t.Errorf("ada's roles: %v, want 8", l.obj()["totalItems"])
		}

		carol := e.key("carol@example.com", "live", "write")
		role := pmS(pmObj(members[0])["@id"])
		pmProblem(t, "another tenant's role", pmGet(e, role, carol), http.StatusNotFound)
		pmProblem(t, "another tenant's roles (alias)", pmGet(e, o.iri+"/roles", carol), http.StatusNotFound)
		if l := pmGet(e, "/api/roles?organization="+o.id, carol); l.obj()["totalItems"] != float64(0) {
			t.Errorf("carol lists Acme's roles: %s", l.Body)
		}
		pmProblem(t, "unknown role", pmGet(e, "/api/roles/"+uuid.Must(uuid.NewV7()).String(), o.ada), http.StatusNotFound)
		// The default roles never change (custom roles: roles_test.go).
		pmProblem(t, "PATCH a default role", pmPatch(e, role, o.ada, `{"name":"Boss"}`), http.StatusForbidden)
		pmProblem(t, "DELETE a default role", pmDelete(e, role, o.ada), http.StatusForbidden)
		pmProblem(t, "POST roles (alias)", pmPost(e, o.iri+"/roles", o.ada, `{"slug":"owner"}`), http.StatusMethodNotAllowed)
	})
}

func TestWorkspacesSuspendedOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := wsNewOrg(t, e, "Acme")
		ws := o.create(t, e, "Design")
		iri := pmS(ws["@id"])
		pmOK(t, "suspend", pmPatch(e, o.iri, o.ada, `{"status":{"current_status":"SUSPENDED"}}`), http.StatusOK)

		before := pmSnapshot(t, e)
		for who, k := range map[string]string{"owner": o.ada, "developer": o.dave} {
			pmProblem(t, who+" creates", pmPost(e, "/api/workspaces", k, fmt.Sprintf(`{"organization":%q,"name":"Ops"}`, o.iri)), http.StatusForbidden)
			pmProblem(t, who+" creates (alias)", pmPost(e, o.iri+"/workspaces", k, `{"name":"Ops"}`), http.StatusForbidden)
			pmProblem(t, who+" renames", pmPatch(e, iri, k, `{"name":"Renamed"}`), http.StatusForbidden)
			pmProblem(t, who+" deletes", pmDelete(e, iri, k), http.StatusForbidden)
		}
		pmUnchanged(t, e, "suspended", before)
		// Reads work.
		pmEqual(t, "GET while suspended", pmGet(e, iri, o.vic).obj(), ws)
		for _, p := range []string{"/api/workspaces?organization=" + o.id, o.iri + "/workspaces"} {
			if l := pmGet(e, p, o.vic); l.Status != http.StatusOK || l.obj()["totalItems"] != float64(1) {
				t.Errorf("%s while suspended: %d %s", p, l.Status, l.Body)
			}
		}
		if g := pmGet(e, o.iri+"/roles", o.vic); g.Status != http.StatusOK {
			t.Errorf("roles while suspended: %d", g.Status)
		}

		pmOK(t, "reactivate", pmPatch(e, o.iri, o.ada, `{"status":{"current_status":"ACTIVE"}}`), http.StatusOK)
		pmOK(t, "rename after reactivation", pmPatch(e, iri, o.dave, `{"name":"Renamed"}`), http.StatusOK)
		pmOK(t, "create after reactivation", pmPost(e, o.iri+"/workspaces", o.dave, `{"name":"Ops"}`), http.StatusCreated)
		pmOK(t, "delete after reactivation", pmDelete(e, iri, o.dave), http.StatusNoContent)
	})
}

func TestOrganizationStatusHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := wsNewOrg(t, e, "Acme")
		bob := e.key("bob@example.com", "live", "write")
		pmAddMember(t, e, o.id, pmUser(t, e, "bob@example.com").ID, "admin")
		doc := pmGet(e, o.iri, o.ada).obj()
		history := pmList(pmObj(doc["status"])["status_history"])
		if len(history) != 1 || pmObj(history[0])["status"] != "ACTIVE" {
			t.Fatalf("a new organization's history: %v", history)
		}
		// Let a second pass, so that the changes are visibly later.
		past := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
		if err := e.db.Organization.UpdateOneID(uuid.MustParse(o.id)).SetUpdatedAt(past).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}

		status := func(r *response) (string, []any) {
			st := pmObj(r.obj()["status"])
			return pmS(st["current_status"]), pmList(st["status_history"])
		}
		step := func(what, key, body, wantStatus string, wantLen int) {
			t.Helper()
			r := pmPatch(e, o.iri, key, body)
			if !pmOK(t, what, r, http.StatusOK) {
				return
			}
			cur, h := status(r)
			if cur != wantStatus || len(h) != wantLen {
				t.Errorf("%s: current_status %s with %d history entries, want %s with %d: %v", what, cur, len(h), wantStatus, wantLen, h)
				return
			}
			pmEqual(t, what+": earlier entries kept", h[:len(history)], history)
			if len(h) > len(history) {
				last := pmObj(h[len(h)-1])
				at := pmTime(t, "changed_at", last["changed_at"])
				if last["status"] != wantStatus || time.Since(at) > time.Minute || at.Before(pmTime(t, "previous", pmObj(h[len(h)-2])["changed_at"])) {
					t.Errorf("%s: the new entry %v", what, last)
				}
				if u := pmTime(t, "updated_at", r.obj()["updated_at"]); !u.After(past) {
					t.Errorf("%s: updated_at %v did not move", what, u)
				}
			}
			history = h
			pmEqual(t, what+" read back", pmGet(e, o.iri, o.ada).obj()["status"], r.obj()["status"])
		}

		step("suspend", o.ada, `{"status":{"current_status":"SUSPENDED"}}`, "SUSPENDED", 2)
		step("suspend again: no new entry", o.ada, `{"status":{"current_status":"SUSPENDED"}}`, "SUSPENDED", 2)
		// A suspended organization can still be edited by an admin, but
		// not reactivated by one.
		step("admin renames while suspended", bob, `{"name":"Acme Suspended"}`, "SUSPENDED", 2)
		before := pmSnapshot(t, e)
		pmProblem(t, "admin reactivates", pmPatch(e, o.iri, bob, `{"status":{"current_status":"ACTIVE"}}`), http.StatusForbidden)
		pmProblem(t, "admin renames and reactivates", pmPatch(e, o.iri, bob, `{"name":"X","status":{"current_status":"ACTIVE"}}`), http.StatusForbidden)
		pmViolations(t, "unknown status", pmPatch(e, o.iri, o.ada, `{"status":{"current_status":"DELETED"}}`),
			"status.current_status", "The value you selected is not a valid choice. Allowed values: \"ACTIVE\", \"SUSPENDED\".", problems.CodeNoSuchChoice)
		pmUnchanged(t, e, "refused status changes", before)
		step("reactivate", o.ada, `{"status":{"current_status":"ACTIVE"}}`, "ACTIVE", 3)
		step("rename keeps the history", o.ada, `{"name":"Acme"}`, "ACTIVE", 3)
		step("suspend once more", o.ada, `{"status":{"current_status":"SUSPENDED"}}`, "SUSPENDED", 4)
		want := []string{"ACTIVE", "SUSPENDED", "ACTIVE", "SUSPENDED"}
		for i, h := range history {
			if pmObj(h)["status"] != want[i] {
				t.Errorf("history[%d] = %v, want %s", i, h, want[i])
			}
		}
	})
}

func TestMeAndSeveralOrganizations(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		bob := e.key("Bob@Example.com", "live", "write")
		bobUser := pmUser(t, e, "bob@example.com")
		ada := e.key("ada@example.com", "live", "write")
		carol := e.key("carol@example.com", "live", "write")
		acme := e.createOrg(ada, `{"name":"Acme"}`)
		beta := e.createOrg(carol, `{"name":"Beta"}`)
		pmAddMember(t, e, pmS(acme["id"]), bobUser.ID, "admin")
		pmAddMember(t, e, pmS(beta["id"]), bobUser.ID, "viewer")

		me := map[string]any{
			"@context": "/api/contexts/User", "@id": "/api/users/" + bobUser.ID.String(), "@type": "User",
			"id": bobUser.ID.String(), "email": "bob@example.com", "name": "Bob", "created_at": pmFormat(bobUser.CreatedAt),
			// A user's document links their keys (the ApiKey collection
			// filtered by its user reference), as an organization links
			// its members.
			"collection": []any{map[string]any{
				"@id": "/api/api_keys?user=" + bobUser.ID.String(), "@type": "Collection",
				"memberAssertion": map[string]any{"object": "/api/users/" + bobUser.ID.String(), "property": "ApiKey/user"},
			}},
		}
		for _, k := range []string{bob, e.key("bob@example.com", "test", "read")} {
			r := pmGet(e, "/api/me", k)
			if pmOK(t, "/api/me", r, http.StatusOK) {
				pmEqual(t, "/api/me", r.obj(), me)
			}
		}

		l := pmGet(e, "/api/organizations", bob)
		if !pmOK(t, "bob's organizations", l, http.StatusOK) {
			t.FailNow()
		}
		want := []struct{ name, role string }{{"Personal", "owner"}, {"Acme", "admin"}, {"Beta", "viewer"}}
		orgs := pmList(l.obj()["member"])
		if len(orgs) != len(want) || l.obj()["totalItems"] != float64(len(want)) {
			t.Fatalf("bob has %d organizations, want %d: %s", len(orgs), len(want), l.Body)
		}
		for i, w := range want {
			o := pmObj(orgs[i])
			if o["name"] != w.name || o["current_user_role"] != w.role {
				t.Errorf("organization %d: %v as %v, want %s as %s", i, o["name"], o["current_user_role"], w.name, w.role)
			}
			g := pmGet(e, pmS(o["@id"]), bob)
			if pmOK(t, w.name, g, http.StatusOK) {
				pmEqual(t, w.name+" item vs list", pmWithout(t, g.obj(), "@context", "collection", "operation"), o)
			}
		}
		// The same organizations as their owners see them.
		for _, c := range []struct {
			key string
			org map[string]any
		}{{ada, acme}, {carol, beta}} {
			if g := pmGet(e, pmS(c.org["@id"]), c.key); g.obj()["current_user_role"] != "owner" || g.obj()["member_count"] != float64(2) {
				t.Errorf("%v as its owner sees it: %s", c.org["name"], g.Body)
			}
		}
		// A role change shows at once.
		m := pmGet(e, "/api/members?organization="+pmS(acme["id"])+"&email=bob@example.com", ada)
		bobInAcme := pmS(pmObj(pmList(m.obj()["member"])[0])["@id"])
		pmOK(t, "ada makes bob a developer", pmPatch(e, bobInAcme, ada, `{"role":"developer"}`), http.StatusOK)
		if g := pmGet(e, pmS(acme["@id"]), bob); g.obj()["current_user_role"] != "developer" {
			t.Errorf("bob's role in Acme after the change: %v", g.obj()["current_user_role"])
		}
	})
}
