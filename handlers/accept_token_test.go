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

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/ratelimit"
)

// Invitation links (issue 19 item 4): every invitation has an accept token,
// shown once and to an operator alone; POST /api/invitations/accept with
// the token and no key makes the membership (and, for someone new, the user
// and their first key); every token that opens nothing gets one refusal.

// atRefusal is the one answer to a token that opens nothing: its detail
// and violations, without the request's id.
func atRefusal(t *testing.T, r *response) string {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("accepting by a token that opens nothing: %d %s, want 422", r.Status, r.Body)
	}
	b, _ := json.Marshal([]any{r.obj()["detail"], r.obj()["violations"]})
	if !strings.Contains(string(b), problems.CodeInvalidToken) {
		t.Fatalf("the refusal lacks the InvalidToken code: %s", b)
	}
	return string(b)
}

// atAccept posts a token, with no API key.
func atAccept(e *env, token, extra string) *response {
	body, _ := json.Marshal(map[string]string{"token": token})
	if extra != "" {
		body = append(body[:len(body)-1], ","+extra+"}"...)
	}
	return e.do(req{Method: http.MethodPost, Path: "/api/invitations/accept", Body: string(body)})
}

func TestInvitationAcceptTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		ops := e.key("ops@platform.test", "live", "operator")
		org := e.createOrg(ada, `{"name": "Acme"}`)
		orgIRI := pmS(org["@id"])
		invite := func(key, email, extra string, header map[string]string) *response {
			t.Helper()
			return e.do(req{Method: http.MethodPost, Path: "/api/invitations", Key: key, Header: header,
				Body: `{"organization": "` + orgIRI + `", "email": "` + email + `", "role": "developer"` + extra + `}`})
		}
		tokenOf := func(r *response) string {
			t.Helper()
			if r.Status != http.StatusCreated && r.Status != http.StatusOK {
				t.Fatalf("sending an invitation: %d %s", r.Status, r.Body)
			}
			tok, _ := r.obj()["accept_token"].(string)
			if !strings.HasPrefix(tok, "og_inv_") || len(tok) != len("og_inv_")+64 {
				t.Fatalf("an operator's answer holds the accept token: %q in %s", tok, r.Body)
			}
			return tok
		}

		// A member who invites never sees a token (or they could become
		// the invitee); their Idempotency-Key works as before.
		r := invite(ada, "member-sent@example.com", "", map[string]string{"Idempotency-Key": "ada-1"})
		if r.Status != http.StatusCreated || strings.Contains(string(r.Body), "og_inv_") || r.obj()["accept_token"] != nil {
			t.Fatalf("a member's invitation: %d %s", r.Status, r.Body)
		}
		if r.obj()["organization_name"] != "Acme" {
			t.Errorf("the invitation names its organization: %s", r.Body)
		}

		// An operator sees it, once; its Idempotency-Key is refused (the
		// token is never stored, so no answer replays it).
		if r := invite(ops, "newbie@example.com", "", map[string]string{"Idempotency-Key": "ops-1"}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "accept token") {
			t.Fatalf("an operator's invitation with an Idempotency-Key: %d %s, want 400", r.Status, r.Body)
		}
		r = invite(ops, "newbie@example.com", "", nil)
		first := tokenOf(r)
		newbieInv := pmS(r.obj()["@id"])
		for who, key := range map[string]string{"the operator": ops, "ada": ada} {
			for _, path := range []string{newbieInv, "/api/invitations", "/api/invitations?organization=" + orgIRI} {
				if r := e.do(req{Path: path, Key: key}); r.Status != http.StatusOK || strings.Contains(string(r.Body), "og_inv_") || strings.Contains(string(r.Body), "accept_token") {
					t.Errorf("%s reads %s: %d, and no token may show: %s", who, path, r.Status, r.Body)
				}
			}
		}

		// A resend issues a new token and voids the old.
		r = e.do(req{Method: http.MethodPost, Path: newbieInv + "/resend", Key: ops})
		second := tokenOf(r)
		if second == first {
			t.Fatal("a resend kept the token")
		}
		refusal := atRefusal(t, atAccept(e, first, ""))
		for name, token := range map[string]string{
			"a wrong token":     "og_inv_" + strings.Repeat("0", 64),
			"a malformed token": "og_inv_short",
			"an API key":        ada,
		} {
			if got := atRefusal(t, atAccept(e, token, "")); got != refusal {
				t.Errorf("%s is refused otherwise than a voided one:\n%s\n%s", name, got, refusal)
			}
		}
		if r := e.do(req{Method: http.MethodPost, Path: "/api/invitations/accept", Body: `{"token": "` + second + `"}`,
			Header: map[string]string{"Idempotency-Key": "x"}}); r.Status != http.StatusBadRequest {
			t.Errorf("accepting by token with an Idempotency-Key: %d, want 400", r.Status)
		}

		// Accepted with no key, by someone new: the user is made, the
		// membership, and their first key in the organization's mode.
		r = atAccept(e, second, `"name": "New Bie"`)
		if r.Status != http.StatusCreated {
			t.Fatalf("accepting by token: %d %s", r.Status, r.Body)
		}
		m := r.obj()
		if m["@type"] != "Member" || m["role"] != "developer" || m["organization"] != orgIRI || m["email"] != "newbie@example.com" || m["name"] != "New Bie" || r.Header.Get("Location") != m["@id"] {
			t.Errorf("the answer is the new member: %s (Location %s)", r.Body, r.Header.Get("Location"))
		}
		key, _ := m["api_key"].(map[string]any)
		secret, _ := key["secret"].(string)
		if key["@type"] != "ApiKey" || key["mode"] != "live" || key["scope"] != "write" || key["user"] != m["user"] || !strings.HasPrefix(secret, "og_live_") {
			t.Fatalf("the new user's first key: %v", key)
		}
		if r := e.do(req{Path: "/api/organizations", Key: secret}); r.Status != http.StatusOK || r.obj()["totalItems"] != 2.0 || !strings.Contains(string(r.Body), `"Acme"`) {
			t.Errorf("the new key sees Acme and the personal organization: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: newbieInv, Key: ada}); r.obj()["status"] != "accepted" || r.obj()["membership"] != m["@id"] {
			t.Errorf("the invitation is accepted: %s", r.Body)
		}
		if r := e.do(req{Path: pmS(m["@id"]), Key: secret}); r.Status != http.StatusOK || r.obj()["api_key"] != nil || strings.Contains(string(r.Body), secret) {
			t.Errorf("the member's document shows the key never again: %d %s", r.Status, r.Body)
		}
		if got := atRefusal(t, atAccept(e, second, "")); got != refusal {
			t.Errorf("a used token is refused otherwise:\n%s\n%s", got, refusal)
		}

		// Someone with an account: the membership, and no key.
		bob := e.key("bob@example.com", "live", "write")
		r = atAccept(e, tokenOf(invite(ops, "BOB@example.com", "", nil)), "")
		if r.Status != http.StatusCreated || r.obj()["api_key"] != nil || strings.Contains(string(r.Body), "secret") {
			t.Fatalf("bob accepts by token: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: orgIRI, Key: bob}); r.Status != http.StatusOK || r.obj()["current_user_role"] != "developer" {
			t.Errorf("bob is a developer of Acme: %d %s", r.Status, r.Body)
		}

		// Revoked, expired, or resent by a member: the token opens nothing,
		// and says nothing of why.
		r = invite(ops, "carol@example.com", "", nil)
		carol := tokenOf(r)
		if r := e.do(req{Method: http.MethodPost, Path: pmS(r.obj()["@id"]) + "/revoke", Key: ada}); r.Status != http.StatusOK {
			t.Fatalf("ada revokes carol's invitation: %d %s", r.Status, r.Body)
		}
		r = invite(ops, "dave@example.com", "", nil)
		dave := tokenOf(r)
		daveID := pmID(t, "id", r.obj()["id"])
		if err := e.db.Client.Invitation.UpdateOneID(uuid.MustParse(daveID)).SetExpiresAt(time.Now().Add(-time.Minute)).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		r = invite(ops, "erin@example.com", "", nil)
		erin := tokenOf(r)
		if r := e.do(req{Method: http.MethodPost, Path: pmS(r.obj()["@id"]) + "/resend", Key: ada}); r.Status != http.StatusOK || r.obj()["accept_token"] != nil {
			t.Fatalf("ada resends erin's invitation, and sees no token: %d %s", r.Status, r.Body)
		}
		for name, token := range map[string]string{"revoked": carol, "expired": dave, "voided by a member's resend": erin} {
			if got := atRefusal(t, atAccept(e, token, "")); got != refusal {
				t.Errorf("a %s token is refused otherwise:\n%s\n%s", name, got, refusal)
			}
		}

		// Racing accepts of one token: exactly one membership.
		race := tokenOf(invite(ops, "racer@example.com", "", nil))
		var wg sync.WaitGroup
		statuses := make(chan int, 6)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := http.Post(e.srv.URL+"/api/invitations/accept", "application/ld+json", strings.NewReader(`{"token": "`+race+`"}`))
				if err != nil {
					statuses <- 0
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		won := 0
		for s := range statuses {
			switch s {
			case http.StatusCreated:
				won++
			case http.StatusUnprocessableEntity:
			default:
				t.Errorf("a racing accept answered %d", s)
			}
		}
		if won != 1 {
			t.Errorf("%d racing accepts of one token succeeded, want 1", won)
		}
		if n, err := e.db.Client.Invitation.Query().Where(invitation.Email("racer@example.com"), invitation.StatusEQ(invitation.StatusAccepted)).Count(context.Background()); err != nil || n != 1 {
			t.Errorf("racer's invitation accepted: %d %v", n, err)
		}

		// A suspended organization takes no one in: a good token gets a 403
		// that says so, and still opens the invitation once it is active.
		late := tokenOf(invite(ops, "late@example.com", "", nil))
		status := func(s string) {
			t.Helper()
			if r := e.do(req{Method: http.MethodPatch, Path: orgIRI, Key: ada, Body: `{"status": {"current_status": "` + s + `"}}`}); r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", s, r.Status, r.Body)
			}
		}
		status("SUSPENDED")
		if r := atAccept(e, late, ""); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "suspended") {
			t.Errorf("accepting into a suspended organization: %d %s, want 403", r.Status, r.Body)
		}
		status("ACTIVE")
		if r := atAccept(e, late, ""); r.Status != http.StatusCreated {
			t.Errorf("accepting once it is active again: %d %s", r.Status, r.Body)
		}
	})
}

