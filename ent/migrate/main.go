//go:build ignore

// Writes the next versioned migration for both dialects from the difference
// between ent/schema and the migration files so far:
//
//	go run -mod=mod ./ent/migrate/main.go <name>
//
// It needs a scratch PostgreSQL (ORGRAPH_DEV_POSTGRES_URL, default the local
// test database; a throwaway schema is created and dropped). Review the SQL,
// then commit it with the schema change; `orgraph migrate` applies it.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log"
	"net/url"
	"os"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/orgraph/orgraph/ent/migrate"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run -mod=mod ./ent/migrate/main.go <name>")
	}
	name := os.Args[1]
	ctx := context.Background()

	if err := diff(ctx, "ent/migrate/migrations/sqlite", dialect.SQLite, "sqlite://dev?mode=memory&_fk=1", name); err != nil {
		log.Fatalf("sqlite: %v", err)
	}

	// Atlas opens PostgreSQL through a database/sql driver named "postgres".
	sql.Register("postgres", stdlib.GetDefaultDriver())
	base := os.Getenv("ORGRAPH_DEV_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	scratch := "orgraph_dev_" + hex.EncodeToString(raw)
	admin, err := sql.Open("postgres", base)
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + scratch); err != nil {
		log.Fatal(err)
	}
	defer admin.Exec("DROP SCHEMA " + scratch + " CASCADE")
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", scratch)
	u.RawQuery = q.Encode()
	if err := diff(ctx, "ent/migrate/migrations/postgres", dialect.Postgres, u.String(), name); err != nil {
		log.Fatalf("postgres: %v", err)
	}
}

func diff(ctx context.Context, path, dia, devURL, name string) error {
	dir, err := atlas.NewLocalDir(path)
	if err != nil {
		return fmt.Errorf("migration directory: %w", err)
	}
	return migrate.NamedDiff(ctx, devURL, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dia),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
	)
}
