package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// postgresDSN is a fresh schema of the test PostgreSQL
// (ORGRAPH_TEST_POSTGRES_URL), dropped when the test ends; the test is
// skipped without it.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ORGRAPH_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("ORGRAPH_TEST_POSTGRES_URL is not set: skipping a PostgreSQL test")
	}
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	schema := "orgraph_cmd_" + hex.EncodeToString(raw)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// redisURL is the test Redis (ORGRAPH_TEST_REDIS_URL); the test is skipped
// without it.
func redisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ORGRAPH_TEST_REDIS_URL")
	if u == "" {
		t.Skip("ORGRAPH_TEST_REDIS_URL is not set: skipping a Redis test")
	}
	return u
}

// newKey runs `orgraph keys create` and returns the key it prints.
func newKey(t *testing.T, db, email string, flags ...string) string {
	t.Helper()
	out, errOut, code := runCmd(t, append([]string{"keys", "create", "--db", db, "--email", email}, flags...)...)
	if code != 0 {
		t.Fatalf("keys create: exit %d: %s", code, errOut)
	}
	k := lastLine(out)
	if !keyPattern.MatchString(k) {
		t.Fatalf("keys create printed %q", out)
	}
	return k
}
