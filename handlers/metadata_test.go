package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/problems"
)

// mdPatch sends a merge patch.
func mdPatch(e *env, path, key, body string) *response {
	return e.do(req{Method: http.MethodPatch, Path: path, Key: key, Body: body, Header: map[string]string{"Content-Type": "application/merge-patch+json"}})
}

// mdJSON is a JSON value as the tests compare it.
func mdJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// An organization's external id, metadata and private metadata (issue 21
// item 5): metadata for whoever reads it, written as a merge patch by who
// may change the organization, within Stripe's limits; the external id
// and private metadata written by operator keys alone, private metadata
// read by them alone and never in events; the external id unique per mode
// (also when two writes race) and a filter of the collection.
func TestOrganizationPlatformData(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")
		ops := e.key("ops@platform.test", "live", "operator")

		created := e.createOrg(ada, `{"name":"Acme","metadata":{"tier":"gold","onboarding_completed":"true","gone":null}}`)
		iri := pmS(created["@id"])
		pmEqual(t, "metadata on create", created["metadata"], mdJSON(t, `{"onboarding_completed":"true","tier":"gold"}`))
		pmEqual(t, "metadata read back", pmGet(e, iri, ada).obj()["metadata"], created["metadata"])

		// Only operators write the external id and private metadata.
		msStatus(t, "an owner sets external_id", mdPatch(e, iri, ada, `{"external_id":"crm_1"}`), http.StatusForbidden)
		msStatus(t, "an owner sets private_metadata", mdPatch(e, iri, ada, `{"private_metadata":{"a":"b"}}`), http.StatusForbidden)
		r := e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: ada, Body: `{"name":"Mine","external_id":"x"}`})
		msStatus(t, "an owner creates with external_id", r, http.StatusForbidden)

		r = mdPatch(e, iri, ops, `{"external_id":"crm_1","private_metadata":{"stripe_customer":"cus_1"}}`)
		msStatus(t, "an operator sets both", r, http.StatusOK)
		if got := r.obj(); got["external_id"] != "crm_1" || got["private_metadata"] == nil {
			t.Errorf("the operator's answer: external_id %v, private_metadata %v", got["external_id"], got["private_metadata"])
		}
		got := pmGet(e, iri, ada).obj()
		if got["external_id"] != "crm_1" || got["private_metadata"] != nil {
			t.Errorf("the owner reads external_id %v and private_metadata %v; want crm_1 and none", got["external_id"], got["private_metadata"])
		}
		for _, m := range otList(pmGet(e, "/api/organizations?external_id=crm_1", ada).obj()["member"]) {
			if otObj(m)["private_metadata"] != nil {
				t.Errorf("the owner's page holds private_metadata: %v", m)
			}
		}
		for who, want := range map[string]float64{"the operator": 1, "the owner": 1, "a stranger": 0} {
			key := map[string]string{"the operator": ops, "the owner": ada, "a stranger": bob}[who]
			if n := pmGet(e, "/api/organizations?external_id=crm_1", key).obj()["totalItems"]; n != want {
				t.Errorf("%s filters external_id=crm_1: %v, want %v", who, n, want)
			}
		}
		page := pmGet(e, "/api/organizations?external_id=crm_1", ops).obj()
		if ms := otList(page["member"]); len(ms) != 1 || otObj(ms[0])["private_metadata"] == nil {
			t.Errorf("the operator's page: %v", ms)
		}

		// Unique per mode: taken in live, free in test.
		other := pmS(e.createOrg(bob, `{"name":"Other"}`)["@id"])
		msViolation(t, "another live organization takes crm_1", mdPatch(e, other, ops, `{"external_id":"crm_1"}`), "external_id", problems.CodeNotUnique)
		testOps := e.key("ops@platform.test", "test", "operator")
		r = e.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: testOps, Body: `{"name":"In test","external_id":"crm_1"}`})
		msStatus(t, "a test-mode organization takes crm_1", r, http.StatusCreated)

		// Merge patch: a key set, a key deleted, the others kept; null
		// clears the whole object; private changes record no event.
		before := msEvents(t, e, iri, "organization.updated")
		r = mdPatch(e, iri, ada, `{"metadata":{"tier":null,"plan":"pro"}}`)
		msStatus(t, "the owner patches metadata", r, http.StatusOK)
		pmEqual(t, "merged metadata", r.obj()["metadata"], mdJSON(t, `{"onboarding_completed":"true","plan":"pro"}`))
		pmEqual(t, "the event's previous metadata", evPrevious(t, e, iri, "organization.updated"), mdJSON(t, `{"metadata":{"onboarding_completed":"true","tier":"gold"}}`))
		msStatus(t, "the operator patches private_metadata", mdPatch(e, iri, ops, `{"private_metadata":{"stripe_customer":"cus_2"}}`), http.StatusOK)
		if n := msEvents(t, e, iri, "organization.updated"); n != before+1 {
			t.Errorf("%d organization.updated events after a metadata and a private change, want %d", n, before+1)
		}
		for _, ev := range otList(pmGet(e, "/api/events?organization="+pmS(created["id"]), ops).obj()["member"]) {
			if strings.Contains(fmt.Sprint(otObj(ev)["data"]), "cus_") {
				t.Errorf("an event carries private metadata: %v", ev)
			}
		}
		r = mdPatch(e, iri, ada, `{"metadata":null}`)
		msStatus(t, "the owner clears metadata", r, http.StatusOK)
		if r.obj()["metadata"] != nil {
			t.Errorf("cleared metadata: %v", r.obj()["metadata"])
		}
		r = mdPatch(e, iri, ops, `{"external_id":""}`)
		if msStatus(t, "the operator clears the external id", r, http.StatusOK); r.obj()["external_id"] != nil {
			t.Errorf("cleared external id: %v", r.obj()["external_id"])
		}

		// Limits.
		many := map[string]string{}
		for i := range 51 {
			many[fmt.Sprintf("k%02d", i)] = "v"
		}
		body, _ := json.Marshal(map[string]any{"metadata": many})
		msViolation(t, "51 keys", mdPatch(e, iri, ada, string(body)), "metadata", problems.CodeTooMany)
		long := strings.Repeat("k", 41)
		msViolation(t, "a 41-character key", mdPatch(e, iri, ada, `{"metadata":{"`+long+`":"v"}}`), "metadata."+long, problems.CodeTooLong)
		msViolation(t, "a 501-character value", mdPatch(e, iri, ada, `{"metadata":{"k":"`+strings.Repeat("v", 501)+`"}}`), "metadata.k", problems.CodeTooLong)
		msStatus(t, "a number", mdPatch(e, iri, ada, `{"metadata":{"k":1}}`), http.StatusBadRequest)
		msStatus(t, "an array", mdPatch(e, iri, ada, `{"metadata":["k"]}`), http.StatusBadRequest)
		msViolation(t, "a 256-character external id", mdPatch(e, iri, ops, `{"external_id":"`+strings.Repeat("x", 256)+`"}`), "external_id", problems.CodeTooLong)
		thirty := map[string]string{}
		for i := range 30 {
			thirty[fmt.Sprintf("a%02d", i)] = "v"
		}
		body, _ = json.Marshal(map[string]any{"metadata": thirty})
		msStatus(t, "30 keys", mdPatch(e, iri, ada, string(body)), http.StatusOK)
		twentyFive := map[string]string{}
		for i := range 25 {
			twentyFive[fmt.Sprintf("b%02d", i)] = "v"
		}
		body, _ = json.Marshal(map[string]any{"metadata": twentyFive})
		msViolation(t, "25 more keys, 55 in all", mdPatch(e, iri, ada, string(body)), "metadata", problems.CodeTooMany)

		// Two operators giving two organizations one external id at once:
		// one wins, the other is told it is taken, never a 500 (on
		// PostgreSQL both may find the id free; the unique index decides).
		for round := range 10 {
			a, b := pmS(e.createOrg(ada, `{"name":"A"}`)["@id"]), pmS(e.createOrg(ada, `{"name":"B"}`)["@id"])
			mdOneWins(t, e, ops, []string{a, b}, fmt.Sprintf(`{"external_id":"crm_race_%d"}`, round))
		}
	})
}

