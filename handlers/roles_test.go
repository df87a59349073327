package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/problems"
)

// Custom roles (issue 21, item 1), through real HTTP on both backends.

// crOrg is an organization owned by ada, with bob as admin and tim and
// vic as viewers.
type crOrg struct {
	ada, bob, tim, vic string // keys
	iri, id            string
	members            map[string]string // person → member IRI
}

func crNew(t *testing.T, e *env, prefix string) *crOrg {
	t.Helper()
	o := &crOrg{members: map[string]string{}}
	o.ada = e.key(prefix+"ada@example.com", "live", "write")
	org := e.createOrg(o.ada, `{"name":"Roles"}`)
	o.iri, o.id = pmS(org["@id"]), pmS(org["id"])
	o.members["ada"] = pmS(pmObj(pmList(org["owners"])[0])["@id"])
	for _, p := range []struct{ who, role string }{{"bob", "admin"}, {"tim", "viewer"}, {"vic", "viewer"}} {
		key := e.key(prefix+p.who+"@example.com", "live", "write")
		switch p.who {
		case "bob":
			o.bob = key
		case "tim":
			o.tim = key
		case "vic":
			o.vic = key
		}
		o.members[p.who] = pmAddMember(t, e, o.id, pmUser(t, e, prefix+p.who+"@example.com").ID, p.role)
	}
	return o
}

// crRole makes a custom role through the API and returns its document.
func crRole(t *testing.T, e *env, key, org, slug string, perms ...string) map[string]any {
	t.Helper()
	list := "[]"
	if len(perms) > 0 {
		list = `["` + strings.Join(perms, `","`) + `"]`
	}
	r := pmPost(e, "/api/roles", key, fmt.Sprintf(`{"organization":%q,"slug":%q,"name":%q,"permissions":%s}`, org, slug, strings.ToUpper(slug[:1])+slug[1:], list))
	if !pmOK(t, "POST role "+slug, r, http.StatusCreated) {
		t.FailNow()
	}
	return r.obj()
}

func crRoleOf(t *testing.T, e *env, memberIRI string) string {
	t.Helper()
	m, err := e.db.Member.Get(context.Background(), pmIDOf(memberIRI))
	if err != nil {
		t.Fatal(err)
	}
	return m.Role
}

func TestCustomRoleLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := crNew(t, e, "")

		// Made by the owner: the base permissions are added, the list is in
		// the catalogue's order, and its maker may change and delete it.
		doc := crRole(t, e, o.ada, o.iri, "support", "invitations:manage", "members:manage")
		want := []any{"organization:read", "members:read", "members:manage", "invitations:read", "invitations:manage", "workspaces:read", "roles:read"}
		if got := pmNorm(t, doc["permissions"]); fmt.Sprint(got) != fmt.Sprint(want) || doc["default"] != false || doc["slug"] != "support" || doc["organization"] != o.iri {
			t.Errorf("the new role: %v", doc)
		}
		support := pmS(doc["@id"])
		if ops := fmt.Sprint(doc["operation"]); !strings.Contains(ops, "PATCH") || !strings.Contains(ops, "DELETE") {
			t.Errorf("the owner is not offered PATCH and DELETE on a custom role: %v", doc["operation"])
		}

		// The organization lists its five roles; a default one is offered no
		// change, and refuses one.
		list := pmGet(e, "/api/roles?organization="+o.id, o.ada).obj()
		if list["totalItems"] != float64(5) {
			t.Fatalf("roles: %v", list)
		}
		var adminRole string
		for _, m := range pmList(list["member"]) {
			r := pmObj(m)
			if r["slug"] == "admin" {
				adminRole = pmS(r["@id"])
				if r["default"] != true || r["operation"] != nil {
					t.Errorf("the admin role: default %v, operations %v", r["default"], r["operation"])
				}
			}
		}
		pmProblem(t, "PATCH a default role", pmPatch(e, adminRole, o.ada, `{"name":"Boss"}`), http.StatusForbidden)
		pmProblem(t, "DELETE a default role", pmDelete(e, adminRole, o.ada), http.StatusForbidden)

		// Bad input: each a precise violation.
		r := pmPost(e, "/api/roles", o.ada, fmt.Sprintf(`{"organization":%q,"slug":"support","name":"Again"}`, o.iri))
		pmViolations(t, "a slug taken", r, "slug", "This value is already used.", problems.CodeNotUnique)
		r = pmPost(e, "/api/roles", o.ada, fmt.Sprintf(`{"organization":%q,"slug":"owner","name":"Owner 2"}`, o.iri))
		pmViolations(t, "a default role's slug", r, "slug", "This value is already used.", problems.CodeNotUnique)
		r = pmPost(e, "/api/roles", o.ada, fmt.Sprintf(`{"organization":%q,"slug":"Support Team","name":"S"}`, o.iri))
		pmViolations(t, "a slug with capitals and a space", r, "slug", `This value is not a valid slug: a lower-case letter, then up to 39 lower-case letters, digits, "-" or "_".`, problems.CodeRegexFailed)
		r = pmPost(e, "/api/roles", o.ada, fmt.Sprintf(`{"organization":%q,"slug":"x","name":"X","permissions":["members:fly"]}`, o.iri))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "permissions[0]") || !strings.Contains(string(r.Body), problems.CodeNoSuchChoice) {
			t.Errorf("an unknown permission: %d %s", r.Status, r.Body)
		}

		// Assigned like a default role; an unknown one is a violation.
		if r := pmPatch(e, o.members["tim"], o.ada, `{"role":"support"}`); !pmOK(t, "assign support", r, http.StatusOK) || r.obj()["role"] != "support" {
			t.Errorf("assign support: %s", r.Body)
		}
		r = pmPatch(e, o.members["vic"], o.ada, `{"role":"nope"}`)
		pmViolations(t, "an unknown role", r, "role", `This organization has no role "nope". Its roles: "owner", "admin", "developer", "viewer", "support".`, problems.CodeNoSuchChoice)

		// Tim holds what support grants, and no more.
		if r := pmPost(e, "/api/invitations", o.tim, fmt.Sprintf(`{"organization":%q,"email":"new@example.com"}`, o.iri)); !pmOK(t, "support invites a viewer", r, http.StatusCreated) {
			t.Error(r.Body)
		}
		if r := pmPatch(e, o.members["vic"], o.tim, `{"role":"support"}`); !pmOK(t, "support gives support", r, http.StatusOK) {
			t.Error(r.Body)
		}
		r = pmPatch(e, o.members["vic"], o.tim, `{"role":"developer"}`)
		pmProblem(t, "support gives developer", r, http.StatusForbidden)
		if d := pmS(r.obj()["detail"]); !strings.Contains(d, "workspaces:manage") {
			t.Errorf("the refusal does not name the permission lacking: %s", d)
		}
		pmProblem(t, "support renames the organization", pmPatch(e, o.iri, o.tim, `{"name":"X"}`), http.StatusForbidden)
		pmProblem(t, "support makes a role", pmPost(e, "/api/roles", o.tim, fmt.Sprintf(`{"organization":%q,"slug":"mine","name":"Mine"}`, o.iri)), http.StatusForbidden)

		// A change of its permissions holds at once.
		if r := pmPatch(e, support, o.ada, `{"permissions":["members:manage"]}`); !pmOK(t, "narrow support", r, http.StatusOK) {
			t.Error(r.Body)
		}
		pmProblem(t, "support invites after losing invitations:manage",
			pmPost(e, "/api/invitations", o.tim, fmt.Sprintf(`{"organization":%q,"email":"other@example.com"}`, o.iri)), http.StatusForbidden)
		// …and the invitation tim sent with the power he lost is revoked.
		invs := pmGet(e, "/api/invitations?organization="+o.id, o.ada).obj()
		for _, m := range pmList(invs["member"]) {
			if inv := pmObj(m); inv["email"] == "new@example.com" && inv["status"] != "revoked" {
				t.Errorf("tim's invitation after support lost invitations:manage: %v", inv["status"])
			}
		}

		// Admins make roles below their own power only.
		r = pmPost(e, "/api/roles", o.bob, fmt.Sprintf(`{"organization":%q,"slug":"closer","name":"Closer","permissions":["organization:delete"]}`, o.iri))
		pmProblem(t, "an admin gives organization:delete", r, http.StatusForbidden)
		crRole(t, e, o.bob, o.iri, "builder", "workspaces:manage")
		closer := crRole(t, e, o.ada, o.iri, "closer", "organization:delete")
		if doc := pmGet(e, pmS(closer["@id"]), o.bob).obj(); doc["operation"] != nil {
			t.Errorf("an admin is offered changes of a role above them: %v", doc["operation"])
		}
		pmProblem(t, "an admin changes a role above them", pmPatch(e, pmS(closer["@id"]), o.bob, `{"name":"C"}`), http.StatusForbidden)
		pmProblem(t, "an admin deletes a role above them", pmDelete(e, pmS(closer["@id"]), o.bob), http.StatusForbidden)
		// Nor do they give a role above them to anyone.
		pmProblem(t, "an admin gives closer", pmPatch(e, o.members["vic"], o.bob, `{"role":"closer"}`), http.StatusForbidden)

		// Deleting a role in use needs a replacement the deleter may give.
		inv := pmPost(e, "/api/invitations", o.ada, fmt.Sprintf(`{"organization":%q,"email":"sue@example.com","role":"support"}`, o.iri))
		if !pmOK(t, "invite with support", inv, http.StatusCreated) {
			t.FailNow()
		}
		r = pmDelete(e, support, o.ada)
		pmViolations(t, "DELETE a role in use", r, "replacement", "2 members and 1 pending invitation hold this role: name the role they move to (?replacement=<slug>).", problems.CodeRoleInUse)
		r = pmDelete(e, support+"?replacement=nope", o.ada)
		pmViolations(t, "DELETE with an unknown replacement", r, "replacement", `This organization has no role "nope". Its roles: "owner", "admin", "developer", "viewer", "builder", "closer", "support".`, problems.CodeNoSuchChoice)
		pmProblem(t, "an admin replaces with closer", pmDelete(e, support+"?replacement=closer", o.bob), http.StatusForbidden)
		if r := pmDelete(e, support+"?replacement=viewer", o.bob); !pmOK(t, "DELETE support for viewer", r, http.StatusNoContent) {
			t.FailNow()
		}
		for _, who := range []string{"tim", "vic"} {
			if got := crRoleOf(t, e, o.members[who]); got != "viewer" {
				t.Errorf("%s's role after support was deleted: %s", who, got)
			}
		}
		if got := pmGet(e, pmS(inv.obj()["@id"]), o.ada).obj(); got["role"] != "viewer" || got["status"] != "pending" {
			t.Errorf("the invitation after support was deleted: %v %v", got["role"], got["status"])
		}
		pmProblem(t, "GET the deleted role", pmGet(e, support, o.ada), http.StatusNotFound)
		// Each move is a member.role_changed, as any role change.
		evs := pmGet(e, "/api/events?organization="+o.id+"&type=member.role_changed", o.ada).obj()
		moved := 0
		for _, ev := range pmList(evs["member"]) {
			if prev := pmObj(pmObj(ev)["previous_attributes"]); prev["role"] == "support" && pmObj(pmObj(ev)["data"])["role"] == "viewer" {
				moved++
			}
		}
		if moved != 2 {
			t.Errorf("member.role_changed events from support to viewer: %d, want 2\n%s", moved, jsonShort(evs))
		}
	})
}

