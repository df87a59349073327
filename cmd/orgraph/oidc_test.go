package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/internal/oidctest"
)

// serve checks its --oidc-… flags (and their variables) before it opens
// anything, and a discovery document that shows the configuration wrong
// stops it; an issuer that is merely down does not.
func TestServeOIDCFlags(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	issuer := oidctest.New(t)
	for _, c := range []struct {
		args   []string
		env    []string
		code   int
		stderr string
	}{
		{[]string{"--oidc-issuer", issuer.URL}, nil, 2, "--oidc-issuer needs --oidc-audience (ORGRAPH_OIDC_AUDIENCE)"},
		{nil, []string{"ORGRAPH_OIDC_ISSUER=" + issuer.URL}, 2, "ORGRAPH_OIDC_ISSUER needs --oidc-audience (ORGRAPH_OIDC_AUDIENCE)"},
		{[]string{"--oidc-audience", "dashboard"}, nil, 2, "--oidc-audience needs --oidc-issuer (ORGRAPH_OIDC_ISSUER)"},
		{[]string{"--oidc-scope", "read"}, nil, 2, "--oidc-scope needs --oidc-issuer"},
		{nil, []string{"ORGRAPH_OIDC_MODE=test"}, 2, "ORGRAPH_OIDC_MODE needs --oidc-issuer"},
		{[]string{"--oidc-issuer", issuer.URL, "--oidc-audience", "dashboard", "--oidc-mode", "staging"}, nil, 2, "--oidc-mode must be live or test"},
		{[]string{"--oidc-issuer", issuer.URL, "--oidc-audience", "dashboard", "--oidc-scope", "operator"}, nil, 2, "--oidc-scope must be write or read"},
		{[]string{"--oidc-issuer", "http://id.example.com", "--oidc-audience", "dashboard"}, nil, 2, "must use https"},
		{[]string{"--oidc-issuer", "https://id.example.com?tenant=1", "--oidc-audience", "dashboard"}, nil, 2, "no user name, query or fragment"},
	} {
		_, stderr, code := runEnv(t, c.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("serve %q %q: exit %d, stderr %q; want %d and %q", c.args, c.env, code, stderr, c.code, c.stderr)
		}
	}

	wrong := oidctest.New(t)
	wrong.ClaimToBe("https://elsewhere.example")
	_, stderr, code := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--oidc-issuer", wrong.URL, "--oidc-audience", "dashboard")
	if code != 1 || !strings.Contains(stderr, "names another issuer (https://elsewhere.example)") {
		t.Errorf("an issuer whose document names another: exit %d, stderr %q", code, stderr)
	}

	// An issuer that is down: serve starts, API keys work, tokens get 503.
	down := oidctest.New(t)
	down.SetDown(true)
	s := startServerWith(t, db, []string{"--oidc-issuer", down.URL, "--oidc-audience", "dashboard"})
	key := s.waitForKey(t)
	for credential, want := range map[string]int{
		key: http.StatusOK,
		down.Token(down.Claims("sub-ada", "dashboard")): http.StatusServiceUnavailable,
	} {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+credential)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET /api/me with the issuer down: %d, want %d", res.StatusCode, want)
		}
	}
	s.stop(t)
}

// Two replicas on one PostgreSQL both accept the issuer's tokens: the first
// requests of a new account, racing on both, make one user; what one
// replica writes for the token's user, the other shows it; both refuse an
// expired token, and both follow the issuer's key rotation.
func TestReplicasAcceptOIDCTokens(t *testing.T) {
	db := postgresDSN(t)
	issuer := oidctest.New(t)
	p := rpStartPair(t, db, "--oidc-issuer", issuer.URL, "--oidc-audience", "dashboard")
	tl := &rpTally{}
	claims := issuer.Claims("sub-dana", "dashboard")
	claims["email"], claims["email_verified"] = "dana@example.com", true
	token := issuer.Token(claims)

	var first []func() rpResult
	for n := range 8 {
		first = append(first, func() rpResult { return p.send(tl, n, http.MethodGet, "/api/me", token, "", nil) })
	}
	me := ""
	for _, r := range rpRace(first) {
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("a first request of the account: %s", r)
		}
		if id := rpStr(r.obj()["@id"]); me == "" {
			me = id
		} else if id != me {
			t.Fatalf("the racing first requests got two users: %s and %s", me, id)
		}
	}
	org := p.must(t, tl, http.StatusCreated, 0, http.MethodPost, "/api/organizations", token, `{"name": "Dana Ltd"}`)
	if got := p.must(t, tl, http.StatusOK, 1, http.MethodGet, rpStr(org["@id"]), token, ""); got["name"] != "Dana Ltd" {
		t.Errorf("the other replica reads %v", got)
	}

	claims["exp"] = time.Now().Add(-time.Second).Unix()
	expired := issuer.Token(claims)
	for replica := range 2 {
		if r := p.send(tl, replica, http.MethodGet, "/api/me", expired, "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("replica %d, an expired token: %s", replica, r)
		}
	}

	issuer.Rotate()
	time.Sleep(1100 * time.Millisecond) // each replica reads the key set at most once a second
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	fresh := issuer.Token(claims)
	for replica := range 2 {
		if r := p.send(tl, replica, http.MethodGet, "/api/me", fresh, "", nil); r.status != http.StatusOK || rpStr(r.obj()["@id"]) != me {
			t.Errorf("replica %d, a token of the new key: %s", replica, r)
		}
		// go-oidc hands the keys it read to the request that waited for
		// them a moment before it keeps them: the old set may verify for
		// that moment.
		r := p.send(tl, replica, http.MethodGet, "/api/me", token, "", nil)
		for deadline := time.Now().Add(time.Second); r.status == http.StatusOK && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			r = p.send(tl, replica, http.MethodGet, "/api/me", token, "", nil)
		}
		if r.status != http.StatusUnauthorized {
			t.Errorf("replica %d, a token of the removed key: %s", replica, r)
		}
	}
}
