// Package handlers is Orgraph's HTTP layer: one routes file, middleware, and
// one thin file per resource that translates requests into calls of the
// domain (package orgs) and its answers and errors into documents: decode,
// then in a transaction enter the organization, check the precondition,
// call the domain; then encode.
package handlers

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/internal/oidctoken"
	"github.com/orgraph/orgraph/internal/sealed"
	"github.com/orgraph/orgraph/internal/webhooks"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/ratelimit"
	"github.com/orgraph/orgraph/store"
)

// Config is what the server needs from its caller.
type Config struct {
	DB *store.DB
	// BaseURL is the public scheme and host ("https://api.example.com"); when
	// empty it is taken from each request's Host.
	BaseURL string
	Logger  *slog.Logger
	// RequireIfMatch answers PATCH and DELETE without If-Match with 428.
	RequireIfMatch bool
	// Limiter limits requests per API key (per client address without
	// one). Nil: the default policy, in process; a zero quota: no limits.
	Limiter ratelimit.Limiter
	// AcceptLimiter limits attempts to accept an invitation by token, per
	// client address (each is a guess at a token). Nil: the default
	// policy (ratelimit.AcceptQuota per AcceptWindow), in process; a zero
	// quota: no limit.
	AcceptLimiter ratelimit.Limiter
	// IdempotencyTTL is how long answers are kept for Idempotency-Key
	// retries; zero means schema.IdempotencyTTL (24 h).
	IdempotencyTTL time.Duration
	// EventRetention is how long events are kept; zero means
	// DefaultEventRetention, negative forever.
	EventRetention time.Duration
	// Mercure advertises the Mercure hub (MercurePath) in every answer's
	// Link header (rel="mercure"), where API Platform Admin discovers it.
	// The hub answers either way; the link is opt-in because a client
	// that follows it must authenticate there too (docs/api.md).
	Mercure bool
	// StreamHeartbeat is how often an idle event stream sends a comment;
	// zero means HeartbeatPeriod.
	StreamHeartbeat time.Duration
	// SecretsKey seals the secrets the server must read back (webhook
	// signing secrets, invitation events' accept tokens); without it,
	// webhook endpoints cannot be made and events keep no token.
	SecretsKey sealed.Key
	// WebhooksAllowPrivate lets webhooks go to loopback, private and
	// link-local addresses (development and tests).
	WebhooksAllowPrivate bool
	// WebhookRetries is the deliveries' retry policy; nil means
	// orgs.DefaultRetries.
	WebhookRetries *orgs.Retries
	// WebhookLease is how long a deliverer holds an endpoint; zero means
	// DefaultWebhookLease.
	WebhookLease time.Duration
	// Resolver looks up domains' TXT records; nil means the system's.
	Resolver orgs.TXTResolver
	// IdempotencyKeys bounds the answers kept per key owner and mode (see
	// store/idempotency.go for what happens past it); zero means
	// DefaultIdempotencyKeys.
	IdempotencyKeys int
	// CacheBytes bounds the document cache (see cache.go); zero turns it
	// off. It stays off on a database other processes write (PostgreSQL).
	CacheBytes int64
	// Now is the clock of Idempotency-Key expiry (time.Now when nil; tests
	// move it by hand).
	Now func() time.Time
	// OIDC, when set, accepts the JSON Web Tokens of an OpenID Connect
	// issuer as bearer tokens beside API keys.
	OIDC *OIDC
}

// OIDC is how the server takes an OpenID Connect issuer's tokens.
type OIDC struct {
	Verifier *oidctoken.Verifier
	// Mode ("live" or "test") is the mode every token acts in, and Scope
	// ("write" or "read") what it may do: a token says who its holder is,
	// not what they may do here, so both are the server's configuration.
	Mode, Scope string
}

