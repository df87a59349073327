// Package store opens Orgraph's database (SQLite by default, PostgreSQL for
// several replicas), migrates it, and holds the few data operations below
// the API's resources: API keys (the command line's too), transactions, and
// the Idempotency-Key records.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/mattn/go-sqlite3"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/hook"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
)

// DefaultDB is the database used when none is given.
const DefaultDB = "sqlite:orgraph.db"

// DB is an open database.
//
// On SQLite it holds two pools over the one file: readers (Client, plain
// queries, any number at once under WAL) and the single writer (Tx and SQL:
// one connection, IMMEDIATE transactions). SQLite runs one write
// transaction at a time whatever the pool; with one writer connection the
// waiting happens in Go's pool queue, first come first served, instead of
// in SQLite's busy handler, which sleeps and retries. On PostgreSQL both
// are the one pool.
type DB struct {
	*ent.Client
	// SQL is the writer's database/sql pool (migrations, pings).
	SQL     *sql.DB
	Dialect string
	writer  *ent.Client
	readers *sql.DB
	keys    shortCache[*ent.APIKey]
	uses    keyUses
	// identities maps "issuer\x00subject" to its user (UserOfIdentity).
	identities shortCache[*ent.User]
	changes    *changeLog
	commits    *groupCommitter // SQLite: see groupcommit.go
	follow     follower        // PostgreSQL: see replicas.go
	// recorder records the events of the changes the store makes itself
	// (SetRecorder).
	recorder Recorder
	// enroller applies verified domains' enrollment (SetEnroller).
	enroller Enroller
}

// Enroller applies, in tx, what a user's appearing in a mode brings (a
// verified domain's invitation or membership): the store calls it when
// it makes a user, and at a user's first key in a mode.
// orgs.Service.Enroll is one.
type Enroller func(ctx context.Context, tx *ent.Tx, u *ent.User, mode string) error

// SetEnroller sets the enroller; without one, users appear with nothing.
func (db *DB) SetEnroller(e Enroller) { db.enroller = e }

func (db *DB) enroll(ctx context.Context, tx *ent.Tx, u *ent.User, mode string) error {
	if db.enroller == nil || mode == "" {
		return nil
	}
	return db.enroller(ctx, tx, u, mode)
}

// Recorder records, in tx, the event of a change the store makes itself —
// the command line's keys, the bootstrap key — by the system: typ, the
// mode, the organization (uuid.Nil for none) and the changed row.
// orgs.Service.RecordBySystem is one.
type Recorder func(ctx context.Context, tx *ent.Tx, typ, mode string, org uuid.UUID, subject any) error

// SetRecorder sets the recorder of the store's own changes. Without one
// (the store's and the domain's own tests) they record no event; serve,
// the command line and the HTTP handlers set it.
func (db *DB) SetRecorder(r Recorder) { db.recorder = r }

// recordEvent records an event through the recorder, if any.
func (db *DB) recordEvent(ctx context.Context, tx *ent.Tx, typ, mode string, org uuid.UUID, subject any) error {
	if db.recorder == nil {
		return nil
	}
	return db.recorder(ctx, tx, typ, mode, org, subject)
}

// Changes counts the writes this process committed. It moves after each
// commit (of a transaction, or of a mutation outside one), before the
// writer learns of its success: a reader that saw the same count before
// and after building something built it from data no write of this process
// has replaced since. Writes by other processes (other replicas, the
// command line) are not counted.
func (db *DB) Changes() uint64 { return db.changes.count.Load() }

// OrganizationChangedSince says whether a commit counted after since may
// have changed a row of the organization (or its members' users): a reader
// that saw Changes at since before building something from that
// organization's rows alone built it from current data if it says false.
// See changes.go for how a commit's reach is read.
func (db *DB) OrganizationChangedSince(id uuid.UUID, since uint64) bool {
	return db.changes.changedSince(id, since)
}

// EverythingChanged is the count at the last commit that may have changed
// any row: what was built before it is stale, whatever its organization.
func (db *DB) EverythingChanged() uint64 { return db.changes.wide.Load() }

// SingleProcess says whether this process is the only one writing in
// normal operation, so that Changes sees every write: SQLite's file is
// served by one process, PostgreSQL by any number of replicas.
func (db *DB) SingleProcess() bool { return db.Dialect == dialect.SQLite }

