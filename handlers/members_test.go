package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/problems"
)

// The Member resource: the collection and its filters, the item, role
// changes, removal, leaving, the last-owner rule (one request at a time and
// two at the same moment), and other tenants. Helpers carry the "mb" prefix;
// the "pm" ones come from permissions_test.go.

const mbLastOwner = "An organization must keep at least one active owner: promote another member to owner first."

// mbOrg is an organization created by ada through the API, with bob
// (admin), dave (developer) and vic (viewer) added in that order.
type mbOrg struct {
	id, iri string
	keys    map[string]string // person → live write key
	members map[string]string // person → member IRI
}

func mbNewOrg(t *testing.T, e *env, name string) *mbOrg {
	t.Helper()
	o := &mbOrg{keys: map[string]string{}, members: map[string]string{}}
	for _, p := range []string{"ada", "bob", "dave", "vic"} {
		o.keys[p] = e.key(p+"@example.com", "live", "write")
	}
	doc := e.createOrg(o.keys["ada"], fmt.Sprintf(`{"name":%q}`, name))
	o.id, o.iri = pmS(doc["id"]), pmS(doc["@id"])
	o.members["ada"] = pmS(pmObj(pmList(doc["owners"])[0])["@id"])
	// Joined earlier than ada, in this order, so that the id order (ada,
	// bob, dave, vic) and the joined_at order (bob, dave, vic, ada) differ.
	now := time.Now().UTC().Truncate(time.Second)
	for i, p := range []struct{ who, role string }{{"bob", "admin"}, {"dave", "developer"}, {"vic", "viewer"}} {
		m, err := e.db.Member.Create().SetOrganizationID(uuid.MustParse(o.id)).SetUserID(pmUser(t, e, p.who+"@example.com").ID).
			SetRole(p.role).SetJoinedAt(now.Add(time.Duration(i-3) * time.Hour)).Save(context.Background())
		if err != nil {
			t.Fatalf("add member: %v", err)
		}
		o.members[p.who] = "/api/members/" + m.ID.String()
	}
	return o
}

// mbDoc is the expected Member document of a membership, built from what is
// stored (the ids and joined_at are the server's).
func mbDoc(t *testing.T, e *env, iri string, withContext bool) map[string]any {
	t.Helper()
	m, err := e.db.Member.Query().Where(member.ID(pmIDOf(iri))).WithUser().Only(context.Background())
	if err != nil {
		t.Fatalf("member %s: %v", iri, err)
	}
	d := map[string]any{
		"@id":          iri,
		"@type":        "Member",
		"id":           m.ID.String(),
		"organization": "/api/organizations/" + m.OrganizationID.String(),
		"user":         "/api/users/" + m.UserID.String(),
		"email":        m.Edges.User.Email,
		"name":         m.Edges.User.Name,
		"role":         string(m.Role),
		"status":       string(m.Status),
		"joined_at":    pmFormat(m.JoinedAt),
	}
	if m.DeactivatedAt != nil {
		d["deactivated_at"] = pmFormat(*m.DeactivatedAt)
	}
	if withContext {
		d["@context"] = "/api/contexts/Member"
	}
	return d
}

