package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgraph/orgraph/explorer"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/internal/oidctoken"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/store"
	"github.com/orgraph/orgraph/swaggerui"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	principalKey
	authErrorKey // why the presented API key or token was refused
	formatKey    // a format chosen by a URL suffix
)

// handlerFunc is a handler that may fail; an error problemOf knows is written as
// such, any other error as a 500 that reveals nothing.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail writes an error answer.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	switch {
	case p != nil:
	case store.Unavailable(err):
		s.log.WarnContext(r.Context(), "database unavailable", "request_id", requestID(r.Context()), "error", err.Error())
		p = databaseUnavailable()
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		// The client went away (or the request timed out) mid-work: not a
		// fault of the server, and nobody reads the answer.
		s.log.InfoContext(r.Context(), "request abandoned", "request_id", requestID(r.Context()), "error", err.Error())
		p = problems.Internal()
	default:
		s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err.Error())
		p = problems.Internal()
	}
	problems.Write(w, r, p, hydra.ProblemsAsLinkedData(r.Header.Get("Accept")), requestID(r.Context()), s.base(r))
}

// byMethod maps HTTP methods to handlers on one path.
type byMethod map[string]handlerFunc

func get(h handlerFunc) byMethod { return byMethod{http.MethodGet: h} }

// methods dispatches on the method: GET also answers HEAD, OPTIONS lists the
// methods, anything else is a 405 with Allow (PUT included: Orgraph, like
// API Platform 4, has no PUT).
func (s *Server) methods(m byMethod) http.Handler {
	allow := []string{"OPTIONS"}
	if _, ok := m[http.MethodGet]; ok {
		allow = append(allow, "HEAD")
	}
	order := map[string]int{"GET": 0, "POST": 1, "PATCH": 2, "DELETE": 3}
	var rest []string
	for k := range m {
		rest = append(rest, k)
	}
	sort.Slice(rest, func(i, j int) bool { return order[rest[i]] < order[rest[j]] })
	allow = append(allow, rest...)
	allowHeader := strings.Join(allow, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		if h, ok := m[method]; ok {
			w.Header().Set("Allow", allowHeader)
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
			return
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Allow", allowHeader)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.fail(w, r, problems.MethodNotAllowed(r.Method, s.base(r)+r.URL.RequestURI(), allow))
	})
}

func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) error {
	return problems.NoRoute(r.Method, s.base(r)+r.URL.RequestURI())
}

// recorder remembers the status for the access log and whether the answer
// has started, so that a panic can still become a problem document.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	route  string // the matched route pattern, set by routePattern
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += n
	return n, err
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// MaxBodyBytes bounds request bodies (413 beyond).
const MaxBodyBytes = 1 << 20