// mdOneWins sends one merge patch giving an external id to several
// resources at once: exactly one must win, the others be told it is
// taken, never a 500 (on PostgreSQL all may find the id free; the unique
// index decides).
func mdOneWins(t *testing.T, e *env, key string, targets []string, body string) {
	t.Helper()
	var wg sync.WaitGroup
	results := make([]*response, len(targets))
	for i, target := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = mdPatch(e, target, key, body)
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusUnprocessableEntity:
			msViolation(t, "the racing loser", r, "external_id", problems.CodeNotUnique)
		default:
			t.Errorf("a racing write: %d %s", r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d racing writes of one external id succeeded, want 1", ok, len(targets))
	}
}

// evPrevious is the previous_attributes of an organization's newest event
// of a type, as stored.
func evPrevious(t *testing.T, e *env, orgIRI, typ string) any {
	t.Helper()
	ev, err := e.db.Event.Query().Where(event.Type(typ), event.Organization(pmIDOf(orgIRI))).Order(event.ByID(entsql.OrderDesc())).First(context.Background())
	if err != nil {
		t.Fatalf("no %s event: %v", typ, err)
	}
	raw, _ := json.Marshal(ev.Previous)
	return mdJSON(t, string(raw))
}

// A membership's external id, metadata and private metadata: as an
// organization's, written by who may manage the member (the external id
// and private metadata by operators alone), unique per mode, a filter of
// the members, and a member.updated event with the previous values.
func TestMemberPlatformData(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := crNew(t, e, "")
		ops := e.key("ops@platform.test", "live", "operator")
		stranger := e.key("sam@example.com", "live", "write")
		tim := o.members["tim"]

		r := mdPatch(e, tim, o.bob, `{"metadata":{"title":"Support lead","gone":null}}`)
		msStatus(t, "an admin sets a viewer's metadata", r, http.StatusOK)
		pmEqual(t, "the member's metadata", r.obj()["metadata"], mdJSON(t, `{"title":"Support lead"}`))
		pmEqual(t, "member.updated's previous metadata", evPrevious(t, e, o.iri, "member.updated"), mdJSON(t, `{"metadata":null}`))
		msStatus(t, "a viewer sets their own membership's metadata", mdPatch(e, tim, o.tim, `{"metadata":{"title":"Boss"}}`), http.StatusForbidden)
		msStatus(t, "an owner sets a member's external_id", mdPatch(e, tim, o.ada, `{"external_id":"emp_1"}`), http.StatusForbidden)
		msStatus(t, "an owner sets a member's private_metadata", mdPatch(e, tim, o.ada, `{"private_metadata":{"salary_band":"3"}}`), http.StatusForbidden)

		events := msEvents(t, e, o.iri, "member.updated")
		r = mdPatch(e, tim, ops, `{"external_id":"emp_1","private_metadata":{"salary_band":"3"}}`)
		msStatus(t, "an operator sets both", r, http.StatusOK)
		if got := r.obj(); got["external_id"] != "emp_1" || got["private_metadata"] == nil {
			t.Errorf("the operator's answer: %v %v", got["external_id"], got["private_metadata"])
		}
		if got := pmGet(e, tim, o.ada).obj(); got["external_id"] != "emp_1" || got["private_metadata"] != nil || got["metadata"] == nil {
			t.Errorf("the owner reads external_id %v, private_metadata %v, metadata %v", got["external_id"], got["private_metadata"], got["metadata"])
		}
		if got := pmGet(e, tim, ops).obj(); got["private_metadata"] == nil {
			t.Errorf("the operator does not read private_metadata: %v", got)
		}
		if n := msEvents(t, e, o.iri, "member.updated"); n != events+1 {
			t.Errorf("%d member.updated events after an external id and a private change, want %d", n, events+1)
		}
		for _, ev := range otList(pmGet(e, "/api/events?organization="+o.id, ops).obj()["member"]) {
			if strings.Contains(fmt.Sprint(otObj(ev)["data"]), "salary_band") {
				t.Errorf("an event carries private metadata: %v", ev)
			}
		}
		for who, want := range map[string]float64{"the operator": 1, "the owner": 1, "a stranger": 0} {
			key := map[string]string{"the operator": ops, "the owner": o.ada, "a stranger": stranger}[who]
			page := pmGet(e, "/api/members?external_id=emp_1", key).obj()
			if page["totalItems"] != want {
				t.Errorf("%s filters external_id=emp_1: %v, want %v", who, page["totalItems"], want)
			}
			for _, m := range otList(page["member"]) {
				if (otObj(m)["private_metadata"] != nil) != (key == ops) {
					t.Errorf("%s's page: private_metadata %v", who, otObj(m)["private_metadata"])
				}
			}
		}
		msViolation(t, "another member takes emp_1", mdPatch(e, o.members["vic"], ops, `{"external_id":"emp_1"}`), "external_id", problems.CodeNotUnique)

		// A role and metadata in one PATCH: both change, each its event.
		roles, updates := msEvents(t, e, o.iri, "member.role_changed"), msEvents(t, e, o.iri, "member.updated")
		r = mdPatch(e, o.members["vic"], o.ada, `{"role":"admin","metadata":{"team":"ops"}}`)
		msStatus(t, "role and metadata", r, http.StatusOK)
		if r.obj()["role"] != "admin" || r.obj()["metadata"] == nil {
			t.Errorf("role and metadata: %s", r.Body)
		}
		if msEvents(t, e, o.iri, "member.role_changed") != roles+1 || msEvents(t, e, o.iri, "member.updated") != updates+1 {
			t.Errorf("role and metadata: not one event of each")
		}
		// A refused part refuses the whole: nothing changes.
		before := pmSnapshot(t, e)
		msStatus(t, "a role and an external id by an owner", mdPatch(e, o.members["vic"], o.ada, `{"role":"viewer","external_id":"x"}`), http.StatusForbidden)
		pmUnchanged(t, e, "a refused role and external id", before)
		if got := pmGet(e, o.members["vic"], o.ada).obj()["role"]; got != "admin" {
			t.Errorf("vic's role after a refused PATCH: %v", got)
		}

		// Two operators giving one external id to two members of two
		// organizations at once (no organization lock serializes them: the
		// unique index decides).
		o2 := crNew(t, e, "x")
		for round := range 6 {
			mdOneWins(t, e, ops, []string{o.members["vic"], o2.members["vic"]}, fmt.Sprintf(`{"external_id":"emp_race_%d"}`, round))
		}
	})
}