// mbSearch is the search template of the Member collection.
var mbSearch = map[string]any{
	"@type":                  "IriTemplate",
	"template":               "/api/members{?organization,role,status,email,external_id,order.id,order.joined_at}",
	"variableRepresentation": "BasicRepresentation",
	"mapping": []any{
		map[string]any{"@type": "IriTemplateMapping", "variable": "organization", "property": "organization", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "role", "property": "role", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "status", "property": "status", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "email", "property": "email", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "external_id", "property": "external_id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.id", "property": "Member/order/id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order.joined_at", "property": "Member/order/joined_at", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[id]", "property": "Member/order/id", "required": false},
		map[string]any{"@type": "IriTemplateMapping", "variable": "order[joined_at]", "property": "Member/order/joined_at", "required": false},
	},
}

// mbCollection is a whole expected Member collection.
func mbCollection(total int, members []any, view map[string]any) map[string]any {
	d := map[string]any{
		"@context":   "/api/contexts/Member",
		"@id":        "/api/members",
		"@type":      "Collection",
		"totalItems": total,
		"member":     members,
		"search":     mbSearch,
	}
	if view != nil {
		d["view"] = view
	}
	return d
}

func mbView(links ...string) map[string]any {
	v := map[string]any{"@type": "PartialCollectionView"}
	for i := 0; i+1 < len(links); i += 2 {
		v[links[i]] = links[i+1]
	}
	return v
}

// mbOwners counts an organization's owners in the database.
func mbOwners(t *testing.T, e *env, orgID string) int {
	t.Helper()
	n, err := e.db.Member.Query().Where(member.OrganizationID(uuid.MustParse(orgID)), member.RoleEQ(schema.RoleOwner)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMembersCollection(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		ada := o.keys["ada"]
		// Noise: carol's organization, where bob is a member too.
		carol := e.key("carol@example.com", "live", "write")
		other := e.createOrg(carol, `{"name":"Other"}`)
		pmAddMember(t, e, pmS(other["id"]), pmUser(t, e, "bob@example.com").ID, "viewer")

		docs := map[string]any{}
		for p, iri := range o.members {
			docs[p] = mbDoc(t, e, iri, false)
		}
		list := func(ps ...string) []any {
			out := []any{}
			for _, p := range ps {
				out = append(out, docs[p])
			}
			return out
		}
		get := func(path string) *response { return pmGet(e, path, ada) }
		check := func(what, path string, want map[string]any) {
			t.Helper()
			r := get(path)
			if pmOK(t, what, r, http.StatusOK) {
				if v, ok := want["view"].(map[string]any); ok {
					viewAsRequested(r, v)
				}
				pmEqual(t, what, r.obj(), want)
			}
		}

		// One filtered page, whole document.
		check("organization=IRI", "/api/members?organization="+o.iri,
			mbCollection(4, list("ada", "bob", "dave", "vic"), mbView()))
		check("organization=id", "/api/members?organization="+o.id,
			mbCollection(4, list("ada", "bob", "dave", "vic"), mbView()))
		check("organization and role", "/api/members?organization="+o.id+"&role=viewer",
			mbCollection(1, list("vic"), mbView()))
		check("email, case-insensitive", "/api/members?email=BOB@Example.COM",
			mbCollection(1, list("bob"), mbView()))
		check("unknown email", "/api/members?email=nobody@example.com",
			mbCollection(0, []any{}, mbView()))
		check("order[joined_at]=asc", "/api/members?organization="+o.id+"&order[joined_at]=asc",
			mbCollection(4, list("bob", "dave", "vic", "ada"), mbView()))
		check("order[joined_at]=desc", "/api/members?organization="+o.id+"&order[joined_at]=desc",
			mbCollection(4, list("ada", "vic", "dave", "bob"), mbView()))
		check("order[id]=desc", "/api/members?organization="+o.id+"&order[id]=desc",
			mbCollection(4, list("vic", "dave", "bob", "ada"), mbView()))

		// Pages.
		p := "/api/members?organization=" + o.id + "&itemsPerPage=3"
		check("page 1", p+"&page=1", mbCollection(4, list("ada", "bob", "dave"), mbView(
			"first", p+"&page=1", "last", p+"&page=2", "next", p+"&page=2")))
		check("page 2", p+"&page=2", mbCollection(4, list("vic"), mbView(
			"first", p+"&page=1", "last", p+"&page=2", "previous", p+"&page=1")))

		// Without the organization filter: every membership of every
		// organization ada belongs to (her personal one included), and
		// nothing of carol's organization.
		r := get("/api/members?role=owner")
		if pmOK(t, "role=owner", r, http.StatusOK) {
			if r.obj()["totalItems"] != float64(2) {
				t.Errorf("role=owner: totalItems %v, want 2 (Personal and Acme)\n%s", r.obj()["totalItems"], r.Body)
			}
			for _, m := range pmList(r.obj()["member"]) {
				if pmObj(m)["email"] != "ada@example.com" || pmObj(m)["role"] != "owner" {
					t.Errorf("role=owner lists %v", m)
				}
			}
		}
		r = get("/api/members")
		if pmOK(t, "no filter", r, http.StatusOK) && r.obj()["totalItems"] != float64(5) {
			t.Errorf("no filter: totalItems %v, want 5 (ada's personal membership and Acme's 4)\n%s", r.obj()["totalItems"], r.Body)
		}
		// Bob sees his memberships of both organizations, and ada only once.
		r = pmGet(e, "/api/members?email=ada@example.com", o.keys["bob"])
		if pmOK(t, "bob email=ada", r, http.StatusOK) {
			pmEqual(t, "bob email=ada", r.obj(), mbCollection(1, list("ada"), viewAsRequested(r, mbView())))
		}
		r = pmGet(e, "/api/members?email=bob@example.com", o.keys["bob"])
		if pmOK(t, "bob email=bob", r, http.StatusOK) && r.obj()["totalItems"] != float64(3) {
			t.Errorf("bob's own memberships: %v, want 3 (Personal, Acme, Other)\n%s", r.obj()["totalItems"], r.Body)
		}
		// Another tenant's organization as a filter: nothing, not an error.
		check("other tenant's organization", "/api/members?organization="+pmS(other["id"]),
			mbCollection(0, []any{}, mbView()))

		// Invalid filter values: 400.
		for _, q := range []string{"organization=acme", "organization=/api/workspaces/" + o.id, "organization=" + strings.ToUpper(o.id), "role=King", "role=Owner", "role=" + strings.Repeat("a", 41), "order[joined_at]=up"} {
			pmProblem(t, q, get("/api/members?"+q), http.StatusBadRequest)
		}
	})
}

func TestMembersItem(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		for _, viewer := range []string{"ada", "vic"} {
			for p, iri := range o.members {
				r := pmGet(e, iri, o.keys[viewer])
				if pmOK(t, viewer+" GET "+p, r, http.StatusOK) {
					pmEqual(t, viewer+" GET "+p, r.obj(), mbDoc(t, e, iri, true))
				}
			}
		}
		// The embedded members of the organization are the same documents.
		g := pmGet(e, o.iri, o.keys["ada"])
		for i, m := range pmList(g.obj()["members"]) {
			pmEqual(t, fmt.Sprintf("embedded members[%d]", i), m, mbDoc(t, e, pmS(pmObj(m)["@id"]), false))
		}
		pmProblem(t, "unknown id", pmGet(e, "/api/members/"+uuid.Must(uuid.NewV7()).String(), o.keys["ada"]), http.StatusNotFound)
		pmProblem(t, "malformed id", pmGet(e, "/api/members/nope", o.keys["ada"]), http.StatusNotFound)
		pmProblem(t, "upper-case id", pmGet(e, strings.ToUpper(o.members["bob"]), o.keys["ada"]), http.StatusNotFound)
	})
}

