package main

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// CI has no Docker daemon: these tests hold the Dockerfile to what go.mod
// and the binary say, and tools/docker-build-check.sh runs the
// Dockerfile's build command.

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
