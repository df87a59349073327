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
