package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/orgraph/orgraph/bench"
)

// runBench is `orgraph bench`: see package bench. The server it measures is
// this same binary, started as `orgraph serve`.
func runBench(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c)
	dsn := dbFlag(fs)
	cfg := bench.Defaults
	fs.IntVar(&cfg.Orgs, "orgs", cfg.Orgs, "`organizations` to seed")
	fs.IntVar(&cfg.Members, "members", cfg.Members, "`members` of each organization, the owner included")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "concurrent `connections` (closed loops)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measured time per scenario")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "unmeasured load before each scenario")
	only := fs.String("scenarios", "", "comma-separated `scenarios` to run; default: all (the baseline always runs)")
	jsonPath := fs.String("json", "", "also write the report as JSON to this `file` (- for stdout, after the table)")
	serveArgs := fs.String("serve-args", "", "more `arguments` for the server, e.g. \"--cache-size 0\"")
	fs.StringVar(&cfg.ProfileDir, "profile", "", "write the server's CPU profile of each scenario and a heap profile to this `directory`")
	fs.Lookup("db").DefValue = ""
	fs.Lookup("db").Usage = "an empty database to seed: sqlite:PATH or postgres://…; default: a temporary SQLite file"
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	// The bench seeds a fresh database: only an explicit --db is used,
	// never ORGRAPH_DB or the serve default (an existing database).
	cfg.DSN = ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "db" {
			cfg.DSN = *dsn
		}
	})
	if *only != "" {
		cfg.Scenarios = strings.Split(*only, ",")
	}
	cfg.ServeArgs = strings.Fields(*serveArgs)
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	cfg.Binary, cfg.Log = bin, stderr
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.WriteTable(stdout)
	switch *jsonPath {
	case "":
	case "-":
		fmt.Fprintln(stdout)
		return rep.WriteJSON(stdout)
	default:
		f, err := os.Create(*jsonPath)
		if err != nil {
			return err
		}
		if err := rep.WriteJSON(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}

// checkLoopback refuses a --pprof address other than loopback: profiles
// show code paths and memory. origin names the flag or variable addr came
// from.
func checkLoopback(addr, origin string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return usagef("%s must be a loopback address such as 127.0.0.1:6060, %q given", origin, addr)
	}
	return nil
}

// servePprof serves net/http/pprof on its own listener, apart from the API
// (never behind the API's address, keys or rate limits) and only on
// loopback (checkLoopback).
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	if err := checkLoopback(addr, "--pprof"); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("pprof listening", "addr", ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
