// Command orgraph runs the Orgraph API server and its administration tasks.
//
//	orgraph serve [flags]                      run the API server (every flag has an ORGRAPH_… variable)
//	orgraph migrate [--db DSN] [--to VERSION]  apply the database migrations
//	orgraph keys create --email ADDRESS [flags]
//	orgraph bench [flags]                      measure the server under load
//	orgraph healthcheck [--addr ADDRESS]       GET /healthz of a running server (container health checks)
//	orgraph version                            the module version and VCS revision
//
// `orgraph help COMMAND` or `orgraph COMMAND -h` prints a command's flags;
// the commands are declared in cli.go.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/internal/oidctoken"
	"github.com/orgraph/orgraph/internal/sealed"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/ratelimit"
	"github.com/orgraph/orgraph/store"
	"github.com/orgraph/orgraph/swaggerui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dbFlag is the --db flag the commands that open a database share.
func dbFlag(fs *flags) *string {
	return fs.String("db", store.DefaultDB, "the database `DSN`: sqlite:PATH or postgres://…")
}

func openMigrated(ctx context.Context, dsn string) (*store.DB, error) {
	return openMigratedWith(ctx, dsn, store.Options{})
}

func openMigratedWith(ctx context.Context, dsn string, opt store.Options) (*store.DB, error) {
	db, err := store.OpenWith(ctx, dsn, opt)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// What the command line changes (keys, the bootstrap key) is recorded
	// as events too, by the system.
	db.SetRecorder(handlers.EventRecorder(db))
	return db, nil
}

