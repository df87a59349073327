package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/store"
)

// `orgraph bench` on a tiny configuration: it seeds, starts this binary as
// the server, runs the baseline and every scenario, and prints the table
// and the JSON report with every scenario measured and no errors. The
// figures themselves are not asserted (no timed assertions in tests).
func TestBenchRunsEveryScenario(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	stdout, stderr, code := runCmd(t, "bench", "--orgs", "60", "--members", "3", "--connections", "4",
		"--duration", "300ms", "--warmup", "50ms", "--json", report, "--profile", filepath.Join(dir, "profiles"))
	if code != 0 {
		t.Fatalf("bench exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []string{"baseline", "get-item", "get-conditional", "collection-page-1", "collection-page-300", "collection-cursor-300", "members-by-org", "read-mostly", "post", "patch"}
	for _, name := range want {
		if !strings.Contains(stdout, "\n"+name+" ") {
			t.Errorf("the table lacks %s:\n%s", name, stdout)
		}
	}
	var rep struct {
		Orgs      int     `json:"orgs"`
		PeakRSSMB float64 `json:"server_peak_rss_mb"`
		Results   []struct {
			Scenario   string  `json:"scenario"`
			Requests   int     `json:"requests"`
			Errors     int     `json:"errors"`
			FirstError string  `json:"first_error"`
			RPS        float64 `json:"requests_per_second"`
			Ratio      float64 `json:"ratio_to_baseline"`
			P50, P99   float64
			ServerCPU  float64 `json:"server_cpu_us_per_request"`
			MachineCPU float64 `json:"machine_cpu_us_per_request"`
		} `json:"results"`
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, b)
	}
	if rep.Orgs != 60 || len(rep.Results) != len(want) || rep.PeakRSSMB <= 0 {
		t.Fatalf("report: %d orgs, %d results, peak RSS %v", rep.Orgs, len(rep.Results), rep.PeakRSSMB)
	}
	for i, r := range rep.Results {
		if r.Scenario != want[i] || r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.Ratio <= 0 {
			t.Errorf("%s: %d requests, %d errors (%s), %.0f req/s, ratio %.2f", r.Scenario, r.Requests, r.Errors, r.FirstError, r.RPS, r.Ratio)
		}
		// CPU per request: the machine's for every scenario, the server
		// process's for all but the baseline (which runs in the bench).
		if r.MachineCPU <= 0 || (r.ServerCPU <= 0) != (r.Scenario == "baseline") {
			t.Errorf("%s: CPU per request %.0f µs in the server, %.0f µs in the machine", r.Scenario, r.ServerCPU, r.MachineCPU)
		}
	}
	if !strings.Contains(stdout, "server defaults,") {
		t.Errorf("the table does not say the server ran with its defaults:\n%s", stdout)
	}
	// --serve-args reaches the server's command line and the report.
	stdout, stderr, code = runCmd(t, "bench", "--orgs", "10", "--members", "2", "--connections", "2",
		"--duration", "100ms", "--warmup", "0s", "--scenarios", "get-item", "--serve-args", "--cache-size 0")
	if code != 0 || !strings.Contains(stdout, "serve --cache-size 0,") || !strings.Contains(stdout, "\nget-item ") {
		t.Errorf("bench --serve-args: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, name := range append(want[1:], "heap") {
		file := name + ".cpu.pprof"
		if name == "heap" {
			file = "heap.pprof"
		}
		if st, err := os.Stat(filepath.Join(dir, "profiles", file)); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v", file, err)
		}
	}

	// The seed records the events the API records for what it seeds (one
	// organization.created per organization, a member.added per member
	// beside its owner), rendered as the server renders them: the outbox
	// is measured against a feed that has rows.
	seeded := filepath.Join(dir, "seeded.db")
	if _, stderr, code := runCmd(t, "bench", "--db", "sqlite:"+seeded, "--orgs", "7", "--members", "3", "--connections", "1",
		"--duration", "50ms", "--warmup", "0s", "--scenarios", "get-item"); code != 0 {
		t.Fatalf("bench on a named database: %s", stderr)
	}
	// Read through the store, which reads documents as rendered (SQLite
	// keeps them compressed).
	db, err := store.Open(context.Background(), "sqlite:"+seeded)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recorded, err := db.Event.Query().Where(event.ActorTypeEQ(event.ActorTypeSystem)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range recorded {
		var doc struct {
			Type string `json:"@type"`
		}
		if json.Unmarshal([]byte(e.Data), &doc) == nil && doc.Type != "" {
			counts[e.Type]++
		}
	}
	// The bench key's own organization is the eighth (keys create makes it).
	if counts["organization.created"] != 7+1 || counts["member.added"] != 7*2 {
		t.Errorf("the seed recorded %v, want 8 organization.created and 14 member.added with their documents", counts)
	}

	if _, _, code := runCmd(t, "bench", "--scenarios", "nope"); code == 0 {
		t.Errorf("an unknown scenario was accepted")
	}
	// A database with data is refused, untouched: the bench seeds its own.
	used := "sqlite:" + filepath.Join(dir, "used.db")
	if _, stderr, code := runCmd(t, "keys", "create", "--email", "ada@example.com", "--db", used, "--create-db"); code != 0 {
		t.Fatalf("keys create: %s", stderr)
	}
	if _, stderr, code := runCmd(t, "bench", "--db", used, "--orgs", "5", "--duration", "100ms"); code == 0 || !strings.Contains(stderr, "the database has data") {
		t.Errorf("bench on a used database: exit %d, %s", code, stderr)
	}
	// Profiles are served on loopback only.
	if _, stderr, code := runCmd(t, "serve", "--db", "sqlite:"+filepath.Join(dir, "p.db"), "--addr", "127.0.0.1:0", "--pprof", "0.0.0.0:0"); code != 2 || !strings.Contains(stderr, "loopback") {
		t.Errorf("serve --pprof 0.0.0.0:0: exit %d, %s", code, stderr)
	}
}
