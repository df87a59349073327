package orgs

import (
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
)

// Caller is who is asking: a user, acting in one mode. Organizations of
// the other mode do not exist for them, as a test-mode API key sees only
// test-mode data.
type Caller struct {
	User *ent.User
	Mode string // "live" or "test"
	// Key is the API key the caller presented (its scope and expiry bound
	// the keys it makes); nil when the caller is the command line or
	// presented a token.
	Key *ent.APIKey
	// Token is the OpenID Connect token the caller presented instead of a
	// key; nil otherwise.
	Token *Token
}

// Token is the grant of an OpenID Connect token: what the server gives
// every token of its issuer (a scope, and the mode, which is the Caller's)
// until the token expires. It is no stored key and is never saved: the
// rules that bound what "the caller's key" may do read it as one with
// this scope and expiry (a read token writes nothing; the keys a token
// makes have no more power than it and expire no later than it does), and
// nothing that names a key (its id, its last use, its version pin, the
// keys revoked or rotated) ever takes it for one.
type Token struct {
	// Issuer and Subject name the account at the issuer.
	Issuer, Subject string
	// Scope is "write" or "read", as the server is configured; never
	// "operator": an operator is the platform's backend, which holds a key.
	Scope     string
	ExpiresAt time.Time
}

// ReadOnly says whether the caller may only read: a key or a token of
// scope "read".
func (c Caller) ReadOnly() bool { return c.scope() == "read" }

// userID is the caller's user's id, uuid.Nil for none.
func (c Caller) userID() uuid.UUID {
	if c.User == nil {
		return uuid.Nil
	}
	return c.User.ID
}