func migrate(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c)
	dsn := dbFlag(fs)
	to := fs.String("to", "", "apply the migrations up to this `version` only; default: all")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := store.CheckDSN(*dsn); err != nil {
		return usagef("%s: %w", fs.origin("db"), err)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	done, err := db.MigrateTo(ctx, *to)
	if err != nil {
		return err
	}
	all, err := store.Migrations(db.Dialect)
	if err != nil {
		return err
	}
	for _, v := range done {
		for _, m := range all {
			if m.Version == v {
				fmt.Fprintf(stdout, "applied %s_%s\n", m.Version, m.Description)
			}
		}
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	if len(applied) == len(all) {
		fmt.Fprintf(stdout, "database is up to date: %d migrations, the latest %s\n", len(applied), applied[len(applied)-1])
	} else {
		fmt.Fprintf(stdout, "database is at %s: %d of %d migrations applied\n", applied[len(applied)-1], len(applied), len(all))
	}
	return nil
}

func createKey(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c)
	dsn := dbFlag(fs)
	var k store.NewKey
	fs.StringVar(&k.Email, "email", "", "the key owner's email `address` (required; the user is created on first use)")
	fs.StringVar(&k.Name, "name", "", "a `name` for the key")
	fs.StringVar(&k.Mode, "mode", "live", "the key's mode, `live|test`: which data it sees, and its prefix")
	fs.StringVar(&k.Scope, "scope", "write", "the key's scope, `write|read|operator`: what it may do (operator: the platform's backend key, which makes users and keys for them)")
	fs.StringVar(&k.Version, "version", "", "pin the key to an Orgraph-Version (`YYYY-MM-DD`); default: follow the latest")
	createDB := fs.Bool("create-db", false, "create the SQLite file if it does not exist")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if k.Email == "" {
		return usagef("--email is required")
	}
	if err := store.CheckDSN(*dsn); err != nil {
		return usagef("%s: %w", fs.origin("db"), err)
	}
	// The address is checked before the database is opened, and printed
	// as it is stored.
	email, err := mailaddr.Normalize(k.Email)
	if err != nil {
		return fmt.Errorf("--email: %w", err)
	}
	k.Email = email
	// A key is only useful to the server that reads its database: a
	// mistyped path would otherwise become a new, empty database holding
	// a key no server accepts.
	if !*createDB {
		if err := databaseExists(fs, *dsn, ", or pass --create-db to create it here"); err != nil {
			return err
		}
	}
	db, err := openMigrated(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := db.CreateKey(ctx, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created a %s %s key for %s. It is shown only once:\n%s\n", k.Mode, k.Scope, k.Email, secret)
	return nil
}

// defaultCacheMiB: about 27,000 documents of an organization of five members
// (2.7 KB sent, 1.2 KB kept): the bench's 10,000 organizations and their
// member lists, for 30 MB more peak RSS (Go's heap holds up to twice its live data).
const defaultCacheMiB = 32

// autoInt is an int flag whose default depends on what is known only
// later (the database), so that the usage can say so rather than print a
// sentinel such as -1.
type autoInt struct {
	n   int
	set bool
}

func (a *autoInt) String() string {
	if a == nil || !a.set {
		return ""
	}
	return strconv.Itoa(a.n)
}

func (a *autoInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("want a whole number")
	}
	a.n, a.set = n, true
	return nil
}

// cacheSize turns --cache-size (checked not negative) into bytes. On
// PostgreSQL the document cache learns of other replicas' writes from
// their events (store/replicas.go).
func cacheSize(mib autoInt) int64 {
	if !mib.set {
		return defaultCacheMiB << 20
	}
	return int64(mib.n) << 20
}

// serve is `orgraph serve`. Every flag has an ORGRAPH_… variable
// (command.envVar): a container or a unit file configures it without a
// command line.
func serve(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c)
	dsn := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "the `address` to listen on (port 0: any free port)")
	baseURL := fs.String("base-url", "", "the public base `URL`, e.g. https://api.example.com; default: from each request's Host")
	requireIfMatch := fs.Bool("require-if-match", false, "answer PATCH and DELETE without If-Match with 428")
	rateLimit := fs.Int("rate-limit", ratelimit.DefaultQuota, "`requests` per --rate-window for each API key (each client address without one); 0 turns limiting off")
	acceptRateLimit := fs.Int("accept-rate-limit", ratelimit.AcceptQuota, fmt.Sprintf("`attempts` to accept an invitation by token per %s for each client address (each attempt is a guess at a token); 0 turns this limit off", shortDuration(ratelimit.AcceptWindow)))
	rateWindow := fs.Duration("rate-window", ratelimit.DefaultWindow, "the rate limit's window: the bucket refills --rate-limit tokens in this time")
	readHeaderTimeout := fs.Duration("read-header-timeout", 10*time.Second, "time a client has to send the request headers")
	readTimeout := fs.Duration("read-timeout", 30*time.Second, "time a client has to send the whole request, body included")
	writeTimeout := fs.Duration("write-timeout", 60*time.Second, "time to answer a request, from the end of its headers")
	idleTimeout := fs.Duration("idle-timeout", 120*time.Second, "time an idle keep-alive connection stays open")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM/SIGINT, how long in-flight requests may take to finish")
	idempotencyTTL := fs.Duration("idempotency-ttl", schema.IdempotencyTTL, "how long answers are kept for Idempotency-Key retries")
	eventRetention := fs.Duration("event-retention", handlers.DefaultEventRetention, "how long events are kept; older ones are purged in the background (0 keeps them forever)")
	idempotencyKeys := fs.Int("idempotency-keys", handlers.DefaultIdempotencyKeys,
		fmt.Sprintf("Idempotency-Key `answers` kept per key owner and mode: past it a new key drops the oldest answer older than %s, or is refused with 429 while none is", shortDuration(handlers.IdempotencyMinRetention)))
	var pool store.Options
	fs.IntVar(&pool.MaxOpenConns, "db-max-open-conns", 0, fmt.Sprintf("most database `connections` this replica opens (default %d on PostgreSQL, %d on SQLite)", store.DefaultPostgresMaxOpenConns, store.DefaultSQLiteMaxOpenConns))
	fs.IntVar(&pool.MaxIdleConns, "db-max-idle-conns", 0, fmt.Sprintf("idle database `connections` kept (default %d on PostgreSQL, as many as --db-max-open-conns on SQLite)", store.DefaultPostgresMaxIdleConns))
	fs.DurationVar(&pool.ConnMaxLifetime, "db-conn-max-lifetime", store.DefaultConnMaxLifetime, "a database connection is replaced after this long")
	redisURL := fs.String("redis", "", "a redis://… `URL` to share rate limits between replicas; default: in process")
	var cacheMiB autoInt
	fs.Var(&cacheMiB, "cache-size", fmt.Sprintf("`MiB` of rendered documents kept until a write changes them, on this replica or, within a second, another (default %d; 0 turns it off)", defaultCacheMiB))
	explainFile := fs.String("explain", "", "write the plan of each distinct SQL statement, the first time it is sent, to this `file` (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS), which runs it once more; SQLite: EXPLAIN QUERY PLAN): a diagnostic, e.g. under orgraph bench")
	pprofAddr := fs.String("pprof", "", "serve Go's pprof profiles on this separate loopback `address` (e.g. 127.0.0.1:6060); default: off")
	secretsKey := fs.String("secrets-key", "", "the `key` that seals the secrets kept in the database (webhook signing secrets, the accept tokens invitation events carry for webhooks and operators): 32 bytes as base64 (openssl rand -base64 32) or 64 hex digits, the same on every replica; webhook endpoints cannot be made without it")
	webhookLease := fs.Duration("webhook-lease", handlers.DefaultWebhookLease, "how long a replica holds a webhook endpoint while it delivers to it: longer than an attempt (10s); a replica that dies is replaced after it")
	mercure := fs.Bool("mercure", false, "advertise the Mercure hub (/.well-known/mercure) in every answer's Link header, so that API Platform Admin updates what it shows live; subscribers authenticate with an API key (see docs/api.md)")
	dnsResolver := fs.String("dns-resolver", "", "the DNS server (host:port) domains' TXT records are looked up at; the system's resolver when empty")
	webhooksAllowPrivate := fs.Bool("webhooks-allow-private", false, "let webhooks go to loopback, private and link-local addresses (development only: it lets any endpoint owner reach the server's network)")
	oidcIssuer := fs.String("oidc-issuer", "", "also accept the JSON Web Tokens of this OpenID Connect issuer as bearer tokens (its `URL`, as its tokens' iss claim writes it); needs --oidc-audience")
	oidcAudience := fs.String("oidc-audience", "", "the `audience` a token must name in its aud claim (the dashboard's client id at the issuer, or the API's identifier); needs --oidc-issuer")
	oidcMode := fs.String("oidc-mode", "live", "the mode the issuer's tokens act in, `live|test`")
	oidcScope := fs.String("oidc-scope", "write", "what the issuer's tokens may do, `write|read` (operator power stays with API keys)")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := store.CheckDSN(*dsn); err != nil {
		return usagef("%s: %w", fs.origin("db"), err)
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usagef("%s: %w", fs.origin("addr"), err)
	}
	if *baseURL != "" {
		if err := handlers.CheckBaseURL(*baseURL); err != nil {
			return usagef("%s: %w", fs.origin("base-url"), err)
		}
	}
	// The URL is not quoted back: it may hold a password.
	if u, err := url.Parse(*redisURL); *redisURL != "" && (err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix")) {
		return usagef("%s: want a redis://, rediss:// or unix:// URL", fs.origin("redis"))
	}
	if *pprofAddr != "" {
		if err := checkLoopback(*pprofAddr, fs.origin("pprof")); err != nil {
			return err
		}
	}
	for _, name := range []string{"rate-limit", "accept-rate-limit"} {
		if fs.Lookup(name).Value.(flag.Getter).Get().(int) < 0 {
			return usagef("%s must be 0 or more", fs.origin(name))
		}
	}
	if cacheMiB.set && cacheMiB.n < 0 {
		return usagef("%s must be 0 or more", fs.origin("cache-size"))
	}
	var sealKey sealed.Key
	if *secretsKey != "" {
		k, err := sealed.ParseKey(*secretsKey)
		if err != nil {
			return usagef("%s: %v", fs.origin("secrets-key"), err)
		}
		sealKey = k
	}
	if *eventRetention < 0 {
		return usagef("%s must be 0 (forever) or more", fs.origin("event-retention"))
	}
	if *eventRetention == 0 {
		*eventRetention = -1 // forever, as handlers.Config says it
	}
	if *idempotencyKeys <= 0 {
		return usagef("%s must be positive", fs.origin("idempotency-keys"))
	}
	if err := checkOIDCFlags(fs, *oidcIssuer, *oidcAudience, *oidcMode, *oidcScope); err != nil {
		return err
	}
	if *dnsResolver != "" {
		if host, port, err := net.SplitHostPort(*dnsResolver); err != nil || host == "" || port == "" {
			return usagef("%s must be host:port, such as 127.0.0.1:53; %q given", fs.origin("dns-resolver"), *dnsResolver)
		}
	}
	if *webhookLease <= handlers.WebhookTimeout {
		return usagef("%s must be longer than a delivery attempt (%s)", fs.origin("webhook-lease"), handlers.WebhookTimeout)
	}
	for _, name := range []string{"rate-window", "read-header-timeout", "read-timeout", "write-timeout", "idle-timeout", "idempotency-ttl", "shutdown-timeout", "db-conn-max-lifetime"} {
		if d := fs.Lookup(name).Value.(flag.Getter).Get().(time.Duration); d <= 0 {
			return usagef("%s must be positive", fs.origin(name))
		}
	}
	if *explainFile != "" {
		f, err := os.Create(*explainFile)
		if err != nil {
			return usagef("%s: %v", fs.origin("explain"), err)
		}
		defer f.Close()
		pool.Explain = f
	}
	for _, name := range []string{"db-max-open-conns", "db-max-idle-conns"} {
		if n := fs.Lookup(name).Value.(flag.Getter).Get().(int); n < 0 {
			return usagef("%s must be 0 (the default) or more", fs.origin(name))
		}
	}
	logs := newLogBuffer(stderr, logFlushDelay)
	defer logs.Close()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	var oidc *handlers.OIDC
	if *oidcIssuer != "" {
		var err error
		if oidc, err = startOIDC(ctx, fs, log, *oidcIssuer, *oidcAudience, *oidcMode, *oidcScope); err != nil {
			return err
		}
	}
	policy := ratelimit.Policy{Name: ratelimit.DefaultName, Quota: *rateLimit, Window: *rateWindow}
	var limiter ratelimit.Limiter = ratelimit.NewMemory(policy, nil)
	acceptPolicy := ratelimit.Policy{Name: ratelimit.AcceptName, Quota: *acceptRateLimit, Window: ratelimit.AcceptWindow}
	var acceptLimiter ratelimit.Limiter = ratelimit.NewMemory(acceptPolicy, nil)
	if *redisURL != "" {
		client, err := ratelimit.OpenRedis(ctx, *redisURL)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.origin("redis"), err)
		}
		defer client.Close()
		limiter = ratelimit.NewRedis(policy, client, "orgraph:ratelimit:", nil)
		acceptLimiter = ratelimit.NewRedis(acceptPolicy, client, "orgraph:ratelimit:accept:", nil)
	}
	db, err := openMigratedWith(ctx, *dsn, pool)
	if err != nil {
		return err
	}
	defer db.Close()
	cacheBytes := cacheSize(cacheMiB)
	tuneGC(cacheBytes)
	secret, err := db.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if secret != "" {
		fmt.Fprintf(stdout, "Empty database: created a live operator key for %s (the platform's backend key: it makes users and keys for them). It is shown only once:\n%s\n", store.BootstrapEmail, secret)
	}

	if *pprofAddr != "" {
		stopProfiles, err := servePprof(*pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiles()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	api := handlers.New(handlers.Config{DB: db, BaseURL: strings.TrimRight(*baseURL, "/"), Logger: log, RequireIfMatch: *requireIfMatch, Limiter: limiter, AcceptLimiter: acceptLimiter, IdempotencyTTL: *idempotencyTTL, EventRetention: *eventRetention, SecretsKey: sealKey, WebhooksAllowPrivate: *webhooksAllowPrivate, Mercure: *mercure, WebhookLease: *webhookLease, Resolver: resolverAt(*dnsResolver), IdempotencyKeys: *idempotencyKeys, CacheBytes: cacheBytes, OIDC: oidc})
	sweepCtx, stopSweeping := context.WithCancel(ctx)
	defer stopSweeping()
	go api.Sweep(sweepCtx, sweepPeriod)
	go api.DeliverWebhooks(sweepCtx)
	go api.RecheckDomains(sweepCtx)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: *readHeaderTimeout,
		ReadTimeout:       *readTimeout,
		WriteTimeout:      *writeTimeout,
		IdleTimeout:       *idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", db.Dialect)
	fmt.Fprintln(stdout, whereLine(ln.Addr(), *baseURL))
	// Live event streams never end on their own: a shutdown ends them
	// (their clients reconnect, to another replica or after the restart).
	srv.RegisterOnShutdown(api.StopStreams)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// sweepPeriod is how often a replica records the expiries of invitations
// (the invitation.expired events arrive within it).
const sweepPeriod = 30 * time.Second

// checkOIDCFlags checks the --oidc-… flags: an issuer and an audience
// together or neither (an issuer's tokens without an audience would be
// accepted whichever of its clients they were issued to), the mode and
// the scope among their values, and set only with an issuer.
func checkOIDCFlags(fs *flags, issuer, audience, mode, scope string) error {
	switch {
	case issuer != "" && audience == "":
		return usagef("%s needs %s: the audience the issuer's tokens must name (aud)", fs.origin("oidc-issuer"), fs.envOrFlag("oidc-audience"))
	case issuer == "" && audience != "":
		return usagef("%s needs %s", fs.origin("oidc-audience"), fs.envOrFlag("oidc-issuer"))
	case issuer == "":
		for _, name := range []string{"oidc-mode", "oidc-scope"} {
			if fs.isSet(name) {
				return usagef("%s needs %s", fs.origin(name), fs.envOrFlag("oidc-issuer"))
			}
		}
		return nil
	case mode != "live" && mode != "test":
		return usagef("%s must be live or test", fs.origin("oidc-mode"))
	case scope != "write" && scope != "read":
		return usagef("%s must be write or read (operator power stays with API keys)", fs.origin("oidc-scope"))
	}
	if err := oidctoken.CheckIssuer(issuer); err != nil {
		return usagef("%s: %w", fs.origin("oidc-issuer"), err)
	}
	return nil
}

// startOIDC makes the verifier of the issuer's tokens and reads its
// discovery document once before serving. An issuer that cannot be
// reached does not stop the server (API keys do not need it): the tokens
// get a 503 until a later discovery succeeds, tried again at most every
// few seconds. A document that shows the configuration wrong (it names
// another issuer) does.
func startOIDC(ctx context.Context, fs *flags, log *slog.Logger, issuer, audience, mode, scope string) (*handlers.OIDC, error) {
	verifier, err := oidctoken.New(oidctoken.Config{Issuer: issuer, Audience: audience, Logger: log})
	if err != nil {
		return nil, usagef("%s: %w", fs.origin("oidc-issuer"), err)
	}
	if err := verifier.Discover(ctx); err != nil && !errors.Is(err, oidctoken.ErrIssuerUnreachable) {
		return nil, fmt.Errorf("%s: %w", fs.origin("oidc-issuer"), err)
	}
	return &handlers.OIDC{Verifier: verifier, Mode: mode, Scope: scope}, nil
}

// whereLine tells a person at the terminal where the server is: the address
// it listens on (the real port when --addr asked for port 0) and the pages
// to open in a browser. A wildcard address is reachable as localhost.
func whereLine(addr net.Addr, baseURL string) string {
	base := strings.TrimRight(baseURL, "/")
	if base == "" {
		host, port, err := net.SplitHostPort(addr.String())
		if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
			host = "localhost"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	return fmt.Sprintf("Listening on %s: open %s%s in a browser for the explorer, %s%s for Swagger UI.",
		addr, base, hydra.EntrypointPath, base, swaggerui.Path)
}

// tuneGC: without the document cache the server's heap is small and
// short-lived (each request's rows and documents), so collecting at 4×
// growth rather than Go's 2× takes a third off the CPU of a read (orgraph
// bench: GET item +30%) for a few tens of MB more. The cache is long-lived
// data: at 4× it would cost four times its size in RSS, so with it Go's
// default 2× stays. GOGC (and GOMEMLIMIT) in the environment take precedence.
func tuneGC(cacheBytes int64) {
	if os.Getenv("GOGC") == "" && cacheBytes == 0 {
		debug.SetGCPercent(400)
	}
}

// resolverAt is a resolver that asks the DNS server at addr (host:port),
// or nil (the system's) for "".
func resolverAt(addr string) orgs.TXTResolver {
	if addr == "" {
		return nil
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}
