package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/store"
)

// CreateKey takes an email by mailaddr's one rule: every spelling of an
// address is one user; a look-alike (the Kelvin sign, which Unicode
// lower-cases to k) or anything else outside the rule is refused and
// creates nothing, rather than becoming someone else's key.
func TestCreateKeyTakesEmailsByOneRule(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		for _, spelling := range []string{"Kate@Example.com", "  kate@EXAMPLE.COM\n"} {
			if _, err := db.CreateKey(ctx, store.NewKey{Email: spelling}); err != nil {
				t.Fatalf("CreateKey(%q): %v", spelling, err)
			}
		}
		if emails := db.User.Query().Select(user.FieldEmail).StringsX(ctx); len(emails) != 1 || emails[0] != "kate@example.com" {
			t.Fatalf("users %q, want the one kate@example.com", emails)
		}
		keys := db.APIKey.Query().CountX(ctx)
		for _, bad := range []string{"\u212Aate@example.com", "kate@exa\u212Aple.com", "j\u00F6rg@example.com", "kate", "kate@example..com", ""} {
			_, err := db.CreateKey(ctx, store.NewKey{Email: bad})
			if !errors.Is(err, mailaddr.ErrInvalid) {
				t.Errorf("CreateKey(%q): %v, want mailaddr.ErrInvalid", bad, err)
			}
		}
		if n, k := db.User.Query().CountX(ctx), db.APIKey.Query().CountX(ctx); n != 1 || k != keys {
			t.Errorf("after the refused ones: %d users and %d keys, want 1 and %d", n, k, keys)
		}
		// The bootstrap address has no dot in its domain: it stays valid.
		if _, err := db.CreateKey(ctx, store.NewKey{Email: store.BootstrapEmail}); err != nil {
			t.Errorf("CreateKey(%q): %v", store.BootstrapEmail, err)
		}
	})
}
