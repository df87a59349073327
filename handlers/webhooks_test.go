package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/orgs"
)

// Webhooks (issue 20 item 3): endpoints over HTTP, and deliveries to a real
// receiver on loopback whose signatures the Standard Webhooks library
// verifies.

// receiver is a webhook receiver on loopback: it verifies each request's
// signature with the secret it is given, answers with the status answer
// picks for the nth request, and keeps what it got.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	answer func(n int) int
	got    []received
	// inFlight counts requests being answered, maxInFlight the most at
	// once.
	inFlight, maxInFlight int
	delay                 time.Duration
}

type received struct {
	id, event, typ string
	status         int
	verified       bool
	body           map[string]any
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.inFlight++
		rc.maxInFlight = max(rc.maxInFlight, rc.inFlight)
		n := len(rc.got)
		secret := rc.secret
		rc.mu.Unlock()
		time.Sleep(rc.delay)
		status := rc.answer(n)
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		got := received{id: r.Header.Get("webhook-id"), event: pmS(doc["id"]), typ: pmS(doc["type"]), status: status, body: doc,
			verified: whVerify(secret, r.Header, body) == nil}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		rc.inFlight--
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// succeeded are the event ids answered 2xx, in order.
func (rc *receiver) succeeded() []string {
	var out []string
	for _, g := range rc.received() {
		if g.status < 300 {
			out = append(out, g.event)
		}
	}
	return out
}

// whServer is a server of env e's database with a fast retry policy and
// its deliverer running.
func whServer(t *testing.T, e *env, retries orgs.Retries) *httptest.Server {
	t.Helper()
	h := handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: unlimited,
		SecretsKey: testSecretsKey, WebhooksAllowPrivate: true, WebhookRetries: &retries, WebhookLease: 5 * time.Second})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.DeliverWebhooks(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

var fastRetries = orgs.Retries{Waits: []time.Duration{30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}, GiveUp: time.Minute}

// until waits for cond, failing after 30 s (generous: 500 deliveries
// under the race detector on a busy machine take ~8 s).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 30 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// whDelivery makes an endpoint to a closed port and an event for it, runs
// the deliverer once (the attempt fails), and returns the delivery's retry
// action.
func whDelivery(t *testing.T, e *env, key, org string) string {
	t.Helper()
	srv := e.srv.Config.Handler.(*handlers.Server)
	ep := evMade(t, pmPost(e, "/api/webhook_endpoints", key, `{"organization": "`+org+`", "url": "http://127.0.0.1:9/closed", "enabled_events": ["workspace.created"]}`))
	evMade(t, pmPost(e, "/api/workspaces", key, `{"organization": "`+org+`", "name": "Hooked"}`))
	var d string
	until(t, "a delivery", func() bool {
		srv.DeliverOnce(context.Background())
		r := e.do(req{Path: "/api/webhook_deliveries?endpoint=" + pmIDOf(ep).String(), Key: key})
		if l := pmList(r.obj()["member"]); len(l) == 1 {
			d = pmS(pmObj(l[0])["@id"])
		}
		return d != ""
	})
	return d + "/retry"
}

func TestWebhookEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		bob := e.key("bob@example.com", "live", "write")
		carl := e.key("carl@example.com", "live", "write")
		dave := e.key("dave@example.com", "live", "write")
		ops := e.key("ops@example.com", "live", "operator")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		pmAddMember(t, e, pmIDOf(acme).String(), pmUser(t, e, "bob@example.com").ID, "admin")
		pmAddMember(t, e, pmIDOf(acme).String(), pmUser(t, e, "carl@example.com").ID, "developer")
		body := `{"organization": "` + acme + `", "url": "http://127.0.0.1:9/hook", "enabled_events": ["member.*", "workspace.created"], "description": "CRM sync"}`

		r := pmPost(e, "/api/webhook_endpoints", bob, body)
		if r.Status != http.StatusCreated || !strings.HasPrefix(pmS(r.obj()["secret"]), "whsec_") || pmS(r.obj()["status"]) != "enabled" {
			t.Fatalf("the admin makes an endpoint: %d %s", r.Status, r.Body)
		}
		ep, secret := pmS(r.obj()["@id"]), pmS(r.obj()["secret"])
		got := e.do(req{Path: ep, Key: ada})
		if got.Status != http.StatusOK || got.obj()["secret"] != nil || pmS(got.obj()["url"]) != "http://127.0.0.1:9/hook" {
			t.Fatalf("the owner reads it: %d %s", got.Status, got.Body)
		}
		if strings.Contains(string(got.Body), secret) {
			t.Fatal("the secret is read again")
		}
		for _, c := range []struct {
			key    string
			status int
		}{{carl, 404}, {dave, 404}, {ops, 200}} {
			if r := e.do(req{Path: ep, Key: c.key}); r.Status != c.status {
				t.Errorf("GET by another reader: %d, want %d", r.Status, c.status)
			}
		}
		if r := pmPost(e, "/api/webhook_endpoints", carl, body); r.Status != http.StatusForbidden {
			t.Errorf("a developer makes an endpoint: %d %s", r.Status, r.Body)
		}
		if r := pmPost(e, "/api/webhook_endpoints", dave, body); r.Status != http.StatusBadRequest {
			t.Errorf("a stranger makes an endpoint: %d %s", r.Status, r.Body)
		}
		if r := pmPost(e, "/api/webhook_endpoints", ada, `{"url": "http://127.0.0.1:9/all", "enabled_events": ["*"]}`); r.Status != http.StatusForbidden {
			t.Errorf("an owner makes an endpoint of the whole mode: %d %s", r.Status, r.Body)
		}
		if r := pmPost(e, "/api/webhook_endpoints", ops, `{"url": "http://127.0.0.1:9/all", "enabled_events": ["*"]}`); r.Status != http.StatusCreated || r.obj()["organization"] != nil {
			t.Errorf("an operator makes an endpoint of the whole mode: %d %s", r.Status, r.Body)
		}
		for bad, path := range map[string]string{
			`{"organization": "` + acme + `", "url": "ftp://127.0.0.1/x", "enabled_events": ["*"]}`:                   "url",
			`{"organization": "` + acme + `", "url": "http://127.0.0.1:9/x", "enabled_events": ["nope"]}`:             "enabled_events[0]",
			`{"organization": "` + acme + `", "url": "http://127.0.0.1:9/x", "enabled_events": []}`:                   "enabled_events",
			`{"organization": "` + acme + `", "url": "http://127.0.0.1:9/x", "enabled_events": ["*"], "status": "x"}`: "status",
		} {
			r := pmPost(e, "/api/webhook_endpoints", ada, bad)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"propertyPath":"`+path+`"`) {
				t.Errorf("%s: %d %s, want 422 at %s", bad, r.Status, r.Body, path)
			}
		}

		patch := func(key, body string) *response {
			return e.do(req{Method: http.MethodPatch, Path: ep, Key: key, Body: body, Header: map[string]string{"Content-Type": "application/merge-patch+json"}})
		}
		if r := patch(ada, `{"status": "disabled"}`); r.Status != http.StatusOK || pmS(r.obj()["disabled_reason"]) != "Disabled by hand." {
			t.Errorf("disable: %d %s", r.Status, r.Body)
		}
		if r := patch(carl, `{"status": "enabled"}`); r.Status != http.StatusNotFound {
			t.Errorf("a developer changes it: %d", r.Status)
		}
		if r := patch(ada, `{"status": "enabled", "enabled_events": ["*"]}`); r.Status != http.StatusOK || r.obj()["disabled_reason"] != nil {
			t.Errorf("enable: %d %s", r.Status, r.Body)
		}
		r = pmPost(e, ep+"/rotate_secret", ada, "")
		if r.Status != http.StatusOK || !strings.HasPrefix(pmS(r.obj()["secret"]), "whsec_") || pmS(r.obj()["secret"]) == secret {
			t.Errorf("rotate: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Method: http.MethodPost, Path: ep + "/rotate_secret", Key: ada, Header: map[string]string{"Idempotency-Key": "k1"}}); r.Status != http.StatusBadRequest {
			t.Errorf("rotate with an Idempotency-Key: %d", r.Status)
		}
		if r := e.do(req{Path: "/api/webhook_endpoints?organization=" + pmIDOf(acme).String(), Key: bob}); pmS(r.obj()["totalItems"]) != "1" {
			t.Errorf("the organization's endpoints: %s", r.Body)
		}
		if r := e.do(req{Method: http.MethodDelete, Path: ep, Key: bob}); r.Status != http.StatusNoContent {
			t.Errorf("delete: %d %s", r.Status, r.Body)
		}
	})
}

// TestWebhookURLsArePublic: without --webhooks-allow-private an endpoint
// on loopback is refused when made, and a delivery is refused when it
// connects; without a secrets key, no endpoint can be made.
func TestWebhookURLsArePublic(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	strict := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: unlimited, SecretsKey: testSecretsKey}))
	t.Cleanup(strict.Close)
	keyless := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: unlimited, WebhooksAllowPrivate: true}))
	t.Cleanup(keyless.Close)
	ada := e.key("ada@example.com", "live", "write")
	acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
	post := func(base, url string) *response {
		rq, _ := http.NewRequest(http.MethodPost, base+"/api/webhook_endpoints", strings.NewReader(`{"organization": "`+acme+`", "url": "`+url+`", "enabled_events": ["*"]}`))
		rq.Header.Set("Authorization", "Bearer "+ada)
		rq.Header.Set("Content-Type", "application/ld+json")
		resp, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return &response{Status: resp.StatusCode, Body: body}
	}
	for _, url := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.1/x", "http://169.254.169.254/latest"} {
		if r := post(strict.URL, url); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0a") {
			t.Errorf("%s: %d %s, want 422 UnsafeURL", url, r.Status, r.Body)
		}
	}
	if r := post(keyless.URL, "http://127.0.0.1:9/x"); r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "--secrets-key") {
		t.Errorf("no secrets key: %d %s", r.Status, r.Body)
	}
}

// TestWebhookDeliveries: a receiver that fails three times, then takes
// everything, gets every event once with a verified signature, in order,
// the first after three attempts that the delivery shows.
func TestWebhookDeliveries(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := whServer(t, e, fastRetries)
		w := &env{t: t, db: e.db, srv: srv}
		ada := e.key("ada@example.com", "live", "write")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		rc := newReceiver(t, func(n int) int {
			if n < 3 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		})
		// An event recorded before the endpoint, within the same second,
		// is not the endpoint's to hear.
		evMade(t, pmPost(w, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "before"}`))
		r := pmPost(w, "/api/webhook_endpoints", ada, `{"organization": "`+acme+`", "url": "`+rc.srv.URL+`/hook", "enabled_events": ["workspace.*"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("endpoint: %d %s", r.Status, r.Body)
		}
		ep := pmS(r.obj()["@id"])
		rc.mu.Lock()
		rc.secret = pmS(r.obj()["secret"])
		rc.mu.Unlock()
		for _, name := range []string{"a", "b", "c"} {
			evMade(t, pmPost(w, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "`+name+`"}`))
		}
		want := workspaceEventIDs(t, e)[1:]
		until(t, "three events delivered", func() bool { return len(rc.succeeded()) == 3 })
		if got := rc.succeeded(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("delivered %v, want %v in order", got, want)
		}
		all := rc.received()
		if len(all) != 6 {
			t.Errorf("%d requests, want 6 (three failures, three successes)", len(all))
		}
		for i, g := range all {
			if !g.verified || g.typ != "workspace.created" || pmS(pmObj(g.body["data"])["@type"]) != "Workspace" {
				t.Errorf("request %d: verified %v, type %s, body %v", i, g.verified, g.typ, g.body)
			}
			if i < 4 && g.id != all[0].id {
				t.Errorf("request %d: webhook-id %s, want the first delivery's %s in every retry", i, g.id, all[0].id)
			}
		}
		l := w.do(req{Path: "/api/webhook_deliveries?order[id]=asc&endpoint=" + pmIDOf(ep).String(), Key: ada})
		deliveries := pmList(l.obj()["member"])
		if len(deliveries) != 3 {
			t.Fatalf("deliveries: %s", l.Body)
		}
		first := pmObj(deliveries[0])
		attempts := pmList(first["attempts"])
		if pmS(first["status"]) != "succeeded" || len(attempts) != 4 {
			t.Fatalf("first delivery: %v", first)
		}
		for i, a := range attempts[:3] {
			a := pmObj(a)
			if pmS(a["response_status"]) != "500" || a["success"] != false || a["next_attempt_at"] == nil || a["error"] == nil {
				t.Errorf("attempt %d: %v", i+1, a)
			}
		}
		if a := pmObj(attempts[3]); a["success"] != true || pmS(a["response_status"]) != "204" {
			t.Errorf("attempt 4: %v", a)
		}
	})
}

