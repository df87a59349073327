package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
)

// The VCS state for builds the Go toolchain cannot stamp: it finds no
// repository in a git worktree (.git is a file there) nor in a Docker
// build context without .git. tools/build.sh sets these with -ldflags -X
// (from git, or ORGRAPH_REVISION); what the toolchain stamped wins.
var (
	vcsRevision string
	vcsTime     string
	vcsModified string
)

// printVersion is `orgraph version`: what a bug report needs to name the
// build. The Go toolchain stamps the module version and the VCS state
// (revision, commit time, uncommitted changes) into the binary; `go run`
// and -buildvcs=false builds carry no VCS state, and say so.
func printVersion(_ context.Context, c *command, args []string, stdout, _ io.Writer) error {
	if err := newFlags(c).parse(args, stdout); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return errors.New("this binary carries no build information (built without module support)")
	}
	vcs := map[string]string{"vcs.revision": vcsRevision, "vcs.time": vcsTime, "vcs.modified": vcsModified}
	if stamped := slices.ContainsFunc(info.Settings, func(s debug.BuildSetting) bool { return s.Key == "vcs.revision" }); stamped {
		clear(vcs)
	}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	fmt.Fprintf(stdout, "orgraph %s\n", info.Main.Version)
	fmt.Fprintf(stdout, "module   %s\n", info.Main.Path)
	rev := vcs["vcs.revision"]
	switch {
	case rev == "":
		fmt.Fprintln(stdout, "revision unknown (built without VCS information, e.g. by go run or -buildvcs=false)")
	case vcs["vcs.modified"] == "true":
		fmt.Fprintf(stdout, "revision %s, modified (uncommitted changes)\n", rev)
	default:
		fmt.Fprintf(stdout, "revision %s\n", rev)
	}
	if t := vcs["vcs.time"]; t != "" {
		fmt.Fprintf(stdout, "commit   %s\n", t)
	}
	cgo := "cgo"
	if vcs["CGO_ENABLED"] != "1" {
		cgo = "no cgo: SQLite unavailable"
	}
	fmt.Fprintf(stdout, "go       %s %s/%s, %s\n", info.GoVersion, runtime.GOOS, runtime.GOARCH, cgo)
	return nil
}
