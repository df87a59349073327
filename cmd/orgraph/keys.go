package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/orgraph/orgraph/store"
)

// databaseExists refuses a SQLite path with no file: the key commands act
// on the database a server reads, and a mistyped path must not become a
// new, empty one. hint ends the message.
func databaseExists(fs *flags, dsn, hint string) error {
	if path, ok := store.SQLitePath(dsn); ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no database at %s (%s): start `orgraph serve` or run `orgraph migrate` on it first%s", path, fs.origin("db"), hint)
		}
	}
	return nil
}

// openKeysDB opens the existing database of a keys command.
func openKeysDB(ctx context.Context, fs *flags, dsn string) (*store.DB, error) {
	if err := store.CheckDSN(dsn); err != nil {
		return nil, usagef("%s: %w", fs.origin("db"), err)
	}
	if err := databaseExists(fs, dsn, ""); err != nil {
		return nil, err
	}
	return openMigrated(ctx, dsn)
}

func listKeys(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c)
	dsn := dbFlag(fs)
	email := fs.String("email", "", "only the keys of the user with this email `address`")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	db, err := openKeysDB(ctx, fs, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := db.ListKeys(ctx, *email)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPREFIX\tEMAIL\tMODE\tSCOPE\tNAME\tCREATED\tLAST USED\tEXPIRES\tREVOKED")
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		name := k.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.DisplayPrefix, k.Edges.User.Email, k.Mode, k.Scope,
			name, when(&k.CreatedAt), when(k.LastUsedAt), when(k.ExpiresAt), when(k.RevokedAt))
	}
	return w.Flush()
}

func revokeKey(ctx context.Context, c *command, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c)
	dsn := dbFlag(fs)
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if len(fs.operands) != 1 {
		return usagef("name one key: its id or its prefix (og_live_1a2b3c), as `orgraph keys list` prints them")
	}
	db, err := openKeysDB(ctx, fs, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := db.RevokeKey(ctx, fs.operands[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Revoked %s (%s) of %s at %s: servers refuse it within 2 seconds.\n", k.DisplayPrefix, k.ID, k.Edges.User.Email, k.RevokedAt.UTC().Format(time.RFC3339))
	return nil
}
