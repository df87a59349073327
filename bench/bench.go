// Package bench measures Orgraph the way its users load it: it seeds a
// fresh database, starts the real orgraph binary on loopback, drives each
// scenario with a closed loop of concurrent connections for a fixed time,
// and compares every scenario with a baseline measured in the same run: a
// bare net/http handler that reads the same organization row with
// database/sql and writes it with encoding/json. Ratios to that baseline,
// not absolute figures, are what carry from one machine to another.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgraph/orgraph/handlers"
	"github.com/orgraph/orgraph/store"
)

// Config is a run.
type Config struct {
	// Binary is the orgraph executable started as the server.
	Binary string
	// DSN is the database; empty: a fresh SQLite file in a temporary
	// directory. A PostgreSQL URL must name an empty database or schema.
	DSN         string
	Orgs        int           // organizations seeded (10,000)
	Members     int           // members of each, the owner included (5)
	Connections int           // concurrent connections, each a closed loop (32)
	Duration    time.Duration // measured time per scenario (10 s)
	Warmup      time.Duration // unmeasured load before each scenario (1 s)
	// Scenarios to run (all when empty); the baseline always runs.
	Scenarios []string
	// ProfileDir, when set, receives a CPU profile of the server for each
	// scenario and a heap profile at the end (the server's --pprof).
	ProfileDir string
	// ServeArgs are added to the server's command line (`orgraph serve …`),
	// e.g. "--cache-size", "0" to measure without the document cache.
	ServeArgs []string
	// Log receives progress lines.
	Log io.Writer
}

// Defaults are the documented defaults of `orgraph bench`.
var Defaults = Config{Orgs: 10000, Members: 5, Connections: 32, Duration: 10 * time.Second, Warmup: time.Second}

// Result is one scenario's figures.
type Result struct {
	Scenario  string  `json:"scenario"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	RPS       float64 `json:"requests_per_second"`
	Ratio     float64 `json:"ratio_to_baseline"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	PeakRSSMB float64 `json:"server_peak_rss_mb"` // sampled during the scenario
	// CPU microseconds per request (bench/cpu.go): the server process's,
	// and the whole machine's busy time (server, load generator and a
	// local database). Zero where /proc cannot be read.
	ServerCPUMicros  float64 `json:"server_cpu_us_per_request,omitempty"`
	MachineCPUMicros float64 `json:"machine_cpu_us_per_request,omitempty"`
	FirstError       string  `json:"first_error,omitempty"`
	Description      string  `json:"description"`
}

// Report is a whole run.
type Report struct {
	Orgs        int      `json:"orgs"`
	Members     int      `json:"members_per_org"`
	Connections int      `json:"connections"`
	ServeArgs   string   `json:"serve_args,omitempty"`
	Duration    string   `json:"duration_per_scenario"`
	Database    string   `json:"database"`
	CPUs        int      `json:"cpus"`
	SeedSeconds float64  `json:"seed_seconds"`
	Results     []Result `json:"results"`
	// PeakRSSMB is the server's high-water mark over the run (VmHWM).
	PeakRSSMB float64 `json:"server_peak_rss_mb"`
}

