package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/orgraph/orgraph/store"
)

// command is one of orgraph's subcommands. The table of them (commands)
// is the one source of the top-level usage, of `orgraph help CMD` and of
// dispatch, so that a command cannot be served without being listed.
type command struct {
	name    string // as typed after "orgraph": "serve", "keys create"
	args    string // what follows the name on its usage line
	summary string // one line, for the list of commands
	about   string // what `orgraph CMD -h` says before the flags
	// envAll gives every flag of the command an environment variable;
	// env names the flags that have one when not all do.
	envAll bool
	env    []string
	// operands is how many arguments that are not flags the command takes
	// (keys revoke's ID), before or after its flags.
	operands int
	run      func(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error
}

// commands is filled in init: the help command lists the table, and a
// table that refers to itself cannot be a plain initialised variable.
var commands []*command

func init() {
	commands = []*command{
		{name: "serve", args: "[flags]", envAll: true, run: serve,
			summary: "run the API server (migrates the database on start)",
			about: "Serve the API over HTTP until SIGINT or SIGTERM. The database is migrated on start; on an\n" +
				"empty one a live API key for " + store.BootstrapEmail + " is created and printed once. Then one line says\n" +
				"where the server listens and where the explorer and Swagger UI are."},
		{name: "migrate", args: "[--db DSN] [--to VERSION]", env: []string{"db"}, run: migrate,
			summary: "apply the database migrations and report the schema's version",
			about: "Apply the migrations the database lacks (all, or up to --to) and print each one applied.\n" +
				"A missing SQLite file is created. Run it once before starting replicas of a new release."},
		{name: "keys create", args: "--email ADDRESS [flags]", env: []string{"db"}, run: createKey,
			summary: "create an API key, and its user and personal organization on first use",
			about: "Create an API key and print it alone on the last line of standard output (it is shown only\n" +
				"once). The database must exist: a SQLite path that does not is refused unless --create-db\n" +
				"is given, so that a mistyped path does not produce a key for an empty database."},
		{name: "keys list", args: "[--email ADDRESS] [--db DSN]", env: []string{"db"}, run: listKeys,
			summary: "list the API keys (never their secrets), of every user or of one",
			about: "Print one line per key: id, prefix, owner, mode, scope, name, and when it was created, last\n" +
				"used, expires and was revoked. The database must exist."},
		{name: "keys revoke", args: "ID|PREFIX [--db DSN]", env: []string{"db"}, operands: 1, run: revokeKey,
			summary: "revoke an API key by its id or prefix",
			about: "Revoke the key with this id, or the one key with this prefix (og_live_1a2b3c), as `keys list`\n" +
				"prints them. Every server refuses it within 2 seconds. The database must exist."},
		{name: "bench", args: "[flags]", run: runBench,
			summary: "measure this binary's server under load on a seeded database",
			about: "Seed an empty database, start `orgraph serve` on loopback and measure each scenario's\n" +
				"throughput and latency; print a table (and JSON with --json). Environment variables are not\n" +
				"read, so that the figures depend on the command line alone."},
		{name: "healthcheck", args: "[--addr ADDRESS] [--timeout DURATION]", env: []string{"addr"}, run: healthcheck,
			summary: "ask a running server's /healthz; exit 0 if it answers 200, else 1",
			about: "GET /healthz of the server listening on --addr (a wildcard host such as 0.0.0.0 is asked on\n" +
				"loopback) and exit 0 on 200, 1 otherwise. Made for container health checks: the image needs\n" +
				"no curl, and ORGRAPH_ADDR is the variable serve reads too."},
		{name: "version", run: printVersion,
			summary: "print the module version and VCS revision of this binary",
			about:   "Print the module version, the VCS revision (and whether the tree was modified) and the Go\ntoolchain this binary was built with. `orgraph --version` does the same."},
		{name: "help", args: "[COMMAND]", run: help,
			summary: "print this help, or a command's",
			about:   "Print the list of commands, or the usage and flags of one (`orgraph help keys create`)."},
	}
}

// usageError is a mistake on the command line: the exit status is 2 and
// the command's usage line follows the message.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// errHelp: the usage was asked for and printed; the exit status is 0.
var errHelp = errors.New("help requested")

// run is the whole command line: it returns the exit status (0 done or
// help asked, 1 failed, 2 bad usage) after printing what there is to say.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return 0
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	c, rest, err := lookup(args)
	if err != nil {
		fmt.Fprintf(stderr, "orgraph: %v\n\n", err)
		printUsage(stderr)
		return 2
	}
	if c == nil { // a group of commands ("keys"): list them
		return groupUsage(args[0], rest, stdout, stderr)
	}
	err = c.run(ctx, c, rest, stdout, stderr)
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "orgraph %s: %v\nusage: %s\nRun 'orgraph help %s' for details.\n", c.name, err, c.usageLine(), c.name)
		return 2
	}
	fmt.Fprintf(stderr, "orgraph %s: %v\n", c.name, err)
	return 1
}

