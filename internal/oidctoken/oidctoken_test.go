package oidctoken

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orgraph/orgraph/internal/oidctest"
)

const dashboard = "orgraph-dashboard"

func newVerifier(t *testing.T, issuer *oidctest.Issuer) *Verifier {
	t.Helper()
	v, err := New(Config{Issuer: issuer.URL, Audience: dashboard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// refusal is the reason Verify gives for refusing a token, "" if it
// accepts it; any other failure is fatal.
func refusal(t *testing.T, v *Verifier, token string) string {
	t.Helper()
	_, err := v.Verify(context.Background(), token)
	var bad *InvalidError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &bad):
		return bad.Reason
	}
	t.Fatalf("Verify: %v, want a refusal or an acceptance", err)
	return ""
}

func TestVerifyAcceptsTheIssuersTokensAndReadsTheirClaims(t *testing.T) {
	issuer := oidctest.New(t)
	v := newVerifier(t, issuer)
	claims := issuer.Claims("user-1", dashboard)
	claims["aud"] = []string{"another-api", dashboard}
	claims["email"], claims["email_verified"], claims["name"] = "Ada@Example.com", "true", "Ada"
	got, err := v.Verify(context.Background(), issuer.Token(claims))
	if err != nil {
		t.Fatal(err)
	}
	if got.Issuer != issuer.URL || got.Subject != "user-1" || got.Email != "Ada@Example.com" || !got.EmailVerified || got.Name != "Ada" ||
		!got.Expiry.Equal(time.Unix(claims["exp"].(int64), 0)) {
		t.Errorf("claims %+v", got)
	}
	// email_verified that is not true (or "true") is not verified.
	for _, unverified := range []any{false, "yes", 1, nil} {
		claims["email_verified"] = unverified
		if got, err := v.Verify(context.Background(), issuer.Token(claims)); err != nil || got.EmailVerified {
			t.Errorf("email_verified %v: %+v, %v", unverified, got, err)
		}
	}
}

func TestVerifyRefusesWithAPreciseReason(t *testing.T) {
	issuer := oidctest.New(t)
	v := newVerifier(t, issuer)
	other := oidctest.New(t) // another issuer, with its own keys
	valid := func() map[string]any { return issuer.Claims("user-1", dashboard) }
	with := func(change func(map[string]any)) map[string]any {
		c := valid()
		change(c)
		return c
	}
	for _, c := range []struct {
		name, token, want string
	}{
		{"expired", issuer.Token(with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "has expired"},
		{"not valid yet", issuer.Token(with(func(c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), "not valid yet"},
		{"no expiry", issuer.Token(with(func(c map[string]any) { delete(c, "exp") })), "has no expiry"},
		{"wrong audience", issuer.Token(with(func(c map[string]any) { c["aud"] = "another-api" })), "audience (aud)"},
		{"no audience", issuer.Token(with(func(c map[string]any) { delete(c, "aud") })), "audience (aud)"},
		{"wrong issuer in the claims", issuer.Token(with(func(c map[string]any) { c["iss"] = other.URL })), "another issuer"},
		{"another issuer's token", other.Token(with(func(c map[string]any) { c["iss"] = other.URL })), "another issuer"},
		{"another issuer's key, this issuer's claims", other.Token(valid()), "signature is not valid"},
		{"no subject", issuer.Token(with(func(c map[string]any) { delete(c, "sub") })), "no subject"},
		{"long subject", issuer.Token(with(func(c map[string]any) { c["sub"] = strings.Repeat("s", 256) })), "longer than 255"},
		{"alg none", oidctest.Unsigned(t, valid()), `not signed (alg "none")`},
		{"alg None", oidctest.WithHeader(t, map[string]any{"alg": "None"}, valid()), `not signed (alg "none")`},
		{"HS256", oidctest.WithHeader(t, map[string]any{"alg": "HS256", "kid": issuer.SigningKey().ID}, valid()), "shared secret"},
		{"unknown algorithm", oidctest.WithHeader(t, map[string]any{"alg": "XS1"}, valid()), "algorithm (alg) is not one of"},
		{"an algorithm the issuer does not announce", oidctest.WithHeader(t, map[string]any{"alg": "ES256"}, valid()), "does not announce"},
		{"tampered claims", oidctest.Tamper(t, issuer.Token(valid()), with(func(c map[string]any) { c["sub"] = "user-2" })), "signature is not valid"},
		{"no signature", strings.Join(strings.Split(issuer.Token(valid()), ".")[:2], ".") + ".", "not a well-formed"},
		{"two parts", "abc.def", "not a well-formed"},
		{"not base64", "a*b.c.d", "not a well-formed"},
		{"header not JSON", "YWJj.YWJj.YWJj", "not a well-formed"},
		{"claims not JSON", strings.Split(issuer.Token(valid()), ".")[0] + ".YWJj.YWJj", "not a well-formed"},
		{"too long", strings.Repeat("a", MaxTokenBytes) + ".b.c", "longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := refusal(t, v, c.token)
			if !strings.Contains(got, c.want) {
				t.Errorf("refusal %q, want it to say %q", got, c.want)
			}
			if got != "" && strings.Contains(got, c.token) {
				t.Errorf("the refusal quotes the token: %q", got)
			}
		})
	}
}

// The issuer rotates its signing key: tokens of the new key are accepted
// (the key set is read again for the new kid), tokens of the removed one
// refused.
func TestVerifyFollowsKeyRotation(t *testing.T) {
	issuer := oidctest.New(t)
	v := newVerifier(t, issuer)
	claims := issuer.Claims("user-1", dashboard)
	before := issuer.Token(claims)
	if r := refusal(t, v, before); r != "" {
		t.Fatalf("before the rotation: %s", r)
	}
	issuer.Rotate()
	time.Sleep(keySetMinInterval + 100*time.Millisecond) // the key set may be read again
	if r := refusal(t, v, issuer.Token(claims)); r != "" {
		t.Fatalf("a token of the new key: %s", r)
	}
	// go-oidc hands the keys it read to the Verify that waited for them a
	// moment before it keeps them: the old set may verify for that moment.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := refusal(t, v, before)
		if strings.Contains(r, "signature is not valid") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a token of the removed key: %q, want a refusal", r)
		}
	}
}

// Tokens that name keys the issuer never published make the verifier read
// the key set at most once per keySetMinInterval, not once per token.
func TestVerifyReadsTheKeySetBoundedly(t *testing.T) {
	issuer := oidctest.New(t)
	v := newVerifier(t, issuer)
	claims := issuer.Claims("user-1", dashboard)
	if r := refusal(t, v, issuer.Token(claims)); r != "" {
		t.Fatal(r)
	}
	reads := issuer.KeyReads()
	start := time.Now()
	stranger := oidctest.New(t) // signs with keys the issuer never published
	forged := stranger.Token(claims)
	for range 50 {
		if r := refusal(t, v, forged); !strings.Contains(r, "signature is not valid") {
			t.Fatalf("forged token: %q", r)
		}
	}
	allowed := int64(time.Since(start)/keySetMinInterval) + 1
	if n := issuer.KeyReads() - reads; n > allowed {
		t.Errorf("50 forged tokens read the key set %d times in %v, want %d at most", n, time.Since(start), allowed)
	}
}

// While the issuer's keys were read once, an issuer that goes down does
// not stop its tokens: the keys kept verify them.
func TestVerifyKeepsTheKeysWhileTheIssuerIsDown(t *testing.T) {
	issuer := oidctest.New(t)
	v := newVerifier(t, issuer)
	if r := refusal(t, v, issuer.Token(issuer.Claims("user-1", dashboard))); r != "" {
		t.Fatal(r)
	}
	issuer.SetDown(true)
	time.Sleep(keySetMinInterval + 100*time.Millisecond)
	if r := refusal(t, v, issuer.Token(issuer.Claims("user-2", dashboard))); r != "" {
		t.Fatalf("issuer down: %s", r)
	}
}

// An issuer that cannot be reached: Verify answers UnavailableError (the
// token is neither accepted nor refused), retries discovery no sooner than
// discoveryRetry, and accepts tokens once the issuer is back.
func TestVerifyWaitsForAnIssuerThatIsDown(t *testing.T) {
	defer func(d time.Duration) { discoveryRetry = d }(discoveryRetry)
	discoveryRetry = 300 * time.Millisecond
	issuer := oidctest.New(t)
	issuer.SetDown(true)
	v := newVerifier(t, issuer)
	token := issuer.Token(issuer.Claims("user-1", dashboard))

	err := v.Discover(context.Background())
	var down *UnavailableError
	if !errors.As(err, &down) || !errors.Is(err, ErrIssuerUnreachable) || down.RetryAfter != discoveryRetry {
		t.Fatalf("Discover with the issuer down: %v, want an UnavailableError wrapping ErrIssuerUnreachable", err)
	}
	// Refusals that need no key are still made.
	if r := refusal(t, v, oidctest.Unsigned(t, issuer.Claims("user-1", dashboard))); !strings.Contains(r, "not signed") {
		t.Errorf("alg none while the issuer is down: %q", r)
	}
	issuer.SetDown(false)
	_, err = v.Verify(context.Background(), token)
	if !errors.As(err, &down) || down.RetryAfter <= 0 || down.RetryAfter > discoveryRetry {
		t.Fatalf("Verify before the retry is due: %v, want an UnavailableError", err)
	}
	time.Sleep(discoveryRetry)
	if r := refusal(t, v, token); r != "" {
		t.Fatalf("once the issuer is back: %s", r)
	}
}

// A discovery document that names another issuer is a configuration
// mistake, not an outage.
func TestDiscoverRefusesADocumentOfAnotherIssuer(t *testing.T) {
	issuer := oidctest.New(t)
	issuer.ClaimToBe("https://elsewhere.example")
	err := newVerifier(t, issuer).Discover(context.Background())
	if err == nil || errors.Is(err, ErrIssuerUnreachable) || !strings.Contains(err.Error(), "names another issuer") {
		t.Fatalf("Discover: %v, want the mismatch, not an outage", err)
	}
}

func TestLooksLikeJWT(t *testing.T) {
	for s, want := range map[string]bool{
		"eyJh.eyJi.c2ln":   true,
		"eyJh.eyJi.":       true, // unsigned: refused later, with its reason
		"og_live_0123abcd": false,
		"a.b":              false,
		".b.c":             false,
		"a..c":             false,
		"a.b.c.d":          false,
		"a b.c.d":          false,
		"a=.b.c":           false,
		"":                 false,
	} {
		if got := LooksLikeJWT(s); got != want {
			t.Errorf("LooksLikeJWT(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckIssuer(t *testing.T) {
	for issuer, ok := range map[string]bool{
		"https://id.example.com":                              true,
		"https://id.example.com/tenant/v2.0":                  true,
		"http://127.0.0.1:5556":                               true,
		"http://localhost:5556/dex":                           true,
		"http://[::1]:5556":                                   true,
		"http://id.example.com":                               false,
		"id.example.com":                                      false,
		"https://id.example.com?tenant=1":                     false,
		"https://id.example.com#x":                            false,
		"https://user@id.example.com":                         false,
		"ftp://id.example.com":                                false,
		"https://":                                            false,
		"https://id.example.com/" + strings.Repeat("t", 2048): false,
	} {
		if err := CheckIssuer(issuer); (err == nil) != ok {
			t.Errorf("CheckIssuer(%q) = %v, want ok %v", issuer, err, ok)
		}
	}
}