// Options tune Open.
type Options struct {
	// Trace, when set, sees every statement the server sends (tests count
	// queries per request with it).
	Trace func(ctx context.Context, statement string)
	// CheckChanges (tests) fails a write that updates or deletes rows of an
	// organization it did not lock: the document cache relies on it
	// (changes.go). It costs a query or two per such mutation.
	CheckChanges bool
	// CheckConnections (tests, PostgreSQL) refuses a statement sent
	// outside a transaction by a goroutine that holds one (conncheck.go).
	CheckConnections bool
	heldTxs          *heldTxs
	// RoundTrip (tests, PostgreSQL), when set, is called with the
	// context of each round trip to the database: each statement sent
	// alone and each batch (pipeline.go), BEGIN and COMMIT included; a
	// statement's first preparation on a connection is not counted.
	RoundTrip func(ctx context.Context)
	// Explain, when set, receives the plan of each distinct statement
	// the server sends, the first time (explain.go): a diagnostic.
	Explain   io.Writer
	explainer *explainer
	// The connection pool; zero values take the defaults below.
	MaxOpenConns, MaxIdleConns       int
	ConnMaxLifetime, ConnMaxIdleTime time.Duration
}

// Pool defaults. PostgreSQL: 8 connections per replica. A PostgreSQL
// backend runs one statement at a time on one core; more connections than
// the database has cores to run them only queue inside it, each holding
// its locks and memory longer: on the bench's 2-core machine (database and
// server on the same cores) 8 connections read 25–45 % faster than 20,
// with a lower p99, and wrote no slower (docs/benchmarks.md). A larger
// database server takes more (--db-max-open-conns: about twice its cores,
// shared among the replicas), under its max_connections (100 by default).
// Connections are recycled every 30 minutes so that a failover or a
// rebalanced pooler is picked up. SQLite: one writer at a time is all it
// allows; a small pool of readers keeps WAL's concurrent reads.
const (
	DefaultPostgresMaxOpenConns = 8
	DefaultPostgresMaxIdleConns = 8
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
	if opt.Explain != nil {
		opt.explainer = newExplainer(opt.Explain, dia) // one for every pool: each statement once
	}
	if opt.CheckConnections && dia == dialect.Postgres {
		opt.heldTxs = &heldTxs{by: map[uint64]int{}}
	}
	if dia != dialect.SQLite {
		pool, err := openPool(ctx, driver, source, dia, opt, cmp.Or(opt.MaxOpenConns, DefaultPostgresMaxOpenConns), cmp.Or(opt.MaxIdleConns, DefaultPostgresMaxIdleConns))
		if err != nil {
			return nil, err
		}
		changes := newChangeLog(false, opt.CheckChanges)
		client := entClient(pool, dia, opt, changes, true)
		return &DB{Client: client, SQL: pool, Dialect: dia, writer: client, changes: changes}, nil
	}
	writer, err := openPool(ctx, driver, withTxLock(source, "immediate"), dia, opt, 1, 1)
	if err != nil {
		return nil, err
	}
	readers := cmp.Or(opt.MaxOpenConns, DefaultSQLiteMaxOpenConns)
	reader, err := openPool(ctx, driver, withTxLock(source, "deferred"), dia, opt, readers, cmp.Or(opt.MaxIdleConns, readers))
	if err != nil {
		writer.Close()
		return nil, err
	}
	changes := newChangeLog(true, opt.CheckChanges)
	db := &DB{Client: entClient(reader, dia, opt, changes, false), SQL: writer, Dialect: dia, readers: reader, changes: changes}
	db.writer = ent.NewClient(ent.Driver(detachedDriver{entDriver(writer, dia, opt)}))
	useHooks(db.writer, changes, true)
	// Events' documents are stored packed on SQLite (eventdata.go).
	db.Client.Event.Intercept(unpackEvents())
	db.writer.Event.Intercept(unpackEvents())
	db.commits = newGroupCommitter(db.writer, changes)
	return db, nil
}