// Server serves the API.
type Server struct {
	db      *store.DB
	orgs    *orgs.Service
	api     *hydra.Registry
	baseURL string
	log     *slog.Logger
	metrics *metrics
	router  http.Handler
	// requireIfMatch: see Config.
	requireIfMatch bool
	limiter        ratelimit.Limiter
	acceptLimiter  ratelimit.Limiter
	idempotencyTTL time.Duration
	eventRetention time.Duration
	// tail wakes the live event streams; stopStreams ends them;
	// sharedReads lets one caller's Mercure subscriptions share reads.
	tail        *tail
	sharedReads sharedReads
	heartbeat   time.Duration
	// secrets seals webhook secrets; sender posts deliveries.
	secrets      sealed.Key
	mercure      bool // advertise the Mercure hub
	sender       *webhooks.Sender
	webhookLease time.Duration
	deliverer    *deliverer
	stopStreams  chan struct{}
	stopOnce     sync.Once
	now          func() time.Time
	openAPIDoc   openAPICache
	cache        *otter.Cache[string, *cachedAnswer]
	cacheEmptied atomic.Uint64 // the store's EverythingChanged when the cache was last emptied
	cacheShapes  headerShapes
	// lastPurge is when expired idempotency records were last deleted (UnixNano).
	lastPurge atomic.Int64

	// idempotencyKeys: see Config.IdempotencyKeys.
	idempotencyKeys int
	oidc            *OIDC // see Config.OIDC
}

// New builds the server's handler.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{db: cfg.DB, orgs: orgs.NewService(cfg.DB.Client, cfg.DB, cfg.DB.Dialect), api: hydra.API, baseURL: cfg.BaseURL, log: log, metrics: newMetrics(), requireIfMatch: cfg.RequireIfMatch}
	s.orgs.SetDocuments(eventDocuments{})
	s.stopStreams = make(chan struct{})
	s.secrets = cfg.SecretsKey
	if !cfg.SecretsKey.IsZero() {
		s.orgs.SetSealer(cfg.SecretsKey)
	}
	s.sender = webhooks.NewSender(webhooks.Options{AllowPrivate: cfg.WebhooksAllowPrivate, Timeout: WebhookTimeout, UserAgent: "Orgraph-Webhooks/1"})
	if cfg.WebhookRetries != nil {
		s.orgs.SetRetries(*cfg.WebhookRetries)
	}
	s.deliverer = newDeliverer()
	s.webhookLease = cfg.WebhookLease
	if s.webhookLease <= 0 {
		s.webhookLease = DefaultWebhookLease
	}
	s.heartbeat = cfg.StreamHeartbeat
	s.mercure = cfg.Mercure
	if s.heartbeat <= 0 {
		s.heartbeat = HeartbeatPeriod
	}
	s.tail = newTail(s.orgs, func(msg string, err error) { log.Warn(msg, "error", err.Error()) })
	cfg.DB.SetRecorder(s.orgs.RecordBySystem)
	cfg.DB.SetEnroller(s.orgs.Enroll)
	if cfg.Resolver != nil {
		s.orgs.SetResolver(cfg.Resolver)
	}
	s.now = cfg.Now
	s.oidc = cfg.OIDC
	if s.now == nil {
		s.now = time.Now
	}
	s.eventRetention = cfg.EventRetention
	if s.eventRetention == 0 {
		s.eventRetention = DefaultEventRetention
	}
	s.idempotencyTTL = cfg.IdempotencyTTL
	if s.idempotencyTTL <= 0 {
		s.idempotencyTTL = schema.IdempotencyTTL
	}
	s.idempotencyKeys = cfg.IdempotencyKeys
	if s.idempotencyKeys <= 0 {
		s.idempotencyKeys = DefaultIdempotencyKeys
	}
	s.limiter = cfg.Limiter
	if s.limiter == nil {
		s.limiter = ratelimit.NewMemory(ratelimit.Policy{Name: ratelimit.DefaultName, Quota: ratelimit.DefaultQuota, Window: ratelimit.DefaultWindow}, nil)
	}
	s.acceptLimiter = cfg.AcceptLimiter
	if s.acceptLimiter == nil {
		s.acceptLimiter = ratelimit.NewMemory(ratelimit.Policy{Name: ratelimit.AcceptName, Quota: ratelimit.AcceptQuota, Window: ratelimit.AcceptWindow}, nil)
	}
	if s.cache = newDocumentCache(cfg.CacheBytes); s.cache != nil {
		// Other replicas' writes reach the change log through their events.
		cfg.DB.FollowReplicas(func(msg string, err error) { s.log.Warn(msg, "error", err.Error()) })
	}
	s.router = s.common(s.routes())
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// base is the absolute URL prefix for Link headers and @vocab.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
