// Package oidctoken checks the JSON Web Tokens an OpenID Connect issuer
// signs, for callers that present one as a bearer token instead of an API
// key (dashboards whose users sign in with the issuer): discovery, the
// issuer's key set (JWKS) and its rotation, and the claims. Signatures,
// discovery and key sets are go-oidc's; this package adds what a server
// that answers strangers needs around them: precise refusals that never
// quote the token, a bounded retry of discovery while the issuer is down,
// and a bound on how often tokens can make it read the key set again.
//
// It knows nothing of users: the store maps a token's issuer and subject
// to one.
package oidctoken

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Bounds of the conversation with the issuer. Variables, so that the
// package's tests can shorten them.
var (
	// requestTimeout bounds each request to the issuer (discovery, key set).
	requestTimeout = 5 * time.Second
	// discoveryRetry is how long after a failed discovery the next one may
	// start: requests that present a token meanwhile get a 503 at once
	// rather than each waiting for an issuer that is down.
	discoveryRetry = 5 * time.Second
	// keySetMinInterval: the key set is read from the issuer at most this
	// often, whatever tokens arrive (see keySetReads).
	keySetMinInterval = time.Second
	// keySetMaxAge: the keys read are trusted this long at most, so that a
	// key the issuer withdraws is dropped even if no token ever names a new
	// one (go-oidc keeps keys until a token names one it lacks).
	keySetMaxAge = 10 * time.Minute
)

// Limits on what a token may hold.
const (
	// MaxTokenBytes bounds a token: real ones are 1 or 2 KB.
	MaxTokenBytes = 8 << 10
	// notBeforeLeeway is go-oidc's allowance for clocks that disagree
	// when it checks nbf.
	notBeforeLeeway = 5 * time.Minute
	// maxIssuerBytes bounds the issuer's URL, which every identity stores
	// (ent/schema/useridentity.go).
	maxIssuerBytes = 2048
	// maxSubjectBytes is OpenID Connect's bound on sub (Core 1.0, 2: "MUST
	// NOT exceed 255 ASCII characters").
	maxSubjectBytes = 255
)

// acceptedAlgorithms are the signature algorithms a token may use: the
// public-key ones go-oidc verifies. A shared-secret algorithm (HS256)
// would let anyone who knows the secret, the issuer's every client
// included, mint tokens; "none" signs nothing.
var acceptedAlgorithms = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA,
}

// Config names the issuer whose tokens are accepted.
type Config struct {
	// Issuer is the issuer's URL, exactly as its tokens' iss claim and its
	// discovery document write it (CheckIssuer).
	Issuer string
	// Audience must be one of a token's aud values: the client id, or the
	// API's identifier at the issuer.
	Audience string
	// Logger receives discovery failures; nil: slog.Default().
	Logger *slog.Logger
	// Transport carries the requests to the issuer; nil:
	// http.DefaultTransport.
	Transport http.RoundTripper
}

// Claims are what a verified token says of its holder.
type Claims struct {
	Issuer  string
	Subject string
	Expiry  time.Time
	// Email and EmailVerified are the email and email_verified claims
	// (OpenID Connect's standard claims); empty and false when absent.
	Email         string
	EmailVerified bool
	// Name is the name claim, when it is a string.
	Name string
}

// InvalidError refuses a token. Reason says what is wrong in a sentence a
// client may read: it never quotes the token or its claims.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return "invalid token: " + e.Reason }