// lookup finds the command args start with. A group's name alone (or
// with -h) gives a nil command and the rest of args.
func lookup(args []string) (*command, []string, error) {
	group := false
	for _, c := range commands {
		words := strings.Fields(c.name)
		if words[0] != args[0] {
			continue
		}
		if len(words) == 1 {
			return c, args[1:], nil
		}
		group = true
		if len(args) > 1 && args[1] == words[1] {
			return c, args[2:], nil
		}
	}
	if !group {
		return nil, nil, fmt.Errorf("unknown command %q", args[0])
	}
	return nil, args[1:], nil
}

// groupUsage answers `orgraph keys` (a usage error: which keys command?),
// `orgraph keys -h` and `orgraph keys nope`.
func groupUsage(group string, rest []string, stdout, stderr io.Writer) int {
	list := func(w io.Writer) {
		fmt.Fprintf(w, "usage: orgraph %s COMMAND [flags]\n\nThe %s commands are:\n\n", group, group)
		for _, c := range commands {
			if strings.HasPrefix(c.name, group+" ") {
				fmt.Fprintf(w, "\t%-12s %s\n", strings.TrimPrefix(c.name, group+" "), c.summary)
			}
		}
		fmt.Fprintf(w, "\nRun 'orgraph help %s COMMAND' for a command's flags.\n", group)
	}
	switch {
	case len(rest) > 0 && (rest[0] == "-h" || rest[0] == "-help" || rest[0] == "--help"):
		list(stdout)
		return 0
	case len(rest) > 0:
		fmt.Fprintf(stderr, "orgraph %s: unknown command %q\n\n", group, rest[0])
	}
	list(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "Orgraph serves a JSON-LD/Hydra API for organizations and the people in them.\n\n"+
		"usage: orgraph COMMAND [flags]\n\nThe commands are:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'orgraph help COMMAND' or 'orgraph COMMAND -h' for a command's flags.\n"+
		"Every serve flag may be given as an ORGRAPH_… environment variable instead; a flag wins.\n")
}

// help is `orgraph help [COMMAND]`: a command's help is what its -h
// prints, so that the two cannot differ.
func help(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stdout)
		return nil
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		c.printUsage(stdout, newFlags(c))
		return nil
	}
	target, rest, err := lookup(args)
	switch {
	case err != nil:
		return &usageError{err}
	case target == nil && len(rest) == 0:
		groupUsage(args[0], []string{"-h"}, stdout, stderr)
		return nil
	case target == nil:
		return usagef("unknown command %q", strings.Join(args, " "))
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	}
	return target.run(ctx, target, []string{"-h"}, stdout, stderr)
}

func (c *command) usageLine() string {
	return strings.TrimSpace("orgraph " + c.name + " " + c.args)
}

// flags is a command's flag set, which knows where each value came from:
// the command line, the environment or the default.
type flags struct {
	*flag.FlagSet
	cmd      *command
	fromEnv  map[string]string // flag name → the variable that set it
	operands []string          // the arguments that are not flags, in order
}

func newFlags(c *command) *flags {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	// parse prints errors and usage itself, each where it belongs.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, cmd: c, fromEnv: map[string]string{}}
}

// envNames are the variables whose names are not derived from their flag's:
// ORGRAPH_REDIS_URL was published before every flag had a variable.
var envNames = map[string]string{"redis": "ORGRAPH_REDIS_URL"}

