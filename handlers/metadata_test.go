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
			var wg sync.WaitGroup
			results := make([]*response, 2)
			for i, target := range []string{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = mdPatch(e, target, ops, fmt.Sprintf(`{"external_id":"crm_race_%d"}`, round))
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
				t.Errorf("%d of 2 racing writes of one external id succeeded, want 1", ok)
			}
		}
	})
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
