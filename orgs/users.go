package orgs

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/mailaddr"
)

// Users are people; an operator (the platform's backend key, scope
// operator) makes and lists them, and makes keys for them. Anyone else
// sees only themselves.

// Operator says whether the caller holds an operator key.
func (c Caller) Operator() bool { return c.Key != nil && c.Key.Scope == "operator" }

// ActingRole is the role the caller acts with in an organization where
// their membership's role is memberRole ("" for none): an operator acts as
// an owner wherever it is not a member, as Enter takes it.
func (c Caller) ActingRole(memberRole string) string {
	if memberRole == "" && c.Operator() {
		return schema.RoleOwner
	}
	return memberRole
}

// forbidOperatorOnly is the refusal of an operator's action to anyone else.
func forbidOperatorOnly(what string) error {
	return &Forbidden{Reason: fmt.Sprintf("Only an operator key (scope \"operator\": the platform's backend key) may %s.", what)}
}

// UserFilter narrows the users listed; a zero field does not. Email is an
// address in any spelling mailaddr reads; Name a part of the name.
type UserFilter struct {
	Email      string
	Name       string
	ExternalID string
	Metadata   map[string]string // metadata[key]=value
}

// Users lists the users the caller sees: every user for an operator, the
// caller alone for anyone else (as an item read, another user is not
// there rather than forbidden, so that the collection the entrypoint links
// answers every caller).
func (s *Service) Users(c Caller, f UserFilter, order []Order) List[*ent.User] {
	q := s.client.User.Query()
	if !c.Operator() {
		q.Where(user.ID(c.User.ID))
	}
	if f.Email != "" {
		email, err := mailaddr.Normalize(f.Email)
		if err != nil {
			email = f.Email // no user has it: an empty list
		}
		q.Where(user.Email(email))
	}
	if f.Name != "" {
		q.Where(user.NameContainsFold(f.Name))
	}
	if f.ExternalID != "" {
		q.Where(user.ExternalID(f.ExternalID))
	}
	if len(f.Metadata) > 0 {
		q.Where(metadataHolds(f.Metadata))
	}
	return listOf(q, (*ent.UserQuery).Order, order)
}

// User reads a user: the caller themself, or anyone for an operator.
func (s *Service) User(ctx context.Context, c Caller, id uuid.UUID) (*ent.User, error) {
	return readUser(ctx, s.client, c, id)
}

// UserIn is User read in tx.
func (s *Service) UserIn(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*ent.User, error) {
	return readUser(ctx, tx.Client(), c, id)
}

func readUser(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.User, error) {
	if id != c.User.ID && !c.Operator() {
		return nil, ErrNotFound
	}
	return found(client.User.Get(ctx, id))
}

// CreateUser makes a user, for an operator. The email is taken in
// mailaddr's one spelling, and is unique.
func (s *Service) CreateUser(ctx context.Context, tx *ent.Tx, c Caller, email, name string) (*ent.User, error) {
	if !c.Operator() {
		return nil, forbidOperatorOnly("make users")
	}
	normal, err := mailaddr.Normalize(email)
	if err != nil {
		return nil, violation("email", "This value is not a valid email address.", RuleInvalidEmail)
	}
	taken, err := tx.User.Query().Where(user.Email(normal)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	if taken {
		return nil, violation("email", "A user has this email address already.", RuleNotUnique)
	}
	u, err := tx.User.Create().SetEmail(normal).SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	if err := s.record(ctx, tx, c, change{typ: UserCreated, mode: c.Mode, subject: u}); err != nil {
		return nil, err
	}
	return u, s.Enroll(ctx, tx, u, c.Mode)
}

// UserChange is a change of a user: a nil Name stays as it is.
type UserChange struct {
	Name *string
	Platform
}

// UpdateUser changes a user: the user themself changes their name and
// metadata, an operator anything (the external id and private metadata
// are operators' alone). Another user is not found, as for a read. A
// change of the name, external id or metadata is a user.updated event with
// their previous values; of private metadata alone, none.
func (s *Service) UpdateUser(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID, ch UserChange) (*ent.User, error) {
	if id != c.User.ID && !c.Operator() {
		return nil, ErrNotFound
	}
	// The row is locked for the read-merge-write of its metadata: on
	// PostgreSQL by FOR UPDATE (two merges at once would lose one);
	// SQLite's write transactions are serialized from their start.
	q := tx.User.Query().Where(user.ID(id))
	if s.dialect == dialect.Postgres {
		q.ForUpdate()
	}
	u, err := found(q.Only(ctx))
	if err != nil {
		return nil, err
	}
	if err := ch.operatorsOnly(c); err != nil {
		return nil, err
	}
	free := func(ext string) error {
		taken, err := tx.User.Query().Where(user.ExternalID(ext), user.IDNEQ(u.ID)).Exist(ctx)
		return externalIDCheck(taken, err, "user")
	}
	applied, err := ch.apply(u.ExternalID, u.Metadata, u.PrivateMetadata, free)
	if err != nil {
		return nil, err
	}
	update := tx.User.UpdateOne(u)
	if ch.Name != nil && *ch.Name != u.Name {
		applied.previous["name"] = u.Name
		update.SetName(*ch.Name)
	}
	set(update, applied)
	if len(applied.previous) == 0 && !applied.setPrivate {
		return u, nil // nothing to change: updated_at stays
	}
	updated, err := update.Save(ctx)
	if err != nil {
		return nil, externalIDTakenBy(err, fmt.Errorf("update user: %w", err), "user")
	}
	if len(applied.previous) > 0 {
		if err := s.record(ctx, tx, c, change{typ: UserUpdated, mode: c.Mode, subject: updated, previous: applied.previous}); err != nil {
			return nil, err
		}
	}
	return updated, nil
}
