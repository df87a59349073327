package store

import (
	"strings"

	"entgo.io/ent/dialect"
)

// SQLitePath is the file a sqlite: DSN names, and false for PostgreSQL
// URLs, malformed DSNs and in-memory databases (no file to look for).
// Commands that must not create a database (`orgraph keys create`) check
// it exists before Open, which would create it.
func SQLitePath(dsn string) (string, bool) {
	_, source, dia, err := parseDSN(dsn)
	if err != nil || dia != dialect.SQLite {
		return "", false
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(source, "file:"), "?")
	if path == "" || path == ":memory:" || strings.Contains("&"+query+"&", "&mode=memory&") {
		return "", false
	}
	return path, true
}

// CheckDSN says whether Open would understand dsn, without connecting:
// commands refuse a malformed --db as a usage error before doing anything.
func CheckDSN(dsn string) error {
	_, _, _, err := parseDSN(dsn)
	return err
}
