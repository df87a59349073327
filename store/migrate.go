package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/orgraph/orgraph/ent/migrate/migrations"
)

// Versioned migrations: the SQL files under ent/migrate/migrations/<dialect>,
// checked against their atlas.sum, applied in order, each in its own
// transaction and recorded in revisionsTable, so an upgrade is an explicit,
// reviewable step and replicas starting together apply each file once.

const revisionsTable = "orgraph_schema_revisions"

// migrateLock names the PostgreSQL advisory lock that serializes replicas
// migrating at once (SQLite's immediate transactions serialize by themselves).
const migrateLock = 0x6f726772 // "orgr"

// Migration is one versioned migration file.
type Migration struct {
	Version, Description string
	Checksum             string
	stmts                []string
}

// Migrations lists a dialect's migrations, oldest first, after checking the
// files against atlas.sum.
func Migrations(dia string) ([]Migration, error) {
	sub := map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[dia]
	if sub == "" {
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", dia)
	}
	entries, err := fs.ReadDir(migrations.FS, sub)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	dir := &atlas.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(migrations.FS, path.Join(sub, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
	}
	if err := atlas.Validate(dir); err != nil {
		return nil, fmt.Errorf("migrations: the files of %s do not match atlas.sum: %w", sub, err)
	}
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: %w", f.Name(), err)
		}
		sum := sha256.Sum256(f.Bytes())
		out = append(out, Migration{Version: f.Version(), Description: f.Desc(), Checksum: hex.EncodeToString(sum[:]), stmts: stmts})
	}
	return out, nil
}

// Migrate applies every migration the database lacks.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.MigrateTo(ctx, "")
	return err
}

// MigrateTo applies the migrations the database lacks up to version (all
// when empty) and returns the versions it applied. A database made before
// versioned migrations (tables, no revisions) adopts the first migration,
// the baseline it was created with, without running it. A database with a
// migration this binary does not know, or whose file changed after it was
// applied, is refused: run the matching orgraph.
func (db *DB) MigrateTo(ctx context.Context, version string) ([]string, error) {
	all, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	if version != "" && !slices.ContainsFunc(all, func(m Migration) bool { return m.Version == version }) {
		return nil, fmt.Errorf("migrate: no migration %q", version)
	}
	var applied map[string]string // version → checksum
	err = db.migrationTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+revisionsTable+
			" (version VARCHAR(64) NOT NULL PRIMARY KEY, description TEXT NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"); err != nil {
			return fmt.Errorf("create %s: %w", revisionsTable, err)
		}
		if applied, err = revisions(ctx, tx); err != nil {
			return err
		}
		if len(applied) > 0 || len(all) == 0 {
			return nil
		}
		legacy, err := db.tableExists(ctx, tx, "organizations")
		if err != nil || !legacy {
			return err
		}
		if err := db.record(ctx, tx, all[0]); err != nil {
			return err
		}
		applied[all[0].Version] = all[0].Checksum
		return nil
	})
	if err != nil {
		return nil, err
	}
	known := map[string]Migration{}
	for _, m := range all {
		known[m.Version] = m
	}
	for v, sum := range applied {
		m, ok := known[v]
		if !ok {
			return nil, fmt.Errorf("migrate: the database has migration %s, which this orgraph does not know: it was upgraded by a newer orgraph", v)
		}
		if m.Checksum != sum {
			return nil, fmt.Errorf("migrate: migration %s changed after it was applied", v)
		}
	}
	var done []string
	for _, m := range all {
		if _, ok := applied[m.Version]; !ok {
			err := db.migrationTx(ctx, func(tx *sql.Tx) error {
				again, err := revisions(ctx, tx) // another replica may have applied it meanwhile
				if err != nil {
					return err
				}
				if _, ok := again[m.Version]; ok {
					return nil
				}
				for _, stmt := range m.stmts {
					if _, err := tx.ExecContext(ctx, stmt); err != nil {
						return fmt.Errorf("migration %s_%s: %w\n%s", m.Version, m.Description, err, stmt)
					}
				}
				done = append(done, m.Version)
				return db.record(ctx, tx, m)
			})
			if err != nil {
				return nil, fmt.Errorf("migrate: %w", err)
			}
		}
		if m.Version == version {
			break
		}
	}
	if _, before := applied[memberModeMigration]; before || slices.Contains(done, memberModeMigration) {
		if err := db.repairMemberModes(ctx); err != nil {
			return done, err
		}
	}
	if err := db.compressEventsWithLZ4(ctx); err != nil {
		return done, err
	}
	return done, nil
}