// TestWebhookGivesUpThenResumes: a receiver that always fails makes the
// delivery fail and the endpoint disabled once the retry policy gives up
// (webhook_endpoint.disabled); a retry waits for the endpoint to be
// enabled; enabled again, the endpoint sends the failed event by hand and
// the next ones in order.
func TestWebhookGivesUpThenResumes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var healthy sync.Map
		srv := whServer(t, e, orgs.Retries{Waits: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}, GiveUp: time.Hour})
		w := &env{t: t, db: e.db, srv: srv}
		ada := e.key("ada@example.com", "live", "write")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		rc := newReceiver(t, func(int) int {
			if _, ok := healthy.Load("yes"); ok {
				return http.StatusOK
			}
			return http.StatusServiceUnavailable
		})
		r := pmPost(w, "/api/webhook_endpoints", ada, `{"organization": "`+acme+`", "url": "`+rc.srv.URL+`", "enabled_events": ["workspace.created"]}`)
		ep := pmS(r.obj()["@id"])
		evMade(t, pmPost(w, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "one"}`))
		until(t, "the endpoint disabled", func() bool {
			return pmS(w.do(req{Path: ep, Key: ada}).obj()["status"]) == "disabled"
		})
		if n := len(rc.received()); n != 3 {
			t.Errorf("%d attempts before giving up, want 3", n)
		}
		got := w.do(req{Path: ep, Key: ada}).obj()
		if !strings.Contains(pmS(got["disabled_reason"]), "3 attempts") {
			t.Errorf("disabled_reason %v", got["disabled_reason"])
		}
		if types := typesOf(t, w, ada, "/api/events?type=webhook_endpoint.disabled"); len(types) != 1 {
			t.Errorf("webhook_endpoint.disabled events: %v", types)
		}
		l := w.do(req{Path: "/api/webhook_deliveries?status=failed&endpoint=" + pmIDOf(ep).String(), Key: ada})
		failed := pmList(l.obj()["member"])
		if len(failed) != 1 {
			t.Fatalf("failed deliveries: %s", l.Body)
		}
		d := pmS(pmObj(failed[0])["@id"])
		if r := pmPost(w, d+"/retry", ada, ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0b") {
			t.Errorf("retry while disabled: %d %s", r.Status, r.Body)
		}
		evMade(t, pmPost(w, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "two"}`))
		healthy.Store("yes", true)
		if r := w.do(req{Method: http.MethodPatch, Path: ep, Key: ada, Body: `{"status": "enabled"}`, Header: map[string]string{"Content-Type": "application/merge-patch+json"}}); r.Status != http.StatusOK {
			t.Fatalf("enable: %d %s", r.Status, r.Body)
		}
		if r := pmPost(w, d+"/retry", ada, ""); r.Status != http.StatusOK || pmS(r.obj()["status"]) != "pending" {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
		want := workspaceEventIDs(t, e)
		until(t, "both events delivered", func() bool { return len(rc.succeeded()) == 2 })
		if got := rc.succeeded(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("delivered %v, want %v", got, want)
		}
	})
}