// TestInvitationTokenModes: a token accepted into a test-mode organization
// brings a test key; the new user sees no live data.
func TestInvitationTokenModes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ops := e.key("ops@platform.test", "test", "operator")
		org := e.createOrg(ops, `{"name": "Sandbox"}`)
		r := e.do(req{Method: http.MethodPost, Path: pmS(org["@id"]) + "/members/invite", Key: ops, Body: `{"email": "tess@example.com", "role": "admin"}`})
		token, _ := r.obj()["accept_token"].(string)
		if r.Status != http.StatusCreated || token == "" {
			t.Fatalf("an operator invites through the alias, and reads the token: %d %s", r.Status, r.Body)
		}
		r = atAccept(e, token, "")
		secret, _ := r.obj()["api_key"].(map[string]any)["secret"].(string)
		if r.Status != http.StatusCreated || !strings.HasPrefix(secret, "og_test_") || r.obj()["role"] != "admin" {
			t.Fatalf("accepting into a test organization: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: pmS(org["@id"]), Key: secret}); r.Status != http.StatusOK || r.obj()["current_user_role"] != "admin" {
			t.Errorf("tess reads Sandbox with her test key: %d %s", r.Status, r.Body)
		}
	})
}

// TestInvitationNameBeforeAccepting: the invitee reads the organization's
// name on their invitation (and nothing else of it) before accepting, and
// reads its new name after a rename.
func TestInvitationNameBeforeAccepting(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ada := e.key("ada@example.com", "live", "write")
		gus := e.key("gus@example.com", "live", "write")
		org := e.createOrg(ada, `{"name": "Acme"}`)
		r := pmPost(e, "/api/invitations", ada, `{"organization": "`+pmS(org["@id"])+`", "email": "gus@example.com"}`)
		inv := pmS(r.obj()["@id"])
		if r := e.do(req{Path: inv, Key: gus}); r.Status != http.StatusOK || r.obj()["organization_name"] != "Acme" {
			t.Fatalf("gus reads his invitation: %d %s", r.Status, r.Body)
		}
		if r := e.do(req{Path: pmS(org["@id"]), Key: gus}); r.Status != http.StatusNotFound {
			t.Errorf("gus reads the organization before accepting: %d, want 404", r.Status)
		}
		if r := e.do(req{Method: http.MethodPatch, Path: pmS(org["@id"]), Key: ada, Body: `{"name": "Acme Corp"}`}); r.Status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		for _, path := range []string{inv, "/api/invitations"} {
			if r := e.do(req{Path: path, Key: gus}); !strings.Contains(string(r.Body), `"organization_name":"Acme Corp"`) {
				t.Errorf("gus reads the new name at %s: %s", path, r.Body)
			}
		}
	})
}

// TestInvitationTokenRateLimit: attempts to accept by token are limited per
// client address, far below the general limit, with the limit's headers.
func TestInvitationTokenRateLimit(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/orgraph.db")
	srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limiter: unlimited,
		AcceptLimiter: ratelimit.NewMemory(ratelimit.Policy{Name: ratelimit.AcceptName, Quota: 3, Window: ratelimit.AcceptWindow}, nil)}))
	defer srv.Close()
	limited := &env{t: t, db: e.db, srv: srv}
	for i := range 3 {
		r := atAccept(limited, "og_inv_guess", "")
		if r.Status != http.StatusUnprocessableEntity || r.Header.Get("RateLimit-Policy") != `"accept";q=3;w=600` {
			t.Fatalf("attempt %d: %d %s %v", i+1, r.Status, r.Body, r.Header)
		}
	}
	r := atAccept(limited, "og_inv_guess", "")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "accept an invitation by token") {
		t.Fatalf("the fourth guess: %d %s, want 429 with Retry-After", r.Status, r.Body)
	}
	// Other requests of that address are not charged to it.
	if r := limited.do(req{Path: "/api/docs.jsonld"}); r.Status != http.StatusOK {
		t.Errorf("the documentation after the accept limit: %d", r.Status)
	}
}
