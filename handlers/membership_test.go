package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/problems"
)

// msPost sends an action's POST, with If-Match when etag is not empty.
func msPost(e *env, path, key, body, etag string) *response {
	h := map[string]string{}
	if etag != "" {
		h["If-Match"] = etag
	}
	return e.do(req{Method: http.MethodPost, Path: path, Key: key, Body: body, Header: h})
}

// msStatus fails the test unless r has the status.
func msStatus(t *testing.T, what string, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: %d %s, want %d", what, r.Status, r.Body, status)
	}
}

// msViolation fails the test unless r is a 422 whose one violation is at
// path with the code.
func msViolation(t *testing.T, what string, r *response, path, code string) {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("%s: %d %s, want 422", what, r.Status, r.Body)
		return
	}
	vs := otList(r.obj()["violations"])
	if len(vs) != 1 || otObj(vs[0])["propertyPath"] != path || otObj(vs[0])["code"] != code {
		t.Errorf("%s: violations %v, want one at %s with code %s", what, vs, path, code)
	}
}

// msEvents counts a type's events about an organization.
func msEvents(t *testing.T, e *env, orgIRI, typ string) int {
	t.Helper()
	n, err := e.db.Event.Query().Where(event.Type(typ), event.Organization(pmIDOf(orgIRI))).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Deactivating a member keeps their record and role and takes the
// organization away from them: they read nothing of it (404 as a
// stranger, and it leaves their list), the invitations they sent cannot be
// accepted, and they count as no owner, so the last active owner can be
// neither deactivated nor demoted nor leave. Reactivating gives it all
// back with the same role. Nobody deactivates themselves; an admin does
// not deactivate an owner; deactivating twice changes nothing.
func TestMemberDeactivation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Deactivating")
		ada, bob, dave := o.keys["ada"], o.keys["bob"], o.keys["dave"]

		// Bob (admin) invites ivy before he is deactivated.
		ivy := e.key("ivy@example.com", "live", "write")
		inv := evMade(t, pmPost(e, "/api/invitations", bob, fmt.Sprintf(`{"organization":%q,"email":"ivy@example.com","role":"developer"}`, o.iri)))

		countOf := func(key string) any { return pmGet(e, "/api/organizations", key).obj()["totalItems"] }
		before := countOf(dave)

		r := msPost(e, o.members["dave"]+"/deactivate", bob, "", "")
		msStatus(t, "bob deactivates dave", r, http.StatusOK)
		if d := r.obj(); d["status"] != "deactivated" || d["role"] != "developer" || d["deactivated_at"] == nil {
			t.Errorf("the deactivated member: %v", d)
		}
		for _, path := range []string{o.iri, o.members["dave"], o.members["ada"], o.iri + "/roles"} {
			msStatus(t, "deactivated dave reads "+path, pmGet(e, path, dave), http.StatusNotFound)
		}
		for _, path := range []string{"/api/members?organization=" + o.id, "/api/roles?organization=" + o.id, "/api/invitations?organization=" + o.id, "/api/workspaces?organization=" + o.id} {
			if got := pmGet(e, path, dave).obj()["totalItems"]; got != float64(0) {
				t.Errorf("deactivated dave lists %s: %v items, want none", path, got)
			}
		}
		if got := countOf(dave); got != before.(float64)-1 {
			t.Errorf("dave's organizations: %v after deactivation, %v before", got, before)
		}
		if got := pmGet(e, "/api/members?organization="+o.id+"&status=deactivated", ada).obj(); got["totalItems"] != float64(1) {
			t.Errorf("status=deactivated lists %v", got["member"])
		}
		if got := pmGet(e, o.iri, ada).obj()["member_count"]; got != float64(4) {
			t.Errorf("member_count %v: a deactivated member still counts", got)
		}
		msStatus(t, "dave deactivated again", msPost(e, o.members["dave"]+"/deactivate", ada, "", ""), http.StatusOK)
		if n := msEvents(t, e, o.iri, "member.deactivated"); n != 1 {
			t.Errorf("%d member.deactivated events, want 1 (the second deactivation changed nothing)", n)
		}

		// Who may: not oneself, not an admin for an owner, not a developer.
		msStatus(t, "bob deactivates himself", msPost(e, o.members["bob"]+"/deactivate", bob, "", ""), http.StatusForbidden)
		msStatus(t, "bob deactivates ada, an owner", msPost(e, o.members["ada"]+"/deactivate", bob, "", ""), http.StatusForbidden)
		msStatus(t, "vic deactivates bob", msPost(e, o.members["bob"]+"/deactivate", o.keys["vic"], "", ""), http.StatusForbidden)
		msStatus(t, "dave reactivates himself", msPost(e, o.members["dave"]+"/reactivate", dave, "", ""), http.StatusNotFound)

		// The invitations a deactivated member sent vouch for nothing.
		msStatus(t, "ada deactivates bob", msPost(e, o.members["bob"]+"/deactivate", ada, "", ""), http.StatusOK)
		msViolation(t, "ivy accepts bob's invitation", msPost(e, inv+"/accept", ivy, "", ""), "inviter", problems.CodeInviterLostPower)
		// Nor can a deactivated admin write: the organization is a stranger's.
		if evs := otList(pmGet(e, "/api/events?organization="+o.id, bob).obj()["member"]); len(evs) != 0 {
			t.Errorf("deactivated bob (admin) reads %d of the organization's events, want none", len(evs))
		}
		msStatus(t, "deactivated bob renames the organization", e.do(req{Method: http.MethodPatch, Path: o.iri, Key: bob, Body: `{"name":"Mine"}`}), http.StatusNotFound)
		msStatus(t, "deactivated bob invites", pmPost(e, "/api/invitations", bob, fmt.Sprintf(`{"organization":%q,"email":"zoe@example.com"}`, o.iri)), http.StatusBadRequest) // as any stranger: no such item
		msStatus(t, "ada reactivates bob", msPost(e, o.members["bob"]+"/reactivate", ada, "", ""), http.StatusOK)
		msStatus(t, "ivy accepts bob's invitation, bob active again", msPost(e, inv+"/accept", ivy, "", ""), http.StatusCreated)

		// The last active owner: olga is another owner; deactivated, she
		// counts as none.
		olga := e.key("olga@example.com", "live", "write")
		olgaM := pmAddMember(t, e, o.id, pmUser(t, e, "olga@example.com").ID, "owner")
		msStatus(t, "ada deactivates olga", msPost(e, olgaM+"/deactivate", ada, "", ""), http.StatusOK)
		msViolation(t, "ada, the last active owner, steps down", e.do(req{Method: http.MethodPatch, Path: o.members["ada"], Key: ada, Body: `{"role":"admin"}`}), "role", problems.CodeLastOwner)
		msViolation(t, "ada, the last active owner, leaves", e.do(req{Method: http.MethodDelete, Path: o.members["ada"], Key: ada}), "role", problems.CodeLastOwner)
		msStatus(t, "deactivated olga reads the organization", pmGet(e, o.iri, olga), http.StatusNotFound)
		r = msPost(e, olgaM+"/reactivate", ada, "", "")
		msStatus(t, "ada reactivates olga", r, http.StatusOK)
		if d := r.obj(); d["role"] != "owner" || d["status"] != "active" || d["deactivated_at"] != nil {
			t.Errorf("reactivated olga: %v", d)
		}
		msStatus(t, "reactivated olga reads the organization", pmGet(e, o.iri, olga), http.StatusOK)

		// Two owners deactivating each other at once: the organization's
		// lock lets one through; the other is the last active owner (422)
		// or already a stranger (404).
		var wg sync.WaitGroup
		results := make([]*response, 2)
		for i, p := range []struct{ key, target string }{{ada, olgaM}, {olga, o.members["ada"]}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = msPost(e, p.target+"/deactivate", p.key, "", "")
			}()
		}
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch r.Status {
			case http.StatusOK:
				ok++
			case http.StatusUnprocessableEntity, http.StatusNotFound:
			default:
				t.Errorf("an owner deactivating the other: %d %s", r.Status, r.Body)
			}
		}
		if ok != 1 {
			t.Errorf("two owners deactivating each other: %d succeeded, want exactly 1", ok)
		}

		// Reactivated, dave has his role and his organization back.
		r = msPost(e, o.members["dave"]+"/reactivate", bob, "", "")
		msStatus(t, "bob reactivates dave", r, http.StatusOK)
		if d := r.obj(); d["role"] != "developer" || d["status"] != "active" {
			t.Errorf("reactivated dave: %v", d)
		}
		msStatus(t, "reactivated dave reads the organization", pmGet(e, o.iri, dave), http.StatusOK)
		if got := countOf(dave); got != before {
			t.Errorf("dave's organizations after reactivation: %v, want %v", got, before)
		}
	})
}

