// Package store opens Orgraph's database (SQLite by default, PostgreSQL for
// several replicas), migrates it, and holds the few data operations the
// command line and the server share: API keys and transactions.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "github.com/mattn/go-sqlite3"    // the "sqlite3" database/sql driver

	"github.com/orgraph/orgraph/ent"
)

// DefaultDB is the database used when none is given.
const DefaultDB = "sqlite:orgraph.db"

// DB is an open database.
type DB struct {
	*ent.Client
	SQL     *sql.DB
	Dialect string
}

// Options tune Open.
type Options struct {
	// Trace, when set, sees every statement the server sends (tests count
	// queries per request with it).
	Trace func(ctx context.Context, statement string)
	// The connection pool; zero values take the defaults below.
	MaxOpenConns, MaxIdleConns       int
	ConnMaxLifetime, ConnMaxIdleTime time.Duration
}

// Pool defaults. PostgreSQL: 20 connections per replica (keep replicas ×
// MaxOpenConns under the server's max_connections, 100 by default),
// recycled every 30 minutes so that a failover or a rebalanced pooler is
// picked up. SQLite: one writer at a time is all it allows; a small pool of
// readers keeps WAL's concurrent reads.
const (
	DefaultPostgresMaxOpenConns = 20
	DefaultPostgresMaxIdleConns = 10
	DefaultSQLiteMaxOpenConns   = 8
	DefaultConnMaxLifetime      = 30 * time.Minute
	DefaultConnMaxIdleTime      = 5 * time.Minute
)

// Open connects to a database named by a DSN: "sqlite:PATH" (or
// "sqlite:file:PATH?…") or a "postgres://" / "postgresql://" URL.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, opt Options) (*DB, error) {
	driver, source, dia, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dia, err)
	}
	maxOpen, maxIdle := DefaultPostgresMaxOpenConns, DefaultPostgresMaxIdleConns
	if dia == dialect.SQLite {
		maxOpen, maxIdle = DefaultSQLiteMaxOpenConns, DefaultSQLiteMaxOpenConns
	}
	db.SetMaxOpenConns(cmp.Or(opt.MaxOpenConns, maxOpen))
	db.SetMaxIdleConns(cmp.Or(opt.MaxIdleConns, maxIdle))
	db.SetConnMaxLifetime(cmp.Or(opt.ConnMaxLifetime, DefaultConnMaxLifetime))
	db.SetConnMaxIdleTime(cmp.Or(opt.ConnMaxIdleTime, DefaultConnMaxIdleTime))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dia, err)
	}
	var drv dialect.Driver = entsql.OpenDB(dia, db)
	if opt.Trace != nil {
		drv = dialect.DebugWithContext(drv, func(ctx context.Context, v ...any) { opt.Trace(ctx, fmt.Sprint(v...)) })
	}
	client := ent.NewClient(ent.Driver(drv))
	return &DB{Client: client, SQL: db, Dialect: dia}, nil
}

func parseDSN(dsn string) (driver, source, dia string, err error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil { // not wrapped: url errors quote the URL, password included
			return "", "", "", errors.New("database: the PostgreSQL URL is malformed")
		}
		// Fail fast when the server is unreachable rather than hang a
		// request (the answer is a 503); the DSN may say otherwise.
		q := u.Query()
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", "5")
			u.RawQuery = q.Encode()
		}
		return "pgx", u.String(), dialect.Postgres, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "file:")
		if path == "" {
			return "", "", "", fmt.Errorf("database %q: the sqlite DSN needs a file path", dsn)
		}
		p, query, _ := strings.Cut(path, "?")
		v, err := url.ParseQuery(query)
		if err != nil {
			return "", "", "", fmt.Errorf("database %q: %w", dsn, err)
		}
		// WAL for concurrent readers, a busy timeout instead of "database is
		// locked", immediate transactions so writers queue up front, and
		// foreign keys enforced.
		for k, def := range map[string]string{"_journal_mode": "WAL", "_busy_timeout": "5000", "_txlock": "immediate", "_foreign_keys": "on"} {
			if v.Get(k) == "" {
				v.Set(k, def)
			}
		}
		return "sqlite3", "file:" + p + "?" + v.Encode(), dialect.SQLite, nil
	}
	return "", "", "", fmt.Errorf("database %q: use sqlite:PATH or a postgres:// URL", dsn)
}

// Close closes the database.
func (db *DB) Close() error { return db.Client.Close() }

// txAttempts bounds how often Tx runs a transaction that keeps colliding.
const txAttempts = 5

// Tx runs fn in a transaction, committing on success and rolling back on
// error or panic. A transaction that fails only because it collided with
// another (PostgreSQL serialization failure or deadlock, at any statement
// or at commit) runs again, so fn must derive everything from what it reads
// in the transaction; clients never see such collisions.
func (db *DB) Tx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.tx(ctx, fn)
		if err == nil || !retryable(err) || attempt == txAttempts || !backoff(ctx, attempt) {
			return err
		}
	}
}

func (db *DB) tx(ctx context.Context, fn func(tx *ent.Tx) error) (err error) {
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