// Run seeds, starts the server, runs the baseline and the scenarios.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Orgs < 1 || cfg.Members < 1 || cfg.Connections < 1 || cfg.Duration <= 0 || cfg.Warmup < 0 {
		return nil, errors.New("bench: orgs, members, connections and duration must be positive")
	}
	for _, name := range cfg.Scenarios {
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == name }) {
			return nil, fmt.Errorf("bench: unknown scenario %q (known: %s)", name, strings.Join(scenarioNames(), ", "))
		}
	}
	dir, err := os.MkdirTemp("", "orgraph-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	dsn := cfg.DSN
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "bench.db")
	}

	fmt.Fprintf(cfg.Log, "seeding %d organizations with %d members each…\n", cfg.Orgs, cfg.Members)
	start := time.Now()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	data, err := func() (*seeded, error) {
		defer db.Close()
		// Refuse a database with data before writing anything to it.
		var users int
		if err := db.Readers().QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&users); err == nil && users > 0 {
			return nil, errors.New("bench: the database has data (users); give --db an empty database or schema: the bench seeds its own")
		}
		if err := db.Migrate(ctx); err != nil {
			return nil, err
		}
		// The events of the seeded writes, rendered as the server renders
		// them; the key's too.
		record := handlers.EventRecorder(db)
		db.SetRecorder(record)
		return seed(ctx, db, cfg, record)
	}()
	if err != nil {
		return nil, err
	}
	rep := &Report{Orgs: cfg.Orgs, Members: cfg.Members, Connections: cfg.Connections, Duration: cfg.Duration.String(),
		Database: strings.SplitN(dsn, ":", 2)[0], ServeArgs: strings.Join(cfg.ServeArgs, " "), CPUs: numCPU(), SeedSeconds: time.Since(start).Seconds()}

	srv, err := startServer(ctx, cfg, dsn, dir)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	base, closeBaseline, err := startBaseline(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer closeBaseline()

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: cfg.Connections, MaxIdleConnsPerHost: cfg.Connections, MaxConnsPerHost: cfg.Connections,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	env := &target{client: client, url: srv.url, baseline: base, key: data.key, orgs: data.orgs}
	if err := env.prepare(ctx); err != nil {
		return nil, err
	}

	var baseline float64
	for _, sc := range scenarios {
		if sc.name != baselineName && len(cfg.Scenarios) > 0 && !slices.Contains(cfg.Scenarios, sc.name) {
			continue
		}
		if sc.name == "collection-cursor-300" && env.deepCursor == "" {
			continue // fewer organizations than 300 pages hold
		}
		fmt.Fprintf(cfg.Log, "%-22s %s…\n", sc.name, cfg.Duration)
		res, err := measure(ctx, cfg, env, sc, srv)
		if err != nil {
			return nil, err
		}
		if sc.name == baselineName {
			baseline = res.RPS
		}
		if baseline > 0 {
			res.Ratio = res.RPS / baseline
		}
		rep.Results = append(rep.Results, res)
	}
	if cfg.ProfileDir != "" {
		if err := srv.profile(ctx, "heap", filepath.Join(cfg.ProfileDir, "heap.pprof")); err != nil {
			return nil, err
		}
	}
	rep.PeakRSSMB = srv.peakRSS()
	return rep, nil
}

// server is the orgraph binary running `serve` on loopback.
type server struct {
	cmd       *exec.Cmd
	url       string
	pprofURL  string
	done      chan error
	stderrLog string
}