// Transferring ownership: one owner's step, with the precondition, that
// makes another active member an owner and gives the caller the role they
// ask (admin by default); refused to non-owners and operators (403) and
// for every target that cannot receive it (422 NotTransferable); exactly
// one of racing transfers succeeds.
func TestOwnershipTransfer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Handed over")
		ada, bob, dave := o.keys["ada"], o.keys["bob"], o.keys["dave"]
		ops := e.key("ops@platform.test", "live", "operator")
		body := func(m string) string { return fmt.Sprintf(`{"new_owner":%q}`, m) }
		transfer := o.iri + "/transfer"

		msStatus(t, "bob (admin) transfers", msPost(e, transfer, bob, body(o.members["dave"]), ""), http.StatusForbidden)
		msStatus(t, "dave (developer) transfers", msPost(e, transfer, dave, body(o.members["dave"]), ""), http.StatusForbidden)
		msStatus(t, "an operator transfers", msPost(e, transfer, ops, body(o.members["dave"]), ""), http.StatusForbidden)
		msStatus(t, "a stranger transfers", msPost(e, transfer, e.key("sam@example.com", "live", "write"), body(o.members["dave"]), ""), http.StatusNotFound)

		for _, p := range []string{"olga", "gus", "rae", "rob", "roy", "rue", "rex"} {
			e.key(p+"@example.com", "live", "write")
		}
		other := mbNewOrg(t, e, "Elsewhere")
		olgaM := pmAddMember(t, e, o.id, pmUser(t, e, "olga@example.com").ID, "owner")
		gone := pmAddMember(t, e, o.id, pmUser(t, e, "gus@example.com").ID, "viewer")
		msStatus(t, "ada deactivates gus", msPost(e, gone+"/deactivate", ada, "", ""), http.StatusOK)
		for what, target := range map[string]string{
			"a member of another organization": other.members["dave"],
			"herself":                          o.members["ada"],
			"an owner already":                 olgaM,
			"a deactivated member":             gone,
			"no member at all":                 "/api/members/01a2419a-5949-7216-b6f8-e967e3eee02d",
		} {
			msViolation(t, "to "+what, msPost(e, transfer, ada, body(target), ""), "new_owner", problems.CodeNotTransferable)
		}
		msStatus(t, "to an IRI of another class", msPost(e, transfer, ada, body(o.iri), ""), http.StatusBadRequest)
		msViolation(t, "to no one", msPost(e, transfer, ada, `{}`, ""), "new_owner", problems.CodeNotBlank)
		msViolation(t, "keeping no such role", msPost(e, transfer, ada, fmt.Sprintf(`{"new_owner":%q,"caller_role":"king"}`, o.members["dave"]), ""), "caller_role", problems.CodeNoSuchChoice)

		// If-Match: a stale ETag is refused, the GET's succeeds.
		g := pmGet(e, o.iri, ada)
		etag := g.Header.Get("ETag")
		msStatus(t, "ada renames the organization", e.do(req{Method: http.MethodPatch, Path: o.iri, Key: ada, Body: `{"name":"Renamed"}`}), http.StatusOK)
		msStatus(t, "with the stale ETag", msPost(e, transfer, ada, body(o.members["dave"]), etag), http.StatusPreconditionFailed)
		etag = pmGet(e, o.iri, ada).Header.Get("ETag")
		before := msEvents(t, e, o.iri, "member.role_changed")
		r := msPost(e, transfer, ada, body(o.members["dave"]), etag)
		msStatus(t, "ada hands over to dave", r, http.StatusOK)
		if got := r.obj()["current_user_role"]; got != "admin" {
			t.Errorf("ada's role in the answer: %v, want admin", got)
		}
		if got := pmGet(e, o.members["dave"], dave).obj()["role"]; got != "owner" {
			t.Errorf("dave's role: %v", got)
		}
		if got := pmGet(e, o.members["ada"], ada).obj()["role"]; got != "admin" {
			t.Errorf("ada's role: %v", got)
		}
		if n := msEvents(t, e, o.iri, "member.role_changed") - before; n != 2 {
			t.Errorf("%d member.role_changed events, want 2", n)
		}
		msStatus(t, "ada, now an admin, transfers again", msPost(e, transfer, ada, body(o.members["vic"]), ""), http.StatusForbidden)

		// caller_role: dave stays an owner beside bob.
		r = msPost(e, transfer, dave, fmt.Sprintf(`{"new_owner":%q,"caller_role":"owner"}`, o.members["bob"]), "")
		msStatus(t, "dave shares the ownership with bob", r, http.StatusOK)
		for who, want := range map[string]string{"dave": "owner", "bob": "owner"} {
			if got := pmGet(e, o.members[who], dave).obj()["role"]; got != want {
				t.Errorf("%s's role: %v, want %s", who, got, want)
			}
		}

		// Racing transfers by one owner to different members: one wins,
		// the others find the caller an owner no more.
		race := mbNewOrg(t, e, "Raced")
		targets := []string{race.members["bob"], race.members["dave"], race.members["vic"]}
		for _, p := range []string{"rae", "rob", "roy", "rue", "rex"} {
			targets = append(targets, pmAddMember(t, e, race.id, pmUser(t, e, p+"@example.com").ID, "viewer"))
		}
		var wg sync.WaitGroup
		results := make([]*response, len(targets))
		for i, target := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = msPost(e, race.iri+"/transfer", race.keys["ada"], body(target), "")
			}()
		}
		wg.Wait()
		won := 0
		for _, r := range results {
			switch r.Status {
			case http.StatusOK:
				won++
			case http.StatusForbidden:
			default:
				t.Errorf("a racing transfer: %d %s", r.Status, r.Body)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d racing transfers succeeded, want exactly 1", won, len(targets))
		}
		owners := 0
		for _, m := range otList(pmGet(e, "/api/members?organization="+race.id+"&role=owner&itemsPerPage=100", race.keys["bob"]).obj()["member"]) {
			if otObj(m)["role"] == "owner" {
				owners++
			}
		}
		if owners != 1 {
			t.Errorf("after the race, %d owners, want 1", owners)
		}
	})
}