// A custom role's permissions reach the rules written in SQL too: the
// event feed (events:read) on both databases.
func TestCustomRoleReadsEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := crNew(t, e, "")
		crRole(t, e, o.ada, o.iri, "auditor", "events:read")
		crRole(t, e, o.ada, o.iri, "helper", "workspaces:manage")
		total := func(key string) any {
			return pmGet(e, "/api/events?organization="+o.id, key).obj()["totalItems"]
		}
		if n := total(o.tim); n != float64(0) {
			t.Errorf("a viewer reads %v events", n)
		}
		pmPatch(e, o.members["tim"], o.ada, `{"role":"helper"}`)
		if n := total(o.tim); n != float64(0) {
			t.Errorf("a role without events:read reads %v events", n)
		}
		pmPatch(e, o.members["tim"], o.ada, `{"role":"auditor"}`)
		// On PostgreSQL the feed shows an event once the transactions that
		// began writing before it have ended, other tests' included
		// (eventuallyFeed): the two read the same once both see them.
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, all := total(o.tim), total(o.ada)
			if n != float64(0) && n == all {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the auditor reads %v events, the owner %v", n, all)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// Deleting a role and giving it race: under the organization's lock, the
// member ends with a role the organization has, whichever runs first.
func TestCustomRoleDeleteRacesAssignment(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := crNew(t, e, "")
		for round := range 6 {
			slug := fmt.Sprintf("temp%d", round)
			doc := crRole(t, e, o.ada, o.iri, slug)
			var wg sync.WaitGroup
			var assign, del *response
			wg.Add(2)
			go func() { defer wg.Done(); assign = pmPatch(e, o.members["vic"], o.ada, `{"role":"`+slug+`"}`) }()
			go func() { defer wg.Done(); del = pmDelete(e, pmS(doc["@id"])+"?replacement=viewer", o.bob) }()
			wg.Wait()
			if del.Status != http.StatusNoContent {
				t.Errorf("round %d: DELETE %d %s", round, del.Status, del.Body)
			}
			// The assignment ran first (200, then moved to viewer) or after
			// (422: no such role); never does vic hold a deleted role.
			if assign.Status != http.StatusOK && assign.Status != http.StatusUnprocessableEntity {
				t.Errorf("round %d: PATCH %d %s", round, assign.Status, assign.Body)
			}
			if got := crRoleOf(t, e, o.members["vic"]); got != "viewer" {
				t.Errorf("round %d: vic holds %q", round, got)
			}
			n, err := e.db.Role.Query().Where(role.OrganizationID(uuid.MustParse(o.id)), role.Slug(slug)).Count(context.Background())
			if err != nil || n != 0 {
				t.Errorf("round %d: the role is still there (%d, %v)", round, n, err)
			}
		}
		// No membership names a role its organization lacks.
		ms, err := e.db.Member.Query().Where(member.OrganizationID(uuid.MustParse(o.id))).All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if !schema.IsDefaultRole(m.Role) {
				t.Errorf("member %s holds %q", m.ID, m.Role)
			}
		}
	})
}