// TestWebhookTwoReplicas: two replicas' deliverers share one PostgreSQL
// database and one receiver; over 200 events, each is delivered once, in
// order, and the receiver never has two requests of the endpoint at once.
func TestWebhookTwoReplicas(t *testing.T) {
	e := newEnv(t, postgresDSN(t))
	a, b := whServer(t, e, fastRetries), whServer(t, e, fastRetries)
	wa := &env{t: t, db: e.db, srv: a}
	ada := e.key("ada@example.com", "live", "write")
	acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
	rc := newReceiver(t, func(int) int { return http.StatusOK })
	rc.delay = 2 * time.Millisecond
	r := pmPost(wa, "/api/webhook_endpoints", ada, `{"organization": "`+acme+`", "url": "`+rc.srv.URL+`", "enabled_events": ["workspace.created"]}`)
	rc.mu.Lock()
	rc.secret = pmS(r.obj()["secret"])
	rc.mu.Unlock()
	const n = 500 // the figure
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range n / 4 {
				base := a.URL
				if j%2 == 1 {
					base = b.URL
				}
				we := &env{t: t, db: e.db, srv: map[string]*httptest.Server{a.URL: a, b.URL: b}[base]}
				pmPost(we, "/api/workspaces", ada, `{"organization": "`+acme+`", "name": "w`+strings.Repeat("x", i)+pmS(j)+`"}`)
			}
		}()
	}
	wg.Wait()
	want := workspaceEventIDs(t, e)
	if len(want) != n {
		t.Fatalf("%d events recorded, want %d", len(want), n)
	}
	until(t, "every event delivered", func() bool { return len(rc.succeeded()) >= n })
	if got := rc.succeeded(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("delivered %d events, out of order or repeated", len(got))
	}
	if rc.maxInFlight != 1 {
		t.Errorf("%d requests of the endpoint at once, want 1", rc.maxInFlight)
	}
	for _, g := range rc.received() {
		if !g.verified {
			t.Fatalf("an unverified request: %+v", g)
		}
	}
}

