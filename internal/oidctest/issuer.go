// Package oidctest is a real OpenID Connect issuer for tests: an HTTP
// server that serves a discovery document and a JSON Web Key Set, holds
// RSA signing keys it can rotate, and signs tokens with go-jose, as an
// identity provider does. Tests start one and point the server at it.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Issuer is a running issuer.
type Issuer struct {
	// URL is the issuer's identifier: its tokens' iss, and the base of its
	// discovery document's address.
	URL string

	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	keys      []*Key // published; the first signs
	down      bool   // every answer is a 503
	claimedAs string // the issuer the discovery document names, when not URL
	keyReads  atomic.Int64
}

// Key is one of the issuer's signing keys.
type Key struct {
	ID      string
	private *rsa.PrivateKey
}

var keyCount atomic.Int64

func newKey(t testing.TB) *Key {
	t.Helper()
	private, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{ID: fmt.Sprintf("key-%d", keyCount.Add(1)), private: private}
}

// New starts an issuer with one signing key; it stops with the test.
func New(t testing.TB) *Issuer {
	t.Helper()
	i := &Issuer{t: t, keys: []*Key{newKey(t)}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /jwks", i.keySet)
	// The URL is known before the server starts, so that its handlers
	// read it after it was written.
	i.srv = httptest.NewUnstartedServer(mux)
	i.URL = "http://" + i.srv.Listener.Addr().String()
	i.srv.Start()
	t.Cleanup(i.srv.Close)
	return i
}

func (i *Issuer) discovery(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	down, claimed := i.down, i.claimedAs
	i.mu.Unlock()
	if down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if claimed == "" {
		claimed = i.URL
	}
	writeJSON(w, map[string]any{
		"issuer":                                claimed,
		"authorization_endpoint":                i.URL + "/authorize",
		"token_endpoint":                        i.URL + "/token",
		"jwks_uri":                              i.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (i *Issuer) keySet(w http.ResponseWriter, r *http.Request) {
	i.keyReads.Add(1)
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	set := jose.JSONWebKeySet{}
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.private.PublicKey, KeyID: k.ID, Algorithm: string(jose.RS256), Use: "sig"})
	}
	writeJSON(w, set)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// SigningKey is the key that signs the issuer's tokens now.
func (i *Issuer) SigningKey() *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[0]
}

// Rotate replaces the signing key by a new one, with a new kid, and stops
// publishing the old one: tokens it signed no longer verify. It returns
// the old key.
func (i *Issuer) Rotate() *Key {
	fresh := newKey(i.t)
	i.mu.Lock()
	defer i.mu.Unlock()
	old := i.keys[0]
	i.keys = []*Key{fresh}
	return old
}

// SetDown makes every answer a 503 (true), or the issuer well again.
func (i *Issuer) SetDown(down bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.down = down
}

// ClaimToBe makes the discovery document name another issuer than URL.
func (i *Issuer) ClaimToBe(issuer string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.claimedAs = issuer
}

// KeyReads counts the requests for the key set.
func (i *Issuer) KeyReads() int64 { return i.keyReads.Load() }

// Claims are a token's claims for a subject and an audience, valid for an
// hour; tests change or delete some before signing.
func (i *Issuer) Claims(subject, audience string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.URL,
		"sub": subject,
		"aud": audience,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// Token signs claims with the signing key.
func (i *Issuer) Token(claims map[string]any) string { return i.SigningKey().Sign(i.t, claims) }

// Sign signs claims with this key (RS256, its kid in the header).
func (k *Key) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.private, KeyID: k.ID, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err := signed.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// Unsigned is a token of claims with alg "none" and no signature, as an
// attacker writes it (go-jose refuses to make one).
func Unsigned(t testing.TB, claims map[string]any) string {
	t.Helper()
	return encodePart(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + encodePart(t, claims) + "."
}

// WithHeader is a token of claims whose header is header, its signature
// made up: for algorithms no key signs with (HS256).
func WithHeader(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	return encodePart(t, header) + "." + encodePart(t, claims) + "." + base64.RawURLEncoding.EncodeToString([]byte("made-up signature"))
}

func encodePart(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Tamper replaces a token's claims and keeps its header and signature,
// which then no longer matches.
func Tamper(t testing.TB, token string, claims map[string]any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	return parts[0] + "." + encodePart(t, claims) + "." + parts[2]
}