// eventsCompressionLockWait bounds how long compressEventsWithLZ4 waits
// for the events table: its ALTER takes a lock every write waits behind.
const eventsCompressionLockWait = "1s"

// compressEventsWithLZ4 has PostgreSQL compress the events' documents
// with LZ4 rather than its default, pglz, where the server has LZ4
// (version 14 and later, built with it, as the common packages are).
// Every write inserts an event whose document (an organization's, with
// its members, 2.9 KB) is compressed in the write's transaction: pglz was
// the largest part of the event's insert in a profile (18 µs a write);
// LZ4 costs a few, compresses these documents about as well, and
// decompresses faster for the feed. With it, PATCH throughput rose 5.6 %
// (median of four alternating pairs, orgraph bench; docs/benchmarks.md).
//
// It is a storage setting of the server's build, not of the schema, so
// it is not a versioned migration (a file would fail on a server without
// LZ4): every migrate checks the column and sets it once. It changes the
// catalog only (stored documents stay as they are; new ones use LZ4), but
// takes a lock that conflicts with writes: it waits at most
// eventsCompressionLockWait for it, and if writes hold the table longer it
// leaves pglz in place until the next migrate.
func (db *DB) compressEventsWithLZ4(ctx context.Context) error {
	if db.Dialect != dialect.Postgres {
		return nil
	}
	var supported bool
	err := db.SQL.QueryRowContext(ctx, `SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&supported)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !supported) {
		return nil // before version 14, or built without LZ4
	}
	if err != nil {
		return fmt.Errorf("migrate: read the server's compression methods: %w", err)
	}
	err = db.migrationTx(ctx, func(tx *sql.Tx) error {
		var method string
		err := tx.QueryRowContext(ctx, `SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'data'`).Scan(&method)
		if err != nil {
			return fmt.Errorf("migrate: read the events' compression: %w", err)
		}
		if method == "l" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '"+eventsCompressionLockWait+"'"); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE "events" ALTER COLUMN "data" SET COMPRESSION lz4`); err != nil {
			return fmt.Errorf("migrate: compress the events with LZ4: %w", err)
		}
		return nil
	})
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "55P03" { // lock_not_available
		slog.Info("the events table was busy: its documents stay compressed with pglz until the next migrate", "waited", eventsCompressionLockWait)
		return nil
	}
	return err
}

// memberModeMigration added members.mode, which the store's hook keeps
// equal to the organization's mode.
const memberModeMigration = "20261201223051"

// repairMemberModes corrects memberships written with the column's
// default by a replica of the release before memberModeMigration (a
// rolling upgrade runs both for a while): their mode is 'live' whatever
// their organization's. It runs with every migrate, so `orgraph migrate`
// after the last old replica is gone leaves none; it reads only the
// memberships of test-mode organizations.
func (db *DB) repairMemberModes(ctx context.Context) error {
	_, err := db.SQL.ExecContext(ctx, "UPDATE members SET mode = 'test' WHERE mode = 'live' AND organization_id IN (SELECT id FROM organizations WHERE mode = 'test')")
	if err != nil {
		return fmt.Errorf("migrate: repair member modes: %w", err)
	}
	return nil
}

// AppliedMigrations lists the versions recorded in the database.
func (db *DB) AppliedMigrations(ctx context.Context) ([]string, error) {
	rows, err := db.SQL.QueryContext(ctx, "SELECT version FROM "+revisionsTable+" ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", revisionsTable, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// migrationTx runs fn in a transaction that holds the migration lock.
func (db *DB) migrationTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if db.Dialect == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func revisions(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT version, checksum FROM "+revisionsTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", revisionsTable, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var v, sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, err
		}
		out[v] = sum
	}
	return out, rows.Err()
}

func (db *DB) record(ctx context.Context, tx *sql.Tx, m Migration) error {
	q := "INSERT INTO " + revisionsTable + " (version, description, checksum) VALUES (?, ?, ?)"
	if _, err := tx.ExecContext(ctx, db.rebind(q), m.Version, m.Description, m.Checksum); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Version, err)
	}
	return nil
}

func (db *DB) tableExists(ctx context.Context, tx *sql.Tx, name string) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.Dialect == dialect.Postgres {
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.rebind(q), name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// rebind turns ? placeholders into PostgreSQL's $1, $2…
func (db *DB) rebind(q string) string {
	if db.Dialect != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
