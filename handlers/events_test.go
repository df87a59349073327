package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
)

// The outbox (issue 20 item 1): every change is recorded as an event in its
// own transaction. The write routes are read off the registry, so that a
// new route without an entry here — and so without a proven event — fails.

// evWrite performs one write route successfully (after whatever setup it
// needs) with the request id given, and names the event types it must
// record, in order.
type evWrite struct {
	types []string
	run   func(t *testing.T, e *env, k *evKeys, requestID string) *response
}

// evKeys are the callers of the test: ada owns Acme, bob is its admin,
// ops is the live operator.
type evKeys struct {
	ada, bob, ops string
	org           string // Acme's IRI
}

// evDo sends a request with an X-Request-ID.
func evDo(e *env, method, path, key, body, requestID string) *response {
	return e.do(req{Method: method, Path: path, Key: key, Body: body, Header: map[string]string{"X-Request-ID": requestID}})
}

// evMade makes something the route acts on, failing the test if it cannot.
func evMade(t *testing.T, r *response) string {
	t.Helper()
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return pmS(r.obj()["@id"])
}

var evWrites = map[string]evWrite{
	"POST /api/organizations": {[]string{"organization.created", "invitation.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/organizations", k.ada, `{"name": "New", "invitations": [{"email": "x@example.com"}]}`, id)
	}},
	"PATCH /api/organizations/{id}": {[]string{"organization.updated", "organization.suspended"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		org := evMade(t, pmPost(e, "/api/organizations", k.ada, `{"name": "Old name"}`))
		return e.do(req{Method: http.MethodPatch, Path: org, Key: k.ada, Body: `{"name": "New name", "status": {"current_status": "SUSPENDED"}}`, Header: map[string]string{"X-Request-ID": id}})
	}},
	"DELETE /api/organizations/{id}": {[]string{"organization.deleted"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		org := evMade(t, pmPost(e, "/api/organizations", k.ada, `{"name": "Doomed"}`))
		return evDo(e, http.MethodDelete, org, k.ada, "", id)
	}},
	"PATCH /api/members/{id}": {[]string{"member.role_changed"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		m := pmAddMember(t, e, pmIDOf(k.org).String(), pmUser(t, e, "carl@example.com").ID, "viewer")
		return e.do(req{Method: http.MethodPatch, Path: m, Key: k.ada, Body: `{"role": "developer"}`, Header: map[string]string{"X-Request-ID": id}})
	}},
	"DELETE /api/members/{id}": {[]string{"member.removed"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		m := pmAddMember(t, e, pmIDOf(k.org).String(), pmUser(t, e, "dora@example.com").ID, "viewer")
		return evDo(e, http.MethodDelete, m, k.ada, "", id)
	}},
	"POST /api/members/{id}/deactivate": {[]string{"member.deactivated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		m := pmAddMember(t, e, pmIDOf(k.org).String(), pmUser(t, e, "fern@example.com").ID, "viewer")
		return evDo(e, http.MethodPost, m+"/deactivate", k.ada, "", id)
	}},
	"POST /api/members/{id}/reactivate": {[]string{"member.reactivated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		m := pmAddMember(t, e, pmIDOf(k.org).String(), pmUser(t, e, "gus@example.com").ID, "viewer")
		if r := evDo(e, http.MethodPost, m+"/deactivate", k.ada, "", id+"_setup"); r.Status != http.StatusOK {
			t.Fatalf("setup: deactivate: %d %s", r.Status, r.Body)
		}
		return evDo(e, http.MethodPost, m+"/reactivate", k.ada, "", id)
	}},
	"POST /api/organizations/{id}/transfer": {[]string{"member.role_changed", "member.role_changed"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		org := evMade(t, pmPost(e, "/api/organizations", k.ada, `{"name": "Handed over"}`))
		m := pmAddMember(t, e, pmIDOf(org).String(), pmUser(t, e, "hal@example.com").ID, "developer")
		return evDo(e, http.MethodPost, org+"/transfer", k.ada, `{"new_owner": "`+m+`"}`, id)
	}},
	"POST /api/invitations": {[]string{"invitation.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/invitations", k.bob, `{"organization": "`+k.org+`", "email": "inv@example.com"}`, id)
	}},
	"POST /api/invitations/{id}/accept": {[]string{"invitation.accepted", "member.added"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		erin := e.key("erin@example.com", "live", "write")
		inv := evMade(t, pmPost(e, "/api/invitations", k.ada, `{"organization": "`+k.org+`", "email": "erin@example.com"}`))
		return evDo(e, http.MethodPost, inv+"/accept", erin, "", id)
	}},
	"POST /api/invitations/accept": {[]string{"user.created", "invitation.accepted", "member.added", "organization.created", "api_key.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		r := pmPost(e, "/api/invitations", k.ops, `{"organization": "`+k.org+`", "email": "fay@example.com"}`)
		evMade(t, r)
		return evDo(e, http.MethodPost, "/api/invitations/accept", "", `{"token": "`+pmS(r.obj()["accept_token"])+`"}`, id)
	}},
	"POST /api/invitations/{id}/resend": {[]string{"invitation.resent"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		inv := evMade(t, pmPost(e, "/api/invitations", k.ada, `{"organization": "`+k.org+`", "email": "gil@example.com"}`))
		return evDo(e, http.MethodPost, inv+"/resend", k.ada, "", id)
	}},
	"POST /api/invitations/{id}/revoke": {[]string{"invitation.revoked"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		inv := evMade(t, pmPost(e, "/api/invitations", k.ada, `{"organization": "`+k.org+`", "email": "hal@example.com"}`))
		return evDo(e, http.MethodPost, inv+"/revoke", k.ada, "", id)
	}},
	"POST /api/workspaces": {[]string{"workspace.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/workspaces", k.ada, `{"organization": "`+k.org+`", "name": "Research"}`, id)
	}},
	"PATCH /api/workspaces/{id}": {[]string{"workspace.updated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ws := evMade(t, pmPost(e, "/api/workspaces", k.ada, `{"organization": "`+k.org+`", "name": "Design"}`))
		return e.do(req{Method: http.MethodPatch, Path: ws, Key: k.ada, Body: `{"name": "Design 2"}`, Header: map[string]string{"X-Request-ID": id}})
	}},
	"POST /api/domains": {[]string{"domain.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/domains", k.ada, `{"organization": "`+k.org+`", "domain": "acme.test"}`, id)
	}},
	"PATCH /api/domains/{id}": {[]string{"domain.updated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		d := evMade(t, pmPost(e, "/api/domains", k.ada, `{"organization": "`+k.org+`", "domain": "beta.test"}`))
		return evDo(e, http.MethodPatch, d, k.ada, `{"enrollment": "automatic_invitation"}`, id)
	}},
	"DELETE /api/domains/{id}": {[]string{"domain.deleted"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		d := evMade(t, pmPost(e, "/api/domains", k.ada, `{"organization": "`+k.org+`", "domain": "gamma.test"}`))
		return evDo(e, http.MethodDelete, d, k.ada, "", id)
	}},
	// No DNS server answers for .test here: the check fails, and the
	// pending domain's failure is an event.
	"POST /api/domains/{id}/verify": {[]string{"domain.verification_failed"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		d := evMade(t, pmPost(e, "/api/domains", k.ada, `{"organization": "`+k.org+`", "domain": "delta.test"}`))
		return evDo(e, http.MethodPost, d+"/verify", k.ada, "", id)
	}},
	"POST /api/roles": {[]string{"role.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/roles", k.ada, `{"organization": "`+k.org+`", "slug": "support", "name": "Support", "permissions": ["members:manage"]}`, id)
	}},
	"PATCH /api/roles/{id}": {[]string{"role.updated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ro := evMade(t, pmPost(e, "/api/roles", k.ada, `{"organization": "`+k.org+`", "slug": "billing", "name": "Billing"}`))
		return evDo(e, http.MethodPatch, ro, k.ada, `{"permissions": ["organization:update"]}`, id)
	}},
	"DELETE /api/roles/{id}": {[]string{"role.deleted"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ro := evMade(t, pmPost(e, "/api/roles", k.ada, `{"organization": "`+k.org+`", "slug": "attic", "name": "Attic"}`))
		return evDo(e, http.MethodDelete, ro, k.ada, "", id)
	}},
	"DELETE /api/workspaces/{id}": {[]string{"workspace.deleted"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ws := evMade(t, pmPost(e, "/api/workspaces", k.ada, `{"organization": "`+k.org+`", "name": "Attic"}`))
		return evDo(e, http.MethodDelete, ws, k.ada, "", id)
	}},
	"PATCH /api/users/{id}": {[]string{"user.updated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		me := pmS(pmGet(e, "/api/me", k.ada).obj()["@id"])
		return evDo(e, http.MethodPatch, me, k.ada, `{"name": "Ada Lovelace"}`, id)
	}},
	"POST /api/api_keys": {[]string{"api_key.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/api_keys", k.ada, `{"name": "ci"}`, id)
	}},
	"POST /api/api_keys/{id}/revoke": {[]string{"api_key.revoked"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		key := evMade(t, pmPost(e, "/api/api_keys", k.ada, `{"name": "to revoke"}`))
		return evDo(e, http.MethodPost, key+"/revoke", k.ada, "", id)
	}},
	"POST /api/api_keys/{id}/rotate": {[]string{"api_key.rotated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		key := evMade(t, pmPost(e, "/api/api_keys", k.ada, `{"name": "to rotate"}`))
		return evDo(e, http.MethodPost, key+"/rotate", k.ada, "", id)
	}},
	"POST /api/users": {[]string{"user.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/users", k.ops, `{"email": "ivy@example.com"}`, id)
	}},
	"POST /api/webhook_endpoints": {[]string{"webhook_endpoint.created"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		return evDo(e, http.MethodPost, "/api/webhook_endpoints", k.bob, `{"organization": "`+k.org+`", "url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}`, id)
	}},
	"PATCH /api/webhook_endpoints/{id}": {[]string{"webhook_endpoint.updated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ep := evMade(t, pmPost(e, "/api/webhook_endpoints", k.ada, `{"organization": "`+k.org+`", "url": "http://127.0.0.1:9/a", "enabled_events": ["*"]}`))
		return e.do(req{Method: http.MethodPatch, Path: ep, Key: k.ada, Body: `{"url": "http://127.0.0.1:9/b"}`,
			Header: map[string]string{"X-Request-ID": id, "Content-Type": "application/merge-patch+json"}})
	}},
	"DELETE /api/webhook_endpoints/{id}": {[]string{"webhook_endpoint.deleted"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ep := evMade(t, pmPost(e, "/api/webhook_endpoints", k.ops, `{"url": "http://127.0.0.1:9/ops", "enabled_events": ["member.*"]}`))
		return evDo(e, http.MethodDelete, ep, k.ops, "", id)
	}},
	"POST /api/webhook_endpoints/{id}/rotate_secret": {[]string{"webhook_endpoint.secret_rotated"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		ep := evMade(t, pmPost(e, "/api/webhook_endpoints", k.ada, `{"organization": "`+k.org+`", "url": "http://127.0.0.1:9/r", "enabled_events": ["*"]}`))
		return evDo(e, http.MethodPost, ep+"/rotate_secret", k.ada, "", id)
	}},
	"POST /api/webhook_deliveries/{id}/retry": {[]string{"webhook_delivery.retried"}, func(t *testing.T, e *env, k *evKeys, id string) *response {
		d := whDelivery(t, e, k.ada, k.org)
		return evDo(e, http.MethodPost, d, k.ada, "", id)
	}},
}

