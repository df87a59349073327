package main

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// CI has no Docker daemon: these tests hold the Dockerfile and compose.yaml
// to what go.mod and the binary say, and tools/docker-build-check.sh runs
// the Dockerfile's build command.

// dockerfile is the Dockerfile with its continuation lines joined.
func dockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\\\n", " ")
}

// instruction is the first line of the Dockerfile that starts with one of
// its instructions and matches re; its submatches.
func instruction(t *testing.T, file, re string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + re + `\s*$`).FindStringSubmatch(file)
	if m == nil {
		t.Fatalf("Dockerfile: no line matches %s", re)
	}
	return m
}

func TestDockerfile(t *testing.T) {
	file := dockerfile(t)
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindSubmatch(mod)
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	// The build stage runs go.mod's Go minor, on the runtime's Debian
	// release (the binary links that release's C library).
	if v := instruction(t, file, `ARG GO_VERSION=(\S+)`)[1]; v != string(goLine[1]) {
		t.Errorf("Dockerfile: GO_VERSION %s, go.mod says go %s", v, goLine[1])
	}
	instruction(t, file, `FROM golang:\$\{GO_VERSION\}-\$\{DEBIAN_RELEASE\} AS build`)
	instruction(t, file, `FROM debian:\$\{DEBIAN_RELEASE\}-slim`)
	// The build is tools/build.sh, which CI runs too.
	instruction(t, file, `RUN .*ORGRAPH_REVISION="\$ORGRAPH_REVISION" tools/build.sh /out/orgraph`)
	instruction(t, file, `COPY --from=build /out/orgraph /usr/local/bin/orgraph`)
	if user := instruction(t, file, `USER (\S+)`)[1]; strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("Dockerfile: USER %s: the server must not run as root", user)
	}

	// ENV names serve's variables only; the port it listens on is EXPOSEd
	// and the SQLite file is on the VOLUME.
	vars := map[string]bool{}
	for _, v := range serveFlags(t) {
		vars[v] = true
	}
	env := map[string]string{}
	for _, kv := range regexp.MustCompile(`(ORGRAPH_[A-Z_]+)=(\S+)`).FindAllStringSubmatch(instruction(t, file, `ENV (.*)`)[1], -1) {
		env[kv[1]] = kv[2]
		if !vars[kv[1]] {
			t.Errorf("Dockerfile: ENV %s is no variable of serve", kv[1])
		}
	}
	_, port, err := net.SplitHostPort(env["ORGRAPH_ADDR"])
	if err != nil || instruction(t, file, `EXPOSE (\S+)`)[1] != port {
		t.Errorf("Dockerfile: EXPOSE is not the port of ORGRAPH_ADDR %q", env["ORGRAPH_ADDR"])
	}
	volume := instruction(t, file, `VOLUME (\S+)`)[1]
	if !strings.HasPrefix(env["ORGRAPH_DB"], "sqlite:"+volume+"/") {
		t.Errorf("Dockerfile: ORGRAPH_DB %q is not on the volume %s", env["ORGRAPH_DB"], volume)
	}

	// The health check, entrypoint and command are commands of this
	// binary, with flags it takes: each answers -h.
	exec := func(instr string) []string {
		t.Helper()
		m := instruction(t, file, instr+` \[(.*)\]`)
		var args []string
		for _, a := range strings.Split(m[1], ",") {
			args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
		}
		return args
	}
	health := exec(`HEALTHCHECK .*CMD`)
	entry := exec(`ENTRYPOINT`)
	if !slices.Equal(entry, []string{"orgraph"}) || health[0] != "orgraph" || health[1] != "healthcheck" {
		t.Fatalf("Dockerfile: ENTRYPOINT %q, HEALTHCHECK %q", entry, health)
	}
	for _, args := range [][]string{health[1:], exec(`CMD`)} {
		if _, errOut, code := runCmd(t, append(args, "-h")...); code != 0 {
			t.Errorf("Dockerfile: orgraph %s: exit %d, %s", strings.Join(args, " "), code, errOut)
		}
	}
}

// compose is what the test reads of compose.yaml.
type compose struct {
	Services map[string]struct {
		Image       string
		Command     []string
		Environment map[string]string
		Ports       []string
		DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
	}
	Volumes map[string]any
}

// compose.yaml: PostgreSQL, Redis, a one-shot migrate that must succeed
// before the replicas start, and at least two replicas, each on its own
// published port; every ORGRAPH_ variable is one serve reads.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	vars := map[string]bool{}
	for _, v := range serveFlags(t) {
		vars[v] = true
	}
	pg, redis, migrate := c.Services["postgres"], c.Services["redis"], c.Services["migrate"]
	if !strings.HasPrefix(pg.Image, "postgres:") || !strings.HasPrefix(redis.Image, "redis:") {
		t.Errorf("compose.yaml: postgres %q, redis %q", pg.Image, redis.Image)
	}
	if !slices.Equal(migrate.Command, []string{"migrate"}) || migrate.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("compose.yaml: migrate runs %q after %v", migrate.Command, migrate.DependsOn)
	}
	replicas, hostPorts := 0, map[string]bool{}
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if strings.HasPrefix(k, "ORGRAPH_") && !vars[k] {
				t.Errorf("compose.yaml: %s: %s is no variable of serve", name, k)
			}
			if k == "ORGRAPH_DB" && !(strings.HasPrefix(v, "postgres://") && strings.Contains(v, "@postgres:")) {
				t.Errorf("compose.yaml: %s: ORGRAPH_DB %q is not the postgres service", name, v)
			}
			if k == "ORGRAPH_REDIS_URL" && !strings.HasPrefix(v, "redis://redis:") {
				t.Errorf("compose.yaml: %s: ORGRAPH_REDIS_URL %q is not the redis service", name, v)
			}
		}
		if len(s.Command) == 0 || s.Command[0] != "serve" {
			continue
		}
		replicas++
		if s.Image != migrate.Image || s.Environment["ORGRAPH_DB"] != migrate.Environment["ORGRAPH_DB"] {
			t.Errorf("compose.yaml: %s runs %q on %q, migrate %q on %q", name, s.Image, s.Environment["ORGRAPH_DB"], migrate.Image, migrate.Environment["ORGRAPH_DB"])
		}
		if s.DependsOn["migrate"].Condition != "service_completed_successfully" || s.DependsOn["redis"].Condition != "service_healthy" {
			t.Errorf("compose.yaml: %s must start after migrate succeeded and redis is healthy: %v", name, s.DependsOn)
		}
		_, port, _ := net.SplitHostPort(s.Environment["ORGRAPH_ADDR"])
		if len(s.Ports) != 1 || !strings.HasSuffix(s.Ports[0], ":"+port) {
			t.Errorf("compose.yaml: %s publishes %q, listens on %q", name, s.Ports, s.Environment["ORGRAPH_ADDR"])
			continue
		}
		host := strings.TrimSuffix(s.Ports[0], ":"+port)
		if hostPorts[host] {
			t.Errorf("compose.yaml: %s publishes %s, as another replica does", name, host)
		}
		hostPorts[host] = true
		if _, errOut, code := runCmd(t, append(s.Command, "-h")...); code != 0 {
			t.Errorf("compose.yaml: %s: orgraph %q: exit %d, %s", name, s.Command, code, errOut)
		}
	}
	if replicas < 2 {
		t.Errorf("compose.yaml: %d replicas, want two", replicas)
	}
}
