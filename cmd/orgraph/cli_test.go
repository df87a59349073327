package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runEnv is runCmd with more environment variables.
func runEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// commandNames are the commands of the top-level usage, read from it.
func commandNames(t *testing.T) []string {
	t.Helper()
	out, _, _ := runCmd(t, "help")
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\t([a-z]+(?: [a-z]+)?)  +\S`).FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	if len(names) < 7 {
		t.Fatalf("the usage lists %v", names)
	}
	return names
}

// Asking for help is not a mistake: the usage goes to stdout and the exit
// status is 0, in every form Go programs accept.
func TestHelpExitsZero(t *testing.T) {
	top, _, _ := runCmd(t, "-h")
	for _, want := range []string{"usage: orgraph COMMAND", "serve ", "migrate ", "keys create ", "bench ", "healthcheck ", "version ", "help "} {
		if !strings.Contains(top, want) {
			t.Errorf("orgraph -h lacks %q:\n%s", want, top)
		}
	}
	asks := [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}, {"help", "help"}, {"keys", "-h"}, {"help", "keys"}}
	for _, name := range commandNames(t) {
		asks = append(asks, append(strings.Fields(name), "-h"), append([]string{"help"}, strings.Fields(name)...))
	}
	for _, args := range asks {
		out, errOut, code := runCmd(t, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: ") && !strings.HasPrefix(out, "Orgraph ") || strings.Contains(out, "bad usage") {
			t.Errorf("orgraph %s: exit %d, stderr %q, stdout %.80q", strings.Join(args, " "), code, errOut, out)
		}
	}
	// Each command's help is one text, however it is asked for.
	a, _, _ := runCmd(t, "keys", "create", "-h")
	b, _, _ := runCmd(t, "help", "keys", "create")
	if a != b || !strings.Contains(a, "--create-db") {
		t.Errorf("keys create -h and help keys create differ or lack --create-db:\n%s\n---\n%s", a, b)
	}
}

// A command line that says nothing or something wrong is a usage error:
// status 2, the message and the usage on stderr, nothing on stdout.
func TestUsageMistakesExitTwo(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "usage: orgraph COMMAND"},
		{[]string{"frobnicate"}, `orgraph: unknown command "frobnicate"`},
		{[]string{"keys"}, "usage: orgraph keys COMMAND"},
		{[]string{"keys", "lsit"}, `orgraph keys: unknown command "lsit"`},
		{[]string{"keys", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"help", "nope"}, `unknown command "nope"`},
		{[]string{"serve", "--nope"}, "flag provided but not defined: -nope\nusage: orgraph serve [flags]"},
		{[]string{"migrate", "extra"}, `unexpected argument "extra"`},
		{[]string{"keys", "create"}, "--email is required"},
		{[]string{"serve", "--addr", "nowhere"}, "--addr: address nowhere: missing port in address"},
		{[]string{"version", "now"}, `unexpected argument "now"`},
	} {
		out, errOut, code := runCmd(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("orgraph %s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, out, errOut, c.want)
		}
	}
}

// version (and --version) names the module, its version and the VCS
// revision, from the build information the toolchain stamps. The tests'
// binary is built by go build, which stamps no revision in a git worktree
// or with -buildvcs=false: tools/docker-build-check.sh checks the revision
// of a tools/build.sh binary.
func TestVersion(t *testing.T) {
	out, errOut, code := runCmd(t, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^orgraph (\(devel\)|v\S+)\n`),
		regexp.MustCompile(`(?m)^module +github.com/orgraph/orgraph$`),
		regexp.MustCompile(`(?m)^revision ([0-9a-f]{40}(, modified.*)?|unknown .*)$`),
		regexp.MustCompile(`(?m)^go +` + regexp.QuoteMeta(runtime.Version()) + ` \S+/\S+, cgo$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("version printed no match for %s:\n%s", want, out)
		}
	}
	if again, _, code := runCmd(t, "--version"); code != 0 || again != out {
		t.Errorf("--version: exit %d, %q; want what version prints", code, again)
	}
}

// serveFlags reads `serve -h`: each flag and the variable beside it.
func serveFlags(t *testing.T) map[string]string {
	t.Helper()
	out, _, code := runCmd(t, "serve", "-h")
	if code != 0 {
		t.Fatalf("serve -h: exit %d", code)
	}
	flags := map[string]string{}
	line := regexp.MustCompile(`^  --([a-z-]+)(?: \S+)?(?: +(ORGRAPH_[A-Z_]+))?$`)
	for _, l := range strings.Split(out, "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			flags[m[1]] = m[2]
		} else if strings.HasPrefix(l, "  --") {
			t.Errorf("serve -h: a flag line not understood: %q", l)
		}
	}
	if len(flags) < 15 {
		t.Fatalf("serve -h lists %d flags:\n%s", len(flags), out)
	}
	// Defaults are printed as a person writes them.
	for _, bad := range []string{"(default -1)", "(default 0)", "h0m", "m0s", "(default false)", `(default "")`} {
		if strings.Contains(out, bad) {
			t.Errorf("serve -h prints %q:\n%s", bad, out)
		}
	}
	return flags
}

// Every serve flag has an ORGRAPH_… variable, listed beside it in serve -h
// and in docs/operations.md, and the server reads it: a bad value in each
// variable is a usage error that names the variable, before the database
// is touched.
func TestEveryServeFlagHasAVariable(t *testing.T) {
	dir := t.TempDir()
	// A value each flag refuses, given through its variable alone.
	bad := map[string]string{
		"accept-rate-limit": "-1", "addr": "nowhere", "base-url": "ftp://example.com", "cache-size": "-1", "db": "mysql://example.com/o",
		"db-conn-max-lifetime": "0s", "db-max-idle-conns": "-1", "db-max-open-conns": "many",
		"idempotency-keys": "0", "idempotency-ttl": "soon", "event-retention": "-1h", "secrets-key": "short", "webhooks-allow-private": "maybe", "mercure": "perhaps", "webhook-lease": "5s", "dns-resolver": "127.0.0.1", "idle-timeout": "-1s", "pprof": "0.0.0.0:6060", "explain": "/no/such/directory/plans.txt",
		"rate-limit": "-1", "rate-window": "0s", "read-header-timeout": "x", "read-timeout": "0s",
		"redis": "http://cache.internal", "require-if-match": "maybe", "shutdown-timeout": "forever",
		"write-timeout": "1", "oidc-issuer": "http://id.example.com", "oidc-audience": "dashboard", "oidc-mode": "staging",
		"oidc-scope": "operator",
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for flag, variable := range serveFlags(t) {
		if variable == "" {
			t.Errorf("serve -h: --%s has no variable", flag)
			continue
		}
		if !bytes.Contains(doc, []byte("| `--"+flag+"` | `"+variable+"` |")) {
			t.Errorf("docs/operations.md: no row for --%s and %s", flag, variable)
		}
		value, ok := bad[flag]
		if !ok {
			t.Errorf("--%s: add a value it refuses to this test", flag)
			continue
		}
		// --db would win over ORGRAPH_DB: the file is the default one then,
		// in the test's directory.
		db := filepath.Join(dir, flag+".db")
		args := []string{"serve", "--db", "sqlite:" + db, "--addr", "127.0.0.1:0"}
		switch flag {
		case "db":
			db, args = filepath.Join(dir, "orgraph.db"), []string{"serve", "--addr", "127.0.0.1:0"}
		case "addr":
			args = args[:3]
		}
		cmd := exec.Command(binary, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), variable+"="+value)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		// A server that starts (the variable was not read) is stopped.
		timer := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
		_ = cmd.Run()
		timer.Stop()
		code, errOut := cmd.ProcessState.ExitCode(), errb.String()
		if code != 2 || !strings.Contains(errOut, "orgraph serve: "+variable) && !strings.Contains(errOut, " for "+variable+" (--"+flag+")") {
			t.Errorf("%s=%s: exit %d, stderr %q; want 2 and the variable named", variable, value, code, errOut)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s=%s: the database was created before the usage error", variable, value)
		}
	}
}

// startServe runs `orgraph serve` with env and args and returns the line
// it prints after the key (or first, on a database that has keys), with
// the process, which the test's cleanup stops.
func startServe(t *testing.T, env []string, args ...string) (where string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve exited without saying where it listens")
			}
			if strings.HasPrefix(l, "Listening on ") {
				return l
			}
		case <-timeout:
			t.Fatal("serve said nothing within 20 s")
		}
	}
}

var wherePattern = regexp.MustCompile(`^Listening on (\S+): open (https?://\S+/api) in a browser for the explorer, (https?://\S+/docs) for Swagger UI\.$`)

// After the key, serve prints one line for a person: the address it
// really listens on (port 0 resolved) and the explorer's and Swagger UI's
// URLs, which a browser can open.
func TestServeSaysWhereItListens(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "o.db")
	// The address comes from ORGRAPH_ADDR here: the variable is read.
	line := startServe(t, []string{"ORGRAPH_ADDR=127.0.0.1:0", "ORGRAPH_DB=" + db})
	m := wherePattern.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve printed %q", line)
	}
	if _, port, _ := net.SplitHostPort(m[1]); port == "0" || port == "" || m[2] != "http://"+m[1]+"/api" {
		t.Fatalf("serve printed %q: want the bound port in the address and the URLs", line)
	}
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	for url, want := range map[string]string{m[2]: "/_explorer/explorer.js", m[3]: "swagger"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for k, v := range browser {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), want) {
			t.Errorf("GET %s in a browser: %d, want a page with %q", url, res.StatusCode, want)
		}
	}

	// A flag wins over its variable: ORGRAPH_ADDR cannot be listened on,
	// --addr can. With --base-url the URLs are the public ones.
	line = startServe(t, []string{"ORGRAPH_ADDR=192.0.2.1:1", "ORGRAPH_DB=sqlite:" + filepath.Join(dir, "other.db")}, "--addr", "127.0.0.1:0", "--base-url", "https://api.example.com")
	if m := wherePattern.FindStringSubmatch(line); m == nil || !strings.HasPrefix(m[1], "127.0.0.1:") || m[2] != "https://api.example.com/api" {
		t.Errorf("with --addr over ORGRAPH_ADDR and --base-url: %q", line)
	}
}