func invalid(format string, args ...any) *InvalidError {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// ErrIssuerUnreachable marks a failure to read the issuer's discovery
// document or key set: the network, a timeout, an answer other than a
// JSON 200. It may pass.
var ErrIssuerUnreachable = errors.New("the OpenID Connect issuer could not be reached")

// UnavailableError: the token could not be checked because the issuer's
// discovery document or key set could not be read; try again after
// RetryAfter. API keys are not concerned.
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	return "the OpenID Connect issuer's keys are not available: " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// CheckIssuer checks an issuer URL: absolute, https (http only on a
// loopback host, where no network can rewrite the keys it serves), with no
// query, fragment or user name, as OpenID Connect Discovery 1.0 requires,
// and short enough to be stored.
func CheckIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case len(issuer) > maxIssuerBytes:
		return fmt.Errorf("the issuer must be a URL of at most %d characters", maxIssuerBytes)
	case err != nil:
		return fmt.Errorf("the issuer %q is not a URL: %w", issuer, err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return fmt.Errorf("the issuer %q must be an absolute https:// URL", issuer)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return fmt.Errorf("the issuer %q must use https: its signing keys would travel unprotected (http is accepted on a loopback host only)", issuer)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Errorf("the issuer %q must have no user name, query or fragment", issuer)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Verifier checks tokens of one issuer for one audience. It is safe for
// concurrent use.
type Verifier struct {
	issuer, audience string
	log              *slog.Logger
	client           *http.Client // discovery
	keysTransport    http.RoundTripper

	// attempt admits one discovery at a time; the requests that arrive
	// meanwhile wait for its outcome.
	attempt chan struct{}
	mu      sync.Mutex
	ready   *discovered // nil until a discovery succeeds
	nextTry time.Time   // after a failure: when the next discovery may start
	lastErr error       // the failure
}

// discovered is what discovery yields.
type discovered struct {
	verifier   *oidc.IDTokenVerifier
	algorithms map[string]bool // the accepted algorithms the issuer signs with
}

// New makes a verifier. It does not reach the issuer: Discover does, and
// so does the first Verify when Discover has not succeeded.
func New(cfg Config) (*Verifier, error) {
	if err := CheckIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Audience) == "" {
		return nil, errors.New("the audience must not be empty")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Verifier{
		issuer:        cfg.Issuer,
		audience:      cfg.Audience,
		log:           log,
		client:        &http.Client{Transport: transport, Timeout: requestTimeout},
		keysTransport: transport,
		attempt:       make(chan struct{}, 1),
	}, nil
}

// Discover reads the issuer's discovery document, unless it was read
// already. A failure is an *UnavailableError, which wraps
// ErrIssuerUnreachable when the issuer could not be reached (it may pass:
// the next token tries again, discoveryRetry later at the soonest) and
// otherwise says what is wrong with the document (the configuration is
// probably wrong: another issuer's URL, say).
func (v *Verifier) Discover(ctx context.Context) error {
	_, err := v.discovered(ctx)
	return err
}

func (v *Verifier) discovered(ctx context.Context) (*discovered, error) {
	v.mu.Lock()
	d := v.ready
	v.mu.Unlock()
	if d != nil {
		return d, nil
	}
	select {
	case v.attempt <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-v.attempt }()
	v.mu.Lock()
	d, next, lastErr := v.ready, v.nextTry, v.lastErr
	v.mu.Unlock()
	if d != nil {
		return d, nil
	}
	if wait := time.Until(next); wait > 0 {
		return nil, &UnavailableError{RetryAfter: wait, Err: lastErr}
	}
	// The attempt serves every request waiting for it: one of them going
	// away must not fail it for the others.
	d, err := v.discover(context.WithoutCancel(ctx))
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.nextTry, v.lastErr = time.Now().Add(discoveryRetry), err
		v.log.WarnContext(ctx, "OpenID Connect discovery failed: bearer tokens of the issuer are answered with 503 until it succeeds",
			"issuer", v.issuer, "retry_in_s", discoveryRetry.Seconds(), "error", err.Error())
		return nil, &UnavailableError{RetryAfter: discoveryRetry, Err: err}
	}
	v.ready = d
	v.log.InfoContext(ctx, "OpenID Connect issuer discovered", "issuer", v.issuer)
	return d, nil
}

// discover reads the discovery document and makes go-oidc's verifier over
// the key set it names.
func (v *Verifier) discover(ctx context.Context) (*discovered, error) {
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), v.issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("discovery: the document of %s names another issuer (%s): --oidc-issuer must be the issuer's URL exactly as its tokens' iss claim writes it", mismatch.Provided, mismatch.Discovered)
		}
		// The network, a timeout, an error status, or a page that is not
		// the document (an issuer's maintenance page): all may pass, and
		// none is worth refusing to serve API keys for.
		return nil, fmt.Errorf("discovery: %w: %w", ErrIssuerUnreachable, err)
	}
	var doc struct {
		JWKSURI    string   `json:"jwks_uri"`
		Algorithms []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&doc); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	keysURL, err := url.Parse(doc.JWKSURI)
	if err != nil || (keysURL.Scheme != "https" && !(keysURL.Scheme == "http" && loopback(keysURL.Hostname()))) {
		return nil, errors.New("discovery: the document's jwks_uri is not an https URL")
	}
	// OpenID Connect Discovery 1.0 makes the list required; RS256 is the
	// algorithm every issuer must support.
	announced := doc.Algorithms
	if len(announced) == 0 {
		announced = []string{oidc.RS256}
	}
	algorithms := map[string]bool{}
	var names []string
	for _, a := range acceptedAlgorithms {
		for _, b := range announced {
			if a == b {
				algorithms[a] = true
				names = append(names, a)
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("discovery: the issuer signs with none of the accepted algorithms (%s)", strings.Join(acceptedAlgorithms, ", "))
	}
	keys := &keySet{
		url:    doc.JWKSURI,
		client: &http.Client{Transport: &keySetReads{base: v.keysTransport}, Timeout: requestTimeout},
	}
	verifier := oidc.NewVerifier(v.issuer, keys, &oidc.Config{ClientID: v.audience, SupportedSigningAlgs: names})
	return &discovered{verifier: verifier, algorithms: algorithms}, nil
}

// signatureFailure is where keySet leaves why a signature was not
// verified, for the Verify that asked (go-oidc keeps only the text of the
// error).
type signatureFailure struct{}

// Verify checks a token: its form, issuer, audience, subject and expiry,
// then its signature by a key of the issuer's key set. A refusal is an
// *InvalidError; a token that cannot be checked for now (the issuer is
// unreachable) an *UnavailableError.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	header, claims, err := peek(raw)
	if err != nil {
		return nil, err
	}
	// The claims are checked before the signature, from the unverified
	// payload: this only refuses (a token is accepted only once go-oidc
	// has verified the signature and the same claims again), names the
	// fault precisely, and spares the key set a read for a token that
	// could not pass anyway.
	if err := v.checkClaims(claims, time.Now()); err != nil {
		return nil, err
	}
	d, err := v.discovered(ctx)
	if err != nil {
		return nil, err
	}
	if !d.algorithms[header.Alg] {
		return nil, invalid("The bearer token is signed with an algorithm (alg) the issuer does not announce in its discovery document.")
	}
	var sigErr error
	token, err := d.verifier.Verify(context.WithValue(ctx, signatureFailure{}, &sigErr), raw)
	var expired *oidc.TokenExpiredError
	switch {
	case err == nil:
	case errors.As(err, &expired):
		return nil, invalid("The bearer token has expired (exp): get a new one from the issuer.")
	case sigErr != nil && ctx.Err() != nil && errors.Is(sigErr, ctx.Err()):
		return nil, fmt.Errorf("verify token: %w", ctx.Err())
	case sigErr != nil && errors.Is(sigErr, ErrIssuerUnreachable):
		return nil, &UnavailableError{RetryAfter: keySetMinInterval, Err: sigErr}
	case sigErr != nil:
		return nil, invalid("The bearer token's signature is not valid: no key the issuer publishes verifies it.")
	default:
		return nil, invalid("The bearer token is not valid.")
	}
	var extra struct {
		Email         any `json:"email"`
		EmailVerified any `json:"email_verified"`
		Name          any `json:"name"`
	}
	if err := token.Claims(&extra); err != nil {
		return nil, invalid("The bearer token's claims are not a JSON object.")
	}
	out := &Claims{Issuer: token.Issuer, Subject: token.Subject, Expiry: token.Expiry}
	out.Email, _ = extra.Email.(string)
	out.Name, _ = extra.Name.(string)
	// Some issuers (Amazon Cognito) write the boolean as a string.
	out.EmailVerified = extra.EmailVerified == true || extra.EmailVerified == "true"
	return out, nil
}

// checkClaims refuses a token whose unverified claims cannot pass.
func (v *Verifier) checkClaims(c *unverifiedClaims, now time.Time) error {
	switch {
	case c.Issuer != v.issuer:
		return invalid("The bearer token was issued by another issuer (iss) than the one this server accepts.")
	case !c.Audience.contains(v.audience):
		return invalid("The bearer token is not meant for this API: its audience (aud) does not include this server's.")
	case c.Subject == "":
		return invalid("The bearer token names no subject (sub).")
	case len(c.Subject) > maxSubjectBytes:
		return invalid("The bearer token's subject (sub) is longer than %d characters.", maxSubjectBytes)
	case c.Expiry == nil:
		return invalid("The bearer token has no expiry (exp).")
	case !time.Unix(int64(*c.Expiry), 0).After(now):
		return invalid("The bearer token has expired (exp): get a new one from the issuer.")
	case c.NotBefore != nil && time.Unix(int64(*c.NotBefore), 0).After(now.Add(notBeforeLeeway)):
		return invalid("The bearer token is not valid yet (nbf).")
	}
	return nil
}