func TestMembersRoleChange(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		ada, bob := o.keys["ada"], o.keys["bob"]
		vic := o.members["vic"]

		steps := []struct {
			who, body, ct, role string
		}{
			{"ada", `{"role":"developer"}`, "", "developer"},
			{"bob", `{"role":"admin"}`, "application/ld+json", "admin"},
			{"bob", `{"role":"viewer"}`, "application/merge-patch+json; charset=utf-8", "viewer"},
			// Read-only properties are ignored; the role still changes.
			{"ada", `{"role":"developer","email":"x@example.com","user":"/api/users/x","joined_at":"2000-01-01T00:00:00+00:00"}`, "", "developer"},
			// Nothing to change: 200 with the same document.
			{"ada", `{}`, "", "developer"},
			{"ada", `{"role":"developer"}`, "", "developer"},
		}
		for i, s := range steps {
			what := fmt.Sprintf("step %d: %s %s", i, s.who, s.body)
			h := map[string]string{}
			if s.ct != "" {
				h["Content-Type"] = s.ct
			}
			r := e.do(req{Method: http.MethodPatch, Path: vic, Key: o.keys[s.who], Body: s.body, Header: h})
			if !pmOK(t, what, r, http.StatusOK) {
				continue
			}
			want := mbDoc(t, e, vic, true)
			if want["role"] != s.role {
				t.Errorf("%s: stored role %v, want %s", what, want["role"], s.role)
			}
			pmEqual(t, what, r.obj(), want)
			pmEqual(t, what+" read back", pmGet(e, vic, ada).obj(), want)
		}

		// Bad roles: 422 on "role", nothing changes.
		before := pmSnapshot(t, e)
		pmViolations(t, "role king", pmPatch(e, vic, ada, `{"role":"king"}`),
			"role", `This organization has no role "king". Its roles: "owner", "admin", "developer", "viewer".`, problems.CodeNoSuchChoice)
		pmViolations(t, "role null", pmPatch(e, vic, ada, `{"role":null}`),
			"role", "This value should not be blank.", problems.CodeNotBlank)
		pmViolations(t, "role blank", pmPatch(e, vic, ada, `{"role":"  "}`),
			"role", "This value should not be blank.", problems.CodeNotBlank)
		// A 403 comes before validation.
		pmProblem(t, "developer, invalid role", pmPatch(e, vic, o.keys["dave"], `{"role":"king"}`), http.StatusForbidden)
		// Admins cannot touch owners nor make one, not even themselves.
		pmProblem(t, "admin promotes self", pmPatch(e, o.members["bob"], bob, `{"role":"owner"}`), http.StatusForbidden)
		pmProblem(t, "admin demotes the owner", pmPatch(e, o.members["ada"], bob, `{"role":"admin"}`), http.StatusForbidden)
		pmProblem(t, "developer promotes self", pmPatch(e, o.members["dave"], o.keys["dave"], `{"role":"admin"}`), http.StatusForbidden)
		pmProblem(t, "wrong content type", e.do(req{Method: http.MethodPatch, Path: vic, Key: ada, Body: `{"role":"admin"}`,
			Header: map[string]string{"Content-Type": "text/plain"}}), http.StatusUnsupportedMediaType)
		pmUnchanged(t, e, "refused role changes", before)

		// An owner promotes and demotes.
		r := pmPatch(e, o.members["bob"], ada, `{"role":"owner"}`)
		if pmOK(t, "promote bob", r, http.StatusOK) {
			pmEqual(t, "promote bob", r.obj(), mbDoc(t, e, o.members["bob"], true))
		}
		g := pmGet(e, o.iri, ada)
		if n := len(pmList(g.obj()["owners"])); n != 2 {
			t.Errorf("the organization embeds %d owners after the promotion, want 2: %s", n, g.Body)
		}
		// bob, now an owner, demotes ada.
		r = pmPatch(e, o.members["ada"], bob, `{"role":"viewer"}`)
		if pmOK(t, "bob demotes ada", r, http.StatusOK) && r.obj()["role"] != "viewer" {
			t.Errorf("ada's role %v, want viewer", r.obj()["role"])
		}
		if g := pmGet(e, o.iri, ada); g.obj()["current_user_role"] != "viewer" {
			t.Errorf("ada's current_user_role %v, want viewer", g.obj()["current_user_role"])
		}
	})
}

