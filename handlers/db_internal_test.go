package handlers

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/orgraph/orgraph/store"
)

// migratedDB opens a migrated SQLite database in a fresh file, closed when
// the test ends: the internal tests' own store, as newEnv is the black-box
// tests'.
func migratedDB(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "orgraph.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
