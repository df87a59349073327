package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/store"
)

func postgresDSN(t *testing.T) string { return testenv.PostgresDSN(t, "orgraph_store") }

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func sqliteDSN(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "o.db") }

// Two transactions that lock two rows in opposite orders deadlock on
// PostgreSQL; Tx runs the loser again, so both succeed.
func TestTxRetriesDeadlocks(t *testing.T) {
	db := open(t, postgresDSN(t))
	ctx := context.Background()
	a := db.User.Create().SetEmail("a@example.com").SaveX(ctx)
	b := db.User.Create().SetEmail("b@example.com").SaveX(ctx)

	var attempts atomic.Int32
	var bothLocked sync.WaitGroup
	bothLocked.Add(2)
	var once [2]sync.Once
	run := func(i int, first, second *ent.User) error {
		return db.Tx(ctx, func(tx *ent.Tx) error {
			attempts.Add(1)
			if err := tx.User.UpdateOneID(first.ID).SetName("locked").Exec(ctx); err != nil {
				return err
			}
			once[i].Do(func() { bothLocked.Done(); bothLocked.Wait() }) // first attempt only
			return tx.User.UpdateOneID(second.ID).SetName("both").Exec(ctx)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(0, a, b) }()
	go func() { errs <- run(1, b, a) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction failed: %v", err)
		}
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3 (one deadlock victim run again)", n)
	}
	// Each transaction wrote both rows; whichever committed last wrote
	// "locked" on its first row and "both" on its second.
	if n := db.User.Query().Where(user.Name("both")).CountX(ctx); n != 1 {
		t.Errorf("%d users named both, want 1", n)
	}
	if n := db.User.Query().Where(user.Name("locked")).CountX(ctx); n != 1 {
		t.Errorf("%d users named locked, want 1", n)
	}
}

// Other errors are not retried.
func TestTxDoesNotRetryOtherErrors(t *testing.T) {
	db := open(t, sqliteDSN(t))
	calls := 0
	boom := errors.New("boom")
	err := db.Tx(context.Background(), func(tx *ent.Tx) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("err %v after %d calls, want boom after 1", err, calls)
	}
}

// A membership's mode is its organization's, whatever the creator sets:
// the collection of organizations is read from (user_id, mode) alone. Both
// pools' clients and their transactions set it.
func TestMemberModeIsTheOrganizations(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		now := time.Now().UTC().Truncate(time.Second)
		u := db.User.Create().SetEmail("ada@example.com").SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		org := db.Organization.Create().SetName("Test org").SetMode(organization.ModeTest).SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		m := db.Member.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetRole(schema.RoleOwner).SetMode(member.ModeLive).SaveX(ctx)
		if got := db.Member.GetX(ctx, m.ID).Mode; got != member.ModeTest {
			t.Errorf("created with the client: mode %s, want test", got)
		}
		v := db.User.Create().SetEmail("bob@example.com").SetCreatedAt(now).SetUpdatedAt(now).SaveX(ctx)
		err := db.Tx(ctx, func(tx *ent.Tx) error {
			return tx.Member.CreateBulk(tx.Member.Create().SetOrganizationID(org.ID).SetUserID(v.ID).SetRole(schema.RoleViewer)).Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := db.Member.Query().Where(member.ModeEQ(member.ModeTest)).CountX(ctx); n != 2 {
			t.Errorf("%d test-mode memberships, want 2", n)
		}
	})
}

// An authenticated key is kept for two seconds: a revocation in the
// database takes effect within that time; a refusal is never kept.
func TestAuthenticateKeepsKeysBriefly(t *testing.T) {
	ctx := context.Background()
	db := open(t, sqliteDSN(t))
	secret, err := db.CreateKey(ctx, store.NewKey{Email: "ada@example.com", Mode: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, secret+"0"); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("a wrong secret: %v", err)
	}
	k, err := db.Authenticate(ctx, secret)
	if err != nil || k.Edges.User == nil || k.Edges.User.Email != "ada@example.com" {
		t.Fatalf("the key: %v, %v", k, err)
	}
	if err := db.APIKey.UpdateOne(k).SetRevokedAt(time.Now()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2*time.Second + 500*time.Millisecond)
	for {
		_, err := db.Authenticate(ctx, secret)
		if errors.Is(err, store.ErrInvalidKey) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("the revoked key still works after the cache's time: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SQLite connections sync every commit (FULL: an acknowledged write
// survives a power loss, not only a crash of the process) and keep
// statement journals in memory; a DSN may still choose otherwise.
func TestSQLiteSettings(t *testing.T) {
	for dsnSuffix, wantSync := range map[string]int{"": 2, "?_synchronous=NORMAL": 1} {
		db := open(t, sqliteDSN(t)+dsnSuffix)
		for name, pool := range map[string]interface {
			QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		}{"writer": db.SQL, "readers": db.Readers()} {
			var sync, temp int
			if err := pool.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if err := pool.QueryRowContext(context.Background(), "PRAGMA temp_store").Scan(&temp); err != nil {
				t.Fatal(err)
			}
			if sync != wantSync || temp != 2 {
				t.Errorf("DSN suffix %q, %s: synchronous %d, temp_store %d; want %d and 2 (MEMORY)", dsnSuffix, name, sync, temp, wantSync)
			}
		}
	}
}