func openPool(ctx context.Context, driver, source, dia string, opt Options, maxOpen, maxIdle int) (*sql.DB, error) {
	var db *sql.DB
	var err error
	if driver == "pgx" {
		db, err = openPostgres(source, opt.RoundTrip)
	} else {
		db, err = sql.Open(driver, source)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dia, err)
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxLifetime(cmp.Or(opt.ConnMaxLifetime, DefaultConnMaxLifetime))
	db.SetConnMaxIdleTime(cmp.Or(opt.ConnMaxIdleTime, DefaultConnMaxIdleTime))
	if err := ping(ctx, db, dia); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dia, err)
	}
	return db, nil
}

// ping opens the pool's first connection. Replicas starting at once on a
// new SQLite file race to switch it to WAL, and SQLite takes the lock for
// that switch without calling the busy handler: the losers are told
// "database is locked" at once, not after the busy timeout. The switch
// happens once per file, so such a connection is tried again, for as long
// as the default busy timeout.
func ping(ctx context.Context, db *sql.DB, dia string) error {
	err := db.PingContext(ctx)
	if dia != dialect.SQLite {
		return err
	}
	for deadline := time.Now().Add(sqliteBusyTimeout); isSQLiteBusy(err) && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
		err = db.PingContext(ctx)
	}
	return err
}

// sqliteBusyTimeout is how long a SQLite statement waits for a lock held
// by another connection or process before "database is locked" (the DSN's
// _busy_timeout unless it sets one).
const sqliteBusyTimeout = 5 * time.Second

func isSQLiteBusy(err error) bool {
	var lite sqlite3.Error
	return errors.As(err, &lite) && lite.Code == sqlite3.ErrBusy
}

func entClient(db *sql.DB, dia string, opt Options, changes *changeLog, writer bool) *ent.Client {
	client := ent.NewClient(ent.Driver(entDriver(db, dia, opt)))
	useHooks(client, changes, writer)
	return client
}

func entDriver(db *sql.DB, dia string, opt Options) dialect.Driver {
	var drv dialect.Driver = entsql.OpenDB(dia, db)
	if dia == dialect.Postgres {
		drv = pipelineDriver{Driver: drv, db: db}
	}
	if opt.explainer != nil {
		// Under the trace, which sees the server's statements alone.
		drv = explainDriver{Driver: drv, x: opt.explainer}
	}
	if opt.heldTxs != nil {
		drv = connCheckDriver{Driver: drv, held: opt.heldTxs}
	}
	if opt.Trace != nil {
		drv = dialect.DebugWithContext(drv, func(ctx context.Context, v ...any) { opt.Trace(ctx, fmt.Sprint(v...)) })
	}
	return drv
}

// useHooks: writer says whether client's transactions are DB.Tx's.
func useHooks(client *ent.Client, changes *changeLog, writer bool) {
	client.Member.Use(hook.On(memberMode, ent.OpCreate))
	client.Use(changes.hook(writer))
}

// memberMode sets a new membership's mode to its organization's (see
// ent/schema/member.go): a client hook, because a schema hook would import
// the generated package into the schema's. Every client Open makes has it,
// and so every transaction. It reads the organization's mode unless the
// writer that created it says it (schema.WithOrganizationMode).
func memberMode(next ent.Mutator) ent.Mutator {
	return hook.MemberFunc(func(ctx context.Context, m *ent.MemberMutation) (ent.Value, error) {
		if orgID, ok := m.OrganizationID(); ok {
			mode, known := schema.OrganizationModeOf(ctx, orgID)
			if !known {
				var err error
				mode, err = m.Client().Organization.Query().Where(organization.ID(orgID)).
					Select(organization.FieldMode).String(ctx)
				if err != nil {
					return nil, fmt.Errorf("member mode: %w", err)
				}
			}
			m.SetMode(member.Mode(mode))
		}
		return next.Mutate(ctx, m)
	})
}

