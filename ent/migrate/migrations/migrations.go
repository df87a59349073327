// Package migrations holds the versioned schema migrations, one directory
// per dialect in Atlas's format (SQL files and atlas.sum), written by
// `go run -mod=mod ./ent/migrate/main.go <name>` and applied by store.Migrate.
package migrations

import "embed"

// FS holds sqlite/ and postgres/.
//
//go:embed sqlite postgres
var FS embed.FS