// TestAcceptTokenOnlyInDeliveriesAndOperatorReads: the events of a sent
// invitation (created, resent) carry its accept token in webhook
// deliveries and operator reads — so that a webhook can make the
// invitation an e-mail with its link — and never where members read
// events: the feed, an event's item, the live stream.
func TestAcceptTokenOnlyInDeliveriesAndOperatorReads(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := whServer(t, e, fastRetries)
		w := &env{t: t, db: e.db, srv: srv}
		ada := e.key("ada@example.com", "live", "write")
		ops := e.key("ops@platform.test", "live", "operator")
		acme := pmS(e.createOrg(ada, `{"name": "Acme"}`)["@id"])
		rc := newReceiver(t, func(int) int { return http.StatusNoContent })
		r := pmPost(w, "/api/webhook_endpoints", ada, `{"organization": "`+acme+`", "url": "`+rc.srv.URL+`/hook", "enabled_events": ["invitation.*"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("endpoint: %d %s", r.Status, r.Body)
		}
		rc.mu.Lock()
		rc.secret = pmS(r.obj()["secret"])
		rc.mu.Unlock()
		adaStream, _ := openStream(t, srv.URL, ada, "/api/events?type=invitation.*", "")
		defer adaStream.close()
		opsStream, _ := openStream(t, srv.URL, ops, "/api/events?type=invitation.*", "")
		defer opsStream.close()

		inv := pmPost(w, "/api/invitations", ada, `{"organization": "`+acme+`", "email": "bob@example.com", "role": "developer"}`)
		if inv.Status != http.StatusCreated || strings.Contains(string(inv.Body), "og_inv_") {
			t.Fatalf("invitation: %d %s", inv.Status, inv.Body)
		}
		if r := w.do(req{Method: http.MethodPost, Path: pmS(inv.obj()["@id"]) + "/resend", Key: ada}); r.Status != http.StatusOK {
			t.Fatalf("resend: %d %s", r.Status, r.Body)
		}
		until(t, "two deliveries", func() bool { return len(rc.succeeded()) == 2 })
		delivered := rc.received()
		tokens := make([]string, 2)
		for i, want := range []string{"invitation.created", "invitation.resent"} {
			g := delivered[i]
			tokens[i] = pmS(pmObj(g.body["data"])["accept_token"])
			if g.typ != want || !g.verified || !strings.HasPrefix(tokens[i], "og_inv_") {
				t.Fatalf("delivery %d: %s, verified %v, token %q", i, g.typ, g.verified, tokens[i])
			}
		}
		// The tokens are the invitation's: the first was voided by the
		// resend, the second accepts it.
		if r := atAccept(w, tokens[0], ""); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("the created event's token after a resend: %d %s", r.Status, r.Body)
		}
		if r := atAccept(w, tokens[1], ""); r.Status != http.StatusOK && r.Status != http.StatusCreated {
			t.Errorf("the resent event's token: %d %s", r.Status, r.Body)
		}

		// Members read the same events without it; operators with it.
		for _, key := range []string{ada, ops} {
			feed := w.do(req{Path: "/api/events?type=invitation.created", Key: key})
			item := w.do(req{Path: pmS(pmObj(pmList(feed.obj()["member"])[0])["@id"]), Key: key})
			paged := w.do(req{Path: "/api/events?type=invitation.created&page=1", Key: key})
			for _, r := range []*response{feed, item, paged} {
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				shown := strings.Contains(string(r.Body), tokens[0])
				if shown != (key == ops) {
					t.Errorf("the accept token shown to the operator only: shown %v for %s in %s", shown, key[:12], r.Body)
				}
			}
		}
		for _, s := range []struct {
			stream *sseStream
			shown  bool
		}{{adaStream, false}, {opsStream, true}} {
			for range 3 { // created, resent, accepted
				ev := s.stream.next(t)
				want := s.shown && ev.typ != "invitation.accepted" // an accepted invitation has no token
				if tok, _ := ev.data["data"].(map[string]any)["accept_token"].(string); (tok != "") != want {
					t.Errorf("stream event %s: accept token %q, want it shown %v", ev.typ, tok, want)
				}
			}
		}
	})
}