func startServer(ctx context.Context, cfg Config, dsn, dir string) (*server, error) {
	if cfg.Binary == "" {
		return nil, errors.New("bench: no orgraph binary to start")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// Rate limits are off: the bench is one caller far above any quota.
	args := append([]string{"serve", "--addr", addr, "--db", dsn, "--rate-limit", "0"}, cfg.ServeArgs...)
	s := &server{url: "http://" + addr, done: make(chan error, 1), stderrLog: filepath.Join(dir, "server.log")}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, err
		}
		pprofAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--pprof", pprofAddr)
		s.pprofURL = "http://" + pprofAddr
	}
	logFile, err := os.Create(s.stderrLog)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(cfg.Binary, args...)
	// Every serve flag has an ORGRAPH_… variable: leave them out, so that
	// the figures depend on the bench's command line (--serve-args), not
	// on the shell it runs in.
	s.cmd.Env = []string{} // not nil: nil would mean the whole environment
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORGRAPH_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("bench: start %s: %w", cfg.Binary, err)
	}
	go func() { s.done <- s.cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	probe := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := probe.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			log, _ := os.ReadFile(s.stderrLog)
			return nil, fmt.Errorf("bench: the server exited (%v): %s", err, log)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("bench: the server did not answer /healthz within 30 s")
		}
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// rss reads the server's resident set (VmRSS) or its peak (VmHWM) in MB.
func (s *server) rss(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func (s *server) peakRSS() float64 { return s.rss("VmHWM") }

// profile saves one of the server's pprof profiles.
func (s *server) profile(ctx context.Context, name, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.pprofURL+"/debug/pprof/"+name, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench: profile %s: %w", name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: profile %s: %s", name, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// measure warms up, then runs one scenario for cfg.Duration with
// cfg.Connections closed loops, sampling the server's RSS.
func measure(ctx context.Context, cfg Config, env *target, sc scenario, srv *server) (Result, error) {
	res := Result{Scenario: sc.name, Description: sc.description}
	if cfg.Warmup > 0 {
		if _, err := load(ctx, cfg.Connections, cfg.Warmup, env, sc); err != nil {
			return res, err
		}
	}
	var peak float64
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, srv.rss("VmRSS"))
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	var profiling sync.WaitGroup
	var profileErr error
	if cfg.ProfileDir != "" && sc.name != baselineName {
		profiling.Add(1)
		go func() {
			defer profiling.Done()
			seconds := max(1, int(cfg.Duration.Seconds()))
			profileErr = srv.profile(ctx, "profile?seconds="+strconv.Itoa(seconds), filepath.Join(cfg.ProfileDir, sc.name+".cpu.pprof"))
		}()
	}
	pid := srv.cmd.Process.Pid
	if sc.name == baselineName {
		pid = 0 // the baseline runs in this process, not the server
	}
	meter := startCPUMeter(pid)
	tally, err := load(ctx, cfg.Connections, cfg.Duration, env, sc)
	close(stopSampling)
	sampling.Wait()
	profiling.Wait()
	if err != nil {
		return res, err
	}
	if profileErr != nil {
		return res, profileErr
	}
	res.PeakRSSMB = peak
	if sc.name == baselineName {
		res.PeakRSSMB = 0 // the baseline runs in this process, not the server
	}
	lat := tally.latencies
	slices.Sort(lat)
	res.Requests, res.Errors, res.FirstError = len(lat), tally.errors, tally.firstError
	res.ServerCPUMicros, res.MachineCPUMicros = meter.perRequest(len(lat))
	res.RPS = float64(len(lat)) / tally.elapsed.Seconds()
	if len(lat) > 0 {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		res.P50 = ms(lat[len(lat)*50/100])
		res.P99 = ms(lat[min(len(lat)-1, len(lat)*99/100)])
		res.Max = ms(lat[len(lat)-1])
	}
	return res, nil
}

// tally is what the closed loops measured.
type tally struct {
	latencies  []time.Duration // of every request, errors included
	errors     int
	firstError string
	elapsed    time.Duration
}

// load runs n closed loops for d: each sends a request, reads the whole
// answer, checks its status and sends the next.
func load(ctx context.Context, n int, d time.Duration, env *target, sc scenario) (*tally, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out := &tally{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gen := sc.requests(env, w)
			lat := make([]time.Duration, 0, 4096)
			errs, first := 0, ""
			for ctx.Err() == nil {
				req, want := gen()
				t0 := time.Now()
				status, err := env.send(req)
				if ctx.Err() != nil && err != nil {
					break // cut by the end of the scenario, not a failure
				}
				lat = append(lat, time.Since(t0))
				if err == nil && status != want {
					err = fmt.Errorf("%s %s: status %d, want %d", req.method, req.path, status, want)
				}
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			out.latencies = append(out.latencies, lat...)
			out.errors += errs
			if out.firstError == "" {
				out.firstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out, nil
}

// WriteTable prints the report as a table.
func (r *Report) WriteTable(w io.Writer) {
	serve := "server defaults"
	if r.ServeArgs != "" {
		serve = "serve " + r.ServeArgs
	}
	fmt.Fprintf(w, "%d organizations × %d members, %s database, %s, %d connections, %s per scenario, %d CPUs\n\n",
		r.Orgs, r.Members, r.Database, serve, r.Connections, r.Duration, r.CPUs)
	fmt.Fprintf(w, "%-22s %10s %7s %8s %8s %8s %7s %8s %8s %8s\n", "scenario", "req/s", "ratio", "p50 ms", "p99 ms", "max ms", "errors", "RSS MB", "srv µs", "all µs")
	orDash := func(v float64, format string) string {
		if v > 0 {
			return fmt.Sprintf(format, v)
		}
		return "-"
	}
	for _, res := range r.Results {
		fmt.Fprintf(w, "%-22s %10.0f %7.2f %8.2f %8.2f %8.2f %7d %8s %8s %8s\n", res.Scenario, res.RPS, res.Ratio, res.P50, res.P99, res.Max, res.Errors,
			orDash(res.PeakRSSMB, "%.0f"), orDash(res.ServerCPUMicros, "%.0f"), orDash(res.MachineCPUMicros, "%.0f"))
	}
	fmt.Fprintf(w, "\nsrv µs, all µs: CPU microseconds per request of the server process and of the whole machine (server, load, a local database)\n")
	fmt.Fprintf(w, "server peak RSS (VmHWM): %.0f MB\n", r.PeakRSSMB)
	for _, res := range r.Results {
		if res.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", res.Scenario, res.FirstError)
		}
	}
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
