package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/ent/useridentity"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/orgs"
)

// Identity is an account at an OpenID Connect issuer, as a verified token
// names it.
type Identity struct {
	Issuer  string
	Subject string
	// Email and EmailVerified are the token's claims: the address links
	// the account to a user only when the issuer says it verified it.
	Email         string
	EmailVerified bool
	// Name is the token's name claim: a user made for the account gets it.
	Name string
	// Mode is the mode the issuer's tokens act in: the user.created event
	// of a user made for the account is of that mode.
	Mode string
}

// ErrUnlinkedIdentity: no user has the identity yet, and the token gives
// no verified email address to link it by (an unverified one could be
// anyone's, the address of an existing user included).
var ErrUnlinkedIdentity = errors.New("no user has this identity, and the token carries no verified email address")

// identityAttempts bounds the attempts of a first use that races another
// (see UserOfIdentity).
const identityAttempts = 3

// UserOfIdentity finds the user an identity is linked to (issuer and
// subject). On the identity's first use it links it: to the user whose
// email the token's verified email is, or to a new user with that address
// and the token's name (just-in-time provisioning). A new user gets no
// personal organization: that comes with a user's first API key in a mode
// (CreateKey), as for a user an operator makes; the identity has no mode
// of its own.
//
// A user found is trusted for keyCacheTTL without reading it again, as a
// key is; it is shared between requests and must not be modified. An
// address that breaks mailaddr's rule is an error wrapping
// mailaddr.ErrInvalid.
func (db *DB) UserOfIdentity(ctx context.Context, id Identity) (*ent.User, error) {
	cacheKey := id.Issuer + "\x00" + id.Subject
	if u := db.identities.get(cacheKey); u != nil {
		return u, nil
	}
	for attempt := 1; ; attempt++ {
		u, err := db.linkedUser(ctx, id)
		if err == nil {
			db.identities.put(cacheKey, u)
			return u, nil
		}
		// Requests racing to link the same identity (or to make the same
		// user): one wins, the others break a unique index and, trying
		// again, find what it made.
		if !ent.IsConstraintError(err) || attempt == identityAttempts {
			return nil, fmt.Errorf("user of identity: %w", err)
		}
	}
}

// linkedUser is one attempt of UserOfIdentity.
func (db *DB) linkedUser(ctx context.Context, id Identity) (*ent.User, error) {
	where := useridentity.And(useridentity.Issuer(id.Issuer), useridentity.Subject(id.Subject))
	// Every use but the first reads only: on the readers, not the writer.
	found, err := db.UserIdentity.Query().Where(where).WithUser().Only(ctx)
	if err == nil {
		return found.Edges.User, nil
	}
	if !ent.IsNotFound(err) {
		return nil, err
	}
	if id.Email == "" || !id.EmailVerified {
		return nil, ErrUnlinkedIdentity
	}
	email, err := mailaddr.Normalize(id.Email)
	if err != nil {
		return nil, err
	}
	var linked *ent.User
	err = db.Tx(ctx, func(tx *ent.Tx) error {
		// Read again in the transaction: another request may have linked
		// the identity since.
		found, err := tx.UserIdentity.Query().Where(where).WithUser().Only(ctx)
		if err == nil {
			linked = found.Edges.User
			return nil
		}
		if !ent.IsNotFound(err) {
			return fmt.Errorf("find identity: %w", err)
		}
		u, err := tx.User.Query().Where(user.Email(email)).Only(ctx)
		if ent.IsNotFound(err) {
			u, err = tx.User.Create().SetEmail(email).SetName(userName(id.Name)).Save(ctx)
			if err == nil && id.Mode != "" {
				err = db.recordEvent(ctx, tx, orgs.UserCreated, id.Mode, uuid.Nil, u)
			}
			if err == nil {
				err = db.enroll(ctx, tx, u, id.Mode)
			}
		}
		if err != nil {
			return fmt.Errorf("find or create user: %w", err)
		}
		if err := tx.UserIdentity.Create().SetIssuer(id.Issuer).SetSubject(id.Subject).SetUserID(u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("link identity: %w", err)
		}
		linked = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return linked, nil
}

// userName is a name claim as a user's name: trimmed, and empty unless it
// is text the name field holds (valid UTF-8 without control characters,
// at most 200 bytes).
func userName(name string) string {
	name = strings.TrimSpace(name)
	if len(name) > 200 || !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return ""
	}
	return name
}
