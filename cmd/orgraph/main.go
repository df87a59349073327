// Command orgraph runs the Orgraph API server and its administration tasks.
//
//	orgraph serve [--addr 127.0.0.1:8080] [--db sqlite:orgraph.db | postgres://…] [--base-url URL]
//	              [--require-if-match] [--rate-limit 600] [--rate-window 1m] [--redis redis://…]
//	orgraph migrate [--db …] [--to VERSION]
//	orgraph keys create --email E [--name N] [--mode live|test] [--scope write|read] [--version YYYY-MM-DD] [--db …]
//	orgraph bench [--orgs 10000] [--members 5] [--connections 32] [--duration 10s] [--warmup 1s] [--db …]
//	              [--scenarios a,b] [--json FILE] [--profile DIR]
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
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/ratelimit"
	"github.com/orgraph/orgraph/store"
)

const usage = `usage:
  orgraph serve [--addr 127.0.0.1:8080] [--db sqlite:orgraph.db | postgres://…] [--base-url URL]
                [--require-if-match] [--rate-limit 600] [--rate-window 1m] [--redis redis://…] [--cache-size 32]
  orgraph migrate [--db …] [--to VERSION]
  orgraph keys create --email E [--name N] [--mode live|test] [--scope write|read] [--version YYYY-MM-DD] [--db …]
  orgraph bench [--orgs 10000] [--members 5] [--connections 32] [--duration 10s] [--warmup 1s] [--db …]
                [--scenarios a,b] [--json FILE] [--profile DIR] [--serve-args "--cache-size 0"]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "orgraph:", err)
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("bad usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "keys":
		if len(args) < 2 || args[1] != "create" {
			return errUsage
		}
		return createKey(ctx, args[2:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", env("ORGRAPH_DB", store.DefaultDB), "database: sqlite:PATH or postgres://… (ORGRAPH_DB)")
	return fs, db
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
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
	return db, nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dsn := newFlags("migrate", stderr)
	to := fs.String("to", "", "apply migrations up to this version only (default: all)")
	if err := parse(fs, args); err != nil {
		return err
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

func createKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dsn := newFlags("keys create", stderr)
	var k store.NewKey
	fs.StringVar(&k.Email, "email", "", "the key owner's email (the user is created on first use)")
	fs.StringVar(&k.Name, "name", "", "a name for the key")
	fs.StringVar(&k.Mode, "mode", "live", "live or test")
	fs.StringVar(&k.Scope, "scope", "write", "write or read")
	fs.StringVar(&k.Version, "version", "", "pin the key to an Orgraph-Version (YYYY-MM-DD; default: follow the latest)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if k.Email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	// The address is checked before the database is opened, and printed
	// as it is stored.
	email, err := mailaddr.Normalize(k.Email)
	if err != nil {
		return fmt.Errorf("keys create: --email: %w", err)
	}
	k.Email = email
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

// cacheSize turns --cache-size into bytes. The document cache is only
// fresh while this process sees every write (handlers/cache.go).
func cacheSize(mib int, db *store.DB) (int64, error) {
	switch {
	case mib < -1:
		return 0, fmt.Errorf("%w: --cache-size must be 0 or more", errUsage)
	case mib == -1 && db.SingleProcess():
		return defaultCacheMiB << 20, nil
	case mib == -1 || mib == 0:
		return 0, nil
	case !db.SingleProcess():
		return 0, fmt.Errorf("%w: --cache-size: the document cache needs a database this process alone writes (SQLite); other replicas' writes would not reach it", errUsage)
	}
	return int64(mib) << 20, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dsn := newFlags("serve", stderr)
	addr := fs.String("addr", env("ORGRAPH_ADDR", "127.0.0.1:8080"), "listen address (ORGRAPH_ADDR)")
	baseURL := fs.String("base-url", env("ORGRAPH_BASE_URL", ""), "public base URL, e.g. https://api.example.com (ORGRAPH_BASE_URL); default: from each request's Host")
	requireIfMatch := fs.Bool("require-if-match", false, "answer PATCH and DELETE without If-Match with 428")
	rateLimit := fs.Int("rate-limit", envInt("ORGRAPH_RATE_LIMIT", ratelimit.DefaultQuota), "requests per --rate-window for each API key (each client address without one); 0 turns limiting off (ORGRAPH_RATE_LIMIT)")
	rateWindow := fs.Duration("rate-window", ratelimit.DefaultWindow, "the rate limit's window: the bucket refills --rate-limit tokens in this time")
	readHeaderTimeout := fs.Duration("read-header-timeout", 10*time.Second, "time a client has to send the request headers")
	readTimeout := fs.Duration("read-timeout", 30*time.Second, "time a client has to send the whole request, body included")
	writeTimeout := fs.Duration("write-timeout", 60*time.Second, "time to answer a request, from the end of its headers")
	idleTimeout := fs.Duration("idle-timeout", 120*time.Second, "time an idle keep-alive connection stays open")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM/SIGINT, how long in-flight requests may take to finish")
	idempotencyTTL := fs.Duration("idempotency-ttl", schema.IdempotencyTTL, "how long answers are kept for Idempotency-Key retries")
	idempotencyKeys := fs.Int("idempotency-keys", envInt("ORGRAPH_IDEMPOTENCY_KEYS", handlers.DefaultIdempotencyKeys),
		fmt.Sprintf("Idempotency-Key answers kept per key owner and mode: past it a new key drops the oldest answer older than %s, or is refused with 429 while none is (ORGRAPH_IDEMPOTENCY_KEYS)", handlers.IdempotencyMinRetention))
	var pool store.Options
	fs.IntVar(&pool.MaxOpenConns, "db-max-open-conns", 0, fmt.Sprintf("most database connections this replica opens (default %d on PostgreSQL, %d on SQLite)", store.DefaultPostgresMaxOpenConns, store.DefaultSQLiteMaxOpenConns))
	fs.IntVar(&pool.MaxIdleConns, "db-max-idle-conns", 0, fmt.Sprintf("idle database connections kept (default %d on PostgreSQL)", store.DefaultPostgresMaxIdleConns))
	fs.DurationVar(&pool.ConnMaxLifetime, "db-conn-max-lifetime", store.DefaultConnMaxLifetime, "a database connection is replaced after this long")
	redisURL := fs.String("redis", env("ORGRAPH_REDIS_URL", ""), "redis://… to share rate limits between replicas (ORGRAPH_REDIS_URL); default: in process")
	cacheMiB := fs.Int("cache-size", -1, fmt.Sprintf("MiB of rendered documents kept until the next write (default %d on SQLite; 0 turns it off; refused on PostgreSQL, where other replicas write)", defaultCacheMiB))
	pprofAddr := fs.String("pprof", "", "serve Go's pprof profiles on this separate address (e.g. 127.0.0.1:6060; never a public one); default: off")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *baseURL != "" {
		if err := handlers.CheckBaseURL(*baseURL); err != nil {
			return fmt.Errorf("%w: --base-url: %w", errUsage, err)
		}
	}
	if *rateLimit < 0 || *rateWindow <= 0 {
		return fmt.Errorf("%w: --rate-limit must be 0 or more and --rate-window positive", errUsage)
	}
	if *idempotencyKeys <= 0 {
		return fmt.Errorf("%w: --idempotency-keys must be positive", errUsage)
	}
	for name, d := range map[string]time.Duration{"read-header-timeout": *readHeaderTimeout, "read-timeout": *readTimeout, "write-timeout": *writeTimeout, "idle-timeout": *idleTimeout, "idempotency-ttl": *idempotencyTTL, "shutdown-timeout": *shutdownTimeout} {
		if d <= 0 {
			return fmt.Errorf("%w: --%s must be positive", errUsage, name)
		}
	}
	logs := newLogBuffer(stderr, logFlushDelay)
	defer logs.Close()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	policy := ratelimit.Policy{Name: ratelimit.DefaultName, Quota: *rateLimit, Window: *rateWindow}
	var limiter ratelimit.Limiter = ratelimit.NewMemory(policy, nil)
	if *redisURL != "" {
		client, err := ratelimit.OpenRedis(ctx, *redisURL)
		if err != nil {
			return err
		}
		defer client.Close()
		limiter = ratelimit.NewRedis(policy, client, "orgraph:ratelimit:", nil)
	}
	if pool.MaxOpenConns < 0 || pool.MaxIdleConns < 0 || pool.ConnMaxLifetime <= 0 {
		return fmt.Errorf("%w: the --db-* pool settings must be positive", errUsage)
	}
	db, err := openMigratedWith(ctx, *dsn, pool)
	if err != nil {
		return err
	}
	defer db.Close()
	cacheBytes, err := cacheSize(*cacheMiB, db)
	if err != nil {
		return err
	}
	tuneGC(cacheBytes)
	secret, err := db.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if secret != "" {
		fmt.Fprintf(stdout, "Empty database: created a live key for %s. It is shown only once:\n%s\n", store.BootstrapEmail, secret)
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
	srv := &http.Server{
		Handler:           handlers.New(handlers.Config{DB: db, BaseURL: strings.TrimRight(*baseURL, "/"), Logger: log, RequireIfMatch: *requireIfMatch, Limiter: limiter, IdempotencyTTL: *idempotencyTTL, IdempotencyKeys: *idempotencyKeys, CacheBytes: cacheBytes}),
		ReadHeaderTimeout: *readHeaderTimeout,
		ReadTimeout:       *readTimeout,
		WriteTimeout:      *writeTimeout,
		IdleTimeout:       *idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", db.Dialect)
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