// envVar is the environment variable of a command's flag, or "".
func (c *command) envVar(flagName string) string {
	if !c.envAll && !strings.Contains(" "+strings.Join(c.env, " ")+" ", " "+flagName+" ") {
		return ""
	}
	if v, ok := envNames[flagName]; ok {
		return v
	}
	return "ORGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse reads the command line, then the environment for each flag the
// command line left unset: a flag given wins over its variable. An empty
// variable counts as unset. -h prints the usage to stdout and returns
// errHelp.
func (fs *flags) parse(args []string, stdout io.Writer) error {
	// The flag package stops at the first operand: parse again after each.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.cmd.printUsage(stdout, fs)
				return errHelp
			}
			return &usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		if len(fs.operands) == fs.cmd.operands {
			return usagef("unexpected argument %q", fs.Arg(0))
		}
		fs.operands = append(fs.operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := fs.cmd.envVar(f.Name)
		value := os.Getenv(name)
		if err != nil || name == "" || value == "" || given[f.Name] {
			return
		}
		if serr := fs.Set(f.Name, value); serr != nil {
			// The flag package says only "parse error": say what is wanted.
			if want := wanted(f); want != "" {
				serr = errors.New(want)
			}
			err = usagef("invalid value %q for %s (--%s): %w", value, name, f.Name, serr)
			return
		}
		fs.fromEnv[f.Name] = name
	})
	return err
}

// origin names where a flag's value came from, for the messages of
// checks made after parsing: "--rate-limit" or "ORGRAPH_RATE_LIMIT".
func (fs *flags) origin(flagName string) string {
	if v, ok := fs.fromEnv[flagName]; ok {
		return v
	}
	return "--" + flagName
}

// isSet says whether a flag was given, on the command line or by its
// variable.
func (fs *flags) isSet(flagName string) bool {
	if _, ok := fs.fromEnv[flagName]; ok {
		return true
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == flagName })
	return set
}

// envOrFlag names a flag that was not given, as a person would set it:
// "--oidc-audience (ORGRAPH_OIDC_AUDIENCE)".
func (fs *flags) envOrFlag(flagName string) string {
	if v := fs.cmd.envVar(flagName); v != "" {
		return "--" + flagName + " (" + v + ")"
	}
	return "--" + flagName
}

// wanted describes the values a flag of a standard type takes, or "".
func wanted(f *flag.Flag) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case bool:
		return "want true or false"
	case int:
		return "want a whole number"
	case time.Duration:
		return "want a duration such as 30s, 5m or 24h"
	}
	return ""
}

// printUsage is a command's -h: its usage line, what it does, then each
// flag with its environment variable beside it and its default.
func (c *command) printUsage(w io.Writer, fs *flags) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.usageLine(), c.about)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	if c.envAll || len(c.env) > 0 {
		fmt.Fprint(w, "\nFlags (the variable beside a flag sets it too; the flag wins):\n\n")
	} else {
		fmt.Fprint(w, "\nFlags:\n\n")
	}
	fs.VisitAll(func(f *flag.Flag) {
		placeholder, text := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if placeholder != "" {
			head += " " + placeholder
		}
		if v := c.envVar(f.Name); v != "" {
			head = fmt.Sprintf("%-36s %s", head, v)
		}
		fmt.Fprintln(w, head)
		if d := defaultText(f); d != "" {
			text += " (default " + d + ")"
		}
		fmt.Fprint(w, wrap(text, "        ", 100))
	})
}

// defaultText is a flag's default as a person would write it, or "" when
// the default is zero or depends on something the usage text explains.
func defaultText(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		if _, ok := g.Get().(time.Duration); ok {
			if d, err := time.ParseDuration(f.DefValue); err == nil && d != 0 {
				return shortDuration(d)
			}
			return ""
		}
	}
	switch f.DefValue {
	case "", "0", "false", "0s":
		return ""
	}
	return f.DefValue
}

// shortDuration drops the zero units Go's Duration.String keeps: 24h, not
// 24h0m0s; 1m, not 1m0s. The result still parses as a flag value.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// wrap breaks text into lines of at most width columns (a longer word
// stays whole), each starting with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}
