package store_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/migrate"
	"github.com/orgraph/orgraph/ent/migrate/migrations"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/role"
	entschema "github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/store"
)

func init() {
	// Atlas opens PostgreSQL dev databases through a driver named "postgres".
	sql.Register("postgres", stdlib.GetDefaultDriver())
}

func eachDialect(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresDSN(t)) })
}

func openRaw(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func versions(t *testing.T, dia string) []string {
	t.Helper()
	all, err := store.Migrations(dia)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range all {
		out = append(out, m.Version)
	}
	if len(out) < 2 {
		t.Fatalf("%s: %d migrations, the upgrade tests need at least 2", dia, len(out))
	}
	return out
}

// The migration files and ent/schema agree: replaying the files and
// diffing against the schema yields no new migration. (After changing
// ent/schema, run `go run -mod=mod ./ent/migrate/main.go <name>`.)
func TestMigrationFilesMatchTheSchema(t *testing.T) {
	for _, c := range []struct{ dia, sub string }{{dialect.SQLite, "sqlite"}, {dialect.Postgres, "postgres"}} {
		t.Run(c.sub, func(t *testing.T) {
			dev := "sqlite://dev?mode=memory&_fk=1"
			if c.dia == dialect.Postgres {
				dev = strings.Replace(postgresDSN(t), "postgresql://", "postgres://", 1)
			}
			tmp := t.TempDir()
			entries, err := fs.ReadDir(migrations.FS, c.sub)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				b, _ := fs.ReadFile(migrations.FS, path.Join(c.sub, e.Name()))
				if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dir, err := atlas.NewLocalDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			if err := migrate.NamedDiff(context.Background(), dev, "pending", schema.WithDir(dir), schema.WithMigrationMode(schema.ModeReplay),
				schema.WithDialect(c.dia), schema.WithFormatter(atlas.DefaultFormatter), schema.WithDropIndex(true), schema.WithDropColumn(true)); err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadDir(tmp)
			if len(after) != len(entries) {
				var names []string
				for _, e := range after {
					names = append(names, e.Name())
				}
				t.Errorf("ent/schema has changes no migration holds (files now %v): run go run -mod=mod ./ent/migrate/main.go <name>", names)
			}
		})
	}
}

// A database at the previous migration, with data, upgrades to the latest.
// The previous one is the one before the newest that changes the database:
// a migration with no statement (a marker that an older orgraph must
// refuse the database) has nothing to upgrade.
func TestMigrateUpgradesThePreviousVersion(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openRaw(t, dsn)
		all := versions(t, db.Dialect)
		migrations, _ := store.Migrations(db.Dialect)
		newest := len(all) - 1
		for newest > 1 && !migrations[newest].Changes() {
			newest--
		}
		previous := all[newest-1]
		done, err := db.MigrateTo(ctx, previous)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(done, all[:newest]) {
			t.Fatalf("applied %v, want %v", done, all[:newest])
		}
		// Data as the previous release wrote it (its statements: this
		// release's code writes the newer schema): one user in a live and
		// a test organization.
		now := time.Now().UTC().Truncate(time.Second)
		user, live, test, inv := uuid.New(), uuid.New(), uuid.New(), uuid.New()
		oldKey := "og_live_0123" + strings.Repeat("ab", 22) // a key the previous release made
		ph := func(i int) string {
			if db.Dialect == dialect.Postgres {
				return "$" + strconv.Itoa(i)
			}
			return "?"
		}
		stmts := []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO users (id, created_at, updated_at, email) VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ", " + ph(4) + ")", []any{user, now, now, "ada@example.com"}},
			{"INSERT INTO organizations (id, created_at, updated_at, name, status, mode) VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ", 'Live', 'ACTIVE', 'live')", []any{live, now, now}},
			{"INSERT INTO organizations (id, created_at, updated_at, name, status, mode) VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ", 'Test', 'ACTIVE', 'test')", []any{test, now, now}},
			{"INSERT INTO members (id, role, joined_at, organization_id, user_id) VALUES (" + ph(1) + ", 'owner', " + ph(2) + ", " + ph(3) + ", " + ph(4) + ")", []any{uuid.New(), now, live, user}},
			{"INSERT INTO members (id, role, joined_at, organization_id, user_id) VALUES (" + ph(1) + ", 'owner', " + ph(2) + ", " + ph(3) + ", " + ph(4) + ")", []any{uuid.New(), now, test, user}},
			{"INSERT INTO roles (id, slug, name, description, created_at, organization_id) VALUES (" + ph(1) + ", 'admin', 'Admin', 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.', " + ph(2) + ", " + ph(3) + ")", []any{uuid.New(), now, live}},
			{"INSERT INTO roles (id, slug, name, description, created_at, organization_id) VALUES (" + ph(1) + ", 'viewer', 'Viewer', 'Read-only, as we say here', " + ph(2) + ", " + ph(3) + ")", []any{uuid.New(), now, live}},
			{"INSERT INTO api_keys (id, hash, display_prefix, name, mode, scope, version, created_at, user_id) VALUES (" + ph(1) + ", " + ph(2) + ", 'og_live_0123', 'old', 'live', 'write', '', " + ph(3) + ", " + ph(4) + ")", []any{uuid.New(), store.Hash(oldKey), now, user}},
			{"INSERT INTO invitations (id, created_at, updated_at, email, role, status, validity_days, expires_at, inviter_id, organization_id) VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ", 'bob@example.com', 'admin', 'pending', 7, " + ph(4) + ", " + ph(5) + ", " + ph(6) + ")", []any{inv, now, now, now.AddDate(0, 0, 7), user, live}},
		}
		for _, st := range stmts {
			if _, err := db.SQL.ExecContext(ctx, st.sql, st.args...); err != nil {
				t.Fatalf("%s: %v", st.sql, err)
			}
		}

		done, err = db.MigrateTo(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(done, all[newest:]) {
			t.Errorf("upgrade applied %v, want %v", done, all[newest:])
		}
		if got, _ := db.AppliedMigrations(ctx); !slices.Equal(got, all) {
			t.Errorf("recorded %v, want %v", got, all)
		}
		// member_mode: every membership took its organization's mode.
		for org, want := range map[uuid.UUID]member.Mode{live: member.ModeLive, test: member.ModeTest} {
			m, err := db.Member.Query().Where(member.OrganizationID(org)).Only(ctx)
			if err != nil || m.Mode != want {
				t.Errorf("membership of the %s organization after the upgrade: %v, %v", want, m, err)
			}
			// member_status: every membership is kept, active, with its role.
			if err == nil && (m.Status != member.StatusActive || m.Role != entschema.RoleOwner || m.UserID != user) {
				t.Errorf("membership of the %s organization after the upgrade: %v", want, m)
			}
		}
		// The default roles' descriptions are the catalogue's, unless
		// someone wrote their own.
		for slug, want := range map[string]string{"admin": entschema.RoleCatalog[1].Description, "viewer": "Read-only, as we say here"} {
			if got, err := db.Role.Query().Where(role.OrganizationID(live), role.SlugEQ(slug)).Only(ctx); err != nil || got.Description != want {
				t.Errorf("the %s role after the upgrade: %v, %v; want the description %q", slug, got, err, want)
			}
		}
		// An invitation the previous release sent is still pending, with no
		// accept token (it is accepted by id).
		if got, err := db.Invitation.Get(ctx, inv); err != nil || got.Status != "pending" || got.Email != "bob@example.com" || got.AcceptTokenHash != nil {
			t.Errorf("the previous release's invitation after the upgrade: %v, %v", got, err)
		}
		// A key the previous release made keeps working, and never expires.
		if k, err := db.Authenticate(ctx, oldKey); err != nil || k.ExpiresAt != nil || k.Edges.User.Email != "ada@example.com" {
			t.Errorf("the previous release's key after the upgrade: %v, %v", k, err)
		}
		key, err := db.CreateKey(ctx, store.NewKey{Email: "ada@example.com", Mode: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, key); err != nil {
			t.Errorf("a key made after the upgrade: %v", err)
		}
		if n := db.Organization.Query().Where(organization.Name("Personal")).CountX(ctx); n != 1 {
			t.Errorf("%d personal organizations after the upgrade, want 1", n)
		}
		if n := db.Member.Query().Where(member.UserID(user), member.ModeEQ(member.ModeTest)).CountX(ctx); n != 2 {
			t.Errorf("%d test-mode memberships after the upgrade, want 2 (Test and the new Personal)", n)
		}
		if done, err := db.MigrateTo(ctx, ""); err != nil || len(done) != 0 {
			t.Errorf("migrating an up-to-date database applied %v, %v", done, err)
		}
	})
}