// A user's external id, metadata and private metadata: the user changes
// their own name and metadata, an operator anything; the external id is
// unique across modes; concurrent merges of one user's metadata all land.
func TestUserPlatformData(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")
		ops := e.key("ops@platform.test", "live", "operator")
		me := pmGet(e, "/api/me", ada).obj()
		iri, bobIRI := pmS(me["@id"]), pmS(pmGet(e, "/api/me", bob).obj()["@id"])

		r := mdPatch(e, iri, ada, `{"name":"Ada L.","metadata":{"theme":"dark"}}`)
		msStatus(t, "a user changes their name and metadata", r, http.StatusOK)
		if got := r.obj(); got["name"] != "Ada L." || got["metadata"] == nil {
			t.Errorf("the answer: %s", r.Body)
		}
		ev, err := e.db.Event.Query().Where(event.Type("user.updated")).Order(event.ByID(entsql.OrderDesc())).First(context.Background())
		if err != nil {
			t.Fatalf("no user.updated event: %v", err)
		}
		raw, _ := json.Marshal(ev.Previous)
		pmEqual(t, "user.updated's previous values", mdJSON(t, string(raw)), mdJSON(t, `{"name":"ada","metadata":null}`))
		if got := pmGet(e, "/api/me", ada).obj(); got["name"] != "Ada L." || got["metadata"] == nil {
			t.Errorf("/api/me after the change: %v", got)
		}
		msStatus(t, "a user sets their external_id", mdPatch(e, iri, ada, `{"external_id":"usr_1"}`), http.StatusForbidden)
		msStatus(t, "a user sets their private_metadata", mdPatch(e, iri, ada, `{"private_metadata":{"a":"b"}}`), http.StatusForbidden)
		msStatus(t, "a user changes another", mdPatch(e, bobIRI, ada, `{"name":"Bobby"}`), http.StatusNotFound)

		r = mdPatch(e, iri, ops, `{"external_id":"usr_1","private_metadata":{"plan":"enterprise"}}`)
		msStatus(t, "an operator sets both", r, http.StatusOK)
		if got := pmGet(e, iri, ada).obj(); got["external_id"] != "usr_1" || got["private_metadata"] != nil {
			t.Errorf("the user reads external_id %v, private_metadata %v", got["external_id"], got["private_metadata"])
		}
		if got := pmGet(e, iri, ops).obj(); got["private_metadata"] == nil {
			t.Errorf("the operator does not read private_metadata: %v", got)
		}
		for who, want := range map[string]float64{"the operator": 1, "the user": 1, "another user": 0} {
			key := map[string]string{"the operator": ops, "the user": ada, "another user": bob}[who]
			page := pmGet(e, "/api/users?external_id=usr_1", key).obj()
			if page["totalItems"] != want {
				t.Errorf("%s filters external_id=usr_1: %v, want %v", who, page["totalItems"], want)
			}
			for _, u := range otList(page["member"]) {
				if (otObj(u)["private_metadata"] != nil) != (key == ops) {
					t.Errorf("%s's page: private_metadata %v", who, otObj(u)["private_metadata"])
				}
			}
		}
		testOps := e.key("ops@platform.test", "test", "operator")
		msViolation(t, "another user takes usr_1, from the test mode", mdPatch(e, bobIRI, testOps, `{"external_id":"usr_1"}`), "external_id", problems.CodeNotUnique)

		// Ten merges at once, each its own key: every key lands.
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := mdPatch(e, iri, ada, fmt.Sprintf(`{"metadata":{"k%d":"v"}}`, i)); r.Status != http.StatusOK {
					t.Errorf("merge %d: %d %s", i, r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		md := pmObj(pmGet(e, iri, ada).obj()["metadata"])
		for i := range 10 {
			if md[fmt.Sprintf("k%d", i)] != "v" {
				t.Errorf("after ten concurrent merges, k%d is missing: %v", i, md)
			}
		}
	})
}

