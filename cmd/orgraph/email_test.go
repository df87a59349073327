package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/store"
)

// `orgraph keys create --email` takes the address by mailaddr's one rule:
// a look-alike of kate@example.com spelt with the Kelvin sign (which
// Unicode lower-cases to k) is refused with the rule named, and does not
// become kate's key; any ASCII spelling of kate's address is kate's, and the
// address is printed as stored.
func TestKeysCreateTakesEmailsByOneRule(t *testing.T) {
	for _, c := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "o.db") }},
		{"postgres", postgresDSN},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := c.dsn(t)
			out, errOut, code := runCmd(t, "keys", "create", "--email", " Kate@Example.COM", "--db", db, "--create-db")
			if code != 0 || !strings.Contains(out, " key for kate@example.com.") {
				t.Fatalf("exit %d: %q %q", code, out, errOut)
			}
			out, errOut, code = runCmd(t, "keys", "create", "--email", "\u212Aate@example.com", "--db", db)
			if code != 1 || out != "" || !strings.Contains(errOut, `"\u212aate@example.com" is not a valid email address: an email address is ASCII`) {
				t.Errorf("the Kelvin sign: exit %d, stdout %q, stderr %q; want 1 and the rule", code, out, errOut)
			}
			s, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			kate, err := s.User.Query().Where(user.Email("kate@example.com")).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if users, keys := s.User.Query().CountX(ctx), s.APIKey.Query().CountX(ctx); users != 1 || keys != 1 {
				t.Errorf("%d users and %d keys, want kate alone with her one key", users, keys)
			}
			if n := kate.QueryAPIKeys().CountX(ctx); n != 1 {
				t.Errorf("kate has %d keys, want 1", n)
			}
		})
	}
}