// A database created before versioned migrations (by ent's auto-migration,
// which wrote exactly the baseline) adopts the baseline without running it.
func TestMigrateAdoptsAPreVersionedDatabase(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openRaw(t, dsn)
		sub := map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[db.Dialect]
		entries, _ := fs.ReadDir(migrations.FS, sub)
		baseline, err := fs.ReadFile(migrations.FS, path.Join(sub, entries[0].Name()))
		if err != nil || !strings.HasSuffix(entries[0].Name(), "_baseline.sql") {
			t.Fatalf("first migration %s: %v", entries[0].Name(), err)
		}
		f := atlas.NewLocalFile(entries[0].Name(), baseline)
		stmts, err := f.Stmts()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if _, err := db.SQL.ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		all := versions(t, db.Dialect)
		done, err := db.MigrateTo(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(done, all[1:]) {
			t.Errorf("applied %v, want %v (the baseline adopted, not run)", done, all[1:])
		}
		if got, _ := db.AppliedMigrations(ctx); !slices.Equal(got, all) {
			t.Errorf("recorded %v, want %v", got, all)
		}
	})
}

// Replicas starting at once: every one succeeds, each file runs once.
func TestMigrateConcurrently(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		const replicas = 4
		var wg sync.WaitGroup
		applied := make(chan []string, replicas)
		for range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Error(err)
					return
				}
				defer db.Close()
				done, err := db.MigrateTo(context.Background(), "")
				if err != nil {
					t.Error(err)
				}
				applied <- done
			}()
		}
		wg.Wait()
		close(applied)
		var total []string
		for done := range applied {
			total = append(total, done...)
		}
		slices.Sort(total)
		db := openRaw(t, dsn)
		if want := versions(t, db.Dialect); !slices.Equal(total, want) {
			t.Errorf("applied across replicas %v, want each of %v once", total, want)
		}
	})
}

