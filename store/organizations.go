package store

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/organization"
)

// AppendEvent writes an event in tx: on SQLite with the rest of the
// group-commit batch's events, in one insert before the commit (dropped
// with its writer's savepoint when the writer fails), so that the outbox
// costs a write a row of a batch's insert rather than a statement of its
// own; otherwise at once. render makes the event's data: in a batch, the
// writer's goroutine runs it after its turn, while the next writers run,
// so that rendering a document does not hold SQLite's one writer.
func (db *DB) AppendEvent(ctx context.Context, tx *ent.Tx, e *ent.EventCreate, render func() []byte) error {
	if db.commits != nil && db.commits.appendEvent(tx, e, render) {
		return nil
	}
	db.changes.event(tx, e)
	e.SetData(string(render()))
	if db.Dialect == dialect.Postgres {
		// The insert is held back until the commit, or the transaction's
		// next statement that needs an answer (pipeline.go), and written
		// here rather than by ent's create, whose generic statement
		// building was 20 µs of the event's 44 in the server, more than
		// rendering its document (as the group commit writes SQLite's).
		args, err := appendEventValues(make([]any, 0, 10), e)
		if err != nil {
			return fmt.Errorf("append the event: %w", err)
		}
		id := &returnedID{set: db.follow.recorded}
		if _, err := tx.ExecContext(withReturnedID(ctx, id), postgresEventInsert, args...); err != nil {
			return fmt.Errorf("append the event: %w", err)
		}
		if !id.held {
			return errors.New("append the event: its insert was sent unpipelined, without its id")
		}
		return nil
	}
	saved, err := e.Save(ctx)
	if err != nil {
		return fmt.Errorf("append the event: %w", err)
	}
	db.follow.recorded(saved.ID)
	return nil
}

// LockOrganization serializes the transactions that change one
// organization's people (the last-owner rule, unique pending invitations,
// unique workspace names are checked under it). PostgreSQL takes a row lock;
// SQLite needs none, because its transactions begin IMMEDIATE and so run one
// writer at a time. It returns ent's not-found error when the row is gone.
// A write changes rows of the organizations it locks and of those it
// creates, nothing else: the document cache relies on it (changes.go).
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

// LockAndReadOrganization is LockOrganization that also reads the row, in
// the same statement: what a write reads under the lock, for one round
// trip fewer than locking and reading apart.
func (db *DB) LockAndReadOrganization(ctx context.Context, tx *ent.Tx, id uuid.UUID) (*ent.Organization, error) {
	q := tx.Organization.Query().Where(organization.ID(id))
	if db.Dialect == dialect.Postgres {
		q = q.ForUpdate()
	}
	org, err := q.Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock organization: %w", err)
	}
	db.changes.locked(id)
	return org, nil
}
