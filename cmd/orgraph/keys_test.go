package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent/event"
)

// keys list prints every key (never a secret), or one user's; keys revoke
// revokes one by id or prefix, operand before or after the flags; both
// refuse a database that does not exist.
func TestKeysListAndRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	db := "sqlite:" + path
	for _, args := range [][]string{{"list", "--db", db}, {"revoke", "og_live_123456", "--db", db}} {
		if _, errOut, code := runCmd(t, append([]string{"keys"}, args...)...); code != 1 || !strings.Contains(errOut, "no database at "+path) {
			t.Errorf("keys %s on a missing database: exit %d, %q", args[0], code, errOut)
		}
	}
	var secrets []string
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		out, errOut, code := runCmd(t, "keys", "create", "--email", email, "--name", "ci", "--db", db, "--create-db")
		if code != 0 {
			t.Fatalf("keys create: %d %q", code, errOut)
		}
		secrets = append(secrets, lastLine(out))
	}
	out, errOut, code := runCmd(t, "keys", "list", "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("keys list: exit %d, %q %q", code, out, errOut)
	}
	for i, s := range secrets {
		if strings.Contains(out, s) || !strings.Contains(out, s[:len("og_live_")+6]) {
			t.Errorf("keys list shows the secret of key %d, or not its prefix: %s", i, out)
		}
	}
	if out, _, _ := runCmd(t, "keys", "list", "--email", "BOB@example.com", "--db", db); strings.Contains(out, "ada@") || !strings.Contains(out, "bob@example.com") {
		t.Errorf("keys list --email bob: %s", out)
	}

	prefix := secrets[0][:len("og_live_")+6]
	out, errOut, code = runCmd(t, "keys", "revoke", prefix, "--db", db)
	if code != 0 || !strings.Contains(out, "Revoked "+prefix) {
		t.Fatalf("keys revoke %s: exit %d, %q %q", prefix, code, out, errOut)
	}
	out, _, _ = runCmd(t, "keys", "list", "--db", db)
	for _, line := range strings.Split(out, "\n") {
		revoked := !strings.HasSuffix(strings.TrimSpace(line), "-")
		switch {
		case strings.Contains(line, prefix) && !revoked:
			t.Errorf("the revoked key is listed as not revoked: %q", line)
		case strings.Contains(line, "bob@") && revoked:
			t.Errorf("bob's key is listed as revoked: %q", line)
		}
	}
	id := strings.Fields(lines[2])[0]
	if out, errOut, code := runCmd(t, "keys", "revoke", "--db", db, id); code != 0 || !strings.Contains(out, id) {
		t.Errorf("keys revoke by id: exit %d, %q %q", code, out, errOut)
	}
	if _, errOut, code := runCmd(t, "keys", "revoke", "--db", db, "og_live_ffffff"); code != 1 || !strings.Contains(errOut, "no key has that id or prefix") {
		t.Errorf("keys revoke of no key: exit %d, %q", code, errOut)
	}
	if _, _, code := runCmd(t, "keys", "revoke", "--db", db); code != 2 {
		t.Errorf("keys revoke without a key: exit %d, want 2", code)
	}

	// What the command line changed is recorded, by the system (issue 20:
	// no change without its event), and no event holds a secret.
	store, err := openMigrated(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	evs, err := store.Event.Query().Order(event.ByID()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
		if ev.ActorType != event.ActorTypeSystem || slices.ContainsFunc(secrets, func(s string) bool { return strings.Contains(string(ev.Data), s) }) {
			t.Errorf("a command line event by %s, or with a secret: %s", ev.ActorType, ev.Data)
		}
	}
	perUser := []string{"user.created", "organization.created", "api_key.created"}
	if want := slices.Concat(perUser, perUser, []string{"api_key.revoked", "api_key.revoked"}); !slices.Equal(types, want) {
		t.Errorf("the command line's events: %v, want %v", types, want)
	}
}
