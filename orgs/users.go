package orgs

import (
	"context"
	"fmt"

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
	Email string
	Name  string
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
	return listOf(q, (*ent.UserQuery).Order, order)
}

// User reads a user: the caller themself, or anyone for an operator.
func (s *Service) User(ctx context.Context, c Caller, id uuid.UUID) (*ent.User, error) {
	if id != c.User.ID && !c.Operator() {
		return nil, ErrNotFound
	}
	return found(s.client.User.Get(ctx, id))
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
	return u, s.record(ctx, tx, c, change{typ: UserCreated, mode: c.Mode, subject: u})
}
