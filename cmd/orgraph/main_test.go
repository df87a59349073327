package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orgraph/orgraph/internal/testenv"
)

// These tests build the real binary and drive it as a user would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orgraph-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "orgraph")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build orgraph: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var keyPattern = regexp.MustCompile(`^og_(live|test)_[0-9a-f]{48}$`)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runEnv(t, nil, args...)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestKeysCreatePrintsTheKeyAloneOnTheLastLine(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	out, errOut, code := runCmd(t, "keys", "create", "--email", "Ada@Example.com", "--name", "Ada", "--db", db, "--create-db")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if k := lastLine(out); !keyPattern.MatchString(k) || !strings.HasPrefix(k, "og_live_") {
		t.Fatalf("last line is not a live key: %q", k)
	}
	out, _, code = runCmd(t, "keys", "create", "--email", "ada@example.com", "--mode", "test", "--scope", "read", "--db", db)
	if k := lastLine(out); code != 0 || !strings.HasPrefix(k, "og_test_") || !keyPattern.MatchString(k) {
		t.Fatalf("exit %d, last line %q", code, k)
	}
	for _, bad := range [][]string{
		{"keys", "create", "--db", db},                                    // no email
		{"keys", "create", "--email", "a@b.c", "--mode", "x", "--db", db}, // bad mode
		{"keys", "create", "--email", "a@b.c", "--scope", "x", "--db", db},
		{"keys", "list"},
		{"frobnicate"},
	} {
		if _, _, code := runCmd(t, bad...); code == 0 {
			t.Errorf("%v: exit 0, want failure", bad)
		}
	}
}

func TestMigrate(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	for i := 0; i < 2; i++ { // idempotent
		out, errOut, code := runCmd(t, "migrate", "--db", db)
		if code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf("run %d: exit %d, %q %q", i, code, out, errOut)
		}
	}
	if _, _, code := runCmd(t, "migrate", "--db", "mysql://nope"); code == 0 {
		t.Fatal("an unsupported DSN must fail")
	}
}

// server is a running `orgraph serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	stdout *testenv.Buffer
	done   chan error
}

// waitForKey waits until the bootstrap key line has been copied out. The
// key is alone on its line; the line saying where the server listens
// follows it.
func (s *server) waitForKey(t *testing.T) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(s.stdout.String(), "\n") {
			if keyPattern.MatchString(line) {
				return line
			}
		}
	}
	t.Fatalf("no key line in %q", s.stdout.String())
	return ""
}

func startServer(t *testing.T, db string, extraEnv ...string) *server {
	t.Helper()
	return startServerWith(t, db, nil, extraEnv...)
}

// startServerWith passes flags to serve besides --addr.
func startServerWith(t *testing.T, db string, flags []string, extraEnv ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Env = append(os.Environ(), append([]string{"ORGRAPH_DB=" + db}, extraEnv...)...)
	stdout := &testenv.Buffer{}
	cmd.Stdout = stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stdout: stdout, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case err := <-s.done:
		t.Fatalf("server exited: %v", err)
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("server did not start")
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func TestServeBootstrapsOnceAndShutsDownGracefully(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	s := startServer(t, db)
	key := s.waitForKey(t)
	if !strings.HasPrefix(key, "og_live_") {
		t.Fatalf("first start printed %q, want a live key on the last line", s.stdout.String())
	}

	// The walk-through of the README: create an organization, read it back.
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/organizations", strings.NewReader(`{"name":"Acme"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/ld+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, s.url+res.Header.Get("Location"), nil)
	req.Header.Set("X-API-Key", key)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var org map[string]any
	json.NewDecoder(res.Body).Decode(&org)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || org["name"] != "Acme" {
		t.Fatalf("read back: %d %v", res.StatusCode, org)
	}
	s.stop(t)

	// A second start on the same database prints no key.
	s = startServer(t, db)
	s.stop(t) // Wait has copied all output by then
	if out := s.stdout.String(); strings.Contains(out, "og_") {
		t.Fatalf("second start printed a key: %q", out)
	}
}

// serve refuses a negative document cache size.
func TestServeRefusesANegativeCacheSize(t *testing.T) {
	sqlite := "sqlite:" + filepath.Join(t.TempDir(), "orgraph.db")
	if _, stderr, code := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--db", sqlite, "--cache-size", "-2"); code == 0 || !strings.Contains(stderr, "--cache-size must be 0 or more") {
		t.Errorf("--cache-size -2: exit %d, stderr %q", code, stderr)
	}
}

// --idempotency-keys (or ORGRAPH_IDEMPOTENCY_KEYS) caps the Idempotency-Key
// answers kept per key owner and mode; it must be positive.
func TestServeIdempotencyKeys(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	if _, stderr, code := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--idempotency-keys", "0"); code != 2 || !strings.Contains(stderr, "--idempotency-keys must be positive") {
		t.Errorf("--idempotency-keys 0: exit %d, stderr %q", code, stderr)
	}
	s := startServer(t, db, "ORGRAPH_IDEMPOTENCY_KEYS=1")
	key := s.waitForKey(t)
	post := func(idem string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/api/organizations", strings.NewReader(`{"name":"Acme"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/ld+json")
		req.Header.Set("Idempotency-Key", idem)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc map[string]any
		json.NewDecoder(res.Body).Decode(&doc)
		detail, _ := doc["detail"].(string)
		return res.StatusCode, detail
	}
	if status, _ := post("first"); status != http.StatusCreated {
		t.Fatalf("the first key: %d", status)
	}
	if status, detail := post("second"); status != http.StatusTooManyRequests || !strings.Contains(detail, "at most 1 keys are kept per user and mode") {
		t.Errorf("a second key with ORGRAPH_IDEMPOTENCY_KEYS=1: %d %q", status, detail)
	}
	s.stop(t)
}