func TestMembersRemoveAndLeave(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		ada := o.keys["ada"]

		// The owner removes the developer.
		r := pmDelete(e, o.members["dave"], ada)
		if pmOK(t, "remove dave", r, http.StatusNoContent) {
			if ct := r.Header.Get("Content-Type"); ct != "" {
				t.Errorf("204 with Content-Type %q", ct)
			}
		}
		pmProblem(t, "GET removed member", pmGet(e, o.members["dave"], ada), http.StatusNotFound)
		pmProblem(t, "DELETE removed member", pmDelete(e, o.members["dave"], ada), http.StatusNotFound)
		pmProblem(t, "dave GET organization", pmGet(e, o.iri, o.keys["dave"]), http.StatusNotFound)
		if g := pmGet(e, o.iri, ada); g.obj()["member_count"] != float64(3) {
			t.Errorf("member_count %v after the removal, want 3", g.obj()["member_count"])
		}

		// The viewer leaves (no permission needed for one's own membership).
		r = pmDelete(e, o.members["vic"], o.keys["vic"])
		pmOK(t, "vic leaves", r, http.StatusNoContent)
		pmProblem(t, "vic GET organization after leaving", pmGet(e, o.iri, o.keys["vic"]), http.StatusNotFound)
		pmProblem(t, "vic GET own former membership", pmGet(e, o.members["vic"], o.keys["vic"]), http.StatusNotFound)
		if l := pmGet(e, "/api/members?organization="+o.id, o.keys["vic"]); l.obj()["totalItems"] != float64(0) {
			t.Errorf("vic still lists the members: %s", l.Body)
		}

		// A read-only key cannot leave.
		ro := e.key("bob@example.com", "live", "read")
		before := pmSnapshot(t, e)
		pmProblem(t, "leave with a read-only key", pmDelete(e, o.members["bob"], ro), http.StatusForbidden)
		pmUnchanged(t, e, "leave with a read-only key", before)

		// The admin leaves.
		pmOK(t, "bob leaves", pmDelete(e, o.members["bob"], o.keys["bob"]), http.StatusNoContent)
		l := pmGet(e, "/api/members?organization="+o.id, ada)
		if pmOK(t, "list after", l, http.StatusOK) {
			pmEqual(t, "list after", l.obj(), mbCollection(1, []any{mbDoc(t, e, o.members["ada"], false)}, viewAsRequested(l, mbView())))
		}
	})
}

