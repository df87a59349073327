package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/store"
)

// With Explain set, every distinct statement's plan is written once, and
// explaining changes nothing: on PostgreSQL a write is explained by
// running it (EXPLAIN ANALYZE) in a savepoint rolled back, so each write
// must still land exactly once, in a transaction and outside one.
func TestExplainWritesPlansAndChangesNothing(t *testing.T) {
	for name, dsn := range map[string]func(*testing.T) string{"sqlite": sqliteDSN, "postgres": postgresDSN} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var plans testenv.Buffer
			db, err := store.OpenWith(ctx, dsn(t), store.Options{Explain: &plans})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			db.User.Create().SetEmail("outside@example.com").SaveX(ctx)
			if err := db.Tx(ctx, func(tx *ent.Tx) error {
				if err := tx.User.Create().SetEmail("inside@example.com").Exec(ctx); err != nil {
					return err
				}
				return tx.User.Update().Where(user.Email("inside@example.com")).SetName("Inside").Exec(ctx)
			}); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if n := db.User.Query().Where(user.EmailIn("outside@example.com", "inside@example.com")).CountX(ctx); n != 2 {
					t.Fatalf("%d users, want 2", n)
				}
			}
			if u := db.User.Query().Where(user.Email("inside@example.com")).OnlyX(ctx); u.Name != "Inside" {
				t.Errorf("the update in the transaction: name %q", u.Name)
			}
			out := plans.String()
			if strings.Contains(out, "not explained") {
				t.Errorf("a statement was not explained:\n%s", out)
			}
			// Each statement once: the count ran three times.
			if n := strings.Count(out, "-- SELECT COUNT("); n != 1 {
				t.Errorf("the count explained %d times, want 1:\n%s", n, out)
			}
			want := []string{"-- INSERT INTO", "-- UPDATE", "SEARCH users USING"} // SQLite's query plan
			if name == "postgres" {
				want = []string{"-- INSERT INTO", "-- UPDATE", "Insert on users", "Buffers:", "Execution Time:"}
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("the plans lack %q:\n%s", w, out)
				}
			}
		})
	}
}
