package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

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
	return done, nil
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
