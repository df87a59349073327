package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// legacyKey is the API key of the fixture database (testdata/legacy-sqlite.sql).
const legacyKey = "og_live_fec5bf6f9bab6763e25ed29c58dbb96d3b1b4f449d413772"

// A database made by the release before versioned migrations upgrades in
// place: `orgraph migrate` adopts the baseline it was created with, applies
// the later migrations, and the data is served as before.
func TestMigrateUpgradesTheAutoMigratedRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	dump, err := os.ReadFile("testdata/legacy-sqlite.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(string(dump)); err != nil {
		t.Fatalf("load the fixture: %v", err)
	}
	raw.Close()
	db := "sqlite:" + path

	out, errOut, code := runCmd(t, "migrate", "--db", db)
	if code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "_baseline") || !strings.Contains(out, "applied ") || !strings.Contains(out, "up to date") {
		t.Errorf("migrate printed %q: want the later migrations applied, the baseline adopted (not run)", out)
	}
	if out, _, _ := runCmd(t, "migrate", "--db", db); strings.Contains(out, "applied") {
		t.Errorf("a second migrate applied something: %q", out)
	}

	s := startServer(t, db)
	get := func(path string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+legacyKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc map[string]any
		json.NewDecoder(res.Body).Decode(&doc)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, res.StatusCode, doc)
		}
		return doc
	}
	orgs := get("/api/organizations?name=Legacy%20Acme")
	members, _ := orgs["member"].([]any)
	if len(members) != 1 {
		t.Fatalf("Legacy Acme: %v", orgs)
	}
	org := members[0].(map[string]any)
	if org["member_count"] != float64(1) || len(org["owners"].([]any)) != 1 {
		t.Errorf("Legacy Acme after the upgrade: %v", org)
	}
	ws := get("/api/workspaces?organization=" + org["@id"].(string))
	if ws["totalItems"] != float64(1) || ws["member"].([]any)[0].(map[string]any)["name"] != "Design" {
		t.Errorf("workspaces after the upgrade: %v", ws)
	}
	inv := get("/api/invitations?organization=" + org["@id"].(string))
	if inv["totalItems"] != float64(1) || inv["member"].([]any)[0].(map[string]any)["email"] != "bob@example.com" {
		t.Errorf("invitations after the upgrade: %v", inv)
	}
	s.stop(t)
}
