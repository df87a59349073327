package store

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/orgraph/orgraph/internal/testenv"
)

// PostgreSQL connections write a uuid.UUID argument with pgx's uuid codec
// (16 bytes), not as text through driver.Valuer, and the value arrives
// whole.
func TestPostgresWritesUUIDsAsUUIDs(t *testing.T) {
	ctx := context.Background()
	db, err := openPostgres(testenv.PostgresDSN(t, "orgraph_uuid"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := uuid.New()
	var none *uuid.UUID
	err = conn.Raw(func(driverConn any) error {
		for _, v := range []any{id, &id, none} {
			plan := driverConn.(*stdlib.Conn).Conn().TypeMap().PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, v)
			if _, ok := plan.(*uuidEncodePlan); !ok {
				t.Errorf("a %T is written by %T", v, plan)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{id, &id} {
		var back string
		if err := conn.QueryRowContext(ctx, "SELECT $1::uuid::text", v).Scan(&back); err != nil || back != id.String() {
			t.Fatalf("round trip of a %T: %q, %v; want %s", v, back, err, id)
		}
	}
	var null bool
	if err := conn.QueryRowContext(ctx, "SELECT $1::uuid IS NULL", none).Scan(&null); err != nil || !null {
		t.Fatalf("a nil *uuid.UUID: null %v, %v", null, err)
	}
}
