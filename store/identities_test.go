package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/store"
)

const issuer = "https://id.example.com"

// An identity is linked once, by the issuer's verified email: to the user
// with that address, or to a new one; afterwards the issuer and subject
// alone find the user, whatever email the token then carries. An
// unverified address links nothing.
func TestUserOfIdentityLinksByVerifiedEmailOnly(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		if _, err := db.CreateKey(ctx, store.NewKey{Email: "ada@example.com", Name: "Ada"}); err != nil {
			t.Fatal(err)
		}
		ada := db.User.Query().Where(user.Email("ada@example.com")).OnlyX(ctx)

		// An unverified address, even an existing user's, links nothing.
		_, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-ada", Email: "ada@example.com"})
		if !errors.Is(err, store.ErrUnlinkedIdentity) {
			t.Fatalf("unverified email: %v, want ErrUnlinkedIdentity", err)
		}
		if _, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-ada", EmailVerified: true}); !errors.Is(err, store.ErrUnlinkedIdentity) {
			t.Fatalf("no email: %v, want ErrUnlinkedIdentity", err)
		}
		if n := db.UserIdentity.Query().CountX(ctx); n != 0 {
			t.Fatalf("%d identities after the refusals, want none", n)
		}

		// Verified, in another spelling: Ada.
		u, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-ada", Email: "ADA@example.com", EmailVerified: true})
		if err != nil || u.ID != ada.ID {
			t.Fatalf("verified email: %v, %v; want Ada %s", u, err, ada.ID)
		}
		// Once linked, the subject alone finds her: another email (the
		// issuer's account changed address) changes nothing.
		u, err = db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-ada", Email: "someone@else.example"})
		if err != nil || u.ID != ada.ID {
			t.Fatalf("linked identity: %v, %v; want Ada", u, err)
		}
		// The same subject at another issuer is another account.
		if _, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer + "/other", Subject: "sub-ada"}); !errors.Is(err, store.ErrUnlinkedIdentity) {
			t.Fatalf("another issuer's subject: %v, want ErrUnlinkedIdentity", err)
		}

		// A verified address no user has: a new user, with the token's
		// name, and no organization (no key yet).
		bob, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-bob", Email: "bob@example.com", EmailVerified: true, Name: " Bob "})
		if err != nil || bob.Email != "bob@example.com" || bob.Name != "Bob" {
			t.Fatalf("new user: %+v, %v", bob, err)
		}
		if n := db.Member.Query().CountX(ctx); n != 1 { // Ada's personal organization
			t.Errorf("%d memberships, want Ada's one: a linked identity makes no organization", n)
		}
		// A name that is no user's name is dropped, not refused.
		carol, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-carol", Email: "carol@example.com", EmailVerified: true, Name: "Carol\x00"})
		if err != nil || carol.Name != "" {
			t.Fatalf("a name with a control character: %+v, %v", carol, err)
		}
		// An address outside mailaddr's rule is refused.
		if _, err := db.UserOfIdentity(ctx, store.Identity{Issuer: issuer, Subject: "sub-kelvin", Email: "\u212Aate@example.com", EmailVerified: true}); !errors.Is(err, mailaddr.ErrInvalid) {
			t.Fatalf("look-alike address: %v, want mailaddr.ErrInvalid", err)
		}
	})
}

// Requests racing to use a new identity (a dashboard's first page sends
// several at once, to two replicas) make one user and one link.
func TestUserOfIdentityRacesMakeOneUser(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		// Two handles on the database, as two replicas have.
		dbs := []*store.DB{open(t, dsn), open(t, dsn)}
		for round := range 5 {
			id := store.Identity{Issuer: issuer, Subject: fmt.Sprintf("racer-%d", round), Email: fmt.Sprintf("racer%d@example.com", round), EmailVerified: true}
			users := make([]*ent.User, 8)
			errs := make([]error, len(users))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for n := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					users[n], errs[n] = dbs[n%2].UserOfIdentity(ctx, id)
				}()
			}
			close(start)
			wg.Wait()
			for n := range users {
				if errs[n] != nil {
					t.Fatalf("round %d, request %d: %v", round, n, errs[n])
				}
				if users[n].ID != users[0].ID {
					t.Fatalf("round %d: requests got users %s and %s", round, users[0].ID, users[n].ID)
				}
			}
		}
		if u, i := dbs[0].User.Query().CountX(ctx), dbs[0].UserIdentity.Query().CountX(ctx); u != 5 || i != 5 {
			t.Errorf("%d users and %d identities, want 5 of each", u, i)
		}
	})
}