// keys create refuses a SQLite path that does not exist (a mistyped path
// would give a key no server reads) and leaves no file behind; --create-db
// creates the database.
func TestKeysCreateNeedsAnExistingDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.db")
	out, errOut, code := runCmd(t, "keys", "create", "--email", "ada@example.com", "--db", "sqlite:"+path)
	if code != 1 || out != "" || !strings.Contains(errOut, "no database at "+path) || !strings.Contains(errOut, "--create-db") {
		t.Errorf("a missing database: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("keys create made the database it refused")
	}
	// ORGRAPH_DB is read, and named when it is the culprit.
	if _, errOut, code := runEnv(t, []string{"ORGRAPH_DB=sqlite:" + path}, "keys", "create", "--email", "ada@example.com"); code != 1 || !strings.Contains(errOut, "(ORGRAPH_DB)") {
		t.Errorf("ORGRAPH_DB to a missing file: exit %d, stderr %q", code, errOut)
	}
	out, errOut, code = runCmd(t, "keys", "create", "--email", "ada@example.com", "--db", "sqlite:"+path, "--create-db")
	if code != 0 || !keyPattern.MatchString(lastLine(out)) {
		t.Fatalf("--create-db: exit %d, %q %q", code, out, errOut)
	}
	// The database exists now: no flag needed.
	if out, errOut, code := runCmd(t, "keys", "create", "--email", "bob@example.com", "--db", "sqlite:"+path); code != 0 || !keyPattern.MatchString(lastLine(out)) {
		t.Fatalf("an existing database: exit %d, %q %q", code, out, errOut)
	}
}

// healthcheck exits 0 when /healthz answers 200 (a wildcard address is
// asked on loopback, the address taken from ORGRAPH_ADDR as serve takes
// it) and 1 when nothing answers.
func TestHealthcheck(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	m := wherePattern.FindStringSubmatch(startServe(t, []string{"ORGRAPH_DB=" + db}, "--addr", "0.0.0.0:0"))
	if m == nil {
		t.Fatal("serve did not say where it listens")
	}
	_, port, _ := net.SplitHostPort(m[1])
	out, errOut, code := runEnv(t, []string{"ORGRAPH_ADDR=0.0.0.0:" + port}, "healthcheck")
	if code != 0 || !strings.Contains(out, "127.0.0.1:"+port+"/healthz: 200 OK") {
		t.Errorf("healthcheck of a running server: exit %d, %q %q", code, out, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, errOut, code := runCmd(t, "healthcheck", "--addr", closed, "--timeout", "2s"); code != 1 || !strings.Contains(errOut, "GET http://"+closed+"/healthz") {
		t.Errorf("healthcheck of nothing: exit %d, %q", code, errOut)
	}
}
