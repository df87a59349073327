package store

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/organization"
)

// LockOrganization serializes the transactions that change one
// organization's people (the last-owner rule, unique pending invitations,
// unique workspace names are checked under it). PostgreSQL takes a row lock;
// SQLite needs none, because its transactions begin IMMEDIATE and so run one
// writer at a time. It returns ent's not-found error when the row is gone.
// A write changes rows of the organizations it locks and of those it
// creates, nothing else: the document cache relies on it (changes.go).
// LockEvents takes the events' append lock until tx ends: on PostgreSQL a
// transaction-scoped advisory lock, so that writers append events one at
// a time from there to their commit (events then commit in seq order, and a
// reader past seq n never misses a later commit below it). SQLite's writers
// run one at a time already.
func (db *DB) LockEvents(ctx context.Context, tx *ent.Tx) error {
	if db.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", eventsLockKey); err != nil {
		return fmt.Errorf("lock the events: %w", err)
	}
	return nil
}

// AppendEvent writes an event in tx: on SQLite with the rest of the
// group-commit batch's events, in one insert before the commit (dropped
// with its writer's savepoint when the writer fails), so that the outbox
// costs a write a row of a batch's insert rather than a statement of its
// own; otherwise at once.
func (db *DB) AppendEvent(ctx context.Context, tx *ent.Tx, e *ent.EventCreate) error {
	if db.commits != nil && db.commits.appendEvent(tx, e) {
		return nil
	}
	if err := e.Exec(ctx); err != nil {
		return fmt.Errorf("append the event: %w", err)
	}
	return nil
}

// eventsLockKey names the events' advisory lock ("orgraph:events").
const eventsLockKey int64 = 0x6f72677261706865

func (db *DB) LockOrganization(ctx context.Context, tx *ent.Tx, id uuid.UUID) error {
	q := tx.Organization.Query().Where(organization.ID(id))
	if db.Dialect == dialect.Postgres {
		q = q.ForUpdate()
	}
	if _, err := q.OnlyID(ctx); err != nil {
		return fmt.Errorf("lock organization: %w", err)
	}
	db.changes.locked(id)
	return nil
}
