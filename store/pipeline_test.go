package store_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/store"
)

// PostgreSQL transactions hold back the inserts their writer said need no
// answer and send them with the next statement that needs one, or with
// the commit (pipeline.go). Each case counts the round trips and checks
// what landed: all of a transaction or none of it, reads that see the
// writes before them, an error of a held-back insert at the commit, and a
// connection that leaves no transaction open behind it.
func TestPipelinedTransactions(t *testing.T) {
	ctx := context.Background()
	var trips atomic.Int64
	// One connection: a transaction left open on it would show. Its
	// application_name (the test's schema, unique) tells it apart from the
	// connections of tests running beside it in other packages, which
	// share the database.
	dsn, err := url.Parse(postgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := dsn.Query()
	q.Set("application_name", q.Get("search_path"))
	dsn.RawQuery = q.Encode()
	db, err := store.OpenWith(ctx, dsn.String(), store.Options{RoundTrip: func(context.Context) { trips.Add(1) }, MaxOpenConns: 1, MaxIdleConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	owner := db.User.Create().SetEmail("ada@example.com").SaveX(ctx)
	held := schema.WithDeferredInserts(ctx)
	newOrg := func(tx *ent.Tx, name string) (*ent.Organization, error) {
		now := time.Now()
		return tx.Organization.Create().SetName(name).SetMode(organization.ModeLive).
			SetCreatedAt(now).SetUpdatedAt(now).Save(held)
	}
	exists := func(name string) bool {
		return db.Organization.Query().Where(organization.Name(name)).ExistX(ctx)
	}
	// txRoundTrips runs fn in a transaction and counts its round trips.
	txRoundTrips := func(fn func(tx *ent.Tx) error) (int64, error) {
		before := trips.Load()
		err := db.Tx(ctx, fn)
		return trips.Load() - before, err
	}
	backend := func(t *testing.T) int {
		t.Helper()
		var pid int
		if err := db.SQL.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		return pid
	}
	noOpenTransaction := func(t *testing.T) {
		t.Helper()
		var open int
		if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = current_setting('application_name')
			AND state LIKE 'idle in transaction%'`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Errorf("%d connections left in a transaction", open)
		}
	}

	t.Run("an organization, its roles and owner in one round trip", func(t *testing.T) {
		n, err := txRoundTrips(func(tx *ent.Tx) error {
			org, err := newOrg(tx, "One trip")
			if err != nil {
				return err
			}
			_, err = orgs.Provision(ctx, tx, org, owner.ID, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d round trips, want 1", n)
		}
		org := db.Organization.Query().Where(organization.Name("One trip")).OnlyX(ctx)
		if r := db.Role.Query().Where(role.OrganizationID(org.ID)).CountX(ctx); r != len(schema.RoleCatalog) {
			t.Errorf("%d roles, want %d", r, len(schema.RoleCatalog))
		}
		m := db.Member.Query().Where(member.OrganizationID(org.ID)).OnlyX(ctx)
		if m.UserID != owner.ID || m.Role != schema.RoleOwner || string(m.Mode) != "live" {
			t.Errorf("the owner: %+v", m)
		}
	})

	t.Run("a read sees the inserts before it", func(t *testing.T) {
		n, err := txRoundTrips(func(tx *ent.Tx) error {
			org, err := newOrg(tx, "Read back")
			if err != nil {
				return err
			}
			got, err := tx.Organization.Get(ctx, org.ID)
			if err != nil {
				return err
			}
			if got.Name != "Read back" {
				t.Errorf("read %q", got.Name)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// BEGIN and the insert, the read, COMMIT.
		if n != 3 {
			t.Errorf("%d round trips, want 3", n)
		}
		if !exists("Read back") {
			t.Error("the organization did not land")
		}
	})

	// A membership of a user that does not exist breaks a foreign key.
	badOwner := func(tx *ent.Tx, org *ent.Organization) error {
		return tx.Member.Create().SetOrganizationID(org.ID).SetUserID(uuid.New()).SetRole(schema.RoleOwner).
			SetJoinedAt(time.Now()).Exec(schema.WithOrganizationMode(held, org.ID, "live"))
	}

	t.Run("a held insert that fails fails the commit, and nothing lands", func(t *testing.T) {
		n, err := txRoundTrips(func(tx *ent.Tx) error {
			org, err := newOrg(tx, "Half")
			if err != nil {
				return err
			}
			return badOwner(tx, org)
		})
		if err == nil || !strings.Contains(err.Error(), "foreign key") {
			t.Fatalf("the commit: %v, want a foreign key violation", err)
		}
		if n != 1 {
			t.Errorf("%d round trips, want 1", n)
		}
		if exists("Half") {
			t.Error("the organization landed without its owner")
		}
		noOpenTransaction(t)
	})

	t.Run("after a read too", func(t *testing.T) {
		before := backend(t)
		_, err := txRoundTrips(func(tx *ent.Tx) error {
			if _, err := tx.User.Get(ctx, owner.ID); err != nil {
				return err
			}
			org, err := newOrg(tx, "Half again")
			if err != nil {
				return err
			}
			return badOwner(tx, org)
		})
		if err == nil || !strings.Contains(err.Error(), "foreign key") {
			t.Fatalf("the commit: %v, want a foreign key violation", err)
		}
		if exists("Half again") {
			t.Error("the organization landed without its owner")
		}
		noOpenTransaction(t)
		// The failed transaction was rolled back, not left for the pool
		// to discard with its connection.
		if after := backend(t); after != before {
			t.Errorf("the connection was replaced (backend %d, then %d)", before, after)
		}
	})

	t.Run("a rollback sends nothing it held", func(t *testing.T) {
		n, err := txRoundTrips(func(tx *ent.Tx) error {
			if _, err := newOrg(tx, "Never"); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		if n != 0 {
			t.Errorf("%d round trips, want 0", n)
		}
		if exists("Never") {
			t.Error("a rolled back insert landed")
		}
	})

	t.Run("inserts without the writer's word are sent at once", func(t *testing.T) {
		_, err := txRoundTrips(func(tx *ent.Tx) error {
			now := time.Now()
			// The plain context: this insert's error is the writer's to map.
			_, err := tx.Organization.Create().SetName("At once").SetMode(organization.ModeLive).
				SetCreatedAt(now).SetUpdatedAt(now).SetExternalID("taken").Save(ctx)
			if err != nil {
				return err
			}
			_, err = tx.Organization.Create().SetName("At once 2").SetMode(organization.ModeLive).
				SetCreatedAt(now).SetUpdatedAt(now).SetExternalID("taken").Save(ctx)
			if !ent.IsConstraintError(err) {
				t.Errorf("the second insert: %v, want its own constraint error", err)
			}
			return err
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		noOpenTransaction(t)
	})

	t.Run("a transaction that sent nothing costs nothing", func(t *testing.T) {
		n, err := txRoundTrips(func(*ent.Tx) error { return nil })
		if err != nil || n != 0 {
			t.Errorf("%d round trips, %v; want 0, nil", n, err)
		}
	})
}
