package store_test

import (
	"context"
	"errors"
	"strings"
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

// A commit's reach is read off its mutations (changes.go): a write to one
// organization's rows leaves every other organization unchanged; a write to
// anything else, an organization-owned row changed without its lock, or a
// bulk change of organizations changes everything; idempotency records
// change nothing. On PostgreSQL, where writers run concurrently, every
// commit changes everything.
func TestChangesTellWhichOrganizationsACommitChanged(t *testing.T) {
	ctx := context.Background()
	db := open(t, sqliteDSN(t))
	owner := db.User.Create().SetEmail("ada@example.com").SaveX(ctx)
	provision := func(name string) *ent.Organization { return provisioned(t, db, owner.ID, name) }
	x, y := provision("X"), provision("Y")
	xOwner := db.Member.Query().Where(member.OrganizationID(x.ID)).OnlyX(ctx)
	yRole := db.Role.Query().Where(role.OrganizationID(y.ID)).FirstX(ctx)

	type reach struct{ x, y, everything bool }
	check := func(what string, want reach, write func() error) {
		t.Helper()
		since, everything := db.Changes(), db.EverythingChanged()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := reach{db.OrganizationChangedSince(x.ID, since), db.OrganizationChangedSince(y.ID, since), db.EverythingChanged() > everything}
		if got != want {
			t.Errorf("%s: changed X %v, Y %v, everything %v; want %+v", what, got.x, got.y, got.everything, want)
		}
	}
	tx := func(fn func(tx *ent.Tx) error) func() error { return func() error { return db.Tx(ctx, fn) } }

	check("an update under X's lock", reach{x: true}, tx(func(tx *ent.Tx) error {
		if err := db.LockOrganization(ctx, tx, x.ID); err != nil {
			return err
		}
		return tx.Member.UpdateOne(xOwner).SetRole(schema.RoleAdmin).Exec(ctx)
	}))
	check("a rename of Y by id", reach{y: true}, tx(func(tx *ent.Tx) error {
		return tx.Organization.UpdateOneID(y.ID).SetName("Y2").Exec(ctx)
	}))
	z := uuid.Nil
	check("a new organization", reach{}, func() error { z = provision("Z").ID; return nil })
	if since := db.Changes() - 1; !db.OrganizationChangedSince(z, since) {
		t.Error("a new organization: its own rows not counted as changed")
	}
	check("an organization-owned row changed without its organization's lock", reach{true, true, true}, tx(func(tx *ent.Tx) error {
		return tx.Role.UpdateOne(yRole).SetDescription("changed").Exec(ctx)
	}))
	check("a user", reach{true, true, true}, tx(func(tx *ent.Tx) error {
		return tx.User.UpdateOne(owner).SetName("Ada").Exec(ctx)
	}))
	check("organizations in bulk", reach{true, true, true}, tx(func(tx *ent.Tx) error {
		return tx.Organization.Update().Where(organization.ID(x.ID)).SetName("X2").Exec(ctx)
	}))
	check("a transaction without mutations", reach{true, true, true}, tx(func(tx *ent.Tx) error { return nil }))
	check("a mutation outside a transaction", reach{true, true, true}, func() error {
		return db.Organization.UpdateOneID(x.ID).SetName("X3").Exec(ctx)
	})
	check("an idempotency record in a transaction", reach{}, tx(func(tx *ent.Tx) error {
		now := time.Now()
		return tx.IdempotencyRecord.Create().SetUserID(owner.ID).SetMode("live").SetKey("t").SetFingerprint("f").
			SetCreatedAt(now).SetExpiresAt(now.Add(time.Hour)).Exec(ctx)
	}))
	check("a write that failed", reach{}, func() error {
		err := db.Tx(ctx, func(tx *ent.Tx) error {
			if err := db.LockOrganization(ctx, tx, y.ID); err != nil {
				return err
			}
			if err := tx.Role.UpdateOne(yRole).SetDescription("rolled back").Exec(ctx); err != nil {
				return err
			}
			return errors.New("refused")
		})
		if err == nil {
			return errors.New("the failing write succeeded")
		}
		return nil
	})
	var inv *ent.Invitation
	check("an invitation to X", reach{x: true}, tx(func(tx *ent.Tx) error {
		if err := db.LockOrganization(ctx, tx, x.ID); err != nil {
			return err
		}
		var err error
		inv, err = tx.Invitation.Create().SetOrganizationID(x.ID).SetEmail("bob@example.com").SetRole("admin").
			SetCreatedAt(time.Now()).SetUpdatedAt(time.Now()).SetExpiresAt(time.Now().Add(time.Hour)).Save(ctx)
		return err
	}))
	check("an invitation's member id set under X's lock", reach{x: true}, tx(func(tx *ent.Tx) error {
		if err := db.LockOrganization(ctx, tx, x.ID); err != nil {
			return err
		}
		return tx.Invitation.UpdateOne(inv).SetMemberID(xOwner.ID).Exec(ctx)
	}))
	before := db.Changes()
	check("an idempotency record", reach{}, func() error {
		now := time.Now()
		return db.IdempotencyRecord.Create().SetUserID(owner.ID).SetMode("live").SetKey("k").SetFingerprint("f").
			SetCreatedAt(now).SetExpiresAt(now.Add(time.Hour)).Exec(ctx)
	})
	if db.Changes() != before {
		t.Error("an idempotency record moved Changes")
	}

	// With CheckChanges (the handlers' tests), a write that changes rows of
	// an organization it did not lock fails instead of being misread.
	checked, err := store.OpenWith(ctx, sqliteDSN(t), store.Options{CheckChanges: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checked.Close() })
	if err := checked.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cOwner := checked.User.Create().SetEmail("ada@example.com").SaveX(ctx)
	cx, cy := provisioned(t, checked, cOwner.ID, "X"), provisioned(t, checked, cOwner.ID, "Y")
	cyRole := checked.Role.Query().Where(role.OrganizationID(cy.ID)).FirstX(ctx)
	underX := func(fn func(tx *ent.Tx) error) error {
		return checked.Tx(ctx, func(tx *ent.Tx) error {
			if err := checked.LockOrganization(ctx, tx, cx.ID); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	if err := underX(func(tx *ent.Tx) error { return tx.Role.UpdateOne(cyRole).SetDescription("x").Exec(ctx) }); err == nil || !strings.Contains(err.Error(), "which it did not lock") {
		t.Errorf("CheckChanges: an update of Y's role under X's lock: %v", err)
	}
	if err := underX(func(tx *ent.Tx) error {
		_, err := tx.Member.Delete().Where(member.OrganizationID(cy.ID)).Exec(ctx)
		return err
	}); err == nil {
		t.Error("CheckChanges: a delete of Y's members under X's lock succeeded")
	}
	if err := underX(func(tx *ent.Tx) error {
		return tx.Member.Update().Where(member.OrganizationID(cx.ID)).SetRole(schema.RoleOwner).Exec(ctx)
	}); err != nil {
		t.Errorf("CheckChanges: an update of X's members under X's lock: %v", err)
	}

	// PostgreSQL: every commit changes everything.
	pg := open(t, postgresDSN(t))
	pgOwner := pg.User.Create().SetEmail("ada@example.com").SaveX(ctx)
	since := pg.Changes()
	provisioned(t, pg, pgOwner.ID, "P")
	if pg.EverythingChanged() <= since || !pg.OrganizationChangedSince(uuid.New(), since) {
		t.Error("PostgreSQL: a commit did not count as a change of everything")
	}
}

// provisioned creates an organization as POST does, in one transaction.
func provisioned(t *testing.T, db *store.DB, owner uuid.UUID, name string) *ent.Organization {
	t.Helper()
	ctx := context.Background()
	var org *ent.Organization
	if err := db.Tx(ctx, func(tx *ent.Tx) error {
		now := time.Now()
		var err error
		org, err = tx.Organization.Create().SetName(name).SetMode(organization.ModeLive).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		_, err = orgs.Provision(ctx, tx, org, owner, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return org
}