func TestMembersLastOwner(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		ada, bob := o.keys["ada"], o.keys["bob"]
		refuse := func(what string, r *response) {
			t.Helper()
			pmViolations(t, what, r, "role", mbLastOwner, problems.CodeLastOwner)
		}

		before := pmSnapshot(t, e)
		refuse("the only owner demotes self", pmPatch(e, o.members["ada"], ada, `{"role":"admin"}`))
		refuse("the only owner demotes self (ld+json)", e.do(req{Method: http.MethodPatch, Path: o.members["ada"], Key: ada,
			Body: `{"role":"viewer"}`, Header: map[string]string{"Content-Type": "application/ld+json"}}))
		refuse("the only owner leaves", pmDelete(e, o.members["ada"], ada))
		// Others cannot remove or demote the owner at all.
		pmProblem(t, "admin removes the only owner", pmDelete(e, o.members["ada"], bob), http.StatusForbidden)
		pmProblem(t, "admin demotes the only owner", pmPatch(e, o.members["ada"], bob, `{"role":"viewer"}`), http.StatusForbidden)
		// Keeping the owner role is no change.
		pmOK(t, "owner to owner", pmPatch(e, o.members["ada"], ada, `{"role":"owner"}`), http.StatusOK)
		pmUnchanged(t, e, "the last owner stays", before)

		// With a second owner, the first may step down; then the second is
		// the last one.
		pmOK(t, "promote bob", pmPatch(e, o.members["bob"], ada, `{"role":"owner"}`), http.StatusOK)
		pmOK(t, "ada steps down", pmPatch(e, o.members["ada"], ada, `{"role":"admin"}`), http.StatusOK)
		before = pmSnapshot(t, e)
		refuse("bob, now the last owner, demotes self", pmPatch(e, o.members["bob"], bob, `{"role":"developer"}`))
		refuse("bob, now the last owner, leaves", pmDelete(e, o.members["bob"], bob))
		pmProblem(t, "ada, now admin, removes bob", pmDelete(e, o.members["bob"], ada), http.StatusForbidden)
		pmUnchanged(t, e, "the second last owner stays", before)

		// Two owners: one removes the other, then the remover is the last.
		pmOK(t, "bob promotes ada again", pmPatch(e, o.members["ada"], bob, `{"role":"owner"}`), http.StatusOK)
		pmOK(t, "ada removes bob", pmDelete(e, o.members["bob"], ada), http.StatusNoContent)
		refuse("ada, the last owner again, leaves", pmDelete(e, o.members["ada"], ada))
		if n := mbOwners(t, e, o.id); n != 1 {
			t.Errorf("%d owners at the end, want 1", n)
		}
	})
}

// mbResult is one answer received in a goroutine (no t.Fatal there).
type mbResult struct {
	status int
	ct     string
	body   string
	err    error
}

// mbSend is a goroutine-safe request (e.do may call t.Fatal, which must
// not run outside the test's goroutine).
func mbSend(e *env, method, path, key, body string) mbResult {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	hr, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		return mbResult{err: err}
	}
	hr.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		ct := "application/ld+json"
		if method == http.MethodPatch {
			ct = "application/merge-patch+json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		return mbResult{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return mbResult{status: res.StatusCode, ct: res.Header.Get("Content-Type"), body: string(b), err: err}
}