// A database migrated by a newer orgraph, or whose applied file changed,
// is refused rather than guessed at.
func TestMigrateRefusesUnknownOrChangedMigrations(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		arg := "?"
		if db.Dialect == dialect.Postgres {
			arg = "$1"
		}
		if _, err := db.SQL.ExecContext(ctx, "INSERT INTO orgraph_schema_revisions (version, description, checksum) VALUES ("+strings.ReplaceAll("A, 'future', 'x')", "A", arg), "29991231000000"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "newer orgraph") {
			t.Errorf("a newer database: %v", err)
		}
		if _, err := db.SQL.ExecContext(ctx, "DELETE FROM orgraph_schema_revisions WHERE version = '29991231000000'"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE orgraph_schema_revisions SET checksum = 'edited'"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
			t.Errorf("an edited migration: %v", err)
		}
	})
}

// During a rolling upgrade a replica of the previous release writes
// memberships without members.mode (the column's default, live); the next
// migrate gives them their organization's mode.
func TestMigrateRepairsMemberModesOfOldReplicas(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openRaw(t, dsn)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		u := db.User.Create().SetEmail("ada@example.com").SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		test := db.Organization.Create().SetName("T").SetMode(organization.ModeTest).SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		live := db.Organization.Create().SetName("L").SetMode(organization.ModeLive).SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		insert := "INSERT INTO members (id, role, joined_at, organization_id, user_id) VALUES (?, 'owner', ?, ?, ?)"
		if db.Dialect == dialect.Postgres {
			insert = "INSERT INTO members (id, role, joined_at, organization_id, user_id) VALUES ($1, 'owner', $2, $3, $4)"
		}
		for _, org := range []uuid.UUID{test.ID, live.ID} {
			if _, err := db.SQL.ExecContext(ctx, insert, uuid.New(), now, org, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		if n := db.Member.Query().Where(member.ModeEQ(member.ModeLive)).CountX(ctx); n != 2 {
			t.Fatalf("%d live memberships before the repair, want 2 (as the old release writes them)", n)
		}
		if done, err := db.MigrateTo(ctx, ""); err != nil || len(done) != 0 {
			t.Fatalf("migrate: %v, %v", done, err)
		}
		for org, want := range map[uuid.UUID]member.Mode{test.ID: member.ModeTest, live.ID: member.ModeLive} {
			if m := db.Member.Query().Where(member.OrganizationID(org)).OnlyX(ctx); m.Mode != want {
				t.Errorf("membership of the %s organization: %s", want, m.Mode)
			}
		}
	})
}

// On PostgreSQL with LZ4, migrate has the events' documents compressed
// with it; a migrate that finds the table held by a write leaves pglz and
// goes on, and the next one sets LZ4.
func TestMigrateCompressesEventsWithLZ4(t *testing.T) {
	ctx := context.Background()
	db := openRaw(t, postgresDSN(t))
	var lz4 bool
	if err := db.SQL.QueryRowContext(ctx, `SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil || !lz4 {
		t.Skipf("this PostgreSQL has no LZ4 (%v)", err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	method := func() string {
		t.Helper()
		var m string
		if err := db.SQL.QueryRowContext(ctx, `SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'data'`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := method(); m != "l" {
		t.Fatalf("events.data is compressed with %q after migrate, want l (LZ4)", m)
	}
	insert := `INSERT INTO events (type, mode, actor_type, data, created_at) VALUES ('organization.updated', 'live', 'system', $1, now()) RETURNING id`
	doc := `{"@type": "Organization", "name": "` + strings.Repeat("Lyon ", 600) + `"}`
	var id int64
	if err := db.SQL.QueryRowContext(ctx, insert, doc).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := db.SQL.QueryRowContext(ctx, `SELECT pg_column_compression(data) FROM events WHERE id = $1`, id).Scan(&stored); err != nil || stored != "lz4" {
		t.Errorf("a document of %d bytes is stored compressed with %q (%v), want lz4", len(doc), stored, err)
	}

	// A write holds the table: migrate goes on without it.
	if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE events ALTER COLUMN data SET COMPRESSION pglz`); err != nil {
		t.Fatal(err)
	}
	writing, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writing.ExecContext(ctx, insert, doc); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Errorf("migrate while a write holds the events: %v", err)
	}
	if m := method(); m != "p" {
		t.Errorf("events.data is compressed with %q while a write held the table, want p (left as it was)", m)
	}
	if err := writing.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if m := method(); m != "l" {
		t.Errorf("events.data is compressed with %q after the write, want l", m)
	}
}