var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,128}$`)

// validHost says whether a Host header is what the server may build its
// base URL from: a DNS name (underscores allowed, as container networks use
// them; a trailing dot too), an IPv4 address or a bracketed IPv6 address,
// and an optional port of 1 to 5 digits. RFC 3986 also allows
// sub-delimiters such as ";" in a registered name, which nothing resolves
// and which would land in the Content-Security-Policy and Link headers the
// answer builds from it. A loop rather than a regular expression: it runs
// on every request, where the expression showed in the bench's profile.
func validHost(host string) bool {
	name, port := host, ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return false
		}
		name, port = host[1:end], host[end+1:]
		if len(name) < 2 || len(name) > 45 || !allBytes(name, isIPv6Byte) {
			return false
		}
	} else {
		if i := strings.IndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i:]
		}
		trimmed := strings.TrimSuffix(name, ".")
		if trimmed == "" || len(trimmed) > 253 || !allBytes(trimmed, isNameByte) ||
			trimmed[0] == '.' || trimmed[0] == '-' || trimmed[len(trimmed)-1] == '.' || trimmed[len(trimmed)-1] == '-' {
			return false
		}
	}
	if port == "" {
		return true
	}
	digits, ok := strings.CutPrefix(port, ":")
	return ok && len(digits) >= 1 && len(digits) <= 5 && allBytes(digits, func(c byte) bool { return '0' <= c && c <= '9' })
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

func isIPv6Byte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.'
}

// CheckBaseURL checks a configured public base URL: http or https, a host
// as validHost has it, and nothing after it (the API lives at /api under
// it; a path, query or user name would be copied into every Link header).
func CheckBaseURL(base string) error {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return fmt.Errorf("the base URL %q is not a URL: %w", base, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("the base URL %q must start with http:// or https://", base)
	case !validHost(u.Host):
		return fmt.Errorf("the base URL %q must name a host (a DNS name or an IP address, with an optional port)", base)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("the base URL %q must be a scheme and a host only, such as https://api.example.com", base)
	}
	return nil
}

// common wraps every route: request id, the headers every answer carries,
// the body limit, panic recovery and the access log.
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID.MatchString(id) {
			id = newRequestID()
		}
		ctx := orgs.WithRequestID(context.WithValue(r.Context(), requestIDKey, id), id)
		r = r.WithContext(ctx)

		h := w.Header()
		rw := &recorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rw.status == 0 {
					s.fail(rw, r, errors.New("panic"))
				}
			}
			elapsed := time.Since(start)
			s.metrics.observe(r, rw.route, rw.status, elapsed)
			s.log.InfoContext(ctx, "request",
				"request_id", id, "method", clip(r.Method, 32), "path", clip(r.URL.EscapedPath(), 2048), "route", rw.route,
				"status", rw.status, "bytes", rw.bytes, "duration_ms", float64(elapsed.Microseconds())/1000)
		}()

		if s.baseURL == "" && !validHost(r.Host) {
			// The answer would name this host (Link, documents, the Swagger
			// page's policy): refuse it rather than reflect it.
			h.Set("X-Request-ID", id)
			h.Set("Link", hydra.DocsLink(""))
			h.Set("X-Content-Type-Options", "nosniff")
			problems.Write(rw, r, problems.BadRequest(fmt.Sprintf("The Host header must be a host name or an IP address, with an optional port: %q given.", clip(r.Host, 255))),
				hydra.ProblemsAsLinkedData(r.Header.Get("Accept")), id, "")
			return
		}
		setCORS(h, r)
		if isPreflight(r) {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			rw.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("X-Request-ID", id)
		h.Set("Orgraph-Version", store.LatestVersion())
		h.Set("Link", hydra.DocsLink(s.base(r)))
		if s.mercure {
			h.Add("Link", mercureLink(s.base(r)))
		}
		h.Set("Vary", "Accept")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "deny")

		if !cleanPath(r) { // names nothing; see cleanPath and wantsExplorer
			s.fail(rw, r, problems.NoRoute(r.Method, s.base(r)+r.URL.RequestURI()))
			return
		}
		if wantsExplorer(r) {
			explorer.ServePage(rw, r)
			return
		}
		if !unmetered[r.URL.Path] {
			r = s.identify(r)
			if err := s.limit(rw, r); err != nil {
				s.fail(rw, r, err)
				return
			}
		}
		if f, path, err := splitSuffix(r.URL.Path); err != nil {
			s.fail(rw, r, err)
			return
		} else if path != r.URL.Path {
			r.URL.Path, r.URL.RawPath = path, ""
			r = r.WithContext(context.WithValue(r.Context(), formatKey, f))
		}
		if r.ContentLength > MaxBodyBytes {
			s.fail(rw, r, tooLarge())
			return
		}
		if v := strings.TrimSpace(r.Header.Get("Orgraph-Version")); v != "" {
			if err := checkVersion(v); err != nil {
				s.fail(rw, r, err)
				return
			}
			h.Set("Orgraph-Version", v)
		}
		r.Body = http.MaxBytesReader(rw, r.Body, MaxBodyBytes)
		next.ServeHTTP(rw, r)
	})
}

// CORS: browser clients (API Platform Admin, the JSON-LD Playground, the
// explorer) run on other origins. Keys travel in headers, never cookies, so
// any origin may call and no credentials mode is needed.
const (
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Idempotency-Key, If-Match, If-None-Match, Orgraph-Version, X-API-Key, X-Request-ID"
	corsExposeHeaders = "Link, Location, Content-Location, ETag, X-Request-ID, Idempotent-Replayed, RateLimit, RateLimit-Policy, Retry-After, Accept-Patch, Accept-Post, Allow, Orgraph-Version, X-Total-Count"
	corsAllowMethods  = "GET, HEAD, POST, PATCH, DELETE, OPTIONS"
)

func setCORS(h http.Header, r *http.Request) {
	if r.Header.Get("Origin") == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
}

// isPreflight is a CORS preflight: answered on every path, before routing
// and authentication (API Platform Admin preflights every request, GETs
// included, because it sends Content-Type: application/ld+json).
func isPreflight(r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	return true
}

// splitSuffix reads a format extension off the last path segment, as API
// Platform's {._format} routes do: /api/organizations/{id}.jsonld. Ids never
// contain dots, so any other extension is an unknown format (404).
func splitSuffix(path string) (hydra.Format, string, error) {
	if path == hydra.DocsPath || path == hydra.OpenAPIPath || strings.HasPrefix(path, explorer.AssetsPath) || swaggerui.Owns(path) {
		return hydra.JSONLD, path, nil
	}
	last := path[strings.LastIndexByte(path, '/')+1:]
	dot := strings.LastIndexByte(last, '.')
	if dot < 0 {
		return hydra.JSONLD, path, nil
	}
	ext := last[dot+1:]
	f, ok := hydra.Suffixes[ext]
	if !ok || swaggerui.Owns(path[:len(path)-len(ext)-1]) { // the Swagger UI page has no formats
		return hydra.JSONLD, path, problems.Newf(http.StatusNotFound, "Format %q is not supported", ext)
	}
	return f, path[:len(path)-len(ext)-1], nil
}

func tooLarge() *problems.Problem {
	return problems.Newf(http.StatusRequestEntityTooLarge, "The request body must not be larger than %d bytes.", MaxBodyBytes)
}

// clip bounds client text in a log line: the escaped path of a request
// target of raw bytes, written by the JSON log as \ufffd escapes, made lines
// six times the size of the request.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// principal is the authenticated caller: the API key presented, or the
// OpenID Connect token, and the user and mode it acts as, which is all the
// domain needs to know.
type principal struct {
	orgs.Caller
}

func caller(ctx context.Context) *principal { return ctx.Value(principalKey).(*principal) }

// readOnly says whether the key or token may only read (scope "read"):
// authenticated refuses its writes, and documents offer it no operation.
func (p *principal) readOnly() bool { return p.ReadOnly() }

// grant names what is kept per caller (the rate limiter's bucket, the
// document cache's entries): the API key, or for a token its user. Every
// token of the server has the same mode and scope, so that a user's tokens
// are one grant: the one person, signed in again and again.
func (p *principal) grant() string {
	if p.Key != nil {
		return "key:" + p.Key.ID.String()
	}
	return "user:" + p.User.ID.String()
}

// credential is the credential the request presents, "" when none, and
// whether it came as "Authorization: Bearer", where an OpenID Connect
// token may come too (X-API-Key, by its name, carries keys only).
func credential(r *http.Request) (secret string, bearer bool, err error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false, problems.Unauthorized(`The Authorization header must be "Bearer <API key>".`)
		}
		return strings.TrimSpace(token), true, nil
	}
	if key := r.Header.Get("X-API-Key"); key != "" || r.URL.Path != MercurePath {
		return key, false, nil
	}
	// A Mercure subscriber in a browser (EventSource) cannot send headers:
	// the specification's query parameter and cookie carry the credential.
	if key := r.URL.Query().Get("authorization"); key != "" {
		return key, true, nil
	}
	if c, err := r.Cookie("mercureAuthorization"); err == nil {
		return c.Value, true, nil
	}
	return "", false, nil
}

// identify checks the presented API key or token before routing, so that
// the rate limiter knows whose bucket to charge. A missing or bad
// credential is not refused here (documentation stays public):
// authenticated refuses it on the routes that need one.
func (s *Server) identify(r *http.Request) *http.Request {
	secret, bearer, err := credential(r)
	if err == nil && secret == "" {
		return r
	}
	ctx := r.Context()
	var p *principal
	if err == nil {
		// A JSON Web Token has dots; an API key (og_live_…) has none.
		if bearer && oidctoken.LooksLikeJWT(secret) {
			p, err = s.identifyToken(ctx, secret)
		} else {
			p, err = s.identifyKey(ctx, secret)
		}
	}
	if err != nil {
		return r.WithContext(context.WithValue(ctx, authErrorKey, err))
	}
	return r.WithContext(context.WithValue(ctx, principalKey, p))
}

func (s *Server) identifyKey(ctx context.Context, secret string) (*principal, error) {
	key, err := s.db.Authenticate(ctx, secret)
	if errors.Is(err, store.ErrInvalidKey) {
		return nil, problems.InvalidToken("The API key is not valid.")
	}
	if err != nil {
		return nil, err
	}
	return &principal{Caller: orgs.Caller{User: key.Edges.User, Mode: string(key.Mode), Key: key}}, nil
}

// identifyToken checks an OpenID Connect token with the issuer's keys and
// finds the user of its account (store.UserOfIdentity: linked once by a
// verified email). The caller acts in the configured mode and scope until
// the token expires. Nothing here quotes or logs the token.
func (s *Server) identifyToken(ctx context.Context, raw string) (*principal, error) {
	if s.oidc == nil {
		return nil, problems.InvalidToken("The bearer token is a JSON Web Token, and this server accepts none: send an API key (og_live_… or og_test_…).")
	}
	claims, err := s.oidc.Verifier.Verify(ctx, raw)
	var refused *oidctoken.InvalidError
	var down *oidctoken.UnavailableError
	switch {
	case errors.As(err, &refused):
		return nil, problems.InvalidToken(refused.Reason)
	case errors.As(err, &down):
		return nil, issuerUnavailable(down.RetryAfter)
	case err != nil:
		return nil, err
	}
	u, err := s.db.UserOfIdentity(ctx, store.Identity{
		Issuer: claims.Issuer, Subject: claims.Subject,
		Email: claims.Email, EmailVerified: claims.EmailVerified, Name: claims.Name, Mode: s.oidc.Mode,
	})
	switch {
	case errors.Is(err, store.ErrUnlinkedIdentity):
		return nil, problems.InvalidToken("No user has this account of the issuer yet, and the token carries no verified email address to link it to one " +
			"(the email claim, with email_verified true): an unverified address could be anyone's.")
	case errors.Is(err, mailaddr.ErrInvalid):
		return nil, problems.InvalidToken("The token's verified email address is not one Orgraph takes: " + mailaddr.Rule + ".")
	case err != nil:
		return nil, err
	}
	grant := &orgs.Token{Issuer: claims.Issuer, Subject: claims.Subject, Scope: s.oidc.Scope, ExpiresAt: claims.Expiry}
	return &principal{Caller: orgs.Caller{User: u, Mode: s.oidc.Mode, Token: grant}}, nil
}

// issuerUnavailable answers a token that could not be checked: the
// issuer's discovery document or keys could not be read. It is neither
// accepted nor refused; API keys still work.
func issuerUnavailable(retry time.Duration) *problems.Problem {
	seconds := int64(math.Ceil(retry.Seconds()))
	if seconds < 1 {
		seconds = 1
	}
	return problems.New(http.StatusServiceUnavailable, "The OpenID Connect issuer could not be reached to check the bearer token: retry after Retry-After seconds, or use an API key.").
		With("Retry-After", strconv.FormatInt(seconds, 10))
}

// authenticated requires an API key (Authorization: Bearer or X-API-Key,
// checked by identify) or a token of the OpenID Connect issuer; a
// read-scoped key or token may only read.
func (s *Server) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err, _ := r.Context().Value(authErrorKey).(error); err != nil {
			return err
		}
		p, _ := r.Context().Value(principalKey).(*principal)
		if p == nil {
			if s.oidc != nil {
				return problems.Unauthorized("An API key or a token of the OpenID Connect issuer is required: send it as \"Authorization: Bearer <key or token>\" (a key may come as \"X-API-Key: <key>\").")
			}
			return problems.Unauthorized("An API key is required: send it as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\".")
		}
		if p.readOnly() && r.Method != http.MethodGet && r.Method != http.MethodHead {
			if p.Token != nil {
				return problems.Forbidden(`This server gives the OpenID Connect issuer's tokens the "read" scope: they may only GET and HEAD. Use an API key with the "write" scope.`)
			}
			return problems.Forbidden(`This API key is read-only (scope "read"): it may only GET and HEAD. Use a key with the "write" scope.`)
		}
		if p.Key != nil && p.Key.Version != "" && r.Header.Get("Orgraph-Version") == "" {
			w.Header().Set("Orgraph-Version", p.Key.Version) // the key's pin
		}
		return s.idempotent(w, r, p, h)
	}
}

var versionPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// checkVersion accepts a supported Orgraph-Version; anything else is a 400
// that names the supported versions.
func checkVersion(v string) error {
	supported := strings.Join(store.Versions, ", ")
	if _, err := time.Parse(time.DateOnly, v); err != nil || !versionPattern.MatchString(v) {
		return problems.BadRequest(fmt.Sprintf("The Orgraph-Version header must be a date (YYYY-MM-DD), %q given. Supported versions: %s.", v, supported))
	}
	if !store.SupportedVersion(v) {
		return problems.BadRequest(fmt.Sprintf("Orgraph-Version %s is not supported. Supported versions: %s.", v, supported))
	}
	return nil
}
