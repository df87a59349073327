package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/internal/oidctest"
	"github.com/orgraph/orgraph/internal/oidctoken"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/ratelimit"
)

// OpenID Connect bearer tokens (issue 19 item 5): the server accepts the
// JSON Web Tokens of a configured issuer beside API keys. These tests run
// a real issuer (discovery document, JWKS, RSA keys it rotates) and speak
// HTTP to the real server.

const oidcAudience = "orgraph-dashboard"

// oidcEnv is e's database behind a server that accepts the issuer's
// tokens, in a mode and with a scope, metered by limiter (unlimited when
// nil). The server's log goes to logs, when not nil.
func oidcEnv(t *testing.T, e *env, issuer *oidctest.Issuer, mode, scope string, limiter ratelimit.Limiter, logs ...io.Writer) *env {
	t.Helper()
	var out io.Writer = io.Discard
	if len(logs) > 0 {
		out = logs[0]
	}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	verifier, err := oidctoken.New(oidctoken.Config{Issuer: issuer.URL, Audience: oidcAudience, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if limiter == nil {
		limiter = unlimited
	}
	srv := httptest.NewServer(handlers.New(handlers.Config{DB: e.db, Logger: log, Limiter: limiter, CacheBytes: testCacheBytes,
		OIDC: &handlers.OIDC{Verifier: verifier, Mode: mode, Scope: scope}}))
	t.Cleanup(srv.Close)
	return &env{t: t, db: e.db, srv: srv}
}

// person is a token's claims for a subject, with an email address the
// issuer verified (or not).
func person(issuer *oidctest.Issuer, subject, email string, verified bool) map[string]any {
	c := issuer.Claims(subject, oidcAudience)
	c["email"], c["email_verified"] = email, verified
	return c
}

// names lists the names of a collection's members.
func names(r *response) []string {
	var out []string
	for _, m := range otList(r.obj()["member"]) {
		name, _ := otObj(m)["name"].(string)
		out = append(out, name)
	}
	return out
}

// wantInvalidToken checks a refusal of a bearer credential: a 401 problem
// document, RFC 6750's invalid_token in the challenge, a detail that says
// what is wrong and never quotes the token.
func wantInvalidToken(t *testing.T, what string, r *response, token, detail string) {
	t.Helper()
	otProblem(t, what, r, http.StatusUnauthorized)
	if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="orgraph", error="invalid_token"` {
		t.Errorf("%s: WWW-Authenticate %q, want the invalid_token challenge", what, got)
	}
	got, _ := r.obj()["detail"].(string)
	if !strings.Contains(got, detail) {
		t.Errorf("%s: detail %q, want it to say %q", what, got, detail)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) > 8 && strings.Contains(string(r.Body), part) {
			t.Errorf("%s: the answer quotes the token: %s", what, r.Body)
		}
	}
}

func TestOIDCTokensActAsTheirUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		o := oidcEnv(t, e, issuer, "live", "write", nil)
		ada := e.key("ada@example.com", "live", "write")
		e.createOrg(ada, `{"name": "Ada Corp"}`)

		// A new account with a verified address no user has: a new user,
		// who starts with no organization and may make one.
		dana := issuer.Token(person(issuer, "sub-dana", "Dana@Example.com", true))
		me := o.do(req{Path: "/api/me", Key: dana})
		if me.Status != http.StatusOK || me.obj()["email"] != "dana@example.com" {
			t.Fatalf("GET /api/me with a new account's token: %d %s", me.Status, me.Body)
		}
		if r := o.do(req{Path: "/api/organizations", Key: dana}); r.Status != http.StatusOK || len(names(r)) != 0 {
			t.Errorf("a new user's organizations: %d %v", r.Status, names(r))
		}
		// Making the user is a change: its user.created event, in the
		// issuer's mode, by the system.
		if evs, err := e.db.Event.Query().Where(event.Type("user.created"), event.ModeEQ(event.ModeLive)).All(context.Background()); err != nil ||
			!slices.ContainsFunc(evs, func(ev *ent.Event) bool { return strings.Contains(string(ev.Data), `"email":"dana@example.com"`) }) {
			t.Errorf("no user.created event for the account's new user: %v %v", evs, err)
		}
		if r := o.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: dana, Body: `{"name": "Dana Ltd"}`}); r.Status != http.StatusCreated {
			t.Errorf("POST with a write token: %d %s", r.Status, r.Body)
		}
		// The next token of the account (no email now) is the same user.
		again := issuer.Token(issuer.Claims("sub-dana", oidcAudience))
		if r := o.do(req{Path: "/api/organizations", Key: again}); r.Status != http.StatusOK || strings.Join(names(r), ",") != "Dana Ltd" {
			t.Errorf("the account's next token: %d %v", r.Status, names(r))
		}

		// Ada's address, not verified by the issuer: no link, and nothing
		// of Ada's is shown.
		unverified := issuer.Token(person(issuer, "sub-ada", "ada@example.com", false))
		wantInvalidToken(t, "an unverified address", o.do(req{Path: "/api/organizations", Key: unverified}), unverified, "no verified email address")
		// Verified: the account is linked to Ada, who sees her
		// organizations, as with her key.
		verified := issuer.Token(person(issuer, "sub-ada", "ada@example.com", true))
		viaKey := names(e.do(req{Path: "/api/organizations", Key: ada}))
		r := o.do(req{Path: "/api/organizations", Key: verified})
		if r.Status != http.StatusOK || strings.Join(names(r), ",") != strings.Join(viaKey, ",") || len(viaKey) != 2 {
			t.Fatalf("Ada's token: %d %v, want her organizations %v", r.Status, names(r), viaKey)
		}
		// Once linked, even the unverified token is Ada's: the subject
		// names her, not the address.
		if r := o.do(req{Path: "/api/me", Key: unverified}); r.Status != http.StatusOK || r.obj()["email"] != "ada@example.com" {
			t.Errorf("a linked account's token: %d %s", r.Status, r.Body)
		}
		// Bearer tokens only: X-API-Key carries keys.
		wantInvalidToken(t, "a token in X-API-Key", o.do(req{Path: "/api/me", Header: map[string]string{"X-API-Key": verified}}), verified, "The API key is not valid.")
		// A server without an issuer accepts no token, and says so.
		wantInvalidToken(t, "a token where none is accepted", e.do(req{Path: "/api/me", Key: verified}), verified, "this server accepts none")
	})
}

func TestOIDCRefusesBadTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		logs := &testenv.Buffer{}
		o := oidcEnv(t, e, issuer, "live", "write", nil, logs)
		other := oidctest.New(t)
		valid := func() map[string]any { return person(issuer, "sub-ada", "ada@example.com", true) }
		with := func(change func(map[string]any)) map[string]any {
			c := valid()
			change(c)
			return c
		}
		good := issuer.Token(valid())
		if r := o.do(req{Path: "/api/me", Key: good}); r.Status != http.StatusOK {
			t.Fatalf("a valid token: %d %s", r.Status, r.Body)
		}
		sent := []string{good}
		for _, c := range []struct{ what, token, detail string }{
			{"expired", issuer.Token(with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Second).Unix() })), "has expired"},
			{"wrong audience", issuer.Token(with(func(c map[string]any) { c["aud"] = "another-api" })), "audience (aud)"},
			{"wrong issuer", other.Token(with(func(c map[string]any) { c["iss"] = other.URL })), "another issuer"},
			{"another issuer's key", other.Token(valid()), "signature is not valid"},
			{"alg none", oidctest.Unsigned(t, valid()), `alg "none"`},
			{"HS256", oidctest.WithHeader(t, map[string]any{"alg": "HS256", "typ": "JWT"}, valid()), "shared secret"},
			{"tampered", oidctest.Tamper(t, issuer.Token(valid()), with(func(c map[string]any) { c["sub"] = "sub-someone-else" })), "signature is not valid"},
			{"malformed", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "not a well-formed JSON Web Token"},
		} {
			sent = append(sent, c.token)
			wantInvalidToken(t, c.what, o.do(req{Path: "/api/me", Key: c.token}), c.token, c.detail)
			wantInvalidToken(t, c.what+" (write)", o.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: c.token, Body: `{"name": "No"}`}), c.token, c.detail)
		}
		if n := e.db.Organization.Query().CountX(t.Context()); n != 0 {
			t.Errorf("%d organizations made with refused tokens", n)
		}
		// The log has a line per request, and no token.
		if !strings.Contains(logs.String(), `"status":401`) {
			t.Fatalf("no access log: %q", logs.String())
		}
		for _, token := range sent {
			for _, part := range strings.Split(token, ".") {
				if len(part) > 8 && strings.Contains(logs.String(), part) {
					t.Errorf("a token was written to the log: %s", part)
				}
			}
		}
	})
}

// The issuer rotates its signing key: tokens of the new key are accepted
// as soon as the key set may be read again, tokens of the removed key are
// refused from then on.
func TestOIDCFollowsKeyRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		o := oidcEnv(t, e, issuer, "live", "write", nil)
		claims := person(issuer, "sub-ada", "ada@example.com", true)
		old := issuer.Token(claims)
		if r := o.do(req{Path: "/api/me", Key: old}); r.Status != http.StatusOK {
			t.Fatalf("before the rotation: %d %s", r.Status, r.Body)
		}
		issuer.Rotate()
		time.Sleep(1100 * time.Millisecond) // the key set is read at most once a second
		fresh := issuer.Token(claims)
		if r := o.do(req{Path: "/api/me", Key: fresh}); r.Status != http.StatusOK {
			t.Fatalf("a token of the new key: %d %s", r.Status, r.Body)
		}
		// go-oidc hands the keys it read to the request that waited for
		// them a moment before it keeps them: the old set may verify for
		// that moment.
		r := o.do(req{Path: "/api/me", Key: old})
		for deadline := time.Now().Add(time.Second); r.Status == http.StatusOK && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			r = o.do(req{Path: "/api/me", Key: old})
		}
		wantInvalidToken(t, "a token of the removed key", r, old, "signature is not valid")
	})
}

// A token's grant is the configured scope until the token's expiry: a
// read scope writes nothing; the keys a write token makes have no more
// power than it and expire no later than it; no operator power.
func TestOIDCScopeBoundsTheToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		reader := oidcEnv(t, e, issuer, "live", "read", nil)
		writer := oidcEnv(t, e, issuer, "live", "write", nil)
		claims := person(issuer, "sub-ada", "ada@example.com", true)
		token := issuer.Token(claims)

		if r := reader.do(req{Path: "/api/organizations", Key: token}); r.Status != http.StatusOK {
			t.Fatalf("GET with a read token: %d %s", r.Status, r.Body)
		}
		for _, w := range []req{
			{Method: http.MethodPost, Path: "/api/organizations", Body: `{"name": "No"}`},
			{Method: http.MethodPost, Path: "/api/api_keys", Body: `{"name": "No", "scope": "read"}`},
		} {
			w.Key = token
			r := reader.do(w)
			otProblem(t, "a write with a read token", r, http.StatusForbidden)
			if d, _ := r.obj()["detail"].(string); !strings.Contains(d, `"read" scope`) {
				t.Errorf("%s %s with a read token: detail %q", w.Method, w.Path, d)
			}
		}

		expiry := time.Unix(claims["exp"].(int64), 0).UTC().Format(time.RFC3339)
		r := writer.do(req{Method: http.MethodPost, Path: "/api/api_keys", Key: token, Body: `{"name": "from the dashboard"}`})
		if got, _ := r.obj()["expires_at"].(string); r.Status != http.StatusCreated || r.obj()["scope"] != "write" || !strings.HasPrefix(got, expiry[:19]) {
			t.Fatalf("a key made with a write token: %d %s, want scope write and expires_at %s", r.Status, r.Body, expiry)
		}
		key, _ := r.obj()["secret"].(string)
		if got := e.do(req{Path: "/api/me", Key: key}); got.Status != http.StatusOK || got.obj()["email"] != "ada@example.com" {
			t.Errorf("the key made with the token: %d %s", got.Status, got.Body)
		}
		for _, c := range []struct{ body, message string }{
			{`{"name": "longer", "expires_at": "2999-01-01T00:00:00Z"}`, "This token expires at " + expiry},
			{`{"name": "operator", "scope": "operator"}`, "A write token cannot make a operator key"},
		} {
			r := writer.do(req{Method: http.MethodPost, Path: "/api/api_keys", Key: token, Body: c.body})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), c.message) {
				t.Errorf("POST /api/api_keys %s: %d %s, want 422 saying %q", c.body, r.Status, r.Body, c.message)
			}
		}
		// No operator power: the users are Ada alone.
		if r := writer.do(req{Path: "/api/users", Key: token}); r.Status != http.StatusOK || r.obj()["totalItems"] != 1.0 {
			t.Errorf("GET /api/users with a token: %d %v", r.Status, r.obj()["totalItems"])
		}
	})
}

// A token acts in the configured mode: a test-mode server's tokens see
// test data only.
func TestOIDCModeIsTheServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		o := oidcEnv(t, e, issuer, "test", "write", nil)
		e.createOrg(e.key("ada@example.com", "live", "write"), `{"name": "Live Corp"}`)
		e.createOrg(e.key("ada@example.com", "test", "write"), `{"name": "Test Corp"}`)
		token := issuer.Token(person(issuer, "sub-ada", "ada@example.com", true))
		r := o.do(req{Path: "/api/organizations?order[name]=asc", Key: token})
		if got := strings.Join(names(r), ","); r.Status != http.StatusOK || got != "Personal,Test Corp" {
			t.Fatalf("a test-mode token's organizations: %d %q, want the test ones", r.Status, got)
		}
		made := o.do(req{Method: http.MethodPost, Path: "/api/organizations", Key: token, Body: `{"name": "Made in test"}`})
		if made.Status != http.StatusCreated || made.obj()["mode"] != "test" {
			t.Errorf("an organization made with a test-mode token: %d %s", made.Status, made.Body)
		}
	})
}

// A token is charged to its user's bucket: a fresh token brings no fresh
// allowance. The user's API keys keep their own buckets.
func TestOIDCRateLimitIsPerUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		clock := testenv.NewClock()
		o := oidcEnv(t, e, issuer, "live", "write", ratelimit.NewMemory(ratelimit.Policy{Name: "default", Quota: 2, Window: time.Hour}, clock.Now))
		first := issuer.Token(person(issuer, "sub-ada", "ada@example.com", true))
		claims := person(issuer, "sub-ada", "ada@example.com", true)
		claims["iat"] = time.Now().Add(time.Second).Unix()
		second := issuer.Token(claims)
		if first == second {
			t.Fatal("the two tokens are one")
		}
		for _, token := range []string{first, second} {
			if r := o.do(req{Path: "/api/me", Key: token}); r.Status != http.StatusOK {
				t.Fatalf("within the allowance: %d %s", r.Status, r.Body)
			}
		}
		r := o.do(req{Path: "/api/me", Key: issuer.Token(person(issuer, "sub-ada", "", false))})
		otProblem(t, "a third token of the same user", r, http.StatusTooManyRequests)
		if d, _ := r.obj()["detail"].(string); !strings.Contains(d, "for each user of the OpenID Connect issuer's tokens") {
			t.Errorf("429 detail %q", d)
		}
		if r := o.do(req{Path: "/api/me", Key: e.key("ada@example.com", "live", "write")}); r.Status != http.StatusOK {
			t.Errorf("Ada's key, beside her tokens' empty bucket: %d %s", r.Status, r.Body)
		}
		if r := o.do(req{Path: "/api/me", Key: issuer.Token(person(issuer, "sub-bob", "bob@example.com", true))}); r.Status != http.StatusOK {
			t.Errorf("another user's token: %d %s", r.Status, r.Body)
		}
	})
}

// An issuer that cannot be reached: its tokens get a 503 with Retry-After
// (neither accepted nor refused), and API keys work as ever.
func TestOIDCIssuerDown(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		issuer := oidctest.New(t)
		issuer.SetDown(true)
		o := oidcEnv(t, e, issuer, "live", "write", nil)
		token := issuer.Token(person(issuer, "sub-ada", "ada@example.com", true))
		for range 2 { // the first tries discovery, the second waits for the next try
			r := o.do(req{Path: "/api/me", Key: token})
			otProblem(t, "a token while the issuer is down", r, http.StatusServiceUnavailable)
			if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("Retry-After %q", ra)
			}
		}
		if r := o.do(req{Path: "/api/me", Key: e.key("ada@example.com", "live", "write")}); r.Status != http.StatusOK {
			t.Errorf("an API key while the issuer is down: %d %s", r.Status, r.Body)
		}
		// The refusals that need no key are still made.
		unsigned := oidctest.Unsigned(t, person(issuer, "sub-ada", "ada@example.com", true))
		wantInvalidToken(t, "alg none while the issuer is down", o.do(req{Path: "/api/me", Key: unsigned}), unsigned, `alg "none"`)
	})
}
