package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a pgx pool whose connections write google/uuid
// values as PostgreSQL uuids directly. pgx knows uuid.UUID only as a
// driver.Valuer: it formatted every id argument as text and parsed it back
// (14 % of a page of organizations' CPU in its profile, where a page binds
// a few hundred ids).
func openPostgres(source string, roundTrip func(context.Context)) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(source)
	if err != nil {
		return nil, fmt.Errorf("parse the PostgreSQL URL: %w", err)
	}
	if roundTrip != nil {
		cfg.Tracer = roundTripTracer(roundTrip)
	}
	return stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
		m := conn.TypeMap()
		m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUID}, m.TryWrapEncodePlanFuncs...)
		return nil
	})), nil
}

// tryWrapUUID turns a uuid.UUID argument, or a pointer to one (an optional
// id; nil is NULL), into pgx's own UUID, which its uuid codec writes as 16
// bytes. pgx would otherwise take either as a driver.Valuer: formatted as
// text, parsed back (for a pointer, after a failed attempt that builds an
// error: 6 % of a POST's CPU in its profile).
func tryWrapUUID(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if u, ok := asPGUUID(value); ok {
		return &uuidEncodePlan{}, u, true
	}
	return nil, nil, false
}

// asPGUUID is a uuid.UUID or *uuid.UUID as pgx's UUID.
func asPGUUID(value any) (pgtype.UUID, bool) {
	switch u := value.(type) {
	case uuid.UUID:
		return pgtype.UUID{Bytes: u, Valid: true}, true
	case *uuid.UUID:
		if u == nil {
			return pgtype.UUID{}, true
		}
		return pgtype.UUID{Bytes: *u, Valid: true}, true
	}
	return pgtype.UUID{}, false
}

type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	u, ok := asPGUUID(value)
	if !ok {
		return nil, fmt.Errorf("store: %T is no uuid", value)
	}
	return p.next.Encode(u, buf)
}