// mbRace sends two requests released at the same moment.
func mbRace(e *env, a, b func() mbResult) [2]mbResult {
	var out [2]mbResult
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range []func() mbResult{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// mbTwoOwners is a fresh organization with exactly two owners, ada and
// olga; it returns their member IRIs.
func mbTwoOwners(t *testing.T, e *env, ada, name string) (orgID, adaMember, olgaMember string) {
	t.Helper()
	doc := e.createOrg(ada, fmt.Sprintf(`{"name":%q}`, name))
	orgID = pmS(doc["id"])
	adaMember = pmS(pmObj(pmList(doc["owners"])[0])["@id"])
	olgaMember = pmAddMember(t, e, orgID, pmUser(t, e, "olga@example.com").ID, "owner")
	return orgID, adaMember, olgaMember
}

// mbCheckPair checks a pair of concurrent answers: one success (okStatus),
// one refusal among refusals, never a 500, and at least one owner left.
func mbCheckPair(t *testing.T, e *env, round int, orgID string, res [2]mbResult, okStatus int, refusals ...int) {
	t.Helper()
	t.Logf("round %d: %d, %d", round, res[0].status, res[1].status)
	ok, refused := 0, 0
	for i, r := range res {
		if r.err != nil {
			t.Errorf("round %d request %d: %v", round, i, r.err)
			continue
		}
		switch {
		case r.status == okStatus:
			ok++
		case mbContains(refusals, r.status):
			refused++
			if r.ct != pmProblemType {
				t.Errorf("round %d request %d: %d with Content-Type %q", round, i, r.status, r.ct)
			}
		default:
			t.Errorf("round %d request %d: unexpected %d %s", round, i, r.status, r.body)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("round %d: %d succeeded and %d were refused, want exactly one of each: %d %s | %d %s",
			round, ok, refused, res[0].status, res[0].body, res[1].status, res[1].body)
	}
	if n := mbOwners(t, e, orgID); n < 1 {
		t.Errorf("round %d: the organization has %d owners left", round, n)
	}
}

func mbContains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestMembersLastOwnerConcurrent(t *testing.T) {
	const rounds = 10
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		olga := e.key("olga@example.com", "live", "write")

		t.Run("owners demote each other", func(t *testing.T) {
			for round := 0; round < rounds; round++ {
				orgID, adaM, olgaM := mbTwoOwners(t, e, ada, fmt.Sprintf("Demote %d", round))
				res := mbRace(e,
					func() mbResult { return mbSend(e, http.MethodPatch, olgaM, ada, `{"role":"admin"}`) },
					func() mbResult { return mbSend(e, http.MethodPatch, adaM, olga, `{"role":"admin"}`) })
				// The loser is either still an owner (422: last owner) or
				// already demoted when its request runs (403).
				mbCheckPair(t, e, round, orgID, res, http.StatusOK, http.StatusUnprocessableEntity, http.StatusForbidden)
				if n := mbOwners(t, e, orgID); n != 1 {
					t.Errorf("round %d: %d owners, want 1", round, n)
				}
			}
		})

		t.Run("owners step down together", func(t *testing.T) {
			for round := 0; round < rounds; round++ {
				orgID, adaM, olgaM := mbTwoOwners(t, e, ada, fmt.Sprintf("Step down %d", round))
				res := mbRace(e,
					func() mbResult { return mbSend(e, http.MethodPatch, adaM, ada, `{"role":"developer"}`) },
					func() mbResult { return mbSend(e, http.MethodPatch, olgaM, olga, `{"role":"developer"}`) })
				mbCheckPair(t, e, round, orgID, res, http.StatusOK, http.StatusUnprocessableEntity)
				if n := mbOwners(t, e, orgID); n != 1 {
					t.Errorf("round %d: %d owners, want 1", round, n)
				}
			}
		})

		t.Run("owners leave together", func(t *testing.T) {
			for round := 0; round < rounds; round++ {
				orgID, adaM, olgaM := mbTwoOwners(t, e, ada, fmt.Sprintf("Leave %d", round))
				res := mbRace(e,
					func() mbResult { return mbSend(e, http.MethodDelete, adaM, ada, "") },
					func() mbResult { return mbSend(e, http.MethodDelete, olgaM, olga, "") })
				mbCheckPair(t, e, round, orgID, res, http.StatusNoContent, http.StatusUnprocessableEntity)
				if n := mbOwners(t, e, orgID); n != 1 {
					t.Errorf("round %d: %d owners, want 1", round, n)
				}
			}
		})

		t.Run("one demotes the other who removes the first", func(t *testing.T) {
			for round := 0; round < rounds; round++ {
				orgID, adaM, olgaM := mbTwoOwners(t, e, ada, fmt.Sprintf("Mixed %d", round))
				res := mbRace(e,
					func() mbResult { return mbSend(e, http.MethodPatch, olgaM, ada, `{"role":"viewer"}`) },
					func() mbResult { return mbSend(e, http.MethodDelete, adaM, olga, "") })
				// Either ada demotes olga first (olga's removal of ada is then
				// a 403), or olga removes ada first (ada's request then finds
				// no organization of hers: 404). Both may not succeed.
				ok := 0
				for i, r := range res {
					if r.err != nil {
						t.Errorf("round %d request %d: %v", round, i, r.err)
					}
					switch r.status {
					case http.StatusOK, http.StatusNoContent:
						ok++
					case http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity:
					default:
						t.Errorf("round %d request %d: unexpected %d %s", round, i, r.status, r.body)
					}
				}
				if ok != 1 {
					t.Errorf("round %d: %d requests succeeded, want 1: %d %s | %d %s", round, ok, res[0].status, res[0].body, res[1].status, res[1].body)
				}
				if n := mbOwners(t, e, orgID); n != 1 {
					t.Errorf("round %d: %d owners, want 1", round, n)
				}
			}
		})
	})
}

func TestMembersOtherTenants(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		carol := e.key("carol@example.com", "live", "write")
		theirs := e.createOrg(carol, `{"name":"Carol's"}`)
		theirMember := pmS(pmObj(pmList(theirs["owners"])[0])["@id"])
		adaTest := e.key("ada@example.com", "test", "write")

		before := pmSnapshot(t, e)
		probes := []struct {
			who, key, iri string
		}{
			{"ada on carol's member", o.keys["ada"], theirMember},
			{"carol on ada's member", carol, o.members["ada"]},
			{"carol on vic's member", carol, o.members["vic"]},
			{"ada's test key on her live member", adaTest, o.members["ada"]},
			{"ada's test key on vic", adaTest, o.members["vic"]},
		}
		for _, p := range probes {
			pmProblem(t, p.who+" GET", pmGet(e, p.iri, p.key), http.StatusNotFound)
			pmProblem(t, p.who+" PATCH", pmPatch(e, p.iri, p.key, `{"role":"viewer"}`), http.StatusNotFound)
			pmProblem(t, p.who+" PATCH owner", pmPatch(e, p.iri, p.key, `{"role":"owner"}`), http.StatusNotFound)
			pmProblem(t, p.who+" DELETE", pmDelete(e, p.iri, p.key), http.StatusNotFound)
		}
		pmUnchanged(t, e, "cross-tenant probes", before)
		// The 404 is the same as for an id that does not exist.
		a := pmGet(e, theirMember, o.keys["ada"])
		b := pmGet(e, "/api/members/"+uuid.Must(uuid.NewV7()).String(), o.keys["ada"])
		pmEqual(t, "404 documents", pmWithout(t, a.obj(), "request_id"), pmWithout(t, b.obj(), "request_id"))
	})
}

func TestMembersSuspendedOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := mbNewOrg(t, e, "Acme")
		ada := o.keys["ada"]
		pmOK(t, "suspend", pmPatch(e, o.iri, ada, `{"status":{"current_status":"SUSPENDED"}}`), http.StatusOK)

		before := pmSnapshot(t, e)
		pmProblem(t, "owner changes a role", pmPatch(e, o.members["vic"], ada, `{"role":"developer"}`), http.StatusForbidden)
		pmProblem(t, "owner removes a member", pmDelete(e, o.members["dave"], ada), http.StatusForbidden)
		pmProblem(t, "a viewer leaves", pmDelete(e, o.members["vic"], o.keys["vic"]), http.StatusForbidden)
		pmUnchanged(t, e, "suspended organization", before)
		// Still readable.
		for p, iri := range o.members {
			if r := pmGet(e, iri, ada); pmOK(t, "GET "+p, r, http.StatusOK) {
				pmEqual(t, "GET "+p, r.obj(), mbDoc(t, e, iri, true))
			}
		}
		if l := pmGet(e, "/api/members?organization="+o.id, o.keys["vic"]); l.Status != http.StatusOK || l.obj()["totalItems"] != float64(4) {
			t.Errorf("list while suspended: %d %s", l.Status, l.Body)
		}

		// Reactivated: members change again.
		pmOK(t, "reactivate", pmPatch(e, o.iri, ada, `{"status":{"current_status":"ACTIVE"}}`), http.StatusOK)
		pmOK(t, "change a role", pmPatch(e, o.members["vic"], ada, `{"role":"developer"}`), http.StatusOK)
		pmOK(t, "remove a member", pmDelete(e, o.members["dave"], ada), http.StatusNoContent)
	})
}