// withTxLock sets how a SQLite pool's transactions begin: IMMEDIATE for
// the writer (it takes the write lock up front, so a transaction never
// fails half-way to upgrade it), DEFERRED for readers.
func withTxLock(source, lock string) string {
	base, query, _ := strings.Cut(source, "?")
	v, _ := url.ParseQuery(query) // parseDSN made it
	v.Set("_txlock", lock)
	return base + "?" + v.Encode()
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
		// Prepared statements are kept per connection (the driver's cache):
		// parsing and planning a statement costs more than running most of ours.
		// Commits are synced (FULL; the driver's default, NORMAL, syncs the
		// WAL only at checkpoints: a power loss could take back acknowledged
		// writes); group commit shares each sync among the batch's writers.
		for k, def := range map[string]string{"_journal_mode": "WAL", "_busy_timeout": strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10), "_txlock": "immediate", "_foreign_keys": "on", "_stmt_cache_size": "128", "_synchronous": "FULL"} {
			if v.Get(k) == "" {
				v.Set(k, def)
			}
		}
		return sqliteDriver, "file:" + p + "?" + v.Encode(), dialect.SQLite, nil
	}
	return "", "", "", fmt.Errorf("database %q: use sqlite:PATH or a postgres:// URL", dsn)
}

// Close closes the database.
// sqliteDriver is go-sqlite3 with the settings its DSN cannot carry.
const sqliteDriver = "orgraph-sqlite3"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		// Statement and savepoint journals (a multi-row INSERT, each writer
		// of a group commit) in memory rather than in temporary files: they
		// hold a few pages each, and writing them out cost a third of an
		// organization's creation.
		_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
		return err
	}})
}

// Readers is the database/sql pool reads go through (on PostgreSQL, the
// one pool): probes and plain reads, which must not wait behind writes.
func (db *DB) Readers() *sql.DB {
	if db.readers != nil {
		return db.readers
	}
	return db.SQL
}

func (db *DB) Close() error {
	db.follow.close()
	db.flushKeyUses() // the last minute's uses, before the writer goes
	if db.commits != nil {
		db.commits.close()
	}
	err := db.writer.Close()
	if db.readers != nil {
		err = errors.Join(err, db.Client.Close())
	}
	return err
}

// txAttempts bounds how often Tx runs a transaction that keeps colliding.
const txAttempts = 5

// Tx runs fn in a transaction, committing on success and rolling back on
// error or panic. A transaction that fails only because it collided with
// another (PostgreSQL serialization failure or deadlock, at any statement
// or at commit) runs again, so fn must derive everything from what it reads
// in the transaction; clients never see such collisions. On SQLite, fn's
// transaction may be shared with other writers' (group commit, see
// groupcommit.go): fn must not commit or roll back itself, and its writes
// become visible to others when the batch commits, before Tx returns.
func (db *DB) Tx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	for attempt := 1; ; attempt++ {
		worked := false // fn succeeded, so a commit was attempted: it may have landed even if it failed
		err := db.tx(ctx, func(tx *ent.Tx) error {
			err := fn(tx)
			worked = err == nil
			return err
		})
		if committed, ok := ctx.Value(commitNoteKey{}).(*atomic.Bool); ok && worked && !refused(err) {
			committed.Store(true)
		}
		if err == nil || !retryable(err) || attempt == txAttempts || !backoff(ctx, attempt) {
			return err
		}
	}
}

type commitNoteKey struct{}

// NoteCommits returns a context under which every transaction DB.Tx tries
// to commit sets committed (a commit that fails may still have landed,
// unless the database refused it: refused): a caller learns whether a request may have changed anything, whatever it
// answers afterwards (an Idempotency-Key must then keep even a failed
// answer, or a retry could do the write twice).
func NoteCommits(ctx context.Context, committed *atomic.Bool) context.Context {
	return context.WithValue(ctx, commitNoteKey{}, committed)
}

func (db *DB) tx(ctx context.Context, fn func(tx *ent.Tx) error) (err error) {
	if db.commits != nil {
		return db.commits.tx(ctx, fn)
	}
	tx, err := db.writer.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	w := db.changes.begin()
	defer db.changes.end(w)
	if !db.changes.serial {
		// Concurrent writers: what this one changed is read off the
		// events it records (AppendEvent), the outbox's rule being that
		// every change of a row a document shows records one.
		w = db.changes.beginTx(tx)
		defer db.changes.endTx(tx)
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
	err = tx.Commit()
	if !db.changes.serial {
		db.changes.endTx(tx) // what its events say, now that its commit hooks have run
	}
	db.changes.committed(w) // even when the commit failed: it may have landed
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
