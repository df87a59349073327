// Package testenv gives tests the machine's services: a fresh PostgreSQL
// schema per test, the test Redis, and a clock to move by hand. Tests skip,
// saying why, when a service is not configured.
package testenv

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresDSN creates a schema named prefix_<random> in
// ORGRAPH_TEST_POSTGRES_URL, drops it when the test ends, and returns a URL
// whose search_path is that schema.
func PostgresDSN(t testing.TB, prefix string) string {
	t.Helper()
	base := os.Getenv("ORGRAPH_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("ORGRAPH_TEST_POSTGRES_URL is not set: skipping a PostgreSQL test")
	}
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	schema := prefix + "_" + hex.EncodeToString(raw)
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

// RedisURL is ORGRAPH_TEST_REDIS_URL; the test is skipped without it.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ORGRAPH_TEST_REDIS_URL")
	if u == "" {
		t.Skip("ORGRAPH_TEST_REDIS_URL is not set: skipping a Redis test")
	}
	return u
}

// Clock is a clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