// metadata[key]=value filters organizations, members and users, with any
// key (quotes, dots and dollars are data, not SQL or JSON paths).
func TestMetadataFilter(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := crNew(t, e, "")
		ops := e.key("ops@platform.test", "live", "operator")
		for _, md := range []string{
			`{"tier":"gold","region":"eu"}`,
			`{"tier":"gold","region":"us"}`,
			`{"tier":"silver","it's":"x","a.b":"$","\"q\"":"1"}`,
		} {
			e.createOrg(o.ada, `{"name":"M","metadata":`+md+`}`)
		}
		total := func(path, key string) any {
			t.Helper()
			r := pmGet(e, path, key)
			if r.Status != http.StatusOK {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
			return r.obj()["totalItems"]
		}
		q := func(s string) string {
			return strings.NewReplacer("[", "%5B", "]", "%5D", "'", "%27", `"`, "%22", "$", "%24", " ", "%20").Replace(s)
		}
		for query, want := range map[string]float64{
			"metadata[tier]=gold":                       2,
			"metadata[tier]=gold&metadata[region]=eu":   1,
			"metadata[tier]=bronze":                     0,
			"metadata[tier]=gold&metadata[region]=mars": 0,
			"metadata[it's]=x":                          1,
			"metadata[a.b]=$":                           1,
			`metadata["q"]=1`:                           1,
			"metadata[region]=eu') OR ('1'='1":          0,
		} {
			if got := total("/api/organizations?"+q(query), o.ada); got != want {
				t.Errorf("organizations ?%s: %v, want %v", query, got, want)
			}
		}
		mdPatch(e, o.members["tim"], o.ada, `{"metadata":{"team":"ops"}}`)
		mdPatch(e, o.members["vic"], o.ada, `{"metadata":{"team":"sales"}}`)
		if got := total("/api/members?organization="+o.id+"&"+q("metadata[team]=ops"), o.ada); got != float64(1) {
			t.Errorf("members ?metadata[team]=ops: %v, want 1", got)
		}
		me := pmS(pmGet(e, "/api/me", o.bob).obj()["@id"])
		mdPatch(e, me, o.bob, `{"metadata":{"theme":"dark"}}`)
		if got := total("/api/users?"+q("metadata[theme]=dark"), ops); got != float64(1) {
			t.Errorf("users ?metadata[theme]=dark: %v, want 1", got)
		}
		if got := total("/api/users?"+q("metadata[theme]=dark"), o.ada); got != float64(0) {
			t.Errorf("another user's ?metadata[theme]=dark: %v, want 0", got)
		}
		many := ""
		for i := range 11 {
			many += fmt.Sprintf("&metadata%%5Bk%d%%5D=v", i)
		}
		for what, query := range map[string]string{
			"an empty key":   q("metadata[]=x"),
			"a 41-char key":  q("metadata[" + strings.Repeat("k", 41) + "]=x"),
			"11 filters":     many[1:],
			"a NUL in a key": "metadata%5Ba%00%5D=x",
		} {
			pmProblem(t, what, pmGet(e, "/api/organizations?"+query, o.ada), http.StatusBadRequest)
		}
	})
}
