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
	err = conn.Raw(func(driverConn any) error {
		plan := driverConn.(*stdlib.Conn).Conn().TypeMap().PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id)
		if _, ok := plan.(*uuidEncodePlan); !ok {
			t.Errorf("a uuid.UUID is written by %T", plan)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var back string
	if err := conn.QueryRowContext(ctx, "SELECT $1::uuid::text", id).Scan(&back); err != nil || back != id.String() {
		t.Fatalf("round trip: %q, %v; want %s", back, err, id)
	}
}