// evRoutes are the write routes the registry declares.
func evRoutes() []string {
	var out []string
	for _, c := range hydra.API.Classes {
		if c.Resource == nil {
			continue
		}
		for _, k := range c.Resource.Operations {
			if k.Method() == http.MethodGet {
				continue
			}
			path := c.Resource.Item + "{id}"
			if k.OnCollection() {
				path = c.Resource.Collection
			}
			out = append(out, k.Method()+" "+path)
		}
		for _, a := range c.Resource.Actions {
			out = append(out, http.MethodPost+" "+c.Resource.ActionPath(a))
		}
	}
	slices.Sort(out)
	return out
}

// evOf reads the events a request recorded, in order.
func evOf(t *testing.T, e *env, requestID string) []*ent.Event {
	t.Helper()
	evs, err := e.db.Event.Query().Where(event.RequestID(requestID)).Order(event.ByID()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestEveryWriteRecordsItsEvent(t *testing.T) {
	routes := evRoutes()
	for _, route := range routes {
		if _, ok := evWrites[route]; !ok {
			t.Errorf("%s: a write route the registry declares has no event check here (add it to evWrites)", route)
		}
	}
	eachBackend(t, func(t *testing.T, e *env) {
		k := &evKeys{ada: e.key("ada@example.com", "live", "write"), ops: e.key("ops@platform.test", "live", "operator")}
		for _, who := range []string{"bob", "carl", "dora", "fern", "gus", "hal"} {
			key := e.key(who+"@example.com", "live", "write")
			if who == "bob" {
				k.bob = key
			}
		}
		k.org = evMade(t, pmPost(e, "/api/organizations", k.ada, `{"name": "Acme"}`))
		pmAddMember(t, e, pmIDOf(k.org).String(), pmUser(t, e, "bob@example.com").ID, "admin")

		var lastSeq int64
		for _, route := range routes {
			w, ok := evWrites[route]
			if !ok {
				continue
			}
			id := "req_ev_" + strings.NewReplacer(" ", "_", "/", "_", "{", "", "}", "").Replace(route)
			r := w.run(t, e, k, id)
			if r.Status >= 300 {
				t.Errorf("%s: %d %s", route, r.Status, r.Body)
				continue
			}
			evs := evOf(t, e, id)
			var types []string
			for _, ev := range evs {
				types = append(types, ev.Type)
				if ev.ID <= lastSeq {
					t.Errorf("%s: event seq %d after %d: not increasing", route, ev.ID, lastSeq)
				}
				lastSeq = ev.ID
				var data map[string]any
				if err := json.Unmarshal([]byte(ev.Data), &data); err != nil || data["@id"] == nil || data["@context"] == nil || data["operation"] != nil {
					t.Errorf("%s: %s carries no document of its own (or one with a reader's operations): %s", route, ev.Type, ev.Data)
				}
				if strings.Contains(string(ev.Data), "og_live_") && strings.Contains(string(ev.Data), `"secret"`) {
					t.Errorf("%s: %s carries a secret: %s", route, ev.Type, ev.Data)
				}
				if ev.Mode != event.ModeLive || ev.ActorType == event.ActorTypeSystem || ev.ActorID == nil {
					t.Errorf("%s: %s: mode %s, actor %s %v", route, ev.Type, ev.Mode, ev.ActorType, ev.ActorID)
				}
			}
			if !slices.Equal(types, w.types) {
				t.Errorf("%s recorded %v, want %v", route, types, w.types)
			}
		}

		// The operator acts as itself: its events name its key.
		if evs := evOf(t, e, "req_ev_POST__api_users"); len(evs) == 1 && evs[0].ActorType != event.ActorTypeOperator {
			t.Errorf("an operator's user.created names actor %s", evs[0].ActorType)
		}
		// An update records what it changed, as it was.
		if evs := evOf(t, e, "req_ev_PATCH__api_organizations_id"); len(evs) > 0 && fmt.Sprint(evs[0].Previous) != "map[name:Old name]" {
			t.Errorf("organization.updated previous: %v", evs[0].Previous)
		}
		// A deletion's event carries the document as it was.
		if evs := evOf(t, e, "req_ev_DELETE__api_organizations_id"); len(evs) == 1 && !strings.Contains(string(evs[0].Data), `"name":"Doomed"`) {
			t.Errorf("organization.deleted data: %s", evs[0].Data)
		}

		// No event without its change: refused writes record nothing.
		viewer := e.key("vic@example.com", "live", "write")
		pmAddMember(t, e, pmIDOf(k.org).String(), pmUser(t, e, "vic@example.com").ID, "viewer")
		before, _ := e.db.Event.Query().Count(context.Background())
		for _, r := range []*response{
			evDo(e, http.MethodPost, "/api/workspaces", viewer, `{"organization": "`+k.org+`", "name": "Nope"}`, "req_refused_1"),
			evDo(e, http.MethodPost, "/api/workspaces", k.ada, `{"organization": "`+k.org+`", "name": "Research"}`, "req_refused_2"),
			evDo(e, http.MethodPost, "/api/invitations/accept", "", `{"token": "og_inv_nothing"}`, "req_refused_3"),
		} {
			if r.Status < 400 {
				t.Errorf("a refused write answered %d", r.Status)
			}
		}
		if after, _ := e.db.Event.Query().Count(context.Background()); after != before {
			t.Errorf("refused writes recorded %d events", after-before)
		}
	})
}

// An invitation expires without a write; the sweeper records it once, by
// the system, and again after a resend starts a new period that expires.
func TestInvitationExpiriesAreRecorded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := e.srv.Config.Handler.(*handlers.Server)
		ada := e.key("ada@example.com", "live", "write")
		org := evMade(t, pmPost(e, "/api/organizations", ada, `{"name": "Acme"}`))
		late := evMade(t, pmPost(e, "/api/invitations", ada, `{"organization": "`+org+`", "email": "late@example.com"}`))
		revoked := evMade(t, pmPost(e, "/api/invitations", ada, `{"organization": "`+org+`", "email": "gone@example.com"}`))
		evMade(t, pmPost(e, "/api/invitations", ada, `{"organization": "`+org+`", "email": "fresh@example.com"}`))
		if r := pmPost(e, revoked+"/revoke", ada, ""); r.Status != http.StatusOK {
			t.Fatal(r.Status)
		}
		for _, inv := range []string{late, revoked} {
			ivSetExpiry(t, e, inv, time.Now().Add(-time.Hour))
		}
		expired := func() []*ent.Event {
			evs, err := e.db.Event.Query().Where(event.Type("invitation.expired")).Order(event.ByID()).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		if n, err := srv.RecordExpiries(ctx); err != nil || n != 1 {
			t.Fatalf("the first sweep recorded %d (%v), want 1 (the revoked and the pending ones are not expired)", n, err)
		}
		evs := expired()
		if len(evs) != 1 || evs[0].ActorType != event.ActorTypeSystem || evs[0].ActorID != nil || evs[0].RequestID != "" ||
			!strings.Contains(string(evs[0].Data), `"@id":"`+late+`"`) || !strings.Contains(string(evs[0].Data), `"status":"expired"`) {
			t.Fatalf("the expiry event: %+v", evs)
		}
		if n, err := srv.RecordExpiries(ctx); err != nil || n != 0 {
			t.Errorf("a second sweep recorded %d (%v), want 0", n, err)
		}
		// A resend starts a new period; its expiry is recorded again.
		if r := pmPost(e, late+"/resend", ada, ""); r.Status != http.StatusOK {
			t.Fatalf("resend: %d %s", r.Status, r.Body)
		}
		ivSetExpiry(t, e, late, time.Now().Add(-time.Minute))
		if n, err := srv.RecordExpiries(ctx); err != nil || n != 1 || len(expired()) != 2 {
			t.Errorf("after a resend that expired: recorded %d (%v), %d events", n, err, len(expired()))
		}
	})
}
