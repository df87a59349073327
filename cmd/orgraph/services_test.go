package main

import (
	"testing"

	"github.com/orgraph/orgraph/internal/testenv"
)

func postgresDSN(t *testing.T) string { return testenv.PostgresDSN(t, "orgraph_cmd") }

func redisURL(t *testing.T) string { return testenv.RedisURL(t) }

// newKey runs `orgraph keys create` and returns the key it prints. The
// tests give it fresh SQLite paths too: --create-db.
func newKey(t *testing.T, db, email string, flags ...string) string {
	t.Helper()
	out, errOut, code := runCmd(t, append([]string{"keys", "create", "--db", db, "--create-db", "--email", email}, flags...)...)
	if code != 0 {
		t.Fatalf("keys create: exit %d: %s", code, errOut)
	}
	k := lastLine(out)
	if !keyPattern.MatchString(k) {
		t.Fatalf("keys create printed %q", out)
	}
	return k
}
