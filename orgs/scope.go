package orgs

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
)

// Locker serializes the transactions that change one organization: the
// last-owner rule, unique pending invitations and unique workspace names
// are checked under its lock. *store.DB is one; it also records which
// organizations a transaction locked, which is how its change log knows
// whose rows an update or delete touched. It returns ent's not-found error
// when the organization is gone.
type Locker interface {
	LockOrganization(ctx context.Context, tx *ent.Tx, id uuid.UUID) error
	// LockAndReadOrganization locks an organization and reads it, in one
	// statement.
	LockAndReadOrganization(ctx context.Context, tx *ent.Tx, id uuid.UUID) (*ent.Organization, error)
	// AppendEvent writes an event in tx, now or with tx's commit (it is
	// never read back in the transaction that writes it).
	// render makes its data (the document), at once or later in the
	// same transaction.
	AppendEvent(ctx context.Context, tx *ent.Tx, e *ent.EventCreate, render func() []byte) error
}

// Service answers for organizations and the people in them: reads go
// through its client, writes through the transaction the caller passes,
// under the lock of the organization they change.
type Service struct {
	client  *ent.Client
	locker  Locker
	dialect string // ent's dialect name, for the statements ent builds none for
	// documents renders events' documents (SetDocuments).
	documents Documents
	// retries is the webhook deliveries' retry policy.
	retries Retries
	// sealer seals what events carry for webhooks and operators alone
	// (SetSealer); nil: such parts are not kept.
	sealer Sealer
	// resolver verifies domains (SetResolver); nil: the system's.
	resolver TXTResolver
}

// NewService returns a Service reading through client, a database of the
// dialect ("sqlite3" or "postgres", as ent names them), and locking
// organizations with locker.
func NewService(client *ent.Client, locker Locker, dialect string) *Service {
	return &Service{client: client, locker: locker, dialect: dialect, retries: DefaultRetries}
}

// Scope is an organization entered for a write: locked for the
// transaction, read with the caller's membership under that lock. Every
// write of an organization's rows is a method of Scope, so that none can
// run without the lock.
type Scope struct {
	service *Service
	tx      *ent.Tx
	caller  Caller
	Org     *ent.Organization
	Me      *ent.Member // the caller's membership
	grant   Grant       // the caller's role, as the rules read it
	book    roleBook    // the organization's custom roles, read under the lock
}

// Enter locks an organization for the transaction and reads it with the
// caller's membership; one the caller cannot see is ErrNotFound.
func (s *Service) Enter(ctx context.Context, tx *ent.Tx, c Caller, orgID uuid.UUID) (*Scope, error) {
	org, err := s.locker.LockAndReadOrganization(ctx, tx, orgID)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("enter organization: %w", err)
	}
	// The visibility rule (visibleOrganizations), checked here on the
	// row read under the lock and the membership read after it: of the
	// caller's mode, and theirs (or any, for an operator).
	if string(org.Mode) != c.Mode {
		return nil, ErrNotFound
	}
	me, err := tx.Member.Query().Where(member.OrganizationID(orgID), member.UserID(c.User.ID), member.StatusEQ(member.StatusActive)).Only(ctx)
	switch {
	case ent.IsNotFound(err) && !c.Operator():
		return nil, ErrNotFound
	case ent.IsNotFound(err):
		// An operator manages the organization as its owners do, without
		// a membership: no rule counts it (it is no owner the last-owner
		// rule could keep, and no member to remove).
		me = &ent.Member{OrganizationID: orgID, UserID: c.User.ID, Role: schema.RoleOwner}
	case err != nil:
		return nil, fmt.Errorf("find membership: %w", err)
	}
	book, err := readRoleBook(ctx, tx.Client(), orgID)
	if err != nil {
		return nil, err
	}
	return &Scope{service: s, tx: tx, caller: c, Org: org, Me: me, grant: book.grant(me.Role), book: book}, nil
}

// enterOwner finds an organization-owned item the caller sees (find),
// enters its organization, runs check on the scope (nil: none), and reads
// the item again under the lock: what the first read saw may have changed
// before the lock was taken.
func enterOwner[T any](ctx context.Context, s *Service, tx *ent.Tx, c Caller, find func() (T, error), owner func(T) uuid.UUID, check func(*Scope) error) (*Scope, T, error) {
	var zero T
	item, err := find()
	if err != nil {
		return nil, zero, err
	}
	sc, err := s.Enter(ctx, tx, c, owner(item))
	if err != nil {
		return nil, zero, err
	}
	if check != nil {
		if err := check(sc); err != nil {
			return nil, zero, err
		}
	}
	item, err = find()
	return sc, item, err
}

// Can is Forbidden unless the caller's role holds the permission.
func (sc *Scope) Can(perm schema.Permission) error { return sc.grant.can(perm) }

// Active is Forbidden when the organization is suspended: it stays
// readable, but its members, invitations and workspaces cannot change.
func (sc *Scope) Active() error { return active(sc.Org) }

func active(org *ent.Organization) error {
	if org.Status == organization.StatusSUSPENDED {
		return errSuspended()
	}
	return nil
}

func errSuspended() error {
	return &Forbidden{Reason: "The organization is suspended: its members, invitations and workspaces cannot change until an owner reactivates it."}
}

// found reads the result of looking up one item: not found (absent, or not
// visible to the caller) is ErrNotFound.
func found[T any](v T, err error) (T, error) {
	var zero T
	if ent.IsNotFound(err) {
		return zero, ErrNotFound
	}
	if err != nil {
		return zero, fmt.Errorf("find %T: %w", v, err)
	}
	return v, nil
}
